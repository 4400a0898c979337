package dev.jloss.loss;

import dev.jloss.Loss;
import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec.Role;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.MultiLabelSoftMarginLossPlan;

/**
 * Multi-label one-versus-all logistic loss, PyTorch's {@code torch.nn.MultiLabelSoftMarginLoss}.
 * For a row of C scores {@code x}, targets {@code y} (0/1, though any value is accepted) and
 * optional weights {@code w}:
 * <pre>
 *   l = -sum_i w[i] (y[i] log sigmoid(x[i]) + (1 - y[i]) log sigmoid(-x[i])) / C
 * </pre>
 * then reduced over the rows; log sigmoid is evaluated stably. Gradient:
 * {@code d/dx[i] = w[i] (sigmoid(x[i]) - y[i]) / C}.
 *
 * <p>Shapes are PyTorch's: input, target and weight broadcast together; the classes are the
 * input's last dimension (so a (C) input is one row and gives a 0-d value for
 * {@code reduction=none}; (N, d1, C) gives (N, d1)), and C is the input's last size.
 *
 * <p>Example: input [[0, 0]], target [[1, 0]]: each class contributes log 2, so the loss is
 * 2 log 2 / 2 = 0.6931.
 */
public final class MultiLabelSoftMarginLoss extends Loss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("MultiLabelSoftMarginLoss", "multilabel_soft_margin_loss").grad("input")
            .arg("target", Role.VALUES).batch(Batching.BROADCAST, 2, true).mean(Mean.ELEMENTS).build();

    static final String FN = "multilabel_soft_margin_loss";

    private final HostArray weight;

    private MultiLabelSoftMarginLoss(Reduction reduction, HostArray weight) {
        super(reduction);
        this.weight = weight;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code weight}, {@code reduction} and the legacy pair. */
    public static MultiLabelSoftMarginLoss fromOptions(Options o) {
        Builder b = builder().options(o, false);
        HostArray w = o.getArray("weight");
        if (w != null) {
            b.weight(w);
        }
        return b.build();
    }

    /** The weight (broadcast against the input, usually one per class), or null. */
    public HostArray weight() {
        return weight;
    }

    @Override
    protected Plan<?> plan(Tensor[] args) {
        Tensor input = args[0];
        Tensor target = args[1];
        Checks.floatTensor(FN, "input", input);
        Checks.floatTensor(FN, "target", target);
        Checks.check(input.dim() >= 1, FN, "input has shape %s, expected at least 1 dimension (the last holds the classes)",
                Checks.str(input.shape()));
        long[] shape = Checks.broadcast(FN, "input", input.shape(), "target", target.shape());
        if (weight != null) {
            shape = Checks.broadcast(FN, "weight", weight.shape(), "input and target", shape);
        }
        int classAxis = input.dim() - 1;
        long[] rowShape = new long[shape.length - 1];
        for (int d = 0, k = 0; d < shape.length; d++) {
            if (d != classAxis) {
                rowShape[k++] = shape[d];
            }
        }
        long[] inputShape = input.shape();
        MultiLabelSoftMarginLossPlan plan = new MultiLabelSoftMarginLossPlan(FN, shape, classAxis, rowShape,
                Tensor.numel(rowShape), shape[classAxis], inputShape[classAxis],
                Checks.broadcastStrides(inputShape, shape), Checks.broadcastStrides(target.shape(), shape),
                weight == null ? null : weight.values(),
                weight == null ? null : Checks.broadcastStrides(weight.shape(), shape),
                !java.util.Arrays.equals(inputShape, shape), reduction());
        long[] out = reduction() == Reduction.NONE ? rowShape : new long[0];
        return new Plan<>(MultiLabelSoftMarginLossPlan.FAMILY, plan, out);
    }

    @Override
    public String toString() {
        return "MultiLabelSoftMarginLoss(" + (weight == null ? "" : "weight=" + weight + ", ") + "reduction="
                + reduction() + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private HostArray weight;

        /** A weight per class (C values, broadcast over the rows); null for none. */
        public Builder weight(float... weight) {
            this.weight = weight == null ? null : HostArray.of(weight);
            return this;
        }

        /** A weight of any shape that broadcasts against the input and target, as PyTorch allows. */
        public Builder weight(HostArray weight) {
            this.weight = weight;
            return this;
        }

        public MultiLabelSoftMarginLoss build() {
            return new MultiLabelSoftMarginLoss(resolvedReduction(FN, false), weight);
        }
    }
}
