package dev.jloss.backend.cpu;

import dev.jloss.DType;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.CosineEmbeddingLossPlan;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.RowBroadcast;
import dev.jloss.backend.cpu.vector.RowsVector;

/**
 * The cosine embedding loss on the CPU. Rows are cut into fixed chunks ({@link CpuParallel}); one
 * pass over a row takes the dot product and both squared magnitudes, the cosine and the loss, and,
 * when the row's loss has a gradient, a second pass over the same (cached) row writes both inputs'
 * gradients:
 * <pre>
 *   m1 = sum(x1^2) + EPSILON, m2 = sum(x2^2) + EPSILON, cos = sum(x1 x2) / sqrt(m1 m2)
 *   dl/dcos = -1 (target 1), [cos - margin >= 0] (target -1), 0 otherwise
 *   dl/dx1 = dl/dcos (x2 / sqrt(m1 m2) - cos x1 / m1), and symmetrically for x2
 * </pre>
 * A NaN or infinite element makes the row's cosine NaN, and its gradient NaN even where dl/dcos = 0
 * (PyTorch's 0 * NaN).
 * Dense layouts write each row's gradient directly (a broadcast row length gathers in a small
 * double row first); when rows broadcast, one chunk sums them into double arrays in row order.
 */
public final class CosineEmbeddingLossCpu implements LossKernel<CosineEmbeddingLossPlan> {
    /** Every output and gradient element is written (zeros included): no zero-fill before the run. */
    @Override
    public boolean writesEveryElement() {
        return true;
    }

    private static final long CHUNK_WORK = 1 << 15;

    @Override
    public void run(CosineEmbeddingLossPlan plan, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        RowBroadcast layout = plan.layout();
        long rows = layout.rows();
        boolean none = plan.reduction() == Reduction.NONE;
        boolean mean = plan.reduction() == Reduction.MEAN;
        float[] o = out == null ? null : HostStorage.floats(out);
        float[] go = gradOutput == null ? null : HostStorage.floats(gradOutput);
        float[][] x = {HostStorage.floats(args[0]), HostStorage.floats(args[1])};
        float[][] g = new float[2][];
        boolean wantGrad = false;
        for (int k = 0; k < 2; k++) {
            g[k] = k < grads.length && grads[k] != null ? HostStorage.floats(grads[k]) : null;
            wantGrad |= g[k] != null;
        }
        Target target = new Target(args[2], plan.targetType());
        boolean shared = wantGrad && !layout.dense();
        double[][] acc = new double[2][];
        if (shared) {
            for (int k = 0; k < 2; k++) {
                acc[k] = g[k] == null ? null : new double[g[k].length];
            }
        }
        double gScalar = none ? 1.0 : (go == null ? 1.0 : go[0]) / (mean ? rows : 1);
        long cost = 1 + layout.cols(0) + layout.cols(1);
        long grain = shared ? Math.max(rows, 1) : CpuParallel.grain(cost, CHUNK_WORK);
        boolean wg = wantGrad;
        double sum = CpuParallel.sum(rows, grain, cost, (s, e) ->
                new Rows(plan, x, target, g, shared ? acc : null, none ? o : null, wg, none ? go : null, gScalar)
                        .run(s, e));
        if (shared) {
            for (int k = 0; k < 2; k++) {
                if (acc[k] != null) {
                    for (int i = 0; i < acc[k].length; i++) {
                        g[k][i] = (float) acc[k][i];
                    }
                }
            }
        }
        if (!none && o != null) {
            o[0] = (float) (mean ? sum / rows : sum);
        }
    }

    /** The target's values, whatever its dtype. */
    private static final class Target {
        final float[] f;
        final long[] l;
        final int[] i;

        Target(Tensor t, DType type) {
            f = type == DType.FLOAT32 ? HostStorage.floats(t) : null;
            l = type == DType.INT64 ? HostStorage.longs(t) : null;
            i = type == DType.INT32 ? HostStorage.ints(t) : null;
        }

        double get(int k) {
            return f != null ? f[k] : l != null ? l[k] : i[k];
        }
    }

    /** One chunk of rows. */
    private static final class Rows {
        final RowBroadcast layout;
        final float[] x1;
        final float[] x2;
        final Target target;
        final int d1;
        final int d2;
        final int n;
        final int c1;
        final int c2;
        final double margin;
        final float[] g1;
        final float[] g2;
        /** Where gradients gather: the shared arrays, or (dense) one scratch row per input, or null. */
        final double[] s1;
        final double[] s2;
        final boolean sharedSink;
        final float[] out;
        final boolean wantGrad;
        final float[] goRows;
        final double gScalar;
        /** SIMD hook: rows of equal, contiguous length run through {@link RowsVector}. */
        final boolean simd;
        final int vectorPart;
        final double[] sums = new double[3];
        final float[] simdScratch;

        Rows(CosineEmbeddingLossPlan plan, float[][] x, Target target, float[][] g, double[][] shared, float[] out,
             boolean wantGrad, float[] goRows, double gScalar) {
            this.layout = plan.layout();
            this.x1 = x[0];
            this.x2 = x[1];
            this.target = target;
            this.d1 = (int) layout.cols(0);
            this.d2 = (int) layout.cols(1);
            this.n = d1 == 1 ? d2 : d1;
            this.c1 = d1 == n ? 1 : 0;
            this.c2 = d2 == n ? 1 : 0;
            this.margin = plan.margin();
            this.g1 = g[0];
            this.g2 = g[1];
            this.sharedSink = shared != null;
            // a dense row whose length does not broadcast is written straight to the gradient
            boolean direct = c1 == 1 && c2 == 1;
            this.s1 = shared != null ? shared[0] : wantGrad && g1 != null && !direct ? new double[d1] : null;
            this.s2 = shared != null ? shared[1] : wantGrad && g2 != null && !direct ? new double[d2] : null;
            this.out = out;
            this.wantGrad = wantGrad;
            this.goRows = goRows;
            this.gScalar = gScalar;
            this.simd = VectorSupport.enabled() && c1 == 1 && c2 == 1 && n >= VectorSupport.floatLanes();
            this.vectorPart = simd ? RowsVector.vectorPart(n) : 0;
            this.simdScratch = simd ? RowsVector.pairScratch() : null;
        }

