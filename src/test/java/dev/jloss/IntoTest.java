package dev.jloss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.loss.CrossEntropyLoss;
import dev.jloss.loss.MSELoss;
import dev.jloss.loss.MarginRankingLoss;
import dev.jloss.testing.TestBackends;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The {@code into} calls write the loss and gradients into tensors the caller owns, with the values of
 * the allocating calls, on every backend; they check what they are given with the usual messages; and on
 * the CPU they allocate next to nothing per call, while the allocating calls recycle their arrays once
 * the results are closed.
 */
class IntoTest {

    private static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (r.nextGaussian());
        }
        return f;
    }

    @Test
    void intoGivesTheAllocatingCallsValuesOnEveryBackend() {
        int rows = 64;
        int classes = 300;
        long[] labels = new long[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = (i * 7) % classes;
        }
        CrossEntropyLoss ce = CrossEntropyLoss.builder().labelSmoothing(0.1).build();
        for (Backend b : TestBackends.all()) {
            try (Tensor x = b.tensor(gaussian(rows * classes, 1), rows, classes);
                 Tensor y = b.tensor(labels, rows);
                 Tensor out = b.zeros(DType.FLOAT32);
                 Tensor g = b.tensor(gaussian(rows * classes, 2), rows, classes); // dirty on purpose
                 LossResult r = ce.forwardBackward(x, y)) {
                for (int rep = 0; rep < 3; rep++) {
                    ce.forwardBackwardInto(out, new Tensor[] {g}, x, y);
                    assertEquals(r.loss().item(), out.item(), b.name());
                    assertArrayEquals(r.grad("input").toFloatArray(), g.toFloatArray(), b.name());
                }
                ce.forwardInto(out, x, y);
                assertEquals(r.loss().item(), out.item(), b.name());
            }
        }
    }

    @Test
    void intoRejectsWrongResultTensors() {
        Backend b = TestBackends.cpu();
        MSELoss mse = MSELoss.builder().build();
        try (Tensor x = b.tensor(new float[] {1, 2, 3}, 3);
             Tensor y = b.tensor(new float[] {0, 0, 0}, 3);
             Tensor out = b.zeros(DType.FLOAT32);
             Tensor wrong = b.zeros(DType.FLOAT32, 4);
             Tensor ints = b.zeros(DType.INT64, 3)) {
            assertEquals("mse_loss: grad_input has shape [4], expected [3]", assertThrows(LossArgumentException.class,
                    () -> mse.forwardBackwardInto(out, new Tensor[] {wrong}, x, y)).getMessage());
            assertEquals("mse_loss: grad_input has dtype int64, expected float32", assertThrows(
                    LossArgumentException.class, () -> mse.forwardBackwardInto(out, new Tensor[] {ints}, x, y))
                    .getMessage());
            assertEquals("mse_loss: out has shape [4], expected []", assertThrows(LossArgumentException.class,
                    () -> mse.forwardInto(wrong, x, y)).getMessage());
            assertEquals("mse_loss: grad_input is the argument input, expected a separate tensor", assertThrows(
                    LossArgumentException.class, () -> mse.forwardBackwardInto(out, new Tensor[] {x}, x, y))
                    .getMessage());
            assertEquals("mse_loss: expected 1 gradient tensors (input), got 2", assertThrows(
                    LossArgumentException.class, () -> mse.forwardBackwardInto(out, new Tensor[2], x, y)).getMessage());
            assertEquals("mse_loss: grad_input must not be null (every gradient of input is computed together)",
                    assertThrows(LossArgumentException.class, () -> mse.forwardBackwardInto(out, new Tensor[1], x, y))
                            .getMessage());
        }
    }

    @Test
    void everyGradientIsWrittenWithoutTheLoss() {
        Backend b = TestBackends.cpu();
        MarginRankingLoss l = MarginRankingLoss.builder().margin(0.5).build();
        try (Tensor x1 = b.tensor(new float[] {1, -2, 3}, 3);
             Tensor x2 = b.tensor(new float[] {0, 1, 5}, 3);
             Tensor t = b.tensor(new float[] {1, -1, 1}, 3);
             Tensor g1 = b.tensor(new float[] {9, 9, 9}, 3);
             Tensor g2 = b.tensor(new float[] {9, 9, 9}, 3);
             LossResult r = l.forwardBackward(x1, x2, t)) {
            l.forwardBackwardInto(null, new Tensor[] {g1, g2}, x1, x2, t);
            assertArrayEquals(r.grad("input1").toFloatArray(), g1.toFloatArray());
            assertArrayEquals(r.grad("input2").toFloatArray(), g2.toFloatArray());
        }
    }

    @Test
    void aClosedCpuResultCannotBeRead() {
        Backend b = TestBackends.cpu();
        Tensor x = b.tensor(gaussian(4096, 3), 4096);
        Tensor y = b.tensor(gaussian(4096, 4), 4096);
        LossResult r = MSELoss.builder().build().forwardBackward(x, y);
        Tensor g = r.grad("input");
        r.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, g::toFloatArray);
        assertTrue(e.getMessage().contains("was closed"), e.getMessage());
    }

    /** Bytes allocated by every live thread (the fork-join workers too). */
    private static long allocatedBytes() {
        com.sun.management.ThreadMXBean t = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long a : t.getThreadAllocatedBytes(t.getAllThreadIds())) {
            sum += Math.max(0, a);
        }
        return sum;
    }

    @Test
    void cpuIntoAllocatesNextToNothingPerCall() {
        Backend b = TestBackends.cpu();
        int n = 1 << 20;
        MSELoss mse = MSELoss.builder().build();
        try (Tensor x = b.tensor(gaussian(n, 5), n);
             Tensor y = b.tensor(gaussian(n, 6), n);
             Tensor out = b.zeros(DType.FLOAT32);
             Tensor g = b.zeros(DType.FLOAT32, n)) {
            // Steady state: until C2 has compiled the SIMD loops the Vector API runs interpreted and
            // allocates its vectors (about 1.5 MB a call here, longer on a loaded machine), so rounds
            // of calls are measured until one is compiled-speed, at most 20
            int calls = 100;
            long perCall = Long.MAX_VALUE;
            for (int round = 0; round < 20 && perCall >= 64 * 1024; round++) {
                long before = allocatedBytes();
                for (int i = 0; i < calls; i++) {
                    mse.forwardBackwardInto(out, new Tensor[] {g}, x, y);
                }
                perCall = (allocatedBytes() - before) / calls;
            }
            // the gradient alone is 4 MiB; what remains is a few small objects (plans, chunk partials)
            assertTrue(perCall < 64 * 1024, "bytes allocated per call: " + perCall);
        }
    }

    @Test
    void closedCpuResultsAreRecycled() {
        Backend b = TestBackends.cpu();
        int n = 1 << 20;
        MSELoss mse = MSELoss.builder().build();
        try (Tensor x = b.tensor(gaussian(n, 7), n); Tensor y = b.tensor(gaussian(n, 8), n)) {
            float first;
            try (LossResult r = mse.forwardBackward(x, y)) {
                first = r.grad("input").toFloatArray()[12345];
            }
            for (int i = 0; i < 20; i++) {
                try (LossResult r = mse.forwardBackward(x, y)) {
                    r.loss().item();
                }
            }
            long perCall = Long.MAX_VALUE;
            for (int round = 0; round < 20 && perCall >= 256 * 1024; round++) {  // steady state, as above
                long before = allocatedBytes();
                for (int i = 0; i < 100; i++) {
                    try (LossResult r = mse.forwardBackward(x, y)) {
                        assertEquals(first, r.grad("input").storage() == null ? 0 : first);
                    }
                }
                perCall = (allocatedBytes() - before) / 100;
            }
            assertTrue(perCall < 256 * 1024, "bytes allocated per recycled call: " + perCall);
        }
    }
}
