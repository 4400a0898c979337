package dev.jloss;

import dev.jloss.plan.KernelFamily;
import dev.jloss.plan.LossKernel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A loss function with PyTorch's {@code torch.nn} semantics. Loss objects are immutable, built with
 * builders whose option names are PyTorch's, and run on whichever backend their tensors live on.
 *
 * <p>Three calls: {@link #forward} (the loss), {@link #backward} (the gradients given an upstream
 * gradient) and {@link #forwardBackward} (both from one pass over the data: the gradient of the sum
 * of the output, which for a reduced loss is the loss's gradient). Arguments come in PyTorch's
 * {@code forward()} order, see {@link #argumentNames()}.
 *
 * <p>Each call validates shapes, dtypes and options once, device-agnostically ({@link #plan}), then
 * hands the backend's kernel for this loss's family a validated plan.
 */
public abstract class Loss {

    private final Reduction reduction;

    protected Loss(Reduction reduction) {
        if (reduction == null) {
            throw new LossArgumentException("reduction: must not be null");
        }
        this.reduction = reduction;
    }

    /** This loss's declaration: names, arguments in {@code forward()} order, how it streams. */
    public abstract LossSpec spec();

    /** PyTorch's class name, e.g. {@code CrossEntropyLoss}. */
    public final String name() {
        return spec().className();
    }

    /** PyTorch's functional name, e.g. {@code cross_entropy}; it prefixes every error message. */
    public final String functionalName() {
        return spec().functionalName();
    }

    /** The tensors {@code forward()} takes, in order, with PyTorch's parameter names. */
    public final List<String> argumentNames() {
        return spec().argumentNames();
    }

    /** The arguments the gradient is computed for, a subsequence of {@link #argumentNames()}. */
    public final List<String> differentiableArguments() {
        return spec().differentiableArguments();
    }

    public final Reduction reduction() {
        return reduction;
    }

    /**
     * The validated, device-agnostic plan for these arguments: the kernel family, its plan and the
     * output shape. Throws {@link LossArgumentException} for anything PyTorch rejects before looking at
     * the values.
     */
    protected abstract Plan<?> plan(Tensor[] args);

    /** What {@link #plan} returns: which kernel family runs, with what plan, producing what shape. */
    public record Plan<P>(KernelFamily<P> family, P plan, long[] outputShape) {
    }

    /** The loss: a 0-d tensor when reduced, the per-element values for {@code reduction=none}. */
    public final Tensor forward(Tensor... args) {
        return run(args, null, true, false).loss();
    }

    /**
     * The gradient of {@code sum(gradOutput * forward(args))} with respect to each differentiable
     * argument: {@code gradOutput} is 0-d (or one element) for a reduced loss and has the output's
     * shape for {@code reduction=none}.
     */
    public final LossResult backward(Tensor gradOutput, Tensor... args) {
        if (gradOutput == null) {
            throw new LossArgumentException(functionalName() + ": grad_output must not be null");
        }
        return run(args, gradOutput, false, true);
    }

    /** The loss and the gradient of the sum of the output, from one pass over the data. */
    public final LossResult forwardBackward(Tensor... args) {
        return run(args, null, true, true);
    }

    /** The loss and the gradient of {@code sum(gradOutput * loss)}, from one pass over the data. */
    public final LossResult forwardBackwardWith(Tensor gradOutput, Tensor... args) {
        if (gradOutput == null) {
            throw new LossArgumentException(functionalName() + ": grad_output must not be null");
        }
        return run(args, gradOutput, true, true);
    }

    private LossResult run(Tensor[] args, Tensor gradOutput, boolean wantLoss, boolean wantGrad) {
        Backend backend = checkArguments(args);
        Plan<?> p = plan(args);
        if (gradOutput != null) {
            checkGradOutput(gradOutput, p.outputShape(), backend);
        }
        return launch(backend, p, args, gradOutput, wantLoss, wantGrad);
    }

    private <P> LossResult launch(Backend backend, Plan<P> p, Tensor[] args, Tensor gradOutput,
                                  boolean wantLoss, boolean wantGrad) {
        LossKernel<P> kernel = backend.kernel(p.family());
        Tensor out = wantLoss ? backend.zeros(DType.FLOAT32, p.outputShape()) : null;
        List<String> diff = differentiableArguments();
        Tensor[] grads = new Tensor[diff.size()];
        Map<String, Tensor> byName = new LinkedHashMap<>();
        try {
            if (wantGrad) {
                for (int i = 0; i < grads.length; i++) {
                    String n = diff.get(i);
                    grads[i] = backend.zeros(DType.FLOAT32, args[argumentNames().indexOf(n)].shape());
                    byName.put(n, grads[i]);
                }
            }
            kernel.run(p.plan(), args, gradOutput, out, grads);
        } catch (RuntimeException e) {
            if (out != null) {
                out.close();
            }
            byName.values().forEach(Tensor::close);
            throw e;
        }
        return new LossResult(out, byName);
    }

    private Backend checkArguments(Tensor[] args) {
        List<String> names = argumentNames();
        if (args == null || args.length != names.size()) {
            throw new LossArgumentException(functionalName() + ": expected " + names.size() + " tensors ("
                    + String.join(", ", names) + "), got " + (args == null ? 0 : args.length));
        }
        Backend backend = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i] == null) {
                throw new LossArgumentException(functionalName() + ": " + names.get(i) + " must not be null");
            }
            if (backend == null) {
                backend = args[i].backend();
            } else if (args[i].backend() != backend) {
                throw new LossArgumentException(functionalName() + ": " + names.get(i) + " is on backend "
                        + args[i].backend().name() + ", expected the backend of " + names.get(0) + " ("
                        + backend.name() + ")");
            }
        }
        return backend;
    }

    private void checkGradOutput(Tensor g, long[] outShape, Backend backend) {
        if (g.backend() != backend) {
            throw new LossArgumentException(functionalName() + ": grad_output is on backend " + g.backend().name()
                    + ", expected " + backend.name());
        }
        if (g.dtype() != DType.FLOAT32) {
            throw new LossArgumentException(functionalName() + ": grad_output has dtype " + g.dtype()
                    + ", expected float32");
        }
        boolean scalarOut = outShape.length == 0;
        if (!(Arrays.equals(g.shape(), outShape) || (scalarOut && g.numel() == 1))) {
            throw new LossArgumentException(functionalName() + ": grad_output has shape " + Arrays.toString(g.shape())
                    + ", expected " + Arrays.toString(outShape) + " (the output's shape)");
        }
    }

    @Override
    public String toString() {
        return name() + "(reduction=" + reduction + ")";
    }
}
