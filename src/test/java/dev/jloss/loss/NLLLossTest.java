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

class NLLLossTest {
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Backend cpu = TestBackends.cpu();

    private static void assertMessage(Executable call, String... parts) {
        LossArgumentException e = assertThrows(LossArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    // ---- messages ------------------------------------------------------------------------------

    @Test
    void targetOutOfRangeIsRejectedByTheKernel() {
        Tensor x = cpu.tensor(new float[15], 3, 5);
        for (Reduction r : Reduction.values()) {
            if (r == Reduction.BATCHMEAN) {
                continue;
            }
            NLLLoss loss = NLLLoss.builder().reduction(r).build();
            assertMessage(() -> loss.forward(x, cpu.tensor(new long[] {1, 7, 3}, 3)),
                    "nll_loss: target 7 is out of bounds for 5 classes", "[0, 5)", "ignore_index -100");
            assertMessage(() -> loss.forwardBackward(x, cpu.tensor(new int[] {1, -1, 3}, 3)),
                    "nll_loss: target -1 is out of bounds for 5 classes");
        }
        // K-dim, and a target equal to an ignore_index that is not this one
        assertMessage(() -> NLLLoss.builder().ignoreIndex(2).build().forward(cpu.tensor(new float[2 * 5 * 3], 2, 5, 3),
                cpu.tensor(new long[] {0, 2, 2, 9, 1, 1}, 2, 3)), "nll_loss: target 9 is out of bounds for 5 classes");
        // the lowest bad position is the one reported, whatever the threads did
        long[] t = new long[100_000];
        t[70_000] = 11;
        t[90_000] = 12;
        assertMessage(() -> NLLLoss.builder().reduction(Reduction.NONE).build()
                .forward(cpu.tensor(new float[100_000 * 5], 100_000, 5), cpu.tensor(t, 100_000)), "target 11 is out");
    }

    @Test
    void wrongTargetShape() {
        NLLLoss loss = NLLLoss.builder().build();
        assertMessage(() -> loss.forward(cpu.tensor(new float[15], 3, 5), cpu.tensor(new long[2], 2)),
                "nll_loss: target has shape [2], expected [3]");
        assertMessage(() -> loss.forward(cpu.tensor(new float[15], 3, 5), cpu.tensor(new long[3], 3, 1)),
                "nll_loss: target has shape [3, 1], expected [3]");
        assertMessage(() -> loss.forward(cpu.tensor(new float[30], 2, 5, 3), cpu.tensor(new long[8], 2, 4)),
                "nll_loss: target has shape [2, 4], expected [2, 3]");
        assertMessage(() -> loss.forward(cpu.tensor(new float[5], 5), cpu.tensor(new long[1], 1)),
                "nll_loss: target has shape [1], expected []", "unbatched input of shape [5]");
    }

    @Test
    void wrongDtypesAndRanks() {
        NLLLoss loss = NLLLoss.builder().build();
        assertMessage(() -> loss.forward(cpu.tensor(new float[15], 3, 5), cpu.tensor(new float[3], 3)),
                "nll_loss: target has dtype float32, expected int64 or int32");
        assertMessage(() -> loss.forward(cpu.tensor(new long[15], 3, 5), cpu.tensor(new long[3], 3)),
                "nll_loss: input has dtype int64, expected float32");
        assertMessage(() -> loss.forward(cpu.tensor(new float[1]), cpu.tensor(new long[1])),
                "nll_loss: input has 0 dimensions (shape [])", "expected (C), (N, C) or (N, C, d1, ..., dk)");
    }

    @Test
    void wrongWeight() {
        NLLLoss loss = NLLLoss.builder().weight(1, 2, 3, 4).build();
        assertMessage(() -> loss.forward(cpu.tensor(new float[15], 3, 5), cpu.tensor(new long[3], 3)),
                "nll_loss: weight has 4 elements, expected 5 (one per class)");
        assertMessage(() -> Losses.create("NLLLoss", Map.of("weight", List.of(List.of(1.0), List.of(2.0)))),
                "nll_loss: weight has shape [2, 1], expected a 1-D tensor");
        assertMessage(() -> Losses.create("NLLLoss", Map.of("ignore_index", 1.5)),
                "nll_loss: option ignore_index expects an integer, got 1.5");
    }

    // ---- the seed article -------------------------------------------------------------------------

    @Test
    void seedArticleExamples() {
        Tensor x = cpu.tensor(new float[] {0.6f, 0.2f, 0.2f, 0.4f, 1.2f, 0.4f}, 2, 3);
        Tensor t = cpu.tensor(new long[] {0, 1}, 2);
        try (Tensor out = NLLLoss.builder().reduction(Reduction.NONE).build().forward(x, t)) {
            assertAllClose("none", new long[] {2}, new double[] {-0.6, -1.2}, out.shape(), out.toFloatArray());
        }
        NLLLoss weighted = NLLLoss.builder().weight(0.6f, 0.2f, 0.2f).build();
        try (LossResult r = weighted.forwardBackward(x, t)) {
            assertEquals(-0.75, r.loss().item(), 1e-6);
            // d/dx[n, t_n] = -w[t_n] / (0.6 + 0.2)
            assertAllClose("grad", new long[] {2, 3}, new double[] {-0.75, 0, 0, 0, -0.25, 0},
                    r.grad("input").shape(), r.grad("input").toFloatArray());
        }
    }

    @Test
    void meanOverNothingIsNaN() {
        NLLLoss loss = NLLLoss.builder().build();
        assertTrue(Float.isNaN(loss.forward(cpu.tensor(new float[10], 2, 5), cpu.tensor(new long[] {-100, -100}, 2))
                .item()));
        assertTrue(Float.isNaN(loss.forward(cpu.tensor(new float[0], 0, 5), cpu.tensor(new long[0], 0)).item()));
        assertEquals(0f, NLLLoss.builder().reduction(Reduction.SUM).build()
                .forward(cpu.tensor(new float[0], 0, 5), cpu.tensor(new long[0], 0)).item());
    }

    // ---- against a naive reference ----------------------------------------------------------------

    /** Loss per position and gradient of sum(go * loss), in double, straight from the definition. */
    private static double[][] reference(float[] x, long[] t, int n, int c, int s, float[] w, long ignore,
                                        Reduction r, double[] go) {
        double[] loss = new double[n * s];
        double[] grad = new double[n * c * s];
        double total = 0;
        double weightSum = 0;
        for (int b = 0; b < n; b++) {
            for (int k = 0; k < s; k++) {
                int i = b * s + k;
                if (t[i] == ignore) {
                    continue;
                }
                int cls = (int) t[i];
                double wt = w == null ? 1 : w[cls];
                loss[i] = -wt * x[(b * c + cls) * s + k];
                total += loss[i];
                weightSum += wt;
            }
        }
        for (int b = 0; b < n; b++) {
            for (int k = 0; k < s; k++) {
                int i = b * s + k;
                if (t[i] == ignore) {
                    continue;
                }
                int cls = (int) t[i];
                double wt = w == null ? 1 : w[cls];
                double g = r == Reduction.NONE ? go[i] : r == Reduction.MEAN ? go[0] / weightSum : go[0];
                grad[(b * c + cls) * s + k] = -wt * g;
            }
        }
        double[] out = r == Reduction.NONE ? loss : new double[] {r == Reduction.MEAN ? total / weightSum : total};
        return new double[][] {out, grad};
    }

    private void compareWithReference(int n, int c, int s, boolean weighted, long ignore, boolean int32) {
        Random rnd = new Random(31L * n + c + s);
        float[] x = new float[n * c * s];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (-5 * rnd.nextDouble());
        }
        long[] t = new long[n * s];
        for (int i = 0; i < t.length; i++) {
            t[i] = rnd.nextInt(10) == 0 ? ignore : rnd.nextInt(c);
        }
        float[] w = null;
        if (weighted) {
            w = new float[c];
            for (int i = 0; i < c; i++) {
                w[i] = (float) (0.1 + rnd.nextDouble());
            }
        }
        long[] shape = s == 1 ? new long[] {n, c} : new long[] {n, c, s};
        long[] tShape = s == 1 ? new long[] {n} : new long[] {n, s};
        Tensor xt = cpu.tensor(x, shape);
        Tensor tt;
        if (int32) {
            int[] ti = new int[t.length];
            for (int i = 0; i < t.length; i++) {
                ti[i] = (int) t[i];
            }
            tt = cpu.tensor(ti, tShape);
        } else {
            tt = cpu.tensor(t, tShape);
        }
        for (Reduction r : List.of(Reduction.NONE, Reduction.MEAN, Reduction.SUM)) {
            NLLLoss loss = NLLLoss.builder().reduction(r).weight(w).ignoreIndex(ignore).build();
            double[] go = new double[r == Reduction.NONE ? n * s : 1];
            float[] gof = new float[go.length];
            for (int i = 0; i < go.length; i++) {
                gof[i] = (float) (rnd.nextDouble() * 2 - 0.5);
                go[i] = gof[i];
            }
            long[] outShape = r == Reduction.NONE ? tShape : new long[0];
            double[][] ref = reference(x, t, n, c, s, w, ignore, r, go);
            String what = "nll " + Arrays.toString(shape) + " " + r + (weighted ? " weighted" : "");
            try (LossResult res = loss.forwardBackwardWith(cpu.tensor(gof, outShape), xt, tt)) {
                assertAllClose(what + " loss", outShape, ref[0], res.loss().shape(), res.loss().toFloatArray(), RTOL, ATOL);
                assertAllClose(what + " grad", shape, ref[1], res.grad("input").shape(), res.grad("input").toFloatArray(),
                        RTOL, ATOL);
            }
        }
    }

    @Test
    void matchesReferenceOnLargeInputs() {
        compareWithReference(70_000, 7, 1, true, -100, false);
        compareWithReference(2_000, 65, 1, false, 3, true);
        compareWithReference(6, 5, 33 * 130, true, -100, false);
        compareWithReference(1, 33, 4_000, false, 0, true);
    }

    @Test
    void deterministic() {
        Random rnd = new Random(5);
        int n = 50_000;
        int c = 9;
        float[] x = new float[n * c];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(c);
        }
        float[] w = {0.3f, 1.7f, 0.9f, 1.1f, 2.2f, 0.05f, 1f, 0.6f, 1.3f};
        NLLLoss loss = NLLLoss.builder().weight(w).build();
        Tensor xt = cpu.tensor(x, n, c);
        Tensor tt = cpu.tensor(t, n);
        float first = loss.forward(xt, tt).item();
        try (LossResult a = loss.forwardBackward(xt, tt); LossResult b = loss.forwardBackward(xt, tt)) {
            assertEquals(Float.floatToRawIntBits(first), Float.floatToRawIntBits(a.loss().item()));
            assertEquals(Float.floatToRawIntBits(a.loss().item()), Float.floatToRawIntBits(b.loss().item()));
            assertArrayEquals(a.grad("input").toFloatArray(), b.grad("input").toFloatArray());
        }
    }
}
