package dev.jloss.backend;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.LossArgumentException;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.backend.device.GroupRowsBackend;
import dev.jloss.testing.TestBackends;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * What the row-wise losses' device tests share (margins, class indices): the GPU backends to run
 * on, seeded data, and checks of one loss call on a device against the CPU backend (loss and
 * gradient), against itself (bitwise), and of the device error flag (the CPU backend's exact
 * message, no buffer left behind).
 */
final class DeviceLossTesting {
    /** One view per backend, kept for the run (JUnit would not close it: autoCloseArguments = false). */
    private static final Map<DeviceBackend, GroupRowsBackend> GROUP_ROWS = new ConcurrentHashMap<>();

    private DeviceLossTesting() {
    }

    /**
     * The started GPU backends, each also through {@link GroupRowsBackend} (so that on PoCL the wide
     * rows take the work-group path GPUs take, too); the test is skipped, with the reason, where
     * there is none.
     */
    static Stream<DeviceBackend> devices() {
        List<DeviceBackend> l = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            if (b instanceof DeviceBackend d) {
                l.add(d);
                l.add(GROUP_ROWS.computeIfAbsent(d, GroupRowsBackend::new));
            }
        }
        Assumptions.assumeTrue(!l.isEmpty(),
                "no GPU backend here: " + TestBackends.reason("opencl") + "; " + TestBackends.reason("cuda"));
        return l.stream();
    }

    static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) r.nextGaussian();
        }
        return f;
    }

    /**
     * {@code n} seeded class indices in {@code [0, classes)}, as an int64 or an int32 tensor on the
     * backend it is given; every fifth is {@code ignore} unless that is {@link Long#MIN_VALUE};
     * {@code bad != 0} puts {@code bad} at position {@code n / 2} and -1 at the last position, both
     * out of range (the lower is the one reported).
     */
    static Function<Backend, Tensor> classIndices(int n, int classes, boolean int32, long ignore, long bad,
                                                  long seed, long... shape) {
        Random r = new Random(seed);
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = ignore != Long.MIN_VALUE && i % 5 == 3 ? ignore : r.nextInt(classes);
        }
        if (bad != 0) {
            t[n / 2] = bad;
            t[n - 1] = -1;
        }
        int[] t32 = new int[n];
        for (int i = 0; i < n; i++) {
            t32[i] = (int) t[i];
        }
        return b -> int32 ? b.tensor(t32, shape) : b.tensor(t, shape);
    }

    /** A seeded upstream gradient of the loss's output shape on {@code b}. */
    private static Tensor gradOutput(Backend b, long[] outShape, long seed) {
        return b.tensor(gaussian((int) Tensor.numel(outShape), seed), outShape);
    }

    private static void closeAll(Tensor[] ts) {
        for (Tensor t : ts) {
            t.close();
        }
    }

    /**
     * The loss alone, the fused loss + gradient for a seeded upstream gradient and the fused loss +
     * gradient of the sum on {@code dev} agree with the CPU backend.
     */
    static void assertMatchesCpu(String what, Loss loss, DeviceBackend dev, Function<Backend, Tensor[]> args) {
        Backend cpu = TestBackends.cpu();
        Tensor[] c = args.apply(cpu);
        Tensor[] d = args.apply(dev);
        String gradName = loss.differentiableArguments().get(0);
        try (Tensor co = loss.forward(c); Tensor dout = loss.forward(d)) {
            float[] ref = co.toFloatArray();
            assertAllClose(what + " forward", co.shape(), DeviceVsCpu.widen(ref), dout.shape(), dout.toFloatArray());
            try (Tensor cgo = gradOutput(cpu, co.shape(), 99); Tensor dgo = cgo.to(dev);
                 LossResult cr = loss.forwardBackwardWith(cgo, c); LossResult dr = loss.forwardBackwardWith(dgo, d);
                 LossResult cs = loss.forwardBackward(c); LossResult ds = loss.forwardBackward(d)) {
                assertAllClose(what + " fused(grad_output) forward", co.shape(), DeviceVsCpu.widen(ref), dr.loss().shape(),
                        dr.loss().toFloatArray());
                Tensor cg = cr.grad(gradName);
                assertAllClose(what + " fused(grad_output) d/d" + gradName, cg.shape(), DeviceVsCpu.widen(cg.toFloatArray()),
                        dr.grad(gradName).shape(), dr.grad(gradName).toFloatArray());
                Tensor csg = cs.grad(gradName);
                assertAllClose(what + " fused grad of sum d/d" + gradName, csg.shape(), DeviceVsCpu.widen(csg.toFloatArray()),
                        ds.grad(gradName).shape(), ds.grad(gradName).toFloatArray());
            }
        } finally {
            closeAll(c);
            closeAll(d);
        }
    }

    /** The same fused call twice on {@code dev} gives bitwise the same loss and gradient. */
    static void assertDeterministic(Loss loss, DeviceBackend dev, Function<Backend, Tensor[]> args) {
        Tensor[] d = args.apply(dev);
        String gradName = loss.differentiableArguments().get(0);
        try (LossResult first = loss.forwardBackward(d); LossResult second = loss.forwardBackward(d)) {
            assertArrayEquals(bits(first.loss().toFloatArray()), bits(second.loss().toFloatArray()), "loss");
            assertArrayEquals(bits(first.grad(gradName).toFloatArray()), bits(second.grad(gradName).toFloatArray()),
                    "d/d" + gradName);
        } finally {
            closeAll(d);
        }
    }

    /**
     * Invalid data is found on the device: the call itself returns, reading its loss or its gradient
     * throws the CPU backend's exception with the same message, and closing the results frees
     * everything the call allocated (its error flag included).
     */
    static void assertFlaggedLikeTheCpu(Loss loss, DeviceBackend dev, Function<Backend, Tensor[]> args) {
        Tensor[] c = args.apply(TestBackends.cpu());
        String expected;
        try {
            expected = assertThrows(LossArgumentException.class, () -> loss.forward(c).close(), "cpu").getMessage();
        } finally {
            closeAll(c);
        }
        Tensor[] d = args.apply(dev);
        try {
            dev.synchronize();
            long before = dev.liveBuffers();
            try (Tensor out = loss.forward(d)) {
                assertEquals(expected, assertThrows(LossArgumentException.class, out::toFloatArray).getMessage());
            }
            String gradName = loss.differentiableArguments().get(0);
            try (LossResult r = loss.forwardBackward(d)) {
                Tensor g = r.grad(gradName);
                assertEquals(expected, assertThrows(LossArgumentException.class, g::toFloatArray).getMessage());
            }
            dev.synchronize();
            assertEquals(before, dev.liveBuffers(), "device buffers alive after the failed calls were closed");
        } finally {
            closeAll(d);
        }
    }

    /** The reductions the margin losses take. */
    static final Reduction[] REDUCTIONS = {Reduction.NONE, Reduction.MEAN, Reduction.SUM};

    private static int[] bits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }
}
