package dev.jloss.loss;

import dev.jloss.Loss;
import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec.Role;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.CosineEmbeddingLossPlan;
import dev.jloss.plan.RowBroadcast;
import java.util.Arrays;

/**
 * Cosine embedding loss, PyTorch's {@code torch.nn.CosineEmbeddingLoss}: for rows {@code x1},
 * {@code x2} of input1, input2 and their target {@code y},
 * <pre>
 *   cos(x1, x2) = sum(x1 x2) / sqrt((sum(x1^2) + EPSILON) (sum(x2^2) + EPSILON)),  EPSILON = 1e-12
 *   l = 1 - cos            if y == 1
 *       max(0, cos - margin) if y == -1
 *       0                  otherwise
 * </pre>
 * then reduced over the rows. Inputs are {@code (N, D)} with target {@code (N)}, or {@code (D)} with
 * a 0-d target; rows, target and row length broadcast as in PyTorch. Both inputs get gradients:
 * {@code dcos/dx1 = x2 / denom - cos x1 / (sum(x1^2) + EPSILON)}.
 *
 * <p>Example: input1 [[1, 0]], input2 [[1, 1]], target [-1], margin 0: cos = 0.7071, loss 0.7071;
 * with target [1] the loss is 0.2929.
 */
public final class CosineEmbeddingLoss extends Loss {

    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("CosineEmbeddingLoss", "cosine_embedding_loss").grad("input1").grad("input2")
            .arg("target", Role.VALUES).batch(Batching.LEADING, 2, true).mean(Mean.ELEMENTS).build();
    private static final String FN = SPEC.functionalName();

    private final double margin;

    private CosineEmbeddingLoss(Reduction reduction, double margin) {
        super(reduction);
        this.margin = margin;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code margin}, {@code reduction}, {@code size_average}, {@code reduce}. */
    public static CosineEmbeddingLoss fromOptions(Options o) {
        return builder().options(o, false).margin(o.getDouble("margin", 0.0)).build();
    }

    public double margin() {
        return margin;
    }

    @Override
    protected Plan<?> plan(Tensor[] args) {
        Tensor x1 = args[0];
        Tensor x2 = args[1];
        Tensor t = args[2];
        Checks.floatTensor(FN, "input1", x1);
        Checks.floatTensor(FN, "input2", x2);
        Checks.check(t.dim() <= 1, FN, "target has %d dimensions (shape %s), expected 0 or 1 (multi-target is not "
                + "supported)", t.dim(), Checks.str(t.shape()));
        int want = t.dim() + 1;
        // NOTE: PyTorch 1.13 checks only input1's dimensions; 2.x checks both, as here.
        for (int k = 0; k < 2; k++) {
            Tensor x = args[k];
            Checks.check(x.dim() == want, FN, "%s has %d dimensions (shape %s), expected %d for a %d-D target",
                    argumentNames().get(k), x.dim(), Checks.str(x.shape()), want, t.dim());
        }
        long d1 = x1.size(-1);
        long d2 = x2.size(-1);
        Checks.check(d1 == d2 || d1 == 1 || d2 == 1, FN,
                "input1 with shape %s and input2 with shape %s cannot be broadcast together (row lengths %d and %d)",
                Checks.str(x1.shape()), Checks.str(x2.shape()), d1, d2);
        long[][] full = {x1.shape(), x2.shape(), t.shape()};
        long[][] lead = {lead(x1), lead(x2), t.shape()};
        RowBroadcast layout = RowBroadcast.of(FN, new String[] {"input1", "input2", "target"}, full, lead,
                new long[] {d1, d2, 1});
        long[] outputShape = reduction() == Reduction.NONE ? layout.shape() : new long[0];
        return new Plan<>(CosineEmbeddingLossPlan.FAMILY,
                new CosineEmbeddingLossPlan(FN, layout, t.dtype(), margin, reduction()), outputShape);
    }

    private static long[] lead(Tensor x) {
        long[] s = x.shape();
        return Arrays.copyOf(s, s.length - 1);
    }

    @Override
    public String toString() {
        return name() + "(margin=" + margin + ", reduction=" + reduction() + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private double margin = 0.0;

        /** The margin for target -1 rows; PyTorch accepts any value (it suggests 0 to 0.5). */
        public Builder margin(double margin) {
            this.margin = margin;
            return this;
        }

        public CosineEmbeddingLoss build() {
            return new CosineEmbeddingLoss(resolvedReduction(FN, false), margin);
        }
    }
}
