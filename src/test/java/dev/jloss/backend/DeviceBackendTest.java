package dev.jloss.backend;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.MSELoss;
import dev.jloss.testing.TestBackends;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What every GPU backend must do beyond matching the golden values: no leaks, threads, accuracy, determinism. */
class DeviceBackendTest {

    static Stream<DeviceBackend> devices() {
        List<DeviceBackend> l = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            if (b instanceof DeviceBackend d) {
                l.add(d);
            }
        }
        if (l.isEmpty()) {
            org.junit.jupiter.api.Assumptions.abort(
                    "no GPU backend here: " + TestBackends.reason("opencl") + "; " + TestBackends.reason("cuda"));
        }
        return l.stream();
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) r.nextGaussian();
        }
        return f;
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void tenThousandCallsHoldDeviceMemoryFlat(DeviceBackend b) {
        Loss mse = MSELoss.builder().build();
        try (Tensor x = b.tensor(random(1000, 1), 1000); Tensor y = b.tensor(random(1000, 2), 1000)) {
            for (int i = 0; i < 10; i++) {
                mse.forwardBackward(x, y).close();
            }
            b.synchronize();
            long before = b.liveBuffers();
            for (int i = 0; i < 10_000; i++) {
                try (LossResult r = mse.forwardBackward(x, y)) {
                    if (i % 1000 == 0) {
                        r.loss().item();
                    }
                }
            }
            b.synchronize();
            assertEquals(before, b.liveBuffers(), "device buffers alive after 10,000 calls");
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void meanOverTenMillionElementsMatchesDoubleOnTheCpu(DeviceBackend b) {
        int n = 10_000_000;
        float[] xs = random(n, 3);
        float[] ys = random(n, 4);
        double ref = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) xs[i] - ys[i];
            ref += d * d;
        }
        ref /= n;
        try (Tensor x = b.tensor(xs, n); Tensor y = b.tensor(ys, n); Tensor out = MSELoss.builder().build().forward(x, y)) {
            float v = out.item();
            assertTrue(Math.abs(v - ref) <= 1e-6 * ref, "mean " + v + " vs double " + ref);
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void resultsAreBitwiseIdenticalRunToRun(DeviceBackend b) {
        int n = 3_000_001;
        Loss sum = MSELoss.builder().reduction(Reduction.SUM).build();
        try (Tensor x = b.tensor(random(n, 5), n); Tensor y = b.tensor(random(n, 6), n)) {
            float first = sum.forward(x, y).item();
            for (int i = 0; i < 5; i++) {
                try (LossResult r = sum.forwardBackward(x, y)) {
                    assertEquals(Float.floatToIntBits(first), Float.floatToIntBits(r.loss().item()));
                }
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void severalThreadsShareOneBackend(DeviceBackend b) throws Exception {
        Backend cpu = TestBackends.cpu();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    Loss mse = MSELoss.builder().reduction(Reduction.NONE).build();
                    for (int i = 0; i < 50; i++) {
                        int n = 1000 + seed * 37 + i;
                        float[] xs = random(n, seed * 1000L + i);
                        float[] ys = random(n, seed * 1000L + i + 7);
                        try (Tensor x = b.tensor(xs, n); Tensor y = b.tensor(ys, n); LossResult r = mse.forwardBackward(x, y);
                             LossResult c = mse.forwardBackward(cpu.tensor(xs, n), cpu.tensor(ys, n))) {
                            // within float rounding of the CPU's (its SIMD path squares in float lanes)
                            long[] shape = {n};
                            assertAllClose("loss", shape, DeviceVsCpu.widen(c.loss().toFloatArray()), shape,
                                    r.loss().toFloatArray());
                            assertAllClose("grad", shape, DeviceVsCpu.widen(c.grad("input").toFloatArray()), shape,
                                    r.grad("input").toFloatArray());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void largeBroadcastGradientMatchesTheCpu(DeviceBackend b) {
        Backend cpu = TestBackends.cpu();
        float[] xs = random(300, 8);
        float[] ys = random(300 * 400, 9);
        Loss mse = MSELoss.builder().build();
        try (LossResult g = mse.forwardBackward(b.tensor(xs, 300, 1), b.tensor(ys, 300, 400));
             LossResult c = mse.forwardBackward(cpu.tensor(xs, 300, 1), cpu.tensor(ys, 300, 400))) {
            double[] expected = new double[300];
            float[] cg = c.grad("input").toFloatArray();
            for (int i = 0; i < 300; i++) {
                expected[i] = cg[i];
            }
            assertAllClose("broadcast grad", new long[] {300, 1}, expected, g.grad("input").shape(),
                    g.grad("input").toFloatArray());
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void wrapsABufferTheCallerHoldsWithoutCopyingOrFreeingIt(DeviceBackend b) {
        float[] xs = random(4096, 10);
        float[] ys = random(4096, 11);
        try (Tensor x = b.tensor(xs, 64, 64); Tensor y = b.tensor(ys, 64, 64)) {
            long live = b.liveBuffers();
            Object callersBuffer = DeviceBackend.handle(x); // a cl_mem / CUdeviceptr the caller already has
            Tensor wrapped = b.wrap(callersBuffer, dev.jloss.DType.FLOAT32, 4096);
            try (Tensor y1 = b.tensor(ys, 4096); Tensor viaWrap = MSELoss.builder().build().forward(wrapped, y1);
                 Tensor direct = MSELoss.builder().build().forward(x, y)) {
                assertEquals(direct.item(), viaWrap.item());
            }
            wrapped.close();
            assertEquals(live, b.liveBuffers(), "closing a wrapped tensor must not free the caller's buffer");
            assertArrayEquals(xs, x.toFloatArray()); // still readable
        }
    }
}
