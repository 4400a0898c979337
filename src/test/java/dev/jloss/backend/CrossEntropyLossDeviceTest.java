package dev.jloss.backend;

import static dev.jloss.backend.DeviceLossTesting.REDUCTIONS;
import static dev.jloss.backend.DeviceLossTesting.assertDeterministic;
import static dev.jloss.backend.DeviceLossTesting.assertFlaggedLikeTheCpu;
import static dev.jloss.backend.DeviceLossTesting.assertMatchesCpu;
import static dev.jloss.backend.DeviceLossTesting.classIndices;
import static dev.jloss.backend.DeviceLossTesting.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jloss.Backend;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.CrossEntropyLoss;
import dev.jloss.testing.TestBackends;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CrossEntropyLoss on the GPU backends, beyond the golden suite's small cases: inputs large enough to
 * take every work split (many narrow rows a work-item each; rows of thousands of classes a work-group
 * each, also through the GPU path on PoCL; K-dim positions), every option against the CPU backend,
 * the error flag, determinism, and a mean over a million rows against the double-precision CPU result.
 */
class CrossEntropyLossDeviceTest {
    /** {N, C, d1, d2}: narrow rows, wide rows, many just-wide rows, one huge row, K-dim, unbatched (N = 0). */
    private static final int[][] SHAPES = {{5000, 7, 1, 1}, {3, 5000, 1, 1}, {700, 64, 1, 1}, {1, 40000, 1, 1},
        {4, 5, 30, 7}, {0, 300, 1, 1}};

    static Stream<DeviceBackend> devices() {
        return DeviceLossTesting.devices();
    }

    private static long[] inputShape(int[] s) {
        if (s[0] == 0) {
            return new long[] {s[1]};
        }
        return s[2] == 1 ? new long[] {s[0], s[1]} : new long[] {s[0], s[1], s[2], s[3]};
    }

    private static long[] targetShape(int[] s) {
        if (s[0] == 0) {
            return new long[] {};
        }
        return s[2] == 1 ? new long[] {s[0]} : new long[] {s[0], s[2], s[3]};
    }

    /**
     * Logits (scaled, so that rows are far from uniform) and class indices, int64 or int32; every
     * fifth target is {@code ignore} when that is set; {@code bad} puts an index out of range at two
     * positions (the lower is reported).
     */
    private static Function<Backend, Tensor[]> indexArgs(int[] s, boolean int32, long ignore, long bad, long seed) {
        long[] xs = inputShape(s);
        long[] ts = targetShape(s);
        float[] x = gaussian((int) Tensor.numel(xs), seed);
        for (int i = 0; i < x.length; i++) {
            x[i] *= 4;
        }
        Function<Backend, Tensor> t = classIndices((int) Tensor.numel(ts), s[1], int32, ignore, bad, seed + 1, ts);
        return b -> new Tensor[] {b.tensor(x, xs), t.apply(b)};
    }

    /** Logits and class probabilities (a softmax of random scores along the class dimension). */
    private static Function<Backend, Tensor[]> probabilityArgs(int[] s, long seed) {
        long[] xs = inputShape(s);
        float[] x = gaussian((int) Tensor.numel(xs), seed);
        float[] q = gaussian(x.length, seed + 2);
        int classes = s[1];
        int spatial = s[2] * s[3];
        int rows = x.length / (classes * spatial);
        for (int n = 0; n < rows; n++) {
            for (int k = 0; k < spatial; k++) {
                double z = 0;
                for (int c = 0; c < classes; c++) {
                    int i = (n * classes + c) * spatial + k;
                    q[i] = (float) Math.exp(q[i]);
                    z += q[i];
                }
                for (int c = 0; c < classes; c++) {
                    int i = (n * classes + c) * spatial + k;
                    q[i] = (float) (q[i] / z);
                }
            }
        }
        return b -> new Tensor[] {b.tensor(x, xs), b.tensor(q, xs)};
    }

