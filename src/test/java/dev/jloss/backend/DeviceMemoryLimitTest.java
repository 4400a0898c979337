package dev.jloss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.DType;
import dev.jloss.DeviceMemoryException;
import dev.jloss.Tensor;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.MSELoss;
import dev.jloss.testing.TestBackends;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A tensor larger than the device's largest buffer (docs/FAULTS.md): a {@link DeviceMemoryException}
 * naming the bytes asked for and the limit, before the driver is asked, and the backend goes on. On
 * OpenCL the limit is {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE} (4 GiB on PoCL here); on CUDA (the
 * emulator's 1 GiB in the cuda-emulator run) the device's memory.
 */
class DeviceMemoryLimitTest {

    static Stream<DeviceBackend> devices() {
        List<DeviceBackend> d = TestBackends.all().stream().filter(b -> b instanceof DeviceBackend)
                .map(b -> (DeviceBackend) b).toList();
        Assumptions.assumeFalse(d.isEmpty(), "no device backend here: opencl " + TestBackends.reason("opencl")
                + "; cuda " + TestBackends.reason("cuda"));
        return d.stream();
    }

    @ParameterizedTest(autoCloseArguments = false) // the backends are shared by every test
    @MethodSource("devices")
    void aTensorLargerThanTheLargestBufferIsAClearBackendException(DeviceBackend b) {
        long max = b.maxBufferBytes();
        assertTrue(max > 0 && max < Long.MAX_VALUE, b.name() + " reports its largest buffer: " + max);
        long live = b.liveBuffers();
        long elements = max / 4 + 1;
        DeviceMemoryException e = assertThrows(DeviceMemoryException.class, () -> b.zeros(DType.FLOAT32, elements));
        String limit = b.name().equals("opencl") ? "CL_DEVICE_MAX_MEM_ALLOC_SIZE" : "the device's memory";
        assertEquals(b.name() + ": a buffer of " + elements * 4 + " bytes is larger than the device's largest, " + max
                + " bytes (" + limit + ")", e.getMessage());
        assertEquals(elements * 4, e.requestedBytes());
        assertEquals(max, e.limitBytes());
        assertEquals(live, b.liveBuffers(), "nothing allocated");
        stillWorks(b);
    }

    private static void stillWorks(Backend b) {
        try (Tensor x = b.tensor(new float[] {1, 2}, 2); Tensor y = b.tensor(new float[] {0, 0}, 2);
             Tensor l = MSELoss.builder().build().forward(x, y)) {
            assertEquals(2.5f, l.item());
        }
    }
}
