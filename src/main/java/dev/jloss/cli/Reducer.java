package dev.jloss.cli;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.loss.HostArray;

/**
 * Combines per-chunk results into PyTorch's reduced value, and gives each chunk the upstream
 * gradient that makes the sum of the chunks' gradients the gradient of that value.
 *
 * <p>Every chunk is evaluated with {@code reduction=none}; its outputs {@code l_i} are summed in double,
 * in chunk order, as {@code S = Σ a_i l_i} where {@code a_i} is 1 except for CTC's mean
 * ({@code 1 / max(1, target_length_i)}). The value is {@code S · c} with PyTorch's denominator:
 * <ul>
 *   <li>{@code sum}: {@code c = 1};
 *   <li>{@code mean}: {@code c = 1 / (number of output elements)} for the element-wise and per-sample
 *       losses (and cross-entropy with class-probability targets); {@code 1 / Σ weight[target_i]} over
 *       non-ignored targets for NLL/cross-entropy with class indices (1 per target without a weight);
 *       {@code 1 / N} for CTC;
 *   <li>{@code batchmean}: {@code c = 1 / input.size(0)}.
 * </ul>
 * The gradient of the reduced value is the gradient of {@code Σ (c · a_i) l_i}: each chunk's
 * {@code backward} gets the upstream gradient {@code c · a_i}. (Cross-entropy's label-smoothing term is
 * divided by the same denominator as its NLL term in PyTorch 1.13, ignored targets excluded.)
 *
 * <p>Public for the Spark module ({@code dev.jloss.spark}), which gathers the statistics itself across
 * partitions (exactly, in any order) through {@link #counts}, {@link #targetWeight} and
 * {@link #setTargetStats}, then asks this class for the same denominator.
 */
public final class Reducer {
    private final Reduction reduction;
    private final LossSpec.Mean kind;
    private final float[] classWeight;
    private final long ignoreIndex;
    private final long classes;
    private final long batchmeanDivisor;
    private final long ctcSamples;

    private double weightSum;
    private long nonIgnored;
    private long elements = -1;

    /**
     * @param indexTargets whether the class losses got class indices (rather than probabilities)
     * @param weight       the class weight option, or null
     */
    Reducer(Reduction reduction, LossSpec.Mean kind, boolean indexTargets, HostArray weight, long ignoreIndex,
            LossLayout.Plan plan) {
        this(reduction, kind, indexTargets, weight, ignoreIndex, plan.classes(), plan.batchmeanDivisor(),
                plan.batched() ? plan.batch() : 1);
    }

    /**
     * A reducer for a batch whose layout the caller knows (one sample per row, as in Spark).
     *
     * @param classes          the number of classes of class-index targets (0 if none)
     * @param batchmeanDivisor {@code input.size(0)} of the whole batch
     * @param samples          the number of samples (CTC's mean divides by it)
     */
    public Reducer(Reduction reduction, LossSpec.Mean kind, boolean indexTargets, HostArray weight, long ignoreIndex,
                   long classes, long batchmeanDivisor, long samples) {
        this.reduction = reduction;
        this.kind = kind == LossSpec.Mean.CLASS_WEIGHTS && !indexTargets ? LossSpec.Mean.ELEMENTS : kind;
        this.classWeight = weight == null ? null : weight.values();
        this.ignoreIndex = ignoreIndex;
        this.classes = classes;
        this.batchmeanDivisor = batchmeanDivisor;
        this.ctcSamples = samples;
    }

    /** Whether the value needs per-target statistics (class weights of the targets). */
    public boolean needsTargetStats() {
        return reduction == Reduction.MEAN && kind == LossSpec.Mean.CLASS_WEIGHTS;
    }

    /** Whether each output element has its own factor {@code a_i} (CTC's mean). */
    public boolean hasMultipliers() {
        return reduction == Reduction.MEAN && kind == LossSpec.Mean.PER_TARGET_LENGTH;
    }

    /** The total number of output elements of the whole (unchunked) call. */
    public void setElements(long n) {
        elements = n;
    }

    /**
     * Adds a chunk's class-index targets to the statistics. Targets outside {@code [0, classes)} that
     * are not ignored are skipped here; the loss itself rejects them when it reads the chunk.
     */
    void observeTargets(long[] targets) {
        for (long t : targets) {
            if (counts(t)) {
                nonIgnored++;
                weightSum += targetWeight(t);
            }
        }
    }

    /** Whether a class-index target counts in the weighted mean's denominator (not ignored, in range). */
    public boolean counts(long t) {
        return t != ignoreIndex && t >= 0 && t < classes;
    }

    /** The weight a counted target adds to the denominator: its class weight, 1 without a weight. */
    public double targetWeight(long t) {
        return classWeight == null || t >= classWeight.length ? 1.0 : classWeight[(int) t];
    }

    /** Sets the target statistics gathered elsewhere: the counted targets and the sum of their weights. */
    public void setTargetStats(long nonIgnored, double weightSum) {
        this.nonIgnored = nonIgnored;
        this.weightSum = weightSum;
    }

    /** {@code a_i} for a chunk's outputs: {@code 1 / max(1, target_length_i)} (CTC mean only). */
    public float[] multipliers(long[] targetLengths) {
        float[] a = new float[targetLengths.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (1.0 / Math.max(1, targetLengths[i]));
        }
        return a;
    }

    /** The factor {@code c} of the value (see the class comment). */
    public double coefficient() {
        return switch (reduction) {
            case NONE, SUM -> 1.0;
            case BATCHMEAN -> 1.0 / batchmeanDivisor;
            case MEAN -> switch (kind) {
                case ELEMENTS -> 1.0 / elements();
                case PER_TARGET_LENGTH -> 1.0 / ctcSamples;
                case CLASS_WEIGHTS -> 1.0 / (classWeight == null ? nonIgnored : weightSum);
            };
        };
    }

    /**
     * The upstream-gradient factor: {@link #coefficient}, except that when every target is ignored
     * PyTorch's gradient is exactly zero (nothing is selected), not 0 · inf.
     */
    public double gradientCoefficient() {
        if (reduction == Reduction.MEAN && kind == LossSpec.Mean.CLASS_WEIGHTS && nonIgnored == 0) {
            return 0;
        }
        return coefficient();
    }

    /** The denominator PyTorch divides by (for the report); 1 for sum and none. */
    public double denominator() {
        return 1.0 / coefficient();
    }

    private long elements() {
        if (elements < 0) {
            throw new IllegalStateException("internal error: the output size is not known yet");
        }
        return elements;
    }
}
