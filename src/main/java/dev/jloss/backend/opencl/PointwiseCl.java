package dev.jloss.backend.opencl;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.LossKernel;
import dev.jloss.loss.Checks;
import dev.jloss.loss.PointwisePlan;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * Launches {@code kernels-cl/pointwise.cl} for every element-wise loss: one pass writing the
 * per-element loss or per-group partial sums, and the gradients; then {@code reduce_partials}
 * for a reduced loss and {@code broadcast_sum} for the gradient of a broadcast operand.
 */
final class PointwiseCl implements LossKernel<PointwisePlan> {
    private static final int STORE_OUT = 1;
    private static final int PARTIALS = 2;
    private static final int GO_PER_ELEMENT = 4;

    private final OpenClBackend cl;

    PointwiseCl(OpenClBackend cl) {
        this.cl = cl;
    }

    @Override
    public void run(PointwisePlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long n = p.numel();
        boolean none = p.reduction() == Reduction.NONE;
        boolean wantGrad = grads.length > 0 && grads[0] != null;
        int nd = p.outShape().length;
        cl_mem meta = null;
        cl_mem w = null;
        cl_mem pw = null;
        cl_mem partials = null;
        cl_mem[] g = new cl_mem[3];
        cl_mem[] temp = new cl_mem[3];
        long groups = cl.groupsFor(n);
        DeviceError err = p.term().expectation().isEmpty() ? null : cl.newError(i -> describe(p, args, i), 1 + grads.length);
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
                meta = cl.constant(m);
            }
            if (p.weight() != null) {
                w = cl.constant(p.weight());
            }
            if (p.posWeight() != null) {
                pw = cl.constant(p.posWeight());
            }
            if (wantGrad) {
                for (int k = 0; k < p.diff().length; k++) {
                    int op = p.diff()[k];
                    if (grads[k].numel() == n) {
                        g[op] = OpenClBackend.mem(grads[k]);
                    } else {
                        temp[op] = cl.allocate(n * 4);
                        g[op] = temp[op];
                    }
                }
            }
            int flags = 0;
            if (out != null && none) {
                flags |= STORE_OUT;
            }
            if (out != null && !none) {
                flags |= PARTIALS;
                partials = cl.allocate(groups * cl.accBytes());
            }
            if (none) {
                flags |= GO_PER_ELEMENT;
            }
            cl_mem errMem = err == null ? cl.allocate(4) : err.flag;
            cl_kernel kernel = cl.kernel("pointwise.cl", "-DTERM=" + p.term().ordinal(), "pointwise_forward_backward");
            cl.launch(kernel, groups,
                    OpenClBackend.mem(args[0]), args.length > 1 ? OpenClBackend.mem(args[1]) : null,
                    args.length > 2 ? OpenClBackend.mem(args[2]) : null, w, pw, meta,
                    n, p.term().ordinal(), args.length, p.contiguous() ? 1 : 0, flags, (float) p.p0(), (float) p.p1(),
                    none ? OpenClBackend.mem(out) : null, partials,
                    OpenClBackend.mem(gradOutput), none ? 1f : (float) (1 / p.divisor()),
                    g[0], g[1], g[2], errMem);
            if (err == null) {
                OpenClBackend.release(errMem);
            }
            if (partials != null) {
                cl.launch(cl.kernel("reduce.cl", "", "reduce_partials"), 1,
                        partials, groups, null, 0L, (float) p.divisor(), OpenClBackend.mem(out), null);
            }
            for (int k = 0; wantGrad && k < p.diff().length; k++) {
                int op = p.diff()[k];
                if (temp[op] != null) {
                    long[] m = new long[1 + 2 * nd];
                    m[0] = nd;
                    System.arraycopy(p.outShape(), 0, m, 1, nd);
                    System.arraycopy(p.strides()[op], 0, m, 1 + nd, nd);
                    cl_mem bm = cl.constant(m);
                    cl.launch(cl.kernel("reduce.cl", "", "broadcast_sum"), cl.groupsFor(grads[k].numel()),
                            temp[op], bm, OpenClBackend.mem(grads[k]), grads[k].numel());
                    OpenClBackend.release(bm);
                }
            }
            if (err != null) {
                Tensor[] results = new Tensor[1 + grads.length];
                results[0] = out;
                System.arraycopy(grads, 0, results, 1, grads.length);
                OpenClBackend.attach(err, results);
                err = null;
            }
        } finally {
            OpenClBackend.release(meta);
            OpenClBackend.release(w);
            OpenClBackend.release(pw);
            OpenClBackend.release(partials);
            for (cl_mem t : temp) {
                OpenClBackend.release(t);
            }
            if (err != null) {
                err.release();
            }
        }
    }

    /** The CPU backend's message for the invalid element at output index {@code i}. */
    private RuntimeException describe(PointwisePlan p, Tensor[] args, int i) {
        double a = readAt(p, args, 0, i);
        double b = args.length > 1 ? readAt(p, args, 1, i) : 0;
        double c = args.length > 2 ? readAt(p, args, 2, i) : 0;
        int bad = p.term().invalidOperand(a, b, c);
        if (bad < 0) {
            return new IllegalStateException("internal error: the device flagged element " + i + " of " + p.fn()
                    + " but it is valid on the host");
        }
        double bv = bad == 0 ? a : bad == 1 ? b : c;
        return Checks.fail(p.fn(), "%s element %d is %s, expected %s", p.argNames()[bad], offset(p, bad, i),
                (float) bv, p.term().expectation());
    }

    private long offset(PointwisePlan p, int op, long i) {
        long[] shape = p.outShape();
        long off = 0;
        long rem = i;
        for (int d = shape.length - 1; d >= 0; d--) {
            off += (rem % shape[d]) * p.strides()[op][d];
            rem /= shape[d];
        }
        return off;
    }

    private double readAt(PointwisePlan p, Tensor[] args, int op, long i) {
        return cl.readElement(args[op], offset(p, op, i));
    }
}
