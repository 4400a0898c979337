package dev.jloss.backend.cpu.vector;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;

/**
 * Measures {@link VectorMath#exp(float)} against {@link Math#exp} in double (not a test: run its main;
 * the figures in VectorMath's comment come from it). Inputs: uniform in [-86.9, 0] (10^8), uniform in
 * [-1, 0] (2 * 10^7), magnitudes 2^k (1 + f) for k in [-40, 6] (2 * 10^7), every float in [-10, -9.99]
 * and the edges; relative error where the result is at least 2^-126, and the vector form checked
 * bitwise against the scalar form on every 16th input.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes \
 *     dev.jloss.backend.cpu.vector.ExpAccuracy [scale]
 * </pre>
 */
public final class ExpAccuracy {
    private ExpAccuracy() {
    }

    private static double worst;
    private static float worstAt;
    private static double worstNear;
    private static long count;
    private static long mismatches;
    private static final float[] LANE = new float[Lanes.FLOAT_LANES];

    private static void check(float d) {
        float e = VectorMath.exp(d);
        double ref = Math.exp(d);
        count++;
        if (d < VectorMath.CUT) {
            if (e != 0f) {
                throw new AssertionError("exp(" + d + ") = " + e + ", expected 0 below the cut");
            }
            return;
        }
        if (ref < 0x1p-126) {
            return;
        }
        double rel = Math.abs(e - ref) / ref;
        if (rel > worst) {
            worst = rel;
            worstAt = d;
        }
        if (d >= -10 && rel > worstNear) {
            worstNear = rel;
        }
        if ((count & 15) == 0) {
            java.util.Arrays.fill(LANE, d);
            float v = VectorMath.exp(FloatVector.fromArray(Lanes.F, LANE, 0)).lane(0);
            if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(e)) {
                mismatches++;
            }
        }
    }

    public static void main(String[] args) {
        double scale = args.length > 0 ? Double.parseDouble(args[0]) : 1;
        SplittableRandom rnd = new SplittableRandom(20261129);
        for (long i = 0; i < (long) (1e8 * scale); i++) {
            check((float) (-86.9 * rnd.nextDouble()));
        }
        for (long i = 0; i < (long) (2e7 * scale); i++) {
            check((float) -rnd.nextDouble());
        }
        for (long i = 0; i < (long) (2e7 * scale); i++) {
            check((float) -Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(-40, 7)));
        }
        for (int b = Float.floatToRawIntBits(-9.99f); b <= Float.floatToRawIntBits(-10f); b++) {
            check(Float.intBitsToFloat(b));
        }
        for (float d : new float[] {0f, -0f, -Float.MIN_VALUE, -86.9f, Math.nextUp(-86.9f), -86.95f, -87.3f, -100f,
                -1e30f, -Float.MAX_VALUE, Float.NEGATIVE_INFINITY}) {
            check(d);
        }
        if (!Float.isNaN(VectorMath.exp(Float.NaN))) {
            throw new AssertionError("exp(NaN) is not NaN");
        }
        System.out.printf("%d inputs: worst relative error %.3g at %s; %.3g for d >= -10; %d vector/scalar mismatches%n",
                count, worst, worstAt, worstNear, mismatches);
    }
}
