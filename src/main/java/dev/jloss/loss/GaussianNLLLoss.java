package dev.jloss.loss;

import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec.Role;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.PointwiseTerm;
import java.util.Arrays;

/**
 * Negative log likelihood of a Gaussian target, PyTorch's {@code torch.nn.GaussianNLLLoss}: with
 * {@code v_i = max(var_i, eps)}, {@code l_i = 0.5 (log v_i + (x_i - y_i)^2 / v_i)}, plus
 * {@code 0.5 log(2 pi)} with {@code full}; then reduced. Arguments {@code input}, {@code target},
 * {@code var}; gradients for {@code input} ({@code (x_i - y_i) / v_i}) and {@code var}
 * ({@code 0.5 (1 / v_i - (x_i - y_i)^2 / v_i^2)}, passed through the clamp as PyTorch's no-grad
 * clamp does). Input and target broadcast; {@code var} has the input's shape (one variance per
 * element), or the input's shape without its last dimension, or with last dimension 1 (one variance
 * per row). A negative variance is rejected as the data is read. No {@code size_average}/{@code reduce}.
 *
 * <p>Example: input [1, 2], target [0, 0], var [1, 4], {@code reduction=none} gives
 * [0.5, 0.5 (log 4 + 1)] = [0.5, 1.1931].
 */
public final class GaussianNLLLoss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("GaussianNLLLoss", "gaussian_nll_loss").grad("input").arg("target", Role.VALUES)
            .grad("var", Role.VALUES_TRAILING_OPTIONAL).batch(Batching.BROADCAST, 1, true).mean(Mean.ELEMENTS).build();
    private static final String FN = SPEC.functionalName();
    private final boolean full;
    private final double eps;

    private GaussianNLLLoss(Reduction reduction, boolean full, double eps) {
        super(reduction);
        this.full = full;
        this.eps = eps;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code full} (false), {@code eps} (1e-6), {@code reduction}. */
    public static GaussianNLLLoss fromOptions(Options o) {
        return builder().options(o, false).full(o.getBool("full", false)).eps(o.getDouble("eps", 1e-6)).build();
    }

    public boolean full() {
        return full;
    }

    public double eps() {
        return eps;
    }

    @Override
    protected PointwiseTerm term() {
        return PointwiseTerm.GAUSSIAN_NLL;
    }

    @Override
    protected double p0() {
        return eps;
    }

    @Override
    protected double p1() {
        return full ? 1 : 0;
    }

    /**
     * PyTorch's var rules: var of the input's shape; or the input's shape without its last dimension
     * (then read as if unsqueezed to last dimension 1); or the input's shape with last dimension 1.
     */
    @Override
    protected long[][] checkShapes(Tensor[] args) {
        long[] in = args[0].shape();
        long[] var = args[2].shape();
        if (!Arrays.equals(var, in)) {
            long[] inHead = Arrays.copyOf(in, Math.max(in.length - 1, 0));
            if (Arrays.equals(inHead, var)) {
                var = Arrays.copyOf(var, var.length + 1);
                var[var.length - 1] = 1;
            } else if (!(var.length > 0 && var[var.length - 1] == 1
                    && Arrays.equals(inHead, Arrays.copyOf(var, var.length - 1)))) {
                long[] lastOne = in.clone();
                if (lastOne.length > 0) {
                    lastOne[lastOne.length - 1] = 1;
                }
                throw Checks.fail(FN, "var has shape %s, expected %s (the input's), %s (the input's without its last "
                        + "dimension) or %s (last dimension 1)", Checks.str(args[2].shape()), Checks.str(in),
                        Checks.str(inHead), Checks.str(lastOne));
            }
        }
        return new long[][] {in, args[1].shape(), var};
    }

    @Override
    public String toString() {
        return "GaussianNLLLoss(reduction=" + reduction() + ", full=" + full + ", eps=" + eps + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private boolean full;
        private double eps = 1e-6;

        /** GaussianNLLLoss has no legacy size_average/reduce (PyTorch rejects them). */
        public Builder() {
            super(SPEC, "full", "eps", "reduction");
        }

        /** Whether to add the constant {@code 0.5 log(2 pi)}; default false. */
        public Builder full(boolean full) {
            this.full = full;
            return this;
        }

        /** The variance is clamped to at least eps; default 1e-6. */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        public GaussianNLLLoss build() {
            return new GaussianNLLLoss(resolvedReduction(FN, false), full, eps);
        }
    }
}
