package dev.jloss.backend.device;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.MultiLabelMarginLossPlan;

/**
 * MultiLabelMarginLoss on a GPU backend ({@code kernels-cl/multilabel_margin_loss.cl},
 * {@code kernels-cu/multilabel_margin_loss.cu}): {@code multilabel_margin_loss_forward_backward}
 * checks each row's labels and writes its loss or its work-group's partial sum and the gradient in
 * one pass; {@code reduce_partials} finishes a reduced loss in a fixed order. Rows of more than
 * {@link #NARROW_CLASSES} classes take a work-group each (on a CPU device one work-item of each
 * group takes the group's rows), with a zeroed scratch mask of the row's targets per work-group;
 * shorter rows take one work-item each, their targets a 32-bit mask. An
 * invalid label is flagged on the device and becomes the CPU backend's exception when a result is
 * read.
 */
final class MultiLabelMarginLossDevice implements LossKernel<MultiLabelMarginLossPlan> {
    /** Rows up to this long take one work-item each (the kernel's bit mask holds 32 classes). */
    static final long NARROW_CLASSES = 32;
    /** At most this much scratch (the wide rows' target masks) per call; fewer work-groups beyond. */
    private static final long SCRATCH_BYTES = 64L << 20;

    /**
     * {@code flags} bits of {@code multilabel_margin_loss_forward_backward}:
     * {@code MULTILABEL_MARGIN_FLAG_<NAME>} in multilabel_margin_loss.cl.
     */
    static final class Flags {
        static final int STORE_OUT = 1;
        static final int PARTIALS = 2;
        static final int GO_PER_ROW = 4;
        static final int MEAN = 8;
        static final int WIDE = 16;
    }

    private final DeviceBackend dev;

    MultiLabelMarginLossDevice(DeviceBackend dev) {
        this.dev = dev;
    }

    @Override
    public void run(MultiLabelMarginLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long rows = p.rows();
        long classes = p.classes();
        boolean none = p.reduction() == Reduction.NONE;
        Tensor grad = grads[0];
        if (rows == 0 && (none || out == null)) {
            return; // nothing to write: empty outputs, and the gradient of an empty input
        }
        boolean wide = classes > NARROW_CLASSES;
        long groups = wide
                ? Math.max(1, Math.min(Math.min(rows, dev.computeUnits() * 8L), SCRATCH_BYTES / (4 * classes)))
                : dev.groupsFor(rows);
        int flags = (none ? Flags.GO_PER_ROW : 0) | (p.reduction() == Reduction.MEAN ? Flags.MEAN : 0)
                | (wide ? Flags.WIDE : 0);
        if (out != null) {
            flags |= none ? Flags.STORE_OUT : Flags.PARTIALS;
        }
        Object mask = null;
        Object partials = null;
        DeviceError err = dev.newError(i -> describe(p, args, i));
        try {
            if (wide) {
                long bytes = groups * classes * 4;
                mask = dev.allocate(bytes);
                dev.fill(mask, bytes, 0);
            }
            if ((flags & Flags.PARTIALS) != 0) {
                partials = dev.allocate(groups * dev.accBytes());
            }
            multilabelMarginLossForwardBackward(groups, DeviceBackend.handle(args[0]), DeviceBackend.handle(args[1]),
                    rows, classes, flags, mask,
                    none ? DeviceBackend.handle(out) : null, partials, DeviceBackend.handle(gradOutput),
                    DeviceBackend.handle(grad), err.flag());
            if (partials != null) {
                float divisor = p.reduction() == Reduction.MEAN ? rows : 1;
                dev.reducePartials(partials, groups, divisor, DeviceBackend.handle(out));
            }
            DeviceBackend.attach(err, out, grad);
            err = null;
        } finally {
            dev.release(mask);
            dev.release(partials);
            if (err != null) {
                err.release();
            }
        }
    }

    /** {@code multilabel_margin_loss_forward_backward} (multilabel_margin_loss.cl) over {@code groups} work-groups. */
    private void multilabelMarginLossForwardBackward(long groups, Object x, Object target, long rows, long classes,
                                                     int flags, Object isTarget, Object out, Object partials,
                                                     Object go, Object gx, Object err) {
        dev.launch("multilabel_margin_loss", "multilabel_margin_loss_forward_backward", "", groups, x, target, rows,
                classes, flags, isTarget, out, partials, go, gx, err);
    }

    /** The CPU backend's message for the invalid target entry at flat index {@code i}. */
    private RuntimeException describe(MultiLabelMarginLossPlan p, Tensor[] args, int i) {
        long c = p.classes();
        long v = (long) dev.readElement(args[1], i);
        return p.badTarget(i % c, i / c, v);
    }
}
