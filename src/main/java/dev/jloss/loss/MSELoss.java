package dev.jloss.loss;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.plan.PointwiseTerm;

/**
 * Mean squared error, PyTorch's {@code torch.nn.MSELoss}: {@code l_i = (x_i - y_i)^2}, then
 * reduced; input and target broadcast. Gradient {@code 2 (x_i - y_i)} (over N for {@code mean}).
 *
 * <p>Example: input [1, 2, 3], target [1, 1, 1], {@code reduction=sum} gives 0 + 1 + 4 = 5.
 */
public final class MSELoss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = PointwiseLoss.elementwise("MSELoss", "mse_loss");

    private MSELoss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code reduction}, {@code size_average}, {@code reduce}. */
    public static MSELoss fromOptions(Options o) {
        return builder().options(o, false).build();
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.MSE;
    }

    public static final class Builder extends LossBuilder<Builder> {
        public MSELoss build() {
            return new MSELoss(resolvedReduction(SPEC.functionalName(), false));
        }
    }
}
