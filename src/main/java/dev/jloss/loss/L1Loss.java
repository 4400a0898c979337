package dev.jloss.loss;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.plan.PointwiseTerm;

/**
 * Mean absolute error, PyTorch's {@code torch.nn.L1Loss}: {@code l_i = |x_i - y_i|}, then reduced;
 * input and target broadcast. Gradient {@code sign(x_i - y_i)} (0 where they are equal, and at NaN as
 * PyTorch's sign), over N for {@code mean}.
 *
 * <p>Example (the seed article's): input [[3, 0, 3], [3, 0, 3]], target [[2, 0, 3], [2, 0, 0]] give
 * {@code none} [[1, 0, 0], [1, 0, 3]], {@code sum} 5 and {@code mean} 5/6 = 0.8333.
 */
public final class L1Loss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = PointwiseLoss.elementwise("L1Loss", "l1_loss");
    private static final String FN = SPEC.functionalName();

    private L1Loss(Reduction reduction) {
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
    public static L1Loss fromOptions(Options o) {
        return builder().options(o, false).build();
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.L1;
    }

    public static final class Builder extends LossBuilder<Builder> {
        public L1Loss build() {
            return new L1Loss(resolvedReduction(FN, false));
        }
    }
}
