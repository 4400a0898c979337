package dev.jloss.loss;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.plan.PointwiseTerm;

/**
 * PyTorch's {@code torch.nn.SmoothL1Loss}: with {@code d = |x_i - y_i|},
 * {@code l_i = 0.5 d^2 / beta} where {@code d < beta}, else {@code d - 0.5 beta}; then reduced;
 * input and target broadcast. {@code beta = 0} is exactly {@link L1Loss}; a negative beta is rejected
 * as PyTorch does. Gradient {@code clamp((x_i - y_i) / beta, -1, 1)}.
 *
 * <p>Example: input [0, 0.5, 3], target [0, 0, 0], beta 1, {@code reduction=none} gives
 * [0, 0.125, 2.5].
 */
public final class SmoothL1Loss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = PointwiseLoss.elementwise("SmoothL1Loss", "smooth_l1_loss");
    private static final String FN = SPEC.functionalName();
    private final double beta;

    private SmoothL1Loss(Reduction reduction, double beta) {
        super(reduction);
        this.beta = beta;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code beta} (1.0), {@code reduction}, {@code size_average}, {@code reduce}. */
    public static SmoothL1Loss fromOptions(Options o) {
        return builder().options(o, false).beta(o.getDouble("beta", 1.0)).build();
    }

    public double beta() {
        return beta;
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.SMOOTH_L1;
    }

    @Override
    protected double p0() {
        return beta;
    }

    @Override
    public String toString() {
        return "SmoothL1Loss(reduction=" + reduction() + ", beta=" + beta + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private double beta = 1.0;

        /** The L1/L2 switch point, {@code >= 0}; default 1.0. */
        public Builder beta(double beta) {
            this.beta = beta;
            return this;
        }

        public SmoothL1Loss build() {
            Checks.check(beta >= 0, FN, "beta is %s, expected a value >= 0 (negative beta is not supported)", beta);
            return new SmoothL1Loss(resolvedReduction(FN, false), beta);
        }
    }
}
