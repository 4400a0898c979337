package dev.jloss.backend;

import static dev.jloss.backend.DeviceLossTesting.REDUCTIONS;
import static dev.jloss.backend.DeviceLossTesting.assertDeterministic;
import static dev.jloss.backend.DeviceLossTesting.assertMatchesCpu;
import static dev.jloss.backend.DeviceLossTesting.gaussian;

import dev.jloss.Backend;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.HostArray;
import dev.jloss.loss.MultiLabelSoftMarginLoss;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MultiLabelSoftMarginLoss on the GPU backends: large and broadcast inputs against the CPU backend,
 * determinism. (The loss has no data-dependent check, so no error flag.)
 */
class MultiLabelSoftMarginLossDeviceTest {

    /** One layout: input, target and weight shapes (weight null for none). */
    private record Layout(long[] input, long[] target, long[] weight) {
        @Override
        public String toString() {
            return "input " + Arrays.toString(input) + " target " + Arrays.toString(target)
                    + (weight == null ? "" : " weight " + Arrays.toString(weight));
        }
    }

    private static final Layout[] LAYOUTS = {
        // many narrow rows, a work-item each; per-class weight
        new Layout(new long[] {5000, 7}, new long[] {5000, 7}, new long[] {7}),
        // rows wider than a work-group, a work-group each
        new Layout(new long[] {3, 1000}, new long[] {3, 1000}, null),
        new Layout(new long[] {600, 40}, new long[] {600, 40}, new long[] {600, 40}),
        // the input broadcast over the target's rows: its gradient sums 300 rows
        new Layout(new long[] {700}, new long[] {300, 700}, new long[] {700}),
        new Layout(new long[] {50, 1, 9}, new long[] {50, 40, 9}, new long[] {9}),
        // a weight with more dimensions than the input: the summed axis is not the last, C = 64
        new Layout(new long[] {64}, new long[] {64}, new long[] {200, 64}),
    };

    static Stream<DeviceBackend> devices() {
        return DeviceLossTesting.devices();
    }

    private static float[] targets(int n, long seed) {
        Random r = new Random(seed);
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(4) == 0 ? r.nextFloat() : r.nextInt(2);
        }
        return y;
    }

    private static Function<Backend, Tensor[]> args(Layout l, long seed) {
        float[] x = gaussian((int) Tensor.numel(l.input()), seed);
        for (int i = 0; i < x.length; i++) {
            x[i] *= 4; // reach both tails of the sigmoid
        }
        float[] y = targets((int) Tensor.numel(l.target()), seed + 1);
        return b -> new Tensor[] {b.tensor(x, l.input()), b.tensor(y, l.target())};
    }

    private static MultiLabelSoftMarginLoss loss(Layout l, Reduction red) {
        MultiLabelSoftMarginLoss.Builder b = MultiLabelSoftMarginLoss.builder().reduction(red);
        if (l.weight() != null) {
            float[] w = gaussian((int) Tensor.numel(l.weight()), 17);
            b.weight(new HostArray(w, l.weight()));
        }
        return b.build();
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void largeAndBroadcastInputsMatchTheCpu(DeviceBackend b) {
        for (Layout l : LAYOUTS) {
            for (Reduction red : REDUCTIONS) {
                assertMatchesCpu(l + " " + red, loss(l, red), b, args(l, 3));
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void isBitwiseDeterministic(DeviceBackend b) {
        for (Layout l : LAYOUTS) {
            for (Reduction red : REDUCTIONS) {
                assertDeterministic(loss(l, red), b, args(l, 7));
            }
        }
    }
}
