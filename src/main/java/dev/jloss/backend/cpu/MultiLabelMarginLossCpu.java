package dev.jloss.backend.cpu;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.MultiLabelMarginLossPlan;

/**
 * MultiLabelMarginLoss on the CPU: rows split into fixed chunks ({@link CpuParallel}), each chunk
 * with its own scratch (a target mask and hinge counts, C each, reused row after row). Per row:
 * one scan of the labels checks every entry and marks the labels before the first -1; then, for
 * each label j and each non-label i, the hinge {@code z = 1 - x[j] + x[i]} adds to the loss and,
 * where active, counts +1 for i and -1 for j; the gradient is count × upstream / C.
 *
 * <p>NOTE: like PyTorch, every entry of the target is range-checked, also those after the -1.
 */
public final class MultiLabelMarginLossCpu implements LossKernel<MultiLabelMarginLossPlan> {
    /** Every output and gradient element is written (zeros included): no zero-fill before the run. */
    @Override
    public boolean writesEveryElement() {
        return true;
    }

    /** Roughly this many label × class pairs per chunk. */
    private static final long CHUNK_WORK = 1 << 14;

    @Override
    public void run(MultiLabelMarginLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long n = p.rows();
        int c = (int) p.classes();
        float[] x = HostStorage.floats(args[0]);
        long[] t = HostStorage.longs(args[1]);
        boolean none = p.reduction() == Reduction.NONE;
        boolean mean = p.reduction() == Reduction.MEAN;
        float[] o = out == null ? null : HostStorage.floats(out);
        float[] g = grads[0] == null ? null : HostStorage.floats(grads[0]);
        float[] go = gradOutput == null ? null : HostStorage.floats(gradOutput);
        double reducedScale = none ? 0 : (go == null ? 1.0 : go[0]) / c / (mean ? n : 1);
        String fn = p.fn();

        double total = CpuParallel.sum(n, CpuParallel.grain((long) c * c, CHUNK_WORK), (long) c * c, (start, end) -> {
            boolean[] isTarget = new boolean[c];
            int[] count = g == null ? null : new int[c];
            double partial = 0;
            for (long r = start; r < end; r++) {
                int base = (int) (r * c);
                int labels = c;
                for (int j = 0; j < c; j++) {
                    long v = t[base + j];
                    if (v < -1 || v >= c) {
                        throw p.badTarget(j, r, v);
                    }
                    if (v == -1 && labels == c) {
                        labels = j;
                    }
                }
                for (int j = 0; j < labels; j++) {
                    isTarget[(int) t[base + j]] = true;
                }
                double rowSum = 0;
                for (int j = 0; j < labels; j++) {
                    int tj = (int) t[base + j];
                    double xt = x[base + tj];
                    int active = 0;
                    for (int i = 0; i < c; i++) {
                        double z = 1 - xt + x[base + i];
                        if (!isTarget[i] && z > 0) {
                            rowSum += z;
                            if (count != null) {
                                count[i]++;
                                active++;
                            }
                        }
                    }
                    if (count != null) {
                        count[tj] -= active;
                    }
                }
                if (count != null) {
                    double scale = none ? (go == null ? 1.0 : go[(int) r]) / c : reducedScale;
                    for (int i = 0; i < c; i++) {
                        // every element written (0 without a hinge): the gradient handed in may not be zeroed
                        g[base + i] = count[i] != 0 ? (float) (count[i] * scale) : 0f;
                        count[i] = 0;
                    }
                }
                for (int j = 0; j < labels; j++) {
                    isTarget[(int) t[base + j]] = false;
                }
                double loss = rowSum / c;
                if (none && o != null) {
                    o[(int) r] = (float) loss;
                }
                partial += loss;
            }
            return partial;
        });
        if (!none && o != null) {
            // an empty batch: sum 0, mean 0/0 = NaN
            o[0] = (float) (mean ? total / n : total);
        }
    }
}
