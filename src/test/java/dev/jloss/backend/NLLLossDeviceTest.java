package dev.jloss.backend;

import static dev.jloss.backend.DeviceLossTesting.REDUCTIONS;
import static dev.jloss.backend.DeviceLossTesting.assertDeterministic;
import static dev.jloss.backend.DeviceLossTesting.assertFlaggedLikeTheCpu;
import static dev.jloss.backend.DeviceLossTesting.assertMatchesCpu;
import static dev.jloss.backend.DeviceLossTesting.classIndices;
import static dev.jloss.backend.DeviceLossTesting.gaussian;

import dev.jloss.Backend;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.NLLLoss;
import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * NLLLoss on the GPU backends beyond the golden suite's small cases: many positions (several
 * work-groups' partial sums and partial denominators), K-dim, weights and ignored targets against the
 * CPU backend, the error flag with the CPU backend's message, and determinism.
 */
class NLLLossDeviceTest {
    /** {N, C, d1}: many rows, wide rows, K-dim, unbatched (N = 0). */
    private static final int[][] SHAPES = {{100000, 7, 1}, {3, 5000, 1}, {16, 5, 4000}, {0, 30, 1}};

    static Stream<DeviceBackend> devices() {
        return DeviceLossTesting.devices();
    }

    /** Inputs and class indices; every fifth target is {@code ignore}; {@code bad} puts two out of range. */
    private static Function<Backend, Tensor[]> args(int[] s, boolean int32, long ignore, long bad, long seed) {
        long[] xs = s[0] == 0 ? new long[] {s[1]} : s[2] == 1 ? new long[] {s[0], s[1]} : new long[] {s[0], s[1], s[2]};
        long[] ts = s[0] == 0 ? new long[] {} : s[2] == 1 ? new long[] {s[0]} : new long[] {s[0], s[2]};
        float[] x = gaussian((int) Tensor.numel(xs), seed);
        Function<Backend, Tensor> t = classIndices((int) Tensor.numel(ts), s[1], int32, ignore, bad, seed + 1, ts);
        return b -> new Tensor[] {b.tensor(x, xs), t.apply(b)};
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void matchesTheCpuWithEveryOption(DeviceBackend b) {
        for (int[] s : SHAPES) {
            float[] w = gaussian(s[1], 5);
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.abs(w[i]) + 0.1f;
            }
            for (float[] weight : new float[][] {null, w}) {
                for (Reduction red : REDUCTIONS) {
                    NLLLoss loss = NLLLoss.builder().weight(weight).ignoreIndex(1).reduction(red).build();
                    assertMatchesCpu(Arrays.toString(s) + " " + loss, loss, b, args(s, weight != null, 1, 0, 3));
                }
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void outOfRangeTargetIsFlaggedWithTheCpuMessage(DeviceBackend b) {
        for (int[] s : new int[][] {{9, 7, 1}, {40000, 3, 1}, {2, 5, 6}}) {
            for (boolean int32 : new boolean[] {false, true}) {
                for (Reduction red : REDUCTIONS) {
                    NLLLoss loss = NLLLoss.builder().reduction(red).build();
                    assertFlaggedLikeTheCpu(loss, b, args(s, int32, -100, s[1], 11));
                }
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void isBitwiseDeterministic(DeviceBackend b) {
        for (int[] s : SHAPES) {
            for (Reduction red : REDUCTIONS) {
                assertDeterministic(NLLLoss.builder().reduction(red).build(), b, args(s, false, -100, 0, 7));
            }
        }
    }
}
