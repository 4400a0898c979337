package dev.jloss.plan;

import java.util.List;

/** Every loss family, so that a test can check that each backend implements each one. */
public final class Families {
    private Families() {
    }

    public static final List<KernelFamily<?>> ALL = List.of(PointwisePlan.FAMILY, CrossEntropyLossPlan.FAMILY,
            NLLLossPlan.FAMILY, MultiMarginLossPlan.FAMILY, MultiLabelMarginLossPlan.FAMILY,
            MultiLabelSoftMarginLossPlan.FAMILY, CosineEmbeddingLossPlan.FAMILY, TripletMarginLossPlan.FAMILY,
            CTCLossPlan.FAMILY);
}
