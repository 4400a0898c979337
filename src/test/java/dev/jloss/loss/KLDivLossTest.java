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

/** KLDivLoss: the seed example, batchmean's divisor, 0 log 0, negative targets, log_target, legacy flags. */
class KLDivLossTest {
    private static final float[] SEED_INPUT = {0.1132f, 0.5477f, 0.3390f, 0.1132f, 0.5477f, 0.3390f};
    private static final float[] SEED_TARGET = {0.8541f, 0.0511f, 0.0947f, 0.1132f, 0.5477f, 0.3390f};

    private static float kl(Backend b, Map<String, ?> options, Tensor x, Tensor y) {
        return Losses.create("KLDivLoss", options).forward(x, y).item();
    }

    /** The seed article's example: none, mean (over 6), batchmean (over 2) and the legacy spellings. */
    @Test
    void seedArticleExample() {
        for (Backend b : TestBackends.all()) {
            Tensor x = b.tensor(SEED_INPUT, 2, 3);
            Tensor y = b.tensor(SEED_TARGET, 2, 3);
            Tensor none = Losses.create("KLDivLoss", Map.of("size_average", false, "reduce", false)).forward(x, y);
            assertArrayEquals(new float[] {-0.2314f, -0.1800f, -0.2553f, -0.2594f, -0.6297f, -0.4816f},
                    none.toFloatArray(), 1e-4f);
            assertEquals(-0.3396f, kl(b, Map.of("size_average", true, "reduce", true), x, y), 1e-4);
            assertEquals(-0.3396f, kl(b, Map.of("reduction", "mean"), x, y), 1e-4);
            assertEquals(-1.0187f, kl(b, Map.of("reduction", "batchmean"), x, y), 1e-4);
            // the first element by hand: y (log y - x)
            assertEquals(0.8541 * (Math.log(0.8541) - 0.1132), none.toFloatArray()[0], 1e-6);
        }
    }

    /** As PyTorch's kl_div: batchmean divides the sum by input.size(0), whatever the target broadcasts to. */
    @Test
    void batchmeanDividesByTheInputsFirstSize() {
        for (Backend b : TestBackends.all()) {
            Tensor x = b.tensor(new float[] {-1, -2, -3}, 3);
            Tensor y = b.tensor(new float[] {0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f}, 2, 3);
            KLDivLoss batchmean = KLDivLoss.builder().reduction(Reduction.BATCHMEAN).build();
            float sum = KLDivLoss.builder().reduction(Reduction.SUM).build().forward(x, y).item();
            try (LossResult r = batchmean.forwardBackward(x, y)) {
                assertEquals(sum / 3, r.loss().item(), 1e-6);
                // d/dx_j = -(sum of the targets over the broadcast rows) / 3
                assertArrayEquals(new float[] {-0.25f, -0.25f, -0.25f}, r.grad("input").toFloatArray(), 1e-7f);
            }
            // a 0-d input is not divided
            Tensor x0 = b.tensor(new float[] {-1});
            Tensor y4 = b.tensor(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 4);
            float sum0 = KLDivLoss.builder().reduction(Reduction.SUM).build().forward(b.tensor(new float[] {-1}, new long[0]),
                    y4).item();
            assertEquals(sum0, batchmean.forward(b.tensor(new float[] {-1}, new long[0]), y4).item(), 0);
            assertEquals(sum0, batchmean.forward(x0, y4).item(), 0);
            // an empty batch: 0 / 0
            assertTrue(Float.isNaN(batchmean.forward(b.tensor(new float[0], 0, 3), b.tensor(new float[0], 0, 3)).item()));
        }
    }

    @Test
    void zeroTargetsGiveZeroAndNegativeTargetsGiveNaN() {
        for (Backend b : TestBackends.all()) {
            Tensor x = b.tensor(new float[] {-1, -2, 0.5f}, 3);
            Tensor y = b.tensor(new float[] {0, -0.5f, 0}, 3);
            try (LossResult r = KLDivLoss.builder().reduction(Reduction.NONE).build().forwardBackward(x, y)) {
                float[] l = r.loss().toFloatArray();
                assertEquals(0f, l[0]);
                assertTrue(Float.isNaN(l[1]));
                assertEquals(0f, l[2]);
                // the gradient is -target regardless
                assertArrayEquals(new float[] {-0f, 0.5f, -0f}, r.grad("input").toFloatArray());
            }
        }
    }

    @Test
    void logTargetEqualsPlainTargetOfItsExp() {
        for (Backend b : TestBackends.all()) {
            float[] logT = {-0.1f, -2.5f, -1, -4, -0.7f, -3};
            float[] t = new float[logT.length];
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) Math.exp(logT[i]);
            }
            Tensor x = b.tensor(new float[] {-1, -2, -0.5f, -3, -1.5f, -0.2f}, 2, 3);
            float viaLog = KLDivLoss.builder().logTarget(true).reduction(Reduction.BATCHMEAN).build()
                    .forward(x, b.tensor(logT, 2, 3)).item();
            float plain = KLDivLoss.builder().reduction(Reduction.BATCHMEAN).build().forward(x, b.tensor(t, 2, 3)).item();
            assertEquals(plain, viaLog, 1e-5);
        }
    }

    @Test
    void legacyFlagsOverrideBatchmeanAsTheModuleDoes() {
        Backend b = TestBackends.cpu();
        Tensor x = b.tensor(SEED_INPUT, 2, 3);
        Tensor y = b.tensor(SEED_TARGET, 2, 3);
        float sum = KLDivLoss.builder().reduction(Reduction.SUM).build().forward(x, y).item();
        assertEquals(sum, kl(b, Map.of("reduction", "batchmean", "size_average", false), x, y), 0);
        assertEquals(Reduction.NONE, Losses.create("kl_div", Map.of("reduction", "batchmean", "reduce", false))
                .reduction());
    }

    @Test
    void badReductionAndShapesAreNamed() {
        LossArgumentException e = assertThrows(LossArgumentException.class,
                () -> Losses.create("KLDivLoss", Map.of("reduction", "avg")));
        assertTrue(e.getMessage().startsWith("kl_div: ") && e.getMessage().contains("'avg'"), e.getMessage());
        Backend b = TestBackends.cpu();
        e = assertThrows(LossArgumentException.class, () -> KLDivLoss.builder().build()
                .forward(b.tensor(new float[6], 2, 3), b.tensor(new float[2], 2)));
        assertTrue(e.getMessage().contains("input with shape [2, 3]") && e.getMessage().contains("target with shape [2]"),
                e.getMessage());
    }
}
