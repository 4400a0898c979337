package dev.jloss.loss;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.plan.PointwiseTerm;

/**
 * PyTorch's {@code torch.nn.HuberLoss}: with {@code d = |x_i - y_i|}, {@code l_i = 0.5 d^2} where
 * {@code d < delta}, else {@code delta (d - 0.5 delta)}; then reduced; input and target broadcast.
 * {@code delta} must be positive. Gradient {@code clamp(x_i - y_i, -delta, delta)}. Unlike the older
 * losses it has no {@code size_average}/{@code reduce} options (PyTorch rejects them).
 *
 * <p>Example: input [0, 0.5, 3], target [0, 0, 0], delta 2, {@code reduction=none} gives
 * [0, 0.125, 4].
 */
public final class HuberLoss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = PointwiseLoss.elementwise("HuberLoss", "huber_loss");
    private static final String FN = SPEC.functionalName();
    private final double delta;

    private HuberLoss(Reduction reduction, double delta) {
        super(reduction);
        this.delta = delta;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code reduction} and {@code delta} (1.0). */
    public static HuberLoss fromOptions(Options o) {
        return builder().options(o, false).delta(o.getDouble("delta", 1.0)).build();
    }

    public double delta() {
        return delta;
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.HUBER;
    }

    @Override
    protected double p0() {
        return delta;
    }

    @Override
    public String toString() {
        return "HuberLoss(reduction=" + reduction() + ", delta=" + delta + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private double delta = 1.0;

        /** HuberLoss has no legacy size_average/reduce (PyTorch rejects them). */
        public Builder() {
            super(SPEC, "reduction", "delta");
        }

        /** The quadratic/linear switch point, {@code > 0}; default 1.0. */
        public Builder delta(double delta) {
            this.delta = delta;
            return this;
        }

        public HuberLoss build() {
            Checks.check(delta > 0, FN, "delta is %s, expected a value > 0", delta);
            return new HuberLoss(resolvedReduction(FN, false), delta);
        }
    }
}
