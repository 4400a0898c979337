package dev.jloss.backend.cpu.vector;

import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Tensor;
import dev.jloss.backend.cpu.CpuBackend;
import dev.jloss.backend.cpu.VectorSupport;
import dev.jloss.loss.CrossEntropyLoss;
import dev.jloss.loss.NLLLoss;
import java.util.Random;

/**
 * An ad-hoc timing of cross_entropy and nll_loss on the CPU backend through the public API (not a
 * test: run its main). Best of {@code reps} calls after warm-up, per size and op, on the common pool.
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx6g -cp target/classes:target/test-classes:SLF4J \
 *     dev.jloss.backend.cpu.vector.CrossEntropySpeed [reps] [NxC | NxCxS ...]
 * </pre>
 * {@code -Djloss.cpu.simd=false} times the scalar path.
 */
public final class CrossEntropySpeed {
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** CPU time of all live threads (the caller and the pool's): the machine is shared, so wall time says little. */
    private static long cpuNanos() {
        long sum = 0;
        for (long id : THREADS.getAllThreadIds()) {
            long t = THREADS.getThreadCpuTime(id);
            if (t > 0) {
                sum += t;
            }
        }
        return sum;
    }

    private CrossEntropySpeed() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        String[] sizes = args.length > 1 ? java.util.Arrays.copyOfRange(args, 1, args.length)
                : new String[] {"512x32000"};
        String only = System.getProperty("only", "");
        CpuBackend cpu = new CpuBackend();
        System.out.println(VectorSupport.description() + ", pool parallelism "
                + java.util.concurrent.ForkJoinPool.getCommonPoolParallelism());
        for (String size : sizes) {
            String[] nc = size.split("x");
            int n = Integer.parseInt(nc[0]);
            int c = Integer.parseInt(nc[1]);
            int sp = nc.length > 2 ? Integer.parseInt(nc[2]) : 1; // NxCxS: a K-dim input (N, C, S)
            Random rnd = new Random(42);
            float[] x = new float[n * c * sp];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (3 * rnd.nextGaussian());
            }
            long[] t = new long[n * sp];
            for (int i = 0; i < t.length; i++) {
                t[i] = rnd.nextInt(c);
            }
            Tensor xt = sp == 1 ? cpu.tensor(x, n, c) : cpu.tensor(x, n, c, sp);
            Tensor tt = sp == 1 ? cpu.tensor(t, n) : cpu.tensor(t, n, sp);
            Tensor go = cpu.tensor(new float[] {1f});
            Loss ce = CrossEntropyLoss.builder().build();
            Loss nll = NLLLoss.builder().build();
            for (Loss loss : new Loss[] {ce, nll}) {
                String name = loss == ce ? "cross_entropy" : "nll_loss";
                if (!only.isEmpty() && !name.startsWith(only)) {
                    continue;
                }
                for (String op : new String[] {"forward", "backward", "fused"}) {
                    double best = Double.MAX_VALUE;
                    double bestCpu = Double.MAX_VALUE;
                    double value = 0;
                    for (int r = 0; r < reps + 5; r++) {
                        long c0 = cpuNanos();
                        long t0 = System.nanoTime();
                        switch (op) {
                            case "forward" -> {
                                try (Tensor out = loss.forward(xt, tt)) {
                                    value = out.item();
                                }
                            }
                            case "backward" -> {
                                try (LossResult res = loss.backward(go, xt, tt)) {
                                    value = dev.jloss.backend.cpu.HostStorage.floats(res.grad("input"))[0]; // no copy
                                }
                            }
                            default -> {
                                try (LossResult res = loss.forwardBackward(xt, tt)) {
                                    value = res.loss().item();
                                }
                            }
                        }
                        double ms = (System.nanoTime() - t0) / 1e6;
                        double cpuMs = (cpuNanos() - c0) / 1e6;
                        if (r >= 5) {
                            best = Math.min(best, ms);
                            bestCpu = Math.min(bestCpu, cpuMs);
                        }
                    }
                    System.out.printf("%-14s %-10s %-9s %9.3f ms wall %9.3f ms cpu  (%s)%n", name, size, op, best,
                            bestCpu, value);
                }
            }
        }
    }
}
