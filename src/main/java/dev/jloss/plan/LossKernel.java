package dev.jloss.plan;

import dev.jloss.Tensor;

/**
 * One backend's implementation of one loss family. It receives pre-validated arguments (shapes,
 * dtypes and options were checked once by the loss) and only computes; checks that need the data
 * (a class index out of range) are made where the data is, while computing.
 *
 * @param <P> the family's validated plan (sizes, options, reduction)
 */
public interface LossKernel<P> {
    /**
     * Computes the loss and/or gradients in one pass.
     *
     * @param plan       validated sizes and options
     * @param args       the loss's tensors in PyTorch's {@code forward()} order, all on this backend
     * @param gradOutput the upstream gradient (0-d for a reduced loss, the output's shape for
     *                   {@code none}), or {@code null} for the gradient of the sum of the output
     * @param out        where the loss goes (the plan's output shape), or {@code null} if not wanted
     * @param grads      one slot per differentiable argument, in the loss's order, each {@code null}
     *                   if not wanted or a tensor of that argument's shape to fill: zero-filled,
     *                   unless {@link #writesEveryElement()}
     */
    void run(P plan, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads);

    /**
     * Whether {@link #run} writes every element of {@code out} and of each gradient it is given, so
     * that they may be handed over with any contents (recycled, uninitialised, the caller's). False by
     * default: they are zero-filled first. The CPU tests hand such a kernel NaN-filled arrays
     * ({@code -Djloss.cpu.poison=true}), so a claim that does not hold fails the golden suite.
     */
    default boolean writesEveryElement() {
        return false;
    }
}
