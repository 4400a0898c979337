package dev.jloss.backend.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jloss.Backend;
import dev.jloss.LossArgumentException;
import dev.jloss.Tensor;
import dev.jloss.testing.TestBackends;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DeviceBackend.copy (the benchmarks' device-bandwidth reference) on each GPU backend that started. */
class DeviceCopyTest {

    private static List<DeviceBackend> devices() {
        List<DeviceBackend> d = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            if (b instanceof DeviceBackend db) {
                d.add(db);
            }
        }
        assumeTrue(!d.isEmpty(), "no GPU backend started here: " + TestBackends.reason("opencl"));
        return d;
    }

    @Test
    void copiesEveryElementAndTheViewFallbackDoesToo() {
        float[] data = new float[100_003];
        for (int i = 0; i < data.length; i++) {
            data[i] = i * 0.5f - 7;
        }
        for (DeviceBackend b : devices()) {
            for (DeviceBackend via : List.of(b, new GroupRowsBackend(b))) {
                try (Tensor src = via.tensor(data, data.length); Tensor dst = via.zeros(src.dtype(), data.length)) {
                    via.copy(src, dst);
                    via.synchronize();
                    assertArrayEquals(data, dst.toFloatArray(), b.name() + " via " + via.getClass().getSimpleName());
                }
            }
        }
    }

    @Test
    void rejectsAMismatchedDestination() {
        for (DeviceBackend b : devices()) {
            try (Tensor src = b.tensor(new float[6], 2, 3); Tensor dst = b.tensor(new float[6], 3, 2)) {
                assertThrows(LossArgumentException.class, () -> b.copy(src, dst));
            }
        }
    }
}