    private static float[] positiveWeight(int classes) {
        float[] w = gaussian(classes, 5);
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.abs(w[i]) + 0.1f;
        }
        return w;
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void classIndicesMatchTheCpuWithEveryOption(DeviceBackend b) {
        for (int[] s : SHAPES) {
            for (float[] weight : new float[][] {null, positiveWeight(s[1])}) {
                for (double eps : new double[] {0, 0.1}) {
                    for (Reduction red : REDUCTIONS) {
                        CrossEntropyLoss loss = CrossEntropyLoss.builder().weight(weight).labelSmoothing(eps)
                                .ignoreIndex(2).reduction(red).build();
                        assertMatchesCpu(java.util.Arrays.toString(s) + " " + loss, loss, b,
                                indexArgs(s, eps > 0, 2, 0, 3));
                    }
                }
            }
        }
    }

    /** z-loss and softcap (alone and together) with weights, smoothing and ignore_index, every split. */
    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void zLossAndSoftcapMatchTheCpu(DeviceBackend b) {
        double[][] extras = {{1e-3, 0}, {0, 5}, {0.05, 10}};
        for (int[] s : SHAPES) {
            for (float[] weight : new float[][] {null, positiveWeight(s[1])}) {
                for (double[] e : extras) {
                    for (Reduction red : REDUCTIONS) {
                        CrossEntropyLoss loss = CrossEntropyLoss.builder().weight(weight).labelSmoothing(0.1)
                                .ignoreIndex(2).lseSquareScale(e[0]).softcap(e[1]).reduction(red).build();
                        assertMatchesCpu(java.util.Arrays.toString(s) + " " + loss, loss, b,
                                indexArgs(s, false, 2, 0, 17));
                    }
                }
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void probabilitiesMatchTheCpuWithEveryOption(DeviceBackend b) {
        for (int[] s : SHAPES) {
            for (float[] weight : new float[][] {null, positiveWeight(s[1])}) {
                for (double eps : new double[] {0, 0.2}) {
                    for (Reduction red : REDUCTIONS) {
                        CrossEntropyLoss loss = CrossEntropyLoss.builder().weight(weight).labelSmoothing(eps)
                                .reduction(red).build();
                        assertMatchesCpu(java.util.Arrays.toString(s) + " " + loss, loss, b, probabilityArgs(s, 4));
                    }
                }
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void outOfRangeTargetIsFlaggedWithTheCpuMessage(DeviceBackend b) {
        for (int[] s : new int[][] {{9, 7, 1, 1}, {4, 300, 1, 1}, {2, 5, 3, 4}}) {
            for (boolean int32 : new boolean[] {false, true}) {
                for (Reduction red : REDUCTIONS) {
                    CrossEntropyLoss loss = CrossEntropyLoss.builder().reduction(red).build();
                    assertFlaggedLikeTheCpu(loss, b, indexArgs(s, int32, Long.MIN_VALUE, s[1], 11));
                }
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void isBitwiseDeterministic(DeviceBackend b) {
        for (int[] s : SHAPES) {
            for (Reduction red : REDUCTIONS) {
                assertDeterministic(CrossEntropyLoss.builder().labelSmoothing(0.1).reduction(red).build(), b,
                        indexArgs(s, false, Long.MIN_VALUE, 0, 7));
            }
        }
    }

    /** A mean over 2^20 rows agrees with the CPU backend's double accumulation to ~1e-6 relative. */
    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void largeMeanIsAccurate(DeviceBackend b) {
        int[] s = {1 << 20, 10, 1, 1};
        CrossEntropyLoss loss = CrossEntropyLoss.builder().build();
        Function<Backend, Tensor[]> args = indexArgs(s, false, Long.MIN_VALUE, 0, 13);
        Tensor[] c = args.apply(TestBackends.cpu());
        Tensor[] d = args.apply(b);
        try (Tensor co = loss.forward(c); LossResult dr = loss.forwardBackward(d)) {
            double ref = co.item();
            assertEquals(ref, dr.loss().item(), Math.abs(ref) * 1e-6);
        } finally {
            for (Tensor t : c) {
                t.close();
            }
            for (Tensor t : d) {
                t.close();
            }
        }
    }
}
