package dev.jloss.backend.cpu;

import dev.jloss.Distance;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.plan.RowBroadcast;
import dev.jloss.plan.TripletMarginLossPlan;
import dev.jloss.backend.cpu.vector.RowsVector;

/**
 * Both triplet losses on the CPU (family {@code triplet_margin_loss}). Rows are cut into fixed
 * chunks ({@link CpuParallel}); for each row one pass takes the distances d(a, p), d(a, n) and,
 * with swap, d(p, n), the loss, and, when wanted, the row's gradients, all in double.
 *
 * <p>When no operand's row is read by two output rows (a dense layout), a row's gradients gather in
 * small per-chunk double rows and are written once, so chunks run in parallel. When rows broadcast
 * and gradients are wanted, one chunk sums every row's contribution into double arrays of each
 * operand's size, in row order, so the result is deterministic.
 *
 * <p>Gradients follow PyTorch's autograd: {@code clamp_min} passes the gradient where
 * {@code margin + d(a, p) - d(a, n) >= 0}; {@code min} gives it to the smaller distance, half to
 * each on a tie; the norm's backward is {@code torch.norm}'s for each order p (see
 * {@link Rows#pnormGrad}); the cosine distance's is PyTorch 1.13's (see {@link Rows#cosineGrad}). As
 * autograd, a row with a non-finite distance backpropagates its zero gradients too (0 * NaN = NaN).
 */
public final class TripletMarginLossCpu implements LossKernel<TripletMarginLossPlan> {
    /** Every output and gradient element is written (zeros included): no zero-fill before the run. */
    @Override
    public boolean writesEveryElement() {
        return true;
    }

    /** Work (elements read) per chunk of rows. */
    private static final long CHUNK_WORK = 1 << 15;

