package dev.jloss.loss;

import static dev.jloss.loss.PairwiseTesting.assertMentions;
import static dev.jloss.loss.PairwiseTesting.forwardError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jloss.Backend;
import dev.jloss.Distance;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.testing.TestBackends;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TripletMarginWithDistanceLossTest {
    private static final String FN = "triplet_margin_with_distance_loss";

    private final Backend cpu = TestBackends.cpu();

    // ---- the distance option ----

    @Test
    void parsesDistanceFunctions() {
        assertEquals(Distance.pairwise(2, 1e-6), Distance.parse(FN, "pairwise"));
        assertEquals(Distance.pairwise(1, 1e-6), Distance.parse(FN, "pairwise:1"));
        assertEquals(Distance.pairwise(2.5, 1e-6), Distance.parse(FN, " PAIRWISE:2.5 "));
        assertEquals(Double.POSITIVE_INFINITY, Distance.parse(FN, "pairwise:inf").p());
        assertEquals(Distance.cosine(1e-8), Distance.parse(FN, "cosine"));
        assertEquals(Distance.pairwise(3), Distance.parse(FN, Distance.pairwise(3).toString()));
        TripletMarginWithDistanceLoss l = (TripletMarginWithDistanceLoss) Losses.create(FN, Map.of());
        assertEquals(Distance.pairwise(), l.distanceFunction());
    }

    @Test
    void rejectsUnknownDistanceNamingTheChoices() {
        for (String bad : new String[] {"euclid", "pairwise:two", "cosine:1", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Losses.create(FN, Map.of("distance_function", bad)));
            assertMentions(e.getMessage(), FN, "distance_function", "'" + bad + "'", "pairwise", "pairwise:P",
                    "cosine");
        }
    }

    // ---- messages ----

    @Test
    void rejectsLegacyFlags() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.create(FN, Map.of("size_average", false)));
        assertMentions(e.getMessage(), FN, "'size_average'");
        e = assertThrows(IllegalArgumentException.class,
                () -> TripletMarginWithDistanceLoss.builder().reduce(false));
        assertMentions(e.getMessage(), FN, "reduce", "reduction");
    }

    @Test
    void rejectsMarginNotAboveZero() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TripletMarginWithDistanceLoss.builder().margin(-0.5).build());
        assertMentions(e.getMessage(), FN, "margin", "-0.5", "greater than 0");
    }

    @Test
    void rejectsBatchmean() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.create(FN, Map.of("reduction", "batchmean")));
        assertMentions(e.getMessage(), FN, "batchmean");
    }

    @Test
    void rejectsShapesNamingTheArguments() {
        TripletMarginWithDistanceLoss l = TripletMarginWithDistanceLoss.builder()
                .distanceFunction(Distance.cosine()).build();
        String m = forwardError(l, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[12], 3, 4),
                cpu.tensor(new float[12], 1, 3, 4));
        assertMentions(m, FN, "same number of dimensions", "negative 3-D [1, 3, 4]");
        m = forwardError(l, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[8], 2, 4),
                cpu.tensor(new float[12], 3, 4));
        assertMentions(m, FN, "anchor", "[3, 4]", "positive", "[2, 4]");
    }

    // ---- worked example ----

    @Test
    void javadocExample() {
        Tensor a = cpu.tensor(new float[] {1, 0}, 1, 2);
        Tensor p = cpu.tensor(new float[] {2, 0}, 1, 2);
        Tensor n = cpu.tensor(new float[] {0, 1}, 1, 2);
        TripletMarginWithDistanceLoss.Builder b = TripletMarginWithDistanceLoss.builder()
                .distanceFunction(Distance.cosine());
        assertEquals(0f, b.margin(1).build().forward(a, p, n).item(), 1e-7f);
        assertEquals(0.5f, b.margin(1.5).build().forward(a, p, n).item(), 1e-7f);
        // the default distance is nn.PairwiseDistance(): ||a - p + 1e-6||
        TripletMarginWithDistanceLoss pw = TripletMarginWithDistanceLoss.builder().margin(2).build();
        assertEquals(2 + Math.hypot(0.999999, 1e-6) - Math.hypot(1.000001, 0.999999), pw.forward(a, p, n).item(), 1e-6);
    }

    // ---- against the naive double reference ----

    @Test
    void referenceGradientMatchesFiniteDifferences() {
        TripletMarginLossTest.checkReferenceGradient(Distance.cosine(), false, 4);
        TripletMarginLossTest.checkReferenceGradient(Distance.cosine(), true, 5);
    }

    @Test
    void largeInputMatchesReferenceOnEveryBackend() {
        for (boolean swap : new boolean[] {false, true}) {
            double margin = 0.05;
            TripletMarginWithDistanceLoss.Builder b = TripletMarginWithDistanceLoss.builder()
                    .distanceFunction(Distance.cosine()).swap(swap).margin(margin);
            TripletMarginLossTest.compareWithReference(b.reduction(Reduction.NONE).build(),
                    b.reduction(swap ? Reduction.MEAN : Reduction.SUM).build(), Distance.cosine(), margin, swap,
                    60 + (swap ? 1 : 0));
        }
        TripletMarginWithDistanceLoss.Builder b = TripletMarginWithDistanceLoss.builder()
                .distanceFunction(Distance.pairwise(1)).margin(3).swap(true);
        TripletMarginLossTest.compareWithReference(b.reduction(Reduction.NONE).build(), b.reduction(Reduction.MEAN)
                .build(), Distance.pairwise(1), 3, true, 62);
    }

    @Test
    void deterministic() {
        TripletMarginLossTest.assertDeterministic(TripletMarginWithDistanceLoss.builder()
                .distanceFunction(Distance.cosine()).margin(0.2).swap(true).build(), 70);
    }

    @Test
    void backwardAloneEqualsFusedGradient() {
        TripletMarginWithDistanceLoss l = TripletMarginWithDistanceLoss.builder()
                .distanceFunction(Distance.cosine()).margin(0.5).build();
        Tensor a = cpu.tensor(new float[] {1, 0, 0.5f, 2, -1, 1}, 2, 3);
        Tensor p = cpu.tensor(new float[] {1, 0.2f, 0, 1, -1, 2}, 2, 3);
        Tensor n = cpu.tensor(new float[] {0.8f, 0.1f, 0.4f, -2, 1, 0}, 2, 3);
        try (LossResult fused = l.forwardBackward(a, p, n);
             LossResult back = l.backward(cpu.tensor(new float[] {1}), a, p, n)) {
            for (String name : l.differentiableArguments()) {
                assertArrayEquals(fused.grad(name).toFloatArray(), back.grad(name).toFloatArray(), name);
            }
        }
    }
}
