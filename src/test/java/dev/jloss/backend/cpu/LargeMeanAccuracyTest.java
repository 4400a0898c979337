package dev.jloss.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Loss;
import dev.jloss.Tensor;
import dev.jloss.loss.CrossEntropyLoss;
import dev.jloss.loss.L1Loss;
import dev.jloss.loss.MSELoss;
import dev.jloss.loss.PoissonNLLLoss;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A mean over 2^27 elements agrees with float64 to 1e-6 relative on the CPU backend, on whichever path
 * this JVM takes (SIMD in the default run): the kernels' float lanes add bounded blocks that are
 * combined in double. A plain float accumulator fails this by orders of magnitude (a float sum of
 * 2^27 values near 1 stops growing at 2^24). The same bits come back on 1 and 2 threads, since the
 * block boundaries depend only on the sizes.
 */
class LargeMeanAccuracyTest {
    private static final int N = 1 << 27;
    private static final CpuBackend CPU = new CpuBackend();
    private static float[] x;
    private static Tensor input;

    @BeforeAll
    static void data() {
        x = new float[N];
        SplittableRandom rnd = new SplittableRandom(27);
        for (int i = 0; i < N; i++) {
            x[i] = (float) (2 * rnd.nextDouble() - 0.5);
        }
        input = CPU.tensor(x, N);
    }

    @AfterAll
    static void free() {
        x = null;
        input = null;
    }

    @Test
    void mseMean() throws Exception {
        check(MSELoss.builder().build(), 0.25f, v -> (v - 0.25) * (v - 0.25));
    }

    @Test
    void l1Mean() throws Exception {
        check(L1Loss.builder().build(), 0.25f, v -> Math.abs(v - 0.25));
    }

    @Test
    void poissonNllMean() throws Exception {
        // log_input: exp(x) - t x, t = 0.25
        check(PoissonNLLLoss.builder().build(), 0.25f, v -> Math.exp(v) - 0.25 * v);
    }

    @Test
    void crossEntropyMeanOver2To27Logits() throws Exception {
        int c = 1024;
        int n = N / c;
        long[] t = new long[n];
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(c);
        }
        double sum = 0;
        for (int r = 0; r < n; r++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) {
                m = Math.max(m, x[r * c + k]);
            }
            double s = 0;
            for (int k = 0; k < c; k++) {
                s += Math.exp(x[r * c + k] - m);
            }
            sum += m + Math.log(s) - x[r * c + (int) t[r]];
        }
        Tensor logits = CPU.tensor(x, n, c);
        Tensor targets = CPU.tensor(t, n);
        Loss ce = CrossEntropyLoss.builder().build();
        float got = inPool(2, () -> ce.forward(logits, targets).item());
        assertClose("cross_entropy over " + n + "x" + c, sum / n, got);
        assertEquals(Float.floatToRawIntBits(got), Float.floatToRawIntBits(inPool(1, () -> ce.forward(logits, targets).item())),
                "cross_entropy: 1 and 2 threads");
    }

    /** {@code loss(input, target)} with a one-element target broadcast over the 2^27 inputs. */
    private static void check(Loss loss, float target, DoubleUnaryOperator term) throws Exception {
        double sum = 0;
        for (float v : x) {
            sum += term.applyAsDouble(v);
        }
        Tensor t = CPU.tensor(new float[] {target}, 1);
        float two = inPool(2, () -> loss.forward(input, t).item());
        assertClose(loss.name(), sum / N, two);
        float one = inPool(1, () -> loss.forward(input, t).item());
        assertEquals(Float.floatToRawIntBits(two), Float.floatToRawIntBits(one), loss.name() + ": 1 and 2 threads");
    }

    private static void assertClose(String what, double want, float got) {
        double rel = Math.abs(got - want) / Math.abs(want);
        assertTrue(rel <= 1e-6, what + ": mean over 2^27 elements is " + got + ", float64 gives " + want
                + " (relative error " + rel + ", expected <= 1e-6; path: " + VectorSupport.description() + ")");
    }

    private static float inPool(int threads, java.util.concurrent.Callable<Float> body) throws Exception {
        ForkJoinPool pool = new ForkJoinPool(threads);
        try {
            return pool.submit(body).get();
        } finally {
            pool.shutdown();
        }
    }
}
