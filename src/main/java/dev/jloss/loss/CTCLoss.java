package dev.jloss.loss;

import dev.jloss.Loss;
import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec.Role;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.CTCLossPlan;

/**
 * Connectionist temporal classification, PyTorch's {@code torch.nn.CTCLoss}: the negative log of the
 * total probability of every frame-wise alignment that collapses (merge repeats, then drop blanks)
 * to the target sequence.
 *
 * <p>With {@code l'} the target with a blank before, between and after its labels
 * ({@code |l'| = 2L + 1}) and {@code y_t(k) = log_probs[t, k]}, the forward variables are
 * <pre>
 *   alpha_0(0) = y_0(blank),  alpha_0(1) = y_0(l'_1),  alpha_0(s) = -inf otherwise
 *   alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), [l'_s != l'_{s-2}] alpha_{t-1}(s-2)) + y_t(l'_s)
 *   loss       = -logsumexp(alpha_{T'-1}(2L), alpha_{T'-1}(2L-1))       (T' = input_lengths[n])
 * </pre>
 * An alignment that cannot exist (a repeated label needs a blank between its copies, so
 * {@code T' < L + repeats}) gives {@code +inf}; {@code zero_infinity} turns such a loss and its
 * gradient into 0. {@code T' = 0} gives 0 for an empty target and {@code +inf} otherwise (PyTorch
 * 2.x's rule; 1.13 reads uninitialised memory there).
 *
 * <p>Reduction: {@code none} gives the per-sample losses ({@code (N)}, or 0-d for unbatched input);
 * {@code sum} adds them; {@code mean} divides each by its target length clamped to at least 1, then
 * averages over the batch.
 *
 * <p>Gradient: PyTorch's, with the backward variables {@code beta} and {@code nll} the loss,
 * <pre>
 *   grad[t, n, c] = exp(y_t(c)) - exp(log(sum over s with l'_s = c of exp(alpha_t(s) + beta_t(s))) + nll - y_t(c))
 * </pre>
 * for {@code t < T'}, 0 after, times the upstream gradient. NOTE: this is the gradient with respect to
 * the logits behind a log_softmax, as PyTorch returns it; it is not the partial derivative with
 * respect to arbitrary {@code log_probs} (they differ by {@code exp(y_t(c))}, which log_softmax's own
 * backward cancels).
 *
 * <p>Arguments: {@code log_probs} {@code (T, N, C)} or unbatched {@code (T, C)}, float32;
 * {@code targets} padded {@code (N, S)} (row {@code n} holds {@code target_lengths[n]} labels) or
 * concatenated {@code (sum(target_lengths))}, int64, int32 or float32 (truncated to integers, as
 * PyTorch converts them); {@code input_lengths} and {@code target_lengths} int64 or int32 with
 * {@code N} elements (any shape, as PyTorch reads them flat; 0-d for unbatched input).
 *
 * <p>Example: {@code log_probs} with {@code T = 2}, {@code N = 1}, {@code C = 2}, every entry
 * {@code log(0.5)}, target {@code [1]}, lengths {@code [2]} and {@code [1]}: the alignments
 * {@code "1 1"}, {@code "1 -"}, {@code "- 1"} each have probability 0.25, so {@code reduction=sum}
 * gives {@code -log(0.75) = 0.28768}.
 */
