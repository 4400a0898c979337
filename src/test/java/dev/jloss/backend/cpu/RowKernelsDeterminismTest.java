package dev.jloss.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jloss.DType;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.loss.CTCLoss;
import dev.jloss.Distance;
import dev.jloss.loss.Losses;
import dev.jloss.loss.MultiLabelSoftMarginLoss;
import dev.jloss.loss.TripletMarginWithDistanceLoss;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/**
 * The row-wise CPU kernels (on whichever path this JVM takes: SIMD in the default run, scalar in
 * cpu-scalar) are bitwise deterministic: the same bits on 1, 2 and 7 threads ({@link CpuParallel}'s
 * parallel streams run in the pool they start from), the forward-only loss equals the fused call's,
 * and every gradient element is written, so a gradient array handed to the kernel full of NaN comes
 * back as the fused call's gradient. Sizes are large enough to cut into several chunks and to leave a
 * row tail after the vectors.
 */
class RowKernelsDeterminismTest {
    private static final CpuBackend BE = new CpuBackend();

    private record Case(String name, Loss loss, Tensor[] args) {
    }

    private static float[] normal(SplittableRandom r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) r.nextGaussian();
        }
        return f;
    }

    private static List<Case> cases() {
        SplittableRandom r = new SplittableRandom(7);
        List<Case> cs = new ArrayList<>();
        int rows = 64;
        int c = 1003;
        float[] bits = new float[rows * c];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = r.nextBoolean() ? 1 : 0;
        }
        float[] w = new float[c];
        for (int i = 0; i < c; i++) {
            w[i] = (float) r.nextDouble(0.1, 2);
        }
        Tensor[] mlsm = {BE.tensor(normal(r, rows * c), rows, c), BE.tensor(bits, rows, c)};
        cs.add(new Case("mlsm", Losses.create("multilabel_soft_margin_loss", Map.of()), mlsm));
        cs.add(new Case("mlsm weight none", MultiLabelSoftMarginLoss.builder().weight(w).reduction(Reduction.NONE)
                .build(), mlsm));
        int pn = 300;
        int pd = 130;
        float[] signs = new float[pn];
        for (int i = 0; i < pn; i++) {
            signs[i] = r.nextInt(3) == 0 ? 1 : r.nextBoolean() ? -1 : 0;  // 0: a row without gradient
        }
        cs.add(new Case("cosine", Losses.create("cosine_embedding_loss", Map.of("margin", 0.1)),
                new Tensor[] {BE.tensor(normal(r, pn * pd), pn, pd), BE.tensor(normal(r, pn * pd), pn, pd),
                    BE.tensor(signs, pn)}));
        Tensor[] trip = {BE.tensor(normal(r, pn * pd), pn, pd), BE.tensor(normal(r, pn * pd), pn, pd),
            BE.tensor(normal(r, pn * pd), pn, pd)};
        cs.add(new Case("triplet", Losses.create("triplet_margin_loss", Map.of()), trip));
        cs.add(new Case("triplet swap none", Losses.create("triplet_margin_loss",
                Map.of("swap", true, "reduction", "none", "margin", 0.5)), trip));
        cs.add(new Case("triplet cosine", TripletMarginWithDistanceLoss.builder().distanceFunction(Distance.cosine())
                .margin(0.3).build(), trip));
        int mr = 200;
        int mc = 37;
        long[] cls = new long[mr];
        for (int i = 0; i < mr; i++) {
            cls[i] = r.nextInt(mc);
        }
        cs.add(new Case("multi margin", Losses.create("multi_margin_loss", Map.of()),
                new Tensor[] {BE.tensor(normal(r, mr * mc), mr, mc), BE.tensor(cls, mr)}));
        long[] labels = new long[mr * mc];
        Arrays.fill(labels, -1);
        for (int i = 0; i < mr; i++) {
            for (int k = 0; k < 3; k++) {
                labels[i * mc + k] = (i + 5 * k) % mc;
            }
        }
        cs.add(new Case("multilabel margin", Losses.create("multilabel_margin_loss", Map.of()),
                new Tensor[] {BE.tensor(normal(r, mr * mc), mr, mc), BE.tensor(labels, mr, mc)}));
        int t = 60;
        int n = 24;
        int k = 12;
        int s = 8;
        float[] lp = normal(r, t * n * k);
        for (int base = 0; base < lp.length; base += k) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(lp[base + j]);
            }
            for (int j = 0; j < k; j++) {
                lp[base + j] = (float) (lp[base + j] - Math.log(sum));
            }
        }
        long[] targets = new long[n * s];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = 1 + r.nextInt(k - 1);
        }
        long[] inLen = new long[n];
        long[] tgLen = new long[n];
        for (int i = 0; i < n; i++) {
            inLen[i] = i % 3 == 0 ? t : t - 1 - r.nextInt(t / 2);   // gradient rows past the length: zeros
            tgLen[i] = i == 1 ? s : 1 + r.nextInt(s);
        }
        inLen[1] = 3;  // too short for its target: infinite, dropped with zero_infinity
        Tensor[] ctc = {BE.tensor(lp, t, n, k), BE.tensor(targets, n, s), BE.tensor(inLen, n), BE.tensor(tgLen, n)};
        cs.add(new Case("ctc", CTCLoss.builder().zeroInfinity(true).build(), ctc));
        cs.add(new Case("ctc none", CTCLoss.builder().reduction(Reduction.NONE).zeroInfinity(true).build(), ctc));
        return cs;
    }

    /** forward's loss, then the fused call's loss and gradients, as float arrays. */
    private static List<float[]> run(Case c) {
        List<float[]> out = new ArrayList<>();
        try (Tensor f = c.loss.forward(c.args)) {
            out.add(f.toFloatArray());
        }
        try (LossResult r = c.loss.forwardBackward(c.args)) {
            out.add(r.loss().toFloatArray());
            for (String name : c.loss.differentiableArguments()) {
                out.add(r.grad(name).toFloatArray());
            }
        }
        return out;
    }

    private static List<float[]> inPool(int threads, Case c) throws Exception {
        ForkJoinPool pool = new ForkJoinPool(threads);
        try {
            return pool.submit(() -> run(c)).get();
        } finally {
            pool.shutdown();
        }
    }

    private static void assertBitwise(String what, float[] want, float[] got) {
        int[] a = new int[want.length];
        int[] b = new int[got.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = Float.floatToRawIntBits(want[i]);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = Float.floatToRawIntBits(got[i]);
        }
        assertArrayEquals(a, b, what);
    }

    @Test
    void bitwiseAcrossThreadCountsAndForwardEqualsFused() throws Exception {
        for (Case c : cases()) {
            List<float[]> one = inPool(1, c);
            assertBitwise(c.name + ": forward vs fused loss", one.get(0), one.get(1));
            for (int threads : new int[] {2, 7}) {
                List<float[]> k = inPool(threads, c);
                assertEquals(one.size(), k.size());
                for (int i = 0; i < one.size(); i++) {
                    assertBitwise(c.name + ": output " + i + " on " + threads + " threads vs 1", one.get(i), k.get(i));
                }
            }
            for (int rep = 0; rep < 2; rep++) {
                List<float[]> again = run(c);
                for (int i = 0; i < one.size(); i++) {
                    assertBitwise(c.name + ": output " + i + " run again", one.get(i), again.get(i));
                }
            }
        }
    }

    @Test
    void kernelsWriteEveryGradientElement() throws Exception {
        Method plan = Loss.class.getDeclaredMethod("plan", Tensor[].class);
        plan.setAccessible(true);
        for (Case c : cases()) {
            List<float[]> want = run(c);
            Loss.Plan<?> p = (Loss.Plan<?>) plan.invoke(c.loss, (Object) c.args);
            List<String> diff = c.loss.differentiableArguments();
            Tensor[] grads = new Tensor[diff.size()];
            for (int i = 0; i < grads.length; i++) {
                long[] shape = c.args[c.loss.argumentNames().indexOf(diff.get(i))].shape();
                float[] nan = new float[(int) Tensor.numel(shape)];
                Arrays.fill(nan, Float.NaN);
                grads[i] = BE.tensor(nan, shape);
            }
            Tensor out = BE.zeros(DType.FLOAT32, p.outputShape());
            runKernel(p, c.args, out, grads);
            assertBitwise(c.name + ": loss", want.get(1), out.toFloatArray());
            for (int i = 0; i < grads.length; i++) {
                assertBitwise(c.name + ": d/d" + diff.get(i) + " from a NaN-filled array", want.get(2 + i),
                        grads[i].toFloatArray());
            }
        }
    }

    private static <P> void runKernel(Loss.Plan<P> p, Tensor[] args, Tensor out, Tensor[] grads) {
        BE.kernel(p.family()).run(p.plan(), args, null, out, grads);
    }
}
