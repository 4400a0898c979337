package dev.jloss;

import java.util.Locale;

/**
 * How a loss reduces its per-element values, as PyTorch's {@code reduction} argument:
 * {@code none} keeps them, {@code mean} averages (for weighted class losses: divides by the sum of
 * the targets' weights), {@code sum} adds them, and {@code batchmean} (KLDivLoss only) divides the
 * sum by the batch size.
 */
public enum Reduction {
    NONE("none"),
    MEAN("mean"),
    SUM("sum"),
    BATCHMEAN("batchmean");

    private final String pyName;

    Reduction(String pyName) {
        this.pyName = pyName;
    }

    /** Parses PyTorch's spelling ({@code "mean"}); case-insensitive. */
    public static Reduction parse(String s) {
        if (s != null) {
            for (Reduction r : values()) {
                if (r.pyName.equals(s.toLowerCase(Locale.ROOT))) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException(
                "reduction: expected one of none, mean, sum, batchmean, got " + (s == null ? "null" : "'" + s + "'"));
    }

    /**
     * Maps PyTorch's deprecated {@code size_average}/{@code reduce} pair to a reduction exactly as
     * {@code torch.nn._reduction.legacy_get_string} does: a missing flag counts as {@code true};
     * {@code reduce=false} gives {@code none} whatever {@code size_average} is; otherwise
     * {@code size_average} picks {@code mean} or {@code sum}. When both are {@code null}, PyTorch
     * ignores the pair and uses the {@code reduction} argument, so this returns {@code fallback}.
     */
    public static Reduction legacy(Boolean sizeAverage, Boolean reduce, Reduction fallback) {
        if (sizeAverage == null && reduce == null) {
            return fallback;
        }
        boolean avg = sizeAverage == null || sizeAverage;
        boolean red = reduce == null || reduce;
        if (!red) {
            return NONE;
        }
        return avg ? MEAN : SUM;
    }

    @Override
    public String toString() {
        return pyName;
    }
}
