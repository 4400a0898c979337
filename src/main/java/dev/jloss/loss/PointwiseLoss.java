package dev.jloss.loss;

import dev.jloss.Loss;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.plan.PointwisePlan;
import dev.jloss.plan.PointwiseTerm;
import java.util.List;

/**
 * Base of the element-wise losses (L1, MSE, SmoothL1, Huber, BCE, BCEWithLogits, KLDiv, PoissonNLL,
 * GaussianNLL, SoftMargin, MarginRanking, HingeEmbedding): all are one {@link PointwiseTerm} applied
 * element by element over broadcast operands, then reduced. A subclass names its term, its scalar
 * options and any shape rule stricter than broadcasting; this class validates and plans.
 */
public abstract class PointwiseLoss extends Loss {

    protected PointwiseLoss(Reduction reduction) {
        super(reduction);
    }

    /**
     * The spec of an element-wise loss of {@code (input, target)}: the gradient for the input, the
     * operands broadcast, the batch is the broadcast shape's dimension 0, the mean is over the elements.
     */
    protected static LossSpec elementwise(String className, String functionalName) {
        return LossSpec.of(className, functionalName).grad("input").arg("target", LossSpec.Role.VALUES)
                .batch(LossSpec.Batching.BROADCAST, 1, true).mean(LossSpec.Mean.ELEMENTS).build();
    }

    /** The per-element term for this loss's options. */
    protected abstract PointwiseTerm term();

    /** The term's first scalar option (beta, delta, margin, eps), 0 if none. */
    protected double p0() {
        return 0;
    }

    /** The term's second scalar option (1 for {@code full}), 0 if none. */
    protected double p1() {
        return 0;
    }

    /** Weight multiplying each element's loss, broadcast over the output, or null. */
    protected HostArray weight() {
        return null;
    }

    /** BCEWithLogits' pos_weight, broadcast over the output, or null. */
    protected HostArray posWeight() {
        return null;
    }



    /**
     * Shape rules beyond broadcasting (BCE demands equal shapes; GaussianNLL's var rules); may return
     * replacement shapes for the operands (e.g. var unsqueezed), or null to keep them.
     */
    protected long[][] checkShapes(Tensor[] args) {
        return null;
    }

    @Override
    protected Plan<?> plan(Tensor[] args) {
        String fn = functionalName();
        List<String> names = argumentNames();
        for (int i = 0; i < args.length; i++) {
            Checks.floatTensor(fn, names.get(i), args[i]);
        }
        long[][] shapes = checkShapes(args);
        if (shapes == null) {
            shapes = new long[args.length][];
            for (int i = 0; i < args.length; i++) {
                shapes[i] = args[i].shape();
            }
        }
        long[] out = shapes[0];
        String outName = names.get(0);
        for (int i = 1; i < args.length; i++) {
            out = Checks.broadcast(fn, outName, out, names.get(i), shapes[i]);
            outName = outName + " and " + names.get(i);
        }
        boolean contiguous = true;
        long[][] strides = new long[args.length][];
        for (int i = 0; i < args.length; i++) {
            contiguous &= java.util.Arrays.equals(args[i].shape(), out);
            strides[i] = Checks.broadcastStrides(shapes[i], out);
        }
        HostArray w = weight();
        HostArray pw = posWeight();
        long[] ws = null;
        long[] pws = null;
        if (w != null) {
            Checks.check(java.util.Arrays.equals(Checks.broadcast(fn, "weight", w.shape(), outName, out), out),
                    fn, "weight with shape %s cannot be broadcast to the output's shape %s", Checks.str(w.shape()),
                    Checks.str(out));
            ws = Checks.broadcastStrides(w.shape(), out);
            contiguous = false;
        }
        if (pw != null) {
            Checks.check(java.util.Arrays.equals(Checks.broadcast(fn, "pos_weight", pw.shape(), outName, out), out),
                    fn, "pos_weight with shape %s cannot be broadcast to the output's shape %s",
                    Checks.str(pw.shape()), Checks.str(out));
            pws = Checks.broadcastStrides(pw.shape(), out);
            contiguous = false;
        }
        long numel = Tensor.numel(out);
        double divisor = switch (reduction()) {
            case NONE, SUM -> 1;
            case MEAN -> numel;
            // NOTE: PyTorch's kl_div divides by input.size(0), not the broadcast output's first size
            case BATCHMEAN -> args[0].dim() == 0 ? 1 : args[0].size(0);
        };
        List<String> diffNames = differentiableArguments();
        int[] diff = new int[diffNames.size()];
        for (int i = 0; i < diff.length; i++) {
            diff[i] = names.indexOf(diffNames.get(i));
        }
        long[] outputShape = reduction() == Reduction.NONE ? out : new long[0];
        PointwisePlan p = new PointwisePlan(fn, names.toArray(new String[0]), term(), out, numel, strides, contiguous,
                w == null ? null : w.values(), ws, pw == null ? null : pw.values(), pws, p0(), p1(), reduction(),
                divisor, diff);
        return new Plan<>(PointwisePlan.FAMILY, p, outputShape);
    }
}
