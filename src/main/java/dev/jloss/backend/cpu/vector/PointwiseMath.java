package dev.jloss.backend.cpu.vector;

import static jdk.incubator.vector.FloatVector.fromArray;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LE;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.NE;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 transcendental functions as passes over a block: {@code dst[j] = f(x[xo + j])} for
 * {@code j < len}, len a multiple of the lanes of {@link Lanes#F} ({@code dst} may be {@code x} at the
 * same offset: each vector is read before it is written). Written in Vector API arithmetic (FMA
 * polynomials and exponent-bit manipulation), each function's body once, inside its pass.
 *
 * <p>NOTE: why passes, and why no method here takes or returns a vector. C2 stops inlining this
 * package's methods into a compilation once it has created 18000 nodes (NodeCountInliningCutoff, a
 * develop flag), and the Vector API's layers create some 400 nodes per operation before they fold: one
 * exp takes 12000. The JDK's own vector methods are force-inlined past that limit, ours are not, and a
 * method not inlined boxes every vector it takes or returns: BCEWithLogitsLoss allocated 470 MB per
 * call (20x slower) with exp, log1p, loss and gradient in one loop through vector helpers. So the loops
 * here and in {@link VectorTerms} call only the Vector API itself, and pass arrays between them; the
 * block-sized arrays stay in the L1 cache.
 *
 * <p>NOTE: why not {@code lanewise(EXP)} / {@code LOG} / {@code LOG1P}: on JDK 17 those are calls into
 * SVML stubs on x86 (live vectors are spilled around each) and fall back to a scalar loop per lane
 * elsewhere (aarch64). Measured here (AMD EPYC 7xx1, AVX2, 8 lanes, L1-resident data, one thread, ns per
 * element): SVML exp 1.27, log 1.67, log1p 2.80, softplus {@code max(x,0) + log1p(exp(-|x|))} 4.9; these
 * passes: exp 1.0, log 1.1, log1p(e) on [0, 1] 0.6.
 *
 * <p>Accuracy: each method states its worst relative error against the double-precision result
 * ({@link StrictMath}), measured by {@code PointwiseMathAccuracy} (src/test) over 1.2e7 inputs per function:
 * random bit patterns (every magnitude, the subnormals, ±0, ±inf, NaN), uniform draws over the
 * function's working range and log-uniform magnitudes down to 2^-150, plus the edges of each branch;
 * {@code PointwiseMathTest} checks the bounds on a smaller sample. "u" is 2^-24, float's unit roundoff
 * (half an ulp at 1). Special values follow {@link Math}.
 */
public final class PointwiseMath {
    static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = F.length();

    private PointwiseMath() {
    }

    // ---- exp ---------------------------------------------------------------------------------------

    /** Below this exp underflows to 0 (e^-104 < 2^-150, half the smallest subnormal). */
    private static final float EXP_LO = -104f;
    /** Above this exp overflows to +inf (e^89 > 2^128). */
    private static final float EXP_HI = 89f;
    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int ROUND_MAGIC_BITS = 0x4B400000;
    /** ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n LN2_HI is exact (Cody and Waite). */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;

