package dev.jloss.backend;

import static dev.jloss.backend.DeviceVsCpu.assertDeterministic;
import static dev.jloss.backend.DeviceVsCpu.assertReleasesTemporaries;
import static dev.jloss.backend.DeviceVsCpu.assertSameAsCpu;
import static dev.jloss.backend.DeviceVsCpu.integers;
import static dev.jloss.backend.DeviceVsCpu.uniform;

import dev.jloss.Distance;
import dev.jloss.Loss;
import dev.jloss.Reduction;
import dev.jloss.backend.DeviceVsCpu.Input;
import dev.jloss.backend.device.DeviceBackend;
import dev.jloss.loss.TripletMarginLoss;
import dev.jloss.loss.TripletMarginWithDistanceLoss;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The triplet losses on the GPU backends against the CPU backend: every distance (p-norms of every
 * kind of order, the cosine distance), swap with exact ties, each reduction, on rows wider than a
 * work-group, many narrow rows, broadcast rows and broadcast row lengths, empty rows and an empty
 * batch; determinism. The family reads no value it could reject, so it has no error-flag path.
 */
class TripletMarginLossDeviceTest {

    static Stream<DeviceBackend> devices() {
        return DeviceVsCpu.devices();
    }

    private static final List<Distance> DISTANCES = List.of(Distance.pairwise(2), Distance.pairwise(1),
            Distance.pairwise(3), Distance.pairwise(1.5), Distance.pairwise(0.5), Distance.pairwise(0),
            Distance.pairwise(-1), Distance.pairwise(Double.POSITIVE_INFINITY),
            Distance.pairwise(Double.NEGATIVE_INFINITY), Distance.cosine());

    /** PairwiseRows.SEGMENTED_PROPERTY. */
    static final String SEGMENTED = "jloss.pairwise.segmented";

    private static final Reduction[] REDUCTIONS = {Reduction.NONE, Reduction.MEAN, Reduction.SUM};

    private static Loss loss(Distance d, boolean swap, Reduction r) {
        return TripletMarginWithDistanceLoss.builder().distanceFunction(d).margin(0.7).swap(swap).reduction(r).build();
    }

    /** anchor, positive, negative of the given shapes; negatives near the anchors so the margin is active in some rows. */
    private static Input[] triplet(long seed, long[] sa, long[] sp, long[] sn) {
        SplittableRandom r = new SplittableRandom(seed);
        return new Input[] {
            Input.of(uniform(r, dev.jloss.Tensor.numel(sa), -1, 1), sa),
            Input.of(uniform(r, dev.jloss.Tensor.numel(sp), -1, 1), sp),
            Input.of(uniform(r, dev.jloss.Tensor.numel(sn), -1, 1), sn),
        };
    }

    private static long[] s(long... shape) {
        return shape;
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void everyDistanceSwapAndReductionOnSmallLayouts(DeviceBackend dev) {
        smallLayouts(dev, DISTANCES);
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void exactTiesSplitAsOnTheCpu(DeviceBackend dev) {
        ties(dev);
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
                new long[][] {s(40, 700), s(40, 700), s(40, 700)},       // rows wider than a work-group
                new long[][] {s(6000, 3), s(6000, 3), s(6000, 3)},       // many narrow rows, a block per group
                new long[][] {s(3000, 40), s(1, 40), s(3000, 40)},       // a positive row read by every row
                new long[][] {s(2000, 1), s(2000, 300), s(1, 300)}));    // broadcast length and rows
    }

    /**
     * The work split GPUs take (a segment of work-items per row, tree sums over it), forced on a CPU
     * OpenCL device, which otherwise gives each row one work-item: the same checks, smaller sizes.
     */
    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("devices")
    void gpuWorkSplitMatchesTheCpu(DeviceBackend dev) {
        System.setProperty(SEGMENTED, "true");
        try {
            smallLayouts(dev, DISTANCES);
            ties(dev);
            nanRows(dev);
            large(dev, List.of(
                    new long[][] {s(9, 700), s(9, 700), s(9, 700)},
                    new long[][] {s(700, 3), s(700, 3), s(700, 3)},
                    new long[][] {s(300, 1), s(300, 300), s(1, 300)}));
            determinism(dev, 300);
        } finally {
            System.clearProperty(SEGMENTED);
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
            assertReleasesTemporaries(dev.name() + " " + red, dev, loss(Distance.pairwise(2), true, red),
                    triplet(5, s(50, 1), s(1, 30), s(50, 30)));
        }
    }

