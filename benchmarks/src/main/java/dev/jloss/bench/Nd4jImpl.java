package dev.jloss.bench;

import java.util.List;
import java.util.Map;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMAE;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/**
 * The ND4J peer: DL4J's {@link ILossFunction} implementations (nd4j-native, linux-x86_64), where
 * ND4J has PyTorch's loss with the same parameterisation. forward = {@code computeScore(average=true)},
 * backward = {@code computeGradient}, fused = {@code computeGradientAndScore}. ND4J works on
 * [minibatch, nOut] matrices, so an element-wise case's vector is viewed as rows of 1000 (or 1024).
 *
 * <p>ND4J's conventions differ from PyTorch's by constant factors, applied only in the equality
 * check, never in the timed calls: its gradient is per example (DL4J divides by the minibatch in
 * the updater), and its binary cross-entropy score sums over outputs. The timed backward also does
 * not multiply by the upstream gradient (ND4J's API takes none). With the sigmoid activation ND4J's
 * gradient overwrites its input in place (DL4J's layers pass a scratch array), so the timed gradient
 * calls restore the input first: one extra copy that ND4J is charged for.
 *
 * <p>Without a match here (and so not benchmarked against ND4J): nll_loss and kl_div (ND4J's
 * LossNegativeLogLikelihood and LossKLD take probabilities, not log-probabilities), poisson_nll_loss
 * (LossPoisson has no log_input form), the margin, Huber, Gaussian, pairwise and CTC losses.
 */
public final class Nd4jImpl implements Impl {
    private record Mapping(ILossFunction fn, IActivation act, boolean sparseLabels) {
    }

    private static final Map<String, Mapping> MAPPINGS = Map.of(
            "mse_loss", new Mapping(new LossMSE(), new ActivationIdentity(), false),
            "l1_loss", new Mapping(new LossMAE(), new ActivationIdentity(), false),
            "binary_cross_entropy", new Mapping(new LossBinaryXENT(), new ActivationIdentity(), false),
            "binary_cross_entropy_with_logits", new Mapping(new LossBinaryXENT(), new ActivationSigmoid(), false),
            "multilabel_soft_margin_loss", new Mapping(new LossBinaryXENT(), new ActivationSigmoid(), false),
            "cross_entropy", new Mapping(new LossSparseMCXENT(), new ActivationSoftmax(), true));

    private final Mapping m;
    private final INDArray pre;
    /** Non-null when the gradient call overwrites its input (the sigmoid activation does, in place). */
    private final INDArray pristine;
    private final INDArray labels;
    private final long rows;
    private final long cols;
    private final double lossScale;
    private final double gradScale;
    private final String note;

    public static boolean has(String loss) {
        return MAPPINGS.containsKey(loss);
    }

    public Nd4jImpl(HostInputs in) {
        String loss = in.kase.loss();
        m = MAPPINGS.get(loss);
        if (m == null) {
            throw new JlossImpl.Unavailable("ND4J has no ILossFunction for " + loss);
        }
        long[] shape = in.arg(0).shape();
        if (shape.length == 1) {
            long n = shape[0];
            cols = n % 1000 == 0 ? 1000 : 1024;
            rows = n / cols;
        } else {
            rows = shape[0];
            cols = shape[1];
        }
        pre = Nd4j.create(in.floats[0], new long[] {rows, cols}, 'c');
        pristine = m.act instanceof ActivationSigmoid ? pre.dup() : null;
        if (m.sparseLabels) {
            float[] idx = new float[(int) rows];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = in.longs[1][i];
            }
            labels = Nd4j.create(idx, new long[] {rows, 1}, 'c');
        } else {
            labels = Nd4j.create(in.floats[1], new long[] {rows, cols}, 'c');
        }
        boolean perExampleSum = m.fn instanceof LossBinaryXENT;
        lossScale = perExampleSum ? 1.0 / cols : 1.0;
        gradScale = perExampleSum ? 1.0 / ((double) rows * cols) : 1.0 / rows;
        note = m.fn.getClass().getSimpleName() + "+" + m.act.getClass().getSimpleName().replace("Activation", "")
                + (m.sparseLabels ? ", class-index labels" : "")
                + (pristine != null ? "; its gradient overwrites the input, so each timed gradient call first restores it (one extra copy)" : "");
    }

    /** Restores the input a previous gradient call overwrote (part of the timed call: one extra copy). */
    private void restore(Op op) {
        if (pristine != null && op != Op.FORWARD) {
            pre.assign(pristine);
        }
    }

    @Override
    public Object run(Op op) {
        restore(op);
        return switch (op) {
            case FORWARD -> m.fn.computeScore(labels, pre, m.act, null, true);
            case BACKWARD -> m.fn.computeGradient(labels, pre, m.act, null);
            default -> m.fn.computeGradientAndScore(labels, pre, m.act, null, true);
        };
    }

    @Override
    public Outputs outputs(Op op) {
        restore(op);
        switch (op) {
            case FORWARD -> {
                return new Outputs(m.fn.computeScore(labels, pre, m.act, null, true) * lossScale, List.of());
            }
            case BACKWARD -> {
                INDArray g = m.fn.computeGradient(labels, pre, m.act, null);
                return new Outputs(Double.NaN, List.of(scaled(g, gradScale * GRAD_OUTPUT)));
            }
            default -> {
                Pair<Double, INDArray> p = m.fn.computeGradientAndScore(labels, pre, m.act, null, true);
                return new Outputs(p.getFirst() * lossScale, List.of(scaled(p.getSecond(), gradScale)));
            }
        }
    }

    private static float[] scaled(INDArray g, double s) {
        float[] f = g.castTo(DataType.FLOAT).dup('c').data().asFloat();
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (f[i] * s);
        }
        return f;
    }

    @Override
    public String note() {
        return note;
    }

    @Override
    public void close() {
        pre.close();
        labels.close();
    }
}
