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

    /**
     * {@link #forward} into a tensor the caller owns and may reuse from call to call: {@code out} has the
     * output's shape (0-d or one element for a reduced loss), dtype float32, on the arguments' backend.
     * Nothing is allocated for the result.
     */
    public final void forwardInto(Tensor out, Tensor... args) {
        if (out == null) {
            throw new LossArgumentException(functionalName() + ": out must not be null");
        }
        into(args, null, out, new Tensor[differentiableArguments().size()], true, false);
    }

    /**
     * {@link #forwardBackward} into tensors the caller owns: {@code out} as in {@link #forwardInto} (or
     * null when the loss is not wanted), {@code grads} one per {@link #differentiableArguments()}, in
     * that order, each of its argument's shape and dtype float32 (all of them: the kernels compute the
     * gradients together). A gradient tensor must not be one of the arguments.
     */
    public final void forwardBackwardInto(Tensor out, Tensor[] grads, Tensor... args) {
        into(args, null, out, grads, out != null, true);
    }

    /** {@link #backward} (or, with {@code out}, {@link #forwardBackwardWith}) into tensors the caller owns. */
    public final void backwardInto(Tensor gradOutput, Tensor out, Tensor[] grads, Tensor... args) {
        if (gradOutput == null) {
            throw new LossArgumentException(functionalName() + ": grad_output must not be null");
        }
        into(args, gradOutput, out, grads, out != null, true);
    }

    private void into(Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads, boolean wantLoss,
                      boolean wantGrad) {
        Backend backend = checkArguments(args);
        Plan<?> p = plan(args);
        if (gradOutput != null) {
            checkGradOutput(gradOutput, p.outputShape(), backend);
        }
        List<String> diff = differentiableArguments();
        if (grads == null || grads.length != diff.size()) {
            throw new LossArgumentException(functionalName() + ": expected " + diff.size() + " gradient tensors ("
                    + String.join(", ", diff) + "), got " + (grads == null ? 0 : grads.length));
        }
        for (int i = 0; i < grads.length; i++) {
            if (!wantGrad) {
                continue;
            }
            if (grads[i] == null) {
                throw new LossArgumentException(functionalName() + ": grad_" + diff.get(i)
                        + " must not be null (every gradient of " + String.join(", ", diff) + " is computed together)");
            }
            Tensor arg = args[argumentNames().indexOf(diff.get(i))];
            checkResult(grads[i], "grad_" + diff.get(i), arg.shape(), backend, args);
        }
        if (out != null) {
            checkResult(out, "out", p.outputShape(), backend, args);
        }
        runInto(backend, p, args, gradOutput, out, wantGrad ? grads : new Tensor[grads.length]);
    }

    private <P> void runInto(Backend backend, Plan<P> p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        LossKernel<P> kernel = backend.kernel(p.family());
        if (!kernel.writesEveryElement()) {
            if (out != null) {
                backend.zero(out);
            }
            for (Tensor g : grads) {
                if (g != null) {
                    backend.zero(g);
                }
            }
        }
        kernel.run(p.plan(), args, gradOutput, out, grads);
    }

    private void checkResult(Tensor t, String what, long[] shape, Backend backend, Tensor[] args) {
        if (t.backend() != backend) {
            throw new LossArgumentException(functionalName() + ": " + what + " is on backend " + t.backend().name()
                    + ", expected " + backend.name());
        }
        if (t.dtype() != DType.FLOAT32) {
            throw new LossArgumentException(functionalName() + ": " + what + " has dtype " + t.dtype()
                    + ", expected float32");
        }
        boolean scalar = shape.length == 0;
        if (!(Arrays.equals(t.shape(), shape) || (scalar && t.numel() == 1))) {
            throw new LossArgumentException(functionalName() + ": " + what + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        for (int i = 0; i < args.length; i++) {
            if (args[i] == t || args[i].storage() == t.storage()) {
                throw new LossArgumentException(functionalName() + ": " + what + " is the argument "
                        + argumentNames().get(i) + ", expected a separate tensor");
            }
        }
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
        boolean full = kernel.writesEveryElement();
        Tensor out = !wantLoss ? null
                : full ? backend.empty(DType.FLOAT32, p.outputShape()) : backend.zeros(DType.FLOAT32, p.outputShape());
        List<String> diff = differentiableArguments();
        Tensor[] grads = new Tensor[diff.size()];
        Map<String, Tensor> byName = new LinkedHashMap<>();
        try {
            if (wantGrad) {
                for (int i = 0; i < grads.length; i++) {
                    String n = diff.get(i);
                    long[] shape = args[argumentNames().indexOf(n)].shape();
                    grads[i] = full ? backend.empty(DType.FLOAT32, shape) : backend.zeros(DType.FLOAT32, shape);
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
