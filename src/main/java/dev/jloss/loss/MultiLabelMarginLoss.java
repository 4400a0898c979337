package dev.jloss.loss;

import dev.jloss.DType;
import dev.jloss.Loss;
import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec.Role;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.MultiLabelMarginLossPlan;

/**
 * Multi-label hinge loss, PyTorch's {@code torch.nn.MultiLabelMarginLoss}. Each row's target holds
 * the row's class indices, ended by the first -1 (entries after it are ignored, but must still be
 * -1 or a class index). With {@code T} those labels and {@code x} the row's C scores:
 * <pre>
 *   l = sum_{j in T} sum_{i not in T} max(0, 1 - (x[j] - x[i])) / C
 * </pre>
 * then reduced over the rows. A label listed twice counts twice, as in PyTorch. Gradient where a
 * hinge is active: +1/C to {@code x[i]}, -1/C to {@code x[j]}.
 *
 * <p>Input (N, C), (C) unbatched or a 0-d scalar; target int64 of the input's shape (for an
 * unbatched input: C elements, at most 1-D). {@code reduction=none} gives (N), or a 0-d value for an
 * unbatched input.
 *
 * <p>Example: input [[0.1, 0.2, 0.4, 0.8]], target [[3, 0, -1, 1]] (labels 3 and 0; the 1 after -1
 * is ignored): {@code (1 - (0.1 - 0.2)) + (1 - (0.1 - 0.4)) + (1 - (0.8 - 0.2)) + (1 - (0.8 - 0.4))
 * = 3.4}, over C = 4: 0.85.
 */
public final class MultiLabelMarginLoss extends Loss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("MultiLabelMarginLoss", "multilabel_margin_loss").grad("input").arg("target", Role.INDICES)
            .batch(Batching.LEADING, 2, false).mean(Mean.ELEMENTS).build();

    static final String FN = "multilabel_margin_loss";

    private MultiLabelMarginLoss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code reduction}, {@code size_average}, {@code reduce}. */
    public static MultiLabelMarginLoss fromOptions(Options o) {
        return builder().options(o, false).build();
    }

    @Override
    protected Plan<?> plan(Tensor[] args) {
        Tensor input = args[0];
        Tensor target = args[1];
        Checks.floatTensor(FN, "input", input);
        Checks.check(target.dtype() == DType.INT64, FN, "target has dtype %s, expected int64", target.dtype());
        RowShape rs = RowShape.of(FN, input);
        if (input.dim() <= 1) {
            Checks.check(target.dim() <= 1 && target.numel() == rs.classes(), FN,
                    "target has shape %s, expected [%d] (the shape of the unbatched input %s)",
                    Checks.str(target.shape()), rs.classes(), Checks.str(input.shape()));
        } else {
            Checks.shape(FN, "target", target, input.shape());
        }
        MultiLabelMarginLossPlan plan = new MultiLabelMarginLossPlan(FN, rs.rows(), rs.classes(), reduction());
        long[] out = reduction() == Reduction.NONE && input.dim() == 2 ? new long[] {rs.rows()} : new long[0];
        return new Plan<>(MultiLabelMarginLossPlan.FAMILY, plan, out);
    }

    public static final class Builder extends LossBuilder<Builder> {
        public MultiLabelMarginLoss build() {
            return new MultiLabelMarginLoss(resolvedReduction(FN, false));
        }
    }
}
