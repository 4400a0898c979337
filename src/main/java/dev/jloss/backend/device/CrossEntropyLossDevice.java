package dev.jloss.backend.device;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.CrossEntropyLossPlan;
import dev.jloss.plan.LossKernel;

/**
 * CrossEntropyLoss on a GPU backend ({@code kernels-cl/cross_entropy.cl}, {@code kernels-cu/cross_entropy.cu}),
 * the CPU kernel's semantics (class indices or probabilities, weight, ignore_index, label smoothing,
 * unbatched and K-dim). {@code cross_entropy_forward_backward} makes one sweep over each position's
 * logits with an online maximum and logsumexp and writes the loss (or its work-group's partial sum)
 * and, reading the logits once more, the gradient, in one launch: rows without K-dim of at least
 * {@link #WIDE_CLASSES} classes get a work-group each (on a CPU device one work-item of each group
 * takes the group's rows), narrower rows and K-dim positions a work-item each. {@code reduce_partials}
 * finishes {@code sum} and {@code mean} in a fixed order. A forward-only class-index mean sums the
 * targets' weights (its denominator) in the same launch; one that writes the gradient sums them first
 * into a device scalar ({@link ClassTargetsDevice#weightSum}) that the gradient reads. Nothing is
 * read back to the host during a call; a target out of range is flagged on the device and becomes
 * the CPU backend's exception when a result is read.
 *
 * <p>softcap and lse_square_scale (z-loss) go to the kernel as scalars (0: off). A weighted mean with
 * z-loss also needs the count of positions not ignored (the z part's denominator, Liger-Kernel's
 * convention): it takes the denominator-first route for the weight sum, and a second
 * {@link ClassTargetsDevice#weightSum} without weights gives the count.
 */
final class CrossEntropyLossDevice implements LossKernel<CrossEntropyLossPlan> {
    /** Rows (without K-dim) at least this long get a work-group each; shorter rows a work-item each. */
    static final long WIDE_CLASSES = 64;

    /**
     * {@code flags} bits of {@code cross_entropy_forward_backward}:
     * {@code CROSS_ENTROPY_FLAG_<NAME>} in cross_entropy.cl.
     */
    static final class Flags {
        static final int STORE_OUT = 1;
        static final int PARTIALS = 2;
        static final int GO_PER_POSITION = 4;
        static final int MEAN = 8;
        static final int WIDE = 16;
        static final int DEN_PARTIALS = 32;
    }

    private final DeviceBackend dev;

    CrossEntropyLossDevice(DeviceBackend dev) {
        this.dev = dev;
    }

    @Override
    public void run(CrossEntropyLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long positions = p.positions();
        long classes = p.classes();
        boolean none = p.reduction() == Reduction.NONE;
        boolean mean = p.reduction() == Reduction.MEAN;
        boolean probabilities = p.probabilityTarget();
        Tensor grad = grads[0];
        Tensor target = args[1];
        if (positions == 0 || (probabilities && classes == 0)) {
            // every loss is an empty sum (0) and there is no gradient element; an empty mean is NaN
            if (!none) {
                dev.emptyReduction(out, mean);
            }
            return;
        }
        boolean wide = p.spatial() == 1 && classes >= WIDE_CLASSES;
        long groups = wide ? Math.min(positions, dev.computeUnits() * 8L) : dev.groupsFor(positions);
        boolean zCount = p.zNeedsCount();
        boolean denFirst = mean && !probabilities && (grad != null || zCount);
        int flags = (none ? Flags.GO_PER_POSITION : 0) | (mean ? Flags.MEAN : 0) | (wide ? Flags.WIDE : 0);
        if (out != null) {
            flags |= none ? Flags.STORE_OUT : Flags.PARTIALS;
        }
        if (mean && !probabilities && out != null && !denFirst) {
            flags |= Flags.DEN_PARTIALS;
        }
        float[] weight = p.weight();
        double weightTotal = classes;
        if (weight != null) {
            weightTotal = 0;
            for (float v : weight) {
                weightTotal += v;
            }
        }
        Object w = null;
        Object den = null;
        Object partials = null;
        Object denPartials = null;
        Object count = null;
        DeviceError err = probabilities ? null : dev.newError(i -> ClassTargetsDevice.describe(dev, p.fn(), target,
                classes, p.ignoreIndex(), i));
        try {
            if (weight != null) {
                w = dev.constant(weight);
            }
            if (denFirst) {
                den = ClassTargetsDevice.weightSum(dev, target, w, positions, classes, p.ignoreIndex(), err);
            }
            if (zCount) {
                count = ClassTargetsDevice.weightSum(dev, target, null, positions, classes, p.ignoreIndex(), err);
            }
            if ((flags & Flags.PARTIALS) != 0) {
                partials = dev.allocate(groups * dev.accBytes());
            }
            if ((flags & Flags.DEN_PARTIALS) != 0) {
                denPartials = dev.allocate(groups * dev.accBytes());
            }
            crossEntropyForwardBackward(groups, DeviceBackend.handle(args[0]),
                    probabilities ? null : ClassTargetsDevice.int64(target),
                    probabilities ? null : ClassTargetsDevice.int32(target),
                    probabilities ? DeviceBackend.handle(target) : null, w,
                    positions, classes, p.spatial(), p.ignoreIndex(), (float) p.labelSmoothing(), (float) weightTotal,
                    flags, den, DeviceBackend.handle(gradOutput), none ? DeviceBackend.handle(out) : null, partials,
                    denPartials, DeviceBackend.handle(grad), err != null ? err.flag() : null, (float) p.softcap(),
                    (float) p.lseSquareScale(), count);
            if (partials != null) {
                // sum: over 1; probabilities: over the positions; class indices: over the targets'
                // weights, from this launch's partials or den
                Object d = denPartials != null ? denPartials : den;
                long nd = denPartials != null ? groups : den != null ? 1 : 0;
                float divisor = mean && probabilities ? positions : 1f;
                dev.reducePartials(partials, groups, d, nd, divisor, DeviceBackend.handle(out), null);
            }
            if (err != null) {
                DeviceBackend.attach(err, out, grad);
                err = null;
            }
        } finally {
            dev.release(w);
            dev.release(den);
            dev.release(partials);
            dev.release(denPartials);
            dev.release(count);
            if (err != null) {
                err.release();
            }
        }
    }

    /** {@code cross_entropy_forward_backward} (cross_entropy.cl) over {@code groups} work-groups. */
    private void crossEntropyForwardBackward(long groups, Object x, Object t64, Object t32, Object q, Object w,
                                             long positions, long classes, long spatial, long ignoreIndex,
                                             float labelSmoothing, float weightTotal, int flags, Object den, Object go,
                                             Object out, Object partials, Object denPartials, Object gx, Object err,
                                             float softcap, float lseSquareScale, Object zCount) {
        dev.launch("cross_entropy", "cross_entropy_forward_backward", "", groups, x, t64, t32, q, w, positions,
                classes, spatial, ignoreIndex, labelSmoothing, weightTotal, flags, den, go, out, partials,
                denPartials, gx, err, softcap, lseSquareScale, zCount);
    }
}
