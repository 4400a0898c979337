package dev.jloss.backend.cpu.vector;

import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.DoubleUnaryOperator;

/**
 * Measures each {@link PointwiseMath} function against double precision ({@link StrictMath}) over random
 * bit patterns (every magnitude, the subnormals, ±0, ±inf, NaN), uniform draws over the function's
 * working range and the edges of its branches. {@code main} runs 1.2e7 inputs per function and prints
 * the worst errors (the bounds in PointwiseMath's Javadoc); {@link PointwiseMathTest} checks the bounds on a
 * smaller sample.
 *
 * <p>Error: relative (also in u = 2^-24, float's unit roundoff), |got - exact| / |exact|, where the exact result is a normal float; in units of the
 * smallest subnormal (2^-149) where it is subnormal; where it is NaN, ±inf, 0 or beyond the float range,
 * the float result must be exactly the rounded exact one (NaN for NaN).
 */
public final class PointwiseMathAccuracy {

    /** A function under test: its vector form, its double reference, and its inputs. */
    public enum Fn {
        EXP((x, y) -> PointwiseMath.exp(x, 0, y, x.length), StrictMath::exp, Domain.ALL, -110, 95),
        LOG((x, y) -> PointwiseMath.log(x, 0, 0f, y, x.length), StrictMath::log, Domain.ALL, 0, 4),
        // in place (dst = x), as BinaryCrossEntropy calls it
        LOG1P((x, y) -> {
            System.arraycopy(x, 0, y, 0, x.length);
            PointwiseMath.log1p(y, 0, y, new float[x.length], x.length);
        }, StrictMath::log1p,
                Domain.FROM_MINUS_ONE, -1, 3),
        LOG1P_UNIT((x, y) -> PointwiseMath.log1pUnit(x, 0, y, x.length), StrictMath::log1p, Domain.UNIT, 0, 1),
        SOFTPLUS((x, y) -> {
            float[] e = new float[x.length];
            PointwiseMath.negAbs(x, 0, null, 0, e, x.length);
            PointwiseMath.exp(e, 0, e, x.length);
            PointwiseMath.log1pUnit(e, 0, e, x.length);
            PointwiseMath.softplus(x, 0, e, y, 0, x.length);
        }, x -> Math.max(x, 0) + StrictMath.log1p(StrictMath.exp(-Math.abs(x))), Domain.ALL, -30, 30),
        SIGMOID((x, y) -> {
            float[] e = new float[x.length];
            PointwiseMath.negAbs(x, 0, null, 0, e, x.length);
            PointwiseMath.exp(e, 0, e, x.length);
            PointwiseMath.sigmoid(x, 0, e, y, x.length);
        }, x -> x >= 0 ? 1 / (1 + StrictMath.exp(-x)) : StrictMath.exp(x) / (1 + StrictMath.exp(x)),
                Domain.ALL, -30, 30);

        /** The pass: y = f(x), whole arrays (a multiple of the lanes long). */
        final BiConsumer<float[], float[]> pass;
        final DoubleUnaryOperator exact;
        final Domain domain;
        final double lo;
        final double hi;

        Fn(BiConsumer<float[], float[]> pass, DoubleUnaryOperator exact, Domain domain, double lo, double hi) {
            this.pass = pass;
            this.exact = exact;
            this.domain = domain;
            this.lo = lo;
            this.hi = hi;
        }
    }

    /** Which floats a function is defined for. */
    enum Domain {
        ALL, NON_POSITIVE, FROM_MINUS_ONE, UNIT;

        /** Maps a random float into the domain (or keeps NaN). */
        float into(float x) {
            return switch (this) {
                case ALL -> x;
                case NON_POSITIVE -> -Math.abs(x);
                case FROM_MINUS_ONE -> x < -1 ? -1 / x : x; // (-inf, -1) -> (0, 1)
                case UNIT -> Math.abs(x) > 1 ? 1 / Math.abs(x) : Math.abs(x);
            };
        }
    }

    /** The outcome: worst errors, where, and the first special-value mismatch (or null). */
    public record Result(Fn fn, long inputs, double worstRelative, float worstRelativeAt, double worstSubnormalUlps,
                         float worstSubnormalAt, String specialMismatch) {
        @Override
        public String toString() {
            return String.format("%-17s %,11d inputs: worst relative %.3g (%.2f u) at %s; subnormal results %.2f "
                            + "subnormal ulps at %s; specials %s", fn, inputs, worstRelative,
                    worstRelative / 0x1p-24, worstRelativeAt, worstSubnormalUlps, worstSubnormalAt,
                    specialMismatch == null ? "ok" : specialMismatch);
        }
    }

    private PointwiseMathAccuracy() {
    }

    /** The inputs: one third random bit patterns, one third uniform over [lo, hi], then edges and tiny values. */
    static float[] inputs(Fn fn, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int lanes = Lanes.F.length();
        float[] x = new float[(n + lanes - 1) / lanes * lanes];
        float[] edges = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE,
                -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f,
                Math.nextUp(1f), Math.nextDown(1f), 0.5f, Math.nextDown(0.5f), Math.nextUp(0.5f), 88.72f, 88.7228f,
                88.73f, 89f, -87.33f, -87.34f, -103.97f, -103.98f, -104f, -105f, 0.70710677f, 0.70710683f, 1.4142135f,
                1.4142137f, 0.29289323f, 0.41421357f, 2f, 1e-30f, -1e-30f, 1e-8f, -1e-8f};
        int e = 0;
        for (int i = 0; i < x.length; i++) {
            float v;
            if (e < edges.length && i % 97 == 0) {
                v = edges[e++];
            } else if (i % 3 == 0) {
                v = Float.intBitsToFloat(rnd.nextInt());
            } else if (i % 3 == 1) {
                v = (float) (fn.lo + (fn.hi - fn.lo) * rnd.nextDouble());
            } else {
                // log-uniform magnitudes 2^-150 .. 2^10 of either sign: tiny arguments, near-zero results
                v = (float) (Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(-150, 10)) * (rnd.nextBoolean() ? 1 : -1));
            }
            x[i] = fn.domain.into(v);
        }
        return x;
    }

    public static Result measure(Fn fn, int n, long seed) {
        float[] x = inputs(fn, n, seed);
        float[] y = new float[x.length];
        fn.pass.accept(x, y);
        double worstRel = 0;
        float worstRelAt = Float.NaN;
        double worstSub = 0;
        float worstSubAt = Float.NaN;
        String special = null;
        for (int i = 0; i < x.length; i++) {
            double exact = fn.exact.applyAsDouble(x[i]);
            float rounded = (float) exact;
            float got = y[i];
            if (Double.isNaN(exact) || Float.isInfinite(rounded) || exact == 0) {
                boolean ok = Double.isNaN(exact) ? Float.isNaN(got) : got == rounded;
                if (!ok && special == null) {
                    special = fn + "(" + x[i] + ") = " + got + ", expected " + rounded;
                }
            } else if (Math.abs(exact) < Float.MIN_NORMAL) {
                double err = Math.abs(got - exact) / Float.MIN_VALUE;
                if (!(err <= worstSub)) {
                    worstSub = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                    worstSubAt = x[i];
                }
            } else {
                double err = Math.abs(got - exact) / Math.abs(exact);
                if (!(err <= worstRel)) {
                    worstRel = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                    worstRelAt = x[i];
                }
            }
        }
        return new Result(fn, x.length, worstRel, worstRelAt, worstSub, worstSubAt, special);
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 12_000_000;
        for (Fn fn : Fn.values()) {
            System.out.println(measure(fn, n, 42 + fn.ordinal()));
        }
    }
}
