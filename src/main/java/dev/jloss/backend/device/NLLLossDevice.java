package dev.jloss.backend.device;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.NLLLossPlan;

/**
 * NLLLoss on a GPU backend ({@code kernels-cl/nll_loss.cl}, {@code kernels-cu/nll_loss.cu}), the CPU
 * kernel's semantics: {@code nll_loss_forward_backward} gives each target position a work-item, which
 * reads its target and the one input element it picks and writes the loss (or its work-group's
 * partial sum) and that element's gradient in one launch; {@code reduce_partials} finishes
 * {@code sum} and {@code mean} in a fixed order. A forward-only mean sums the targets' weights (its
 * denominator) in the same launch; a mean that writes the gradient sums them first into a device
 * scalar ({@link ClassTargetsDevice#weightSum}) that the gradient reads. Nothing is read back to the
 * host during a call; a target out of range is flagged on the device and becomes the CPU backend's
 * exception when a result is read.
 */
final class NLLLossDevice implements LossKernel<NLLLossPlan> {
    /** {@code flags} bits of {@code nll_loss_forward_backward}: {@code NLL_LOSS_FLAG_<NAME>} in nll_loss.cl. */
    static final class Flags {
        static final int STORE_OUT = 1;
        static final int PARTIALS = 2;
        static final int GO_PER_POSITION = 4;
        static final int DEN_PARTIALS = 8;
    }

    private final DeviceBackend dev;

    NLLLossDevice(DeviceBackend dev) {
        this.dev = dev;
    }

    @Override
    public void run(NLLLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long positions = p.positions();
        boolean none = p.reduction() == Reduction.NONE;
        boolean mean = p.reduction() == Reduction.MEAN;
        Tensor grad = grads[0];
        Tensor target = args[1];
        if (positions == 0) {
            if (!none) {
                dev.emptyReduction(out, mean);
            }
            return;
        }
        long groups = dev.groupsFor(positions);
        boolean denFirst = mean && grad != null;
        int flags = none ? Flags.GO_PER_POSITION : 0;
        if (out != null) {
            flags |= none ? Flags.STORE_OUT : Flags.PARTIALS;
        }
        if (mean && out != null && !denFirst) {
            flags |= Flags.DEN_PARTIALS;
        }
        Object w = null;
        Object den = null;
        Object partials = null;
        Object denPartials = null;
        DeviceError err = dev.newError(i -> ClassTargetsDevice.describe(dev, p.fn(), target, p.classes(),
                p.ignoreIndex(), i));
        try {
            if (p.weight() != null) {
                w = dev.constant(p.weight());
            }
            if (denFirst) {
                den = ClassTargetsDevice.weightSum(dev, target, w, positions, p.classes(), p.ignoreIndex(), err);
            }
            if ((flags & Flags.PARTIALS) != 0) {
                partials = dev.allocate(groups * dev.accBytes());
            }
            if ((flags & Flags.DEN_PARTIALS) != 0) {
                denPartials = dev.allocate(groups * dev.accBytes());
            }
            nllLossForwardBackward(groups, DeviceBackend.handle(args[0]), ClassTargetsDevice.int64(target),
                    ClassTargetsDevice.int32(target), w, positions, p.classes(), p.spatial(), p.ignoreIndex(), flags,
                    den, DeviceBackend.handle(gradOutput), none ? DeviceBackend.handle(out) : null, partials,
                    denPartials, DeviceBackend.handle(grad), err.flag());
            if (partials != null) {
                // sum: over 1; a mean: over the targets' weights, from this launch's partials or den
                dev.reducePartials(partials, groups, denPartials != null ? denPartials : den,
                        denPartials != null ? groups : den != null ? 1 : 0, 1f, DeviceBackend.handle(out), null);
            }
            DeviceBackend.attach(err, out, grad);
            err = null;
        } finally {
            dev.release(w);
            dev.release(den);
            dev.release(partials);
            dev.release(denPartials);
            if (err != null) {
                err.release();
            }
        }
    }

    /** {@code nll_loss_forward_backward} (nll_loss.cl) over {@code groups} work-groups. */
    private void nllLossForwardBackward(long groups, Object x, Object t64, Object t32, Object w, long positions,
                                        long classes, long spatial, long ignoreIndex, int flags, Object den,
                                        Object go, Object out, Object partials, Object denPartials, Object gx,
                                        Object err) {
        dev.launch("nll_loss", "nll_loss_forward_backward", "", groups, x, t64, t32, w, positions, classes, spatial,
                ignoreIndex, flags, den, go, out, partials, denPartials, gx, err);
    }
}
