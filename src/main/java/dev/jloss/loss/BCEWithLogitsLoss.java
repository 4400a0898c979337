package dev.jloss.loss;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.PointwiseTerm;

/**
 * Binary cross entropy on logits, PyTorch's {@code torch.nn.BCEWithLogitsLoss}:
 * {@code l_i = w_i ((1 - y_i) x_i + (1 + (p_i - 1) y_i) softplus(-x_i))}, i.e.
 * {@code -w_i (p_i y_i log sigmoid(x_i) + (1 - y_i) log(1 - sigmoid(x_i)))}, with softplus computed
 * stably (exact for logits in the thousands). Target must have exactly the input's shape; the
 * optional {@code weight} and {@code pos_weight} broadcast to it ({@code pos_weight} usually one
 * value per class along the last dimension). Gradient
 * {@code w_i ((p_i y_i + 1 - y_i) sigmoid(x_i) - p_i y_i)}.
 *
 * <p>Example: input [0, 3000, -3000], target [1, 0, 1], {@code reduction=none} gives
 * [log 2, 3000, 3000] = [0.6931, 3000, 3000]; with {@code pos_weight=[2]}: [1.3863, 3000, 6000].
 */
public final class BCEWithLogitsLoss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = PointwiseLoss.elementwise("BCEWithLogitsLoss", "binary_cross_entropy_with_logits");
    private static final String FN = SPEC.functionalName();
    private final HostArray weight;
    private final HostArray posWeight;

    private BCEWithLogitsLoss(Reduction reduction, HostArray weight, HostArray posWeight) {
        super(reduction);
        this.weight = weight;
        this.posWeight = posWeight;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * From PyTorch's constructor arguments: {@code weight}, {@code reduction}, {@code size_average},
     * {@code reduce}, {@code pos_weight}.
     */
    public static BCEWithLogitsLoss fromOptions(Options o) {
        return builder().options(o, false).weight(o.getArray("weight")).posWeight(o.getArray("pos_weight")).build();
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.BCE_WITH_LOGITS;
    }

    /** 1 with a pos_weight: PyTorch then weighs softplus by (pw - 1) y + 1, which is NaN at y = inf. */
    @Override
    protected double p0() {
        return posWeight != null ? 1 : 0;
    }

    @Override
    protected HostArray weight() {
        return weight;
    }

    @Override
    protected HostArray posWeight() {
        return posWeight;
    }

    /** PyTorch raises unless target's size equals input's (it does not broadcast them). */
    @Override
    protected long[][] checkShapes(Tensor[] args) {
        Checks.check(java.util.Arrays.equals(args[1].shape(), args[0].shape()), FN,
                "target has shape %s, expected %s (the input's shape)", Checks.str(args[1].shape()),
                Checks.str(args[0].shape()));
        return null;
    }

    @Override
    public String toString() {
        return "BCEWithLogitsLoss(reduction=" + reduction() + (weight == null ? "" : ", weight=" + weight)
                + (posWeight == null ? "" : ", pos_weight=" + posWeight) + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private HostArray weight;
        private HostArray posWeight;

        /** A 1-D weight, broadcast to the input's shape (so its length is the last dimension's). */
        public Builder weight(float... weight) {
            this.weight = weight == null ? null : HostArray.of(weight);
            return this;
        }

        /** A weight of any shape that broadcasts to the input's shape; null for none. */
        public Builder weight(HostArray weight) {
            this.weight = weight;
            return this;
        }

        /** The weight of positive examples, one per class (the input's last dimension). */
        public Builder posWeight(float... posWeight) {
            this.posWeight = posWeight == null ? null : HostArray.of(posWeight);
            return this;
        }

        /** A pos_weight of any shape that broadcasts to the input's shape; null for none. */
        public Builder posWeight(HostArray posWeight) {
            this.posWeight = posWeight;
            return this;
        }

        public BCEWithLogitsLoss build() {
            return new BCEWithLogitsLoss(resolvedReduction(FN, false), weight, posWeight);
        }
    }
}
