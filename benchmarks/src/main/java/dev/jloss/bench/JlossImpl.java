package dev.jloss.bench;

import dev.jloss.Backend;
import dev.jloss.DType;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Tensor;
import dev.jloss.backend.Backends;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.Losses;
import java.util.ArrayList;
import java.util.List;

/** jloss on one backend ({@code cpu}, {@code opencl}, {@code cuda}), the case's tensors uploaded once. */
public final class JlossImpl implements Impl {
    private final Backend backend;
    private final Loss loss;
    private final Tensor[] args;
    private final Tensor gradOutput;

    /**
     * Throws {@link dev.jloss.BackendException} when the backend is unavailable, and
     * {@link Unavailable} when this build of jloss lacks the loss class.
     */
    public JlossImpl(String backendName, HostInputs in) {
        Loss l;
        try {
            l = Losses.create(in.kase.loss(), Cases.options(in.kase));
        } catch (IllegalStateException e) {
            throw new Unavailable("jloss has no " + Losses.className(in.kase.loss()) + " class on this branch");
        }
        this.loss = l;
        this.backend = Backends.named(backendName);
        this.args = new Tensor[in.size()];
        for (int i = 0; i < args.length; i++) {
            Cases.Arg a = in.arg(i);
            args[i] = a.dtype() == DType.FLOAT32 ? backend.tensor(in.floats[i], a.shape())
                    : backend.tensor(in.longs[i], a.shape());
        }
        this.gradOutput = backend.tensor(new float[] {GRAD_OUTPUT});
    }

    /** An implementation that cannot run here, with the reason. */
    public static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Unavailable(String reason) {
            super(reason);
        }
    }

    public Backend backend() {
        return backend;
    }

    public Loss loss() {
        return loss;
    }

    private void sync() {
        if (backend instanceof DeviceBackend d) {
            d.synchronize();
        }
    }

    @Override
    public Object run(Op op) {
        switch (op) {
            case FORWARD -> {
                Tensor t = loss.forward(args);
                sync();
                t.close();
                return t;
            }
            case BACKWARD -> {
                LossResult r = loss.backward(gradOutput, args);
                sync();
                r.close();
                return r;
            }
            default -> {
                LossResult r = loss.forwardBackward(args);
                sync();
                r.close();
                return r;
            }
        }
    }

    @Override
    public Outputs outputs(Op op) {
        switch (op) {
            case FORWARD -> {
                try (Tensor t = loss.forward(args)) {
                    return new Outputs(t.item(), List.of());
                }
            }
            case BACKWARD -> {
                try (LossResult r = loss.backward(gradOutput, args)) {
                    return new Outputs(Double.NaN, grads(r));
                }
            }
            default -> {
                try (LossResult r = loss.forwardBackward(args)) {
                    return new Outputs(r.loss().item(), grads(r));
                }
            }
        }
    }

    private List<float[]> grads(LossResult r) {
        List<float[]> g = new ArrayList<>();
        for (String n : loss.differentiableArguments()) {
            g.add(r.grad(n).toFloatArray());
        }
        return g;
    }

    @Override
    public void close() {
        for (Tensor t : args) {
            t.close();
        }
        gradOutput.close();
        backend.close();
    }
}
