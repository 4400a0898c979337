package dev.jloss.backend;

import static dev.jloss.backend.DeviceLossTesting.REDUCTIONS;
import static dev.jloss.backend.DeviceLossTesting.assertDeterministic;
import static dev.jloss.backend.DeviceLossTesting.assertFlaggedLikeTheCpu;
import static dev.jloss.backend.DeviceLossTesting.assertMatchesCpu;
import static dev.jloss.backend.DeviceLossTesting.gaussian;

import dev.jloss.Backend;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.MultiMarginLoss;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** MultiMarginLoss on the GPU backends: the error flag, large inputs against the CPU backend, determinism. */
class MultiMarginLossDeviceTest {
    /** rows x classes: many narrow rows (a work-item each), rows wider than a work-group, many wide rows. */
    private static final int[][] SHAPES = {{5000, 7}, {3, 1000}, {1500, 40}, {1, 1}};

    static Stream<DeviceBackend> devices() {
        return DeviceLossTesting.devices();
    }

    /** Scores and class indices (int64, or int32) of {@code rows} rows; {@code bad} puts one index out of range. */
    private static Function<Backend, Tensor[]> args(int rows, int classes, boolean int32, long seed, long bad) {
        float[] x = gaussian(rows * classes, seed);
        Random r = new Random(seed + 1);
        long[] t = new long[rows];
        for (int i = 0; i < rows; i++) {
            t[i] = r.nextInt(classes);
        }
        if (bad != 0) {
            t[rows / 2] = bad;
            t[rows - 1] = -1; // a later row is out of range too: the lowest row is reported
        }
        int[] t32 = new int[rows];
        for (int i = 0; i < rows; i++) {
            t32[i] = (int) t[i];
        }
        return b -> new Tensor[] {b.tensor(x, rows, classes), int32 ? b.tensor(t32, rows) : b.tensor(t, rows)};
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void outOfRangeTargetIsFlaggedWithTheCpuMessage(DeviceBackend b) {
        for (int[] s : new int[][] {{9, 7}, {4, 300}}) {
            for (boolean int32 : new boolean[] {false, true}) {
                for (Reduction red : REDUCTIONS) {
                    MultiMarginLoss loss = MultiMarginLoss.builder().reduction(red).build();
                    assertFlaggedLikeTheCpu(loss, b, args(s[0], s[1], int32, 11, s[1]));
                }
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void largeInputsMatchTheCpu(DeviceBackend b) {
        for (int[] s : SHAPES) {
            float[] w = gaussian(s[1], 5);
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.abs(w[i]) + 0.1f;
            }
            for (int p = 1; p <= 2; p++) {
                for (float[] weight : new float[][] {null, w}) {
                    for (Reduction red : REDUCTIONS) {
                        MultiMarginLoss loss = MultiMarginLoss.builder().p(p).margin(p == 1 ? 1.0 : 0.75).weight(weight)
                                .reduction(red).build();
                        assertMatchesCpu(s[0] + "x" + s[1] + " " + loss, loss, b, args(s[0], s[1], p == 2, 3, 0));
                    }
                }
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void isBitwiseDeterministic(DeviceBackend b) {
        for (int[] s : SHAPES) {
            for (Reduction red : REDUCTIONS) {
                assertDeterministic(MultiMarginLoss.builder().p(2).reduction(red).build(), b,
                        args(s[0], s[1], false, 7, 0));
            }
        }
    }
}
