package dev.jloss.loss;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.LossArgumentException;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.testing.TestBackends;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class MultiMarginLossTest {
    private static final Backend CPU = TestBackends.cpu();
    /** Big enough for several chunks on several threads. */
    private static final int BIG_ROWS = 2100;
    private static final int BIG_CLASSES = 65;

    private static MultiMarginLoss loss() {
        return MultiMarginLoss.builder().build();
    }

    private static String message(Executable e) {
        return assertThrows(LossArgumentException.class, e).getMessage();
    }

    private static void assertMentions(String msg, String... parts) {
        for (String p : parts) {
            assertTrue(msg.contains(p), () -> "message '" + msg + "' does not mention '" + p + "'");
        }
    }

    // ---- messages -------------------------------------------------------------------------------

    @Test
    void rejectsPOtherThanOneOrTwo() {
        assertMentions(message(() -> MultiMarginLoss.builder().p(3).build()),
                "multi_margin_loss:", "p is 3", "expected 1 or 2");
        assertMentions(message(() -> Losses.create("MultiMarginLoss", Map.of("p", 1.5))),
                "multi_margin_loss:", "p is 1.5", "expected 1 or 2");
    }

    @Test
    void rejectsWeightOfWrongShapeOrLength() {
        assertMentions(message(() -> MultiMarginLoss.builder().weight(new HostArray(new float[4], new long[] {1, 4}))
                .build()), "multi_margin_loss:", "weight has shape [1, 4]", "expected a 1-D tensor");
        MultiMarginLoss l = MultiMarginLoss.builder().weight(1, 2, 3).build();
        assertMentions(message(() -> l.forward(CPU.tensor(new float[8], 2, 4), CPU.tensor(new long[] {0, 1}, 2))),
                "multi_margin_loss:", "weight has 3 elements", "expected 4", "one per class");
    }

    @Test
    void rejectsBadInputShapesAndDtypes() {
        Tensor y2 = CPU.tensor(new long[] {0, 1}, 2);
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[24], 2, 3, 4), y2)),
                "multi_margin_loss:", "input has shape [2, 3, 4]", "expected a non-empty (C) vector or (N, C) matrix");
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[0], 2, 0), y2)),
                "multi_margin_loss:", "input has shape [2, 0]", "C > 0");
        assertMentions(message(() -> loss().forward(CPU.tensor(new long[6], 2, 3), y2)),
                "multi_margin_loss:", "input has dtype int64", "expected float32");
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[6], 2, 3), CPU.tensor(new float[2], 2))),
                "multi_margin_loss:", "target has dtype float32", "expected int64 or int32");
    }

    @Test
    void rejectsTargetOfWrongShape() {
        Tensor x = CPU.tensor(new float[9], 3, 3);
        assertMentions(message(() -> loss().forward(x, CPU.tensor(new long[3], 3, 1))),
                "multi_margin_loss:", "target has shape [3, 1]", "expected [3]");
        assertMentions(message(() -> loss().forward(x, CPU.tensor(new long[] {1}))),
                "multi_margin_loss:", "target has shape []", "expected [3]");
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[3], 3), CPU.tensor(new long[2], 2))),
                "multi_margin_loss:", "target has shape [2]", "expected [1] or []");
    }

    @Test
    void rejectsTargetOutOfRangeNamingValueAndClasses() {
        Tensor x = CPU.tensor(new float[12], 3, 4);
        assertMentions(message(() -> loss().forward(x, CPU.tensor(new long[] {0, 4, 1}, 3))),
                "multi_margin_loss:", "target 4 (row 1)", "out of bounds for 4 classes", "[0, 4)");
        assertMentions(message(() -> loss().forwardBackward(x, CPU.tensor(new int[] {0, 1, -1}, 3))),
                "multi_margin_loss:", "target -1 (row 2)", "4 classes");
        assertMentions(message(() -> loss().backward(CPU.tensor(new float[] {1}), x, CPU.tensor(new long[] {7, 0, 0}, 3))),
                "target 7 (row 0)");
    }

    @Test
    void reportsTheFirstBadTargetOfAManyChunkInput() {
        int n = BIG_ROWS;
        long[] y = new long[n];
        y[n - 3] = 99;
        y[n / 2] = -5;
        Tensor x = CPU.tensor(new float[n * BIG_CLASSES], n, BIG_CLASSES);
        for (int k = 0; k < 3; k++) {
            assertMentions(message(() -> loss().forward(x, CPU.tensor(y, n))), "target -5 (row " + n / 2 + ")");
        }
    }

    @Test
    void rejectsBatchmean() {
        assertMentions(message(() -> MultiMarginLoss.builder().reduction(Reduction.BATCHMEAN).build()),
                "multi_margin_loss:", "batchmean", "expected none, mean or sum");
    }

    // ---- worked example ---------------------------------------------------------------------------

    @Test
    void seedArticleExample() {
        // 0.25 * ((1 - 0.8 + 0.1) + (1 - 0.8 + 0.2) + (1 - 0.8 + 0.4)) = 0.325
        Tensor x = CPU.tensor(new float[] {0.1f, 0.2f, 0.4f, 0.8f}, 1, 4);
        try (LossResult r = loss().forwardBackward(x, CPU.tensor(new long[] {3}, 1))) {
            assertEquals(0.325, r.loss().item(), 1e-6);
            assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, -0.75f}, r.grad("input").toFloatArray(), 1e-6f);
        }
    }

    @Test
    void zeroDimTargetGivesZeroDimOutputForNone() {
        MultiMarginLoss l = MultiMarginLoss.builder().reduction(Reduction.NONE).build();
        Tensor x = CPU.tensor(new float[] {0.1f, 0.2f, 0.4f, 0.8f}, 4);
        try (Tensor out = l.forward(x, CPU.tensor(new long[] {3}))) {
            assertArrayEquals(new long[0], out.shape());
            assertEquals(0.325, out.item(), 1e-6);
        }
        try (Tensor out = l.forward(x, CPU.tensor(new long[] {3}, 1))) {
            assertArrayEquals(new long[] {1}, out.shape());
        }
    }

    @Test
    void emptyBatchGivesNanMeanAndZeroSum() {
        // PyTorch 1.13 returns an uninitialised scalar here; jloss gives what a mean/sum of nothing is
        Tensor x = CPU.tensor(new float[0], 0, 5);
        Tensor y = CPU.tensor(new long[0], 0);
        assertTrue(Float.isNaN(loss().forward(x, y).item()));
        assertEquals(0f, MultiMarginLoss.builder().reduction(Reduction.SUM).build().forward(x, y).item());
        try (LossResult r = loss().forwardBackward(x, y)) {
            assertArrayEquals(new long[] {0, 5}, r.grad("input").shape());
        }
    }

    @Test
    void int32TargetsMatchInt64() {
        Random rnd = new Random(3);
        float[] x = uniform(rnd, 40 * 7);
        long[] y = new long[40];
        int[] yi = new int[40];
        for (int i = 0; i < y.length; i++) {
            y[i] = rnd.nextInt(7);
            yi[i] = (int) y[i];
        }
        MultiMarginLoss l = MultiMarginLoss.builder().p(2).weight(uniform(rnd, 7)).build();
        try (LossResult a = l.forwardBackward(CPU.tensor(x, 40, 7), CPU.tensor(y, 40));
             LossResult b = l.forwardBackward(CPU.tensor(x, 40, 7), CPU.tensor(yi, 40))) {
            assertEquals(a.loss().item(), b.loss().item());
            assertArrayEquals(a.grad("input").toFloatArray(), b.grad("input").toFloatArray());
        }
    }

    // ---- against a naive double-precision reference -----------------------------------------------

    /** Per-row losses and the gradient of sum(upstream[row] * loss[row]), straight from the formula. */
    private static double[][] reference(float[] x, long[] y, int n, int c, int p, double margin, float[] w,
                                        double[] upstream) {
        double[] rows = new double[n];
        double[] grad = new double[n * c];
        for (int r = 0; r < n; r++) {
            int t = (int) y[r];
            double wy = w == null ? 1 : w[t];
            for (int i = 0; i < c; i++) {
                if (i == t) {
                    continue;
                }
                double z = margin - x[r * c + t] + x[r * c + i];
                if (z > 0) {
                    rows[r] += wy * Math.pow(z, p) / c;
                    double d = upstream[r] * wy * p * Math.pow(z, p - 1) / c;
                    grad[r * c + i] += d;
                    grad[r * c + t] -= d;
                }
            }
        }
        return new double[][] {rows, grad};
    }

    @Test
    void matchesReferenceOnALargeInput() {
        Random rnd = new Random(42);
        int n = BIG_ROWS;
        int c = BIG_CLASSES;
        float[] x = uniform(rnd, n * c);
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(c);
        }
        float[] w = uniform(rnd, c);
        Tensor xt = CPU.tensor(x, n, c);
        Tensor yt = CPU.tensor(y, n);
        for (int p = 1; p <= 2; p++) {
            for (float[] weight : new float[][] {null, w}) {
                for (double margin : new double[] {1.0, 0.3}) {
                    MultiMarginLoss.Builder b = MultiMarginLoss.builder().p(p).margin(margin).weight(weight);
                    String what = "p=" + p + " margin=" + margin + " weight=" + (weight != null);
                    // none, with a random upstream gradient
                    double[] go = new double[n];
                    float[] gof = new float[n];
                    for (int i = 0; i < n; i++) {
                        gof[i] = (float) (rnd.nextDouble() * 2 - 1);
                        go[i] = gof[i];
                    }
                    double[][] ref = reference(x, y, n, c, p, margin, weight, go);
                    try (LossResult r = b.reduction(Reduction.NONE).build().forwardBackwardWith(CPU.tensor(gof, n), xt, yt)) {
                        assertAllClose(what + " none", new long[] {n}, ref[0], r.loss().shape(), r.loss().toFloatArray());
                        assertAllClose(what + " none grad", new long[] {n, c}, ref[1], r.grad("input").shape(),
                                r.grad("input").toFloatArray());
                    }
                    // mean and sum with upstream 0.75
                    for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
                        double scale = red == Reduction.MEAN ? 1.0 / n : 1.0;
                        double[] up = new double[n];
                        java.util.Arrays.fill(up, 0.75 * scale);
                        double[][] rr = reference(x, y, n, c, p, margin, weight, up);
                        double total = 0;
                        for (double v : rr[0]) {
                            total += v;
                        }
                        try (LossResult r = b.reduction(red).build().forwardBackwardWith(CPU.tensor(new float[] {0.75f}), xt, yt)) {
                            assertAllClose(what + " " + red, new long[0], new double[] {total * scale}, r.loss().shape(),
                                    r.loss().toFloatArray());
                            assertAllClose(what + " " + red + " grad", new long[] {n, c}, rr[1], r.grad("input").shape(),
                                    r.grad("input").toFloatArray());
                        }
                    }
                }
            }
        }
    }

    @Test
    void isBitwiseDeterministic() {
        Random rnd = new Random(7);
        int n = BIG_ROWS;
        int c = BIG_CLASSES;
        Tensor x = CPU.tensor(uniform(rnd, n * c), n, c);
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(c);
        }
        Tensor yt = CPU.tensor(y, n);
        MultiMarginLoss l = MultiMarginLoss.builder().p(2).weight(uniform(rnd, c)).build();
        try (LossResult a = l.forwardBackward(x, yt); LossResult b = l.forwardBackward(x, yt)) {
            assertArrayEquals(a.loss().toFloatArray(), b.loss().toFloatArray());
            assertArrayEquals(a.grad("input").toFloatArray(), b.grad("input").toFloatArray());
        }
    }

    static float[] uniform(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextDouble() * 4 - 2);
        }
        return v;
    }
}
