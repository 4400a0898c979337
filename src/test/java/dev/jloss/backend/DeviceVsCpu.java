package dev.jloss.backend;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Tensor;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.testing.TestBackends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Device-backend tests of a loss family against the CPU backend (itself checked against PyTorch and
 * a double reference): the same inputs through every entry point (forward, backward with an
 * upstream gradient, fused with and without it) must agree within float32 rounding, and the same
 * call twice must agree bitwise.
 */
final class DeviceVsCpu {
    /** Device and CPU both accumulate in double; results differ by float32 rounding and summation order. */
    static final double RTOL = 2e-5;
    static final double ATOL = 2e-6;

    private DeviceVsCpu() {
    }

    /** The GPU backends that started here; skips (with the reasons) where there is none. */
    static Stream<DeviceBackend> devices() {
        List<DeviceBackend> l = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            if (b instanceof DeviceBackend d) {
                l.add(d);
            }
        }
        Assumptions.assumeTrue(!l.isEmpty(),
                "no GPU backend here: " + TestBackends.reason("opencl") + "; " + TestBackends.reason("cuda"));
        return l.stream();
    }

    /** One input tensor's data: exactly one of floats, longs, ints. */
    record Input(long[] shape, float[] floats, long[] longs, int[] ints) {
        static Input of(float[] data, long... shape) {
            return new Input(shape, data, null, null);
        }

        static Input ofLongs(long[] data, long... shape) {
            return new Input(shape, null, data, null);
        }

        static Input ofInts(int[] data, long... shape) {
            return new Input(shape, null, null, data);
        }

        Tensor on(Backend b) {
            return floats != null ? b.tensor(floats, shape) : longs != null ? b.tensor(longs, shape) : b.tensor(ints, shape);
        }
    }

    static float[] uniform(SplittableRandom r, long n, double lo, double hi) {
        float[] f = new float[(int) n];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return f;
    }

    /** Small integers in [-k, k]: distances with exact ties (equal magnitudes, equal norms). */
    static float[] integers(SplittableRandom r, long n, int k) {
        float[] f = new float[(int) n];
        for (int i = 0; i < f.length; i++) {
            f[i] = r.nextInt(2 * k + 1) - k;
        }
        return f;
    }

    static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static Tensor[] on(Backend b, Input[] in) {
        Tensor[] t = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            t[i] = in[i].on(b);
        }
        return t;
    }

    private static void close(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null) {
                t.close();
            }
        }
    }

    private static void same(String what, Tensor expected, Tensor actual) {
        assertAllClose(what, expected.shape(), widen(expected.toFloatArray()), actual.shape(), actual.toFloatArray(),
                RTOL, ATOL);
    }

    private static void sameGrads(String what, Loss loss, LossResult expected, LossResult actual) {
        for (String n : loss.differentiableArguments()) {
            same(what + " d/d" + n, expected.grad(n), actual.grad(n));
        }
    }

    /** Forward, backward(go), fused and fused(go) on {@code dev} agree with the CPU backend. */
    static void assertSameAsCpu(String what, DeviceBackend dev, Loss loss, Input... inputs) {
        Backend cpu = TestBackends.cpu();
        Tensor[] ci = on(cpu, inputs);
        Tensor[] di = on(dev, inputs);
        Tensor cgo = null;
        Tensor dgo = null;
        try {
            try (Tensor c = loss.forward(ci); Tensor d = loss.forward(di)) {
                same(what + " forward", c, d);
                float[] go = uniform(new SplittableRandom(c.numel()), c.numel(), -1.5, 1.5);
                if (go.length > 2) {
                    go[1] = 0; // a row whose upstream gradient is 0 writes no gradient
                }
                cgo = cpu.tensor(go, c.shape());
                dgo = dev.tensor(go, c.shape());
            }
            try (LossResult c = loss.backward(cgo, ci); LossResult d = loss.backward(dgo, di)) {
                sameGrads(what + " backward", loss, c, d);
            }
            try (LossResult c = loss.forwardBackward(ci); LossResult d = loss.forwardBackward(di)) {
                same(what + " fused forward", c.loss(), d.loss());
                sameGrads(what + " fused", loss, c, d);
            }
            try (LossResult c = loss.forwardBackwardWith(cgo, ci); LossResult d = loss.forwardBackwardWith(dgo, di)) {
                same(what + " fused(go) forward", c.loss(), d.loss());
                sameGrads(what + " fused(go)", loss, c, d);
            }
        } finally {
            close(ci);
            close(di);
            close(cgo, dgo);
        }
    }

    /** The fused call twice on {@code dev} is bitwise equal: the loss and every gradient. */
    static void assertDeterministic(String what, DeviceBackend dev, Loss loss, Input... inputs) {
        Tensor[] di = on(dev, inputs);
        try (LossResult first = loss.forwardBackward(di); LossResult second = loss.forwardBackward(di)) {
            assertArrayEquals(first.loss().toFloatArray(), second.loss().toFloatArray(), what + " loss");
            for (String n : loss.differentiableArguments()) {
                assertArrayEquals(first.grad(n).toFloatArray(), second.grad(n).toFloatArray(), what + " d/d" + n);
            }
        } finally {
            close(di);
        }
    }

    /** Repeated calls (fused, gradient only, loss only) leave no device buffer behind: temporaries are released. */
    static void assertReleasesTemporaries(String what, DeviceBackend dev, Loss loss, Input... inputs) {
        Tensor[] di = on(dev, inputs);
        Tensor go = null;
        try {
            try (Tensor out = loss.forward(di)) {
                float[] ones = new float[(int) out.numel()];
                Arrays.fill(ones, 1f);
                go = dev.tensor(ones, out.shape());
            }
            dev.synchronize();
            long before = dev.liveBuffers();
            for (int i = 0; i < 20; i++) {
                loss.forwardBackward(di).close();
                loss.backward(go, di).close();
                loss.forward(di).close();
            }
            dev.synchronize();
            assertEquals(before, dev.liveBuffers(), what + ": live device buffers after 60 calls");
        } finally {
            close(di);
            close(go);
        }
    }
}
