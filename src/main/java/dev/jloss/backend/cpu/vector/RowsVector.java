package dev.jloss.backend.cpu.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD row loops for the CPU backend's row-wise losses, in float lanes
 * ({@link Lanes#F}). Every method covers the first {@link #vectorPart(int) vectorPart(n)} elements of a
 * row (whole vectors) and leaves the rest, fewer than a vector, to the kernel's scalar loop, so the
 * tail is the scalar path's double arithmetic.
 *
 * <p>Accuracy: lanes accumulate in float over blocks of {@link #BLOCK} vectors; each block's lanes
 * are then added, lane 0 first, into a double. Block boundaries depend only on the row length, so
 * results are bitwise the same run to run and for any thread count; a row computed for the loss
 * alone and with its gradient runs the same operations, so forward and fused calls give the same
 * bits.
 */
public final class RowsVector {
    static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = F.length();
    /** Vectors per float block before the lanes are added into double. */
    public static final int BLOCK = 16;

    private RowsVector() {
    }

    /** How many leading elements of an n-element row the SIMD loops cover: whole vectors. */
    public static int vectorPart(int n) {
        return n - n % L;
    }

    /**
     * A chunk's scratch for rows of {@code n} elements (the kernels allocate one per chunk and pass it
     * to every row): two floats per element and one block's lanes.
     */
    public static float[] scratch(int n) {
        return new float[2 * n + L];
    }

    /**
     * MultiLabelSoftMarginLoss over the vector part of a row with contiguous classes: returns
     * {@code sum_j -w_j (y_j log sigmoid(x_j) + (1 - y_j) log sigmoid(-x_j))} and, when {@code g} is
     * not null, writes {@code g[xo + j] = -w_j (y_j sigmoid(-x_j) - (1 - y_j) sigmoid(x_j)) scale}. The
     * same formulas as the scalar kernel, in float lanes, with e = exp(-|x|) and log1p(e) from
     * {@link VMath#expNegAbs} and {@link VMath#log1p01} (together within 2.6e-7 relative): so a non-finite
     * score gives what the scalar path gives (an infinite score on its own side is 0 * -inf = NaN).
     *
     * @param w        the weight, or null for none; read at {@code wo + j}
     * @param scratch  from {@link #scratch(int) scratch(n)}
     */
    public static double multiLabelSoftMargin(float[] x, int xo, float[] y, int yo, float[] w, int wo, int n,
                                              float[] g, double scale, float[] scratch) {
        int end = vectorPart(n);
        VMath.expNegAbs(x, xo, scratch, end);
        System.arraycopy(scratch, 0, scratch, n, end);
        VMath.log1p01(scratch, n, n + end);
        double sum = 0;
        int lanes = scratch.length - L;
        for (int b = 0; b < end; b += BLOCK * L) {
            softMarginBlock(x, xo, y, yo, w, wo, b, Math.min(end, b + BLOCK * L), scratch, n);
            for (int i = lanes; i < scratch.length; i++) {
                sum += scratch[i];
            }
        }
        if (g != null) {
            softMarginGrad(x, xo, y, yo, w, wo, end, g, (float) scale, scratch);
        }
        return sum;
    }

    /** One block's terms from log1p(e) at {@code scratch[l + j]}, summed per lane into the scratch's tail. */
    private static void softMarginBlock(float[] x, int xo, float[] y, int yo, float[] w, int wo, int from, int to,
                                        float[] scratch, int l) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector zero = FloatVector.zero(F);
        FloatVector acc = FloatVector.zero(F);
        for (int j = from; j < to; j += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + j);
            FloatVector yv = FloatVector.fromArray(F, y, yo + j);
            FloatVector lv = FloatVector.fromArray(F, scratch, l + j);
            FloatVector logSigPos = xv.min(zero).sub(lv);
            FloatVector logSigNeg = xv.neg().min(zero).sub(lv);
            FloatVector t = yv.mul(logSigPos).add(one.sub(yv).mul(logSigNeg));
            if (w != null) {
                t = t.mul(FloatVector.fromArray(F, w, wo + j));
            }
            acc = acc.add(t.neg());
        }
        acc.intoArray(scratch, scratch.length - L);
    }

    /** The gradient over the vector part, from the e = exp(-|x|) left in {@code scratch[0, end)}. */
    private static void softMarginGrad(float[] x, int xo, float[] y, int yo, float[] w, int wo, int end, float[] g,
                                       float scale, float[] scratch) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector zero = FloatVector.zero(F);
        FloatVector sc = FloatVector.broadcast(F, scale);
        for (int j = 0; j < end; j += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + j);
            FloatVector yv = FloatVector.fromArray(F, y, yo + j);
            FloatVector e = FloatVector.fromArray(F, scratch, j);
            FloatVector inv = one.div(one.add(e));
            FloatVector einv = e.mul(inv);
            VectorMask<Float> pos = xv.compare(VectorOperators.GE, zero);
            FloatVector sigPos = einv.blend(inv, pos);
            FloatVector sigNeg = inv.blend(einv, pos);
            FloatVector d = yv.mul(sigNeg).sub(one.sub(yv).mul(sigPos));
            if (w != null) {
                d = d.mul(FloatVector.fromArray(F, w, wo + j));
            }
            d.mul(sc).neg().intoArray(g, xo + j);
        }
    }

    // ---- pairwise rows: cosine embedding, triplet distances ------------------------------------------

    /** A chunk's scratch for {@link #dotAndSquares} and {@link #squaredDistance}: three blocks of lanes. */
    public static float[] pairScratch() {
        return new float[3 * L];
    }

    /**
     * Over the vector part of two contiguous rows: {@code sums[0] = sum x y}, {@code sums[1] = sum x^2},
     * {@code sums[2] = sum y^2}, in float lanes, blocks of {@link #BLOCK} vectors added into double.
     */
    public static void dotAndSquares(float[] x, int xo, float[] y, int yo, int n, double[] sums, float[] scratch) {
        int end = vectorPart(n);
        double dot = 0;
        double sxx = 0;
        double syy = 0;
        for (int b = 0; b < end; b += BLOCK * L) {
            int to = Math.min(end, b + BLOCK * L);
            FloatVector d = FloatVector.zero(F);
            FloatVector p = FloatVector.zero(F);
            FloatVector q = FloatVector.zero(F);
            for (int j = b; j < to; j += L) {
                FloatVector u = FloatVector.fromArray(F, x, xo + j);
                FloatVector v = FloatVector.fromArray(F, y, yo + j);
                d = u.fma(v, d);
                p = u.fma(u, p);
                q = v.fma(v, q);
            }
            d.intoArray(scratch, 0);
            p.intoArray(scratch, L);
            q.intoArray(scratch, 2 * L);
            for (int i = 0; i < L; i++) {
                dot += scratch[i];
                sxx += scratch[L + i];
                syy += scratch[2 * L + i];
            }
        }
        sums[0] = dot;
        sums[1] = sxx;
        sums[2] = syy;
    }

    /** {@code sum (x - y + eps)^2} over the vector part of two contiguous rows (float lanes, blocks into double). */
    public static double squaredDistance(float[] x, int xo, float[] y, int yo, int n, double eps, float[] scratch) {
        int end = vectorPart(n);
        FloatVector e = FloatVector.broadcast(F, (float) eps);
        double sum = 0;
        for (int b = 0; b < end; b += BLOCK * L) {
            int to = Math.min(end, b + BLOCK * L);
            FloatVector acc = FloatVector.zero(F);
            for (int j = b; j < to; j += L) {
                FloatVector v = FloatVector.fromArray(F, x, xo + j).sub(FloatVector.fromArray(F, y, yo + j)).add(e);
                acc = v.fma(v, acc);
            }
            acc.intoArray(scratch, 0);
            for (int i = 0; i < L; i++) {
                sum += scratch[i];
            }
        }
        return sum;
    }

    /**
     * The cosine embedding loss's row gradient over the vector part, written straight to the
     * gradients (either may be null): {@code g1 = cross x2 - self1 x1}, {@code g2 = cross x1 - self2 x2}.
     */
    public static void cosineGrad(float[] x1, int o1, float[] x2, int o2, int n, double cross, double self1,
                                  double self2, float[] g1, float[] g2) {
        int end = vectorPart(n);
        FloatVector c = FloatVector.broadcast(F, (float) cross);
        FloatVector s1 = FloatVector.broadcast(F, (float) -self1);
        FloatVector s2 = FloatVector.broadcast(F, (float) -self2);
        for (int j = 0; j < end; j += L) {
            FloatVector u = FloatVector.fromArray(F, x1, o1 + j);
            FloatVector v = FloatVector.fromArray(F, x2, o2 + j);
            if (g1 != null) {
                c.fma(v, s1.mul(u)).intoArray(g1, o1 + j);
            }
            if (g2 != null) {
                c.fma(u, s2.mul(v)).intoArray(g2, o2 + j);
            }
        }
    }

    /**
     * The Euclidean triplet row gradient over the vector part, written straight to the gradients (any
     * may be null), with v_xy = x - y + eps and one coefficient per pair (d(x, y)'s upstream gradient
     * over d(x, y)); a pair whose flag is false contributes nothing (not even 0 * v, which is NaN for an
     * infinite v), as the scalar kernel skips it:
     * <pre>
     *   g_a = kap v_ap + kan v_an,   g_p = -kap v_ap + kpn v_pn,   g_n = -kan v_an - kpn v_pn
     * </pre>
     */
    public static void tripletGrad(float[] a, int oa, float[] p, int op, float[] q, int oq, int n, double eps,
                                   boolean ap, double kap, boolean an, double kan, boolean pn, double kpn,
                                   float[] ga, float[] gp, float[] gn) {
        int end = vectorPart(n);
        FloatVector e = FloatVector.broadcast(F, (float) eps);
        FloatVector k1 = FloatVector.broadcast(F, (float) kap);
        FloatVector k2 = FloatVector.broadcast(F, (float) kan);
        FloatVector k3 = FloatVector.broadcast(F, (float) kpn);
        for (int j = 0; j < end; j += L) {
            FloatVector va = FloatVector.fromArray(F, a, oa + j);
            FloatVector vp = FloatVector.fromArray(F, p, op + j);
            FloatVector vn = FloatVector.fromArray(F, q, oq + j);
            FloatVector sa = FloatVector.zero(F);
            FloatVector sp = FloatVector.zero(F);
            FloatVector sn = FloatVector.zero(F);
            if (ap) {
                FloatVector t = va.sub(vp).add(e).mul(k1);
                sa = sa.add(t);
                sp = sp.sub(t);
            }
            if (an) {
                FloatVector t = va.sub(vn).add(e).mul(k2);
                sa = sa.add(t);
                sn = sn.sub(t);
            }
            if (pn) {
                FloatVector t = vp.sub(vn).add(e).mul(k3);
                sp = sp.add(t);
                sn = sn.sub(t);
            }
            if (ga != null) {
                sa.intoArray(ga, oa + j);
            }
            if (gp != null) {
                sp.intoArray(gp, op + j);
            }
            if (gn != null) {
                sn.intoArray(gn, oq + j);
            }
        }
    }
}
