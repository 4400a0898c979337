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
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class MultiLabelMarginLossTest {
    private static final Backend CPU = TestBackends.cpu();
    private static final int BIG_ROWS = 2100;
    private static final int BIG_CLASSES = 65;

    private static MultiLabelMarginLoss loss() {
        return MultiLabelMarginLoss.builder().build();
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
    void rejectsBadInputShapesAndDtypes() {
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[24], 2, 3, 4), CPU.tensor(new long[24], 2, 3, 4))),
                "multilabel_margin_loss:", "input has shape [2, 3, 4]", "expected a non-empty (C) vector or (N, C) matrix");
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[0], 0), CPU.tensor(new long[0], 0))),
                "multilabel_margin_loss:", "input has shape [0]");
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[6], 2, 3), CPU.tensor(new int[6], 2, 3))),
                "multilabel_margin_loss:", "target has dtype int32", "expected int64");
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[6], 2, 3), CPU.tensor(new float[6], 2, 3))),
                "multilabel_margin_loss:", "target has dtype float32", "expected int64");
    }

    @Test
    void rejectsTargetOfWrongShape() {
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[6], 2, 3), CPU.tensor(new long[8], 2, 4))),
                "multilabel_margin_loss:", "target has shape [2, 4]", "expected [2, 3]");
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[6], 2, 3), CPU.tensor(new long[3], 3))),
                "target has shape [3]", "expected [2, 3]");
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[4], 4), CPU.tensor(new long[4], 1, 4))),
                "multilabel_margin_loss:", "target has shape [1, 4]", "expected [4]");
    }

    @Test
    void rejectsLabelsOutOfRangeAnywhereInTheRow() {
        Tensor x = CPU.tensor(new float[8], 2, 4);
        assertMentions(message(() -> loss().forward(x, CPU.tensor(new long[] {0, -1, 0, 0, 2, 4, -1, 0}, 2, 4))),
                "multilabel_margin_loss:", "target element 1 of row 1 is 4",
                "expected -1 (end of labels) or a class index in [0, 4)");
        assertMentions(message(() -> loss().forward(x, CPU.tensor(new long[] {0, -2, -1, 0, 0, 0, 0, 0}, 2, 4))),
                "element 1 of row 0 is -2");
        // after the first -1 too, as PyTorch checks the whole target
        assertMentions(message(() -> loss().forwardBackward(x, CPU.tensor(new long[] {0, -1, 7, 0, 0, 0, 0, 0}, 2, 4))),
                "element 2 of row 0 is 7");
    }

    @Test
    void rejectsBatchmean() {
        assertMentions(message(() -> MultiLabelMarginLoss.builder().reduction(Reduction.BATCHMEAN).build()),
                "multilabel_margin_loss:", "batchmean");
    }

    // ---- worked example ---------------------------------------------------------------------------

    @Test
    void seedArticleExample() {
        // labels 3 and 0 (the 1 after -1 is ignored); non-labels 1 and 2:
        // 0.25 * ((1-(0.1-0.2)) + (1-(0.1-0.4)) + (1-(0.8-0.2)) + (1-(0.8-0.4))) = 0.85
        Tensor x = CPU.tensor(new float[] {0.1f, 0.2f, 0.4f, 0.8f}, 1, 4);
        try (LossResult r = loss().forwardBackward(x, CPU.tensor(new long[] {3, 0, -1, 1}, 1, 4))) {
            assertEquals(0.85, r.loss().item(), 1e-6);
            // each non-label is in 2 active hinges, each label in 2: +-2/4
            assertArrayEquals(new float[] {-0.5f, 0.5f, 0.5f, -0.5f}, r.grad("input").toFloatArray(), 1e-6f);
        }
    }

    @Test
    void duplicateLabelsCountTwice() {
        // PyTorch: [3, 3, -1, 1] gives 0.65 = 2 * 1.3 / 4, gradient 0.5 to each non-label, -1.5 to the label
        Tensor x = CPU.tensor(new float[] {0.1f, 0.2f, 0.4f, 0.8f}, 4);
        try (LossResult r = loss().forwardBackward(x, CPU.tensor(new long[] {3, 3, -1, 1}, 4))) {
            assertArrayEquals(new long[0], r.loss().shape());
            assertEquals(0.65, r.loss().item(), 1e-6);
            assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, -1.5f}, r.grad("input").toFloatArray(), 1e-6f);
        }
    }

    @Test
    void emptyBatchGivesNanMeanAndZeroSum() {
        // PyTorch 1.13 returns an uninitialised scalar here; jloss gives what a mean/sum of nothing is
        Tensor x = CPU.tensor(new float[0], 0, 5);
        Tensor y = CPU.tensor(new long[0], 0, 5);
        assertTrue(Float.isNaN(loss().forward(x, y).item()));
        assertEquals(0f, MultiLabelMarginLoss.builder().reduction(Reduction.SUM).build().forward(x, y).item());
    }

    // ---- against a naive double-precision reference -----------------------------------------------

    private static double[][] reference(float[] x, long[] y, int n, int c, double[] upstream) {
        double[] rows = new double[n];
        double[] grad = new double[n * c];
        for (int r = 0; r < n; r++) {
            int end = 0;
            while (end < c && y[r * c + end] != -1) {
                end++;
            }
            boolean[] label = new boolean[c];
            for (int j = 0; j < end; j++) {
                label[(int) y[r * c + j]] = true;
            }
            for (int j = 0; j < end; j++) {
                int t = (int) y[r * c + j];
                for (int i = 0; i < c; i++) {
                    double z = 1 - (x[r * c + t] - x[r * c + i]);
                    if (!label[i] && z > 0) {
                        rows[r] += z / c;
                        grad[r * c + i] += upstream[r] / c;
                        grad[r * c + t] -= upstream[r] / c;
                    }
                }
            }
        }
        return new double[][] {rows, grad};
    }

    private static long[] randomLabels(Random rnd, int n, int c) {
        long[] y = new long[n * c];
        for (int r = 0; r < n; r++) {
            int k = rnd.nextInt(c + 1);
            int[] perm = java.util.stream.IntStream.range(0, c).toArray();
            for (int i = c - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            for (int j = 0; j < c; j++) {
                y[r * c + j] = j < k ? perm[j] : j == k ? -1 : rnd.nextInt(c + 1) - 1;
            }
        }
        return y;
    }

    @Test
    void matchesReferenceOnALargeInput() {
        Random rnd = new Random(42);
        int n = BIG_ROWS;
        int c = BIG_CLASSES;
        float[] x = MultiMarginLossTest.uniform(rnd, n * c);
        long[] y = randomLabels(rnd, n, c);
        Tensor xt = CPU.tensor(x, n, c);
        Tensor yt = CPU.tensor(y, n, c);
        double[] go = new double[n];
        float[] gof = new float[n];
        for (int i = 0; i < n; i++) {
            gof[i] = (float) (rnd.nextDouble() * 2 - 1);
            go[i] = gof[i];
        }
        double[][] ref = reference(x, y, n, c, go);
        MultiLabelMarginLoss none = MultiLabelMarginLoss.builder().reduction(Reduction.NONE).build();
        try (LossResult r = none.forwardBackwardWith(CPU.tensor(gof, n), xt, yt)) {
            assertAllClose("none", new long[] {n}, ref[0], r.loss().shape(), r.loss().toFloatArray());
            assertAllClose("none grad", new long[] {n, c}, ref[1], r.grad("input").shape(), r.grad("input").toFloatArray());
        }
        for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM}) {
            double scale = red == Reduction.MEAN ? 1.0 / n : 1.0;
            double[] up = new double[n];
            Arrays.fill(up, 0.75 * scale);
            double[][] rr = reference(x, y, n, c, up);
            double total = Arrays.stream(rr[0]).sum();
            MultiLabelMarginLoss l = MultiLabelMarginLoss.builder().reduction(red).build();
            try (LossResult r = l.forwardBackwardWith(CPU.tensor(new float[] {0.75f}), xt, yt)) {
                assertAllClose(red.toString(), new long[0], new double[] {total * scale}, r.loss().shape(),
                        r.loss().toFloatArray());
                assertAllClose(red + " grad", new long[] {n, c}, rr[1], r.grad("input").shape(),
                        r.grad("input").toFloatArray());
            }
            // backward alone gives the same gradient as the fused call
            try (LossResult r = l.backward(CPU.tensor(new float[] {0.75f}), xt, yt)) {
                assertAllClose(red + " backward", new long[] {n, c}, rr[1], r.grad("input").shape(),
                        r.grad("input").toFloatArray());
            }
        }
    }

    @Test
    void isBitwiseDeterministic() {
        Random rnd = new Random(7);
        int n = BIG_ROWS;
        int c = BIG_CLASSES;
        Tensor x = CPU.tensor(MultiMarginLossTest.uniform(rnd, n * c), n, c);
        Tensor y = CPU.tensor(randomLabels(rnd, n, c), n, c);
        try (LossResult a = loss().forwardBackward(x, y); LossResult b = loss().forwardBackward(x, y)) {
            assertArrayEquals(a.loss().toFloatArray(), b.loss().toFloatArray());
            assertArrayEquals(a.grad("input").toFloatArray(), b.grad("input").toFloatArray());
        }
    }
}
