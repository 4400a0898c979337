package dev.jloss.backend.device;

import dev.jloss.DType;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.CosineEmbeddingLossPlan;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.RowBroadcast;

/**
 * The cosine embedding loss on a GPU backend ({@code kernels-cl/cosine_embedding_loss.cl},
 * {@code kernels-cu/cosine_embedding_loss.cu}): {@code cosine_embedding_loss_forward_backward}
 * takes each row's dot product and magnitudes with one segmented reduction and writes the loss (or
 * per-group partial sums) and both inputs' gradients in the same launch; {@code reduce_partials}
 * finishes a reduced loss in a fixed order; a broadcast input's per-row gradients are folded by
 * {@code broadcast_sum}. The loss reads no value it could reject (a target other than ±1 gives 0),
 * so there is no error flag.
 */
final class CosineEmbeddingLossDevice implements LossKernel<CosineEmbeddingLossPlan> {
    /**
     * {@code flags} bits of {@code cosine_embedding_loss_forward_backward}:
     * {@code COSINE_EMB_FLAG_<NAME>} in cosine_embedding_loss.cl.
     */
    static final class Flags {
        static final int STORE_OUT = 1;
        static final int PARTIALS = 2;
        static final int GO_PER_ROW = 4;
    }

    private final DeviceBackend dev;

    CosineEmbeddingLossDevice(DeviceBackend dev) {
        this.dev = dev;
    }

    @Override
    public void run(CosineEmbeddingLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
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
        long d1 = layout.cols(0);
        long d2 = layout.cols(1);
        long seg = PairwiseRows.segment(dev, Math.max(d1, d2));
        long groups = PairwiseRows.groups(dev, rows, seg);
        Object meta = null;
        Object partials = null;
        PairwiseRows.Sinks sinks = null;
        try {
            meta = PairwiseRows.meta(dev, layout);
            sinks = new PairwiseRows.Sinks(dev, layout, grads, 2);
            int flags = none ? Flags.GO_PER_ROW : 0;
            if (out != null) {
                flags |= none ? Flags.STORE_OUT : Flags.PARTIALS;
            }
            if (out != null && !none) {
                partials = dev.allocate(groups * dev.accBytes());
            }
            if (out != null || sinks.any()) {
                Object target = DeviceBackend.handle(args[2]);
                DType tt = p.targetType();
                cosineEmbeddingLossForwardBackward(groups, DeviceBackend.handle(args[0]), DeviceBackend.handle(args[1]),
                        tt == DType.FLOAT32 ? target : null, tt == DType.INT64 ? target : null,
                        tt == DType.INT32 ? target : null,
                        meta, rows, d1, d2, seg,
                        PairwiseRows.hi(p.margin()), PairwiseRows.lo(p.margin()), (float) CosineEmbeddingLossPlan.EPSILON,
                        flags, none ? DeviceBackend.handle(out) : null, partials,
                        DeviceBackend.handle(gradOutput), divisor,
                        sinks.target[0], sinks.target[1]);
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
     * {@code cosine_embedding_loss_forward_backward} (cosine_embedding_loss.cl) over {@code groups}
     * work-groups, with {@link PairwiseRows#options()}; the target is one of {@code targetF},
     * {@code targetL}, {@code targetI} (float32, int64, int32).
     */
    private void cosineEmbeddingLossForwardBackward(long groups, Object x1, Object x2, Object targetF, Object targetL,
                                                    Object targetI, Object meta, long rows, long d1, long d2,
                                                    long segHint, float marginHi, float marginLo, float epsilon,
                                                    int flags, Object out, Object partials, Object go, long divisor,
                                                    Object g1, Object g2) {
        dev.launch("cosine_embedding_loss", "cosine_embedding_loss_forward_backward", PairwiseRows.options(), groups,
                x1, x2, targetF, targetL, targetI, meta, rows, d1, d2, segHint, marginHi, marginLo, epsilon, flags,
                out, partials, go, divisor, g1, g2);
    }
}
