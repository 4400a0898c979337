package dev.jloss.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.LossKernel;
import dev.jloss.loss.CrossEntropyLoss;
import dev.jloss.loss.NLLLoss;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/**
 * cross_entropy and nll_loss on the CPU backend, on whichever path this JVM takes (the default run
 * has the SIMD path, {@code cpu-scalar} the scalar one): bitwise the same loss and gradient on 1, 2
 * and 7 threads and run to run, forward-only equal to fused, and every gradient element written by
 * the kernel (a gradient array handed in full of NaN comes out as one handed in zeroed).
 */
class CrossEntropyNllCpuTest {
    private final CpuBackend cpu = new CpuBackend();

    /** A case: the loss and its arguments. */
    private record Case(String name, Loss loss, Tensor[] args) {
    }

    private List<Case> cases() {
        Random rnd = new Random(17);
        List<Case> cases = new ArrayList<>();
        // rows: several chunks of CrossEntropyLossCpu's 2^18 elements, ignored targets, weights, smoothing
        int n = 1_100;
        int c = 1_000;
        Tensor x = cpu.tensor(gaussian(rnd, n * c, 4), n, c);
        Tensor t = cpu.tensor(targets(rnd, n, c, 3), n);
        float[] w = new float[c];
        for (int i = 0; i < c; i++) {
            w[i] = (float) (0.1 + 2 * rnd.nextDouble());
        }
        for (Reduction r : List.of(Reduction.NONE, Reduction.MEAN, Reduction.SUM)) {
            cases.add(new Case("ce rows " + r, CrossEntropyLoss.builder().reduction(r).ignoreIndex(3).build(),
                    new Tensor[] {x, t}));
            cases.add(new Case("ce rows weighted smoothed " + r,
                    CrossEntropyLoss.builder().reduction(r).weight(w).labelSmoothing(0.1).ignoreIndex(3).build(),
                    new Tensor[] {x, t}));
            cases.add(new Case("nll rows " + r, NLLLoss.builder().reduction(r).weight(w).ignoreIndex(3).build(),
                    new Tensor[] {x, t}));
        }
        // odd row lengths (vector tails), int32 targets
        int n2 = 3_001;
        int c2 = 301;
        Tensor x2 = cpu.tensor(gaussian(rnd, n2 * c2, 3), n2, c2);
        long[] t2 = targets(rnd, n2, c2, -100);
        int[] t2i = new int[n2];
        for (int i = 0; i < n2; i++) {
            t2i[i] = (int) t2[i];
        }
        cases.add(new Case("ce odd rows int32", CrossEntropyLoss.builder().build(),
                new Tensor[] {x2, cpu.tensor(t2i, n2)}));
        // probabilities
        float[] p = new float[n2 * c2];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) rnd.nextDouble();
        }
        cases.add(new Case("ce probabilities", CrossEntropyLoss.builder().labelSmoothing(0.2).build(),
                new Tensor[] {x2, cpu.tensor(p, n2, c2)}));
        // K-dim
        int s = 2_000;
        Tensor xk = cpu.tensor(gaussian(rnd, 3 * 40 * s, 3), 3, 40, s);
        Tensor tk = cpu.tensor(targets(rnd, 3 * s, 40, 5), 3, s);
        cases.add(new Case("ce kdim", CrossEntropyLoss.builder().ignoreIndex(5).labelSmoothing(0.05).build(),
                new Tensor[] {xk, tk}));
        cases.add(new Case("nll kdim", NLLLoss.builder().ignoreIndex(5).build(), new Tensor[] {xk, tk}));
        return cases;
    }

    private static float[] gaussian(Random rnd, int n, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (sd * rnd.nextGaussian());
        }
        return v;
    }

    private static long[] targets(Random rnd, int n, int classes, long ignore) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(10) == 0 ? ignore : rnd.nextInt(classes);
        }
        return t;
    }

    /** The loss's bits and the gradient, of forward-only and fused calls, in a pool of {@code threads}. */
    private static float[][] run(Case k, int threads) throws Exception {
        ForkJoinPool pool = new ForkJoinPool(threads);
        try {
            return pool.submit(() -> {
                float[] forward = k.loss.forward(k.args).toFloatArray();
                try (LossResult r = k.loss.forwardBackward(k.args)) {
                    return new float[][] {forward, r.loss().toFloatArray(), r.grad("input").toFloatArray()};
                }
            }).get();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void bitwiseTheSameOnOneTwoAndSevenThreadsAndForwardEqualsFused() throws Exception {
        for (Case k : cases()) {
            float[][] one = run(k, 1);
            assertArrayEquals(bits(one[0]), bits(one[1]), k.name + ": forward-only vs fused loss");
            for (int threads : new int[] {2, 7, 7}) {
                float[][] other = run(k, threads);
                for (int j = 0; j < 3; j++) {
                    assertArrayEquals(bits(one[j]), bits(other[j]), k.name + ": " + threads + " threads, part " + j);
                }
            }
        }
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyGradientElementIsWritten() throws Exception {
        Method plan = Loss.class.getDeclaredMethod("plan", Tensor[].class);
        plan.setAccessible(true);
        for (Case k : cases()) {
            Loss.Plan<Object> p = (Loss.Plan<Object>) plan.invoke(k.loss, (Object) k.args);
            LossKernel<Object> kernel = cpu.kernel(p.family());
            long[] shape = k.args[0].shape();
            float[] dirty = new float[(int) Tensor.numel(shape)];
            Arrays.fill(dirty, Float.NaN);
            Tensor zeroed = cpu.zeros(dev.jloss.DType.FLOAT32, shape);
            Tensor nan = cpu.tensor(dirty, shape);
            kernel.run(p.plan(), k.args, null, null, new Tensor[] {zeroed});
            kernel.run(p.plan(), k.args, null, null, new Tensor[] {nan});
            assertArrayEquals(bits(zeroed.toFloatArray()), bits(nan.toFloatArray()), k.name);
            assertEquals(0, countNaN(zeroed.toFloatArray()), k.name);
        }
    }

    private static int countNaN(float[] v) {
        int n = 0;
        for (float f : v) {
            n += Float.isNaN(f) ? 1 : 0;
        }
        return n;
    }
}
