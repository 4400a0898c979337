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
import java.util.Map;
import org.junit.jupiter.api.Test;

/** BCELoss: the [0, 1] data check and its message, target/weight shape rules, the clamped edges, the seed example. */
class BCELossTest {

    private static void assertMessage(Runnable call, String... parts) {
        LossArgumentException e = assertThrows(LossArgumentException.class, call::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    private static float sigmoid(float x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    /** The seed article's example: BCELoss(reduce=False) of sigmoid(input) against 0/1 targets. */
    @Test
    void seedArticleExample() {
        float[] logits = {-1.8626f, -0.1685f, 1.3190f, 0.4265f, 0.3094f, -1.2203f, -0.4972f, -0.4424f,
                -0.1279f, 0.4547f, 0.7306f, 0.0625f};
        float[] p = new float[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = sigmoid(logits[i]);
        }
        float[] target = {0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1};
        float[] expected = {0.1443f, 0.6125f, 0.2370f, 0.5025f, 0.8597f, 0.2586f, 0.9723f, 0.4962f,
                0.7591f, 0.9461f, 0.3931f, 0.6624f};
        for (Backend b : TestBackends.all()) {
            Tensor out = BCELoss.fromOptions(new Options("binary_cross_entropy",
                    Map.of("reduce", false, "size_average", false))).forward(b.tensor(p, 3, 4), b.tensor(target, 3, 4));
            // the article prints its inputs to 4 decimals, hence the tolerance
            assertArrayEquals(expected, out.toFloatArray(), 2e-4f);
        }
    }

    @Test
    void inputOutsideUnitIntervalIsRejectedNamingTheElement() {
        Backend b = TestBackends.cpu();
        Tensor t = b.tensor(new float[6], 2, 3);
        BCELoss loss = BCELoss.builder().build();
        assertMessage(() -> loss.forward(b.tensor(new float[] {0, 0.5f, 1, 0.25f, 1.5f, 0}, 2, 3), t),
                "binary_cross_entropy: ", "input element 4 is 1.5", "expected a value in [0, 1]");
        assertMessage(() -> loss.forward(b.tensor(new float[] {0, -0.25f, 1, 0, 0, 0}, 2, 3), t),
                "input element 1 is -0.25");
        assertMessage(() -> loss.forward(b.tensor(new float[] {0, 0, Float.NaN, 0, 0, 0}, 2, 3), t),
                "input element 2 is NaN");
        // backward alone checks too
        Tensor bad = b.tensor(new float[] {0, 0, 0, 0, 2, 0}, 2, 3);
        assertMessage(() -> loss.backward(b.tensor(new float[] {1}), bad, t), "input element 4 is 2.0");
    }

    /** With bad elements in several chunks of a multithreaded run, the first one is reported, every time. */
    @Test
    void firstBadElementIsReportedDeterministically() {
        Backend b = TestBackends.cpu();
        int n = 300_000;
        float[] x = new float[n];
        java.util.Arrays.fill(x, 0.5f);
        x[250_000] = 7;
        x[123_457] = -3;
        x[200_000] = 9;
        Tensor in = b.tensor(x, n);
        Tensor t = b.tensor(new float[n], n);
        for (int i = 0; i < 5; i++) {
            assertMessage(() -> BCELoss.builder().build().forwardBackward(in, t), "input element 123457 is -3.0");
        }
    }

    @Test
    void targetMustHaveTheInputsShape() {
        Backend b = TestBackends.cpu();
        assertMessage(() -> BCELoss.builder().build().forward(b.tensor(new float[6], 2, 3), b.tensor(new float[3], 3)),
                "binary_cross_entropy: ", "target has shape [3]", "expected [2, 3]");
        assertMessage(() -> BCELoss.builder().build().forward(b.tensor(new float[3], 3), b.tensor(new float[3], 1, 3)),
                "target has shape [1, 3]", "expected [3]");
    }

    @Test
    void weightMustBroadcastToTheInput() {
        Backend b = TestBackends.cpu();
        Tensor x23 = b.tensor(new float[6], 2, 3);
        assertMessage(() -> BCELoss.builder().weight(1, 2).build().forward(x23, x23),
                "binary_cross_entropy: ", "weight with shape [2]", "[2, 3]", "cannot be broadcast");
        Tensor x3 = b.tensor(new float[3], 3);
        assertMessage(() -> BCELoss.builder().weight(new HostArray(new float[6], new long[] {2, 3})).build()
                .forward(x3, x3), "weight with shape [2, 3]", "output's shape [3]");
    }

    @Test
    void weightPerClassAndPerRow() {
        for (Backend b : TestBackends.all()) {
            Tensor x = b.tensor(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, 2, 2);
            Tensor y = b.tensor(new float[] {1, 0, 1, 0}, 2, 2);
            double l2 = Math.log(2);
            Tensor perClass = BCELoss.builder().weight(1, 3).reduction(Reduction.NONE).build().forward(x, y);
            assertArrayEquals(new float[] {(float) l2, (float) (3 * l2), (float) l2, (float) (3 * l2)},
                    perClass.toFloatArray(), 1e-6f);
            BCELoss perRow = BCELoss.builder().weight(new HostArray(new float[] {2, 0}, new long[] {2, 1}))
                    .reduction(Reduction.SUM).build();
            try (LossResult r = perRow.forwardBackward(x, y)) {
                assertEquals(4 * l2, r.loss().item(), 1e-6);
                // d/dx (x - y) / (x (1 - x)) = +-2 at x = 0.5, times the row's weight
                assertArrayEquals(new float[] {-4, 4, 0, 0}, r.grad("input").toFloatArray(), 1e-6f);
            }
        }
    }

    /** Inputs of exactly 0 and 1: logs clamped at -100, gradient through max(x (1 - x), 1e-12). */
    @Test
    void edgesAreFinite() {
        for (Backend b : TestBackends.all()) {
            Tensor x = b.tensor(new float[] {0, 1, 0, 1}, 4);
            Tensor y = b.tensor(new float[] {0, 1, 1, 0}, 4);
            try (LossResult r = BCELoss.builder().reduction(Reduction.NONE).build().forwardBackward(x, y)) {
                assertArrayEquals(new float[] {0, 0, 100, 100}, r.loss().toFloatArray(), 0f);  // -0 at x = y = 1
                float[] g = r.grad("input").toFloatArray();
                assertEquals(0f, g[0]);
                assertEquals(0f, g[1]);
                assertEquals(-1 / (double) 1e-12f, g[2], 1e5);
                assertEquals(1 / (double) 1e-12f, g[3], 1e5);
            }
        }
    }
}
