package dev.jloss.backend.device;

import dev.jloss.Tensor;
import dev.jloss.plan.RowBroadcast;

/**
 * What the pairwise launchers ({@link CosineEmbeddingLossDevice}, {@link TripletMarginLossDevice})
 * share with {@code kernels-cl/pairwise_rows.h}: the segment width (work-items per row), the grid,
 * the broadcast layout's metadata, double options split for float kernel arguments, and the
 * gradient sinks: an operand that every row reads exactly once has its gradient written in place;
 * a broadcast operand's per-row gradients go to a (rows, cols) temporary that {@code broadcast_sum}
 * (reduce.cl) folds into its shape in a fixed order.
 */
final class PairwiseRows {
    private PairwiseRows() {
    }

    /**
     * System property: {@code true} builds the pairwise kernels with {@code -DPAIR_SEGMENTED=1}, which
     * gives CPU OpenCL devices the GPUs' work split (a segment of work-items per row, tree sums)
     * instead of a work-item per row, so that PoCL tests the code GPUs run. Read at each launch.
     */
    static final String SEGMENTED_PROPERTY = "jloss.pairwise.segmented";

    /** The OpenCL build options of a pairwise kernel (CUDA ignores them: it always takes the GPU split). */
    static String options() {
        return Boolean.getBoolean(SEGMENTED_PROPERTY) ? "-DPAIR_SEGMENTED=1" : "";
    }

    /** Work-items per row: the widest row rounded up to a power of two, at most a work-group. */
    static long segment(DeviceBackend dev, long widest) {
        long seg = 1;
        while (seg < widest && seg < dev.wgs()) {
            seg <<= 1;
        }
        return seg;
    }

    /** Work-groups for {@code rows} rows of {@code seg} work-items each: enough to fill the device, no more than needed. */
    static long groups(DeviceBackend dev, long rows, long seg) {
        long perGroup = dev.wgs() / seg;
        long needed = (rows + perGroup - 1) / perGroup;
        return Math.max(1, Math.min(needed, dev.computeUnits() * 8L));
    }

    /** {nd, shape[nd], strides_k[nd] for each operand} for pair_row_offset; null when the layout is dense. */
    static Object meta(DeviceBackend dev, RowBroadcast layout) {
        if (layout.dense()) {
            return null;
        }
        long[] shape = layout.shape();
        long[][] strides = layout.strides();
        int nd = shape.length;
        long[] m = new long[1 + nd * (1 + strides.length)];
        m[0] = nd;
        System.arraycopy(shape, 0, m, 1, nd);
        for (int k = 0; k < strides.length; k++) {
            System.arraycopy(strides[k], 0, m, 1 + nd * (k + 1), nd);
        }
        return dev.constant(m);
    }

    /** The float nearest {@code v}; with {@link #lo} it carries a double option as two float kernel arguments. */
    static float hi(double v) {
        return (float) v;
    }

    /** {@code v - hi(v)} as a float (0 where v or hi(v) is not finite). */
    static float lo(double v) {
        float h = (float) v;
        return Double.isFinite(v) && Float.isFinite(h) ? (float) (v - h) : 0f;
    }

    /**
     * Where each operand's per-row gradient goes: {@link #target} is the gradient's own buffer when
     * the operand has every row ({@code rows * cols} elements), else a zeroed temporary of that size
     * that {@link #fold} sums into the gradient. Null where no gradient is wanted.
     */
    static final class Sinks {
        private final DeviceBackend dev;
        private final RowBroadcast layout;
        private final Tensor[] grads;
        final Object[] target;
        private final Object[] temp;

        Sinks(DeviceBackend dev, RowBroadcast layout, Tensor[] grads, int operands) {
            this.dev = dev;
            this.layout = layout;
            this.grads = grads;
            this.target = new Object[operands];
            this.temp = new Object[operands];
            try {
                for (int k = 0; k < operands && k < grads.length; k++) {
                    if (grads[k] == null) {
                        continue;
                    }
                    long full = layout.rows() * layout.cols(k);
                    if (grads[k].numel() == full) {
                        target[k] = DeviceBackend.handle(grads[k]);
                    } else {
                        temp[k] = dev.allocate(full * 4);
                        dev.fill(temp[k], full * 4, 0);
                        target[k] = temp[k];
                    }
                }
            } catch (RuntimeException | Error e) {
                release();
                throw e;
            }
        }

        boolean any() {
            for (Object t : target) {
                if (t != null) {
                    return true;
                }
            }
            return false;
        }

        /** Sums each temporary into its broadcast operand's gradient: over (shape..., cols) with the operand's strides. */
        void fold() {
            long[] shape = layout.shape();
            long[][] strides = layout.strides();
            int nd = shape.length + 1;
            for (int k = 0; k < temp.length; k++) {
                if (temp[k] == null || grads[k].numel() == 0) {
                    continue;
                }
                long[] m = new long[1 + 2 * nd];
                m[0] = nd;
                System.arraycopy(shape, 0, m, 1, nd - 1);
                m[nd] = layout.cols(k);
                System.arraycopy(strides[k], 0, m, 1 + nd, nd - 1);
                m[2 * nd] = 1;
                Object bm = dev.constant(m);
                try {
                    dev.broadcastSum(temp[k], bm, DeviceBackend.handle(grads[k]), grads[k].numel());
                } finally {
                    dev.release(bm);
                }
            }
        }

        /** Frees the temporaries (after the queued work using them); safe to call twice. */
        void release() {
            for (int k = 0; k < temp.length; k++) {
                dev.release(temp[k]);
                temp[k] = null;
            }
        }
    }
}
