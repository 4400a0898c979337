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

class MultiLabelSoftMarginLossTest {
    private static final Backend CPU = TestBackends.cpu();
    private static final int BIG_ROWS = 2100;
    private static final int BIG_CLASSES = 65;

    private static MultiLabelSoftMarginLoss loss() {
        return MultiLabelSoftMarginLoss.builder().build();
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
    void rejectsZeroDimInput() {
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[1]), CPU.tensor(new float[1]))),
                "multilabel_soft_margin_loss:", "input has shape []", "expected at least 1 dimension");
    }

    @Test
    void rejectsShapesThatDoNotBroadcast() {
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[20], 4, 5), CPU.tensor(new float[24], 4, 6))),
                "multilabel_soft_margin_loss:", "input with shape [4, 5]", "target with shape [4, 6]",
                "cannot be broadcast");
        MultiLabelSoftMarginLoss w = MultiLabelSoftMarginLoss.builder().weight(1, 2, 3, 4).build();
        assertMentions(message(() -> w.forward(CPU.tensor(new float[20], 4, 5), CPU.tensor(new float[20], 4, 5))),
                "multilabel_soft_margin_loss:", "weight with shape [4]", "[4, 5]", "cannot be broadcast");
    }

    @Test
    void rejectsNonFloatTensors() {
        assertMentions(message(() -> loss().forward(CPU.tensor(new float[4], 2, 2), CPU.tensor(new long[4], 2, 2))),
                "multilabel_soft_margin_loss:", "target has dtype int64", "expected float32");
        assertMentions(message(() -> loss().forward(CPU.tensor(new int[4], 2, 2), CPU.tensor(new float[4], 2, 2))),
                "input has dtype int32", "expected float32");
    }

    @Test
    void rejectsBatchmean() {
        assertMentions(message(() -> MultiLabelSoftMarginLoss.builder().reduction(Reduction.BATCHMEAN).build()),
                "multilabel_soft_margin_loss:", "batchmean");
    }

    // ---- worked examples ------------------------------------------------------------------------

    @Test
    void zeroLogitsCostLog2PerClass() {
        try (LossResult r = loss().forwardBackward(CPU.tensor(new float[] {0, 0}, 1, 2), CPU.tensor(new float[] {1, 0}, 1, 2))) {
            assertEquals(Math.log(2), r.loss().item(), 1e-6);
            // (sigmoid(0) - y) / C
            assertArrayEquals(new float[] {-0.25f, 0.25f}, r.grad("input").toFloatArray(), 1e-7f);
        }
    }

    @Test
    void matchesPyTorchOnAHandExample() {
        // PyTorch 1.13 in float64: MultiLabelSoftMarginLoss()([[0.1, 0.2, 0.4, 0.8]], [[1, 0, 0, 1]]) = 0.68166286
        Tensor x = CPU.tensor(new float[] {0.1f, 0.2f, 0.4f, 0.8f}, 1, 4);
        assertEquals(0.6816628619507232, loss().forward(x, CPU.tensor(new float[] {1, 0, 0, 1}, 1, 4)).item(), 1e-6);
    }

    @Test
    void staysFiniteForLargeLogits() {
        // a naive log(sigmoid(x)) underflows to -inf at |x| ~ 100 (float) or ~ 750 (double)
        float[] x = {1000f, -1000f, 100f, -100f};
        float[] y = {0f, 1f, 1f, 0f};
        MultiLabelSoftMarginLoss none = MultiLabelSoftMarginLoss.builder().reduction(Reduction.NONE).build();
        try (LossResult r = none.forwardBackward(CPU.tensor(x, 4), CPU.tensor(y, 4))) {
            assertEquals((1000 + 1000) / 4.0, r.loss().item(), 1e-3);
            assertArrayEquals(new float[] {0.25f, -0.25f, 0f, 0f}, r.grad("input").toFloatArray(), 1e-7f);
        }
        // PyTorch's own formula gives NaN for an infinite logit on its own side (0 * -inf): so does jloss
        try (Tensor out = none.forward(CPU.tensor(new float[] {Float.POSITIVE_INFINITY}, 1), CPU.tensor(new float[] {1}, 1))) {
            assertTrue(Float.isNaN(out.item()));
        }
    }

    // ---- against a naive double-precision reference -----------------------------------------------

    private static double term(double x, double y) {
        // -(y log sigmoid(x) + (1 - y) log sigmoid(-x)), in the obvious (and here safe) form
        return -(y * Math.log(1 / (1 + Math.exp(-x))) + (1 - y) * Math.log(1 / (1 + Math.exp(x))));
    }

    private static double dterm(double x, double y) {
        return 1 / (1 + Math.exp(-x)) - y;
    }

    @Test
    void matchesReferenceOnALargeInput() {
        Random rnd = new Random(42);
        int n = BIG_ROWS;
        int c = BIG_CLASSES;
        float[] x = MultiMarginLossTest.uniform(rnd, n * c);
        float[] y = new float[n * c];
        for (int i = 0; i < y.length; i++) {
            y[i] = rnd.nextInt(4) == 0 ? (float) rnd.nextDouble() : rnd.nextInt(2);
        }
        float[] w = MultiMarginLossTest.uniform(rnd, c);
        Tensor xt = CPU.tensor(x, n, c);
        Tensor yt = CPU.tensor(y, n, c);
        float[] gof = new float[n];
        for (int i = 0; i < n; i++) {
            gof[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        for (float[] weight : new float[][] {null, w}) {
            double[] rows = new double[n];
            double[] grad = new double[n * c];
            double[] gradSum = new double[n * c];
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < c; j++) {
                    double wj = weight == null ? 1 : weight[j];
                    rows[r] += wj * term(x[r * c + j], y[r * c + j]) / c;
                    grad[r * c + j] = gof[r] * wj * dterm(x[r * c + j], y[r * c + j]) / c;
                    gradSum[r * c + j] = 0.75 * wj * dterm(x[r * c + j], y[r * c + j]) / c;
                }
            }
            MultiLabelSoftMarginLoss.Builder b = MultiLabelSoftMarginLoss.builder().weight(weight);
            String what = "weight=" + (weight != null);
            try (LossResult r = b.reduction(Reduction.NONE).build().forwardBackwardWith(CPU.tensor(gof, n), xt, yt)) {
                assertAllClose(what + " none", new long[] {n}, rows, r.loss().shape(), r.loss().toFloatArray());
                assertAllClose(what + " none grad", new long[] {n, c}, grad, r.grad("input").shape(),
                        r.grad("input").toFloatArray());
            }
            double total = Arrays.stream(rows).sum();
            try (LossResult r = b.reduction(Reduction.SUM).build().forwardBackwardWith(CPU.tensor(new float[] {0.75f}), xt, yt)) {
                assertAllClose(what + " sum", new long[0], new double[] {total}, r.loss().shape(), r.loss().toFloatArray());
                assertAllClose(what + " sum grad", new long[] {n, c}, gradSum, r.grad("input").shape(),
                        r.grad("input").toFloatArray());
            }
            double[] gradMean = Arrays.stream(gradSum).map(v -> v / n).toArray();
            try (LossResult r = b.reduction(Reduction.MEAN).build().forwardBackwardWith(CPU.tensor(new float[] {0.75f}), xt, yt)) {
                assertAllClose(what + " mean", new long[0], new double[] {total / n}, r.loss().shape(), r.loss().toFloatArray());
                assertAllClose(what + " mean grad", new long[] {n, c}, gradMean, r.grad("input").shape(),
                        r.grad("input").toFloatArray());
            }
        }
    }

    @Test
    void broadcastInputGradientSumsOverRows() {
        // input (C) against a target (N, C): every row reads the same input, whose gradient sums the rows
        Random rnd = new Random(5);
        int n = BIG_ROWS;
        int c = BIG_CLASSES;
        float[] x = MultiMarginLossTest.uniform(rnd, c);
        float[] y = new float[n * c];
        for (int i = 0; i < y.length; i++) {
            y[i] = rnd.nextInt(2);
        }
        double[] rows = new double[c];
        double[] grad = new double[c];
        // PyTorch sums over the input's last axis counted from the front, axis 0 here: one value per class
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < c; j++) {
                rows[j] += term(x[j], y[r * c + j]) / c;
                grad[j] += dterm(x[j], y[r * c + j]) / c;
            }
        }
        MultiLabelSoftMarginLoss none = MultiLabelSoftMarginLoss.builder().reduction(Reduction.NONE).build();
        try (LossResult r = none.forwardBackward(CPU.tensor(x, c), CPU.tensor(y, n, c))) {
            assertAllClose("loss", new long[] {c}, rows, r.loss().shape(), r.loss().toFloatArray());
            assertAllClose("grad", new long[] {c}, grad, r.grad("input").shape(), r.grad("input").toFloatArray());
        }
    }

    @Test
    void isBitwiseDeterministic() {
        Random rnd = new Random(7);
        int n = BIG_ROWS;
        int c = BIG_CLASSES;
        Tensor x = CPU.tensor(MultiMarginLossTest.uniform(rnd, n * c), n, c);
        float[] y = new float[n * c];
        for (int i = 0; i < y.length; i++) {
            y[i] = rnd.nextInt(2);
        }
        Tensor yt = CPU.tensor(y, n, c);
        MultiLabelSoftMarginLoss l = MultiLabelSoftMarginLoss.builder().weight(MultiMarginLossTest.uniform(rnd, c)).build();
        try (LossResult a = l.forwardBackward(x, yt); LossResult b = l.forwardBackward(x, yt)) {
            assertArrayEquals(a.loss().toFloatArray(), b.loss().toFloatArray());
            assertArrayEquals(a.grad("input").toFloatArray(), b.grad("input").toFloatArray());
        }
    }
}
