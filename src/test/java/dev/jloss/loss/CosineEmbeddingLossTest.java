package dev.jloss.loss;

import static dev.jloss.loss.PairwiseTesting.assertMentions;
import static dev.jloss.loss.PairwiseTesting.forwardError;
import static dev.jloss.loss.PairwiseTesting.uniform;
import static dev.jloss.loss.PairwiseTesting.widen;
import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jloss.Backend;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.testing.TestBackends;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CosineEmbeddingLossTest {
    /** float32 rounding of double results, with headroom for the mean over many rows. */
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;
    /** Finite differences on the double reference. */
    private static final double FD_STEP = 1e-6;
    private static final double FD_TOL = 1e-6;

    private static final String FN = "cosine_embedding_loss";

    private final Backend cpu = TestBackends.cpu();
    private final CosineEmbeddingLoss loss = CosineEmbeddingLoss.builder().build();

    // ---- messages ----

    @Test
    void rejectsTargetOfTwoDimensions() {
        String m = forwardError(loss, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[12], 3, 4),
                cpu.tensor(new float[3], 3, 1));
        assertMentions(m, FN, "target", "[3, 1]", "expected 0 or 1");
    }

    @Test
    void rejectsInputOfWrongDimensionsForTheTarget() {
        String m = forwardError(loss, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[4], 4),
                cpu.tensor(new float[3], 3));
        assertMentions(m, FN, "input2", "[4]", "expected 2", "1-D target");
        m = forwardError(loss, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[12], 3, 4),
                cpu.tensor(new float[] {1}));
        assertMentions(m, FN, "input1", "[3, 4]", "expected 1", "0-D target");
    }

    @Test
    void rejectsRowLengthsThatDoNotBroadcast() {
        String m = forwardError(loss, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[15], 3, 5),
                cpu.tensor(new float[3], 3));
        assertMentions(m, FN, "input1", "[3, 4]", "input2", "[3, 5]", "cannot be broadcast");
    }

    @Test
    void rejectsRowCountsThatDoNotBroadcast() {
        String m = forwardError(loss, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[8], 2, 4),
                cpu.tensor(new float[3], 3));
        assertMentions(m, FN, "input1", "[3, 4]", "input2", "[2, 4]");
        m = forwardError(loss, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[12], 3, 4),
                cpu.tensor(new float[4], 4));
        assertMentions(m, FN, "input1", "[3, 4]", "target", "[4]");
    }

    @Test
    void rejectsIntegerInputs() {
        String m = forwardError(loss, cpu.tensor(new long[12], 3, 4), cpu.tensor(new float[12], 3, 4),
                cpu.tensor(new float[3], 3));
        assertMentions(m, FN, "input1", "int64", "expected float32");
    }

    @Test
    void rejectsBatchmeanAndUnknownOptions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.create("CosineEmbeddingLoss", Map.of("reduction", "batchmean")));
        assertMentions(e.getMessage(), FN, "batchmean");
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.create("CosineEmbeddingLoss", Map.of("p", 2)));
        assertMentions(e.getMessage(), FN, "'p'");
    }

    // ---- worked example ----

    @Test
    void javadocExample() {
        Tensor x1 = cpu.tensor(new float[] {1, 0}, 1, 2);
        Tensor x2 = cpu.tensor(new float[] {1, 1}, 1, 2);
        assertEquals(0.70710677f, loss.forward(x1, x2, cpu.tensor(new float[] {-1}, 1)).item(), 1e-6f);
        assertEquals(0.29289323f, loss.forward(x1, x2, cpu.tensor(new float[] {1}, 1)).item(), 1e-6f);
        CosineEmbeddingLoss m = CosineEmbeddingLoss.builder().margin(0.8).build();
        assertEquals(0f, m.forward(x1, x2, cpu.tensor(new float[] {-1}, 1)).item());
    }

    // ---- against a naive double reference ----

    /** Loss per row and, into g1/g2 (added), the gradient of sum(w * loss). Rows of length d. */
    static double[] reference(double[] x1, double[] x2, double[] t, int rows, int d, double margin, double[] w,
                              double[] g1, double[] g2) {
        double[] out = new double[rows];
        double eps = dev.jloss.plan.CosineEmbeddingLossPlan.EPSILON;
        for (int i = 0; i < rows; i++) {
            double dot = 0;
            double m1 = eps;
            double m2 = eps;
            for (int j = 0; j < d; j++) {
                dot += x1[i * d + j] * x2[i * d + j];
                m1 += x1[i * d + j] * x1[i * d + j];
                m2 += x2[i * d + j] * x2[i * d + j];
            }
            double cos = dot / Math.sqrt(m1 * m2);
            double dcos;
            if (t[i] == 1) {
                out[i] = 1 - cos;
                dcos = -1;
            } else if (t[i] == -1) {
                out[i] = Math.max(0, cos - margin);
                dcos = cos - margin >= 0 ? 1 : 0;
            } else {
                dcos = 0;
            }
            for (int j = 0; j < d; j++) {
                double a = x1[i * d + j];
                double b = x2[i * d + j];
                g1[i * d + j] += w[i] * dcos * (b / Math.sqrt(m1 * m2) - cos * a / m1);
                g2[i * d + j] += w[i] * dcos * (a / Math.sqrt(m1 * m2) - cos * b / m2);
            }
        }
        return out;
    }

    private static double[] targets(SplittableRandom r, int rows) {
        double[] t = new double[rows];
        for (int i = 0; i < rows; i++) {
            t[i] = r.nextInt(7) == 0 ? 0 : r.nextBoolean() ? 1 : -1;
        }
        return t;
    }

    private static float[] correlated(SplittableRandom r, float[] x1, int rows, int d) {
        float[] x2 = new float[x1.length];
        for (int i = 0; i < rows; i++) {
            double mix = 2 * r.nextDouble() - 1;
            for (int j = 0; j < d; j++) {
                x2[i * d + j] = (float) (mix * x1[i * d + j] + 0.6 * (2 * r.nextDouble() - 1));
            }
        }
        return x2;
    }

    @Test
    void referenceGradientMatchesFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(3);
        int rows = 6;
        int d = 5;
        double[] x1 = widen(uniform(r, rows * d, -2, 2));
        double[] x2 = widen(correlated(r, uniform(r, rows * d, -2, 2), rows, d));
        double[] t = {1, -1, -1, 1, -1, 0};
        double[] w = widen(uniform(r, rows, -1, 1));
        double[] g1 = new double[x1.length];
        double[] g2 = new double[x2.length];
        reference(x1, x2, t, rows, d, 0.1, w, g1, g2);
        for (int k = 0; k < x1.length; k++) {
            for (double[][] xg : new double[][][] {{x1, g1}, {x2, g2}}) {
                double[] x = xg[0];
                double keep = x[k];
                x[k] = keep + FD_STEP;
                double up = weighted(reference(x1, x2, t, rows, d, 0.1, w, new double[x1.length],
                        new double[x1.length]), w);
                x[k] = keep - FD_STEP;
                double down = weighted(reference(x1, x2, t, rows, d, 0.1, w, new double[x1.length],
                        new double[x1.length]), w);
                x[k] = keep;
                assertEquals((up - down) / (2 * FD_STEP), xg[1][k], FD_TOL, "element " + k);
            }
        }
    }

    private static double weighted(double[] l, double[] w) {
        double s = 0;
        for (int i = 0; i < l.length; i++) {
            s += w[i] * l[i];
        }
        return s;
    }

    @Test
    void largeInputMatchesReferenceOnEveryBackend() {
        SplittableRandom r = new SplittableRandom(11);
        int rows = 3001;
        int d = 48;
        float[] x1 = uniform(r, rows * d, -2, 2);
        float[] x2 = correlated(r, x1, rows, d);
        double[] t = targets(r, rows);
        float[] tf = new float[rows];
        for (int i = 0; i < rows; i++) {
            tf[i] = (float) t[i];
        }
        float[] go = uniform(r, rows, -1.5, 1.5);
        double margin = 0.15;
        for (Backend b : TestBackends.all()) {
            Tensor[] in = {b.tensor(x1, rows, d), b.tensor(x2, rows, d), b.tensor(tf, rows)};
            // none, with an upstream gradient per row
            double[] g1 = new double[x1.length];
            double[] g2 = new double[x2.length];
            double[] ref = reference(widen(x1), widen(x2), t, rows, d, margin, widen(go), g1, g2);
            CosineEmbeddingLoss none = CosineEmbeddingLoss.builder().margin(margin).reduction(Reduction.NONE).build();
            try (LossResult res = none.forwardBackwardWith(b.tensor(go, rows), in)) {
                assertAllClose(b.name() + " none loss", new long[] {rows}, ref, res.loss().shape(),
                        res.loss().toFloatArray(), RTOL, ATOL);
                assertAllClose(b.name() + " none d/dinput1", new long[] {rows, d}, g1, res.grad("input1").shape(),
                        res.grad("input1").toFloatArray(), RTOL, ATOL);
                assertAllClose(b.name() + " none d/dinput2", new long[] {rows, d}, g2, res.grad("input2").shape(),
                        res.grad("input2").toFloatArray(), RTOL, ATOL);
            }
            // mean
            double[] w = new double[rows];
            java.util.Arrays.fill(w, 1.0 / rows);
            g1 = new double[x1.length];
            g2 = new double[x2.length];
            ref = reference(widen(x1), widen(x2), t, rows, d, margin, w, g1, g2);
            double mean = 0;
            for (double v : ref) {
                mean += v;
            }
            mean /= rows;
            CosineEmbeddingLoss m = CosineEmbeddingLoss.builder().margin(margin).build();
            try (LossResult res = m.forwardBackward(in)) {
                assertAllClose(b.name() + " mean loss", new long[0], new double[] {mean}, res.loss().shape(),
                        res.loss().toFloatArray(), RTOL, ATOL);
                assertAllClose(b.name() + " mean d/dinput1", new long[] {rows, d}, g1, res.grad("input1").shape(),
                        res.grad("input1").toFloatArray(), RTOL, ATOL);
                assertAllClose(b.name() + " mean d/dinput2", new long[] {rows, d}, g2, res.grad("input2").shape(),
                        res.grad("input2").toFloatArray(), RTOL, ATOL);
            }
        }
    }

    @Test
    void broadcastRowMatchesExpandedReference() {
        SplittableRandom r = new SplittableRandom(12);
        int rows = 2500;
        int d = 40;
        float[] x1 = uniform(r, rows * d, -2, 2);
        float[] row = uniform(r, d, -2, 2);
        float[] x2 = new float[rows * d];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(row, 0, x2, i * d, d);
        }
        double[] t = targets(r, rows);
        float[] tf = new float[rows];
        for (int i = 0; i < rows; i++) {
            tf[i] = (float) t[i];
        }
        double[] w = new double[rows];
        java.util.Arrays.fill(w, 1.0);
        double[] g1 = new double[x1.length];
        double[] g2 = new double[x2.length];
        double[] ref = reference(widen(x1), widen(x2), t, rows, d, 0.0, w, g1, g2);
        double[] g2row = new double[d];
        double sum = 0;
        for (int i = 0; i < rows; i++) {
            sum += ref[i];
            for (int j = 0; j < d; j++) {
                g2row[j] += g2[i * d + j];
            }
        }
        CosineEmbeddingLoss s = CosineEmbeddingLoss.builder().reduction(Reduction.SUM).build();
        for (Backend b : TestBackends.all()) {
            try (LossResult res = s.forwardBackward(b.tensor(x1, rows, d), b.tensor(row, 1, d), b.tensor(tf, rows))) {
                assertAllClose(b.name() + " sum", new long[0], new double[] {sum}, res.loss().shape(),
                        res.loss().toFloatArray(), RTOL, ATOL);
                assertAllClose(b.name() + " d/dinput1", new long[] {rows, d}, g1, res.grad("input1").shape(),
                        res.grad("input1").toFloatArray(), RTOL, ATOL);
                assertAllClose(b.name() + " d/dinput2 (summed over rows)", new long[] {1, d}, g2row,
                        res.grad("input2").shape(), res.grad("input2").toFloatArray(), RTOL, ATOL);
            }
        }
    }

    @Test
    void deterministic() {
        SplittableRandom r = new SplittableRandom(13);
        int rows = 4000;
        int d = 33;
        float[] x1 = uniform(r, rows * d, -2, 2);
        float[] x2 = correlated(r, x1, rows, d);
        float[] t = new float[rows];
        for (int i = 0; i < rows; i++) {
            t[i] = r.nextBoolean() ? 1 : -1;
        }
        CosineEmbeddingLoss m = CosineEmbeddingLoss.builder().margin(0.1).build();
        for (Backend b : TestBackends.all()) {
            Tensor[] in = {b.tensor(x1, rows, d), b.tensor(x2, rows, d), b.tensor(t, rows)};
            try (LossResult first = m.forwardBackward(in); LossResult second = m.forwardBackward(in)) {
                assertArrayEquals(first.loss().toFloatArray(), second.loss().toFloatArray(), b.name());
                assertArrayEquals(first.grad("input1").toFloatArray(), second.grad("input1").toFloatArray());
                assertArrayEquals(first.grad("input2").toFloatArray(), second.grad("input2").toFloatArray());
            }
        }
    }
}
