package dev.jloss.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.loss.CTCLoss;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The CPU CTC's scaled probability-space recursions against its log-space ones (PyTorch's algorithm,
 * which the golden suite checks against PyTorch): the same loss and gradient to float rounding where
 * the scaled path runs, and the log path taken, with the same bits, where it declines (confident,
 * peaked log-probabilities whose state ratios underflow a double; non-finite log-probabilities).
 */
class CTCScaledTest {
    private final CpuBackend cpu = new CpuBackend();

    @AfterEach
    void restore() {
        CTCLossCpu.scaledFirst = true;
    }

    @Test
    void scaledEqualsLogSpaceOnOrdinaryInputs() {
        Tensor[] args = inputs(80, 6, 21, 20, 2.0, 11);
        long before = CTCLossCpu.SCALED_SAMPLES.sum();
        float[][] scaled = run(args, true);
        assertTrue(CTCLossCpu.SCALED_SAMPLES.sum() - before >= 6, "the scaled path ran for the samples");
        float[][] log = run(args, false);
        for (int k = 0; k < scaled.length; k++) {
            assertClose(k == 0 ? "loss" : "gradient", log[k], scaled[k]);
        }
    }

    @Test
    void peakedLogProbabilitiesTakeTheLogPathBitwise() {
        // log-probabilities near -200 for every class but one per step: the states' ratios underflow
        Tensor[] args = inputs(120, 3, 9, 12, 200.0, 5);
        long before = CTCLossCpu.SCALED_SAMPLES.sum();
        float[][] first = run(args, true);
        assertEquals(before, CTCLossCpu.SCALED_SAMPLES.sum(), "every sample declined the scaled path");
        float[][] log = run(args, false);
        for (int k = 0; k < first.length; k++) {
            for (int i = 0; i < first[k].length; i++) {
                assertEquals(Float.floatToRawIntBits(log[k][i]), Float.floatToRawIntBits(first[k][i]), "element " + i);
            }
        }
    }

    /** Loss (none) and gradient, with the scaled path tried first or not. */
    private float[][] run(Tensor[] args, boolean scaledFirst) {
        CTCLossCpu.scaledFirst = scaledFirst;
        CTCLoss loss = CTCLoss.builder().reduction(Reduction.NONE).build();
        try (LossResult r = loss.forwardBackward(args)) {
            float[] out = r.loss().toFloatArray();
            float[] g = r.grad("log_probs").toFloatArray();
            try (Tensor fwd = loss.forward(args)) {
                float[] f = fwd.toFloatArray();
                for (int i = 0; i < f.length; i++) {
                    assertEquals(Float.floatToRawIntBits(out[i]), Float.floatToRawIntBits(f[i]), "forward == fused");
                }
            }
            return new float[][] {out, g};
        }
    }

    /** log_softmax of Gaussian logits times {@code spread}; padded targets, varied lengths. */
    private Tensor[] inputs(int t, int n, int c, int s, double spread, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] lp = new float[t * n * c];
        for (int i = 0; i < t * n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            double[] z = new double[c];
            for (int k = 0; k < c; k++) {
                z[k] = spread * rnd.nextGaussian();
                max = Math.max(max, z[k]);
            }
            double sum = 0;
            for (int k = 0; k < c; k++) {
                sum += Math.exp(z[k] - max);
            }
            for (int k = 0; k < c; k++) {
                lp[i * c + k] = (float) (z[k] - max - Math.log(sum));
            }
        }
        long[] targets = new long[n * s];
        long[] inLen = new long[n];
        long[] tgLen = new long[n];
        for (int b = 0; b < n; b++) {
            inLen[b] = t - rnd.nextInt(t / 4);
            tgLen[b] = 1 + rnd.nextInt(s);
            for (int j = 0; j < s; j++) {
                targets[b * s + j] = 1 + rnd.nextInt(c - 1);
            }
        }
        return new Tensor[] {cpu.tensor(lp, t, n, c), cpu.tensor(targets, n, s), cpu.tensor(inLen, n),
            cpu.tensor(tgLen, n)};
    }

    private static void assertClose(String what, float[] want, float[] got) {
        double scale = 0;
        for (float w : want) {
            scale = Math.max(scale, Math.abs(w));
        }
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(want[i] - got[i]);
            assertTrue(err <= 1e-6 * Math.abs(want[i]) + 1e-7 * scale,
                    what + " element " + i + ": log path " + want[i] + ", scaled " + got[i]);
        }
    }
}
