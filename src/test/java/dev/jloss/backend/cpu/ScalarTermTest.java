package dev.jloss.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jloss.plan.PointwiseTerm;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each term's derivative against a central finite difference of its value, in double, at random points
 * away from the kinks (|d| = beta, hinges, clamps), for every operand a loss differentiates.
 */
class ScalarTermTest {
    private static final double H = 1e-6;
    private static final double TOL = 1e-6;

    /** Random operands valid and smooth for the term, plus its options p0, p1 and pos_weight. */
    private static double[] point(ScalarTerm t, SplittableRandom rnd) {
        double a = -2 + 4 * rnd.nextDouble();
        double b = -2 + 4 * rnd.nextDouble();
        double c = 0.1 + 3 * rnd.nextDouble();
        double p0 = 0;
        double p1 = 0;
        double pw = 1;
        switch (t) {
            case SMOOTH_L1, HUBER -> p0 = 0.4 + rnd.nextDouble();
            case BCE -> {
                a = 0.05 + 0.9 * rnd.nextDouble();
                b = rnd.nextDouble();
            }
            case BCE_WITH_LOGITS -> {
                b = rnd.nextDouble();
                pw = 3 * rnd.nextDouble();
            }
            case KL_DIV -> b = rnd.nextDouble();
            case POISSON_NLL_LOG_INPUT -> {
                b = 5 * rnd.nextDouble();
                p1 = 1;
            }
            case POISSON_NLL -> {
                a = 0.1 + 3 * rnd.nextDouble();
                b = 5 * rnd.nextDouble();
                p0 = 1e-8;
                p1 = 1;
            }
            case MARGIN_RANKING, HINGE_EMBEDDING -> {
                p0 = rnd.nextDouble();
                b = t == ScalarTerm.MARGIN_RANKING ? b : rnd.nextBoolean() ? 1 : -1;
                c = rnd.nextBoolean() ? 1 : -1;
            }
            case GAUSSIAN_NLL -> {
                p0 = 1e-6;
                p1 = 1;
            }
            default -> {
            }
        }
        return new double[] {a, b, c, p0, p1, pw};
    }

    /** Whether the term is smooth within H of this point for operand k. */
    private static boolean smooth(ScalarTerm t, double[] v) {
        double a = v[0];
        double b = v[1];
        double c = v[2];
        double p0 = v[3];
        return switch (t) {
            case L1 -> Math.abs(a - b) > 10 * H;
            case SMOOTH_L1, HUBER -> Math.abs(Math.abs(a - b) - p0) > 10 * H && Math.abs(a - b) > 10 * H;
            case MARGIN_RANKING -> Math.abs(-c * (a - b) + p0) > 10 * H;
            case HINGE_EMBEDDING -> Math.abs(p0 - a) > 10 * H;
            default -> true;
        };
    }

    private static int[] differentiated(ScalarTerm t) {
        return switch (t) {
            case MARGIN_RANKING -> new int[] {0, 1};
            case GAUSSIAN_NLL -> new int[] {0, 2};
            default -> new int[] {0};
        };
    }

    @ParameterizedTest
    @EnumSource(ScalarTerm.class)
    void derivativeMatchesFiniteDifference(ScalarTerm t) {
        SplittableRandom rnd = new SplittableRandom(t.ordinal() + 17);
        int checked = 0;
        for (int trial = 0; trial < 200; trial++) {
            double[] v = point(t, rnd);
            if (!smooth(t, v)) {
                continue;
            }
            for (int k : differentiated(t)) {
                double[] plus = v.clone();
                double[] minus = v.clone();
                plus[k] += H;
                minus[k] -= H;
                double fd = (value(t, plus) - value(t, minus)) / (2 * H);
                double analytic = t.grad(k, v[3], v[4], v[0], v[1], v[2], v[5]);
                assertEquals(fd, analytic, TOL * Math.max(1, Math.abs(fd)),
                        () -> t + " d/d operand " + k + " at " + java.util.Arrays.toString(v));
                checked++;
            }
        }
        assertEquals(true, checked > 100, t + ": too few smooth points checked");
    }

    private static double value(ScalarTerm t, double[] v) {
        return t.value(v[3], v[4], v[0], v[1], v[2], v[5]);
    }

    /** One Java implementation per plan term, same names in the same order (ScalarTerm.of maps by ordinal). */
    @Test
    void oneImplementationPerPlanTerm() {
        assertArrayEquals(java.util.Arrays.stream(PointwiseTerm.values()).map(Enum::name).toArray(),
                java.util.Arrays.stream(ScalarTerm.values()).map(Enum::name).toArray());
        for (PointwiseTerm t : PointwiseTerm.values()) {
            assertEquals(t.name(), ScalarTerm.of(t).name());
        }
    }

    @Test
    void edgeDerivativesFollowPyTorch() {
        // sign(0) = 0 and, as PyTorch's sign, sign(NaN) = 0
        assertEquals(0.0, ScalarTerm.L1.grad(0, 0, 0, 1, 1, 0, 1));
        assertEquals(0.0, ScalarTerm.L1.grad(0, 0, 0, Double.NaN, 1, 0, 1));
        // smooth_l1_loss_backward tests d <= -beta first: at beta = 0 a tie gets -1, NaN stays NaN
        assertEquals(-1.0, ScalarTerm.SMOOTH_L1.grad(0, 0, 0, 2, 2, 0, 1));
        assertEquals(Double.NaN, ScalarTerm.SMOOTH_L1.grad(0, 0, 0, Double.NaN, 2, 0, 1));
        assertEquals(1.0, ScalarTerm.SMOOTH_L1.grad(0, 0.5, 0, 1, 0.5, 0, 1));
        // the hinges pass the gradient at exactly 0 (clamp_min's >=)
        assertEquals(-1.0, ScalarTerm.MARGIN_RANKING.grad(0, 0.5, 0, 1, 0.5, 1, 1));
        assertEquals(-1.0, ScalarTerm.HINGE_EMBEDDING.grad(0, 1, 0, 1, -1, 0, 1));
        // a target of neither 1 nor -1 gets both hinge terms: -1 + 1
        assertEquals(0.0, ScalarTerm.HINGE_EMBEDDING.grad(0, 1, 0, 0.5, 0, 0, 1));
        // BCE's eps is the float 1e-12f
        assertEquals(-1 / (double) 1e-12f, ScalarTerm.BCE.grad(0, 0, 0, 0, 1, 0, 1));
        // KL: 0 log 0 = 0
        assertEquals(0.0, ScalarTerm.KL_DIV.value(0, 0, -3, 0, 0, 1));
        // Stirling's term only where target > 1
        assertEquals(Math.exp(0.5) - 0.5, ScalarTerm.POISSON_NLL_LOG_INPUT.value(1e-8, 1, 0.5, 1, 0, 1), 1e-15);
    }
}
