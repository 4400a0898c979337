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
import dev.jloss.loss.MultiLabelMarginLoss;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** MultiLabelMarginLoss on the GPU backends: the error flag, large inputs against the CPU backend, determinism. */
class MultiLabelMarginLossDeviceTest {
    /**
     * rows x classes: many narrow rows (a work-item each, up to 32 classes), rows wider than a
     * work-group (a work-group each, more rows than work-groups so the target masks are reused),
     * a single class.
     */
    private static final int[][] SHAPES = {{4000, 7}, {2000, 32}, {300, 33}, {5, 700}, {1, 1}};

    static Stream<DeviceBackend> devices() {
        return DeviceLossTesting.devices();
    }

    /**
     * Scores and label rows: each row lists a random number of labels (repeats included) before a -1
     * and random entries after it; {@code bad} (if not 0) is put in one row, another later.
     */
    private static Function<Backend, Tensor[]> args(int rows, int classes, long seed, long bad) {
        float[] x = gaussian(rows * classes, seed);
        Random r = new Random(seed + 1);
        long[] t = new long[rows * classes];
        for (int i = 0; i < rows; i++) {
            int labels = r.nextInt(classes + 1);
            for (int j = 0; j < classes; j++) {
                t[i * classes + j] = j < labels ? r.nextInt(classes) : j == labels ? -1 : r.nextInt(classes + 1) - 1;
            }
        }
        if (bad != 0) {
            t[(rows / 2) * classes + classes / 2] = bad;
            t[rows * classes - 1] = -2;
        }
        return b -> new Tensor[] {b.tensor(x, rows, classes), b.tensor(t, rows, classes)};
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void invalidLabelIsFlaggedWithTheCpuMessage(DeviceBackend b) {
        for (int[] s : new int[][] {{9, 7}, {4, 300}}) {
            for (long bad : new long[] {s[1], -5}) {
                for (Reduction red : REDUCTIONS) {
                    MultiLabelMarginLoss loss = MultiLabelMarginLoss.builder().reduction(red).build();
                    assertFlaggedLikeTheCpu(loss, b, args(s[0], s[1], 11, bad));
                }
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void largeInputsMatchTheCpu(DeviceBackend b) {
        for (int[] s : SHAPES) {
            for (Reduction red : REDUCTIONS) {
                MultiLabelMarginLoss loss = MultiLabelMarginLoss.builder().reduction(red).build();
                assertMatchesCpu(s[0] + "x" + s[1] + " " + loss, loss, b, args(s[0], s[1], 3, 0));
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void isBitwiseDeterministic(DeviceBackend b) {
        for (int[] s : SHAPES) {
            for (Reduction red : REDUCTIONS) {
                assertDeterministic(MultiLabelMarginLoss.builder().reduction(red).build(), b, args(s[0], s[1], 7, 0));
            }
        }
    }
}
