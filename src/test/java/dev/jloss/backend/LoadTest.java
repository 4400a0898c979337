package dev.jloss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Tensor;
import dev.jloss.backend.cuda.CudaBackend;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.HostArray;
import dev.jloss.loss.Losses;
import dev.jloss.testing.TestBackends;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Load (docs/FAULTS.md): 8 threads share one backend and its input tensors and make calls of nine
 * losses of seven families, mixed (forward+backward, every result read back). Every result must be
 * bitwise the single-threaded one, the heap (used, after GC) must not grow from the first half of
 * the calls to the second, the device's buffers (and on CUDA the driver's bytes in use) must be where
 * they were, and the whole must finish within the time bound (no deadlock).
 *
 * <p>The number of calls: 10,000 per backend where one call is fast enough; a backend slower than
 * {@link #BUDGET} allows (PoCL's and the CUDA emulator's launches on two cores) gets fewer, at
 * least {@link #MIN_CALLS}; the count is printed and is in every failure message.
 */
class LoadTest {
    private static final int THREADS = 8;
    private static final int CALLS = 10_000;
    private static final int MIN_CALLS = 800;
    /** Seconds of the estimated single-threaded time the calls may take. */
    private static final double BUDGET = 30;
    private static final Duration BOUND = Duration.ofSeconds(150);
    /** Heap growth from the first half of the calls to the second, after GC, that counts as flat. */
    private static final long HEAP_SLACK = 8L << 20;

    /** One loss and its inputs (uploaded once, shared by every thread). */
    private record Case(String loss, Map<String, ?> options, List<Input> inputs) {
    }

    private record Input(float[] f, long[] l, long... shape) {
        Tensor on(Backend b) {
            return f != null ? b.tensor(f, shape) : b.tensor(l, shape);
        }
    }

    /** A call's results on the host: the loss, then each gradient in argument order. */
    private record Result(List<float[]> values) {
        boolean sameBits(Result o) {
            if (values.size() != o.values.size()) {
                return false;
            }
            for (int i = 0; i < values.size(); i++) {
                float[] a = values.get(i);
                float[] b = o.values.get(i);
                if (a.length != b.length) {
                    return false;
                }
                for (int j = 0; j < a.length; j++) {
                    if (Float.floatToRawIntBits(a[j]) != Float.floatToRawIntBits(b[j])) {
                        return false;
                    }
                }
            }
            return true;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (float[] v : values) {
                sb.append(Arrays.toString(Arrays.copyOf(v, Math.min(v.length, 4)))).append(' ');
            }
            return sb.toString();
        }
    }

    static List<Backend> backends() {
        return TestBackends.all();
    }

    private static List<Case> cases() {
        int n = 48;
        float[] x = DeviceLossTesting.gaussian(n * 10, 1);
        float[] y = DeviceLossTesting.gaussian(n * 10, 2);
        float[] z = DeviceLossTesting.gaussian(n * 10, 3);
        long[] cls = new long[n];
        long[] sign = new long[n];
        float[] signF = new float[n];
        float[] prob = new float[n * 10];
        for (int i = 0; i < n; i++) {
            cls[i] = (i * 7) % 10;
            sign[i] = i % 3 == 0 ? -1 : 1;
            signF[i] = sign[i];
        }
        for (int i = 0; i < prob.length; i++) {
            prob[i] = (i % 5) / 4f;
        }
        HostArray weight = new HostArray(DeviceLossTesting.gaussian(10, 4), new long[] {10});
        for (int i = 0; i < 10; i++) {
            weight.values()[i] = Math.abs(weight.values()[i]) + 0.1f;
        }
        Input logits = new Input(x, null, n, 10);
        return List.of(
                new Case("MSELoss", Map.of(), List.of(logits, new Input(y, null, n, 10))),
                new Case("SmoothL1Loss", Map.of("reduction", "none", "beta", 0.5), List.of(logits, new Input(y, null, n, 10))),
                new Case("BCEWithLogitsLoss", Map.of("reduction", "sum"), List.of(logits, new Input(prob, null, n, 10))),
                new Case("CrossEntropyLoss", Map.of("weight", weight, "label_smoothing", 0.1),
                        List.of(logits, new Input(null, cls, n))),
                new Case("NLLLoss", Map.of("reduction", "sum", "ignore_index", 3), List.of(logits, new Input(null, cls, n))),
                new Case("MultiMarginLoss", Map.of(), List.of(logits, new Input(null, cls, n))),
                new Case("CosineEmbeddingLoss", Map.of("margin", 0.2), List.of(logits, new Input(y, null, n, 10),
                        new Input(signF, null, n))),
                new Case("TripletMarginLoss", Map.of("reduction", "none"), List.of(logits, new Input(y, null, n, 10),
                        new Input(z, null, n, 10))),
                new Case("MultiLabelSoftMarginLoss", Map.of(), List.of(logits, new Input(prob, null, n, 10))));
    }

    @ParameterizedTest(autoCloseArguments = false) // the backends are shared by every test
    @MethodSource("backends")
    void eightThreadsOfMixedLossesAgreeBitwiseAndHoldMemoryFlat(Backend b) throws Exception {
        List<Case> cases = cases();
        List<Loss> losses = new ArrayList<>();
        List<Tensor[]> args = new ArrayList<>();
        for (Case c : cases) {
            losses.add(Losses.create(c.loss, c.options));
            args.add(c.inputs.stream().map(i -> i.on(b)).toArray(Tensor[]::new));
        }
        try {
            // The single-threaded results, and how long a call takes.
            List<Result> expected = new ArrayList<>();
            for (int i = 0; i < cases.size(); i++) {
                expected.add(call(losses.get(i), args.get(i)));
            }
            long warm = System.nanoTime() + 2_000_000_000L; // past the JIT's first tiers
            for (int r = 0; r < 200 && System.nanoTime() < warm; r++) {
                for (int i = 0; i < cases.size(); i++) {
                    call(losses.get(i), args.get(i));
                }
            }
            long t0 = System.nanoTime();
            int rounds = 3;
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < cases.size(); i++) {
                    call(losses.get(i), args.get(i));
                }
            }
            double perCall = (System.nanoTime() - t0) / 1e9 / (rounds * cases.size());
            int calls = (int) Math.max(MIN_CALLS, Math.min(CALLS, BUDGET / perCall));
            calls -= calls % (2 * THREADS);
            String what = b.name() + ": " + calls + " calls on " + THREADS + " threads ("
                    + String.format("%.2f", perCall * 1e3) + " ms a call single-threaded)";
            System.out.println("[LoadTest] " + what);

            long buffers = b instanceof DeviceBackend d ? d.liveBuffers() : 0;
            long deviceBytes = b instanceof CudaBackend c ? c.usedDeviceMemory() : 0;
            AtomicLong mismatches = new AtomicLong();
            StringBuilder first = new StringBuilder();
            int half = calls / 2;
            long[] heap = new long[2];
            assertTimeoutPreemptively(BOUND, () -> {
                for (int part = 0; part < 2; part++) {
                    load(half, losses, args, expected, mismatches, first);
                    heap[part] = usedHeapAfterGc();
                }
            }, () -> what + ": did not finish within " + BOUND.toSeconds() + " s (deadlock?)");
            assertEquals(0, mismatches.get(), () -> what + ": results differ from the single-threaded ones: " + first);
            assertTrue(heap[1] - heap[0] < HEAP_SLACK, () -> what + ": heap grew from " + heap[0] + " to " + heap[1]
                    + " bytes over the second " + half + " calls");
            if (b instanceof DeviceBackend d) {
                assertEquals(buffers, d.liveBuffers(), () -> what + ": device buffers alive before and after");
            }
            if (b instanceof CudaBackend c) {
                c.synchronize();
                assertEquals(deviceBytes, c.usedDeviceMemory(), () -> what + ": device bytes in use before and after");
            }
            System.out.println("[LoadTest] " + b.name() + ": heap after GC " + heap[0] / 1024 + " KiB, then "
                    + heap[1] / 1024 + " KiB");
        } finally {
            for (Tensor[] a : args) {
                for (Tensor t : a) {
                    t.close();
                }
            }
        }
    }

    /** {@code calls} calls split over the threads, case {@code (thread + k) % cases} each. */
    private static void load(int calls, List<Loss> losses, List<Tensor[]> args, List<Result> expected,
                             AtomicLong mismatches, StringBuilder first) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                fs.add(pool.submit(() -> {
                    for (int k = 0; k < calls / THREADS; k++) {
                        int i = (thread + k) % losses.size();
                        Result r = call(losses.get(i), args.get(i));
                        if (!r.sameBits(expected.get(i))) {
                            if (mismatches.getAndIncrement() == 0) {
                                synchronized (first) {
                                    first.append(losses.get(i).name()).append(": ").append(r).append(" vs ")
                                            .append(expected.get(i));
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Result call(Loss loss, Tensor[] args) {
        try (LossResult r = loss.forwardBackward(args)) {
            List<float[]> v = new ArrayList<>();
            v.add(r.loss().toFloatArray());
            for (String name : loss.differentiableArguments()) {
                v.add(r.grad(name).toFloatArray());
            }
            return new Result(v);
        }
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

}
