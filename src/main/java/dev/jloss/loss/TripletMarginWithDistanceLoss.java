package dev.jloss.loss;

import dev.jloss.Distance;
import dev.jloss.Loss;
import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;

/**
 * Triplet margin loss with a chosen distance, PyTorch's {@code torch.nn.TripletMarginWithDistanceLoss}
 * with a built-in {@code distance_function}: for rows {@code a}, {@code p}, {@code n},
 * {@code l = max(0, margin + d(a, p) - d(a, n))}, with {@code min(d(a, n), d(p, n))} as the negative
 * distance when {@code swap}, then reduced over the rows. The distance is {@link Distance#pairwise()}
 * ({@code nn.PairwiseDistance()}, PyTorch's default), {@link Distance#pairwise(double)} or
 * {@link Distance#cosine()} ({@code 1 - F.cosine_similarity(x, y, dim=-1)}). In an option map,
 * {@code distance_function} is {@code "pairwise"}, {@code "pairwise:P"} or {@code "cosine"}.
 *
 * <p>Example: anchor [[1, 0]], positive [[2, 0]], negative [[0, 1]], cosine distance, margin 1:
 * d(a, p) = 0, d(a, n) = 1, loss 0; with margin 1.5 it is 0.5.
 */
public final class TripletMarginWithDistanceLoss extends Loss {

    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("TripletMarginWithDistanceLoss", "triplet_margin_with_distance_loss").grad("anchor")
            .grad("positive").grad("negative").batch(Batching.LEADING, 2, true).mean(Mean.ELEMENTS).build();
    private static final String FN = SPEC.functionalName();

    private final Distance distance;
    private final double margin;
    private final boolean swap;

    private TripletMarginWithDistanceLoss(Reduction reduction, Distance distance, double margin, boolean swap) {
        super(reduction);
        this.distance = distance;
        this.margin = margin;
        this.swap = swap;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * From PyTorch's constructor arguments: {@code distance_function} ({@code "pairwise"},
     * {@code "pairwise:P"} or {@code "cosine"}), {@code margin}, {@code swap}, {@code reduction}.
     * Like PyTorch's class it has no legacy {@code size_average}/{@code reduce}.
     */
    public static TripletMarginWithDistanceLoss fromOptions(Options o) {
        return builder().options(o, false)
                .distanceFunction(Distance.parse(FN, o.getString("distance_function", "pairwise")))
                .margin(o.getDouble("margin", 1.0))
                .swap(o.getBool("swap", false))
                .build();
    }

    public Distance distanceFunction() {
        return distance;
    }

    public double margin() {
        return margin;
    }

    public boolean swap() {
        return swap;
    }

    @Override
    protected Plan<?> plan(Tensor[] args) {
        // NOTE: PyTorch 1.13 leaves the dimension check to the distance function; 2.x requires equal
        // dimensions, as here.
        return TripletMarginLoss.plan(FN, args, distance, margin, swap, reduction());
    }

    @Override
    public String toString() {
        return name() + "(distance_function=" + distance + ", margin=" + margin + ", swap=" + swap + ", reduction="
                + reduction() + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private Distance distance = Distance.pairwise();
        private double margin = 1.0;
        private boolean swap;

        /** PyTorch's class has no legacy size_average/reduce. */
        public Builder() {
            super(SPEC, "distance_function", "margin", "swap", "reduction");
        }

        /** The distance (default {@link Distance#pairwise()}). */
        public Builder distanceFunction(Distance distance) {
            this.distance = distance;
            return this;
        }

        /** The margin, greater than 0 (default 1). */
        public Builder margin(double margin) {
            this.margin = margin;
            return this;
        }

        /** Use {@code min(d(a, n), d(p, n))} as the negative distance (default false). */
        public Builder swap(boolean swap) {
            this.swap = swap;
            return this;
        }

        public TripletMarginWithDistanceLoss build() {
            Reduction r = resolvedReduction(FN, false);
            Checks.check(distance != null, FN, "distance_function must not be null");
            TripletMarginLoss.checkMargin(FN, margin);
            return new TripletMarginWithDistanceLoss(r, distance, margin, swap);
        }
    }
}
