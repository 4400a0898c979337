package dev.jloss.loss;

import dev.jloss.Reduction;

/**
 * What every loss builder has: {@code reduction} (default {@code mean}) and PyTorch's deprecated
 * {@code size_average}/{@code reduce} pair, which overrides it exactly as PyTorch does.
 */
public abstract class LossBuilder<B extends LossBuilder<B>> {
    protected Reduction reduction = Reduction.MEAN;
    private Boolean sizeAverage;
    private Boolean reduce;

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    public B reduction(Reduction reduction) {
        this.reduction = reduction;
        return self();
    }

    /** PyTorch's deprecated {@code size_average}; null means not given. */
    public B sizeAverage(Boolean sizeAverage) {
        this.sizeAverage = sizeAverage;
        return self();
    }

    /** PyTorch's deprecated {@code reduce}; null means not given. */
    public B reduce(Boolean reduce) {
        this.reduce = reduce;
        return self();
    }

    /** Reads {@code reduction}, {@code size_average} and {@code reduce} from an option map. */
    public B options(Options o, boolean allowBatchmean) {
        this.reduction = o.reduction(allowBatchmean);
        return self();
    }

    /** The effective reduction; rejects {@code batchmean} unless the loss is KLDivLoss. */
    protected Reduction resolvedReduction(String fn, boolean allowBatchmean) {
        Checks.check(reduction != null, fn, "reduction must not be null");
        Reduction r = Reduction.legacy(sizeAverage, reduce, reduction);
        Checks.check(allowBatchmean || r != Reduction.BATCHMEAN, fn,
                "reduction 'batchmean' is only valid for kl_div, expected none, mean or sum");
        return r;
    }
}
