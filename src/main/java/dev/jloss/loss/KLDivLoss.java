package dev.jloss.loss;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.plan.PointwiseTerm;

/**
 * Kullback-Leibler divergence, PyTorch's {@code torch.nn.KLDivLoss}, with the input given as
 * log-probabilities: {@code l_i = y_i (log y_i - x_i)}, where {@code 0 log 0 = 0} (xlogy) and a
 * negative target gives NaN as in PyTorch; with {@code log_target} the target is a log-probability
 * too: {@code l_i = exp(y_i) (y_i - x_i)}. Input and target broadcast. Reductions: none, mean (over
 * all elements), sum, and {@code batchmean}, the true KL divergence per sample: the sum divided by
 * the input's first size (not divided for a 0-d input). Gradient {@code -y_i} (or {@code -exp(y_i)}).
 *
 * <p>Example (the seed article's): input [[0.1132, 0.5477, 0.3390], [0.1132, 0.5477, 0.3390]],
 * target [[0.8541, 0.0511, 0.0947], [0.1132, 0.5477, 0.3390]]: {@code none} gives
 * [[-0.2314, -0.1800, -0.2553], [-0.2594, -0.6297, -0.4816]], {@code mean} -0.3396 and
 * {@code batchmean} -1.0187.
 */
public final class KLDivLoss extends PointwiseLoss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = PointwiseLoss.elementwise("KLDivLoss", "kl_div");
    private static final String FN = SPEC.functionalName();
    private final boolean logTarget;

    private KLDivLoss(Reduction reduction, boolean logTarget) {
        super(reduction);
        this.logTarget = logTarget;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * From PyTorch's constructor arguments: {@code reduction} (none, mean, sum or batchmean),
     * {@code size_average}, {@code reduce}, {@code log_target} (false).
     */
    public static KLDivLoss fromOptions(Options o) {
        return builder().options(o, true).logTarget(o.getBool("log_target", false)).build();
    }

    public boolean logTarget() {
        return logTarget;
    }

    @Override
    protected PointwiseTerm term() {
        return logTarget ? PointwiseTerm.KL_DIV_LOG_TARGET : PointwiseTerm.KL_DIV;
    }

    @Override
    public String toString() {
        return "KLDivLoss(reduction=" + reduction() + ", log_target=" + logTarget + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private boolean logTarget;

        /** Whether the target is given as log-probabilities; default false. */
        public Builder logTarget(boolean logTarget) {
            this.logTarget = logTarget;
            return this;
        }

        public KLDivLoss build() {
            return new KLDivLoss(resolvedReduction(FN, true), logTarget);
        }
    }
}
