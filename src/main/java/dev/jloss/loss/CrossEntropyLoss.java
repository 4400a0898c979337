package dev.jloss.loss;

import dev.jloss.DType;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.LossSpec.Batching;
import dev.jloss.LossSpec.Mean;
import dev.jloss.LossSpec.Role;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.CrossEntropyLossPlan;
import java.util.Arrays;

/**
 * Cross entropy of logits, PyTorch's {@code torch.nn.CrossEntropyLoss}: log-softmax over the class
 * dimension then negative log-likelihood, computed per position from the row's logsumexp
 * {@code lse_n = log sum_c exp(x[n, c])} (with the row maximum subtracted), never from a
 * materialised softmax.
 *
 * <p>Class-index targets {@code y_n}, label smoothing {@code eps}, class weights {@code w} (all ones
 * when absent), {@code W = sum_c w[c]}:
 * <pre>
 *   l_n = (1 - eps) w[y_n] (lse_n - x[n, y_n]) + eps / C * sum_c w[c] (lse_n - x[n, c])
 *   dl_n/dx[n, c] = ((1 - eps) w[y_n] + eps W / C) softmax_c - (1 - eps) w[y_n] [c == y_n] - eps / C w[c]
 * </pre>
 * and 0 where {@code y_n == ignore_index}. {@code mean} divides the sum by {@code sum_n w[y_n]} over the
 * positions not ignored (NaN when that is 0), exactly as PyTorch does with and without smoothing.
 *
 * <p>Class-probability targets {@code p} (float32, the input's shape), smoothed to
 * {@code q = (1 - eps) p + eps / C}: {@code l_n = -sum_c w[c] q[n, c] (x[n, c] - lse_n)}, gradient
 * {@code softmax_c sum_j w[j] q[n, j] - w[c] q[n, c]}; {@code mean} divides by the number of
 * positions (NaN for an empty input); {@code ignore_index} must be negative (PyTorch has none here).
 *
 * <p>Shapes: input {@code (C)}, {@code (N, C)} or {@code (N, C, d1, ..., dk)}; class indices of shape
 * {@code ()}, {@code (N)} or {@code (N, d1, ..., dk)}, int64 or int32; probabilities of the input's shape.
 *
 * <p>Beyond PyTorch (class-index targets only; Liger-Kernel's conventions):
 * <ul>
 *   <li>{@code softcap} {@code k > 0} (Gemma 2): every logit becomes {@code y = k tanh(x / k)} before
 *   everything above ({@code lse}, the target's logit, the smoothing sum); the gradient is the one above
 *   at {@code y}, times {@code dy/dx = 1 - tanh(x / k)^2}.</li>
 *   <li>{@code lse_square_scale} {@code s >= 0} (z-loss, PaLM): each position not ignored adds
 *   {@code z_n = s lse_n^2} (lse of the capped logits when softcap is on), gradient
 *   {@code 2 s lse_n softmax_c}. The z term is <b>not</b> multiplied by the class weight, and
 *   {@code mean} divides it by the <b>number</b> of positions not ignored, while the cross-entropy part
 *   keeps PyTorch's weighted denominator: {@code mean = sum_n l_n / sum_n w[y_n] + sum_n z_n / count},
 *   as Liger-Kernel computes it (the two denominators coincide without weights). {@code none} returns
 *   {@code l_n + z_n} per position, {@code sum} their sum.</li>
 * </ul>
 * Both default to off (0); with class-probability targets they are rejected.
 *
 * <p>Example (the seed article): logits [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]], target [0, 1],
 * weight [0.6, 0.2, 0.2], {@code reduction=none}: [0.6 log 3, 0.2 log 3] = [0.6592, 0.2197].
 */
public final class CrossEntropyLoss extends Loss {
    /** This loss's names, arguments and streaming, declared once. */
    public static final LossSpec SPEC = LossSpec.of("CrossEntropyLoss", "cross_entropy").grad("input").arg("target", Role.CLASS_INDICES)
            .batch(Batching.LEADING, 2, false).mean(Mean.CLASS_WEIGHTS).build();
    private static final String FN = SPEC.functionalName();

    private final float[] weight;
    private final long ignoreIndex;
    private final double labelSmoothing;
    private final double lseSquareScale;
    private final double softcap;

    private CrossEntropyLoss(Reduction reduction, float[] weight, long ignoreIndex, double labelSmoothing,
                             double lseSquareScale, double softcap) {
        super(reduction);
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        this.labelSmoothing = labelSmoothing;
        this.lseSquareScale = lseSquareScale;
        this.softcap = softcap;
    }

