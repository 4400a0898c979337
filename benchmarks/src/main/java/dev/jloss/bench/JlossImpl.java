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
import java.util.Arrays;
import java.util.List;

/**
 * jloss on one backend ({@code cpu}, {@code opencl}, {@code cuda}), the case's tensors uploaded once.
 * With {@code into}, every call writes into an output tensor and gradient tensors allocated here once
 * and reused ({@link Loss#forwardInto}, {@link Loss#backwardInto}, {@link Loss#forwardBackwardInto}),
 * as a training loop that keeps its buffers would; without, each call allocates its results
 * ({@link Loss#forward}, ...) and closes them afterwards.
 */
public final class JlossImpl implements Impl {
    private final Backend backend;
    private final Loss loss;
    private final Tensor[] args;
    private final Tensor gradOutput;
    private final boolean into;
    /** The reused output (into only). */
    private Tensor out;
    /** The reused gradients, one per differentiable argument (into only). */
    private Tensor[] grads;

    /** The allocating calls: the reference the check compares every implementation with. */
    public JlossImpl(String backendName, HostInputs in) {
        this(backendName, in, false);
    }

    /**
     * Throws {@link dev.jloss.BackendException} when the backend is unavailable, and
     * {@link Unavailable} when this build of jloss lacks the loss class.
     */
    public JlossImpl(String backendName, HostInputs in, boolean into) {
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
        this.into = into;
        if (into) {
            try (Tensor probe = loss.forward(args)) {
                out = backend.zeros(DType.FLOAT32, probe.shape());
            }
            List<String> names = loss.argumentNames();
            List<String> diff = loss.differentiableArguments();
            grads = new Tensor[diff.size()];
            for (int k = 0; k < grads.length; k++) {
                grads[k] = backend.zeros(DType.FLOAT32, args[names.indexOf(diff.get(k))].shape());
            }
        }
    }

    /** Whether the calls write into reused tensors. */
    public boolean into() {
        return into;
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
        if (into) {
            switch (op) {
                case FORWARD -> loss.forwardInto(out, args);
                case BACKWARD -> loss.backwardInto(gradOutput, null, grads, args);
                default -> loss.forwardBackwardInto(out, grads, args);
            }
            sync();
            return out;
        }
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
        if (into) {
            // NOTE: the timed calls' path, so the check covers what is timed, into NaN-filled tensors, so
            // an element the call leaves unwritten shows as a mismatch, not as the previous op's value
            out = poisoned(out);
            for (int k = 0; k < grads.length; k++) {
                grads[k] = poisoned(grads[k]);
            }
            run(op);
            List<float[]> g = new ArrayList<>();
            if (op != Op.FORWARD) {
                for (Tensor t : grads) {
                    g.add(t.toFloatArray());
                }
            }
            return new Outputs(op == Op.BACKWARD ? Double.NaN : out.item(), g);
        }
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

    /** A tensor of {@code t}'s shape filled with NaN, in place of {@code t} (closed). */
    private Tensor poisoned(Tensor t) {
        float[] nan = new float[(int) t.numel()];
        Arrays.fill(nan, Float.NaN);
        long[] shape = t.shape();
        t.close();
        return backend.tensor(nan, shape);
    }

    @Override
    public void close() {
        if (out != null) {
            out.close();
            for (Tensor t : grads) {
                t.close();
            }
        }
        for (Tensor t : args) {
            t.close();
        }
        gradOutput.close();
        backend.close();
    }
}
