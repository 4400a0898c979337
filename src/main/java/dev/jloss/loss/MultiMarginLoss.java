package dev.jloss.loss;

import dev.jloss.Loss;
import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec.Role;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.MultiMarginLossPlan;

/**
 * Multi-class hinge loss, PyTorch's {@code torch.nn.MultiMarginLoss}. For a row {@code x} of C
 * scores and its class {@code y}:
 * <pre>
 *   l = sum_{i != y} w[y] * max(0, margin - x[y] + x[i])^p / C        (p = 1 or 2)
 * </pre>
 * then reduced over the rows ({@code mean} divides by the number of rows). Gradient where the
 * hinge is active ({@code z = margin - x[y] + x[i] > 0}): {@code d/dx[i] = w[y] p z^(p-1) / C},
 * and {@code d/dx[y]} is minus the sum of those.
 *
 * <p>Input (N, C), (C) unbatched, or a 0-d scalar (one class); target int64 (or int32) of shape
 * (N), or 0-d for one row. For {@code reduction=none} the output has shape (N), or is 0-d when the
 * target is 0-d, as in PyTorch.
 *
 * <p>Example: input [[0.1, 0.2, 0.4, 0.8]], target [3]:
 * {@code (1 - 0.8 + 0.1) + (1 - 0.8 + 0.2) + (1 - 0.8 + 0.4) = 1.3}, over C = 4: 0.325.
 */
public final class MultiMarginLoss extends Loss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("MultiMarginLoss", "multi_margin_loss").grad("input").arg("target", Role.INDICES)
            .batch(Batching.LEADING, 2, false).mean(Mean.ELEMENTS).build();

    static final String FN = "multi_margin_loss";

    private final int p;
    private final double margin;
    private final HostArray weight;

    private MultiMarginLoss(Reduction reduction, int p, double margin, HostArray weight) {
        super(reduction);
        this.p = p;
        this.margin = margin;
        this.weight = weight;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From PyTorch's constructor arguments: {@code p}, {@code margin}, {@code weight}, {@code reduction} and the legacy pair. */
    public static MultiMarginLoss fromOptions(Options o) {
        Builder b = builder().options(o, false);
        double pv = o.getDouble("p", 1);
        checkP(pv);
        b.p((int) pv).margin(o.getDouble("margin", 1.0));
        HostArray w = o.getArray("weight");
        if (w != null) {
            b.weight(w);
        }
        return b.build();
    }

    private static void checkP(double p) {
        Checks.check(p == 1 || p == 2, FN, "p is %s, expected 1 or 2", p == Math.rint(p) ? String.valueOf((long) p) : p);
    }

    public int p() {
        return p;
    }

    public double margin() {
        return margin;
    }

    /** The per-class weight, or null. */
    public HostArray weight() {
        return weight;
    }

    @Override
    protected Plan<?> plan(Tensor[] args) {
        Tensor input = args[0];
        Tensor target = args[1];
        Checks.floatTensor(FN, "input", input);
        Checks.indexTensor(FN, "target", target);
        RowShape rs = RowShape.of(FN, input);
        boolean ok = target.dim() <= 1 && target.numel() == rs.rows()
                && (target.dim() == 1 || rs.rows() == 1);
        Checks.check(ok, FN, "target has shape %s, expected %s (one class index per row of input %s)",
                Checks.str(target.shape()), rs.rows() == 1 ? "[1] or []" : "[" + rs.rows() + "]",
                Checks.str(input.shape()));
        float[] w = weight == null ? null : weight.values();
        if (w != null) {
            Checks.length(FN, "weight", w, rs.classes(), "one per class");
        }
        MultiMarginLossPlan plan = new MultiMarginLossPlan(FN, rs.rows(), rs.classes(), p, margin, w, target.dtype(), reduction());
        long[] out = reduction() == Reduction.NONE && target.dim() == 1 ? new long[] {rs.rows()} : new long[0];
        return new Plan<>(MultiMarginLossPlan.FAMILY, plan, out);
    }

    @Override
    public String toString() {
        return "MultiMarginLoss(p=" + p + ", margin=" + margin + (weight == null ? "" : ", weight=" + weight)
                + ", reduction=" + reduction() + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private int p = 1;
        private double margin = 1.0;
        private HostArray weight;

        /** The hinge's exponent: 1 (default) or 2. */
        public Builder p(int p) {
            this.p = p;
            return this;
        }

        public Builder margin(double margin) {
            this.margin = margin;
            return this;
        }

        /** A weight per class (C values), applied by the row's target class; null for none. */
        public Builder weight(float... weight) {
            this.weight = weight == null ? null : HostArray.of(weight);
            return this;
        }

        public Builder weight(HostArray weight) {
            this.weight = weight;
            return this;
        }

        public MultiMarginLoss build() {
            Reduction r = resolvedReduction(FN, false);
            checkP(p);
            if (weight != null) {
                Checks.check(weight.shape().length == 1, FN, "weight has shape %s, expected a 1-D tensor (one value per class)",
                        Checks.str(weight.shape()));
            }
            return new MultiMarginLoss(r, p, margin, weight);
        }
    }
}
