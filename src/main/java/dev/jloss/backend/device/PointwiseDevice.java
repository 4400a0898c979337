package dev.jloss.backend.device;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.PointwisePlan;

/**
 * Every element-wise loss on a GPU backend ({@code kernels-cl/pointwise.cl}, {@code kernels-cu/pointwise.cu}):
 * {@code pointwise_forward_backward} writes the per-element loss or per-group partial sums and the
 * gradients in one pass; {@code reduce_partials} finishes a reduced loss in a fixed order;
 * {@code broadcast_sum} folds the gradient of a broadcast operand back to its shape.
 */
final class PointwiseDevice implements LossKernel<PointwisePlan> {
    /** {@code flags} bits of {@code pointwise_forward_backward}: {@code PW_FLAG_<NAME>} in pointwise.cl. */
    static final class Flags {
        static final int STORE_OUT = 1;
        static final int PARTIALS = 2;
        static final int GO_PER_ELEMENT = 4;
    }

    private final DeviceBackend dev;

    PointwiseDevice(DeviceBackend dev) {
        this.dev = dev;
    }

    @Override
    public void run(PointwisePlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long n = p.numel();
        boolean none = p.reduction() == Reduction.NONE;
        boolean wantGrad = grads.length > 0 && grads[0] != null;
        int nd = p.outShape().length;
        Object meta = null;
        Object w = null;
        Object pw = null;
        Object partials = null;
        Object[] g = new Object[3];
        Object[] temp = new Object[3];
        Object errBuf = null;
        int checked = p.term().checkedOperand();
        if (n == 0 && checked >= 0) {
            // no work-item reads the checked operand of an empty output, yet PyTorch checks all of it
            float[] values = args[checked].toFloatArray();
            for (int j = 0; j < values.length; j++) {
                if (!p.term().valid(values[j])) {
                    throw p.invalidElement(checked, j, values[j]);
                }
            }
        }
        long groups = dev.groupsFor(n);
        DeviceError err = p.term().expectation().isEmpty() ? null : dev.newError(i -> describe(p, args, i));
        try {
            if (!p.contiguous()) {
                long[] m = new long[1 + 6 * nd];
                m[0] = nd;
                System.arraycopy(p.outShape(), 0, m, 1, nd);
                for (int k = 0; k < p.strides().length; k++) {
                    System.arraycopy(p.strides()[k], 0, m, 1 + nd * (k + 1), nd);
                }
                if (p.weight() != null) {
                    System.arraycopy(p.weightStrides(), 0, m, 1 + nd * 4, nd);
                }
                if (p.posWeight() != null) {
                    System.arraycopy(p.posWeightStrides(), 0, m, 1 + nd * 5, nd);
                }
                meta = dev.constant(m);
            }
            if (p.weight() != null) {
                w = dev.constant(p.weight());
            }
            if (p.posWeight() != null) {
                pw = dev.constant(p.posWeight());
            }
            if (wantGrad) {
                for (int k = 0; k < p.diff().length; k++) {
                    int op = p.diff()[k];
                    if (grads[k].numel() == n) {
                        g[op] = DeviceBackend.handle(grads[k]);
                    } else {
                        temp[op] = dev.allocate(n * 4);
                        g[op] = temp[op];
                    }
                }
            }
            int flags = none ? Flags.GO_PER_ELEMENT : 0;
            if (out != null && none) {
                flags |= Flags.STORE_OUT;
            }
            if (out != null && !none) {
                flags |= Flags.PARTIALS;
                partials = dev.allocate(groups * dev.accBytes());
            }
            if (err == null) {
                errBuf = dev.allocate(4);
            }
            pointwiseForwardBackward(groups,
                    DeviceBackend.handle(args[0]), args.length > 1 ? DeviceBackend.handle(args[1]) : null,
                    args.length > 2 ? DeviceBackend.handle(args[2]) : null, w, pw, meta,
                    n, p.term().ordinal(), args.length, p.contiguous() ? 1 : 0, flags, (float) p.p0(), (float) p.p1(),
                    none ? DeviceBackend.handle(out) : null, partials,
                    DeviceBackend.handle(gradOutput), none ? 1f : (float) (1 / p.divisor()),
                    g[0], g[1], g[2], err != null ? err.flag() : errBuf);
            if (partials != null) {
                dev.reducePartials(partials, groups, (float) p.divisor(), DeviceBackend.handle(out));
            }
            for (int k = 0; wantGrad && k < p.diff().length; k++) {
                int op = p.diff()[k];
                if (temp[op] != null) {
                    long[] m = new long[1 + 2 * nd];
                    m[0] = nd;
                    System.arraycopy(p.outShape(), 0, m, 1, nd);
                    System.arraycopy(p.strides()[op], 0, m, 1 + nd, nd);
                    Object bm = dev.constant(m);
                    dev.broadcastSum(temp[op], bm, DeviceBackend.handle(grads[k]), grads[k].numel());
                    dev.release(bm);
                }
            }
            if (err != null) {
                Tensor[] results = new Tensor[1 + grads.length];
                results[0] = out;
                System.arraycopy(grads, 0, results, 1, grads.length);
                DeviceBackend.attach(err, results);
                err = null;
            }
        } finally {
            dev.release(meta);
            dev.release(w);
            dev.release(pw);
            dev.release(partials);
            dev.release(errBuf);
            for (Object t : temp) {
                dev.release(t);
            }
            if (err != null) {
                err.release();
            }
        }
    }

    /**
     * {@code pointwise_forward_backward} (pointwise.cl) over {@code groups} work-groups. OpenCL builds
     * it for {@code term} alone ({@code -DTERM}, so the term's switches fold away); CUDA switches on
     * the uniform argument.
     */
    private void pointwiseForwardBackward(long groups, Object a, Object b, Object c, Object w, Object pw, Object meta,
                                          long n, int term, int nops, int contiguous, int flags, float p0, float p1,
                                          Object out, Object partials, Object go, float invDivisor,
                                          Object ga, Object gb, Object gc, Object err) {
        dev.launch("pointwise", "pointwise_forward_backward", "-DTERM=" + term, groups, a, b, c, w, pw, meta,
                n, term, nops, contiguous, flags, p0, p1, out, partials, go, invDivisor, ga, gb, gc, err);
    }

    /** The CPU backend's message for the invalid element at output index {@code i}. */
    private RuntimeException describe(PointwisePlan p, Tensor[] args, int i) {
        double a = dev.readElement(args[0], offset(p, 0, i));
        double b = args.length > 1 ? dev.readElement(args[1], offset(p, 1, i)) : 0;
        double c = args.length > 2 ? dev.readElement(args[2], offset(p, 2, i)) : 0;
        int bad = p.term().invalidOperand(a, b, c);
        if (bad < 0) {
            return new IllegalStateException("internal error: the device flagged element " + i + " of " + p.fn()
                    + " but it is valid on the host");
        }
        double bv = bad == 0 ? a : bad == 1 ? b : c;
        return p.invalidElement(bad, offset(p, bad, i), (float) bv);
    }

    private static long offset(PointwisePlan p, int op, long i) {
        long[] shape = p.outShape();
        long off = 0;
        long rem = i;
        for (int d = shape.length - 1; d >= 0; d--) {
            off += (rem % shape[d]) * p.strides()[op][d];
            rem /= shape[d];
        }
        return off;
    }
}
