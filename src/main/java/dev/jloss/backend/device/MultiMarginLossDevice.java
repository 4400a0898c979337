package dev.jloss.backend.device;

import dev.jloss.DType;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.MultiMarginLossPlan;

/**
 * MultiMarginLoss on a GPU backend ({@code kernels-cl/multi_margin_loss.cl},
 * {@code kernels-cu/multi_margin_loss.cu}): {@code multi_margin_loss_forward_backward} writes each
 * row's loss or its work-group's partial sum and the gradient in one pass, one work-group per row
 * for rows of at least {@link #WIDE_CLASSES} classes (on a CPU device one work-item of each group
 * takes the group's rows) and one work-item per row below that; {@code reduce_partials} finishes a
 * reduced loss in a fixed order. A class index out of range is
 * flagged on the device and becomes the CPU backend's exception when a result is read.
 */
final class MultiMarginLossDevice implements LossKernel<MultiMarginLossPlan> {
    /** Rows at least this long get a work-group each; shorter rows one work-item each. */
    static final long WIDE_CLASSES = 32;

    /**
     * {@code flags} bits of {@code multi_margin_loss_forward_backward}:
     * {@code MULTI_MARGIN_FLAG_<NAME>} in multi_margin_loss.cl.
     */
    static final class Flags {
        static final int STORE_OUT = 1;
        static final int PARTIALS = 2;
        static final int GO_PER_ROW = 4;
        static final int MEAN = 8;
        static final int WIDE = 16;
    }

    private final DeviceBackend dev;

    MultiMarginLossDevice(DeviceBackend dev) {
        this.dev = dev;
    }

    @Override
    public void run(MultiMarginLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long rows = p.rows();
        long classes = p.classes();
        boolean none = p.reduction() == Reduction.NONE;
        Tensor grad = grads[0];
        if (rows == 0 && (none || out == null)) {
            return; // nothing to write: empty outputs, and the gradient of an empty input
        }
        boolean wide = classes >= WIDE_CLASSES;
        long groups = wide ? Math.max(1, Math.min(rows, dev.computeUnits() * 8L)) : dev.groupsFor(rows);
        int flags = (none ? Flags.GO_PER_ROW : 0) | (p.reduction() == Reduction.MEAN ? Flags.MEAN : 0)
                | (wide ? Flags.WIDE : 0);
        if (out != null) {
            flags |= none ? Flags.STORE_OUT : Flags.PARTIALS;
        }
        boolean int64 = p.targetType() == DType.INT64;
        Object w = null;
        Object partials = null;
        DeviceError err = dev.newError(i -> describe(p, args, i));
        try {
            if (p.weight() != null) {
                w = dev.constant(p.weight());
            }
            if ((flags & Flags.PARTIALS) != 0) {
                partials = dev.allocate(groups * dev.accBytes());
            }
            Object target = DeviceBackend.handle(args[1]);
            multiMarginLossForwardBackward(groups,
                    DeviceBackend.handle(args[0]), int64 ? target : null, int64 ? null : target, w,
                    rows, classes, p.p(), (float) p.margin(), flags,
                    none ? DeviceBackend.handle(out) : null, partials, DeviceBackend.handle(gradOutput),
                    DeviceBackend.handle(grad), err.flag());
            if (partials != null) {
                float divisor = p.reduction() == Reduction.MEAN ? rows : 1;
                dev.reducePartials(partials, groups, divisor, DeviceBackend.handle(out));
            }
            DeviceBackend.attach(err, out, grad);
            err = null;
        } finally {
            dev.release(w);
            dev.release(partials);
            if (err != null) {
                err.release();
            }
        }
    }

    /** {@code multi_margin_loss_forward_backward} (multi_margin_loss.cl) over {@code groups} work-groups. */
    private void multiMarginLossForwardBackward(long groups, Object x, Object target64, Object target32, Object w,
                                                long rows, long classes, int p, float margin, int flags, Object out,
                                                Object partials, Object go, Object gx, Object err) {
        dev.launch("multi_margin_loss", "multi_margin_loss_forward_backward", "", groups, x, target64, target32, w,
                rows, classes, p, margin, flags, out, partials, go, gx, err);
    }

    /** The CPU backend's message for the out-of-range class index of row {@code row}. */
    private RuntimeException describe(MultiMarginLossPlan p, Tensor[] args, int row) {
        long y = (long) dev.readElement(args[1], row);
        return p.targetOutOfBounds(y, row);
    }
}
