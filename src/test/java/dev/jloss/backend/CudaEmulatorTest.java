package dev.jloss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.BackendException;
import dev.jloss.Loss;
import dev.jloss.LossArgumentException;
import dev.jloss.LossResult;
import dev.jloss.Tensor;
import dev.jloss.backend.cuda.CudaBackend;
import dev.jloss.loss.CrossEntropyLoss;
import dev.jloss.loss.MSELoss;
import dev.jloss.testing.TestBackends;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend's own duties, on the CUDA driver emulator (the cuda-emulator test run in
 * pom.xml; src/test/native/cuda-emulator): the registry takes it first, device memory as the
 * driver counts it stays flat over 10,000 calls and returns to where it was, running out of device
 * memory is an exception that leaves the backend usable, and the device error flag surfaces as the
 * CPU backend's exception. The golden, gradient and per-family device suites run on it too.
 */
class CudaEmulatorTest {
    private static CudaBackend cuda;

    @BeforeAll
    static void onTheEmulator() {
        Assumptions.assumeTrue(TestBackends.EMULATOR != null, "runs only in the cuda-emulator test run");
        cuda = assertInstanceOf(CudaBackend.class, TestBackends.get("cuda"), () -> "cuda: " + TestBackends.reason("cuda"));
    }

    @Test
    void theRegistryTakesCudaFirstAndSaysWhatItRunsOn() {
        try (Backend b = Backends.auto()) {
            assertEquals("cuda", b.name());
            assertTrue(b.description().startsWith("jloss CUDA emulator (CPU, tests only) (sm_90, 4 SMs, driver 13.0)"),
                    b.description());
        }
    }

    @Test
    void tenThousandCallsHoldDriverMemoryFlat() {
        int rows = 512;
        int classes = 40;
        long[] labels = new long[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = i % classes;
        }
        Loss ce = CrossEntropyLoss.builder().weight(DeviceLossTesting.gaussian(classes, 3)).labelSmoothing(0.1).build();
        long start = cuda.usedDeviceMemory();
        try (Tensor x = cuda.tensor(DeviceLossTesting.gaussian(rows * classes, 1), rows, classes); Tensor t = cuda.tensor(labels, rows)) {
            ce.forwardBackward(x, t).close();
            long warm = cuda.usedDeviceMemory();
            for (int i = 0; i < 10_000; i++) {
                try (LossResult r = ce.forwardBackward(x, t)) {
                    if (i % 1000 == 0) {
                        r.loss().item();
                    }
                }
            }
            cuda.synchronize();
            assertEquals(warm, cuda.usedDeviceMemory(), "bytes in use on the device after 10,000 calls");
        }
        assertEquals(start, cuda.usedDeviceMemory(), "bytes in use once the inputs are closed");
    }

    /** The surefire run gives the emulated device 1 GiB (JLOSS_CUDA_EMULATOR_MEMORY). */
    @Test
    void runningOutOfDeviceMemoryIsAnExceptionAndTheBackendGoesOn() {
        long start = cuda.usedDeviceMemory();
        float[] chunk = new float[48 << 20]; // 192 MiB
        List<Tensor> held = new ArrayList<>();
        try {
            BackendException e = assertThrows(BackendException.class, () -> {
                for (int i = 0; i < 8; i++) {
                    held.add(cuda.tensor(chunk, chunk.length));
                }
            });
            assertTrue(e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY"), e.getMessage());
            assertTrue(e.getMessage().startsWith("cuda: allocating 201326592 bytes failed"), e.getMessage());
        } finally {
            held.forEach(Tensor::close);
        }
        assertEquals(start, cuda.usedDeviceMemory());
        try (Tensor x = cuda.tensor(new float[] {1, 2}, 2); Tensor y = cuda.tensor(new float[] {0, 0}, 2);
             Tensor l = MSELoss.builder().build().forward(x, y)) {
            assertEquals(2.5f, l.item());
        }
    }

    @Test
    void theDeviceErrorFlagSurfacesAsTheCpuBackendsException() {
        Loss ce = CrossEntropyLoss.builder().build();
        float[] logits = DeviceLossTesting.gaussian(4 * 3, 5);
        long[] labels = {0, 2, 3, 1}; // 3 is out of range for 3 classes
        String expected;
        Backend cpu = TestBackends.cpu();
        try (Tensor x = cpu.tensor(logits, 4, 3); Tensor t = cpu.tensor(labels, 4)) {
            expected = assertThrows(LossArgumentException.class, () -> ce.forward(x, t).close()).getMessage();
        }
        try (Tensor x = cuda.tensor(logits, 4, 3); Tensor t = cuda.tensor(labels, 4)) {
            LossArgumentException e = assertThrows(LossArgumentException.class, () -> {
                try (Tensor out = ce.forward(x, t)) {
                    out.item();
                }
            });
            assertEquals(expected, e.getMessage());
        }
    }
}
