package dev.jloss.loss;

import dev.jloss.Reduction;

/**
 * Mean squared error, PyTorch's {@code torch.nn.MSELoss}: {@code l_i = (x_i - y_i)^2}, then
 * reduced; input and target broadcast. Gradient {@code 2 (x_i - y_i)} (over N for {@code mean}).
 *
 * <p>Example: input [1, 2, 3], target [1, 1, 1], {@code reduction=sum} gives 0 + 1 + 4 = 5.
 */
public final class MSELoss extends PointwiseLoss {

    private MSELoss(Reduction reduction) {
        super(reduction);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code reduction}, {@code size_average}, {@code reduce}. */
    public static MSELoss fromOptions(Options o) {
        return builder().options(o, false).build();
    }

    @Override
    public String name() {
        return "MSELoss";
    }

    @Override
    public String functionalName() {
        return "mse_loss";
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.MSE;
    }

    public static final class Builder extends LossBuilder<Builder> {
        public MSELoss build() {
            return new MSELoss(resolvedReduction("mse_loss", false));
        }
    }
}
