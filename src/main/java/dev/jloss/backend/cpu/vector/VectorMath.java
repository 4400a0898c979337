package dev.jloss.backend.cpu.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The float exp of the SIMD kernels, as a vector form and a scalar form that give bitwise the same
 * result (the same IEEE operations in the same order; the scalar form's {@link Math#fma} is the
 * vector form's lanewise FMA), so a row's tail elements and a recomputed element equal their
 * vector lanes.
 *
 * <p>{@code exp(d)} for {@code d <= 0} (the kernels' {@code x - max}): {@code d = n ln2 + r} with
 * {@code n} rounded by the 1.5 * 2^23 trick and one fused multiply-add; {@code exp(r) = 1 + r +
 * r^2 P(r)}, {@code P} of degree 3 fitted for relative error on [-ln2/2, ln2/2] (approximation
 * error 1.06e-7 with float coefficients), evaluated by Estrin's scheme (C2 copies the addend
 * register of every FMA whose addend is a constant: Horner costs four copies, Estrin two); {@code
 * 2^n} added to the exponent bits. {@code d < -86.9} (results under 1.9e-38, where {@code 2^n}
 * added to the exponent would leave the normal floats), {@code -inf} included, gives exactly 0;
 * NaN gives NaN. Not for {@code d > 0} (no overflow handling).
 *
 * <p>Speed: the exp sweep is bound by the FMA pipe (one 256-bit FMA per cycle on the AVX2 EPYC
 * measured), so it has as few FMAs as the accuracy allows: seven. A degree-4 {@code P} cost 10%
 * more time, and with a two-step reduction 20% more (worst error 7.6e-8; measured).
 *
 * <p><b>Accuracy</b>, measured against {@code Math.exp} in double on 1.4e8 inputs by {@code
 * ExpAccuracy} (test sources): 10^8 uniform in [-86.9, 0], 2 * 10^7 uniform in [-1, 0], 2 * 10^7
 * of magnitude {@code 2^k (1 + f)}, k in [-40, 6], every float in [-10, -9.99], and the edges 0,
 * -0, -MIN_VALUE, -86.9, -87.3, -1e30, -MAX_VALUE, -inf, NaN. Worst relative error 3.89e-7 (at d =
 * -86.4: the single-step reduction's {@code n (ln2 - float(ln2))} grows with {@code |d|}); at most
 * 2.00e-7 (1.7 units in the last place) for {@code d >= -10}, where the terms that make up a
 * softmax sum lie; the vector form equal to the scalar form bit for bit on every input compared.
 * {@link #EXP_MAX_RELATIVE_ERROR} and {@link #EXP_MAX_RELATIVE_ERROR_NEAR} round these up, and
 * {@code VectorMathTest} checks them on a sample. (The kernels take no vector log: each row's one
 * {@code log} is {@link Math#log}.)
 */
public final class VectorMath {
    /** Worst relative error of {@link #exp(float)} over [-86.9, 0], measured (see the class comment). */
    public static final double EXP_MAX_RELATIVE_ERROR = 4.0e-7;
    /** Worst relative error of {@link #exp(float)} over [-10, 0], measured. */
    public static final double EXP_MAX_RELATIVE_ERROR_NEAR = 2.1e-7;

    static final float LOG2E = 1.44269504088896341f;
    /** 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits. */
    static final float ROUND = 12582912f;
    static final float LN2 = 0.6931471805599453f;
    static final float P2 = 0.499992311000824f;
    static final float P3 = 0.16667114198207855f;
    static final float P4 = 0.041890114545822144f;
    static final float P5 = 0.008312525227665901f;
    /** Below this the result is 0 (and 2^n would leave the normal range). */
    static final float CUT = -86.9f;

    private VectorMath() {
    }

    /** exp(d) for d <= 0: the scalar form of {@link #exp(FloatVector)}, bitwise the same. */
    public static float exp(float d) {
        float t = Math.fma(d, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2, d);
        float r2 = r * r;
        float a = Math.fma(P3, r, P2);
        float b = Math.fma(P5, r, P4);
        float p = Math.fma(b, r2, a);
        float y = Math.fma(p, r2, r + 1f);
        float e = Float.intBitsToFloat(Float.floatToRawIntBits(y) + (Float.floatToRawIntBits(t) << 23));
        return d < CUT ? 0f : e;
    }

    /** exp(d) lanewise for d <= 0 (see the class comment). */
    static FloatVector exp(FloatVector d) {
        FloatVector t = d.fma(FloatVector.broadcast(Lanes.F, LOG2E), FloatVector.broadcast(Lanes.F, ROUND));
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(Lanes.F, -LN2), d);
        FloatVector r2 = r.mul(r);
        FloatVector a = FloatVector.broadcast(Lanes.F, P3).fma(r, FloatVector.broadcast(Lanes.F, P2));
        FloatVector b = FloatVector.broadcast(Lanes.F, P5).fma(r, FloatVector.broadcast(Lanes.F, P4));
        FloatVector p = b.fma(r2, a);
        FloatVector y = p.fma(r2, r.add(1f));
        IntVector k = ((IntVector) t.reinterpretAsInts()).lanewise(VectorOperators.LSHL, 23);
        FloatVector e = ((IntVector) y.reinterpretAsInts()).add(k).reinterpretAsFloats();
        return e.blend(0f, d.lt(CUT));
    }
}