    @Override
    public void run(TripletMarginLossPlan plan, Tensor[] args, Tensor gradOutput, Tensor out, Tensor[] grads) {
        RowBroadcast layout = plan.layout();
        long rows = layout.rows();
        boolean none = plan.reduction() == Reduction.NONE;
        boolean mean = plan.reduction() == Reduction.MEAN;
        float[] o = out == null ? null : HostStorage.floats(out);
        float[] go = gradOutput == null ? null : HostStorage.floats(gradOutput);
        float[][] x = new float[3][];
        float[][] g = new float[3][];
        boolean wantGrad = false;
        for (int k = 0; k < 3; k++) {
            x[k] = HostStorage.floats(args[k]);
            g[k] = k < grads.length && grads[k] != null ? HostStorage.floats(grads[k]) : null;
            wantGrad |= g[k] != null;
        }
        boolean shared = wantGrad && !layout.dense();
        double[][] acc = new double[3][];
        if (shared) {
            for (int k = 0; k < 3; k++) {
                acc[k] = g[k] == null ? null : new double[g[k].length];
            }
        }
        // upstream gradient of every row for mean and sum; per row (go[r], or 1) for none
        double gScalar = none ? 1.0 : (go == null ? 1.0 : go[0]) / (mean ? rows : 1);
        long cost = 1 + layout.cols(0) + layout.cols(1) + layout.cols(2);
        long grain = shared ? Math.max(rows, 1) : CpuParallel.grain(cost, CHUNK_WORK);
        boolean wg = wantGrad;
        double sum = CpuParallel.sum(rows, grain, cost, (s, e) ->
                new Rows(plan, x, g, shared ? acc : null, none ? o : null, wg, none ? go : null, gScalar).run(s, e));
        if (shared) {
            for (int k = 0; k < 3; k++) {
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

    /** One chunk of rows: its scratch and the loop. */
    private static final class Rows {
        private static final int AP = 0;
        private static final int AN = 1;
        private static final int PN = 2;

        final RowBroadcast layout;
        final float[][] x;
        final long[] cols;
        final float[][] g;
        final double[][] sink;
        final boolean sharedSink;
        final float[] out;
        final boolean wantGrad;
        final float[] goRows;
        final double gScalar;
        final boolean cosine;
        final double p;
        final double eps;
        final double margin;
        final boolean swap;
        final int[] off = new int[3];
        /** Cosine distance per pair: similarity, the two norms. */
        final double[] sim = new double[3];
        final double[] normX = new double[3];
        final double[] normY = new double[3];
        /** SIMD hook: contiguous pair rows run through {@link RowsVector}; {@code direct}: the Euclidean
         * gradient of a dense layout with equal row lengths goes straight to the gradients. */
        final boolean simd = VectorSupport.enabled();
        final float[] simdScratch = simd ? RowsVector.pairScratch() : null;
        final double[] simdSums = new double[3];
        final boolean direct;

        Rows(TripletMarginLossPlan plan, float[][] x, float[][] g, double[][] shared, float[] out, boolean wantGrad,
             float[] goRows, double gScalar) {
            this.layout = plan.layout();
            this.x = x;
            this.cols = layout.cols();
            this.g = g;
            this.sharedSink = shared != null;
            if (shared != null) {
                this.sink = shared;
            } else {
                this.sink = new double[3][];
                for (int k = 0; k < 3; k++) {
                    sink[k] = wantGrad && g[k] != null ? new double[(int) cols[k]] : null;
                }
            }
            this.out = out;
            this.wantGrad = wantGrad;
            this.goRows = goRows;
            this.gScalar = gScalar;
            this.cosine = plan.distance().kind() == Distance.Kind.COSINE;
            this.p = plan.distance().p();
            this.eps = plan.distance().eps();
            this.margin = plan.margin();
            this.swap = plan.swap();
            this.direct = simd && !sharedSink && !cosine && p == 2 && cols[0] == cols[1] && cols[1] == cols[2]
                    && cols[0] >= VectorSupport.floatLanes();
        }

        double run(long start, long end) {
            double sum = 0;
            for (long r = start; r < end; r++) {
                for (int k = 0; k < 3; k++) {
                    off[k] = (int) layout.offset(k, r);
                }
                double dap = distance(AP, 0, 1);
                double dan = distance(AN, 0, 2);
                double dsw = swap ? distance(PN, 1, 2) : Double.NaN;
                double dneg = swap ? Math.min(dan, dsw) : dan;
                double z = margin + dap - dneg;
                double l = Math.max(z, 0.0);
                if (out != null) {
                    out[(int) r] = (float) l;
                }
                sum += l;
                if (!wantGrad) {
                    continue;
                }
                double c = z >= 0 ? (goRows != null ? goRows[(int) r] : gScalar) : 0.0;
                // NOTE: PyTorch's autograd runs every distance's backward, with a zero gradient too, and
                // 0 times a NaN or inf of the row (v / norm = inf / inf, ...) is NaN: a row with a
                // non-finite distance takes the full path, zero coefficients included
                boolean finite = Double.isFinite(dap) && Double.isFinite(dan) && (!swap || Double.isFinite(dsw));
                if (c == 0 && finite) {
                    if (!sharedSink) {
                        flush(r);  // zeros: the gradient arrays handed in may not be zeroed
                    }
                    continue;
                }
                // torch.minimum's backward: the smaller input takes the gradient, a tie splits it
                double cn = swap ? (dan > dsw ? 0 : dan == dsw ? 0.5 : 1) : 1;
                double cs = swap ? (dan < dsw ? 0 : dan == dsw ? 0.5 : 1) : 0;
                // >>> SIMD hook: the vector part straight to the gradients, the scalar sinks take the tail
                if (direct && finite) {
                    directGrad(r, dap, dan, dsw, c, cn, cs);
                    continue;
                }
                // <<< SIMD hook
                distanceGrad(AP, 0, 1, dap, c);
                if (cn != 0 || !finite) {
                    distanceGrad(AN, 0, 2, dan, -c * cn);
                }
                if (cs != 0 || swap && !finite) {
                    distanceGrad(PN, 1, 2, dsw, -c * cs);
                }
                if (!sharedSink) {
                    flush(r);
                }
            }
            return sum;
        }

        /**
         * SIMD hook: the Euclidean gradient of a dense row with equal lengths, its vector part written by
         * {@link RowsVector#tripletGrad}; the tail runs the scalar {@link #pnormGrad} into the sinks,
         * which {@link #flush} writes. A pair is skipped where the scalar kernel skips it (no share of
         * the minimum, or a zero norm).
         */
        private void directGrad(long r, double dap, double dan, double dsw, double c, double cn, double cs) {
            int n = (int) cols[0];
            int v = RowsVector.vectorPart(n);
            boolean ap = dap != 0;
            boolean an = cn != 0 && dan != 0;
            boolean pn = cs != 0 && dsw != 0;
            RowsVector.tripletGrad(x[0], off[0], x[1], off[1], x[2], off[2], n, eps, ap, ap ? c / dap : 0, an,
                    an ? -c * cn / dan : 0, pn, pn ? -c * cs / dsw : 0, g[0], g[1], g[2]);
            if (v < n) {
                double[][] tail = {sink[0], sink[1], sink[2]};
                for (int k = 0; k < 3; k++) {
                    off[k] += v;
                }
                int[] pairs = {0, 1, 0, 2, 1, 2};
                double[] dist = {dap, dan, dsw};
                double[] coef = {c, -c * cn, -c * cs};
                boolean[] on = {true, cn != 0, cs != 0};
                for (int q = 0; q < 3; q++) {
                    if (on[q]) {
                        int i = pairs[2 * q];
                        int j = pairs[2 * q + 1];
                        pnormGrad(x[i], off[i], 1, tail[i], v, x[j], off[j], 1, tail[j], v, n - v, dist[q], coef[q]);
                    }
                }
                for (int k = 0; k < 3; k++) {
                    off[k] -= v;
                }
            }
            flushTail(r, v);
        }

        /** Writes elements {@code [v, cols)} of a dense row's sinks (the SIMD hook wrote the rest) and clears them. */
        private void flushTail(long r, int v) {
            for (int k = 0; k < 3; k++) {
                double[] s = sink[k];
                if (s == null) {
                    continue;
                }
                int base = (int) (r * cols[k]);
                for (int j = v; j < s.length; j++) {
                    g[k][base + j] = (float) s[j];
                    s[j] = 0;
                }
            }
        }

        /** Writes a dense row's gathered gradients and clears the scratch. */
        private void flush(long r) {
            for (int k = 0; k < 3; k++) {
                double[] s = sink[k];
                if (s == null) {
                    continue;
                }
                int base = (int) (r * cols[k]);
                float[] gk = g[k];
                for (int j = 0; j < s.length; j++) {
                    gk[base + j] = (float) s[j];
                    s[j] = 0;
                }
            }
        }

        /** The pair's broadcast row length: {@code dx == 1 ? dy : dx}. */
        private int pairLength(int i, int j) {
            return (int) (cols[i] == 1 ? cols[j] : cols[i]);
        }

        private double distance(int q, int i, int j) {
            int n = pairLength(i, j);
            int ci = cols[i] == n ? 1 : 0;
            int cj = cols[j] == n ? 1 : 0;
            return cosine ? cosineDistance(q, x[i], off[i], ci, x[j], off[j], cj, n)
                    : pnorm(x[i], off[i], ci, x[j], off[j], cj, n);
        }

        private void distanceGrad(int q, int i, int j, double dist, double c) {
            int n = pairLength(i, j);
            int ci = cols[i] == n ? 1 : 0;
            int cj = cols[j] == n ? 1 : 0;
            int si = sharedSink ? off[i] : 0;
            int sj = sharedSink ? off[j] : 0;
            if (cosine) {
                cosineGrad(q, x[i], off[i], ci, sink[i], si, x[j], off[j], cj, sink[j], sj, n, c);
            } else {
                pnormGrad(x[i], off[i], ci, sink[i], si, x[j], off[j], cj, sink[j], sj, n, dist, c);
            }
        }

        /**
         * {@code ||x - y + eps||_p} over {@code n} elements, read with steps {@code cx}, {@code cy}
         * (0 re-reads a broadcast element). As {@code torch.norm}: p = 0 counts the non-zeros, p = ±inf
         * is the largest / smallest magnitude, and an empty row has norm 0 for every p.
         */
        private double pnorm(float[] xs, int ox, int cx, float[] ys, int oy, int cy, int n) {
            if (n == 0) {
                return 0;
            }
            int a = ox;
            int b = oy;
            if (p == 2) {
                double s = 0;
                int d0 = 0;
                // >>> SIMD hook: contiguous rows' vector part
                if (simd && cx == 1 && cy == 1) {
                    s = RowsVector.squaredDistance(xs, ox, ys, oy, n, eps, simdScratch);
                    d0 = RowsVector.vectorPart(n);
                    a += d0;
                    b += d0;
                }
                // <<< SIMD hook
                for (int d = d0; d < n; d++, a += cx, b += cy) {
                    double v = (double) xs[a] - ys[b] + eps;
                    s += v * v;
                }
                return Math.sqrt(s);
            }
            if (p == 1) {
                double s = 0;
                for (int d = 0; d < n; d++, a += cx, b += cy) {
                    s += Math.abs((double) xs[a] - ys[b] + eps);
                }
                return s;
            }
            if (p == Double.POSITIVE_INFINITY || p == Double.NEGATIVE_INFINITY) {
                boolean max = p > 0;
                double m = max ? 0 : Double.POSITIVE_INFINITY;
                for (int d = 0; d < n; d++, a += cx, b += cy) {
                    double v = Math.abs((double) xs[a] - ys[b] + eps);
                    m = max ? Math.max(m, v) : Math.min(m, v);
                }
                return m;
            }
            if (p == 0) {
                double count = 0;
                for (int d = 0; d < n; d++, a += cx, b += cy) {
                    count += ((double) xs[a] - ys[b] + eps) != 0 ? 1 : 0;
                }
                return count;
            }
            double s = 0;
            for (int d = 0; d < n; d++, a += cx, b += cy) {
                s += Math.pow(Math.abs((double) xs[a] - ys[b] + eps), p);
            }
            return Math.pow(s, 1 / p);
        }

        /**
         * Adds {@code c * d||v||_p / dv} (v = x - y + eps) to x's sink and subtracts it from y's, with
         * {@code torch.norm}'s backward for each order:
         * <pre>
         *   p = 0      0
         *   p = 1      sgn(v)                                  (sgn(NaN) = 0, as PyTorch's)
         *   p = 2      v / n                                   (0 where n = 0)
         *   p = ±inf   sgn(v) [|v| = n or v is NaN] / #{|v| = n or v is NaN}
         *   p < 1      sgn(v) |v|^(p-1) n^(1-p)                (0 where v = 0)
         *   p < 2      sgn(v) |v|^(p-1) / n^(p-1)              (0 where n = 0)
         *   p > 2      v |v|^(p-2) / n^(p-1)                   (0 where n = 0)
         * </pre>
         */
        private void pnormGrad(float[] xs, int ox, int cx, double[] gx, int sx, float[] ys, int oy, int cy,
                               double[] gy, int sy, int n, double norm, double c) {
            if (p == 0 || n == 0 || (p >= 1 && norm == 0 && !Double.isInfinite(p))) {
                return;
            }
            int a = ox;
            int b = oy;
            if (Double.isInfinite(p)) {
                int count = 0;
                for (int d = 0; d < n; d++, a += cx, b += cy) {
                    double v = (double) xs[a] - ys[b] + eps;
                    count += Math.abs(v) == norm || Double.isNaN(v) ? 1 : 0;
                }
                double share = c / count;
                a = ox;
                b = oy;
                for (int d = 0; d < n; d++, a += cx, b += cy) {
                    double v = (double) xs[a] - ys[b] + eps;
                    if (Math.abs(v) == norm || Double.isNaN(v)) {
                        add(gx, sx + d * cx, gy, sy + d * cy, share * ScalarTerm.sign(v));
                    }
                }
                return;
            }
            if (p == 1) {
                for (int d = 0; d < n; d++, a += cx, b += cy) {
                    add(gx, sx + d * cx, gy, sy + d * cy, c * ScalarTerm.sign((double) xs[a] - ys[b] + eps));
                }
                return;
            }
            if (p == 2) {
                double k = c / norm;
                for (int d = 0; d < n; d++, a += cx, b += cy) {
                    add(gx, sx + d * cx, gy, sy + d * cy, k * ((double) xs[a] - ys[b] + eps));
                }
                return;
            }
            if (p < 1) {
                double k = c * Math.pow(norm, 1 - p);
                for (int d = 0; d < n; d++, a += cx, b += cy) {
                    double v = (double) xs[a] - ys[b] + eps;
                    if (v != 0) {
                        add(gx, sx + d * cx, gy, sy + d * cy, k * Math.signum(v) * Math.pow(Math.abs(v), p - 1));
                    }
                }
                return;
            }
            double k = c / Math.pow(norm, p - 1);
            for (int d = 0; d < n; d++, a += cx, b += cy) {
                double v = (double) xs[a] - ys[b] + eps;
                double t = p < 2 ? Math.signum(v) * Math.pow(Math.abs(v), p - 1) : v * Math.pow(Math.abs(v), p - 2);
                add(gx, sx + d * cx, gy, sy + d * cy, k * t);
            }
        }

        /**
         * {@code 1 - s}, s = {@code <x, y> / (max(||x||, eps) max(||y||, eps))} over the pair's
         * broadcast row (a broadcast element counts once per use, as PyTorch expands before the norms).
         */
        private double cosineDistance(int q, float[] xs, int ox, int cx, float[] ys, int oy, int cy, int n) {
            double dot = 0;
            double sxx = 0;
            double syy = 0;
            int a = ox;
            int b = oy;
            int d0 = 0;
            // >>> SIMD hook: contiguous rows' vector part
            if (simd && cx == 1 && cy == 1) {
                RowsVector.dotAndSquares(xs, ox, ys, oy, n, simdSums, simdScratch);
                dot = simdSums[0];
                sxx = simdSums[1];
                syy = simdSums[2];
                d0 = RowsVector.vectorPart(n);
                a += d0;
                b += d0;
            }
            // <<< SIMD hook
            for (int d = d0; d < n; d++, a += cx, b += cy) {
                double u = xs[a];
                double v = ys[b];
                dot += u * v;
                sxx += u * u;
                syy += v * v;
            }
            double nx = Math.sqrt(sxx);
            double ny = Math.sqrt(syy);
            double s = dot / (Math.max(nx, eps) * Math.max(ny, eps));
            sim[q] = s;
            normX[q] = nx;
            normY[q] = ny;
            return 1 - s;
        }

        /**
         * d(1 - s)/dx_d = -(y_d / (nx' ny') - s x_d / nx'^2), nx' = max(nx, eps).
         * NOTE: PyTorch 1.13 clamps the norm in place, so the norm's backward sees the clamped value:
         * below eps the second term is s x_d / eps^2, not the derivative of the clamped norm (0).
         */
        private void cosineGrad(int q, float[] xs, int ox, int cx, double[] gx, int sx, float[] ys, int oy, int cy,
                                double[] gy, int sy, int n, double c) {
            double s = sim[q];
            double nx = normX[q];
            double ny = normY[q];
            double nxc = Math.max(nx, eps);
            double nyc = Math.max(ny, eps);
            double cross = -c / (nxc * nyc);
            double selfX = c * s / (nxc * nxc);
            double selfY = c * s / (nyc * nyc);
            int a = ox;
            int b = oy;
            for (int d = 0; d < n; d++, a += cx, b += cy) {
                double u = xs[a];
                double v = ys[b];
                if (gx != null) {
                    gx[sx + d * cx] += cross * v + selfX * u;
                }
                if (gy != null) {
                    gy[sy + d * cy] += cross * u + selfY * v;
                }
            }
        }

        private static void add(double[] gx, int ix, double[] gy, int iy, double t) {
            if (gx != null) {
                gx[ix] += t;
            }
            if (gy != null) {
                gy[iy] -= t;
            }
        }
    }
}
