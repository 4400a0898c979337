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
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class CrossEntropyLossTest {
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;
    private static final List<Reduction> REDUCTIONS = List.of(Reduction.NONE, Reduction.MEAN, Reduction.SUM);

    private final Backend cpu = TestBackends.cpu();

    private static void assertMessage(Executable call, String... parts) {
        LossArgumentException e = assertThrows(LossArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    // ---- messages ------------------------------------------------------------------------------

    @Test
    void labelSmoothingOutsideZeroOne() {
        // NOTE: PyTorch 1.13 silently treats a negative label_smoothing as 0; jloss rejects it
        for (double ls : new double[] {-0.1, 1.5, Double.NaN}) {
            assertMessage(() -> CrossEntropyLoss.builder().labelSmoothing(ls).build(),
                    "cross_entropy: label_smoothing is " + ls + ", expected a value in [0, 1]");
        }
        assertMessage(() -> Losses.create("cross_entropy", Map.of("label_smoothing", "1.1")),
                "cross_entropy: label_smoothing is 1.1");
        assertEquals(1.0, CrossEntropyLoss.builder().labelSmoothing(1).build().labelSmoothing());
    }

    @Test
    void targetOutOfRangeIsRejectedByTheKernel() {
        Tensor rows = cpu.tensor(new float[15], 3, 5);
        Tensor kdim = cpu.tensor(new float[2 * 5 * 3], 2, 5, 3);
        Tensor kTarget = cpu.tensor(new long[] {0, 1, 2, 3, 9, 0}, 2, 3);
        for (Reduction r : REDUCTIONS) {
            for (double ls : new double[] {0, 0.1}) {
                CrossEntropyLoss loss = CrossEntropyLoss.builder().reduction(r).labelSmoothing(ls).build();
                assertMessage(() -> loss.forward(rows, cpu.tensor(new long[] {1, 7, 3}, 3)),
                        "cross_entropy: target 7 is out of bounds for 5 classes", "ignore_index -100");
                assertMessage(() -> loss.forwardBackward(rows, cpu.tensor(new int[] {1, -1, 3}, 3)),
                        "cross_entropy: target -1 is out of bounds for 5 classes");
                assertMessage(() -> loss.forward(kdim, kTarget), "cross_entropy: target 9 is out of bounds for 5 classes");
                assertMessage(() -> loss.forwardBackward(kdim, kTarget), "target 9 is out of bounds");
            }
        }
        assertMessage(() -> CrossEntropyLoss.builder().build().forward(cpu.tensor(new float[5], 5), cpu.tensor(new long[] {5})),
                "cross_entropy: target 5 is out of bounds for 5 classes");
    }

    @Test
    void probabilityTargetShapesAndDtypes() {
        CrossEntropyLoss loss = CrossEntropyLoss.builder().build();
        Tensor x = cpu.tensor(new float[15], 3, 5);
        assertMessage(() -> loss.forward(x, cpu.tensor(new float[12], 3, 4)),
                "cross_entropy: target has dtype float32 and shape [3, 4]", "class indices of shape [3]",
                "class probabilities of the input's shape [3, 5]");
        assertMessage(() -> loss.forward(cpu.tensor(new float[30], 2, 5, 3), cpu.tensor(new float[6], 2, 3)),
                "cross_entropy: target has dtype float32 and shape [2, 3]", "class indices of shape [2, 3]");
        assertMessage(() -> loss.forward(x, cpu.tensor(new long[15], 3, 5)),
                "cross_entropy: target has dtype int64, expected float32 (class probabilities, as it has the input's shape [3, 5])");
        assertMessage(() -> CrossEntropyLoss.builder().ignoreIndex(1).build().forward(x, cpu.tensor(new float[15], 3, 5)),
                "cross_entropy: ignore_index is 1, expected a negative value");
        assertMessage(() -> CrossEntropyLoss.builder().weight(1, 1, 1, 1).build().forward(x, cpu.tensor(new float[15], 3, 5)),
                "cross_entropy: weight has 4 elements, expected 5 (one per class)");
    }

    @Test
    void classIndexShapes() {
        CrossEntropyLoss loss = CrossEntropyLoss.builder().build();
        assertMessage(() -> loss.forward(cpu.tensor(new float[15], 3, 5), cpu.tensor(new long[2], 2)),
                "cross_entropy: target has shape [2], expected [3]");
        assertMessage(() -> loss.forward(cpu.tensor(new float[60], 2, 5, 3, 2), cpu.tensor(new long[18], 2, 3, 3)),
                "cross_entropy: target has shape [2, 3, 3], expected [2, 3, 2]");
        assertMessage(() -> loss.forward(cpu.tensor(new float[5], 5), cpu.tensor(new long[1], 1)),
                "cross_entropy: target has shape [1], expected []");
        assertMessage(() -> loss.forward(cpu.tensor(new float[1]), cpu.tensor(new long[1])),
                "cross_entropy: input has 0 dimensions");
        assertMessage(() -> CrossEntropyLoss.builder().weight(1, 2).build()
                        .forward(cpu.tensor(new float[15], 3, 5), cpu.tensor(new long[3], 3)),
                "cross_entropy: weight has 2 elements, expected 5 (one per class)");
    }

    // ---- the seed article -------------------------------------------------------------------------

    @Test
    void seedArticleExamples() {
        float[] half6 = new float[6];
        Arrays.fill(half6, 0.5f);
        Tensor x = cpu.tensor(half6, 2, 3);
        Tensor t = cpu.tensor(new long[] {0, 1}, 2);
        double log3 = Math.log(3);
        // size_average=True, reduce=False is reduction='none'
        CrossEntropyLoss base = CrossEntropyLoss.builder().sizeAverage(true).reduce(false).build();
        assertEquals(Reduction.NONE, base.reduction());
        assertAllClose("base", new long[] {2}, new double[] {log3, log3}, new long[] {2}, base.forward(x, t).toFloatArray());
        CrossEntropyLoss weighted = CrossEntropyLoss.builder().weight(0.6f, 0.2f, 0.2f).sizeAverage(true).reduce(false).build();
        float[] w = weighted.forward(x, t).toFloatArray();
        assertEquals(0.6592, w[0], 1e-4);
        assertEquals(0.2197, w[1], 1e-4);
        float[] half9 = new float[9];
        Arrays.fill(half9, 0.5f);
        Tensor x3 = cpu.tensor(half9, 3, 3);
        Tensor t3 = cpu.tensor(new long[] {0, 1, 2}, 3);
        CrossEntropyLoss ignore1 = CrossEntropyLoss.builder().sizeAverage(false).reduce(false).ignoreIndex(1).build();
        CrossEntropyLoss ignore2 = CrossEntropyLoss.builder().sizeAverage(false).reduce(false).ignoreIndex(2).build();
        assertAllClose("ignore_index=1", new long[] {3}, new double[] {log3, 0, log3}, new long[] {3},
                ignore1.forward(x3, t3).toFloatArray());
        assertAllClose("ignore_index=2", new long[] {3}, new double[] {log3, log3, 0}, new long[] {3},
                ignore2.forward(x3, t3).toFloatArray());
    }

    @Test
    void logitsFarBeyondExpsRange() {
        Tensor x = cpu.tensor(new float[] {3000f, 0f, -3000f, 500f, 500f, -500f}, 2, 3);
        Tensor t = cpu.tensor(new long[] {1, 0}, 2);
        try (LossResult r = CrossEntropyLoss.builder().reduction(Reduction.NONE).build().forwardBackward(x, t)) {
            assertAllClose("loss", new long[] {2}, new double[] {3000, Math.log(2)}, r.loss().shape(),
                    r.loss().toFloatArray());
            assertAllClose("grad", new long[] {2, 3}, new double[] {1, -1, 0, -0.5, 0.5, 0}, r.grad("input").shape(),
                    r.grad("input").toFloatArray());
        }
    }

    // ---- against a naive reference ----------------------------------------------------------------
    // Inputs of over 2^19 elements: several chunks of CrossEntropyLossCpu's 2^18, so several threads.

    /**
     * Per position, in double: the softmax, and coef_k, the weight of class k's log-probability in
     * the loss: (1 - eps) w_t [k == t] + eps / C w_k for a class index t (0 where ignored),
     * w_k ((1 - eps) p_k + eps / C) for probabilities p. The loss is sum_k coef_k (-log softmax_k);
     * {@code denominator} is the mean's.
     */
    private record Reference(int n, int c, int s, double[] loss, double[][] coef, double[][] prob, double denominator) {

        static Reference of(float[] x, long[] t, float[] p, int n, int c, int s, float[] w, long ignore, double eps) {
            double[] loss = new double[n * s];
            double[][] coef = new double[n * s][];
            double[][] prob = new double[n * s][];
            double denominator = 0;
            for (int b = 0; b < n; b++) {
                for (int k = 0; k < s; k++) {
                    int i = b * s + k;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < c; j++) {
                        max = Math.max(max, x[(b * c + j) * s + k]);
                    }
                    double z = 0;
                    for (int j = 0; j < c; j++) {
                        z += Math.exp(x[(b * c + j) * s + k] - max);
                    }
                    double[] logp = new double[c];
                    prob[i] = new double[c];
                    for (int j = 0; j < c; j++) {
                        logp[j] = x[(b * c + j) * s + k] - max - Math.log(z);
                        prob[i][j] = Math.exp(logp[j]);
                    }
                    coef[i] = new double[c];
                    if (p != null) {
                        for (int j = 0; j < c; j++) {
                            coef[i][j] = (w == null ? 1 : w[j]) * ((1 - eps) * p[(b * c + j) * s + k] + eps / c);
                        }
                        denominator += 1;
                    } else if (t[i] != ignore) {
                        int cls = (int) t[i];
                        for (int j = 0; j < c; j++) {
                            coef[i][j] = eps / c * (w == null ? 1 : w[j]);
                        }
                        coef[i][cls] += (1 - eps) * (w == null ? 1 : w[cls]);
                        denominator += w == null ? 1 : w[cls];
                    }
                    for (int j = 0; j < c; j++) {
                        loss[i] -= coef[i][j] * logp[j];
                    }
                }
            }
            return new Reference(n, c, s, loss, coef, prob, denominator);
        }

        double[] output(Reduction r) {
            if (r == Reduction.NONE) {
                return loss;
            }
            double total = 0;
            for (double v : loss) {
                total += v;
            }
            return new double[] {r == Reduction.MEAN ? total / denominator : total};
        }

        /** The gradient of sum(go * output) from d(-log softmax_k)/dx_j = softmax_j - [k == j]. */
        double[] grad(Reduction r, double[] go) {
            double[] grad = new double[n * c * s];
            for (int b = 0; b < n; b++) {
                for (int k = 0; k < s; k++) {
                    int i = b * s + k;
                    double g = r == Reduction.NONE ? go[i] : r == Reduction.MEAN ? go[0] / denominator : go[0];
                    double coefSum = 0;
                    for (double v : coef[i]) {
                        coefSum += v;
                    }
                    for (int j = 0; j < c; j++) {
                        grad[(b * c + j) * s + k] = g * (prob[i][j] * coefSum - coef[i][j]);
                    }
                }
            }
            return grad;
        }
    }

    private record Case(int n, int c, int s, boolean weighted, long ignore, double eps, boolean probabilities,
                        boolean int32) {
    }

    private void compareWithReference(Case k) {
        int n = k.n;
        int c = k.c;
        int s = k.s;
        Random rnd = new Random(Arrays.hashCode(new int[] {n, c, s}));
        float[] x = new float[n * c * s];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3 * rnd.nextGaussian());
        }
        long[] shape = s == 1 ? new long[] {n, c} : new long[] {n, c, s};
        long[] tShape = s == 1 ? new long[] {n} : new long[] {n, s};
        long[] t = null;
        float[] p = null;
        Tensor tt;
        if (k.probabilities) {
            p = new float[x.length];
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) rnd.nextDouble();
            }
            tt = cpu.tensor(p, shape);
        } else {
            t = new long[n * s];
            int[] ti = new int[n * s];
            for (int i = 0; i < t.length; i++) {
                t[i] = rnd.nextInt(8) == 0 ? k.ignore : rnd.nextInt(c);
                ti[i] = (int) t[i];
            }
            tt = k.int32 ? cpu.tensor(ti, tShape) : cpu.tensor(t, tShape);
        }
        float[] w = null;
        if (k.weighted) {
            w = new float[c];
            for (int i = 0; i < c; i++) {
                w[i] = (float) (0.1 + 2 * rnd.nextDouble());
            }
        }
        Tensor xt = cpu.tensor(x, shape);
        Reference ref = Reference.of(x, t, p, n, c, s, w, k.ignore, k.eps);
        for (Reduction r : REDUCTIONS) {
            CrossEntropyLoss loss = CrossEntropyLoss.builder().reduction(r).weight(w)
                    .ignoreIndex(k.probabilities ? -100 : k.ignore).labelSmoothing(k.eps).build();
            long[] outShape = r == Reduction.NONE ? tShape : new long[0];
            double[] go = new double[r == Reduction.NONE ? n * s : 1];
            float[] gof = new float[go.length];
            for (int i = 0; i < go.length; i++) {
                gof[i] = (float) (rnd.nextDouble() * 2 - 0.5);
                go[i] = gof[i];
            }
            double[] expected = ref.output(r);
            String what = k + " " + r;
            try (LossResult res = loss.forwardBackwardWith(cpu.tensor(gof, outShape), xt, tt)) {
                assertAllClose(what + " loss", outShape, expected, res.loss().shape(), res.loss().toFloatArray(), RTOL,
                        ATOL);
                assertAllClose(what + " grad", shape, ref.grad(r, go), res.grad("input").shape(),
                        res.grad("input").toFloatArray(), RTOL, ATOL);
            }
            try (Tensor out = loss.forward(xt, tt)) {
                assertAllClose(what + " forward", outShape, expected, out.shape(), out.toFloatArray(), RTOL, ATOL);
            }
        }
    }

    @Test
    void classIndicesMatchReference() {
        compareWithReference(new Case(2_000, 300, 1, true, -100, 0.1, false, false));
        compareWithReference(new Case(4_500, 129, 1, false, 4, 0, false, true));
    }

    @Test
    void wideRowsMatchReference() {
        compareWithReference(new Case(20, 32_000, 1, true, -100, 0.05, false, false));
        compareWithReference(new Case(16, 40_000, 1, false, -100, 0, false, false));
    }

    @Test
    void kDimMatchesReference() {
        compareWithReference(new Case(3, 17, 12_001, true, 2, 0.2, false, false));
        compareWithReference(new Case(2, 33, 9_000, false, -100, 0, false, true));
        // a wide class dimension shrinks the blocks of positions
        compareWithReference(new Case(2, 5_000, 61, true, -100, 0.1, false, false));
    }

    @Test
    void probabilitiesMatchReference() {
        compareWithReference(new Case(2_000, 300, 1, true, -100, 0.15, true, false));
        compareWithReference(new Case(2, 10, 30_001, false, -100, 0, true, false));
        compareWithReference(new Case(3, 7, 30_001, true, -100, 0.3, true, false));
    }

    @Test
    void deterministicAndForwardEqualsFused() {
        Random rnd = new Random(11);
        int n = 600;
        int c = 1_000;
        float[] x = new float[n * c];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (4 * rnd.nextGaussian());
        }
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(c);
        }
        Tensor xt = cpu.tensor(x, n, c);
        Tensor tt = cpu.tensor(t, n);
        Tensor kx = cpu.tensor(x, 6, 100, 1_000);
        CrossEntropyLoss loss = CrossEntropyLoss.builder().labelSmoothing(0.1).build();
        for (Tensor[] args : List.of(new Tensor[] {xt, tt}, new Tensor[] {kx, cpu.tensor(kTargets(rnd), 6, 1_000)})) {
            float first = loss.forward(args).item();
            try (LossResult a = loss.forwardBackward(args); LossResult b = loss.forwardBackward(args)) {
                assertEquals(Float.floatToRawIntBits(first), Float.floatToRawIntBits(a.loss().item()));
                assertEquals(Float.floatToRawIntBits(a.loss().item()), Float.floatToRawIntBits(b.loss().item()));
                assertArrayEquals(a.grad("input").toFloatArray(), b.grad("input").toFloatArray());
            }
        }
    }

    private static long[] kTargets(Random rnd) {
        long[] t = new long[6_000];
        for (int i = 0; i < t.length; i++) {
            t[i] = rnd.nextInt(100);
        }
        return t;
    }
}
