package dev.jloss.backend.cpu.vector;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Tensor;
import dev.jloss.backend.cpu.VectorSupport;
import dev.jloss.loss.Losses;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * An ad-hoc timing of the element-wise losses on the CPU backend at 2^24 elements, through the public
 * API as {@code scripts/bench.sh} times them (inputs as in benchmarks' Cases: the same distributions,
 * grad_output 0.75, kl_div with batchmean over 16777 x 1000): forward, backward and fused, each the
 * best of {@code reps} after warming all three up. Not a test (no assertion, minutes to run); run it with
 * and without the SIMD path:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:DEPS \
 *     dev.jloss.backend.cpu.vector.PointwiseSpeed [reps] [loss ...]
 * java -Djloss.cpu.simd=false ... (the scalar path)
 * </pre>
 * Threads: the common fork-join pool, as the benchmark (parallelism = cores - 1, plus the caller).
 * Prints per loss and op the best time, the bytes it must move over that time, and the bytes the JVM
 * allocated per call beyond its outputs (a boxed vector shows up there).
 */
public final class PointwiseSpeed {
    private static final long N = Long.getLong("jloss.speed.n", 1L << 24);
    private static final float GRAD_OUTPUT = 0.75f;

    private PointwiseSpeed() {
    }

    interface Gen {
        float next(SplittableRandom r, long i);
    }

    record Case(String loss, Map<String, Object> options, long[] shape, Gen... args) {
    }

    static List<Case> cases() {
        return cases(N);
    }

    /** The twelve losses' inputs at n elements (kl_div: rows of 1000, n / 1000 of them). */
    static List<Case> cases(long n) {
        long[] flat = {n};
        Gen normal = (r, i) -> (float) r.nextGaussian();
        Gen normal2 = (r, i) -> (float) (2 * r.nextGaussian());
        Gen normalHalf = (r, i) -> (float) (0.5 * r.nextGaussian());
        Gen signs = (r, i) -> r.nextBoolean() ? 1f : -1f;
        Gen unit = (r, i) -> (float) r.nextDouble();
        Gen prob = (r, i) -> (float) (0.01 + 0.98 * r.nextDouble());
        Gen counts = (r, i) -> r.nextInt(6);
        Gen var = (r, i) -> (float) (0.1 + 1.9 * r.nextDouble());
        // kl_div: log-probabilities and probabilities of rows of 1000 (values as from a (log-)softmax)
        Gen logp = (r, i) -> (float) (Math.log(1000) * -1 + 0.5 * r.nextGaussian());
        Gen p = (r, i) -> (float) (Math.exp(0.5 * r.nextGaussian()) / 1000);
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("l1_loss", Map.of(), flat, normal, normal));
        cs.add(new Case("mse_loss", Map.of(), flat, normal, normal));
        cs.add(new Case("smooth_l1_loss", Map.of(), flat, normal, normal));
        cs.add(new Case("huber_loss", Map.of(), flat, normal, normal));
        cs.add(new Case("binary_cross_entropy", Map.of(), flat, prob, unit));
        cs.add(new Case("binary_cross_entropy_with_logits", Map.of(), flat, normal2, unit));
        cs.add(new Case("kl_div", Map.of("reduction", "batchmean"), new long[] {n / 1000, 1000}, logp, p));
        cs.add(new Case("poisson_nll_loss", Map.of(), flat, normalHalf, counts));
        cs.add(new Case("gaussian_nll_loss", Map.of(), flat, normal, normal, var));
        cs.add(new Case("soft_margin_loss", Map.of(), flat, normal, signs));
        cs.add(new Case("margin_ranking_loss", Map.of(), flat, normal, normal, signs));
        cs.add(new Case("hinge_embedding_loss", Map.of(), flat, normal, signs));
        return cs;
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        List<String> only = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            only.add(args[i]);
        }
        System.out.println("# " + VectorSupport.description() + "; common pool parallelism "
                + java.util.concurrent.ForkJoinPool.getCommonPoolParallelism());
        Backend cpu = new dev.jloss.backend.cpu.CpuBackend();
        for (Case c : cases()) {
            if (!only.isEmpty() && !only.contains(c.loss())) {
                continue;
            }
            Loss loss = Losses.create(c.loss(), new LinkedHashMap<>(c.options()));
            long n = 1;
            for (long d : c.shape()) {
                n *= d;
            }
            Tensor[] in = new Tensor[c.args().length];
            for (int k = 0; k < in.length; k++) {
                SplittableRandom r = new SplittableRandom(17 + k);
                float[] x = new float[(int) n];
                for (int i = 0; i < x.length; i++) {
                    x[i] = c.args()[k].next(r, i);
                }
                in[k] = cpu.tensor(x, c.shape());
            }
            Tensor go = cpu.tensor(new float[] {GRAD_OUTPUT});
            int grads = loss.differentiableArguments().size();
            long[] bytes = {n * 4 * in.length, n * 4 * (in.length + grads), n * 4 * (in.length + grads)};
            String[] ops = {"forward", "backward", "fused"};
            Runnable[] run = {
                () -> loss.forward(in).close(),
                () -> loss.backward(go, in).close(),
                () -> {
                    try (LossResult r = loss.forwardBackward(in)) {
                        r.loss().item();
                    }
                }
            };
            for (int w = 0; w < 4; w++) {
                for (Runnable r : run) {
                    r.run();
                }
            }
            StringBuilder line = new StringBuilder(String.format("%-34s", c.loss()));
            for (int o = 0; o < 3; o++) {
                long best = Long.MAX_VALUE;
                long alloc = Long.MAX_VALUE;
                for (int rep = 0; rep < reps; rep++) {
                    long a0 = allocated();
                    long t0 = System.nanoTime();
                    run[o].run();
                    long t = System.nanoTime() - t0;
                    alloc = Math.min(alloc, allocated() - a0);
                    best = Math.min(best, t);
                }
                long outputs = o == 0 ? 0 : n * 4L * grads;
                line.append(String.format("  %s %8.2f ms %5.1f GB/s (+%d B)", ops[o], best / 1e6,
                        bytes[o] / (best / 1e9) / 1e9, Math.max(0, alloc - outputs)));
            }
            System.out.println(line);
            for (Tensor t : in) {
                t.close();
            }
        }
    }

    /** Bytes allocated so far by this thread (the caller runs a share of the chunks; a boxed vector shows). */
    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }
}