    private static void smallLayouts(DeviceBackend dev, List<Distance> distances) {
        List<long[][]> layouts = List.of(
                new long[][] {s(7, 5), s(7, 5), s(7, 5)},
                new long[][] {s(5), s(5), s(5)},                 // unbatched
                new long[][] {s(6, 4), s(1, 4), s(6, 4)},         // a broadcast positive row
                new long[][] {s(3, 1, 4), s(1, 5, 4), s(3, 5, 4)}, // rows broadcast both ways
                new long[][] {s(6, 1), s(6, 4), s(6, 4)},         // a broadcast anchor row length
                new long[][] {s(6, 4), s(6, 4), s(1, 1)},         // a negative broadcast in rows and length
                new long[][] {s(4, 0), s(4, 0), s(4, 0)},         // empty rows
                new long[][] {s(0, 3), s(0, 3), s(0, 3)});        // an empty batch
        long seed = 1;
        for (Distance d : distances) {
            for (boolean swap : new boolean[] {false, true}) {
                for (Reduction red : REDUCTIONS) {
                    for (long[][] l : layouts) {
                        String what = dev.name() + " " + d + " swap=" + swap + " " + red + " "
                                + Arrays.deepToString(l);
                        assertSameAsCpu(what, dev, loss(d, swap, red), triplet(seed++, l[0], l[1], l[2]));
                    }
                }
            }
        }
    }

    private static void ties(DeviceBackend dev) {
        // integer data with eps 0: |v| ties for p = ±inf, d(a, n) == d(p, n) where a == p
        SplittableRandom r = new SplittableRandom(7);
        int rows = 64;
        int d = 6;
        float[] a = integers(r, rows * d, 2);
        float[] p = integers(r, rows * d, 2);
        System.arraycopy(a, 0, p, 0, rows * d / 2); // the first half: anchor == positive, a swap tie
        float[] n = integers(r, rows * d, 2);
        for (double order : new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1, 2, 3}) {
            for (Reduction red : REDUCTIONS) {
                Loss l = TripletMarginLoss.builder().p(order).eps(0).margin(1).swap(true).reduction(red).build();
                assertSameAsCpu(dev.name() + " ties p=" + order + " " + red, dev, l,
                        Input.of(a, rows, d), Input.of(p, rows, d), Input.of(n, rows, d));
            }
        }
        Loss cos = loss(Distance.cosine(), true, Reduction.SUM);
        assertSameAsCpu(dev.name() + " ties cosine", dev, cos,
                Input.of(a, rows, d), Input.of(p, rows, d), Input.of(n, rows, d));
    }

    private static void nanRows(DeviceBackend dev) {
        Input[] in = triplet(9, s(5, 3), s(5, 3), s(5, 3));
        in[2].floats()[4] = Float.NaN; // row 1 of the negative
        for (Distance d : DISTANCES) {
            for (Reduction red : REDUCTIONS) {
                assertSameAsCpu(dev.name() + " NaN " + d + " " + red, dev, loss(d, true, red), in);
            }
        }
    }

    private static void large(DeviceBackend dev, List<long[][]> layouts) {
        long seed = 100;
        for (Distance d : List.of(Distance.pairwise(2), Distance.pairwise(1.5), Distance.pairwise(Double.POSITIVE_INFINITY),
                Distance.cosine())) {
            for (long[][] l : layouts) {
                for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.NONE}) {
                    assertSameAsCpu(dev.name() + " large " + d + " " + red + " " + Arrays.deepToString(l), dev,
                            loss(d, true, red), triplet(seed++, l[0], l[1], l[2]));
                }
            }
        }
    }

    private static void determinism(DeviceBackend dev, int rows) {
        for (Distance d : List.of(Distance.pairwise(2), Distance.pairwise(Double.POSITIVE_INFINITY), Distance.cosine())) {
            Loss l = loss(d, true, Reduction.MEAN);
            assertDeterministic(dev.name() + " " + d + " dense", dev, l, triplet(200, s(rows, 300), s(rows, 300),
                    s(rows, 300)));
            assertDeterministic(dev.name() + " " + d + " broadcast", dev, l, triplet(201, s(rows, 1), s(1, 300),
                    s(rows, 300)));
        }
    }
}
