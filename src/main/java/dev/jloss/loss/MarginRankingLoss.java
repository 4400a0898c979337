package dev.jloss.loss;

import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec.Role;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.PointwiseTerm;

/**
 * Ranking hinge, PyTorch's {@code torch.nn.MarginRankingLoss}:
 * {@code l_i = max(0, -y_i (x1_i - x2_i) + margin)}, for targets {@code y_i} of 1 (x1 should rank
 * higher) or -1; then reduced. Arguments {@code input1}, {@code input2}, {@code target}, which must
 * have the same number of dimensions (as PyTorch checks) and then broadcast. Gradients
 * {@code -y_i} for input1 and {@code y_i} for input2 where the hinge is active ({@code >= 0}, as
 * PyTorch's clamp_min), else 0.
 *
 * <p>Example: input1 [1, 2], input2 [2, 1], target [1, 1], margin 0.5, {@code reduction=none}
 * gives [1.5, 0].
 */
public final class MarginRankingLoss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("MarginRankingLoss", "margin_ranking_loss").grad("input1").grad("input2")
            .arg("target", Role.VALUES).batch(Batching.BROADCAST, 1, true).mean(Mean.ELEMENTS).build();
    private static final String FN = SPEC.functionalName();
    private final double margin;

    private MarginRankingLoss(Reduction reduction, double margin) {
        super(reduction);
        this.margin = margin;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code margin} (0), {@code reduction}, {@code size_average}, {@code reduce}. */
    public static MarginRankingLoss fromOptions(Options o) {
        return builder().options(o, false).margin(o.getDouble("margin", 0.0)).build();
    }

    public double margin() {
        return margin;
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.MARGIN_RANKING;
    }

    @Override
    protected double p0() {
        return margin;
    }

    /** PyTorch demands the same number of dimensions before broadcasting. */
    @Override
    protected long[][] checkShapes(Tensor[] args) {
        for (int i = 1; i < 3; i++) {
            Checks.check(args[i].dim() == args[0].dim(), FN,
                    "%s has %d dimensions (shape %s), expected %d as input1 (shape %s): input1, input2 and target "
                            + "must have the same number of dimensions", argumentNames().get(i), args[i].dim(),
                    Checks.str(args[i].shape()), args[0].dim(), Checks.str(args[0].shape()));
        }
        return null;
    }

    @Override
    public String toString() {
        return "MarginRankingLoss(reduction=" + reduction() + ", margin=" + margin + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private double margin;

        /** The margin; default 0. */
        public Builder margin(double margin) {
            this.margin = margin;
            return this;
        }

        public MarginRankingLoss build() {
            return new MarginRankingLoss(resolvedReduction(FN, false), margin);
        }
    }
}
