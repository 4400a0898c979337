package dev.jloss.loss;

import dev.jloss.Loss;
import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec.Role;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.NLLLossPlan;

/**
 * Negative log-likelihood, PyTorch's {@code torch.nn.NLLLoss}: for log-probabilities {@code x} and a
 * class index {@code y_n} per position, {@code l_n = -w[y_n] x[n, y_n]}, and {@code l_n = 0} (weight
 * 0) where {@code y_n == ignore_index}. {@code mean} divides the sum by {@code sum_n w[y_n]} over the
 * positions not ignored (NaN when that is 0: every target ignored, or an empty batch); {@code sum}
 * adds. Gradient: {@code -w[y_n]} (over the weight sum for {@code mean}) at {@code x[n, y_n]}, 0 elsewhere.
 *
 * <p>Shapes: input {@code (C)} with a 0-d target, {@code (N, C)} with {@code (N)}, or
 * {@code (N, C, d1, ..., dk)} with {@code (N, d1, ..., dk)}; targets int64 or int32. A target outside
 * {@code [0, C)} that is not {@code ignore_index} is rejected while the kernel reads it.
 *
 * <p>Example (the seed article): input [[0.6, 0.2, 0.2], [0.4, 1.2, 0.4]], target [0, 1],
 * weight [0.6, 0.2, 0.2], {@code reduction=mean}: (-0.6 * 0.6 - 0.2 * 1.2) / (0.6 + 0.2) = -0.75.
 */
public final class NLLLoss extends Loss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("NLLLoss", "nll_loss").grad("input").arg("target", Role.CLASS_INDICES)
            .batch(Batching.LEADING, 2, false).mean(Mean.CLASS_WEIGHTS).build();
    private static final String FN = SPEC.functionalName();

    private final float[] weight;
    private final long ignoreIndex;

    private NLLLoss(Reduction reduction, float[] weight, long ignoreIndex) {
        super(reduction);
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * From PyTorch's constructor arguments: {@code weight}, {@code ignore_index}, {@code reduction},
     * {@code size_average}, {@code reduce}.
     */
    public static NLLLoss fromOptions(Options o) {
        Builder b = builder().options(o, false);
        float[] w = ClassTargets.weightOption(FN, o);
        if (w != null) {
            b.weight(w);
        }
        return b.ignoreIndex(o.getLong("ignore_index", -100)).build();
    }

    /** The per-class weight, or null. */
    public float[] weight() {
        return weight == null ? null : weight.clone();
    }

    public long ignoreIndex() {
        return ignoreIndex;
    }

    @Override
    protected Plan<?> plan(Tensor[] args) {
        Tensor input = args[0];
        Tensor target = args[1];
        Checks.floatTensor(FN, "input", input);
        ClassTargets s = ClassTargets.classIndex(FN, input, target);
        s.checkWeight(FN, weight);
        NLLLossPlan p = new NLLLossPlan(FN, s.batch(), s.classes(), s.spatial(), weight, ignoreIndex, reduction(),
                target.dtype());
        return new Plan<>(NLLLossPlan.FAMILY, p, reduction() == Reduction.NONE ? s.outShape() : new long[0]);
    }

    @Override
    public String toString() {
        return "NLLLoss(reduction=" + reduction() + ", ignore_index=" + ignoreIndex
                + (weight == null ? "" : ", weight=" + weight.length + " classes") + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private float[] weight;
        private long ignoreIndex = -100;

        /** A manual rescaling weight for each class (length C); null for none. */
        public Builder weight(float... weight) {
            this.weight = weight == null ? null : weight.clone();
            return this;
        }

        /** The target value that contributes nothing to the loss or the mean's denominator (default -100). */
        public Builder ignoreIndex(long ignoreIndex) {
            this.ignoreIndex = ignoreIndex;
            return this;
        }

        public NLLLoss build() {
            return new NLLLoss(resolvedReduction(FN, false), weight == null ? null : weight.clone(), ignoreIndex);
        }
    }
}
