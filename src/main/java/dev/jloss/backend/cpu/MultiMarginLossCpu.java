package dev.jloss.backend.cpu;

import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.MultiMarginLossPlan;

/**
 * MultiMarginLoss on the CPU: rows split into fixed chunks ({@link CpuParallel}); each row is read
 * once, its class index checked, and its loss and gradient come from the same loop.
 *
 * <pre>
 *   z_i = margin - x[y] + x[i]                     (i != y)
 *   l   = sum_{z_i > 0} w[y] z_i^p / C
 *   dl/dx[i] = w[y] p z_i^(p-1) / C   where z_i > 0,   dl/dx[y] = -sum_i dl/dx[i]
 * </pre>
 * NOTE: as in PyTorch the hinge is strict (z > 0), so a NaN score contributes nothing.
 */
public final class MultiMarginLossCpu implements LossKernel<MultiMarginLossPlan> {
    /** Every output and gradient element is written (zeros included): no zero-fill before the run. */
    @Override
    public boolean writesEveryElement() {
        return true;
    }

    /** Roughly this many scores per chunk. */
    private static final long CHUNK_WORK = 1 << 14;

    @Override
    public void run(MultiMarginLossPlan p, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        long n = p.rows();
        int c = (int) p.classes();
        float[] x = HostStorage.floats(args[0]);
        long[] targetLong = HostStorage.longs(args[1]);
        int[] targetInt = HostStorage.ints(args[1]);
        float[] w = p.weight();
        boolean none = p.reduction() == Reduction.NONE;
        boolean mean = p.reduction() == Reduction.MEAN;
        float[] o = out == null ? null : HostStorage.floats(out);
        float[] g = grads[0] == null ? null : HostStorage.floats(grads[0]);
        float[] go = gradOutput == null ? null : HostStorage.floats(gradOutput);
        // the upstream gradient of a reduced loss, over C (and over N for mean)
        double reducedScale = none ? 0 : (go == null ? 1.0 : go[0]) / c / (mean ? n : 1);
        int power = p.p();
        double margin = p.margin();
        String fn = p.fn();

        double total = CpuParallel.sum(n, CpuParallel.grain(c, CHUNK_WORK), c, (start, end) -> {
            double partial = 0;
            for (long r = start; r < end; r++) {
                long y = targetLong != null ? targetLong[(int) r] : targetInt[(int) r];
                if (y < 0 || y >= c) {
                    throw p.targetOutOfBounds(y, r);
                }
                int base = (int) (r * c);
                int yi = (int) y;
                double xy = x[base + yi];
                double wy = w == null ? 1.0 : w[yi];
                double rowSum = 0;
                if (g == null) {
                    for (int i = 0; i < c; i++) {
                        double z = margin - xy + x[base + i];
                        if (i != yi && z > 0) {
                            rowSum += (power == 1 ? z : z * z) * wy;
                        }
                    }
                } else {
                    double scale = wy * (none ? (go == null ? 1.0 : go[(int) r]) / c : reducedScale);
                    double gy = 0;
                    for (int i = 0; i < c; i++) {
                        double z = margin - xy + x[base + i];
                        if (i != yi && z > 0) {
                            rowSum += (power == 1 ? z : z * z) * wy;
                            double d = (power == 1 ? 1.0 : 2 * z) * scale;
                            g[base + i] = (float) d;
                            gy -= d;
                        } else {
                            g[base + i] = 0f;  // every element written: the gradient handed in may not be zeroed
                        }
                    }
                    g[base + yi] = (float) gy;
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
