package dev.jloss.loss;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.PointwiseTerm;

/**
 * Binary cross entropy on probabilities, PyTorch's {@code torch.nn.BCELoss}:
 * {@code l_i = -w_i (y_i max(log x_i, -100) + (1 - y_i) max(log(1 - x_i), -100))}, then reduced.
 * Target must have exactly the input's shape; the optional {@code weight} broadcasts to it. Every
 * input must lie in [0, 1] (checked as the data is read; the error names the element). Gradient
 * {@code w_i (x_i - y_i) / max(x_i (1 - x_i), 1e-12)}, PyTorch's, finite at 0 and 1.
 *
 * <p>Example: input [0.5, 0.9], target [1, 0], {@code reduction=none} gives
 * [log 2, -log 0.1] = [0.6931, 2.3026]; {@code mean} 1.4979.
 */
public final class BCELoss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = PointwiseLoss.elementwise("BCELoss", "binary_cross_entropy");
    private static final String FN = SPEC.functionalName();
    private final HostArray weight;

    private BCELoss(Reduction reduction, HostArray weight) {
        super(reduction);
        this.weight = weight;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code weight}, {@code reduction}, {@code size_average}, {@code reduce}. */
    public static BCELoss fromOptions(Options o) {
        return builder().options(o, false).weight(o.getArray("weight")).build();
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.BCE;
    }

    @Override
    protected HostArray weight() {
        return weight;
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
        return "BCELoss(reduction=" + reduction() + (weight == null ? "" : ", weight=" + weight) + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private HostArray weight;

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

        public BCELoss build() {
            return new BCELoss(resolvedReduction(FN, false), weight);
        }
    }
}
