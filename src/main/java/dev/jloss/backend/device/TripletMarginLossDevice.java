package dev.jloss.backend.device;

import dev.jloss.Distance;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.RowBroadcast;
import dev.jloss.plan.TripletMarginLossPlan;

/**
 * Both triplet losses on a GPU backend (family {@code triplet_margin_loss}:
 * {@code kernels-cl/triplet_margin_loss.cl}, {@code kernels-cu/triplet_margin_loss.cu}):
 * {@code triplet_margin_loss_forward_backward} takes each row's distances with a segmented
 * reduction and writes the loss (or per-group partial sums) and the three operands' gradients in
 * the same launch; {@code reduce_partials} finishes a reduced loss in a fixed order; a broadcast
 * operand's per-row gradients are folded by {@code broadcast_sum}. No value can be rejected, so
 * there is no error flag.
 */
final class TripletMarginLossDevice implements LossKernel<TripletMarginLossPlan> {
    /**
     * {@code flags} bits of {@code triplet_margin_loss_forward_backward}:
     * {@code TRIPLET_FLAG_<NAME>} in triplet_margin_loss.cl.
     */
    static final class Flags {
        static final int STORE_OUT = 1;
        static final int PARTIALS = 2;
        static final int GO_PER_ROW = 4;
    }

    /** The kernel's {@code kind} (a distance): {@code TRIPLET_DIST_<NAME>} in triplet_margin_loss.cl. */
    static final class Distances {
        static final int P2 = 0;
        static final int P1 = 1;
        static final int PINF = 2;
        static final int PNEGINF = 3;
        static final int P0 = 4;
        static final int PGENERAL = 5;
        static final int COSINE = 6;
    }

    private final DeviceBackend dev;

    TripletMarginLossDevice(DeviceBackend dev) {
        this.dev = dev;
    }

    static int kind(Distance d) {
        if (d.kind() == Distance.Kind.COSINE) {
            return Distances.COSINE;
        }
        double p = d.p();
        return p == 2 ? Distances.P2 : p == 1 ? Distances.P1 : p == Double.POSITIVE_INFINITY ? Distances.PINF
                : p == Double.NEGATIVE_INFINITY ? Distances.PNEGINF : p == 0 ? Distances.P0 : Distances.PGENERAL;
    }

    @Override
    public void run(TripletMarginLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        RowBroadcast layout = p.layout();
        long rows = layout.rows();
        boolean none = p.reduction() == Reduction.NONE;
        long divisor = p.reduction() == Reduction.MEAN ? rows : 1;
        if (rows == 0) {
            if (!none) {
                dev.emptyReduction(out, p.reduction() == Reduction.MEAN);
            }
            return;
        }
        long ca = layout.cols(0);
        long cp = layout.cols(1);
        long cn = layout.cols(2);
        long seg = PairwiseRows.segment(dev, Math.max(ca, Math.max(cp, cn)));
        long groups = PairwiseRows.groups(dev, rows, seg);
        Distance dist = p.distance();
        Object meta = null;
        Object partials = null;
        PairwiseRows.Sinks sinks = null;
        try {
            meta = PairwiseRows.meta(dev, layout);
            sinks = new PairwiseRows.Sinks(dev, layout, grads, 3);
            int flags = none ? Flags.GO_PER_ROW : 0;
            if (out != null) {
                flags |= none ? Flags.STORE_OUT : Flags.PARTIALS;
            }
            if (out != null && !none) {
                partials = dev.allocate(groups * dev.accBytes());
            }
            if (out != null || sinks.any()) {
                tripletMarginLossForwardBackward(groups,
                        DeviceBackend.handle(args[0]), DeviceBackend.handle(args[1]), DeviceBackend.handle(args[2]),
                        meta, rows, ca, cp, cn, seg,
                        kind(dist), PairwiseRows.hi(dist.p()), PairwiseRows.lo(dist.p()),
                        PairwiseRows.hi(dist.eps()), PairwiseRows.lo(dist.eps()),
                        PairwiseRows.hi(p.margin()), PairwiseRows.lo(p.margin()), p.swap() ? 1 : 0,
                        flags, none ? DeviceBackend.handle(out) : null, partials,
                        DeviceBackend.handle(gradOutput), divisor,
                        sinks.target[0], sinks.target[1], sinks.target[2]);
            }
            if (partials != null) {
                dev.reducePartials(partials, groups, divisor, DeviceBackend.handle(out));
            }
            sinks.fold();
        } finally {
            dev.release(meta);
            dev.release(partials);
            if (sinks != null) {
                sinks.release();
            }
        }
    }

    /**
     * {@code triplet_margin_loss_forward_backward} (triplet_margin_loss.cl) over {@code groups}
     * work-groups, with {@link PairwiseRows#options()}; {@code kind} is one of {@link Distances}.
     */
    private void tripletMarginLossForwardBackward(long groups, Object anchor, Object positive, Object negative,
                                                  Object meta, long rows, long ca, long cp, long cn, long segHint,
                                                  int kind, float pHi, float pLo, float epsHi, float epsLo,
                                                  float marginHi, float marginLo, int swap, int flags, Object out,
                                                  Object partials, Object go, long divisor, Object ga, Object gp,
                                                  Object gn) {
        dev.launch("triplet_margin_loss", "triplet_margin_loss_forward_backward", PairwiseRows.options(), groups,
                anchor, positive, negative, meta, rows, ca, cp, cn, segHint, kind, pHi, pLo, epsHi, epsLo, marginHi,
                marginLo, swap, flags, out, partials, go, divisor, ga, gp, gn);
    }
}