public final class CTCLoss extends Loss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("CTCLoss", "ctc_loss").grad("log_probs").arg("targets", Role.LABELS)
            .arg("input_lengths", Role.INPUT_LENGTHS).arg("target_lengths", Role.TARGET_LENGTHS)
            .batch(Batching.TIME_MAJOR, 3, false).mean(Mean.PER_TARGET_LENGTH).build();
    private static final String FN = SPEC.functionalName();

    private final long blank;
    private final boolean zeroInfinity;

    private CTCLoss(Reduction reduction, long blank, boolean zeroInfinity) {
        super(reduction);
        this.blank = blank;
        this.zeroInfinity = zeroInfinity;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code blank}, {@code reduction}, {@code zero_infinity}. */
    public static CTCLoss fromOptions(Options o) {
        return builder().options(o, false)
                .blank(o.getLong("blank", 0))
                .zeroInfinity(o.getBool("zero_infinity", false))
                .build();
    }

    public long blank() {
        return blank;
    }

    public boolean zeroInfinity() {
        return zeroInfinity;
    }

    @Override
    protected Plan<?> plan(Tensor[] args) {
        Tensor logProbs = args[0];
        Tensor targets = args[1];
        Tensor inputLengths = args[2];
        Tensor targetLengths = args[3];
        Checks.floatTensor(FN, "log_probs", logProbs);
        Checks.dims(FN, "log_probs", logProbs, 3, 2);
        boolean batched = logProbs.dim() == 3;
        long[] lpShape = logProbs.shape();
        long maxTime = lpShape[0];
        long batch = batched ? lpShape[1] : 1;
        long classes = lpShape[lpShape.length - 1];
        Checks.check(maxTime > 0, FN, "log_probs has shape %s with 0 time steps, expected at least 1",
                Checks.str(lpShape));
        Checks.check(blank >= 0 && blank < classes, FN, "blank is %d, expected a class index in [0, %d) "
                + "(log_probs has shape %s)", blank, classes, Checks.str(lpShape));

        Checks.dims(FN, "targets", targets, 2, 1);
        boolean concatenated = targets.dim() == 1;
        long targetCapacity;
        if (concatenated) {
            targetCapacity = targets.size(0);
        } else {
            Checks.check(targets.size(0) == batch, FN, "targets has shape %s, expected %d rows (the batch size of "
                    + "log_probs %s)", Checks.str(targets.shape()), batch, Checks.str(lpShape));
            targetCapacity = targets.size(1);
        }
        lengths("input_lengths", inputLengths, batch, lpShape);
        lengths("target_lengths", targetLengths, batch, lpShape);

        CTCLossPlan p = new CTCLossPlan(FN, batched, maxTime, batch, classes, blank, concatenated, targetCapacity,
                reduction(), zeroInfinity);
        long[] outputShape = reduction() == Reduction.NONE && batched ? new long[] {batch} : new long[0];
        return new Plan<>(CTCLossPlan.FAMILY, p, outputShape);
    }

    /** Lengths are integers, read flat as PyTorch does: any shape with one element per sample. */
    private static void lengths(String arg, Tensor t, long batch, long[] lpShape) {
        Checks.indexTensor(FN, arg, t);
        Checks.check(t.numel() == batch, FN, "%s has shape %s (%d elements), expected %d elements (the batch size "
                + "of log_probs %s)", arg, Checks.str(t.shape()), t.numel(), batch, Checks.str(lpShape));
    }

    @Override
    public String toString() {
        return "CTCLoss(blank=" + blank + ", reduction=" + reduction() + ", zero_infinity=" + zeroInfinity + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private long blank;
        private boolean zeroInfinity;

        /** CTCLoss has no legacy size_average/reduce: PyTorch rejects them as unknown keywords. */
        public Builder() {
            super(SPEC, "blank", "reduction", "zero_infinity");
        }

        /** The blank label's class index (default 0); must be below the class count C. */
        public Builder blank(long blank) {
            this.blank = blank;
            return this;
        }

        /** Whether an infeasible alignment's {@code +inf} loss (and its gradient) becomes 0 (default false). */
        public Builder zeroInfinity(boolean zeroInfinity) {
            this.zeroInfinity = zeroInfinity;
            return this;
        }

        public CTCLoss build() {
            Checks.check(blank >= 0, FN, "blank is %d, expected a class index >= 0", blank);
            return new CTCLoss(resolvedReduction(FN, false), blank, zeroInfinity);
        }
    }
}
