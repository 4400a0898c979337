package dev.jloss.loss;

import dev.jloss.Distance;
import dev.jloss.Loss;
import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.RowBroadcast;
import dev.jloss.plan.TripletMarginLossPlan;
import java.util.Arrays;

/**
 * Triplet margin loss, PyTorch's {@code torch.nn.TripletMarginLoss}: for rows {@code a}, {@code p},
 * {@code n} of anchor, positive and negative,
 * <pre>
 *   d(x, y) = ||x - y + eps||_p          (PyTorch's pairwise_distance: eps is added to each difference)
 *   l = max(0, margin + d(a, p) - d(a, n))
 * </pre>
 * with {@code d(a, n)} replaced by {@code min(d(a, n), d(p, n))} when {@code swap}, then reduced over
 * the rows. Inputs are {@code (N, D)} or unbatched {@code (D)} (any equal number of dimensions,
 * broadcasting as PyTorch does); all three get gradients.
 *
 * <p>Example: anchor [[0, 0]], positive [[3, 4]], negative [[0, 1]], margin 1, p 2, eps 0:
 * d(a, p) = 5, d(a, n) = 1, loss 5; with negative [[0, 7]] it is 0.
 */
public final class TripletMarginLoss extends Loss {

    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("TripletMarginLoss", "triplet_margin_loss").grad("anchor").grad("positive").grad("negative")
            .batch(Batching.LEADING, 2, true).mean(Mean.ELEMENTS).build();
    private static final String FN = SPEC.functionalName();

    private final double margin;
    private final double p;
    private final double eps;
    private final boolean swap;

    private TripletMarginLoss(Reduction reduction, double margin, double p, double eps, boolean swap) {
        super(reduction);
        this.margin = margin;
        this.p = p;
        this.eps = eps;
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
     * From PyTorch's constructor arguments: {@code margin}, {@code p}, {@code eps}, {@code swap},
     * {@code reduction}, {@code size_average}, {@code reduce}.
     */
    public static TripletMarginLoss fromOptions(Options o) {
        return builder().options(o, false)
                .margin(o.getDouble("margin", 1.0))
                .p(o.getDouble("p", 2.0))
                .eps(o.getDouble("eps", Distance.PAIRWISE_EPS))
                .swap(o.getBool("swap", false))
                .build();
    }

    public double margin() {
        return margin;
    }

    public double p() {
        return p;
    }

    public double eps() {
        return eps;
    }

    public boolean swap() {
        return swap;
    }

    @Override
    protected Plan<?> plan(Tensor[] args) {
        return plan(FN, args, Distance.pairwise(p, eps), margin, swap, reduction());
    }

    /**
     * The validated plan of either triplet loss: float operands of one number of dimensions whose
     * leading dimensions broadcast together and whose rows broadcast pairwise for each distance taken.
     */
    static Plan<TripletMarginLossPlan> plan(String fn, Tensor[] args, Distance distance, double margin, boolean swap,
                                        Reduction reduction) {
        String[] names = {"anchor", "positive", "negative"};
        for (int k = 0; k < 3; k++) {
            Checks.floatTensor(fn, names[k], args[k]);
        }
        Tensor a = args[0];
        Tensor p = args[1];
        Tensor n = args[2];
        Checks.check(a.dim() == p.dim() && p.dim() == n.dim(), fn,
                "anchor, positive and negative must have the same number of dimensions, got anchor %d-D %s, "
                        + "positive %d-D %s, negative %d-D %s",
                a.dim(), Checks.str(a.shape()), p.dim(), Checks.str(p.shape()), n.dim(), Checks.str(n.shape()));
        long[][] full = new long[3][];
        long[][] lead = new long[3][];
        long[] cols = new long[3];
        for (int k = 0; k < 3; k++) {
            long[] s = args[k].shape();
            full[k] = s;
            // a 0-d operand is one row of one element, like PyTorch's norm over dim -1 of a scalar
            lead[k] = s.length == 0 ? s : Arrays.copyOf(s, s.length - 1);
            cols[k] = s.length == 0 ? 1 : s[s.length - 1];
        }
        RowBroadcast layout = RowBroadcast.of(fn, names, full, lead, cols);
        int[][] pairs = swap ? new int[][] {{0, 1}, {0, 2}, {1, 2}} : new int[][] {{0, 1}, {0, 2}};
        for (int[] q : pairs) {
            long dx = cols[q[0]];
            long dy = cols[q[1]];
            Checks.check(dx == dy || dx == 1 || dy == 1, fn,
                    "%s with shape %s and %s with shape %s cannot be broadcast together (row lengths %d and %d)",
                    names[q[0]], Checks.str(full[q[0]]), names[q[1]], Checks.str(full[q[1]]), dx, dy);
        }
        long[] outputShape = reduction == Reduction.NONE ? layout.shape() : new long[0];
        return new Plan<>(TripletMarginLossPlan.FAMILY,
                new TripletMarginLossPlan(fn, layout, distance, margin, swap, reduction), outputShape);
    }

    /** PyTorch (2.3 and later) rejects a margin that is not positive. */
    static void checkMargin(String fn, double margin) {
        Checks.check(!(margin <= 0), fn, "margin is %s, expected a value greater than 0", margin);
    }

    @Override
    public String toString() {
        return name() + "(margin=" + margin + ", p=" + p + ", eps=" + eps + ", swap=" + swap + ", reduction="
                + reduction() + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private double margin = 1.0;
        private double p = 2.0;
        private double eps = Distance.PAIRWISE_EPS;
        private boolean swap;

        /** The margin, greater than 0 (default 1). */
        public Builder margin(double margin) {
            this.margin = margin;
            return this;
        }

        /** The norm's order (default 2): any real, 0, or an infinity, as {@code torch.norm}. */
        public Builder p(double p) {
            this.p = p;
            return this;
        }

        /** Added to each difference before the norm (default 1e-6). */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        /** Use {@code min(d(a, n), d(p, n))} as the negative distance (default false). */
        public Builder swap(boolean swap) {
            this.swap = swap;
            return this;
        }

        public TripletMarginLoss build() {
            Reduction r = resolvedReduction(FN, false);
            checkMargin(FN, margin);
            return new TripletMarginLoss(r, margin, p, eps, swap);
        }
    }
}
