package dev.jloss.loss;

import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import java.util.List;

/**
 * What every loss builder has: {@code reduction} (default {@code mean}) and PyTorch's deprecated
 * {@code size_average}/{@code reduce} pair, which overrides it exactly as PyTorch does.
 *
 * <p>The losses PyTorch added later (CTCLoss, HuberLoss, GaussianNLLLoss,
 * TripletMarginWithDistanceLoss) have no such pair, and PyTorch rejects it as an unknown keyword.
 * Their builders are constructed with {@link #LossBuilder(LossSpec, String...)}: then
 * {@link #sizeAverage}/{@link #reduce} with a value, and {@link #options} given either key, throw
 * one message that names the loss and the options it takes.
 */
public abstract class LossBuilder<B extends LossBuilder<B>> {
    protected Reduction reduction = Reduction.MEAN;
    /** The loss, for a builder without the legacy pair; null when it has the pair. */
    private final LossSpec withoutLegacyPair;
    /** PyTorch's constructor arguments of a loss without the legacy pair, for the message that rejects it. */
    private final List<String> takes;
    private Boolean sizeAverage;
    private Boolean reduce;

    /** A builder of a loss with PyTorch's legacy {@code size_average}/{@code reduce} pair. */
    protected LossBuilder() {
        this.withoutLegacyPair = null;
        this.takes = List.of();
    }

    /**
     * A builder of a loss that, like its PyTorch class, has no legacy {@code size_average}/{@code reduce}.
     *
     * @param spec  the loss
     * @param takes PyTorch's constructor arguments of the loss, in its order, named in the rejection
     */
    protected LossBuilder(LossSpec spec, String... takes) {
        this.withoutLegacyPair = spec;
        this.takes = List.of(takes);
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    public B reduction(Reduction reduction) {
        this.reduction = reduction;
        return self();
    }

    /** PyTorch's deprecated {@code size_average}; null means not given. A loss without the pair rejects a value. */
    public B sizeAverage(Boolean sizeAverage) {
        checkLegacy("size_average", sizeAverage != null);
        this.sizeAverage = sizeAverage;
        return self();
    }

    /** PyTorch's deprecated {@code reduce}; null means not given. A loss without the pair rejects a value. */
    public B reduce(Boolean reduce) {
        checkLegacy("reduce", reduce != null);
        this.reduce = reduce;
        return self();
    }

    /**
     * Reads {@code reduction} and, where the loss has them, {@code size_average} and {@code reduce}
     * from an option map; a loss without them rejects either.
     */
    public B options(Options o, boolean allowBatchmean) {
        boolean legacyPair = withoutLegacyPair == null;
        if (!legacyPair) {
            checkLegacy("size_average", o.has("size_average"));
            checkLegacy("reduce", o.has("reduce"));
        }
        this.reduction = o.reduction(allowBatchmean, legacyPair);
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

    /** The one rule: a loss without the legacy pair rejects {@code option} when it is given. */
    private void checkLegacy(String option, boolean given) {
        if (given && withoutLegacyPair != null) {
            String list = takes.size() <= 1 ? String.join("", takes)
                    : String.join(", ", takes.subList(0, takes.size() - 1)) + " and " + takes.get(takes.size() - 1);
            throw Checks.fail(withoutLegacyPair.functionalName(), "unknown option '%s' (%s has no legacy size_average"
                    + " or reduce; it takes %s)", option, withoutLegacyPair.className(), list);
        }
    }
}
