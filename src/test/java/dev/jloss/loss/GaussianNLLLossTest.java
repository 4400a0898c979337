package dev.jloss.loss;

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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GaussianNLLLoss: var's three accepted shapes, the clamp, the gradients for input and var, messages. */
class GaussianNLLLossTest {
    private static final float[] X = {1, 2, 0.5f, -1, 0, 3};
    private static final float[] Y = {0, 0, 1, 1, 0.5f, 2};

    private static void assertMessage(Runnable call, String... parts) {
        LossArgumentException e = assertThrows(LossArgumentException.class, call::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void javadocExample() {
        for (Backend b : TestBackends.all()) {
            Tensor out = GaussianNLLLoss.builder().reduction(Reduction.NONE).build()
                    .forward(b.tensor(new float[] {1, 2}, 2), b.tensor(new float[2], 2), b.tensor(new float[] {1, 4}, 2));
            assertArrayEquals(new float[] {0.5f, (float) (0.5 * (Math.log(4) + 1))}, out.toFloatArray(), 1e-6f);
        }
    }

    /** One variance per row given as [N], [N, 1] or [N, D] (repeated): same loss, gradients summed over D. */
    @Test
    void perRowVarianceInEveryAcceptedShape() {
        for (Backend b : TestBackends.all()) {
            Tensor x = b.tensor(X, 2, 3);
            Tensor y = b.tensor(Y, 2, 3);
            GaussianNLLLoss loss = GaussianNLLLoss.builder().full(true).reduction(Reduction.SUM).build();
            try (LossResult full = loss.forwardBackward(x, y, b.tensor(new float[] {0.5f, 0.5f, 0.5f, 2, 2, 2}, 2, 3));
                 LossResult row = loss.forwardBackward(x, y, b.tensor(new float[] {0.5f, 2}, 2));
                 LossResult col = loss.forwardBackward(x, y, b.tensor(new float[] {0.5f, 2}, 2, 1))) {
                float expected = full.loss().item();
                assertEquals(expected, row.loss().item(), 1e-6);
                assertEquals(expected, col.loss().item(), 1e-6);
                float[] gFull = full.grad("var").toFloatArray();
                float[] perRow = {gFull[0] + gFull[1] + gFull[2], gFull[3] + gFull[4] + gFull[5]};
                assertArrayEquals(perRow, row.grad("var").toFloatArray(), 1e-5f);
                assertArrayEquals(new long[] {2}, row.grad("var").shape());
                assertArrayEquals(perRow, col.grad("var").toFloatArray(), 1e-5f);
                assertArrayEquals(new long[] {2, 1}, col.grad("var").shape());
                assertArrayEquals(full.grad("input").toFloatArray(), row.grad("input").toFloatArray(), 1e-6f);
            }
            // by hand: 0.5 (log v + d^2 / v) + 0.5 log 2 pi
            double first = 0.5 * (Math.log(0.5) + 1 / 0.5) + 0.5 * Math.log(2 * Math.PI);
            assertEquals(first, GaussianNLLLoss.builder().full(true).reduction(Reduction.NONE).build()
                    .forward(x, y, b.tensor(new float[] {0.5f, 2}, 2)).toFloatArray()[0], 1e-6);
        }
    }

    /** var below eps is clamped; its gradient is the derivative at eps, passed through (PyTorch's no-grad clamp). */
    @Test
    void smallVarianceIsClampedAndItsGradientPassesThrough() {
        for (Backend b : TestBackends.all()) {
            GaussianNLLLoss loss = GaussianNLLLoss.builder().eps(0.01).reduction(Reduction.NONE).build();
            Tensor x = b.tensor(new float[] {1, 1}, 2);
            Tensor y = b.tensor(new float[] {0.9f, 0.9f}, 2);
            try (LossResult r = loss.forwardBackward(x, y, b.tensor(new float[] {0, 1e-5f}, 2))) {
                double d = 1 - (double) 0.9f;
                float atEps = (float) (0.5 * (Math.log(0.01) + d * d / 0.01));
                assertArrayEquals(new float[] {atEps, atEps}, r.loss().toFloatArray(), 1e-5f);
                float dVar = (float) (0.5 * (1 / 0.01 - d * d / 1e-4));
                assertArrayEquals(new float[] {dVar, dVar}, r.grad("var").toFloatArray(), 1e-3f);
                assertArrayEquals(new float[] {(float) (d / 0.01), (float) (d / 0.01)}, r.grad("input").toFloatArray(),
                        1e-4f);
            }
        }
    }

    @Test
    void varOfAnyOtherShapeIsRejected() {
        Backend b = TestBackends.cpu();
        Tensor x = b.tensor(new float[6], 2, 3);
        GaussianNLLLoss loss = GaussianNLLLoss.builder().build();
        for (long[] bad : List.of(new long[] {3}, new long[] {1, 3}, new long[0], new long[] {2, 3, 1},
                new long[] {2, 2})) {
            Tensor var = b.tensor(new float[(int) dev.jloss.Tensor.numel(bad)], bad);
            assertMessage(() -> loss.forward(x, x, var), "gaussian_nll_loss: ",
                    "var has shape " + java.util.Arrays.toString(bad), "expected [2, 3] (the input's), [2]", "[2, 1]");
        }
        Tensor x2 = b.tensor(new float[2], 2);
        assertMessage(() -> loss.forward(x2, x2, b.tensor(new float[2], 2, 1)), "var has shape [2, 1]");
    }

    @Test
    void negativeVarianceIsRejectedNamingTheElement() {
        Backend b = TestBackends.cpu();
        Tensor x = b.tensor(new float[6], 2, 3);
        assertMessage(() -> GaussianNLLLoss.builder().build().forward(x, x,
                b.tensor(new float[] {1, 1, 1, 1, 1, -0.5f}, 2, 3)), "gaussian_nll_loss: ", "var element 5 is -0.5",
                "non-negative");
        assertMessage(() -> GaussianNLLLoss.builder().build().forward(x, x, b.tensor(new float[] {1, -2}, 2)),
                "var element 1 is -2.0");
        // PyTorch checks all of var even when the broadcast output (here [0, 3]) reads none of it
        Tensor x3 = b.tensor(new float[3], 3);
        assertMessage(() -> GaussianNLLLoss.builder().reduction(Reduction.SUM).build().forward(x3,
                b.tensor(new float[0], 0, 3), b.tensor(new float[] {1, -1, 1}, 3)), "var element 1 is -1.0");
    }

    @Test
    void optionsAndArguments() {
        GaussianNLLLoss loss = (GaussianNLLLoss) Losses.create("GaussianNLLLoss",
                Map.of("full", true, "eps", 1e-3, "reduction", "none"));
        assertEquals(List.of(true, 1e-3, Reduction.NONE), List.of(loss.full(), loss.eps(), loss.reduction()));
        assertEquals(List.of("input", "target", "var"), loss.argumentNames());
        assertEquals(List.of("input", "var"), loss.differentiableArguments());
        assertMessage(() -> Losses.create("GaussianNLLLoss", Map.of("size_average", false)),
                "gaussian_nll_loss: ", "unknown option 'size_average'");
        assertMessage(() -> Losses.create("GaussianNLLLoss", Map.of("reduction", "batchmean")),
                "gaussian_nll_loss: ", "'batchmean'");
    }
}