    /**
     * dst = e^x. Range reduction x = n ln2 + r, |r| <= ln2/2 (Cody-Waite, FMA); e^r by Cephes' degree-7
     * polynomial {@code 1 + r + r^2 P(r)}; then scaling by 2^n in two steps (2^(n/2) 2^(n - n/2)) so that
     * results down to the subnormals round once, from the polynomial's value.
     *
     * <p>Worst relative error 1.41u (8.39e-8, at -38.47) for normal results; subnormal results within 0.75 of the
     * smallest subnormal. x > 88.7228 gives +inf, x < -103.973 gives 0, exp(-inf) = 0, exp(+inf) = +inf,
     * NaN gives NaN.
     */
    static void exp(float[] x, int xo, float[] dst, int len) {
        FloatVector lo = FloatVector.broadcast(F, EXP_LO);
        FloatVector hi = FloatVector.broadcast(F, EXP_HI);
        for (int j = 0; j < len; j += L) {
            FloatVector v = fromArray(F, x, xo + j);
            // clamp by compare and blend (cheaper than min/max, which order NaN and -0); NaN passes through
            v = v.blend(hi, v.compare(GT, hi)).blend(lo, v.compare(LT, lo));
            FloatVector t = v.fma(LOG2E, ROUND_MAGIC);
            FloatVector n = t.sub(ROUND_MAGIC);
            FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), v);
            r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector p = r.fma(1.9875691500E-4f, 1.3981999507E-3f);
            p = p.fma(r, FloatVector.broadcast(F, 8.3334519073E-3f));
            p = p.fma(r, FloatVector.broadcast(F, 4.1665795894E-2f));
            p = p.fma(r, FloatVector.broadcast(F, 1.6666665459E-1f));
            p = p.fma(r, FloatVector.broadcast(F, 5.0000001201E-1f));
            FloatVector y = p.fma(r.mul(r), r).add(1f);
            // 2^n as two factors 2^n1 2^n2, each a normal float for n in [-150, 128]
            IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);
            IntVector n1 = ni.lanewise(ASHR, 1);
            IntVector n2 = ni.sub(n1);
            FloatVector s1 = n1.add(127).lanewise(LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = n2.add(127).lanewise(LSHL, 23).reinterpretAsFloats();
            y.mul(s1).mul(s2).intoArray(dst, j);
        }
    }

    // ---- log ---------------------------------------------------------------------------------------

    private static final int SQRT_HALF_BITS = 0x3f3504f3;
    private static final float TWO_23 = 8388608f;

    /**
     * dst = log(x + c) (c: 0, or a loss's eps). x + c = 2^k m with m in [sqrt(1/2), sqrt(2)) by exponent-bit
     * arithmetic; log(1 + f), f = m - 1, by Cephes' {@code f - f^2/2 + f^3 P(f)} (degree 8); k ln2 added
     * in two parts. A vector with a lane that is not a positive normal finite float (rare) first scales
     * subnormals by 2^23, and afterwards takes the special values.
     *
     * <p>Worst relative error 1.35u (8.06e-8); log(1) = 0 exactly, log(±0) = -inf, log(x < 0) = NaN,
     * log(+inf) = +inf, NaN gives NaN.
     */
    static void log(float[] x, int xo, float c, float[] dst, int len) {
        FloatVector zero = FloatVector.zero(F);
        for (int j = 0; j < len; j += L) {
            FloatVector v = fromArray(F, x, xo + j).add(c);
            VectorMask<Float> normal = v.compare(GE, Float.MIN_NORMAL).and(v.compare(LE, Float.MAX_VALUE));
            boolean special = !normal.allTrue();
            FloatVector vs = v;
            FloatVector kAdjust = zero;
            if (special) {
                VectorMask<Float> sub = v.compare(LT, Float.MIN_NORMAL);
                vs = v.blend(v.mul(TWO_23), sub);
                kAdjust = zero.blend(-23f, sub);
            }
            IntVector ix = vs.reinterpretAsInts().add(0x3f800000 - SQRT_HALF_BITS);
            FloatVector k = ((FloatVector) ix.lanewise(ASHR, 23).sub(127).convert(I2F, 0)).add(kAdjust);
            FloatVector f = ix.and(0x007fffff).add(SQRT_HALF_BITS).reinterpretAsFloats().sub(1f);
            FloatVector z = f.mul(f);
            FloatVector p = f.fma(7.0376836292E-2f, -1.1514610310E-1f);
            p = p.fma(f, FloatVector.broadcast(F, 1.1676998740E-1f));
            p = p.fma(f, FloatVector.broadcast(F, -1.2420140846E-1f));
            p = p.fma(f, FloatVector.broadcast(F, 1.4249322787E-1f));
            p = p.fma(f, FloatVector.broadcast(F, -1.6668057665E-1f));
            p = p.fma(f, FloatVector.broadcast(F, 2.0000714765E-1f));
            p = p.fma(f, FloatVector.broadcast(F, -2.4999993993E-1f));
            p = p.fma(f, FloatVector.broadcast(F, 3.3333331174E-1f));
            FloatVector y = p.mul(f).mul(z);
            y = k.fma(FloatVector.broadcast(F, LN2_LO), y);
            y = z.fma(FloatVector.broadcast(F, -0.5f), y);
            FloatVector r = k.fma(FloatVector.broadcast(F, LN2_HI), f.add(y));
            if (special) {
                r = r.blend(Float.NEGATIVE_INFINITY, v.compare(EQ, 0f));
                r = r.blend(Float.NaN, v.compare(LT, 0f));
                // +inf and NaN are their own logarithms
                r = r.blend(v, v.compare(EQ, Float.POSITIVE_INFINITY).or(v.compare(NE, v)));
            }
            r.intoArray(dst, j);
        }
    }

    /**
     * dst = log(1 + u) for u >= -1: w = 1 + u rounded, then {@code log(w) + (u - (w - 1)) / w}, the
     * first-order correction for the rounding of w (exact to far below an ulp), so small u keep full
     * relative accuracy. {@code dst} may be {@code x} (at offset 0); {@code tmp} is a scratch array of len
     * floats (neither x nor dst).
     *
     * <p>Worst relative error 2.25u (1.34e-7). log1p(-1) = -inf, u < -1 gives NaN, log1p(+inf) = +inf,
     * ±0 gives ±0, NaN gives NaN.
     */
    static void log1p(float[] x, int xo, float[] dst, float[] tmp, int len) {
        // w = 1 + u into tmp, the correction into dst (each u read before its dst is written: dst may be x),
        // then log(w) in place in tmp, added to dst
        for (int j = 0; j < len; j += L) {
            fromArray(F, x, xo + j).add(1f).intoArray(tmp, j);
        }
        for (int j = 0; j < len; j += L) {
            FloatVector u = fromArray(F, x, xo + j);
            FloatVector w = fromArray(F, tmp, j);
            FloatVector c = u.sub(w.sub(1f)).div(w);
            // w = 0 (u = -1) and w = inf make c 0/0 or inf - inf: the logarithm alone is right there
            c.blend(0f, w.compare(EQ, 0f).or(w.compare(EQ, Float.POSITIVE_INFINITY))).intoArray(dst, j);
        }
        log(tmp, 0, 0f, tmp, len);
        for (int j = 0; j < len; j += L) {
            fromArray(F, dst, j).add(fromArray(F, tmp, j)).intoArray(dst, j);
        }
    }

    /**
     * dst = log(1 + e) for e in [0, 1] (the {@code log1p(exp(-|x|))} of softplus): {@code e P(e)} with a
     * degree-9 polynomial fitted here (relative minimax error 4.7e-9 on [0, 1]); no division, no branch.
     *
     * <p>Worst relative error 2.46u (1.46e-7) on [0, 1] (0 gives 0, subnormals keep full relative accuracy);
     * NaN gives NaN. Outside [0, 1] the value is wrong.
     */
    static void log1pUnit(float[] x, int xo, float[] dst, int len) {
        for (int j = 0; j < len; j += L) {
            FloatVector e = fromArray(F, x, xo + j);
            FloatVector p = e.fma(-0.0032440293580293655f, 0.019851481541991234f);
            p = p.fma(e, FloatVector.broadcast(F, -0.056959569454193115f));
            p = p.fma(e, FloatVector.broadcast(F, 0.10603658109903336f));
            p = p.fma(e, FloatVector.broadcast(F, -0.15305595099925995f));
            p = p.fma(e, FloatVector.broadcast(F, 0.1967594027519226f));
            p = p.fma(e, FloatVector.broadcast(F, -0.24954134225845337f));
            p = p.fma(e, FloatVector.broadcast(F, 0.3332996368408203f));
            p = p.fma(e, FloatVector.broadcast(F, -0.4999990165233612f));
            p = p.fma(e, FloatVector.broadcast(F, 1f));
            p.mul(e).intoArray(dst, j);
        }
    }

    // ---- softplus and sigmoid from one exp ---------------------------------------------------------

    /**
     * dst = -|x| (into which {@link #exp} then puts {@code exp(-|x|)}, the one exp softplus and sigmoid
     * share); with {@code y} non-null, of the product: -|x y|.
     */
    static void negAbs(float[] x, int xo, float[] y, int yo, float[] dst, int len) {
        for (int j = 0; j < len; j += L) {
            FloatVector v = fromArray(F, x, xo + j);
            if (y != null) {
                v = v.mul(fromArray(F, y, yo + j));
            }
            v.abs().neg().intoArray(dst, j);
        }
    }

    /**
     * dst[dOff + j] = softplus(z) = log(1 + e^z), given {@code l = log1p(exp(-|z|))} ({@link #log1pUnit} of
     * {@link #exp} of {@link #negAbs}), in the stable form {@code max(z, 0) + l}: no overflow, no
     * cancellation (both terms are non-negative).
     *
     * <p>Worst relative error 3.30u (1.97e-7) over all floats; softplus(+inf) = +inf, softplus(-inf) = 0,
     * NaN gives NaN.
     */
    static void softplus(float[] z, int zo, float[] l, float[] dst, int dOff, int len) {
        for (int j = 0; j < len; j += L) {
            FloatVector v = fromArray(F, z, zo + j);
            // max(z, 0) by a blend: NaN becomes 0 there, but l is NaN then
            v.blend(0f, v.compare(LE, 0f)).add(fromArray(F, l, j)).intoArray(dst, dOff + j);
        }
    }

    /**
     * dst = sigmoid(z) = 1 / (1 + e^-z), given {@code e = exp(-|z|)}: {@code r = 1 / (1 + e)} is
     * sigmoid(|z|), {@code e r} is sigmoid(-|z|); never 1 - sigmoid (no cancellation).
     *
     * <p>Worst relative error 3.20u (1.91e-7) over all floats; sigmoid(+inf) = 1, sigmoid(-inf) = 0,
     * NaN gives NaN.
     */
    static void sigmoid(float[] z, int zo, float[] e, float[] dst, int len) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int j = 0; j < len; j += L) {
            FloatVector v = fromArray(F, z, zo + j);
            FloatVector ev = fromArray(F, e, j);
            FloatVector r = one.div(ev.add(1f));
            r.mul(ev).blend(r, v.compare(GE, 0f)).intoArray(dst, j);
        }
    }
}
