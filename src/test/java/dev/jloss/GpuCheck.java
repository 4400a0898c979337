package dev.jloss;

import dev.jloss.backend.Backends;
import dev.jloss.backend.cuda.CudaBackend;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.Losses;
import dev.jloss.testing.Golden;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The check scripts/gpu-check.sh runs on a machine with a GPU (no Maven, no JUnit runner there):
 * every golden case and the finite-difference check on the named backend, the device error-flag
 * path, a 10,000-call loop with device memory measured before and after, and a short benchmark.
 * Prints a report; exits 1 if anything failed.
 *
 * <p>Usage: {@code java -cp ... dev.jloss.GpuCheck [cuda|opencl|cpu]}
 */
public final class GpuCheck {
    private GpuCheck() {
    }

    public static void main(String[] argv) {
        String name = argv.length > 0 ? argv[0] : "cuda";
        System.out.println("== backends\n" + Backends.describe());
        Backend b = Backends.named(name);
        System.out.println("== running on " + b.name() + ": " + b.description());
        int failures = 0;

        List<Golden.Case> cases = Golden.all();
        Map<String, int[]> perLoss = new LinkedHashMap<>();
        List<String> failed = new ArrayList<>();
        long t0 = System.nanoTime();
        for (Golden.Case c : cases) {
            int[] pf = perLoss.computeIfAbsent(c.loss, k -> new int[2]);
            try {
                GoldenTest.check(b, c);
                if (c.error == null && c.diff != null && !c.diff.isEmpty()) {
                    GradientCheckTest.check(b, c);
                }
                pf[0]++;
            } catch (Throwable e) {
                pf[1]++;
                if (failed.size() < 40) {
                    failed.add(c + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            }
        }
        System.out.printf("== golden suite + finite differences: %d cases in %.1f s%n", cases.size(),
                (System.nanoTime() - t0) / 1e9);
        for (Map.Entry<String, int[]> e : perLoss.entrySet()) {
            System.out.printf("  %-32s %4d passed %4d failed%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
            failures += e.getValue()[1];
        }
        failed.forEach(f -> System.out.println("  FAIL " + f));

        // the device error flag: an out-of-range BCE input surfaces when the result is read
        try (Tensor x = b.tensor(new float[] {0.5f, 1.5f, 0.25f}, 3); Tensor y = b.tensor(new float[] {1, 0, 1}, 3)) {
            Tensor out = Losses.create("BCELoss", Map.of()).forward(x, y);
            try {
                out.item();
                System.out.println("== error flag: FAIL (no exception for input 1.5)");
                failures++;
            } catch (LossArgumentException e) {
                System.out.println("== error flag: ok (" + e.getMessage() + ")");
            } finally {
                out.close();
            }
        } catch (LossArgumentException e) {
            // the CPU backend checks as it computes: the same exception, thrown by the call itself
            System.out.println("== error flag: " + (b instanceof DeviceBackend ? "FAIL (thrown by the call, "
                    + "expected at the first read) " : "ok, thrown by the call (") + e.getMessage() + ")");
            failures += b instanceof DeviceBackend ? 1 : 0;
        } catch (RuntimeException e) {
            System.out.println("== error flag: FAIL " + e);
            failures++;
        }

        if (b instanceof DeviceBackend d) {
            failures += leakCheck(d);
            benchmark(d);
        }
        System.out.println(failures == 0 ? "== RESULT: PASS" : "== RESULT: FAIL (" + failures + ")");
        System.exit(failures == 0 ? 0 : 1);
    }

    private static int leakCheck(DeviceBackend d) {
        Loss mse = Losses.create("MSELoss", Map.of());
        float[] xs = new float[100_000];
        Random r = new Random(1);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) r.nextGaussian();
        }
        try (Tensor x = d.tensor(xs, xs.length); Tensor y = d.tensor(xs.clone(), xs.length)) {
            for (int i = 0; i < 100; i++) {
                mse.forwardBackward(x, y).close();
            }
            d.synchronize();
            long buffers = d.liveBuffers();
            long used = d instanceof CudaBackend c ? c.usedDeviceMemory() : -1;
            for (int i = 0; i < 10_000; i++) {
                mse.forwardBackward(x, y).close();
            }
            d.synchronize();
            long buffers2 = d.liveBuffers();
            long used2 = d instanceof CudaBackend c ? c.usedDeviceMemory() : -1;
            boolean ok = buffers == buffers2 && (used < 0 || used2 - used <= 64L << 20);
            System.out.printf("== 10,000 calls: live buffers %d -> %d, device memory used %d -> %d MiB: %s%n",
                    buffers, buffers2, used >> 20, used2 >> 20, ok ? "ok" : "FAIL");
            return ok ? 0 : 1;
        }
    }

    private static void benchmark(DeviceBackend d) {
        int n = 100_000_000;
        float[] xs = new float[n];
        Random r = new Random(2);
        for (int i = 0; i < n; i++) {
            xs[i] = (float) r.nextGaussian();
        }
        try (Tensor x = d.tensor(xs, n); Tensor y = d.tensor(xs, n)) {
            for (String loss : List.of("MSELoss", "L1Loss", "SmoothL1Loss", "BCEWithLogitsLoss")) {
                Loss l;
                try {
                    l = Losses.create(loss, Map.of());
                    l.forward(x, y).close();
                } catch (RuntimeException e) {
                    System.out.println("== bench " + loss + ": skipped (" + e.getMessage() + ")");
                    continue;
                }
                d.synchronize();
                int reps = 20;
                long t = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    l.forward(x, y).close();
                }
                d.synchronize();
                double fwd = (System.nanoTime() - t) / 1e9 / reps;
                t = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    l.forwardBackward(x, y).close();
                }
                d.synchronize();
                double fused = (System.nanoTime() - t) / 1e9 / reps;
                System.out.printf("== bench %-18s n=1e8 forward %.3f ms (%.0f GB/s)  fused %.3f ms (%.0f GB/s)%n", loss,
                        fwd * 1e3, 8.0 * n / fwd / 1e9, fused * 1e3, 12.0 * n / fused / 1e9);
            }
        }
    }
}
