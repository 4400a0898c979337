package dev.jloss.loss;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.plan.PointwiseTerm;

/**
 * PyTorch's {@code torch.nn.HingeEmbeddingLoss}, for an input that is a distance and targets of 1
 * (similar) or -1 (dissimilar): {@code l_i = x_i} where {@code y_i = 1},
 * {@code max(0, margin - x_i)} where {@code y_i = -1}; as PyTorch composes it, a target of any other
 * value gets both terms. Input and target broadcast. Gradient 1 for {@code y_i != -1}, plus -1 for
 * {@code y_i != 1} where {@code margin - x_i >= 0}.
 *
 * <p>Example: input [0.3, 0.3, 2], target [1, -1, -1], margin 1, {@code reduction=none} gives
 * [0.3, 0.7, 0].
 */
public final class HingeEmbeddingLoss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = PointwiseLoss.elementwise("HingeEmbeddingLoss", "hinge_embedding_loss");
    private static final String FN = SPEC.functionalName();
    private final double margin;

    private HingeEmbeddingLoss(Reduction reduction, double margin) {
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

    /** From PyTorch's constructor arguments: {@code margin} (1.0), {@code reduction}, {@code size_average}, {@code reduce}. */
    public static HingeEmbeddingLoss fromOptions(Options o) {
        return builder().options(o, false).margin(o.getDouble("margin", 1.0)).build();
    }

    public double margin() {
        return margin;
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.HINGE_EMBEDDING;
    }

    @Override
    protected double p0() {
        return margin;
    }

    @Override
    public String toString() {
        return "HingeEmbeddingLoss(reduction=" + reduction() + ", margin=" + margin + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private double margin = 1.0;

        /** The margin for dissimilar pairs; default 1.0. */
        public Builder margin(double margin) {
            this.margin = margin;
            return this;
        }

        public HingeEmbeddingLoss build() {
            return new HingeEmbeddingLoss(resolvedReduction(FN, false), margin);
        }
    }
}
