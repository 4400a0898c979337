package dev.jloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.LossArgumentException;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.testing.TestBackends;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** BCEWithLogitsLoss: stability for logits in the thousands, pos_weight per class, agreement with BCE, messages. */
class BCEWithLogitsLossTest {

    private static void assertMessage(Runnable call, String... parts) {
        LossArgumentException e = assertThrows(LossArgumentException.class, call::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void logitsInTheThousandsGiveExactFiniteValues() {
        for (Backend b : TestBackends.all()) {
            Tensor x = b.tensor(new float[] {-3000, 3000, 5000, -5000, 1e4f, -1e4f, 0}, 7);
            Tensor y = b.tensor(new float[] {1, 0, 0.3f, 0.7f, 1, 0, 0.5f}, 7);
            try (LossResult r = BCEWithLogitsLoss.builder().reduction(Reduction.NONE).build().forwardBackward(x, y)) {
                // (1 - y) x + softplus(-x): 3000, 3000, 0.7 * 5000, -0.3 * 5000 + 5000, 0, 0, log 2
                assertArrayEquals(new float[] {3000, 3000, 3500, 3500, 0, 0, (float) Math.log(2)},
                        r.loss().toFloatArray(), 1e-3f);
                // sigmoid(x) - y
                assertArrayEquals(new float[] {-1, 1, 0.7f, -0.7f, 0, 0, 0}, r.grad("input").toFloatArray(), 1e-6f);
            }
        }
    }

    @Test
    void posWeightScalesThePositiveTermPerClass() {
        for (Backend b : TestBackends.all()) {
            Tensor x = b.tensor(new float[] {0, 0, -3000, -3000}, 2, 2);
            Tensor y = b.tensor(new float[] {1, 1, 1, 0}, 2, 2);
            Tensor out = BCEWithLogitsLoss.builder().posWeight(2, 5).reduction(Reduction.NONE).build().forward(x, y);
            double l2 = Math.log(2);
            assertArrayEquals(new float[] {(float) (2 * l2), (float) (5 * l2), 6000, -3000 + 3000},
                    out.toFloatArray(), 1e-3f);
        }
    }

    /** The seed article's example: zero targets. */
    @Test
    void seedArticleExample() {
        for (Backend b : TestBackends.all()) {
            Tensor out = BCEWithLogitsLoss.builder().reduction(Reduction.NONE).build()
                    .forward(b.tensor(new float[] {0.1099f, 1.3278f, -0.2820f}, 3), b.tensor(new float[3], 3));
            assertArrayEquals(new float[] {0.7496f, 1.5629f, 0.5621f}, out.toFloatArray(), 1e-4f);
        }
    }

    /** For moderate logits it equals BCELoss of the sigmoid, weight included. */
    @Test
    void agreesWithBceOfSigmoid() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 4 * 9;
        float[] x = new float[n];
        float[] p = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (3 * rnd.nextGaussian());
            p[i] = (float) (1 / (1 + Math.exp(-x[i])));
            y[i] = (float) rnd.nextDouble();
        }
        float[] w = {0.5f, 1, 1.5f, 2, 0, 1, 3, 1, 0.25f};
        for (Backend b : TestBackends.all()) {
            float withLogits = BCEWithLogitsLoss.builder().weight(w).build().forward(b.tensor(x, 4, 9), b.tensor(y, 4, 9))
                    .item();
            float bce = BCELoss.builder().weight(w).build().forward(b.tensor(p, 4, 9), b.tensor(y, 4, 9)).item();
            org.junit.jupiter.api.Assertions.assertEquals(bce, withLogits, 1e-5);
        }
    }

    @Test
    void badShapesAreNamed() {
        Backend b = TestBackends.cpu();
        Tensor x = b.tensor(new float[6], 2, 3);
        assertMessage(() -> BCEWithLogitsLoss.builder().build().forward(x, b.tensor(new float[3], 3)),
                "binary_cross_entropy_with_logits: ", "target has shape [3]", "expected [2, 3]");
        assertMessage(() -> BCEWithLogitsLoss.builder().posWeight(1, 2).build().forward(x, x),
                "binary_cross_entropy_with_logits: ", "pos_weight with shape [2]", "cannot be broadcast");
        Tensor x3 = b.tensor(new float[3], 3);
        assertMessage(() -> BCEWithLogitsLoss.builder().posWeight(new HostArray(new float[6], new long[] {2, 3}))
                .build().forward(x3, x3), "pos_weight with shape [2, 3]", "output's shape [3]");
        assertMessage(() -> Losses.create("BCEWithLogitsLoss", Map.of("pos_weight", "heavy")),
                "binary_cross_entropy_with_logits: ", "pos_weight");
    }

    @Test
    void optionTensorsFromNestedLists() {
        Backend b = TestBackends.cpu();
        BCEWithLogitsLoss loss = (BCEWithLogitsLoss) Losses.create("binary_cross_entropy_with_logits",
                Map.of("weight", java.util.List.of(java.util.List.of(2.0), java.util.List.of(0.0)),
                        "pos_weight", java.util.List.of(1.0, 3.0), "reduction", "sum"));
        Tensor x = b.tensor(new float[4], 2, 2);
        Tensor y = b.tensor(new float[] {1, 1, 1, 1}, 2, 2);
        // row 0 weighted 2 with pos_weight 1 and 3; row 1 weighted 0
        org.junit.jupiter.api.Assertions.assertEquals(2 * (1 + 3) * Math.log(2), loss.forward(x, y).item(), 1e-5);
    }
}
