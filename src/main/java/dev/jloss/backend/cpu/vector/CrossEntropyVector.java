package dev.jloss.backend.cpu.vector;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector sweeps of cross_entropy's rows (the class dimension contiguous, S = 1), called by
 * {@code CrossEntropyLossCpu} when {@code VectorSupport.enabled()}: the row maximum, the exps with their
 * sum (stored as floats into the gradient's row when it is wanted; the same loop finds the next row's
 * maximum), and the gradient written over them in place. The loss and gradient formulas stay in
 * {@code CrossEntropyLossCpu}.
 *
 * <p><b>Accuracy.</b> The exps are {@link VectorMath#exp(float)} (worst relative error
 * {@value VectorMath#EXP_MAX_RELATIVE_ERROR}, {@value VectorMath#EXP_MAX_RELATIVE_ERROR_NEAR} for
 * {@code x - max >= -10}). Sums are taken in float lanes over blocks of {@link #BLOCK} elements (each
 * lane adds 8 terms: for the exps, all positive, a relative error under 7 float roundings, 4.2e-7,
 * per block), and the blocks' lane sums are added in double: a row's exp sum is within 4.2e-7 (worst case; about 1e-7 typically) of the same floats summed in double. The
 * lane holding the target class (its block's elements {@code t + k L}) is summed element by element in
 * double without the target's exp, so
 * {@code sum_{c != t} e_c}, from which the gradient's target element {@code softmax_t - 1 =
 * -sum_{c != t} e_c / sum_c e_c} is formed, keeps its relative accuracy when the target's
 * probability is near 1 (no cancellation). Class-probability sums, where the loss {@code lse sum wq -
 * sum wqx} can cancel, that gradient, and label smoothing's {@code sum_c w_c x_c} run in double lanes.
 *
 * <p><b>Determinism:</b> blocks start at multiples of {@link #BLOCK} from the row's start, so results
 * depend only on the data and the row length, never on the thread that runs the row.
 */
public final class CrossEntropyVector {
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = F.length();
    /** Floats per accumulation block (a power of two): 8 vectors, each lane adds 8 terms in float. */
    static final int BLOCK = 8 * L;
    /**
     * Doubles of F's shape (half its lanes), for the sums kept in double: a float vector's lower half
     * widened. NOTE: only these two shapes: a call site of the Vector API that has seen vectors of two
     * shapes (here a 128-bit float species, for widening to 256-bit doubles, polluted the type profile
     * of {@code FloatVector.intoArray}) no longer intrinsifies in C2, and its vectors get boxed: the
     * exps' sweep ran 6x slower (measured).
     */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    private static final int LD = D.length();

    private CrossEntropyVector() {
    }

    /**
     * max of x[from, from + len) (-inf for len 0). NaNs are skipped: a row holding one has a NaN
     * exp sum, which the caller sends to the scalar path.
     */
    public static float max(float[] x, int from, int len) {
        FloatVector m0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector m1 = m0;
        FloatVector m2 = m0;
        FloatVector m3 = m0;
        int i = 0;
        int ub4 = len - 4 * L + 1;
        for (; i < ub4; i += 4 * L) {
            FloatVector v0 = FloatVector.fromArray(F, x, from + i);
            FloatVector v1 = FloatVector.fromArray(F, x, from + i + L);
            FloatVector v2 = FloatVector.fromArray(F, x, from + i + 2 * L);
            FloatVector v3 = FloatVector.fromArray(F, x, from + i + 3 * L);
            // compare and blend: two instructions, where max's Java semantics (NaN, -0) take five on AVX2
            m0 = m0.blend(v0, m0.lt(v0));
            m1 = m1.blend(v1, m1.lt(v1));
            m2 = m2.blend(v2, m2.lt(v2));
            m3 = m3.blend(v3, m3.lt(v3));
        }
        int ub = F.loopBound(len);
        for (; i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, from + i);
            m0 = m0.blend(v, m0.lt(v));
        }
        m0 = m0.blend(m1, m0.lt(m1));
        m2 = m2.blend(m3, m2.lt(m3));
        m0 = m0.blend(m2, m0.lt(m2));
        float m = m0.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) {
            float v = x[from + i];
            if (m < v) {
                m = v;
            }
        }
        return m;
    }

    /** Floats of scratch {@link #expSums} needs for rows of {@code len} classes. */
    public static int scratchLength(int len) {
        return (F.loopBound(len) + BLOCK - 1) / BLOCK * L + LD;
    }

    /**
     * {@code sum_{c != t} e_c} in double, {@code e_c = VectorMath.exp(x[from + c] - m)}, for c < len;
     * when {@code out} is not null also stores {@code out[from + c] = e_c} (out has x's layout). A
     * {@code t} outside [0, len) excludes nothing. The target's own exp is {@code VectorMath.exp(x[from
     * + t] - m)}, bitwise the stored value. NaN when the row holds a NaN. {@code scratch} holds
     * {@link #scratchLength} floats.
     *
     * <p>When {@code next >= 0}, the same loop also finds the maximum of the next row, x[next, next +
     * len), into {@code nextMax[0]} (as {@link #max} would): that row's first read from memory then
     * overlaps this row's exps instead of running as a sweep of its own.
     */
    public static double expSums(float[] x, int from, int len, float m, int t, float[] out, int next,
                                 float[] nextMax, float[] scratch) {
        int ub = F.loopBound(len);
        if (next < 0) {
            if (out == null) {
                sumExps(x, from, ub, m, scratch);
            } else {
                storeExps(x, from, ub, m, out, scratch);
            }
        } else {
            if (out == null) {
                sumExpsMax(x, from, ub, m, next, nextMax, scratch);
            } else {
                storeExpsMax(x, from, ub, m, out, next, nextMax, scratch);
            }
            float mx = nextMax[0];
            for (int c = ub; c < len; c++) {
                float v = x[next + c];
                if (mx < v) {
                    mx = v;
                }
            }
            nextMax[0] = mx;
        }
        double sum = 0;
        if (t >= 0 && t < ub) {
            // the target's lane of its block (the block's elements t + k L): its float sum replaced by
            // its elements but the target's, in double
            int start = t / BLOCK * BLOCK;
            int end = Math.min(ub, start + BLOCK);
            int lane = t % L;
            for (int c = start + lane; c < end; c += L) {
                if (c != t) {
                    sum += VectorMath.exp(x[from + c] - m);
                }
            }
            scratch[start / BLOCK * L + lane] = 0f;
        }
        sum += sumInDouble(scratch, (ub + BLOCK - 1) / BLOCK * L);
        for (int c = ub; c < len; c++) {
            float e = VectorMath.exp(x[from + c] - m);
            if (out != null) {
                out[from + c] = e;
            }
            if (c != t) {
                sum += e;
            }
        }
        return sum;
    }

    // NOTE: each hot loop below inlines VectorMath.exp once: C2 stops inlining (NodeCountInliningCutoff)
    // in a method holding several copies, and a vector passed to a call left out of line is boxed,
    // which made the gradient's sweep 7x slower (measured). Hence four loops rather than one with flags.
    //
    // The sums: each block of BLOCK / L vectors is added in a float accumulator (each lane adds 8 exps)
    // that is stored to scratch at the block's end; scratch is then summed in double. That costs 4% of
    // the exp loop (measured). Keeping the blocks' sums in registers instead, widened to double
    // (convertShape's upper half is a shuffle, then a horizontal add) or gathered by TwoSum, cost 22% and
    // 45%: the exp's constants already fill most of the 16 AVX2 registers, and more live vectors made
    // C2 spill them.

    /** The exps over [0, ub) (ub a multiple of L): block sums into scratch. */
    private static void sumExps(float[] x, int from, int ub, float m, float[] scratch) {
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector a = FloatVector.zero(F);
        int j = 0;
        for (int i = 0; i < ub; i += L) {
            a = a.add(VectorMath.exp(FloatVector.fromArray(F, x, from + i).sub(mv)));
            if ((i & (BLOCK - 1)) == BLOCK - L) {
                a.intoArray(scratch, j);
                j += L;
                a = FloatVector.zero(F);
            }
        }
        if ((ub & (BLOCK - 1)) != 0) {
            a.intoArray(scratch, j);
        }
    }

    /** {@link #sumExps}, storing the exps at out[from + i]. */
    private static void storeExps(float[] x, int from, int ub, float m, float[] out, float[] scratch) {
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector a = FloatVector.zero(F);
        int j = 0;
        for (int i = 0; i < ub; i += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, from + i).sub(mv));
            e.intoArray(out, from + i);
            a = a.add(e);
            if ((i & (BLOCK - 1)) == BLOCK - L) {
                a.intoArray(scratch, j);
                j += L;
                a = FloatVector.zero(F);
            }
        }
        if ((ub & (BLOCK - 1)) != 0) {
            a.intoArray(scratch, j);
        }
    }

    /** {@link #sumExps}, and the lanes' max of x[next, next + ub) into nextMax[0]. */
    private static void sumExpsMax(float[] x, int from, int ub, float m, int next, float[] nextMax,
                                   float[] scratch) {
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector mx = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector a = FloatVector.zero(F);
        int j = 0;
        for (int i = 0; i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, next + i);
            mx = mx.blend(v, mx.lt(v));
            a = a.add(VectorMath.exp(FloatVector.fromArray(F, x, from + i).sub(mv)));
            if ((i & (BLOCK - 1)) == BLOCK - L) {
                a.intoArray(scratch, j);
                j += L;
                a = FloatVector.zero(F);
            }
        }
        if ((ub & (BLOCK - 1)) != 0) {
            a.intoArray(scratch, j);
        }
        nextMax[0] = mx.reduceLanes(VectorOperators.MAX);
    }

    /** {@link #storeExps} and {@link #sumExpsMax} together. */
    private static void storeExpsMax(float[] x, int from, int ub, float m, float[] out, int next,
                                     float[] nextMax, float[] scratch) {
        FloatVector mv = FloatVector.broadcast(F, m);
        FloatVector mx = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector a = FloatVector.zero(F);
        int j = 0;
        for (int i = 0; i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, next + i);
            mx = mx.blend(v, mx.lt(v));
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, from + i).sub(mv));
            e.intoArray(out, from + i);
            a = a.add(e);
            if ((i & (BLOCK - 1)) == BLOCK - L) {
                a.intoArray(scratch, j);
                j += L;
                a = FloatVector.zero(F);
            }
        }
        if ((ub & (BLOCK - 1)) != 0) {
            a.intoArray(scratch, j);
        }
        nextMax[0] = mx.reduceLanes(VectorOperators.MAX);
    }

    /** sum of a[0, n) in double, n a multiple of LD, in a fixed order; a holds LD floats more. */
    private static double sumInDouble(float[] a, int n) {
        DoubleVector s = DoubleVector.zero(D);
        for (int i = 0; i < n; i += LD) {
            s = s.add(widen(a, i));
        }
        return s.reduceLanes(VectorOperators.ADD);
    }

    /** g[from + c] *= a, for c < len. */
    public static void scale(float[] g, int from, int len, float a) {
        int ub = F.loopBound(len);
        int i = 0;
        for (; i < ub; i += L) {
            FloatVector.fromArray(F, g, from + i).mul(a).intoArray(g, from + i);
        }
        for (; i < len; i++) {
            g[from + i] *= a;
        }
    }

    /** g[from + c] = a g[from + c] - b w[c] (one fused multiply-add), for c < len. */
    public static void scaleMinusWeights(float[] g, int from, int len, float a, float b, float[] w) {
        int ub = F.loopBound(len);
        FloatVector av = FloatVector.broadcast(F, a);
        float nb = -b;
        int i = 0;
        for (; i < ub; i += L) {
            FloatVector wb = FloatVector.fromArray(F, w, i).mul(nb);
            FloatVector.fromArray(F, g, from + i).fma(av, wb).intoArray(g, from + i);
        }
        for (; i < len; i++) {
            g[from + i] = Math.fma(g[from + i], a, w[i] * nb);
        }
    }

    /**
     * {@code sum_c w[c] x[from + c]} for c < len, in double lanes (products of floats are exact in
     * double). Only label smoothing needs it, once per row.
     */
    public static double dot(float[] w, float[] x, int from, int len) {
        DoubleVector s = DoubleVector.zero(D);
        int i = 0;
        for (; i <= len - L; i += LD) {
            s = widen(w, i).fma(widen(x, from + i), s);
        }
        double sum = s.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            sum += (double) w[i] * x[from + i];
        }
        return sum;
    }

    /**
     * For class probabilities q (x's layout) and weights w: res[0] = sum_c v_c, res[1] = sum_c v_c
     * x[from + c], {@code v_c = w[c] (q[from + c] keep + spread)}, in double lanes (the loss
     * {@code lse res[0] - res[1]} can cancel).
     */
    public static void probabilitySums(float[] w, float[] q, float[] x, int from, int len, double keep,
                                       double spread, double[] res) {
        DoubleVector s0 = DoubleVector.zero(D);
        DoubleVector s1 = s0;
        int i = 0;
        for (; i <= len - L; i += LD) {
            DoubleVector v = widen(q, from + i).fma(keep, spread).mul(widen(w, i));
            s0 = s0.add(v);
            s1 = v.fma(widen(x, from + i), s1);
        }
        double wq = s0.reduceLanes(VectorOperators.ADD);
        double wqx = s1.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            double v = w[i] * (q[from + i] * keep + spread);
            wq += v;
            wqx += v * x[from + i];
        }
        res[0] = wq;
        res[1] = wqx;
    }

    /**
     * The gradient of a class-probability row, in place over its exps {@code g[from + c] = e_c}:
     * {@code g = a e_c - b w[c] (q[from + c] keep + spread)}, in float (one FMA for the difference: the
     * error stays within a few float roundings of the larger term).
     */
    public static void probabilityGrad(float[] g, int from, int len, float a, float b, float[] w, float[] q,
                                       float keep, float spread) {
        int ub = F.loopBound(len);
        FloatVector av = FloatVector.broadcast(F, a);
        FloatVector kv = FloatVector.broadcast(F, keep);
        FloatVector sv = FloatVector.broadcast(F, spread);
        float nb = -b;
        int i = 0;
        for (; i < ub; i += L) {
            FloatVector t = FloatVector.fromArray(F, q, from + i).fma(kv, sv).mul(FloatVector.fromArray(F, w, i)).mul(nb);
            FloatVector.fromArray(F, g, from + i).fma(av, t).intoArray(g, from + i);
        }
        for (; i < len; i++) {
            g[from + i] = Math.fma(g[from + i], a, Math.fma(q[from + i], keep, spread) * w[i] * nb);
        }
    }

    // ---- K-dim: (N, C, d1..dk) blocks of len neighbouring positions, class c of position j at
    // x[base + c * stride + j]; the vectors run over j (contiguous), the classes in the outer loop ----

    /** m[j] = max_c x[base + c * stride + j] for j < len (NaNs skipped, -inf for classes 0). */
    public static void columnMax(float[] x, int base, int stride, int classes, int len, float[] m) {
        Arrays.fill(m, 0, len, Float.NEGATIVE_INFINITY);
        int ub = F.loopBound(len);
        for (int c = 0; c < classes; c++) {
            int off = base + c * stride;
            int j = 0;
            for (; j < ub; j += L) {
                FloatVector mv = FloatVector.fromArray(F, m, j);
                FloatVector v = FloatVector.fromArray(F, x, off + j);
                mv.blend(v, mv.lt(v)).intoArray(m, j);
            }
            for (; j < len; j++) {
                float v = x[off + j];
                if (m[j] < v) {
                    m[j] = v;
                }
            }
        }
    }

    /**
     * {@code e[c * len + j] = VectorMath.exp(x[base + c * stride + j] - m[j])} and {@code s[j] = sum_c
     * e[c * len + j]}, in double, in class order (each float exp exact in double, so {@code s[j] -
     * e_t} keeps its accuracy). e holds {@code classes * len + L} floats.
     */
    public static void columnExps(float[] x, int base, int stride, int classes, int len, float[] m, float[] e,
                                  double[] s) {
        Arrays.fill(s, 0, len, 0.0);
        int ub = F.loopBound(len);
        for (int c = 0; c < classes; c++) {
            int off = base + c * stride;
            int eo = c * len;
            columnExpsOne(x, off, ub, m, e, eo, s);
            for (int j = ub; j < len; j++) {
                float v = VectorMath.exp(x[off + j] - m[j]);
                e[eo + j] = v;
                s[j] += v;
            }
        }
    }

    /** One class of {@link #columnExps} over j < ub (a multiple of L). */
    private static void columnExpsOne(float[] x, int off, int ub, float[] m, float[] e, int eo, double[] s) {
        for (int j = 0; j < ub; j += L) {
            VectorMath.exp(FloatVector.fromArray(F, x, off + j).sub(FloatVector.fromArray(F, m, j))).intoArray(e, eo + j);
            DoubleVector.fromArray(D, s, j).add(widen(e, eo + j)).intoArray(s, j);
            DoubleVector.fromArray(D, s, j + LD).add(widen(e, eo + j + LD)).intoArray(s, j + LD);
        }
    }

    /**
     * The gradient of a block from its exps: {@code g[base + c * stride + j] = e[c * len + j] a[j] -
     * b[j] w[c]} (one FMA), or with {@code q} not null {@code - b[j] w[c] (q[base + c * stride + j] keep
     * + spread)}.
     */
    public static void columnGrad(float[] g, int base, int stride, int classes, int len, float[] e, float[] a,
                                  float[] b, float[] w, float[] q, float keep, float spread) {
        int ub = F.loopBound(len);
        for (int c = 0; c < classes; c++) {
            int off = base + c * stride;
            int eo = c * len;
            float wc = w[c];
            int j = 0;
            if (q == null) {
                for (; j < ub; j += L) {
                    FloatVector nb = FloatVector.fromArray(F, b, j).mul(-wc);
                    FloatVector.fromArray(F, e, eo + j).fma(FloatVector.fromArray(F, a, j), nb).intoArray(g, off + j);
                }
                for (; j < len; j++) {
                    g[off + j] = Math.fma(e[eo + j], a[j], b[j] * -wc);
                }
            } else {
                FloatVector kv = FloatVector.broadcast(F, keep);
                FloatVector sv = FloatVector.broadcast(F, spread);
                for (; j < ub; j += L) {
                    FloatVector nb = FloatVector.fromArray(F, q, off + j).fma(kv, sv).mul(FloatVector.fromArray(F, b, j))
                            .mul(-wc);
                    FloatVector.fromArray(F, e, eo + j).fma(FloatVector.fromArray(F, a, j), nb).intoArray(g, off + j);
                }
                for (; j < len; j++) {
                    g[off + j] = Math.fma(e[eo + j], a[j], Math.fma(q[off + j], keep, spread) * b[j] * -wc);
                }
            }
        }
    }

    /** The L floats at a[offset], their lower half widened to double (offset + L <= a.length). */
    private static DoubleVector widen(float[] a, int offset) {
        return (DoubleVector) FloatVector.fromArray(F, a, offset).convertShape(VectorOperators.F2D, D, 0);
    }
}