        double run(long start, long end) {
            double sum = 0;
            for (long r = start; r < end; r++) {
                int o1 = (int) layout.offset(0, r);
                int o2 = (int) layout.offset(1, r);
                double y = target.get((int) layout.offset(2, r));
                double dot = 0;
                // >>> SIMD hook: the vector part's sums; the scalar loops below take the tail
                int v = vectorPart;
                if (simd) {
                    RowsVector.dotAndSquares(x1, o1, x2, o2, n, sums, simdScratch);
                    dot = sums[0];
                }
                // <<< SIMD hook
                for (int d = v, a = o1 + v, b = o2 + v; d < n; d++, a += c1, b += c2) {
                    dot += (double) x1[a] * x2[b];
                }
                double m1 = (simd ? sums[1] : 0) + squares(x1, o1 + v, d1 - v) + CosineEmbeddingLossPlan.EPSILON;
                double m2 = (simd ? sums[2] : 0) + squares(x2, o2 + v, d2 - v) + CosineEmbeddingLossPlan.EPSILON;
                double denom = Math.sqrt(m1 * m2);
                double cos = dot / denom;
                double l;
                double dcos;
                if (y == 1) {
                    l = 1 - cos;
                    dcos = -1;
                } else if (y == -1) {
                    double z = cos - margin;
                    l = Math.max(z, 0.0);
                    dcos = z >= 0 ? 1 : 0;
                } else {
                    l = 0;
                    dcos = 0;
                }
                if (out != null) {
                    out[(int) r] = (float) l;
                }
                sum += l;
                if (!wantGrad) {
                    continue;
                }
                double c = dcos * (goRows != null ? goRows[(int) r] : gScalar);
                // NOTE: a row with a NaN or inf has a NaN cosine, and PyTorch's autograd multiplies its zero
                // dl/dcos through the cosine's backward anyway: 0 * NaN, a NaN gradient whatever the target
                if (c != 0 || Double.isNaN(cos)) {
                    grad(r, o1, o2, c / denom, c * cos / m1, c * cos / m2);
                } else {
                    zeroRow(o1, o2);
                }
            }
            return sum;
        }

        private static double squares(float[] x, int o, int d) {
            double s = 0;
            for (int j = o; j < o + d; j++) {
                double v = x[j];
                s += v * v;
            }
            return s;
        }

        /**
         * A row without gradient (target neither 1 nor -1, an inactive hinge, a zero upstream gradient):
         * its gradient rows are written as zeros, since the arrays handed in may not be zeroed. Shared
         * sinks are already zero where no row adds.
         */
        private void zeroRow(int o1, int o2) {
            if (sharedSink) {
                return;
            }
            if (s1 == null && s2 == null) {
                if (g1 != null) {
                    java.util.Arrays.fill(g1, o1, o1 + n, 0f);
                }
                if (g2 != null) {
                    java.util.Arrays.fill(g2, o2, o2 + n, 0f);
                }
                return;
            }
            write(s1, g1, o1);
            write(s2, g2, o2);
        }

        /** g1 = cross x2 - self1 x1, g2 = cross x1 - self2 x2, over the row. */
        private void grad(long r, int o1, int o2, double cross, double self1, double self2) {
            if (s1 == null && s2 == null) {
                // dense rows of equal length: straight to the gradients
                // >>> SIMD hook
                if (simd) {
                    RowsVector.cosineGrad(x1, o1, x2, o2, n, cross, self1, self2, g1, g2);
                }
                // <<< SIMD hook
                for (int d = vectorPart; d < n; d++) {
                    double u = x1[o1 + d];
                    double v = x2[o2 + d];
                    if (g1 != null) {
                        g1[o1 + d] = (float) (cross * v - self1 * u);
                    }
                    if (g2 != null) {
                        g2[o2 + d] = (float) (cross * u - self2 * v);
                    }
                }
                return;
            }
            int b1 = sharedSink ? o1 : 0;
            int b2 = sharedSink ? o2 : 0;
            if (s1 != null) {
                for (int j = 0; j < d1; j++) {
                    s1[b1 + j] -= self1 * x1[o1 + j];
                }
            }
            if (s2 != null) {
                for (int j = 0; j < d2; j++) {
                    s2[b2 + j] -= self2 * x2[o2 + j];
                }
            }
            for (int d = 0, a = o1, b = o2; d < n; d++, a += c1, b += c2) {
                if (s1 != null) {
                    s1[b1 + d * c1] += cross * x2[b];
                }
                if (s2 != null) {
                    s2[b2 + d * c2] += cross * x1[a];
                }
            }
            if (!sharedSink) {
                write(s1, g1, o1);
                write(s2, g2, o2);
            }
        }

        private static void write(double[] s, float[] g, int base) {
            if (s == null) {
                return;
            }
            for (int j = 0; j < s.length; j++) {
                g[base + j] = (float) s[j];
                s[j] = 0;
            }
        }
    }
}
