package dev.jloss.loss;

import dev.jloss.Loss;
import dev.jloss.LossArgumentException;
import dev.jloss.LossSpec;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Every loss jloss has, by PyTorch's class name ({@code CrossEntropyLoss}) or functional name
 * ({@code cross_entropy}), case-insensitive; built from an option map with PyTorch's constructor
 * names. One line per loss: its {@link LossSpec} (declared by the class) and its {@code fromOptions}.
 */
public final class Losses {
    /** A registered loss: its declaration and how to build it from PyTorch-named options. */
    public record Entry(LossSpec spec, Function<Options, ? extends Loss> factory) {
    }

    /** In the seed article's order, then PyTorch 2.x's. */
    private static final List<Entry> ALL = List.of(
            new Entry(L1Loss.SPEC, L1Loss::fromOptions),
            new Entry(MSELoss.SPEC, MSELoss::fromOptions),
            new Entry(CrossEntropyLoss.SPEC, CrossEntropyLoss::fromOptions),
            new Entry(NLLLoss.SPEC, NLLLoss::fromOptions),
            new Entry(PoissonNLLLoss.SPEC, PoissonNLLLoss::fromOptions),
            new Entry(KLDivLoss.SPEC, KLDivLoss::fromOptions),
            new Entry(BCELoss.SPEC, BCELoss::fromOptions),
            new Entry(BCEWithLogitsLoss.SPEC, BCEWithLogitsLoss::fromOptions),
            new Entry(MarginRankingLoss.SPEC, MarginRankingLoss::fromOptions),
            new Entry(HingeEmbeddingLoss.SPEC, HingeEmbeddingLoss::fromOptions),
            new Entry(MultiLabelMarginLoss.SPEC, MultiLabelMarginLoss::fromOptions),
            new Entry(SmoothL1Loss.SPEC, SmoothL1Loss::fromOptions),
            new Entry(SoftMarginLoss.SPEC, SoftMarginLoss::fromOptions),
            new Entry(MultiLabelSoftMarginLoss.SPEC, MultiLabelSoftMarginLoss::fromOptions),
            new Entry(CosineEmbeddingLoss.SPEC, CosineEmbeddingLoss::fromOptions),
            new Entry(MultiMarginLoss.SPEC, MultiMarginLoss::fromOptions),
            new Entry(TripletMarginLoss.SPEC, TripletMarginLoss::fromOptions),
            new Entry(CTCLoss.SPEC, CTCLoss::fromOptions),
            new Entry(HuberLoss.SPEC, HuberLoss::fromOptions),
            new Entry(GaussianNLLLoss.SPEC, GaussianNLLLoss::fromOptions),
            new Entry(TripletMarginWithDistanceLoss.SPEC, TripletMarginWithDistanceLoss::fromOptions));

    private Losses() {
    }

    /** Every registered loss, in a stable order. */
    public static List<Entry> all() {
        return ALL;
    }

    /** PyTorch class names of every loss, in a stable order. */
    public static List<String> classNames() {
        return ALL.stream().map(e -> e.spec().className()).toList();
    }

    /** The registered loss for a class or functional name (any case), or throws. */
    public static Entry entry(String name) {
        if (name != null) {
            for (Entry e : ALL) {
                if (e.spec().className().equalsIgnoreCase(name) || e.spec().functionalName().equalsIgnoreCase(name)) {
                    return e;
                }
            }
        }
        throw new LossArgumentException("unknown loss '" + name + "', expected one of " + String.join(", ", classNames()));
    }

    /** The PyTorch class name for a class or functional name (any case), or throws. */
    public static String className(String name) {
        return entry(name).spec().className();
    }

    /** The functional name ({@code cross_entropy}) for a class or functional name. */
    public static String functionalName(String name) {
        return entry(name).spec().functionalName();
    }

    /** The declaration of the loss {@code name} (class or functional name). */
    public static LossSpec spec(String name) {
        return entry(name).spec();
    }

    /** Builds the loss {@code name} from options keyed by PyTorch's constructor names. */
    public static Loss create(String name, Map<String, ?> options) {
        Entry e = entry(name);
        Options o = new Options(e.spec().functionalName(), options);
        Loss loss = e.factory().apply(o);
        o.finish();
        return loss;
    }
}
