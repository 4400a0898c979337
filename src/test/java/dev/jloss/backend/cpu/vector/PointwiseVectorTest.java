package dev.jloss.backend.cpu.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Tensor;
import dev.jloss.loss.Losses;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU element-wise path (SIMD where this JVM has the Vector API, else scalar) keeps its promises:
 * bitwise the same loss and gradients on 1, 2 and 7 threads and from {@code forward} and the fused call,
 * for all twelve losses over several chunks with a ragged tail; and a mean over 2^27 elements agrees
 * with float64 (the float lanes' blocks are combined in double). Values against double references are
 * {@code PointwiseLossesTest}'s, the golden suite's and the gradient check's.
 */
class PointwiseVectorTest {
    /** Three 2^15 chunks and a fourth of two 2048 blocks and a tail of 5 (kl_div: 102 rows of 1000). */
    private static final long N = 3 * (1 << 15) + 2 * 2048 + 5;

    @ParameterizedTest
    @ValueSource(strings = {"l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
        "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
        "margin_ranking_loss", "hinge_embedding_loss"})
    void bitwiseTheSameOnAnyThreadCountAndFromForwardAndFused(String name) throws Exception {
        PointwiseSpeed.Case c = PointwiseSpeed.cases(N).stream().filter(k -> k.loss().equals(name)).findFirst()
                .orElseThrow();
        Backend cpu = new dev.jloss.backend.cpu.CpuBackend();
        long n = 1;
        for (long d : c.shape()) {
            n *= d;
        }
        Tensor[] in = new Tensor[c.args().length];
        for (int k = 0; k < in.length; k++) {
            SplittableRandom r = new SplittableRandom(5 + k);
            float[] x = new float[(int) n];
            for (int i = 0; i < x.length; i++) {
                x[i] = c.args()[k].next(r, i);
            }
            in[k] = cpu.tensor(x, c.shape());
        }
        List<float[]> first = null;
        for (int threads : new int[] {1, 2, 7}) {
            ForkJoinPool pool = new ForkJoinPool(threads);
            try {
                List<float[]> got = pool.submit(() -> run(c, in)).get();
                // forward's loss is the fused call's, bit for bit
                assertEquals(Float.floatToIntBits(got.get(0)[0]), Float.floatToIntBits(got.get(1)[0]),
                        name + " forward vs fused on " + threads + " threads");
                if (first == null) {
                    first = got;
                } else {
                    for (int k = 0; k < got.size(); k++) {
                        assertArrayEquals(first.get(k), got.get(k), name + " result " + k + " on " + threads
                                + " threads differs from 1 thread");
                    }
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    /** forward's loss, the fused call's loss and gradients, reduction none's per-element losses. */
    private static List<float[]> run(PointwiseSpeed.Case c, Tensor[] in) {
        List<float[]> out = new ArrayList<>();
        Loss loss = Losses.create(c.loss(), new LinkedHashMap<>(c.options()));
        try (Tensor t = loss.forward(in)) {
            out.add(t.toFloatArray());
        }
        try (LossResult r = loss.forwardBackward(in)) {
            out.add(r.loss().toFloatArray());
            for (Tensor g : r.gradients().values()) {
                if (g != null) {
                    out.add(g.toFloatArray());
                }
            }
        }
        Map<String, Object> none = new LinkedHashMap<>(c.options());
        none.put("reduction", "none");
        try (Tensor t = Losses.create(c.loss(), none).forward(in)) {
            out.add(t.toFloatArray());
        }
        return out;
    }

    /** MSE and L1 means over 2^27 = 8192 x 16384 elements (target broadcast over the rows) agree with float64. */
    @Test
    void meanOverTwoToThe27AgreesWithFloat64() {
        int rows = 8192;
        int cols = 16384;
        Backend cpu = new dev.jloss.backend.cpu.CpuBackend();
        SplittableRandom r = new SplittableRandom(27);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (1 + 0.25 * r.nextDouble());
        }
        float[] b = new float[cols];
        for (int j = 0; j < cols; j++) {
            b[j] = (float) (0.5 * r.nextDouble());
        }
        double mse = 0;
        double l1 = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i % cols];
            mse += d * d;
            l1 += Math.abs(d);
        }
        mse /= a.length;
        l1 /= a.length;
        try (Tensor ta = cpu.tensor(a, rows, cols); Tensor tb = cpu.tensor(b, 1, cols)) {
            for (String name : new String[] {"mse_loss", "l1_loss"}) {
                double expected = name.equals("mse_loss") ? mse : l1;
                Loss loss = Losses.create(name, new LinkedHashMap<>());
                float got;
                try (Tensor t = loss.forward(ta, tb)) {
                    got = t.item();
                }
                double rel = Math.abs(got - expected) / expected;
                // float64's mean rounded to float is within 2^-24 of it; the sum adds at most a few 1e-8
                assertTrue(rel < 1e-6, name + ": mean " + got + " vs float64 " + expected + ", relative " + rel);
            }
        }
    }
}
