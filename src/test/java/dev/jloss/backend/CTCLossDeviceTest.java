package dev.jloss.backend;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.LossArgumentException;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.CTCLoss;
import dev.jloss.testing.TestBackends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CTCLoss on the GPU backends against the CPU backend: the device error flag (every data check
 * surfaces, when a result is read, as the CPU backend's exact exception; the lowest sample wins),
 * a (T=200, N=32, C=60, S=50) batch and a batch with rows wider than a work-group (2S+1 and C above
 * 256, long runs of a repeated label), loss and gradient for every reduction, padded and concatenated
 * targets, int32 and int64, zero_infinity; determinism; no device memory kept.
 */
class CTCLossDeviceTest {
    /** Both backends accumulate in double; the results differ by float32 rounding and the blank's summation order. */
    private static final double RTOL = 2e-5;
    private static final double ATOL = 2e-6;
    private static final Reduction[] REDUCTIONS = {Reduction.NONE, Reduction.MEAN, Reduction.SUM};

    static Stream<DeviceBackend> devices() {
        List<DeviceBackend> l = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            if (b instanceof DeviceBackend d) {
                l.add(d);
            }
        }
        Assumptions.assumeTrue(!l.isEmpty(),
                () -> "no GPU backend here: " + TestBackends.reason("opencl") + "; " + TestBackends.reason("cuda"));
        return l.stream();
    }

    // ---------------------------------------------------------------- inputs

    /** A CTC batch on the host: log_softmax rows, padded labels, lengths. */
    private record Batch(int maxTime, int batch, int classes, int capacity, float[] logProbs, long[] padded,
                         long[] inputLengths, long[] targetLengths) {

        long[] concatenated() {
            long[] c = new long[(int) Arrays.stream(targetLengths).sum()];
            int k = 0;
            for (int n = 0; n < batch; n++) {
                for (int j = 0; j < targetLengths[n]; j++) {
                    c[k++] = padded[n * capacity + j];
                }
            }
            return c;
        }

        /** The four arguments on {@code b}: padded or concatenated targets, int64 or int32 targets and lengths. */
        Tensor[] on(Backend b, boolean concat, boolean int32) {
            long[] tg = concat ? concatenated() : padded;
            long[] tgShape = concat ? new long[] {tg.length} : new long[] {batch, capacity};
            return new Tensor[] {b.tensor(logProbs, maxTime, batch, classes),
                int32 ? b.tensor(ints(tg), tgShape) : b.tensor(tg, tgShape),
                int32 ? b.tensor(ints(inputLengths), batch) : b.tensor(inputLengths, batch),
                int32 ? b.tensor(ints(targetLengths), batch) : b.tensor(targetLengths, batch)};
        }
    }

    private static int[] ints(long[] l) {
        return Arrays.stream(l).mapToInt(v -> (int) v).toArray();
    }

    /**
     * Random log_softmax inputs; labels from the first {@code alphabet} non-blank classes (a small
     * alphabet gives long runs of repeats); lengths in the given ranges; the first
     * {@code infeasible} samples get fewer frames than their labels need.
     */
    private static Batch batch(long seed, int maxTime, int batch, int classes, int capacity, int blank, int alphabet,
                               int minFrames, int minLabels, int infeasible) {
        Random rnd = new Random(seed);
        float[] lp = new float[maxTime * batch * classes];
        for (int r = 0; r < maxTime * batch; r++) {
            double[] z = new double[classes];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                z[c] = 2 * rnd.nextGaussian();
                max = Math.max(max, z[c]);
            }
            double sum = 0;
            for (double v : z) {
                sum += Math.exp(v - max);
            }
            for (int c = 0; c < classes; c++) {
                lp[r * classes + c] = (float) (z[c] - max - Math.log(sum));
            }
        }
        long[] padded = new long[batch * capacity];
        long[] il = new long[batch];
        long[] tl = new long[batch];
        for (int n = 0; n < batch; n++) {
            tl[n] = minLabels + rnd.nextInt(capacity - minLabels + 1);
            il[n] = minFrames + rnd.nextInt(maxTime - minFrames + 1);
            for (int j = 0; j < capacity; j++) {
                int label = rnd.nextInt(alphabet);
                padded[n * capacity + j] = label >= blank ? label + 1 : label;
            }
            if (n < infeasible) {
                il[n] = Math.max(0, tl[n] - 1 - n % 3);
            }
        }
        return new Batch(maxTime, batch, classes, capacity, lp, padded, il, tl);
    }

    private static float[] randomGrad(long seed, int n) {
        Random rnd = new Random(seed);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (rnd.nextDouble() * 3 - 1.5);
        }
        return g;
    }

    private static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    // ---------------------------------------------------------------- against the CPU backend

    /** Loss and gradient (fused with an upstream gradient, fused of the sum, forward only) against the CPU backend. */
    private static void compareWithCpu(DeviceBackend dev, Batch b, int blank, String what) {
        Backend cpu = TestBackends.cpu();
        for (Reduction r : REDUCTIONS) {
            for (boolean zeroInf : new boolean[] {false, true}) {
                CTCLoss loss = CTCLoss.builder().blank(blank).reduction(r).zeroInfinity(zeroInf).build();
                float[] go = randomGrad(r.ordinal(), r == Reduction.NONE ? b.batch() : 1);
                // padded int64 targets and lengths, concatenated int32 ones
                for (boolean concat : new boolean[] {false, true}) {
                    boolean int32 = concat;
                    String at = what + ", " + r + ", zero_infinity " + zeroInf
                            + (concat ? ", concatenated" : ", padded") + (int32 ? ", int32" : ", int64");
                    Tensor[] onCpu = b.on(cpu, concat, int32);
                    Tensor[] onDev = b.on(dev, concat, int32);
                    Tensor goCpu = r == Reduction.NONE ? cpu.tensor(go, b.batch()) : cpu.tensor(go);
                    Tensor goDev = r == Reduction.NONE ? dev.tensor(go, b.batch()) : dev.tensor(go);
                    try (LossResult want = loss.forwardBackwardWith(goCpu, onCpu);
                         LossResult got = loss.forwardBackwardWith(goDev, onDev);
                         LossResult gotSum = loss.forwardBackward(onDev);
                         LossResult wantSum = loss.forwardBackward(onCpu);
                         Tensor gotLoss = loss.forward(onDev)) {
                        double[] l = doubles(want.loss().toFloatArray());
                        assertAllClose(at + ": loss", want.loss().shape(), l, got.loss().shape(),
                                got.loss().toFloatArray(), RTOL, ATOL);
                        assertAllClose(at + ": forward only", want.loss().shape(), l, gotLoss.shape(),
                                gotLoss.toFloatArray(), RTOL, ATOL);
                        assertAllClose(at + ": gradient", onCpu[0].shape(),
                                doubles(want.grad("log_probs").toFloatArray()), got.grad("log_probs").shape(),
                                got.grad("log_probs").toFloatArray(), RTOL, ATOL);
                        assertAllClose(at + ": gradient of the sum", onCpu[0].shape(),
                                doubles(wantSum.grad("log_probs").toFloatArray()), gotSum.grad("log_probs").shape(),
                                gotSum.grad("log_probs").toFloatArray(), RTOL, ATOL);
                    } finally {
                        for (Tensor t : onDev) {
                            t.close();
                        }
                        goDev.close();
                    }
                }
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void largeBatchMatchesCpu(DeviceBackend dev) {
        // T=200, N=32, C=60, S=50: lengths vary, four samples infeasible, the blank in the middle
        Batch b = batch(11, 200, 32, 60, 50, 17, 59, 120, 20, 4);
        compareWithCpu(dev, b, 17, "T=200 N=32 C=60 S=50");
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void rowsWiderThanAWorkGroupMatchCpu(DeviceBackend dev) {
        // 2S+1 = 301 extended labels and C = 300 classes (beyond the work-group), labels from 4 classes
        // (long runs of repeats: long per-class chains), blank the last class
        Batch b = batch(12, 330, 3, 300, 150, 299, 4, 300, 140, 0);
        assertTrue(2 * b.capacity() + 1 > dev.wgs() && b.classes() > dev.wgs(), "rows wider than a work-group");
        compareWithCpu(dev, b, 299, "T=330 N=3 C=300 S=150");
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void sameCallTwiceIsBitwiseEqual(DeviceBackend dev) {
        Batch b = batch(13, 120, 40, 30, 25, 0, 29, 80, 5, 2);
        for (Reduction r : REDUCTIONS) {
            CTCLoss loss = CTCLoss.builder().reduction(r).build();
            for (boolean concat : new boolean[] {false, true}) {
                Tensor[] a = b.on(dev, concat, false);
                try (LossResult x = loss.forwardBackward(a); LossResult y = loss.forwardBackward(a)) {
                    assertArrayEquals(x.loss().toFloatArray(), y.loss().toFloatArray(), r + " loss");
                    assertArrayEquals(x.grad("log_probs").toFloatArray(), y.grad("log_probs").toFloatArray(),
                            r + " gradient");
                } finally {
                    for (Tensor t : a) {
                        t.close();
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- the error flag

    /** A bad input: the change made to a valid batch's arguments, on the given backend. */
    private record BadInput(String name, Function<Backend, Tensor[]> args) {
    }

    /**
     * The exception of the call: on a GPU backend the call itself only queues work and the exception
     * comes when its first result (the loss, or the gradient when {@code grad}) is read.
     */
    private static LossArgumentException readError(Backend bk, BadInput bad, boolean grad) {
        CTCLoss loss = CTCLoss.builder().reduction(Reduction.MEAN).build();
        Tensor[] a = bad.args().apply(bk);
        LossResult r = null;
        try {
            if (bk instanceof DeviceBackend) {
                r = grad ? loss.forwardBackward(a) : new LossResult(loss.forward(a), Map.of());
                Tensor first = grad ? r.grad("log_probs") : r.loss();
                return assertThrows(LossArgumentException.class, first::toFloatArray, bk.name() + " " + bad.name());
            }
            return assertThrows(LossArgumentException.class, () -> {
                if (grad) {
                    loss.forwardBackward(a);
                } else {
                    loss.forward(a);
                }
            }, bk.name() + " " + bad.name());
        } finally {
            if (r != null) {
                r.close();
            }
            for (Tensor t : a) {
                t.close();
            }
        }
    }

    private static List<BadInput> badInputs() {
        Batch b = batch(14, 12, 40, 6, 4, 0, 5, 8, 1, 0);
        List<BadInput> l = new ArrayList<>();
        // T=12, N=40, C=6, S=4, blank 0: one value changed in a copy of a valid batch
        l.add(edit("input length above T", false, b, 2, 23, 13));
        l.add(edit("negative input length", false, b, 2, 37, -1));
        l.add(edit("padded target length above S", false, b, 3, 21, 5));
        l.add(edit("negative padded target length", false, b, 3, 5, -2));
        l.add(edit("negative concatenated target length", true, b, 3, 30, -1));
        l.add(edit("concatenated lengths sum too long", true, b, 3, 9, 4 + 1));
        l.add(edit("concatenated lengths sum past 2^63-1", true, b, 3, 33, Long.MAX_VALUE));
        l.add(edit("label out of range", false, b, 1, 4 * 29 + 0, 6));
        l.add(edit("negative label", false, b, 1, 4 * 35 + 0, -3));
        l.add(edit("blank label", false, b, 1, 4 * 18 + 0, 0));
        l.add(edit("concatenated label out of range", true, b, 1, 50, 99));
        // two bad samples: the lower one is reported, whichever group meets it first
        l.add(new BadInput("bad labels in samples 33 and 19", bk -> {
            long[] tg = b.padded().clone();
            tg[33 * 4] = 7;
            tg[19 * 4] = -1;
            tg[19 * 4 + 2] = 6;
            return args(bk, b, tg, false, b.inputLengths(), b.targetLengths());
        }));
        l.add(new BadInput("bad input length in sample 30, bad label in sample 31", bk -> {
            long[] tg = b.padded().clone();
            tg[31 * 4] = 7;
            long[] il = b.inputLengths().clone();
            il[30] = 99;
            return args(bk, b, tg, false, il, b.targetLengths());
        }));
        l.add(new BadInput("NaN and 6.0 float labels", bk -> {
            float[] tg = new float[b.padded().length];
            for (int i = 0; i < tg.length; i++) {
                tg[i] = b.padded()[i] + 0.75f;
            }
            tg[26 * 4] = Float.NaN;
            tg[8 * 4] = 6f;
            return new Tensor[] {bk.tensor(b.logProbs(), 12, 40, 6), bk.tensor(tg, 40, 4),
                bk.tensor(b.inputLengths(), 40), bk.tensor(b.targetLengths(), 40)};
        }));
        l.add(new BadInput("unbatched target longer than its length", bk -> new Tensor[] {
            bk.tensor(Arrays.copyOf(b.logProbs(), 12 * 6), 12, 6), bk.tensor(new long[] {1, 2, 3}, 3),
            bk.tensor(new long[] {12}, new long[0]), bk.tensor(new long[] {2}, new long[0])}));
        return l;
    }

    /**
     * One value changed: {@code what} 1 a padded or concatenated target element, 2 an input length,
     * 3 a target length (the concatenated targets then keep the valid lengths' labels).
     */
    private static BadInput edit(String name, boolean concat, Batch b, int what, int index, long value) {
        return new BadInput(name, bk -> {
            long[] tg = concat ? b.concatenated() : b.padded().clone();
            long[] il = b.inputLengths().clone();
            long[] tl = b.targetLengths().clone();
            switch (what) {
                case 1 -> tg[index] = value;
                case 2 -> il[index] = value;
                default -> tl[index] = value;
            }
            return args(bk, b, tg, concat, il, tl);
        });
    }

    private static Tensor[] args(Backend bk, Batch b, long[] tg, boolean concat, long[] il, long[] tl) {
        return new Tensor[] {bk.tensor(b.logProbs(), b.maxTime(), b.batch(), b.classes()),
            concat ? bk.tensor(tg, tg.length) : bk.tensor(tg, b.batch(), b.capacity()),
            bk.tensor(ints(il), b.batch()), bk.tensor(tl, b.batch())};
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void dataErrorsSurfaceAsTheCpuMessageWhenRead(DeviceBackend dev) {
        dev.synchronize();
        long before = dev.liveBuffers();
        for (BadInput bad : badInputs()) {
            String expected = readError(TestBackends.cpu(), bad, false).getMessage();
            assertEquals(expected, readError(dev, bad, false).getMessage(), bad.name() + ": loss");
            assertEquals(expected, readError(dev, bad, true).getMessage(), bad.name() + ": gradient");
        }
        dev.synchronize();
        assertEquals(before, dev.liveBuffers(), "device buffers alive after the failed calls were closed");
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void repeatedCallsHoldDeviceMemoryFlat(DeviceBackend dev) {
        Batch b = batch(15, 20, 6, 7, 5, 0, 6, 10, 1, 1);
        Tensor[] padded = b.on(dev, false, false);
        Tensor[] concat = b.on(dev, true, true);
        try {
            CTCLoss loss = CTCLoss.builder().build();
            loss.forwardBackward(padded).close();
            dev.synchronize();
            long before = dev.liveBuffers();
            for (int i = 0; i < 500; i++) {
                try (LossResult r = loss.forwardBackward(i % 2 == 0 ? padded : concat);
                     Tensor l = loss.forward(i % 2 == 0 ? concat : padded)) {
                    if (i % 100 == 0) {
                        assertEquals(r.loss().item(), l.item(), 1e-5 * Math.abs(l.item()));
                    }
                }
            }
            dev.synchronize();
            assertEquals(before, dev.liveBuffers(), "device buffers alive after 500 calls");
        } finally {
            Stream.concat(Arrays.stream(padded), Arrays.stream(concat)).forEach(Tensor::close);
        }
    }
}
