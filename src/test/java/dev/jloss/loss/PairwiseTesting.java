package dev.jloss.loss;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Loss;
import dev.jloss.Tensor;
import java.util.SplittableRandom;

/** Helpers shared by the pairwise losses' tests: seeded data, message checks, float/double copies. */
final class PairwiseTesting {
    private PairwiseTesting() {
    }

    /** Uniform float32 values in [lo, hi). */
    static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return f;
    }

    /** {@code base + scale * noise}, rounded to float32. */
    static float[] near(SplittableRandom r, float[] base, double scale) {
        float[] f = new float[base.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (base[i] + scale * (2 * r.nextDouble() - 1));
        }
        return f;
    }

    static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** The message of the IllegalArgumentException that {@code loss.forward(args)} throws. */
    static String forwardError(Loss loss, Tensor... args) {
        return assertThrows(IllegalArgumentException.class, () -> loss.forward(args)).getMessage();
    }

    /** Asserts that {@code message} contains every part (the loss, the argument, expected, actual). */
    static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), () -> "message '" + message + "' does not mention '" + p + "'");
        }
    }
}
