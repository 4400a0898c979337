package dev.jloss.backend.device;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.MultiLabelSoftMarginLossPlan;

/**
 * MultiLabelSoftMarginLoss on a GPU backend ({@code kernels-cl/multilabel_soft_margin_loss.cl},
 * {@code kernels-cu/multilabel_soft_margin_loss.cu}): {@code multilabel_soft_margin_loss_forward_backward}
 * writes each row's loss or its work-group's partial sum and the gradient in one pass, one
 * work-group per row for rows of at least {@link #WIDE_CLASSES} terms (on a CPU device one
 * work-item of each group takes the group's rows) and one work-item per row below that; {@code reduce_partials} finishes a reduced loss in a fixed order. Input, target and
 * weight are read through their broadcast strides. When the input itself is broadcast, its
 * gradient is written per element of the broadcast shape into a temporary and folded back to the
 * input's shape by {@code broadcast_sum}, which adds each input element's terms in a fixed order.
 */
final class MultiLabelSoftMarginLossDevice implements LossKernel<MultiLabelSoftMarginLossPlan> {
    /** Rows with at least this many terms get a work-group each; shorter rows one work-item each. */
    static final long WIDE_CLASSES = 32;

    /**
     * {@code flags} bits of {@code multilabel_soft_margin_loss_forward_backward}:
     * {@code MULTILABEL_SOFT_MARGIN_FLAG_<NAME>} in multilabel_soft_margin_loss.cl.
     */
    static final class Flags {
        static final int STORE_OUT = 1;
        static final int PARTIALS = 2;
        static final int GO_PER_ROW = 4;
        static final int MEAN = 8;
        static final int WIDE = 16;
    }

    private final DeviceBackend dev;

    MultiLabelSoftMarginLossDevice(DeviceBackend dev) {
        this.dev = dev;
    }

    @Override
    public void run(MultiLabelSoftMarginLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long rows = p.rows();
        long classes = p.classes();
        boolean none = p.reduction() == Reduction.NONE;
        Tensor grad = grads[0];
        if (rows == 0 && (none || out == null)) {
            return; // nothing to write: empty outputs, and a zero gradient (already zero-filled)
        }
        boolean wide = classes >= WIDE_CLASSES;
        long groups = wide ? Math.max(1, Math.min(rows, dev.computeUnits() * 8L)) : dev.groupsFor(rows);
        int flags = (none ? Flags.GO_PER_ROW : 0) | (p.reduction() == Reduction.MEAN ? Flags.MEAN : 0)
                | (wide ? Flags.WIDE : 0);
        if (out != null) {
            flags |= none ? Flags.STORE_OUT : Flags.PARTIALS;
        }
        long[] shape = p.shape();
        int axis = p.classAxis();
        long[] full = contiguousStrides(shape);
        long[] weightStrides = p.weight() == null ? new long[shape.length] : p.weightStrides();
        long[] rowShape = p.rowShape();
        int nd = rowShape.length;
        long[] m = new long[1 + 5 * nd];
        m[0] = nd;
        System.arraycopy(rowShape, 0, m, 1, nd);
        copyWithout(p.inputStrides(), axis, m, 1 + nd);
        copyWithout(p.targetStrides(), axis, m, 1 + 2 * nd);
        copyWithout(weightStrides, axis, m, 1 + 3 * nd);
        copyWithout(full, axis, m, 1 + 4 * nd);
        boolean fold = grad != null && p.inputBroadcast();
        Object meta = null;
        Object w = null;
        Object partials = null;
        Object temp = null;
        Object foldMeta = null;
        try {
            meta = dev.constant(m);
            if (p.weight() != null) {
                w = dev.constant(p.weight());
            }
            if ((flags & Flags.PARTIALS) != 0) {
                partials = dev.allocate(groups * dev.accBytes());
            }
            if (fold) {
                temp = dev.allocate(Tensor.numel(shape) * 4);
            }
            multilabelSoftMarginLossForwardBackward(groups,
                    DeviceBackend.handle(args[0]), DeviceBackend.handle(args[1]), w, meta,
                    rows, classes, p.divisor(), p.inputStrides()[axis], p.targetStrides()[axis],
                    weightStrides[axis], full[axis], flags,
                    none ? DeviceBackend.handle(out) : null, partials, DeviceBackend.handle(gradOutput),
                    fold ? temp : DeviceBackend.handle(grad));
            if (partials != null) {
                float divisor = p.reduction() == Reduction.MEAN ? rows : 1;
                dev.reducePartials(partials, groups, divisor, DeviceBackend.handle(out));
            }
            if (fold && Tensor.numel(shape) > 0) {
                long[] bm = new long[1 + 2 * shape.length];
                bm[0] = shape.length;
                System.arraycopy(shape, 0, bm, 1, shape.length);
                System.arraycopy(p.inputStrides(), 0, bm, 1 + shape.length, shape.length);
                foldMeta = dev.constant(bm);
                dev.broadcastSum(temp, foldMeta, DeviceBackend.handle(grad), grad.numel());
            }
        } finally {
            dev.release(meta);
            dev.release(w);
            dev.release(partials);
            dev.release(temp);
            dev.release(foldMeta);
        }
    }

    /**
     * {@code multilabel_soft_margin_loss_forward_backward} (multilabel_soft_margin_loss.cl) over
     * {@code groups} work-groups; {@code xc}, {@code yc}, {@code wc}, {@code gc} are the class axis's
     * strides in the input, target, weight and gradient.
     */
    private void multilabelSoftMarginLossForwardBackward(long groups, Object x, Object y, Object w, Object meta,
                                                         long rows, long classes, long divisor, long xc, long yc,
                                                         long wc, long gc, int flags, Object out, Object partials,
                                                         Object go, Object g) {
        dev.launch("multilabel_soft_margin_loss", "multilabel_soft_margin_loss_forward_backward", "", groups, x, y,
                w, meta, rows, classes, divisor, xc, yc, wc, gc, flags, out, partials, go, g);
    }

    /** Row-major strides of {@code shape}. */
    private static long[] contiguousStrides(long[] shape) {
        long[] s = new long[shape.length];
        long n = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = n;
            n *= shape[d];
        }
        return s;
    }

    /** Copies {@code strides} without dimension {@code axis} into {@code dst} at {@code at}. */
    private static void copyWithout(long[] strides, int axis, long[] dst, int at) {
        for (int d = 0, k = at; d < strides.length; d++) {
            if (d != axis) {
                dst[k++] = strides[d];
            }
        }
    }
}
