package dev.jloss.backend;

import static dev.jloss.backend.DeviceVsCpu.assertDeterministic;
import static dev.jloss.backend.DeviceVsCpu.assertReleasesTemporaries;
import static dev.jloss.backend.DeviceVsCpu.assertSameAsCpu;
import static dev.jloss.backend.DeviceVsCpu.uniform;

import dev.jloss.Loss;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.DeviceVsCpu.Input;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.CosineEmbeddingLoss;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cosine embedding loss on the GPU backends against the CPU backend: float, int64 and int32
 * targets (1, -1 and other values), margins of both signs, each reduction, on rows wider than a
 * work-group, many narrow rows, broadcast rows and broadcast row lengths, empty rows and an empty
 * batch, NaN rows; determinism. The loss reads no value it could reject, so it has no error-flag
 * path.
 */
class CosineEmbeddingLossDeviceTest {

    static Stream<DeviceBackend> devices() {
        return DeviceVsCpu.devices();
    }

    private static final Reduction[] REDUCTIONS = {Reduction.NONE, Reduction.MEAN, Reduction.SUM};

    private static Loss loss(double margin, Reduction r) {
        return CosineEmbeddingLoss.builder().margin(margin).reduction(r).build();
    }

    private static long[] s(long... shape) {
        return shape;
    }

    /** input1, input2 and a target of the given type drawing from {1, -1, 1, -1, 0, 2}. */
    private static Input[] inputs(long seed, long[] s1, long[] s2, long[] st, String targetType) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x1 = uniform(r, Tensor.numel(s1), -1, 1);
        float[] x2 = uniform(r, Tensor.numel(s2), -1, 1);
        int n = (int) Tensor.numel(st);
        int[] choice = {1, -1, 1, -1, 0, 2};
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = choice[r.nextInt(choice.length)];
        }
        Input target = switch (targetType) {
            case "int64" -> Input.ofLongs(y, st);
            case "int32" -> Input.ofInts(Arrays.stream(y).mapToInt(v -> (int) v).toArray(), st);
            default -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = y[i];
                }
                yield Input.of(f, st);
            }
        };
        return new Input[] {Input.of(x1, s1), Input.of(x2, s2), target};
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void everyTargetTypeMarginAndReductionOnSmallLayouts(DeviceBackend dev) {
        smallLayouts(dev);
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void nanRowsGiveNanLossAndNoGradient(DeviceBackend dev) {
        nanRows(dev);
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void largeInputsMatchTheCpu(DeviceBackend dev) {
        large(dev, List.of(
                new long[][] {s(40, 700), s(40, 700), s(40)},        // rows wider than a work-group
                new long[][] {s(6000, 3), s(6000, 3), s(6000)},      // many narrow rows, a block per group
                new long[][] {s(3000, 40), s(1, 40), s(3000)},       // an input2 row read by every row
                new long[][] {s(2000, 1), s(2000, 300), s(1)}));     // a broadcast length, one target
    }

    /**
     * The work split GPUs take (a segment of work-items per row, tree sums over it), forced on a CPU
     * OpenCL device, which otherwise gives each row one work-item: the same checks, smaller sizes.
     */
    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void gpuWorkSplitMatchesTheCpu(DeviceBackend dev) {
        System.setProperty(TripletMarginLossDeviceTest.SEGMENTED, "true");
        try {
            smallLayouts(dev);
            nanRows(dev);
            large(dev, List.of(
                    new long[][] {s(9, 700), s(9, 700), s(9)},
                    new long[][] {s(700, 3), s(700, 3), s(700)},
                    new long[][] {s(300, 1), s(300, 300), s(1)}));
            determinism(dev, 300);
        } finally {
            System.clearProperty(TripletMarginLossDeviceTest.SEGMENTED);
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void deterministic(DeviceBackend dev) {
        determinism(dev, 3000);
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void releasesEveryTemporary(DeviceBackend dev) {
        // broadcast rows and lengths: layout metadata, per-row gradient temporaries, partial sums
        for (Reduction red : REDUCTIONS) {
            assertReleasesTemporaries(dev.name() + " " + red, dev, loss(0.1, red),
                    inputs(5, s(50, 1), s(1, 30), s(50), "int32"));
        }
    }

    private static void smallLayouts(DeviceBackend dev) {
        List<long[][]> layouts = List.of(
                new long[][] {s(7, 5), s(7, 5), s(7)},
                new long[][] {s(5), s(5), s()},              // unbatched, a 0-d target
                new long[][] {s(6, 4), s(1, 4), s(6)},       // a broadcast input2 row
                new long[][] {s(1, 4), s(6, 4), s(1)},       // a broadcast input1 row and target
                new long[][] {s(6, 1), s(6, 4), s(6)},       // a broadcast input1 row length
                new long[][] {s(6, 4), s(1, 1), s(6)},       // input2 broadcast in rows and length
                new long[][] {s(6, 1), s(6, 0), s(6)},       // a length-1 row against empty rows
                new long[][] {s(4, 0), s(4, 0), s(4)},       // empty rows
                new long[][] {s(0, 3), s(0, 3), s(0)});      // an empty batch
        long seed = 1;
        for (String type : new String[] {"float32", "int64", "int32"}) {
            for (double margin : new double[] {0.2, -0.5}) {
                for (Reduction red : REDUCTIONS) {
                    for (long[][] l : layouts) {
                        String what = dev.name() + " " + type + " margin=" + margin + " " + red + " "
                                + Arrays.deepToString(l);
                        assertSameAsCpu(what, dev, loss(margin, red), inputs(seed++, l[0], l[1], l[2], type));
                    }
                }
            }
        }
    }

    private static void nanRows(DeviceBackend dev) {
        Input[] in = inputs(9, s(5, 3), s(5, 3), s(5), "float32");
        in[1].floats()[4] = Float.NaN; // row 1 of input2
        in[2].floats()[1] = -1;
        for (Reduction red : REDUCTIONS) {
            assertSameAsCpu(dev.name() + " NaN " + red, dev, loss(0.1, red), in);
        }
    }

    private static void large(DeviceBackend dev, List<long[][]> layouts) {
        long seed = 100;
        for (long[][] l : layouts) {
            for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.NONE}) {
                assertSameAsCpu(dev.name() + " large " + red + " " + Arrays.deepToString(l), dev, loss(0.1, red),
                        inputs(seed++, l[0], l[1], l[2], "int64"));
            }
        }
    }

    private static void determinism(DeviceBackend dev, int rows) {
        Loss l = loss(0.1, Reduction.MEAN);
        assertDeterministic(dev.name() + " dense", dev, l, inputs(200, s(rows, 300), s(rows, 300), s(rows), "int64"));
        assertDeterministic(dev.name() + " broadcast", dev, l, inputs(201, s(rows, 1), s(1, 300), s(rows), "float32"));
    }
}
