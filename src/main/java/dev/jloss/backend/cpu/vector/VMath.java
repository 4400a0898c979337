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
 *   <li>{@link #expNegAbs} then {@link #log1p01} (float lanes), {@code log1p(exp(-|x|))} (the softplus
 *       tail of MultiLabelSoftMarginLoss): worst relative error 2.6e-7 (about 4 float ulp, at
 *       x = -3.307) where the result is a normal float ({@code |x| < 87.3}); below that the result is
 *       a subnormal float and its absolute error is at most 2.1e-45 (1.5 subnormal spacings). Its first
 *       half, {@code exp(-|x|)} ({@link #expNegAbs}): worst 8.4e-8 relative (normal range), absolute
 *       1.05e-45 below it.
 *   <li>{@link #expInPlace} (double lanes): worst 2.2e-16 relative (1 double ulp) over [-746, 710];
 *       results below 2^-1022 come out subnormal through a two-step scale, within one subnormal
 *       spacing (4.9e-324).
 *   <li>{@link #logInPlace} (double lanes): worst 2.2e-16 relative (1 ulp) over all positive doubles;
 *       {@link #log14InPlace}, the CTC step's log of a sum in [1, 4): worst 2.2e-16 relative.
 * </ul>
 * The worst cases printed by {@code VMathAccuracy} are what these numbers quote; the unit test
 * allows a little headroom over them.
 *
 * <p>Special values as {@link Math}: exp(NaN) = NaN, exp(-inf) = 0, exp(+inf) = +inf, exp of a large
 * argument overflows to +inf; log(NaN) = NaN, log of a negative = NaN, log(0) = -inf, log(+inf) = +inf.
 * exp(0) is exactly 1 and log(1) exactly 0.
 *
 * <p>The double-lane functions are measured and tested but no kernel uses them at present: the CTC
 * recursion in double lanes built on them was no faster than the scalar loop on JDK 17 (AVX2, 4
 * double lanes against the {@code Math.exp}/{@code Math.log} intrinsics; see the branch history).
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

    // JIT notes (JDK 17, C2), measured: constants are broadcast into locals before the loop (a static
    // final vector constant, above all one that seeds a loop's accumulator, made loops box their
    // vectors, 2-5x slower); and a helper that takes or returns a vector is inlined only while its
    // bytecode is under FreqInlineSize (325 bytes) and the caller under C2's node budget
    // (NodeCountInliningCutoff), else its vectors are boxed (10x slower). So each function here is a
    // loop over arrays with its math written out inside: nothing vector-typed crosses a call.

    /** out[j] = exp(-|x[xo + j]|), j in [0, n) (n whole float vectors). */
    public static void expNegAbs(float[] x, int xo, float[] out, int n) {
        FloatVector lo = FloatVector.broadcast(F, EXP_MIN_F);
        FloatVector log2e = FloatVector.broadcast(F, LOG2E_F);
        FloatVector magic = FloatVector.broadcast(F, MAGIC_F);
        FloatVector nhi = FloatVector.broadcast(F, -LN2_HI_F);
        FloatVector nlo = FloatVector.broadcast(F, -LN2_LO_F);
        FloatVector p0 = FloatVector.broadcast(F, 1.9875691500E-4f);
        FloatVector p1 = FloatVector.broadcast(F, 1.3981999507E-3f);
        FloatVector p2 = FloatVector.broadcast(F, 8.3334519073E-3f);
        FloatVector p3 = FloatVector.broadcast(F, 4.1665795894E-2f);
        FloatVector p4 = FloatVector.broadcast(F, 1.6666665459E-1f);
        FloatVector p5 = FloatVector.broadcast(F, 5.0000001201E-1f);
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int j = 0; j < n; j += F.length()) {
            FloatVector xc = FloatVector.fromArray(F, x, xo + j).abs().neg().max(lo);  // NaN stays NaN
            FloatVector kd = xc.fma(log2e, magic);
            FloatVector k = kd.sub(magic);
            FloatVector r = k.fma(nlo, k.fma(nhi, xc));
            FloatVector p = r.fma(p0, p1).fma(r, p2).fma(r, p3).fma(r, p4).fma(r, p5);
            p = p.fma(r.mul(r), r).add(one);
            // 2^k as 2^h * 2^(k-h), h = floor(k / 2): both factors stay normal down to k = -150
            IntVector ki = kd.reinterpretAsInts().sub(MAGIC_F_BITS);
            IntVector h = ki.add(256).lanewise(LSHR, 1).sub(128);
            FloatVector s1 = h.add(127).lanewise(LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = ki.sub(h).add(127).lanewise(LSHL, 23).reinterpretAsFloats();
            p.mul(s1).mul(s2).intoArray(out, j);
        }
    }

    /**
     * a[j] = log1p(a[j]) for a[j] in [0, 1] (and NaN), j in [from, to): 2 atanh(t), t = e / (2 + e) in
     * [0, 1/3], by its series to t^13 (truncation below 1.6e-8 relative), so relative accuracy holds
     * down to the smallest e.
     */
    public static void log1p01(float[] a, int from, int to) {
        FloatVector two = FloatVector.broadcast(F, 2f);
        FloatVector c13 = FloatVector.broadcast(F, 1f / 13);
        FloatVector c11 = FloatVector.broadcast(F, 1f / 11);
        FloatVector c9 = FloatVector.broadcast(F, 1f / 9);
        FloatVector c7 = FloatVector.broadcast(F, 1f / 7);
        FloatVector c5 = FloatVector.broadcast(F, 1f / 5);
        FloatVector c3 = FloatVector.broadcast(F, 1f / 3);
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int j = from; j < to; j += F.length()) {
            FloatVector e = FloatVector.fromArray(F, a, j);
            FloatVector t = e.div(e.add(two));
            FloatVector z = t.mul(t);
            FloatVector p = z.fma(c13, c11).fma(z, c9).fma(z, c7).fma(z, c5).fma(z, c3).fma(z, one);
            t.add(t).mul(p).intoArray(a, j);
        }
    }

    /** a[i] = exp(a[i]), i in [from, to) (whole double vectors). */
    public static void expInPlace(double[] a, int from, int to) {
        DoubleVector lo = DoubleVector.broadcast(D, EXP_MIN_D);
        DoubleVector hi = DoubleVector.broadcast(D, EXP_MAX_D);
        DoubleVector log2e = DoubleVector.broadcast(D, LOG2E);
        DoubleVector magic = DoubleVector.broadcast(D, MAGIC_D);
        DoubleVector nhi = DoubleVector.broadcast(D, -LN2_HI);
        DoubleVector nlo = DoubleVector.broadcast(D, -LN2_LO);
        DoubleVector c13 = DoubleVector.broadcast(D, C13);
        DoubleVector c12 = DoubleVector.broadcast(D, C12);
        DoubleVector c11 = DoubleVector.broadcast(D, C11);
        DoubleVector c10 = DoubleVector.broadcast(D, C10);
        DoubleVector c9 = DoubleVector.broadcast(D, C9);
        DoubleVector c8 = DoubleVector.broadcast(D, C8);
        DoubleVector c7 = DoubleVector.broadcast(D, C7);
        DoubleVector c6 = DoubleVector.broadcast(D, C6);
        DoubleVector c5 = DoubleVector.broadcast(D, C5);
        DoubleVector c4 = DoubleVector.broadcast(D, C4);
        DoubleVector c3 = DoubleVector.broadcast(D, C3);
        DoubleVector c2 = DoubleVector.broadcast(D, C2);
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        for (int i = from; i < to; i += D.length()) {
            DoubleVector xc = DoubleVector.fromArray(D, a, i).max(lo).min(hi);  // NaN stays NaN
            DoubleVector kd = xc.fma(log2e, magic);
            DoubleVector k = kd.sub(magic);
            DoubleVector r = k.fma(nlo, k.fma(nhi, xc));
            DoubleVector p = r.fma(c13, c12).fma(r, c11).fma(r, c10).fma(r, c9).fma(r, c8).fma(r, c7).fma(r, c6)
                    .fma(r, c5).fma(r, c4).fma(r, c3).fma(r, c2);
            p = p.fma(r.mul(r), r).add(one);
            LongVector ki = kd.reinterpretAsLongs().sub(MAGIC_D_BITS);
            LongVector h = ki.add(4096).lanewise(LSHR, 1).sub(2048);
            DoubleVector s1 = h.add(1023).lanewise(LSHL, 52).reinterpretAsDoubles();
            DoubleVector s2 = ki.sub(h).add(1023).lanewise(LSHL, 52).reinterpretAsDoubles();
            p.mul(s1).mul(s2).intoArray(a, i);
        }
    }

    /**
     * a[i] = log(a[i]) for a[i] in [1, 4), 0 (gives -inf) or NaN (gives NaN): a log-sum-exp's sum, whose
     * largest term is 1. No exponent extraction: u is halved at most twice into [sqrt(2)/2, sqrt(2)),
     * then fdlibm's polynomial.
     */
    public static void log14InPlace(double[] a, int from, int to) {
        DoubleVector sqrt2 = DoubleVector.broadcast(D, SQRT2);
        DoubleVector sqrt8 = DoubleVector.broadcast(D, 2 * SQRT2);
        DoubleVector zero = DoubleVector.broadcast(D, 0.0);
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        DoubleVector two = DoubleVector.broadcast(D, 2.0);
        DoubleVector half = DoubleVector.broadcast(D, 0.5);
        DoubleVector quarter = DoubleVector.broadcast(D, 0.25);
        DoubleVector negInf = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY);
        for (int i = from; i < to; i += D.length()) {
            DoubleVector u = DoubleVector.fromArray(D, a, i);
            VectorMask<Double> big = u.compare(VectorOperators.GT, sqrt2);
            VectorMask<Double> bigger = u.compare(VectorOperators.GT, sqrt8);
            DoubleVector m = u.mul(one.blend(half, big).blend(quarter, bigger));
            DoubleVector e = zero.blend(one, big).blend(two, bigger);
            poly(m, e).blend(negInf, u.compare(VectorOperators.EQ, zero)).intoArray(a, i);
        }
    }

    /** a[i] = log(a[i]) for any double: fdlibm's reduction by the exponent bits, subnormals scaled first. */
    public static void logInPlace(double[] a, int from, int to) {
        DoubleVector tinyV = DoubleVector.broadcast(D, 0x1p-1022);
        DoubleVector p54 = DoubleVector.broadcast(D, 0x1p54);
        DoubleVector sqrt2 = DoubleVector.broadcast(D, SQRT2);
        DoubleVector half = DoubleVector.broadcast(D, 0.5);
        DoubleVector one = DoubleVector.broadcast(D, 1.0);
        DoubleVector bias = DoubleVector.broadcast(D, 0x1p52 + 1023);
        DoubleVector d54 = DoubleVector.broadcast(D, 54.0);
        DoubleVector zero = DoubleVector.broadcast(D, 0.0);
        DoubleVector max = DoubleVector.broadcast(D, Double.MAX_VALUE);
        DoubleVector negInf = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY);
        DoubleVector nan = DoubleVector.broadcast(D, Double.NaN);
        for (int i = from; i < to; i += D.length()) {
            DoubleVector u = DoubleVector.fromArray(D, a, i);
            VectorMask<Double> tiny = u.compare(VectorOperators.LT, tinyV);
            LongVector bits = u.blend(u.mul(p54), tiny).reinterpretAsLongs();
            DoubleVector m = bits.and(0x000FFFFFFFFFFFFFL).or(0x3FF0000000000000L).reinterpretAsDoubles();
            VectorMask<Double> big = m.compare(VectorOperators.GT, sqrt2);
            m = m.blend(m.mul(half), big);
            DoubleVector e = bits.lanewise(LSHR, 52).add(EXP_TO_DOUBLE_BITS).reinterpretAsDoubles().sub(bias);
            e = e.blend(e.add(one), big);
            e = e.blend(e.sub(d54), tiny);
            DoubleVector res = poly(m, e);
            res = res.blend(u, u.compare(VectorOperators.NE, u).or(u.compare(VectorOperators.GT, max)));
            res = res.blend(negInf, u.compare(VectorOperators.EQ, zero));
            res.blend(nan, u.compare(VectorOperators.LT, zero)).intoArray(a, i);
        }
    }

    /** log(m 2^e) for m in [sqrt(2)/2, sqrt(2)): fdlibm's e_log.c polynomial (small: always inlined). */
    private static DoubleVector poly(DoubleVector m, DoubleVector e) {
        DoubleVector f = m.sub(1.0);
        DoubleVector s = f.div(f.add(2.0));
        DoubleVector z = s.mul(s);
        DoubleVector w = z.mul(z);
        DoubleVector rr = w.fma(LG6, LG4).mul(w).add(LG2).mul(w)
                .add(w.fma(LG7, LG5).mul(w).add(LG3).mul(w).add(LG1).mul(z));
        DoubleVector hfsq = f.mul(f).mul(0.5);
        return e.mul(LN2_HI).sub(hfsq.sub(s.mul(hfsq.add(rr)).add(e.mul(LN2_LO))).sub(f));
    }

    // ---- array forms for the accuracy test -------------------------------------------------------

    /** out[i] = log1p(exp(-|x[i]|)) for the first {@code n} elements (n a multiple of the float lanes). */
    public static void log1pExpNegAbs(float[] x, float[] out, int n) {
        expNegAbs(x, 0, out, n);
        log1p01(out, 0, n);
    }

    /** out[i] = exp(x[i]) in double lanes (n a multiple of the double lanes). */
    public static void expD(double[] x, double[] out, int n) {
        System.arraycopy(x, 0, out, 0, n);
        expInPlace(out, 0, n);
    }

    /** out[i] = log(x[i]) in double lanes (n a multiple of the double lanes). */
    public static void logD(double[] x, double[] out, int n) {
        System.arraycopy(x, 0, out, 0, n);
        logInPlace(out, 0, n);
    }

    /** out[i] = log(x[i]) for x in [1, 4), 0 or NaN (n a multiple of the double lanes). */
    public static void log14(double[] x, double[] out, int n) {
        System.arraycopy(x, 0, out, 0, n);
        log14InPlace(out, 0, n);
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
