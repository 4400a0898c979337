package dev.jloss.backend.cpu.vector;

import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lanewise exp and log for the SIMD kernels, built from adds, multiplies, fused multiply-adds,
 * compares, blends and integer shifts only. JDK 17's own {@code VectorOperators.EXP}/{@code LOG1P}
 * run through SVML where the JVM has it and per lane through {@link Math} where it has not; these do
 * not depend on either, so a result is the same bits on every machine with the same vector width, and
 * they stay within AVX2 (no 64-bit integer multiply or long/double conversion, which AVX2 lacks).
 *
 * <p>Measured against {@link StrictMath} in double ({@code VMathAccuracy}, 1.2 x 10^7 inputs per
 * function: uniform and log-uniform magnitudes over each domain plus the extremes; {@code VMathTest}
 * re-checks the bounds on a sample):
 * <ul>
 *   <li>{@link #log1pExpNegAbs} (float lanes), {@code log1p(exp(-|x|))}: worst relative error
 *       1.6e-7 (2.7 float ulp) where the result is a normal float ({@code |x| < 87.3}); below that
 *       the result is a subnormal float and its absolute error is below 1e-45. Its companion
 *       {@code exp(-|x|)} ({@link #expF}): worst 1.2e-7 relative (normal range).
 *   <li>{@link #expD} (double lanes): worst 2.3e-16 relative (about 1 double ulp) over
 *       [-708, 709.7]; results below 2^-1022 come out subnormal through a two-step scale, exact to
 *       within the subnormal spacing.
 *   <li>{@link #logD} (double lanes): worst 2.2e-16 relative (1 ulp) over all positive doubles.
 * </ul>
 * The worst cases printed by {@code VMathAccuracy} are what these numbers quote; the unit test
 * allows a little headroom over them.
 *
 * <p>Special values as {@link Math}: exp(NaN) = NaN, exp(-inf) = 0, exp(+inf) = +inf, exp of a large
 * argument overflows to +inf; log(NaN) = NaN, log of a negative = NaN, log(0) = -inf, log(+inf) = +inf.
 * exp(0) is exactly 1 and log(1) exactly 0, which the CTC recursion relies on for the term that
 * is its own maximum.
 */
public final class VMath {
    static final VectorSpecies<Float> F = Lanes.F;
    static final VectorSpecies<Double> D = Lanes.D;

    // float exp: Cody-Waite reduction by ln 2, Cephes' expf polynomial on |r| <= ln2 / 2
    private static final float LOG2E_F = 1.44269504088896341f;
    private static final float MAGIC_F = 12582912f;  // 1.5 * 2^23: adding it rounds to an integer in the low bits
    private static final int MAGIC_F_BITS = Float.floatToRawIntBits(MAGIC_F);
    private static final float LN2_HI_F = 0.693359375f;
    private static final float LN2_LO_F = -2.12194440e-4f;
    private static final float EXP_MIN_F = -104f;   // exp(-104) rounds to 0 in float
    private static final float EXP_MAX_F = 89f;     // exp(89) overflows to +inf

    // double exp: Cody-Waite reduction, Taylor polynomial to r^13 (truncation below 4e-18)
    private static final double LOG2E = 1.4426950408889634;
    private static final double MAGIC_D = 0x1.8p52;
    private static final long MAGIC_D_BITS = Double.doubleToRawLongBits(MAGIC_D);
    private static final double LN2_HI = 6.93147180369123816490e-01;  // fdlibm's split: k * LN2_HI exact
    private static final double LN2_LO = 1.90821492927058770002e-10;
    private static final double EXP_MIN_D = -746;   // exp(-746) rounds to 0
    private static final double EXP_MAX_D = 710;    // exp(710) overflows
    private static final double C2 = 1.0 / 2.0;  // 1/2!
    private static final double C3 = 1.0 / 6.0;  // 1/3!
    private static final double C4 = 1.0 / 24.0;  // 1/4!
    private static final double C5 = 1.0 / 120.0;  // 1/5!
    private static final double C6 = 1.0 / 720.0;  // 1/6!
    private static final double C7 = 1.0 / 5040.0;  // 1/7!
    private static final double C8 = 1.0 / 40320.0;  // 1/8!
    private static final double C9 = 1.0 / 362880.0;  // 1/9!
    private static final double C10 = 1.0 / 3628800.0;  // 1/10!
    private static final double C11 = 1.0 / 39916800.0;  // 1/11!
    private static final double C12 = 1.0 / 479001600.0;  // 1/12!
    private static final double C13 = 1.0 / 6227020800.0;  // 1/13!

    // double log: fdlibm's e_log.c reduction to [sqrt(2)/2, sqrt(2)) and its Lg1..Lg7 polynomial
    private static final double SQRT2 = 1.4142135623730951;
    private static final double LG1 = 6.666666666666735130e-01;
    private static final double LG2 = 3.999999999940941908e-01;
    private static final double LG3 = 2.857142874366239149e-01;
    private static final double LG4 = 2.222219843214978396e-01;
    private static final double LG5 = 1.818357216161805012e-01;
    private static final double LG6 = 1.531383769920937332e-01;
    private static final double LG7 = 1.479819860511658591e-01;
    private static final long EXP_TO_DOUBLE_BITS = Double.doubleToRawLongBits(0x1p52);

    private VMath() {
    }

    // Constants as vectors: C2 unboxes a static final vector once, where a scalar operand would be
    // broadcast at every use; the Vector API's inlining is node-hungry (C2 stops inlining at ~18000
    // IR nodes), so the kernels that inline these must stay lean.
    private static FloatVector vf(float c) {
        return FloatVector.broadcast(F, c);
    }

    private static DoubleVector vd(double c) {
        return DoubleVector.broadcast(D, c);
    }

    static final FloatVector F_ONE = vf(1f);
    static final FloatVector F_TWO = vf(2f);
    static final FloatVector F_ZERO = vf(0f);
    private static final FloatVector F_EXP_MIN = vf(EXP_MIN_F);
    private static final FloatVector F_EXP_MAX = vf(EXP_MAX_F);
    private static final FloatVector F_LOG2E = vf(LOG2E_F);
    private static final FloatVector F_MAGIC = vf(MAGIC_F);
    private static final FloatVector F_NLN2_HI = vf(-LN2_HI_F);
    private static final FloatVector F_NLN2_LO = vf(-LN2_LO_F);
    private static final FloatVector F_P0 = vf(1.9875691500E-4f);
    private static final FloatVector F_P1 = vf(1.3981999507E-3f);
    private static final FloatVector F_P2 = vf(8.3334519073E-3f);
    private static final FloatVector F_P3 = vf(4.1665795894E-2f);
    private static final FloatVector F_P4 = vf(1.6666665459E-1f);
    private static final FloatVector F_P5 = vf(5.0000001201E-1f);
    private static final FloatVector F_A13 = vf(1f / 13);
    private static final FloatVector F_A11 = vf(1f / 11);
    private static final FloatVector F_A9 = vf(1f / 9);
    private static final FloatVector F_A7 = vf(1f / 7);
    private static final FloatVector F_A5 = vf(1f / 5);
    private static final FloatVector F_A3 = vf(1f / 3);

    static final DoubleVector D_ONE = vd(1.0);
    static final DoubleVector D_ZERO = vd(0.0);
    static final DoubleVector D_NEG_INF = vd(Double.NEGATIVE_INFINITY);
    private static final DoubleVector D_EXP_MIN = vd(EXP_MIN_D);
    private static final DoubleVector D_EXP_MAX = vd(EXP_MAX_D);
    private static final DoubleVector D_LOG2E = vd(LOG2E);
    private static final DoubleVector D_MAGIC = vd(MAGIC_D);
    private static final DoubleVector D_NLN2_HI = vd(-LN2_HI);
    private static final DoubleVector D_NLN2_LO = vd(-LN2_LO);
    private static final DoubleVector D_LN2_HI = vd(LN2_HI);
    private static final DoubleVector D_LN2_LO = vd(LN2_LO);
    private static final DoubleVector D_C2 = vd(C2);
    private static final DoubleVector D_C3 = vd(C3);
    private static final DoubleVector D_C4 = vd(C4);
    private static final DoubleVector D_C5 = vd(C5);
    private static final DoubleVector D_C6 = vd(C6);
    private static final DoubleVector D_C7 = vd(C7);
    private static final DoubleVector D_C8 = vd(C8);
    private static final DoubleVector D_C9 = vd(C9);
    private static final DoubleVector D_C10 = vd(C10);
    private static final DoubleVector D_C11 = vd(C11);
    private static final DoubleVector D_C12 = vd(C12);
    private static final DoubleVector D_C13 = vd(C13);
    private static final DoubleVector D_TINY = vd(0x1p-1022);
    private static final DoubleVector D_2P54 = vd(0x1p54);
    private static final DoubleVector D_SQRT2 = vd(SQRT2);
    private static final DoubleVector D_HALF = vd(0.5);
    private static final DoubleVector D_TWO = vd(2.0);
    private static final DoubleVector D_54 = vd(54.0);
    private static final DoubleVector D_EXP_BIAS = vd(0x1p52 + 1023);
    private static final DoubleVector D_MAX = vd(Double.MAX_VALUE);
    private static final DoubleVector D_NAN = vd(Double.NaN);
    private static final DoubleVector D_LG1 = vd(LG1);
    private static final DoubleVector D_LG2 = vd(LG2);
    private static final DoubleVector D_LG3 = vd(LG3);
    private static final DoubleVector D_LG4 = vd(LG4);
    private static final DoubleVector D_LG5 = vd(LG5);
    private static final DoubleVector D_LG6 = vd(LG6);
    private static final DoubleVector D_LG7 = vd(LG7);

    // ---- float lanes -------------------------------------------------------------------------------

    /** exp(x) in float lanes. */
    static FloatVector expF(FloatVector x) {
        FloatVector xc = x.max(F_EXP_MIN).min(F_EXP_MAX);  // NaN stays NaN (Math.max/min semantics)
        FloatVector kd = xc.fma(F_LOG2E, F_MAGIC);
        FloatVector k = kd.sub(F_MAGIC);
        FloatVector r = k.fma(F_NLN2_HI, xc);
        r = k.fma(F_NLN2_LO, r);
        FloatVector p = r.fma(F_P0, F_P1);
        p = p.fma(r, F_P2);
        p = p.fma(r, F_P3);
        p = p.fma(r, F_P4);
        p = p.fma(r, F_P5);
        p = p.fma(r.mul(r), r).add(F_ONE);
        // 2^k as 2^h * 2^(k-h), h = floor(k / 2): both factors stay normal down to k = -150
        IntVector ki = kd.reinterpretAsInts().sub(MAGIC_F_BITS);
        IntVector h = ki.add(256).lanewise(LSHR, 1).sub(128);
        FloatVector s1 = h.add(127).lanewise(LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ki.sub(h).add(127).lanewise(LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /**
     * log1p(e) for e in [0, 1] (and NaN): 2 atanh(t), t = e / (2 + e) in [0, 1/3], by its series to
     * t^13 (truncation below 1.6e-8 relative). Relative accuracy holds down to the smallest e.
     */
    static FloatVector log1p01(FloatVector e) {
        FloatVector t = e.div(e.add(F_TWO));
        FloatVector z = t.mul(t);
        FloatVector p = z.fma(F_A13, F_A11);
        p = p.fma(z, F_A9);
        p = p.fma(z, F_A7);
        p = p.fma(z, F_A5);
        p = p.fma(z, F_A3);
        p = p.fma(z, F_ONE);
        return t.add(t).mul(p);
    }

    /** {@code log1p(exp(-|x|))}, the tail of the softplus, in float lanes. */
    static FloatVector log1pExpNegAbs(FloatVector x) {
        return log1p01(expF(x.abs().neg()));
    }

    // ---- double lanes ------------------------------------------------------------------------------

    /** exp(x) in double lanes. */
    static DoubleVector expD(DoubleVector x) {
        DoubleVector xc = x.max(D_EXP_MIN).min(D_EXP_MAX);
        DoubleVector kd = xc.fma(D_LOG2E, D_MAGIC);
        DoubleVector k = kd.sub(D_MAGIC);
        DoubleVector r = k.fma(D_NLN2_HI, xc);
        r = k.fma(D_NLN2_LO, r);
        DoubleVector p = r.fma(D_C13, D_C12);
        p = p.fma(r, D_C11);
        p = p.fma(r, D_C10);
        p = p.fma(r, D_C9);
        p = p.fma(r, D_C8);
        p = p.fma(r, D_C7);
        p = p.fma(r, D_C6);
        p = p.fma(r, D_C5);
        p = p.fma(r, D_C4);
        p = p.fma(r, D_C3);
        p = p.fma(r, D_C2);
        p = p.fma(r.mul(r), r).add(D_ONE);
        LongVector ki = kd.reinterpretAsLongs().sub(MAGIC_D_BITS);
        LongVector h = ki.add(4096).lanewise(LSHR, 1).sub(2048);
        DoubleVector s1 = h.add(1023).lanewise(LSHL, 52).reinterpretAsDoubles();
        DoubleVector s2 = ki.sub(h).add(1023).lanewise(LSHL, 52).reinterpretAsDoubles();
        return p.mul(s1).mul(s2);
    }

    /** log(u) in double lanes. */
    static DoubleVector logD(DoubleVector u) {
        VectorMask<Double> tiny = u.compare(VectorOperators.LT, D_TINY);
        DoubleVector us = u.blend(u.mul(D_2P54), tiny);
        LongVector bits = us.reinterpretAsLongs();
        LongVector biased = bits.lanewise(LSHR, 52);
        DoubleVector m = bits.and(0x000FFFFFFFFFFFFFL).or(0x3FF0000000000000L).reinterpretAsDoubles();
        VectorMask<Double> big = m.compare(VectorOperators.GT, D_SQRT2);
        m = m.blend(m.mul(D_HALF), big);
        DoubleVector e = biased.add(EXP_TO_DOUBLE_BITS).reinterpretAsDoubles().sub(D_EXP_BIAS);
        e = e.blend(e.add(D_ONE), big);
        e = e.blend(e.sub(D_54), tiny);
        DoubleVector f = m.sub(D_ONE);
        DoubleVector s = f.div(f.add(D_TWO));
        DoubleVector z = s.mul(s);
        DoubleVector w = z.mul(z);
        DoubleVector t1 = w.fma(D_LG6, D_LG4).fma(w, D_LG2).mul(w);
        DoubleVector t2 = w.fma(D_LG7, D_LG5).fma(w, D_LG3).fma(w, D_LG1).mul(z);
        DoubleVector rr = t1.add(t2);
        DoubleVector hfsq = f.mul(f).mul(D_HALF);
        DoubleVector res = e.mul(D_LN2_HI).sub(hfsq.sub(s.mul(hfsq.add(rr)).add(e.mul(D_LN2_LO))).sub(f));
        res = res.blend(u, u.compare(VectorOperators.NE, u).or(u.compare(VectorOperators.GT, D_MAX)));
        res = res.blend(D_NEG_INF, u.compare(VectorOperators.EQ, D_ZERO));
        return res.blend(D_NAN, u.compare(VectorOperators.LT, D_ZERO));
    }

    // ---- array forms (the accuracy test and measurements call these) ------------------------------

    /** out[i] = log1p(exp(-|x[i]|)) for the first {@code n} elements (n a multiple of the float lanes). */
    public static void log1pExpNegAbs(float[] x, float[] out, int n) {
        for (int i = 0; i < n; i += F.length()) {
            log1pExpNegAbs(FloatVector.fromArray(F, x, i)).intoArray(out, i);
        }
    }

    /** out[i] = exp(x[i]) in float lanes (n a multiple of the float lanes). */
    public static void expF(float[] x, float[] out, int n) {
        for (int i = 0; i < n; i += F.length()) {
            expF(FloatVector.fromArray(F, x, i)).intoArray(out, i);
        }
    }

    /** out[i] = exp(x[i]) in double lanes (n a multiple of the double lanes). */
    public static void expD(double[] x, double[] out, int n) {
        for (int i = 0; i < n; i += D.length()) {
            expD(DoubleVector.fromArray(D, x, i)).intoArray(out, i);
        }
    }

    /** out[i] = log(x[i]) in double lanes (n a multiple of the double lanes). */
    public static void logD(double[] x, double[] out, int n) {
        for (int i = 0; i < n; i += D.length()) {
            logD(DoubleVector.fromArray(D, x, i)).intoArray(out, i);
        }
    }

    /** The float lanes' count: array forms take multiples of it. */
    public static int floatLanes() {
        return F.length();
    }

    /** The double lanes' count. */
    public static int doubleLanes() {
        return D.length();
    }
}
