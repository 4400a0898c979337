package dev.jloss.loss;

import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec.Role;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.plan.PointwiseTerm;

/**
 * Negative log likelihood of a Poisson-distributed target, PyTorch's {@code torch.nn.PoissonNLLLoss}.
 * With {@code log_input} (the default) the input is the log of the rate:
 * {@code l_i = exp(x_i) - y_i x_i}, gradient {@code exp(x_i) - y_i}; otherwise the rate itself:
 * {@code l_i = x_i - y_i log(x_i + eps)}, gradient {@code 1 - y_i / (x_i + eps)}. With {@code full},
 * Stirling's approximation of {@code log(y_i!)},
 * {@code y_i log y_i - y_i + 0.5 log(2 pi y_i)}, is added where {@code y_i > 1}. Input and target
 * broadcast. The forward arguments are named {@code log_input} and {@code target}, as PyTorch's.
 *
 * <p>Example: log_input [0, 1], target [1, 2], {@code reduction=none} gives
 * [1, e - 2] = [1, 0.7183]; with {@code full} [1, 1.3701].
 */
public final class PoissonNLLLoss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("PoissonNLLLoss", "poisson_nll_loss").grad("log_input").arg("target", Role.VALUES)
            .batch(Batching.BROADCAST, 1, true).mean(Mean.ELEMENTS).build();
    private static final String FN = SPEC.functionalName();
    private final boolean logInput;
    private final boolean full;
    private final double eps;

    private PoissonNLLLoss(Reduction reduction, boolean logInput, boolean full, double eps) {
        super(reduction);
        this.logInput = logInput;
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

    /**
     * From PyTorch's constructor arguments: {@code log_input} (true), {@code full} (false),
     * {@code size_average}, {@code eps} (1e-8), {@code reduce}, {@code reduction}.
     */
    public static PoissonNLLLoss fromOptions(Options o) {
        return builder().options(o, false).logInput(o.getBool("log_input", true)).full(o.getBool("full", false))
                .eps(o.getDouble("eps", 1e-8)).build();
    }

    public boolean logInput() {
        return logInput;
    }

    public boolean full() {
        return full;
    }

    public double eps() {
        return eps;
    }

    @Override
    protected PointwiseTerm term() {
        return logInput ? PointwiseTerm.POISSON_NLL_LOG_INPUT : PointwiseTerm.POISSON_NLL;
    }

    @Override
    protected double p0() {
        return eps;
    }

    @Override
    protected double p1() {
        return full ? 1 : 0;
    }

    @Override
    public String toString() {
        return "PoissonNLLLoss(reduction=" + reduction() + ", log_input=" + logInput + ", full=" + full + ", eps="
                + eps + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private boolean logInput = true;
        private boolean full;
        private double eps = 1e-8;

        /** Whether the input is the log of the rate (default true) or the rate. */
        public Builder logInput(boolean logInput) {
            this.logInput = logInput;
            return this;
        }

        /** Whether to add Stirling's term where the target exceeds 1; default false. */
        public Builder full(boolean full) {
            this.full = full;
            return this;
        }

        /** Added to the rate inside the log when {@code log_input} is false; default 1e-8. */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        public PoissonNLLLoss build() {
            return new PoissonNLLLoss(resolvedReduction(FN, false), logInput, full, eps);
        }
    }
}