    @Override
    public LossSpec spec() {
        return SPEC;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * From PyTorch's constructor arguments: {@code weight}, {@code ignore_index},
     * {@code label_smoothing}, {@code reduction}, {@code size_average}, {@code reduce}; and beyond
     * PyTorch {@code lse_square_scale} (default 0) and {@code softcap} (absent or 0: off).
     */
    public static CrossEntropyLoss fromOptions(Options o) {
        Builder b = builder().options(o, false);
        float[] w = ClassTargets.weightOption(FN, o);
        if (w != null) {
            b.weight(w);
        }
        return b.ignoreIndex(o.getLong("ignore_index", -100))
                .labelSmoothing(o.getDouble("label_smoothing", 0.0))
                .lseSquareScale(o.getDouble("lse_square_scale", 0.0))
                .softcap(o.getDouble("softcap", 0.0))
                .build();
    }

    /** The per-class weight, or null. */
    public float[] weight() {
        return weight == null ? null : weight.clone();
    }

    public long ignoreIndex() {
        return ignoreIndex;
    }

    public double labelSmoothing() {
        return labelSmoothing;
    }

    /** The z-loss scale (0: off). */
    public double lseSquareScale() {
        return lseSquareScale;
    }

    /** The logit soft cap (0: off). */
    public double softcap() {
        return softcap;
    }

    private CrossEntropyLoss with(Reduction r, float[] w, double eps, double z) {
        return new CrossEntropyLoss(r, w, ignoreIndex, eps, z, softcap);
    }

    /**
     * The weight sum and count of a micro-batch's targets (positions not ignored), its loss sums 0:
     * the denominators to count before the backward passes of gradient accumulation. Reads the targets
     * (not the logits) to the host; class-index targets only.
     */
    public CrossEntropySums targetStats(Tensor target) {
        Checks.check(target.dtype() != DType.FLOAT32, FN,
                "target has dtype float32, expected int64 or int32 class indices for micro-batch sums");
        double ws = 0;
        long count = 0;
        for (long t : target.toLongArray()) {
            if (t == ignoreIndex) {
                continue;
            }
            count++;
            ws += weight == null ? 1.0 : t >= 0 && t < weight.length ? weight[(int) t] : Double.NaN;
        }
        return new CrossEntropySums(0, 0, ws, count);
    }

    /**
     * A micro-batch's sums (see {@link CrossEntropySums}): the cross-entropy part from one
     * {@code reduction=sum} pass with the z-loss off and, when {@code lse_square_scale} is set, the z part
     * from a second pass over the logits (the same loss with zero class weights and no smoothing, which
     * leaves exactly the unweighted z sum); the denominators from {@link #targetStats}. This loss's own
     * reduction is not used. Class-index targets only.
     */
    public CrossEntropySums sums(Tensor input, Tensor target) {
        double ce;
        try (Tensor out = with(Reduction.SUM, weight, labelSmoothing, 0).forward(input, target)) {
            ce = out.item();
        }
        double z = 0;
        if (lseSquareScale != 0) {
            long classes = input.dim() == 1 ? input.size(0) : input.size(1);
            try (Tensor out = with(Reduction.SUM, new float[(int) classes], 0, lseSquareScale).forward(input, target)) {
                z = out.item();
            }
        }
        CrossEntropySums stats = targetStats(target);
        return new CrossEntropySums(ce, z, stats.weightSum(), stats.count());
    }

    /**
     * One fused pass giving the gradient of {@code gradScale * sum_n l_n + zGradScale * sum_n z_n} for a
     * micro-batch (l the cross-entropy part, z the z-loss part): with {@code gradScale = 1 / W} and
     * {@code zGradScale = 1 / count} of the <em>whole</em> batch (see {@link #targetStats},
     * {@link CrossEntropyAccumulator}), the micro-batches' gradients add up to the gradient of the whole
     * batch's mean. The result's loss is not a value to report (its z part is rescaled; use
     * {@link #sums}); the call waits for it, so that the upstream-gradient scalar can be freed. Without class weights both scales are
     * {@code 1 / global_count}; without z-loss {@code zGradScale} is unused. This loss's own reduction is
     * not used. {@code gradScale} must be finite and {@code > 0}, {@code zGradScale} finite and {@code >= 0}.
     */
    public LossResult backwardScaled(double gradScale, double zGradScale, Tensor input, Tensor target) {
        Checks.check(Double.isFinite(gradScale) && gradScale > 0, FN,
                "gradScale is %s, expected a finite value > 0 (1 / the batch's weight sum or count)", gradScale);
        Checks.check(Double.isFinite(zGradScale) && zGradScale >= 0, FN,
                "zGradScale is %s, expected a finite value >= 0 (1 / the batch's count)", zGradScale);
        // d(g sum l + g' s sum lse^2) = g d(sum l + (s g' / g) sum lse^2): one pass, the z scale folded in
        CrossEntropyLoss scaled = with(Reduction.SUM, weight, labelSmoothing, lseSquareScale * zGradScale / gradScale);
        try (Tensor go = input.backend().tensor(new float[] {(float) gradScale})) {
            LossResult r = scaled.forwardBackwardWith(go, input, target);
            r.loss().item(); // the launch has read go (and a device error is raised here)
            return r;
        }
    }

    /** {@link #backwardScaled(double, double, Tensor, Tensor)} with one scale for both parts (no class weights). */
    public LossResult backwardScaled(double gradScale, Tensor input, Tensor target) {
        return backwardScaled(gradScale, gradScale, input, target);
    }

    @Override
    protected Plan<?> plan(Tensor[] args) {
        Tensor input = args[0];
        Tensor target = args[1];
        Checks.floatTensor(FN, "input", input);
        ClassTargets s;
        boolean probabilities = input.dim() >= 1 && Arrays.equals(input.shape(), target.shape());
        if (probabilities) {
            // PyTorch reads a target of the input's shape as class probabilities
            Checks.check(target.dtype() == DType.FLOAT32, FN,
                    "target has dtype %s, expected float32 (class probabilities, as it has the input's shape %s)",
                    target.dtype(), Checks.str(input.shape()));
            Checks.check(lseSquareScale == 0 && softcap == 0, FN,
                    "%s is set, expected class-index targets: lse_square_scale and softcap are not supported "
                    + "with class-probability targets (target has the input's shape %s)",
                    lseSquareScale != 0 ? "lse_square_scale" : "softcap", Checks.str(input.shape()));
            Checks.check(ignoreIndex < 0, FN,
                    "ignore_index is %d, expected a negative value: class-probability targets have no class to ignore",
                    ignoreIndex);
            s = ClassTargets.ofInput(FN, input);
        } else {
            if (target.dtype() == DType.FLOAT32 && input.dim() >= 1) {
                ClassTargets in = ClassTargets.ofInput(FN, input);
                throw Checks.fail(FN, "target has dtype float32 and shape %s, expected int64 or int32 class indices "
                        + "of shape %s or float32 class probabilities of the input's shape %s",
                        Checks.str(target.shape()), Checks.str(in.outShape()), Checks.str(input.shape()));
            }
            s = ClassTargets.classIndex(FN, input, target);
        }
        s.checkWeight(FN, weight);
        CrossEntropyLossPlan p = new CrossEntropyLossPlan(FN, s.batch(), s.classes(), s.spatial(), weight, ignoreIndex,
                labelSmoothing, probabilities, reduction(), target.dtype(), lseSquareScale, softcap);
        return new Plan<>(CrossEntropyLossPlan.FAMILY, p, reduction() == Reduction.NONE ? s.outShape() : new long[0]);
    }

    @Override
    public String toString() {
        return "CrossEntropyLoss(reduction=" + reduction() + ", ignore_index=" + ignoreIndex + ", label_smoothing="
                + labelSmoothing + (weight == null ? "" : ", weight=" + weight.length + " classes")
                + (lseSquareScale == 0 ? "" : ", lse_square_scale=" + lseSquareScale)
                + (softcap == 0 ? "" : ", softcap=" + softcap) + ")";
    }

    public static final class Builder extends LossBuilder<Builder> {
        private float[] weight;
        private long ignoreIndex = -100;
        private double labelSmoothing;
        private double lseSquareScale;
        private double softcap;

        /** A manual rescaling weight for each class (length C); null for none. */
        public Builder weight(float... weight) {
            this.weight = weight == null ? null : weight.clone();
            return this;
        }

        /**
         * The class-index target value that contributes nothing to the loss or the mean's denominator
         * (default -100); must be negative with class-probability targets.
         */
        public Builder ignoreIndex(long ignoreIndex) {
            this.ignoreIndex = ignoreIndex;
            return this;
        }

        /** Label smoothing epsilon in [0, 1] (default 0). */
        public Builder labelSmoothing(double labelSmoothing) {
            this.labelSmoothing = labelSmoothing;
            return this;
        }

        /**
         * z-loss (PaLM): adds {@code lseSquareScale * logsumexp(row)^2} per position not ignored, not
         * weighted by the class weight; {@code mean} divides it by the count of positions not ignored.
         * Finite and {@code >= 0}; 0 (the default) is off. Class-index targets only.
         */
        public Builder lseSquareScale(double lseSquareScale) {
            this.lseSquareScale = lseSquareScale;
            return this;
        }

        /**
         * Soft cap of the logits (Gemma 2): {@code x -> softcap * tanh(x / softcap)} before the softmax.
         * Finite and {@code > 0}; 0 (the default) is off. Class-index targets only.
         */
        public Builder softcap(double softcap) {
            this.softcap = softcap;
            return this;
        }

        public CrossEntropyLoss build() {
            Checks.check(labelSmoothing >= 0 && labelSmoothing <= 1, FN,
                    "label_smoothing is %s, expected a value in [0, 1]", labelSmoothing);
            Checks.check(Double.isFinite(lseSquareScale) && lseSquareScale >= 0, FN,
                    "lse_square_scale is %s, expected a finite value >= 0 (0 is off)", lseSquareScale);
            Checks.check(softcap == 0 || (Double.isFinite(softcap) && softcap > 0), FN,
                    "softcap is %s, expected a finite value > 0 (or 0 for no cap)", softcap);
            return new CrossEntropyLoss(resolvedReduction(FN, false), weight == null ? null : weight.clone(),
                    ignoreIndex, labelSmoothing, lseSquareScale, softcap);
        }
    }
}
