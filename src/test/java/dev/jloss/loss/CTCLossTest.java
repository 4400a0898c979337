package dev.jloss.loss;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.LossArgumentException;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.testing.TestBackends;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * CTCLoss: argument and data checks with their messages, a worked example, a brute-force reference
 * that enumerates every alignment (tiny T and C), a naive log-space alpha-beta reference on a batch
 * large enough to run in parallel, a finite-difference check of PyTorch's gradient convention, and
 * determinism. PyTorch's own values are in the golden file (scripts/golden/ctc_loss.py).
 */
class CTCLossTest {
    /** Brute force and alpha-beta in double against the kernel's double rounded to float32. */
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;
    /** Central differences on float32 losses: O(h^2) truncation plus float rounding over h. */
    private static final double FD_STEP = 1e-2;
    private static final double FD_ATOL = 2e-3;

    private static Backend cpu() {
        return TestBackends.cpu();
    }

    // ---------------------------------------------------------------- inputs

    /** Random log_softmax rows over the last dimension, rounded to float32. */
    private static float[] logSoftmax(Random rnd, int rows, int classes) {
        float[] out = new float[rows * classes];
        for (int r = 0; r < rows; r++) {
            double[] z = new double[classes];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                z[c] = 2 * rnd.nextGaussian();
                max = Math.max(max, z[c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(z[c] - max);
            }
            double lse = max + Math.log(sum);
            for (int c = 0; c < classes; c++) {
                out[r * classes + c] = (float) (z[c] - lse);
            }
        }
        return out;
    }

    private static float[] randomGrad(Random rnd, int n) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (rnd.nextDouble() * 3 - 1.5);
        }
        return g;
    }

    private static Tensor[] args(Backend b, float[] lp, long[] lpShape, long[] targets, long[] targetShape,
                                 long[] inputLengths, long[] targetLengths) {
        return new Tensor[] {b.tensor(lp, lpShape), b.tensor(targets, targetShape),
            b.tensor(inputLengths, inputLengths.length), b.tensor(targetLengths, targetLengths.length)};
    }

    /** A valid small batch: T=5, N=2, C=4, padded targets (2, 3). */
    private static Tensor[] valid(Backend b) {
        float[] lp = logSoftmax(new Random(1), 10, 4);
        return args(b, lp, new long[] {5, 2, 4}, new long[] {1, 2, 1, 3, 3, 2}, new long[] {2, 3},
                new long[] {5, 4}, new long[] {3, 2});
    }

    /**
     * The call (read back to the host: a GPU backend makes its data checks on the device and throws
     * when a result of the call is first read) throws a LossArgumentException naming these parts.
     */
    private static void assertMessage(Supplier<Object> call, String... parts) {
        LossArgumentException e = assertThrows(LossArgumentException.class, () -> read(call.get()));
        assertTrue(e.getMessage().startsWith("ctc_loss: "), () -> "message names the loss: " + e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    private static void read(Object result) {
        if (result instanceof Tensor t) {
            t.toFloatArray();
        } else if (result instanceof LossResult r) {
            if (r.loss() != null) {
                r.loss().toFloatArray();
            }
            r.gradients().values().forEach(Tensor::toFloatArray);
        }
    }

    private static CTCLoss loss(Reduction r) {
        return CTCLoss.builder().reduction(r).build();
    }

    // ---------------------------------------------------------------- argument checks (before dispatch)

    @Test
    void rejectsIntegerLogProbs() {
        Tensor[] a = valid(cpu());
        a[0] = cpu().tensor(new long[40], 5, 2, 4);
        assertMessage(() -> loss(Reduction.MEAN).forward(a), "log_probs has dtype int64", "expected float32");
    }

    @Test
    void rejectsLogProbsOfWrongRank() {
        Tensor[] a = valid(cpu());
        a[0] = cpu().tensor(new float[40], 5, 2, 4, 1);
        assertMessage(() -> loss(Reduction.MEAN).forward(a), "log_probs has 4 dimensions", "[5, 2, 4, 1]",
                "expected 3 or 2");
        a[0] = cpu().tensor(new float[5], 5);
        assertMessage(() -> loss(Reduction.MEAN).forward(a), "log_probs has 1 dimensions", "expected 3 or 2");
    }

    @Test
    void rejectsZeroTimeSteps() {
        Tensor[] a = valid(cpu());
        a[0] = cpu().tensor(new float[0], 0, 2, 4);
        assertMessage(() -> loss(Reduction.MEAN).forward(a), "log_probs has shape [0, 2, 4] with 0 time steps",
                "expected at least 1");
    }

    @Test
    void rejectsBlankOutOfRange() {
        assertMessage(() -> CTCLoss.builder().blank(4).build().forward(valid(cpu())), "blank is 4",
                "expected a class index in [0, 4)", "[5, 2, 4]");
        assertMessage(() -> CTCLoss.builder().blank(-1).build(), "blank is -1", "expected a class index >= 0");
        assertMessage(() -> Losses.create("ctc_loss", Map.of("blank", -2)), "blank is -2");
    }

    @Test
    void rejectsLegacyOptions() {
        assertMessage(() -> Losses.create("CTCLoss", Map.of("size_average", false)), "unknown option 'size_average'");
        assertMessage(() -> Losses.create("CTCLoss", Map.of("reduce", false)), "unknown option 'reduce'");
        assertMessage(() -> Losses.create("CTCLoss", Map.of("weight", 1)), "unknown option 'weight'");
        assertMessage(() -> CTCLoss.builder().sizeAverage(true), "unknown option 'size_average'");
        assertMessage(() -> CTCLoss.builder().reduce(false), "unknown option 'reduce'");
        assertEquals(Reduction.SUM, CTCLoss.builder().sizeAverage(null).reduce(null).reduction(Reduction.SUM).build()
                .reduction(), "null is 'not given'");
    }

    @Test
    void rejectsTargetsOfWrongRankOrRows() {
        Tensor[] a = valid(cpu());
        a[1] = cpu().tensor(new long[6], 2, 3, 1);
        assertMessage(() -> loss(Reduction.MEAN).forward(a), "targets has 3 dimensions", "expected 2 or 1");
        a[1] = cpu().tensor(new long[] {1, 2, 1}, 1, 3);
        assertMessage(() -> loss(Reduction.MEAN).forward(a), "targets has shape [1, 3]", "expected 2 rows",
                "batch size of log_probs [5, 2, 4]");
    }

    @Test
    void rejectsFloatLengths() {
        Tensor[] a = valid(cpu());
        a[2] = cpu().tensor(new float[] {5, 4}, 2);
        assertMessage(() -> loss(Reduction.MEAN).forward(a), "input_lengths has dtype float32",
                "expected int64 or int32");
        Tensor[] b = valid(cpu());
        b[3] = cpu().tensor(new float[] {3, 2}, 2);
        assertMessage(() -> loss(Reduction.MEAN).forward(b), "target_lengths has dtype float32",
                "expected int64 or int32");
    }

    @Test
    void rejectsLengthsOfWrongSize() {
        Tensor[] a = valid(cpu());
        a[2] = cpu().tensor(new long[] {5, 4, 3}, 3);
        assertMessage(() -> loss(Reduction.MEAN).forward(a), "input_lengths has shape [3] (3 elements)",
                "expected 2 elements");
        Tensor[] b = valid(cpu());
        b[3] = cpu().tensor(new long[] {3}, 1);
        assertMessage(() -> loss(Reduction.MEAN).forward(b), "target_lengths has shape [1] (1 elements)",
                "expected 2 elements");
        // unbatched input has one sample
        Tensor[] c = {cpu().tensor(new float[20], 5, 4), cpu().tensor(new long[] {1, 2}, 2),
            cpu().tensor(new long[] {5, 5}, 2), cpu().tensor(new long[] {2}, new long[0])};
        assertMessage(() -> loss(Reduction.MEAN).forward(c), "input_lengths has shape [2] (2 elements)",
                "expected 1 elements", "[5, 4]");
    }

    // ---------------------------------------------------------------- data checks (in the kernel)

    @Test
    void rejectsInputLengthsOutOfRange() {
        for (Backend bk : TestBackends.all()) {
            Tensor[] a = valid(bk);
            a[2] = bk.tensor(new long[] {5, 6}, 2);
            assertMessage(() -> loss(Reduction.MEAN).forward(a), "input_lengths[1] is 6",
                    "expected a value in [0, 5]");
            a[2] = bk.tensor(new int[] {-1, 4}, 2);
            assertMessage(() -> loss(Reduction.MEAN).forward(a), "input_lengths[0] is -1",
                    "expected a value in [0, 5]");
        }
    }

    @Test
    void rejectsPaddedTargetLengthsOutOfRange() {
        for (Backend bk : TestBackends.all()) {
            Tensor[] a = valid(bk);
            a[3] = bk.tensor(new long[] {3, 4}, 2);
            assertMessage(() -> loss(Reduction.SUM).forwardBackward(a), "target_lengths[1] is 4",
                    "expected a value in [0, 3]", "padded length of targets [2, 3]");
            a[3] = bk.tensor(new long[] {-2, 1}, 2);
            assertMessage(() -> loss(Reduction.SUM).forward(a), "target_lengths[0] is -2",
                    "expected a value in [0, 3]");
        }
    }

    @Test
    void rejectsConcatenatedTargetLengths() {
        for (Backend bk : TestBackends.all()) {
            Tensor[] a = valid(bk);
            a[1] = bk.tensor(new long[] {1, 2, 1, 3, 3}, 5);
            a[3] = bk.tensor(new long[] {3, 3}, 2);
            assertMessage(() -> loss(Reduction.MEAN).forward(a), "target_lengths sum to 6", "expected 5",
                    "length of the concatenated targets");
            a[3] = bk.tensor(new long[] {6, -1}, 2);
            assertMessage(() -> loss(Reduction.MEAN).forward(a), "target_lengths[1] is -1", "expected at least 0");
            a[3] = bk.tensor(new long[] {Long.MAX_VALUE, 5}, 2);
            assertMessage(() -> loss(Reduction.MEAN).forward(a), "target_lengths sum to more than 2^63-1",
                    "expected 5");
        }
    }

    @Test
    void rejectsLabelsOutOfRange() {
        for (Backend bk : TestBackends.all()) {
            Tensor[] a = valid(bk);
            a[1] = bk.tensor(new long[] {1, 2, 1, 3, 4, 2}, 2, 3);
            assertMessage(() -> loss(Reduction.MEAN).forward(a), "targets[1, 1] is 4",
                    "expected a class index in [0, 4)", "label 1 of sample 1");
            a[1] = bk.tensor(new int[] {1, -3, 1, 3, 3, 2}, 2, 3);
            assertMessage(() -> loss(Reduction.MEAN).forwardBackward(a), "targets[0, 1] is -3",
                    "expected a class index in [0, 4)");
            a[1] = bk.tensor(new long[] {1, 2, 1, 3, 9}, 5);
            assertMessage(() -> loss(Reduction.MEAN).forward(a), "targets[4] is 9", "label 1 of sample 1");
            a[1] = bk.tensor(new float[] {1, 2, Float.NaN, 3, 3, 2}, 2, 3);
            assertMessage(() -> loss(Reduction.MEAN).forward(a), "targets[0, 2] is NaN",
                    "expected a class index in [0, 4)");
        }
    }

    /**
     * NOTE: PyTorch 1.13's CPU kernel accepts a label equal to blank (its documentation forbids it) and
     * computes with it; jloss rejects it.
     */
    @Test
    void rejectsBlankLabels() {
        for (Backend bk : TestBackends.all()) {
            Tensor[] a = valid(bk);
            a[1] = bk.tensor(new long[] {1, 0, 1, 3, 3, 2}, 2, 3);
            assertMessage(() -> loss(Reduction.MEAN).forward(a), "targets[0, 1] is 0, the blank index",
                    "expected a label other than blank=0", "label 1 of sample 0");
            Tensor[] b = valid(bk);
            assertMessage(() -> CTCLoss.builder().blank(3).build().forward(b), "targets[1, 0] is 3, the blank index",
                    "blank=3");
        }
    }

    @Test
    void padIsNotReadPastTheTargetLength() {
        // labels beyond a row's target length are padding: any value, never checked
        Tensor[] a = valid(cpu());
        Tensor[] b = valid(cpu());
        b[1] = cpu().tensor(new long[] {1, 2, 1, 3, 3, -99}, 2, 3);
        assertArrayEquals(loss(Reduction.NONE).forward(a).toFloatArray(), loss(Reduction.NONE).forward(b).toFloatArray());
    }

    // ---------------------------------------------------------------- values

    /**
     * T=2, C=2, uniform probabilities 0.5, target [1]: three alignments ("1 1", "1 -", "- 1") of
     * probability 0.25, loss -log 0.75; each frame's posterior is 2/3 for the label, 1/3 for blank, so
     * the gradient is 0.5 - 2/3 = -1/6 for the label and 0.5 - 1/3 = 1/6 for blank.
     */
    @Test
    void workedExample() {
        float h = (float) Math.log(0.5);
        Tensor[] a = args(cpu(), new float[] {h, h, h, h}, new long[] {2, 1, 2}, new long[] {1}, new long[] {1, 1},
                new long[] {2}, new long[] {1});
        try (LossResult r = loss(Reduction.SUM).forwardBackward(a)) {
            assertEquals(-Math.log(0.75), r.loss().item(), 1e-6);
            assertArrayEquals(new float[] {1f / 6, -1f / 6, 1f / 6, -1f / 6}, r.grad("log_probs").toFloatArray(), 1e-6f);
        }
        // mean divides by the target length (1) and the batch (1)
        assertEquals(-Math.log(0.75), loss(Reduction.MEAN).forward(a).item(), 1e-6);
    }

    /** PyTorch 2.x's rule for an input length of 0: loss 0 for an empty target, +inf otherwise, no gradient. */
    @Test
    void zeroInputLength() {
        float[] lp = logSoftmax(new Random(3), 3 * 3, 4);
        for (Backend bk : TestBackends.all()) {
            Tensor[] a = args(bk, lp, new long[] {3, 3, 4}, new long[] {1, 2, 0, 0, 3, 3}, new long[] {3, 2},
                    new long[] {0, 0, 3}, new long[] {0, 2, 1});
            a[1] = bk.tensor(new long[] {1, 2, 3}, 3);
            try (LossResult r = loss(Reduction.NONE).forwardBackward(a)) {
                float[] l = r.loss().toFloatArray();
                assertEquals(-0f, l[0], "-log(1), -0.0 as in PyTorch");
                assertEquals(Float.POSITIVE_INFINITY, l[1]);
                assertTrue(Float.isFinite(l[2]) && l[2] > 0);
                float[] g = r.grad("log_probs").toFloatArray();
                for (int t = 0; t < 3; t++) {
                    for (int c = 0; c < 4; c++) {
                        assertEquals(0f, g[(t * 3) * 4 + c]);
                        assertEquals(0f, g[(t * 3 + 1) * 4 + c]);
                    }
                }
            }
            CTCLoss zi = CTCLoss.builder().reduction(Reduction.NONE).zeroInfinity(true).build();
            assertEquals(0f, zi.forward(a).toFloatArray()[1]);
        }
    }

    // ---------------------------------------------------------------- brute force over every alignment

    /** One sample's loss and PyTorch's gradient, by enumerating all C^T' frame labellings. */
    private static double[] bruteForce(float[] lp, int batch, int classes, int n, int frames, int[] target,
                                       int blank, int maxTime) {
        double z = 0;
        double[][] occupancy = new double[frames][classes];
        int[] path = new int[frames];
        long paths = (long) Math.pow(classes, frames);
        for (long idx = 0; idx < paths; idx++) {
            long v = idx;
            for (int t = 0; t < frames; t++) {
                path[t] = (int) (v % classes);
                v /= classes;
            }
            if (!Arrays.equals(collapse(path, blank), target)) {
                continue;
            }
            double logp = 0;
            for (int t = 0; t < frames; t++) {
                logp += lp[(t * batch + n) * classes + path[t]];
            }
            double p = Math.exp(logp);
            z += p;
            for (int t = 0; t < frames; t++) {
                occupancy[t][path[t]] += p;
            }
        }
        double[] out = new double[1 + maxTime * classes];
        out[0] = -Math.log(z);
        for (int t = 0; t < frames; t++) {
            for (int c = 0; c < classes; c++) {
                double y = lp[(t * batch + n) * classes + c];
                // z = 0 (infeasible): PyTorch's exp(-inf + inf - y) is NaN
                out[1 + t * classes + c] = z == 0 ? Double.NaN : Math.exp(y) - occupancy[t][c] / z;
            }
        }
        return out;
    }

    private static int[] collapse(int[] path, int blank) {
        int[] out = new int[path.length];
        int k = 0;
        int prev = -1;
        for (int p : path) {
            if (p != prev && p != blank) {
                out[k++] = p;
            }
            prev = p;
        }
        return Arrays.copyOf(out, k);
    }

    /**
     * The loss and gradient of a whole call from per-sample (loss, gradient) pairs, with PyTorch's
     * reduction and zero_infinity rules.
     */
    private static double[][] reference(double[][] perSample, int[] targetLengths, Reduction r, boolean zeroInf,
                                        float[] gradOut, int maxTime, int batch, int classes) {
        double[] losses = new double[batch];
        double[] grad = new double[maxTime * batch * classes];
        double total = 0;
        for (int n = 0; n < batch; n++) {
            double nll = perSample[n][0];
            boolean inf = nll == Double.POSITIVE_INFINITY;
            losses[n] = zeroInf && inf ? 0 : nll;
            double div = Math.max(targetLengths[n], 1);
            total += r == Reduction.MEAN ? losses[n] / div : losses[n];
            double gr = switch (r) {
                case NONE -> gradOut[n];
                case SUM -> gradOut[0];
                default -> gradOut[0] / batch / div;
            };
            if (zeroInf && inf) {
                continue;
            }
            for (int t = 0; t < maxTime; t++) {
                for (int c = 0; c < classes; c++) {
                    grad[(t * batch + n) * classes + c] = perSample[n][1 + t * classes + c] * gr;
                }
            }
        }
        double[] loss = r == Reduction.NONE ? losses : new double[] {r == Reduction.MEAN ? total / batch : total};
        return new double[][] {loss, grad};
    }

    @Test
    void matchesBruteForceOverEveryAlignment() {
        Random rnd = new Random(42);
        int maxTime = 5;
        int classes = 3;
        int batch = 6;
        int capacity = 3;
        // targets with repeats, empty, and too long for their inputs (infeasible)
        int[][] targets = {{1, 2, 1}, {1, 1}, {}, {2}, {2, 2, 2}, {1, 2}};
        int[] inputLengths = {5, 3, 4, 1, 4, 2};
        for (int blank : new int[] {0, 2}) {
            float[] lp = logSoftmax(rnd, maxTime * batch, classes);
            long[] padded = new long[batch * capacity];
            long[] il = new long[batch];
            long[] tl = new long[batch];
            int[] tli = new int[batch];
            double[][] perSample = new double[batch][];
            for (int n = 0; n < batch; n++) {
                int[] tg = targets[n].clone();
                for (int j = 0; j < tg.length; j++) {
                    tg[j] = blank == 0 ? tg[j] : tg[j] - 1;  // labels 1..2 for blank 0, 0..1 for blank 2
                    padded[n * capacity + j] = tg[j];
                }
                il[n] = inputLengths[n];
                tl[n] = tli[n] = tg.length;
                perSample[n] = bruteForce(lp, batch, classes, n, inputLengths[n], tg, blank, maxTime);
            }
            assertEquals(Double.POSITIVE_INFINITY, perSample[4][0], "[2, 2, 2] does not fit in 4 frames");
            for (Reduction r : new Reduction[] {Reduction.NONE, Reduction.MEAN, Reduction.SUM}) {
                for (boolean zeroInf : new boolean[] {false, true}) {
                    float[] go = randomGrad(rnd, r == Reduction.NONE ? batch : 1);
                    double[][] ref = reference(perSample, tli, r, zeroInf, go, maxTime, batch, classes);
                    CTCLoss loss = CTCLoss.builder().blank(blank).reduction(r).zeroInfinity(zeroInf).build();
                    String what = "blank " + blank + ", " + r + ", zero_infinity " + zeroInf;
                    for (Backend bk : TestBackends.all()) {
                        Tensor[] a = args(bk, lp, new long[] {maxTime, batch, classes}, padded,
                                new long[] {batch, capacity}, il, tl);
                        Tensor g = r == Reduction.NONE ? bk.tensor(go, batch) : bk.tensor(go);
                        try (LossResult res = loss.forwardBackwardWith(g, a)) {
                            long[] outShape = r == Reduction.NONE ? new long[] {batch} : new long[0];
                            assertAllClose(bk.name() + " loss, " + what, outShape, ref[0], res.loss().shape(),
                                    res.loss().toFloatArray(), RTOL, ATOL);
                            assertAllClose(bk.name() + " grad, " + what, new long[] {maxTime, batch, classes}, ref[1],
                                    res.grad("log_probs").shape(), res.grad("log_probs").toFloatArray(), RTOL, ATOL);
                        }
                    }
                }
            }
        }
    }

    @Test
    void unbatchedMatchesBruteForce() {
        Random rnd = new Random(7);
        float[] lp = logSoftmax(rnd, 6, 4);
        int[] target = {3, 3, 1};
        double[] ref = bruteForce(lp, 1, 4, 0, 6, target, 0, 6);
        for (Backend bk : TestBackends.all()) {
            Tensor[] a = {bk.tensor(lp, 6, 4), bk.tensor(new int[] {3, 3, 1}, 3), bk.tensor(new int[] {6}),
                bk.tensor(new int[] {3})};
            try (LossResult r = loss(Reduction.NONE).forwardBackward(a)) {
                assertArrayEquals(new long[0], r.loss().shape());
                assertEquals(ref[0], r.loss().item(), ref[0] * RTOL);
                assertAllClose(bk.name() + " unbatched grad", new long[] {6, 4}, Arrays.copyOfRange(ref, 1, ref.length),
                        r.grad("log_probs").shape(), r.grad("log_probs").toFloatArray(), RTOL, ATOL);
            }
        }
    }

    // ---------------------------------------------------------------- naive alpha-beta on a large batch

    private static double logAdd(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) {
            return b;
        }
        if (b == Double.NEGATIVE_INFINITY) {
            return a;
        }
        return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
    }

    /** Textbook log-space forward-backward for one sample: {loss, gradient over (maxTime, classes)}. */
    private static double[] alphaBeta(float[] lp, int batch, int classes, int n, int frames, int[] target, int blank,
                                      int maxTime) {
        int w = 2 * target.length + 1;
        int[] ext = new int[w];
        for (int s = 0; s < w; s++) {
            ext[s] = s % 2 == 0 ? blank : target[s / 2];
        }
        double[][] alpha = new double[frames][w];
        double[][] beta = new double[frames][w];
        for (double[] row : alpha) {
            Arrays.fill(row, Double.NEGATIVE_INFINITY);
        }
        for (double[] row : beta) {
            Arrays.fill(row, Double.NEGATIVE_INFINITY);
        }
        for (int t = 0; t < frames; t++) {
            for (int s = 0; s < w; s++) {
                double y = lp[(t * batch + n) * classes + ext[s]];
                if (t == 0) {
                    alpha[t][s] = s < 2 ? y : Double.NEGATIVE_INFINITY;
                    continue;
                }
                double a = alpha[t - 1][s];
                if (s >= 1) {
                    a = logAdd(a, alpha[t - 1][s - 1]);
                }
                if (s >= 2 && ext[s] != ext[s - 2]) {
                    a = logAdd(a, alpha[t - 1][s - 2]);
                }
                alpha[t][s] = a + y;
            }
        }
        for (int t = frames - 1; t >= 0; t--) {
            for (int s = w - 1; s >= 0; s--) {
                double y = lp[(t * batch + n) * classes + ext[s]];
                if (t == frames - 1) {
                    beta[t][s] = s >= w - 2 ? y : Double.NEGATIVE_INFINITY;
                    continue;
                }
                double b = beta[t + 1][s];
                if (s + 1 < w) {
                    b = logAdd(b, beta[t + 1][s + 1]);
                }
                if (s + 2 < w && ext[s] != ext[s + 2]) {
                    b = logAdd(b, beta[t + 1][s + 2]);
                }
                beta[t][s] = b + y;
            }
        }
        double logZ = w > 1 ? logAdd(alpha[frames - 1][w - 1], alpha[frames - 1][w - 2]) : alpha[frames - 1][0];
        double[] out = new double[1 + maxTime * classes];
        out[0] = -logZ;
        for (int t = 0; t < frames; t++) {
            double[] posterior = new double[classes];
            for (int s = 0; s < w; s++) {
                // alpha and beta both include y_t(l'_s): divide one out
                posterior[ext[s]] += Math.exp(alpha[t][s] + beta[t][s] - lp[(t * batch + n) * classes + ext[s]] - logZ);
            }
            for (int c = 0; c < classes; c++) {
                out[1 + t * classes + c] = Math.exp(lp[(t * batch + n) * classes + c]) - posterior[c];
            }
        }
        return out;
    }

    /** A batch of T=200, N=32, C=60, S=50 with varied lengths, padded and concatenated. */
    private static final class Large {
        final int maxTime = 200;
        final int batch = 32;
        final int classes = 60;
        final int capacity = 50;
        final int blank = 7;
        final float[] lp;
        final long[] padded = new long[batch * capacity];
        final long[] concatenated;
        final long[] il = new long[batch];
        final long[] tl = new long[batch];
        final int[][] targets = new int[batch][];

        Large(long seed) {
            Random rnd = new Random(seed);
            lp = logSoftmax(rnd, maxTime * batch, classes);
            int total = 0;
            for (int n = 0; n < batch; n++) {
                il[n] = n == 0 ? maxTime : 120 + rnd.nextInt(maxTime - 120 + 1);
                tl[n] = n == 1 ? capacity : n == 2 ? 0 : 1 + rnd.nextInt(capacity);
                targets[n] = new int[(int) tl[n]];
                for (int j = 0; j < tl[n]; j++) {
                    int label = rnd.nextInt(classes - 1);
                    targets[n][j] = label >= blank ? label + 1 : label;
                    padded[n * capacity + j] = targets[n][j];
                }
                total += (int) tl[n];
            }
            concatenated = new long[total];
            int k = 0;
            for (int[] t : targets) {
                for (int label : t) {
                    concatenated[k++] = label;
                }
            }
        }

        Tensor[] padded(Backend b) {
            return args(b, lp, new long[] {maxTime, batch, classes}, padded, new long[] {batch, capacity}, il, tl);
        }

        Tensor[] concatenated(Backend b) {
            return args(b, lp, new long[] {maxTime, batch, classes}, concatenated, new long[] {concatenated.length},
                    il, tl);
        }
    }

    @Test
    void matchesNaiveAlphaBetaOnALargeBatch() {
        Large in = new Large(2024);
        double[][] perSample = new double[in.batch][];
        int[] tli = new int[in.batch];
        for (int n = 0; n < in.batch; n++) {
            perSample[n] = alphaBeta(in.lp, in.batch, in.classes, n, (int) in.il[n], in.targets[n], in.blank,
                    in.maxTime);
            tli[n] = (int) in.tl[n];
        }
        Random rnd = new Random(5);
        for (Reduction r : new Reduction[] {Reduction.NONE, Reduction.MEAN, Reduction.SUM}) {
            float[] go = randomGrad(rnd, r == Reduction.NONE ? in.batch : 1);
            double[][] ref = reference(perSample, tli, r, false, go, in.maxTime, in.batch, in.classes);
            CTCLoss loss = CTCLoss.builder().blank(in.blank).reduction(r).build();
            for (Backend bk : TestBackends.all()) {
                for (Tensor[] a : List.of(in.padded(bk), in.concatenated(bk))) {
                    String what = bk.name() + " " + r + " targets " + Arrays.toString(a[1].shape());
                    Tensor g = r == Reduction.NONE ? bk.tensor(go, in.batch) : bk.tensor(go);
                    long[] outShape = r == Reduction.NONE ? new long[] {in.batch} : new long[0];
                    try (LossResult res = loss.forwardBackwardWith(g, a)) {
                        assertAllClose(what + " loss", outShape, ref[0], res.loss().shape(), res.loss().toFloatArray(),
                                RTOL, ATOL);
                        assertAllClose(what + " grad", new long[] {in.maxTime, in.batch, in.classes}, ref[1],
                                res.grad("log_probs").shape(), res.grad("log_probs").toFloatArray(), RTOL, ATOL);
                    }
                    try (LossResult res = loss.backward(g, a)) {
                        assertAllClose(what + " backward", new long[] {in.maxTime, in.batch, in.classes}, ref[1],
                                res.grad("log_probs").shape(), res.grad("log_probs").toFloatArray(), RTOL, ATOL);
                    }
                    try (Tensor out = loss.forward(a)) {
                        assertAllClose(what + " forward", outShape, ref[0], out.shape(), out.toFloatArray(), RTOL, ATOL);
                    }
                }
            }
        }
    }

    @Test
    void int32AndInt64InputsAgree() {
        Large in = new Large(11);
        Loss loss = CTCLoss.builder().blank(in.blank).reduction(Reduction.NONE).build();
        Tensor[] a = in.padded(cpu());
        int[] il = new int[in.batch];
        int[] tl = new int[in.batch];
        int[] tg = new int[in.padded.length];
        for (int n = 0; n < in.batch; n++) {
            il[n] = (int) in.il[n];
            tl[n] = (int) in.tl[n];
        }
        for (int k = 0; k < tg.length; k++) {
            tg[k] = (int) in.padded[k];
        }
        Tensor[] b = {a[0], cpu().tensor(tg, in.batch, in.capacity), cpu().tensor(il, in.batch),
            cpu().tensor(tl, in.batch)};
        try (LossResult ra = loss.forwardBackward(a); LossResult rb = loss.forwardBackward(b)) {
            assertArrayEquals(ra.loss().toFloatArray(), rb.loss().toFloatArray());
            assertArrayEquals(ra.grad("log_probs").toFloatArray(), rb.grad("log_probs").toFloatArray());
        }
    }

    // ---------------------------------------------------------------- PyTorch's gradient convention

    /**
     * PyTorch's gradient is the derivative with respect to logits z behind log_probs = log_softmax(z):
     * central differences of loss(log_softmax(z)) in z match it.
     */
    @Test
    void gradientIsTheLogitGradientBehindLogSoftmax() {
        int maxTime = 4;
        int batch = 2;
        int classes = 3;
        Random rnd = new Random(9);
        double[] z = new double[maxTime * batch * classes];
        for (int i = 0; i < z.length; i++) {
            z[i] = rnd.nextGaussian();
        }
        long[] targets = {1, 2, 1, 0};
        long[] il = {4, 3};
        long[] tl = {2, 1};
        CTCLoss loss = loss(Reduction.MEAN);
        float[] grad;
        try (LossResult r = loss.forwardBackward(args(cpu(), logSoftmaxOf(z, classes), new long[] {maxTime, batch, classes},
                targets, new long[] {2, 2}, il, tl))) {
            grad = r.grad("log_probs").toFloatArray();
        }
        double[] numeric = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            double keep = z[i];
            z[i] = keep + FD_STEP;
            double up = loss.forward(args(cpu(), logSoftmaxOf(z, classes), new long[] {maxTime, batch, classes},
                    targets, new long[] {2, 2}, il, tl)).item();
            z[i] = keep - FD_STEP;
            double down = loss.forward(args(cpu(), logSoftmaxOf(z, classes), new long[] {maxTime, batch, classes},
                    targets, new long[] {2, 2}, il, tl)).item();
            z[i] = keep;
            numeric[i] = (up - down) / (2 * FD_STEP);
        }
        assertAllClose("d loss / d logits", new long[] {maxTime, batch, classes}, numeric,
                new long[] {maxTime, batch, classes}, grad, 0, FD_ATOL);
    }

    private static float[] logSoftmaxOf(double[] z, int classes) {
        float[] out = new float[z.length];
        for (int r = 0; r < z.length / classes; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, z[r * classes + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(z[r * classes + c] - max);
            }
            for (int c = 0; c < classes; c++) {
                out[r * classes + c] = (float) (z[r * classes + c] - max - Math.log(sum));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- determinism

    @Test
    void repeatedCallsAreBitwiseEqual() {
        Large in = new Large(99);
        for (Reduction r : new Reduction[] {Reduction.MEAN, Reduction.NONE}) {
            CTCLoss loss = CTCLoss.builder().blank(in.blank).reduction(r).build();
            for (Backend bk : TestBackends.all()) {
                Tensor[] a = in.concatenated(bk);
                try (LossResult x = loss.forwardBackward(a); LossResult y = loss.forwardBackward(a);
                     Tensor f = loss.forward(a)) {
                    assertArrayEquals(x.loss().toFloatArray(), y.loss().toFloatArray(), bk.name() + " " + r + " loss");
                    assertArrayEquals(x.grad("log_probs").toFloatArray(), y.grad("log_probs").toFloatArray(),
                            bk.name() + " " + r + " grad");
                    assertArrayEquals(x.loss().toFloatArray(), f.toFloatArray(), bk.name() + " " + r + " fused = forward");
                }
            }
        }
    }
}
