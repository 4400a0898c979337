package dev.jloss.backend.cpu.vector;

import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Tensor;
import dev.jloss.backend.cpu.CpuBackend;
import dev.jloss.backend.cpu.VectorSupport;
import dev.jloss.loss.Losses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Ad-hoc timing of the CPU backend's row-wise losses at the benchmark's quick sizes (same value
 * generators as {@code benchmarks/.../Cases.java}), through the public API. Not a test: run with
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:DEPS \
 *       dev.jloss.backend.cpu.vector.RowsSpeed [case ...] [-n 20]
 * </pre>
 * (add {@code -Djloss.cpu.simd=false} for the scalar path). Prints best and median of {@code n}
 * timed calls after warm-up and the process CPU time per call (all threads, averaged over the timed calls), per op (forward,
 * backward with grad_output 0.75, fused). On a shared machine the CPU time is the steadier figure.
 */
public final class RowsSpeed {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private RowsSpeed() {
    }

    /** Arguments: case name prefixes (none: all), {@code -n N} timed calls, {@code -t T} a pool of T threads. */
    public static void main(String[] argv) throws Exception {
        int n = 20;
        int threads = 0;
        List<String> only = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals("-n")) {
                n = Integer.parseInt(argv[++i]);
            } else if (argv[i].equals("-t")) {
                threads = Integer.parseInt(argv[++i]);
            } else {
                only.add(argv[i]);
            }
        }
        if (threads > 0) {
            // CpuParallel's parallel streams run in the pool they are started from
            int iters = n;
            java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(threads);
            pool.submit(() -> {
                run(iters, only);
                return null;
            }).get();
            pool.shutdown();
            return;
        }
        run(n, only);
    }

    private static void run(int n, List<String> only) {
        CpuBackend be = new CpuBackend();
        System.out.println("# " + VectorSupport.description());
        Map<String, Object[]> cases = cases(be);
        for (Map.Entry<String, Object[]> e : cases.entrySet()) {
            if (!only.isEmpty() && only.stream().noneMatch(e.getKey()::startsWith)) {
                continue;
            }
            Loss loss = Losses.create(e.getKey(), Map.of());
            Tensor[] args = (Tensor[]) e.getValue();
            Tensor go = be.tensor(new float[] {0.75f});
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-36s", e.getKey()));
            for (String op : List.of("forward", "backward", "fused")) {
                Runnable r = switch (op) {
                    case "forward" -> () -> loss.forward(args).close();
                    case "backward" -> () -> loss.backward(go, args).close();
                    default -> () -> loss.forwardBackward(args).close();
                };
                for (int i = 0; i < Math.max(5, n / 2); i++) {
                    r.run();
                }
                double[] t = new double[n];
                long c = OS.getProcessCpuTime();
                for (int i = 0; i < n; i++) {
                    long s = System.nanoTime();
                    r.run();
                    t[i] = (System.nanoTime() - s) / 1e6;
                }
                double cpu = (OS.getProcessCpuTime() - c) / 1e6 / n;
                Arrays.sort(t);
                line.append(String.format(Locale.ROOT, "  %s %7.2f (med %7.2f, cpu %7.2f)", op, t[0], t[n / 2], cpu));
            }
            try (LossResult lr = loss.forwardBackward(args)) {
                line.append(String.format(Locale.ROOT, "  loss=%.9g", lr.loss().item()));
            }
            System.out.println(line);
        }
    }

    static Map<String, Object[]> cases(CpuBackend be) {
        SplittableRandom r = new SplittableRandom(42);
        Map<String, Object[]> m = new LinkedHashMap<>();
        int rows = 16384;
        int cols = 1000;
        m.put("multi_margin_loss", new Tensor[] {be.tensor(normal(r, rows * cols, 1), rows, cols),
                be.tensor(longs(r, rows, cols, 0), rows)});
        int mlRows = 8192;
        m.put("multilabel_margin_loss", new Tensor[] {be.tensor(normal(r, mlRows * cols, 1), mlRows, cols),
                be.tensor(labelLists(r, mlRows, cols, 8), mlRows, cols)});
        float[] bits = new float[rows * cols];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = r.nextBoolean() ? 1 : 0;
        }
        m.put("multilabel_soft_margin_loss", new Tensor[] {be.tensor(normal(r, rows * cols, 1), rows, cols),
                be.tensor(bits, rows, cols)});
        int pn = 65536;
        int pd = 128;
        float[] signs = new float[pn];
        for (int i = 0; i < pn; i++) {
            signs[i] = r.nextBoolean() ? 1 : -1;
        }
        m.put("cosine_embedding_loss", new Tensor[] {be.tensor(normal(r, pn * pd, 1), pn, pd),
                be.tensor(normal(r, pn * pd, 1), pn, pd), be.tensor(signs, pn)});
        Tensor[] trip = {be.tensor(normal(r, pn * pd, 1), pn, pd), be.tensor(normal(r, pn * pd, 1), pn, pd),
                be.tensor(normal(r, pn * pd, 1), pn, pd)};
        m.put("triplet_margin_loss", trip);
        m.put("triplet_margin_with_distance_loss", trip);
        int t = 200;
        int b = 32;
        int c = 60;
        int s = 50;
        float[] lp = normal(r, t * b * c, 2);
        for (int base = 0; base < lp.length; base += c) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, lp[base + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += Math.exp(lp[base + j] - max);
            }
            double lse = max + Math.log(sum);
            for (int j = 0; j < c; j++) {
                lp[base + j] = (float) (lp[base + j] - lse);
            }
        }
        long[] il = new long[b];
        Arrays.fill(il, t);
        long[] tl = new long[b];
        for (int i = 0; i < b; i++) {
            tl[i] = s - 10 + r.nextLong(11);
        }
        m.put("ctc_loss", new Tensor[] {be.tensor(lp, t, b, c), be.tensor(longs(r, b * s, c, 1), b, s),
                be.tensor(il, b), be.tensor(tl, b)});
        return m;
    }

    static float[] normal(SplittableRandom r, int n, double scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = 1.0 - r.nextDouble();
            double u2 = r.nextDouble();
            double m = Math.sqrt(-2.0 * Math.log(u1)) * scale;
            f[i] = (float) (m * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                f[i + 1] = (float) (m * Math.sin(2 * Math.PI * u2));
            }
        }
        return f;
    }

    static long[] longs(SplittableRandom r, int n, long bound, long lo) {
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
            l[i] = lo + r.nextLong(bound - lo);
        }
        return l;
    }

    static long[] labelLists(SplittableRandom r, int rows, int cols, int k) {
        long[] l = new long[rows * cols];
        Arrays.fill(l, -1);
        for (int row = 0; row < rows; row++) {
            int base = row * cols;
            int filled = 0;
            while (filled < k) {
                long v = r.nextLong(cols);
                boolean dup = false;
                for (int j = 0; j < filled; j++) {
                    dup |= l[base + j] == v;
                }
                if (!dup) {
                    l[base + filled++] = v;
                }
            }
        }
        return l;
    }
}
