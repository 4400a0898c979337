package dev.jloss.backend.cpu.vector;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Measures {@link VMath}'s lanewise functions against {@link StrictMath} in double: the worst relative
 * error over {@code n} random inputs per function (uniform and log-uniform over each domain, both
 * signs) plus the extremes. {@code main} runs 1.2 x 10^7 per function and prints the worst cases;
 * {@code VMathTest} runs a sample and checks the bounds stated in {@link VMath}'s Javadoc.
 */
public final class VMathAccuracy {
    private VMathAccuracy() {
    }

    /** The worst error found and where. */
    public record Worst(double relative, double at, double absoluteBelowNormal) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "worst relative %.3g at x = %s; worst absolute where the result is"
                    + " below the normal range %.3g", relative, at, absoluteBelowNormal);
        }
    }

    private static final float[] EXTREMES_F = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-30f,
        1e-7f, 0.5f, 1f, 2f, 10f, 20f, 50f, 80f, 87f, 87.33f, 87.34f, 88f, 88.7f, 89f, 100f, 103f, 103.9f, 104f, 105f,
        1e10f, Float.MAX_VALUE, -1e-7f, -0.5f, -1f, -10f, -87.3f, -87.4f, -100f, -103.97f, -104f, -1e10f,
        -Float.MAX_VALUE};

    /** log1p(exp(-|x|)) in float lanes. */
    public static Worst log1pExpNegAbs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[pad(n + EXTREMES_F.length, VMath.floatLanes())];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (i % 2 == 0 ? r.nextDouble(-110, 110) : sign(r) * Math.pow(10, r.nextDouble(-40, 2.05)));
        }
        System.arraycopy(EXTREMES_F, 0, x, n, EXTREMES_F.length);
        float[] out = new float[x.length];
        VMath.log1pExpNegAbs(x, out, x.length);
        return worstF(x, out, v -> StrictMath.log1p(StrictMath.exp(-Math.abs(v))));
    }

    /** exp(-|x|) in float lanes, x over the whole float range. */
    public static Worst expF(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[pad(n + EXTREMES_F.length, VMath.floatLanes())];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (i % 2 == 0 ? r.nextDouble(-105, 89) : sign(r) * Math.pow(10, r.nextDouble(-40, 1.95)));
        }
        System.arraycopy(EXTREMES_F, 0, x, n, EXTREMES_F.length);
        float[] out = new float[x.length];
        VMath.expNegAbs(x, 0, out, x.length);
        return worstF(x, out, v -> StrictMath.exp(-Math.abs(v)));
    }

    /** exp(x) in double lanes. */
    public static Worst expD(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] ext = {0, -0.0, Double.MIN_VALUE, 1e-300, 1e-17, 0.34657359027997264, -0.34657359027997264, 1, -1,
            -700, -708, -708.4, -709, -720, -740, -745, -745.2, -746, -1e5, 709, 709.7, 709.78, 709.79, 710, 1e5};
        double[] x = new double[pad(n + ext.length, VMath.doubleLanes())];
        for (int i = 0; i < n; i++) {
            x[i] = i % 2 == 0 ? r.nextDouble(-746, 709.8) : sign(r) * Math.pow(10, r.nextDouble(-300, 2.85));
        }
        System.arraycopy(ext, 0, x, n, ext.length);
        double[] out = new double[x.length];
        VMath.expD(x, out, x.length);
        return worstD(x, out, StrictMath::exp);
    }

    /** log(u) in double lanes, u over all positive doubles (subnormals included). */
    public static Worst logD(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] ext = {Double.MIN_VALUE, 1e-320, 0x1p-1022, 0x1p-1023, 1e-300, 0.5, 0.7071067811865476,
            0.7071067811865475, 1 - 1e-16, 1, 1 + 2.2e-16, 1.0000001, 1.4142135623730951, 1.4142135623730950, 2, 3,
            1e300, Double.MAX_VALUE};
        double[] x = new double[pad(n + ext.length, VMath.doubleLanes())];
        for (int i = 0; i < n; i++) {
            x[i] = switch (i % 3) {
                case 0 -> Math.abs(Double.longBitsToDouble(r.nextLong() & Long.MAX_VALUE));  // any positive double
                case 1 -> r.nextDouble(0.5, 3);   // the CTC recursion's sums live in [1, 3]
                default -> 1 + sign(r) * Math.pow(10, r.nextDouble(-16, -1));  // near 1, where log is small
            };
            if (!(x[i] > 0) || Double.isInfinite(x[i])) {
                x[i] = 1.5;
            }
        }
        System.arraycopy(ext, 0, x, n, ext.length);
        double[] out = new double[x.length];
        VMath.logD(x, out, x.length);
        return worstD(x, out, StrictMath::log);
    }

    /** The CTC step's log of a sum in [1, 4). */
    public static Worst log14(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] ext = {1, Math.nextUp(1.0), 1.4142135623730950, 1.4142135623730951, Math.nextUp(1.4142135623730951),
            2, 2.8284271247461900, 2.8284271247461903, 3, Math.nextDown(4.0)};
        double[] x = new double[pad(n + ext.length, VMath.doubleLanes())];
        for (int i = 0; i < n; i++) {
            x[i] = i % 2 == 0 ? r.nextDouble(1, 4) : 1 + Math.pow(10, r.nextDouble(-16, 0));
        }
        System.arraycopy(ext, 0, x, n, ext.length);
        for (int i = n + ext.length; i < x.length; i++) {
            x[i] = 1.5;
        }
        double[] out = new double[x.length];
        VMath.log14(x, out, x.length);
        return worstD(x, out, StrictMath::log);
    }

    private interface Ref {
        double f(double x);
    }

    private static Worst worstF(float[] x, float[] out, Ref ref) {
        double worst = 0;
        double at = Double.NaN;
        double abs = 0;
        for (int i = 0; i < x.length; i++) {
            double want = ref.f(x[i]);
            double got = out[i];
            if (Double.isNaN(want) || Double.isInfinite(want) || want > Float.MAX_VALUE) {
                if (!(Double.isNaN(want) ? Double.isNaN(got) : got == Float.POSITIVE_INFINITY || got == want)) {
                    return new Worst(Double.POSITIVE_INFINITY, x[i], abs);
                }
                continue;
            }
            if (Math.abs(want) < Float.MIN_NORMAL) {
                abs = Math.max(abs, Math.abs(got - want));
                continue;
            }
            double e = Math.abs(got - want) / Math.abs(want);
            if (!(e <= worst)) {
                worst = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
                at = x[i];
            }
        }
        return new Worst(worst, at, abs);
    }

    private static Worst worstD(double[] x, double[] out, Ref ref) {
        double worst = 0;
        double at = Double.NaN;
        double abs = 0;
        for (int i = 0; i < x.length; i++) {
            double want = ref.f(x[i]);
            double got = out[i];
            if (Double.isNaN(want) || Double.isInfinite(want)) {
                if (!(Double.isNaN(want) ? Double.isNaN(got) : got == want)) {
                    return new Worst(Double.POSITIVE_INFINITY, x[i], abs);
                }
                continue;
            }
            if (Math.abs(want) < Double.MIN_NORMAL) {
                abs = Math.max(abs, Math.abs(got - want));
                continue;
            }
            double e = Math.abs(got - want) / Math.abs(want);
            if (!(e <= worst)) {
                worst = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
                at = x[i];
            }
        }
        return new Worst(worst, at, abs);
    }

    private static double sign(SplittableRandom r) {
        return r.nextBoolean() ? 1 : -1;
    }

    private static int pad(int n, int lanes) {
        return (n + lanes - 1) / lanes * lanes;
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 12_000_000;
        System.out.println("log1p(exp(-|x|)) float: " + log1pExpNegAbs(n, 1));
        System.out.println("exp(-|x|) float:        " + expF(n, 2));
        System.out.println("exp double:             " + expD(n, 3));
        System.out.println("log double:             " + logD(n, 4));
        System.out.println("log on [1, 4) double:   " + log14(n, 5));
    }
}
