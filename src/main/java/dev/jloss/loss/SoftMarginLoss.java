package dev.jloss.loss;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.PointwiseTerm;
import java.util.Arrays;

/**
 * Two-class logistic loss, PyTorch's {@code torch.nn.SoftMarginLoss}:
 * {@code l_i = log(1 + exp(-y_i x_i))} for targets {@code y_i} of 1 or -1, then reduced (mean over
 * the input's elements). The target broadcasts to the input's shape (the output has the input's
 * shape, so a target larger than the input is rejected as in PyTorch). Gradient
 * {@code -y_i sigmoid(-y_i x_i)}. Computed stably: where PyTorch's literal {@code log(1 + exp(z))}
 * overflows to inf (z above about 88 in float32), this gives the exact, finite value.
 *
 * <p>Example: input [0, 2], target [1, -1], {@code reduction=none} gives
 * [log 2, log(1 + e^2)] = [0.6931, 2.1269].
 */
public final class SoftMarginLoss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = PointwiseLoss.elementwise("SoftMarginLoss", "soft_margin_loss");
    private static final String FN = SPEC.functionalName();

    private SoftMarginLoss(Reduction reduction) {
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
    public static SoftMarginLoss fromOptions(Options o) {
        return builder().options(o, false).build();
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.SOFT_MARGIN;
    }

    /** PyTorch computes in place in an input-shaped output: the target must broadcast to the input's shape. */
    @Override
    protected long[][] checkShapes(Tensor[] args) {
        long[] in = args[0].shape();
        long[] both = Checks.broadcast(FN, "input", in, "target", args[1].shape());
        Checks.check(Arrays.equals(both, in), FN, "target with shape %s cannot be broadcast to the input's shape %s",
                Checks.str(args[1].shape()), Checks.str(in));
        return null;
    }

    public static final class Builder extends LossBuilder<Builder> {
        public SoftMarginLoss build() {
            return new SoftMarginLoss(resolvedReduction(FN, false));
        }
    }
}
