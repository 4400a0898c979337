package dev.jloss.dl4j;

import dev.jloss.Backend;
import dev.jloss.DType;
import dev.jloss.Loss;
import dev.jloss.LossArgumentException;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.backend.Backends;
import dev.jloss.backend.cpu.CpuBackend;
import dev.jloss.backend.cpu.HostStorage;
import dev.jloss.loss.Losses;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * An ND4J {@link ILossFunction} that computes a jloss loss, so that a Deeplearning4j network trains on
 * jloss's loss and gradient.
 *
 * <pre>{@code
 * new OutputLayer.Builder(JlossLossFunction.of("cross_entropy", Map.of("label_smoothing", 0.1)))
 *         .activation(Activation.IDENTITY)   // cross_entropy takes logits, as in PyTorch
 *         .nIn(32).nOut(5).build()
 * }</pre>
 *
 * <h2>Which losses fit</h2>
 * ND4J hands a loss {@code (labels, preOutput, activation, mask)}: the losses whose {@code forward()} is
 * {@code (input, target)} with {@code input} differentiable: L1, MSE, SmoothL1, Huber, BCE, BCEWithLogits,
 * KLDiv, PoissonNLL, SoftMargin, HingeEmbedding, MultiLabelSoftMargin, MultiLabelMargin, MultiMargin,
 * CrossEntropy, NLL. {@code input} is {@code activation(preOutput)}, {@code target} the labels. Labels are
 * float arrays in ND4J: for an integer target (class indices, label lists) they are converted to int64
 * after checking that each is whole, and a class-index column {@code (N, 1)} is read as {@code (N)};
 * {@code cross_entropy}'s target with the input's shape is a probability target (a one-hot row gives
 * the class-index loss), as in PyTorch.
 *
 * <h2>Scores and gradients</h2>
 * The jloss loss runs with {@code reduction=none}. An example's score is the sum of its per-element
 * losses (times the mask) over the non-batch dimensions, as ND4J's losses sum over outputs:
 * {@link #computeScoreArray} is that column {@code (N, 1)}, {@link #computeScore} its sum, divided by N
 * when {@code average}. {@link #computeGradient} is the gradient of the sum of the scores with respect to
 * {@code preOutput}: jloss's gradient with respect to the activation's output (the upstream gradient
 * being the mask) taken back through the activation with {@code activationFn.backprop}, as ND4J's own
 * losses do. {@link #computeGradientAndScore} gives both from one fused jloss pass.
 *
 * <p>Masks: a per-example mask ({@code (N, 1)} or {@code N} values) weighs each example; a per-output mask
 * (the output's shape) weighs each element of an element-wise loss (a row-wise loss such as
 * cross-entropy has one value per example, so it takes per-example masks only, as ND4J's MCXENT).
 *
 * <p>Data path: arrays are copied once from ND4J's memory into Java arrays reused from call to call (the
 * jloss CPU backend computes on them in place), and each gradient once into a new ND4J array.
 * Serializable by name and options (the jloss loss is rebuilt on deserialization); calls are serialised.
 */
public final class JlossLossFunction implements ILossFunction {
    private static final long serialVersionUID = 1L;

    private final String lossName;
    private final LinkedHashMap<String, Object> options;
    private transient Loss loss;
    private transient Backend backend;
    private transient float[] inputBuf;
    private transient float[] targetF;
    private transient long[] targetL;
    private transient float[] gradOutBuf;

    private JlossLossFunction(String name, Map<String, ?> options) {
        this.lossName = name;
        this.options = new LinkedHashMap<>(options);
        init();
    }

    /**
     * The loss PyTorch calls {@code name} (class or functional name) with PyTorch-named options; the
     * reduction is this adapter's ({@code none}, then ND4J's per-example sums), so {@code reduction} is refused.
     */
    public static JlossLossFunction of(String name, Map<String, ?> options) {
        String functional = Losses.functionalName(name);
        for (String k : List.of("reduction", "size_average", "reduce")) {
            if (options.containsKey(k)) {
                throw new LossArgumentException(functional + ": option " + k + " is set to " + options.get(k)
                        + ", expected it unset (ND4J's losses reduce per example; the adapter runs reduction=none)");
            }
        }
        return new JlossLossFunction(name, options);
    }

    private void init() {
        Map<String, Object> o = new LinkedHashMap<>(options);
        o.put("reduction", "none");
        Loss l = Losses.create(lossName, o);
        LossSpec spec = l.spec();
        List<LossSpec.Arg> args = spec.args();
        if (args.size() != 2 || !args.get(0).differentiable() || args.get(1).differentiable()) {
            throw new LossArgumentException(l.functionalName() + ": forward takes " + spec.argumentNames()
                    + " (differentiable " + spec.differentiableArguments() + "), expected (input, target) with input "
                    + "alone differentiable, as ND4J's (labels, preOutput) contract");
        }
        if (l.reduction() != Reduction.NONE) {
            throw new IllegalStateException("internal: " + l.functionalName() + " built with reduction " + l.reduction());
        }
        this.loss = l;
        this.backend = Backends.named("cpu");
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
        in.defaultReadObject();
        init();
    }

    /** The jloss loss (with {@code reduction=none}). */
    public Loss loss() {
        return loss;
    }

    @Override
    public String name() {
        return "jloss:" + loss.name();
    }

    @Override
    public String toString() {
        return "JlossLossFunction(" + loss.name() + ", " + options + ")";
    }

    @Override
    public synchronized double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                            INDArray mask, boolean average) {
        Run r = run(labels, preOutput, activationFn, mask, false);
        double s = 0;
        for (double v : r.scores) {
            s += v;
        }
        return average ? s / r.scores.length : s;
    }

    @Override
    public synchronized INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                   INDArray mask) {
        Run r = run(labels, preOutput, activationFn, mask, false);
        return Nd4j.create(r.scores, new long[] {r.scores.length, 1}, DataType.DOUBLE).castTo(preOutput.dataType());
    }

    @Override
    public synchronized INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                 INDArray mask) {
        return run(labels, preOutput, activationFn, mask, true).grad;
    }

    @Override
    public synchronized Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                                       IActivation activationFn, INDArray mask,
                                                                       boolean average) {
        Run r = run(labels, preOutput, activationFn, mask, true);
        double s = 0;
        for (double v : r.scores) {
            s += v;
        }
        return new Pair<>(average ? s / r.scores.length : s, r.grad);
    }

    /** Per-example scores and, when asked, the gradient with respect to preOutput. */
    private record Run(double[] scores, INDArray grad) {
    }

    private Run run(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask, boolean wantGrad) {
        String fn = loss.functionalName();
        if (labels == null || preOutput == null || activationFn == null) {
            throw new LossArgumentException(fn + ": labels, preOutput and activationFn must not be null");
        }
        INDArray a = activationFn.getActivation(preOutput.dup(), true);
        long[] inShape = a.shape();
        inputBuf = read(a, inputBuf);
        Tensor input = backend.tensor(inputBuf, inShape);
        Tensor target = target(labels, inShape);
        Tensor gradOutput = null;
        dev.jloss.LossResult res = null;
        try {
            long[] outShape = outputShape(inShape, target.shape(), fn);
            int rows = Math.toIntExact(inShape[0]);
            float[] weights = maskWeights(mask, rows, outShape, fn);
            INDArray grad = null;
            Tensor out;
            if (wantGrad) {
                float[] go = weights;
                if (go == null) {
                    int len = Math.toIntExact(Tensor.numel(outShape));
                    gradOutBuf = gradOutBuf != null && gradOutBuf.length == len ? gradOutBuf : ones(len);
                    go = gradOutBuf;
                }
                gradOutput = backend.tensor(go, outShape);
                // one fused pass: the per-element loss and the gradient of sum(mask * loss)
                res = loss.forwardBackwardWith(gradOutput, input, target);
                out = res.loss();
                float[] g = hostFloats(res.grad("input"));
                INDArray dLda = Nd4j.create(g, inShape, 'c').castTo(preOutput.dataType());
                grad = activationFn.backprop(preOutput.dup(), dLda).getFirst();
            } else {
                res = new dev.jloss.LossResult(loss.forward(input, target), Map.of());
                out = res.loss();
            }
            float[] perElement = hostFloats(out);
            double[] scores = new double[rows];
            int perRow = rows == 0 ? 0 : perElement.length / rows;
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int j = r * perRow; j < (r + 1) * perRow; j++) {
                    sum += weights == null ? perElement[j] : (double) weights[j] * perElement[j];
                }
                scores[r] = sum;
            }
            return new Run(scores, grad);
        } finally {
            input.close();
            target.close();
            if (gradOutput != null) {
                gradOutput.close();
            }
            if (res != null) {
                res.close();
            }
        }
    }

    /** A result's floats: the CPU backend's own array (no copy), else read back. */
    private float[] hostFloats(Tensor t) {
        return backend instanceof CpuBackend ? HostStorage.floats(t) : t.toFloatArray();
    }

    /**
     * The shape of the loss with {@code reduction=none} for ND4J's 2-d {@code (N, C)} output: one value per
     * element for an element-wise loss (input and target broadcast), one per example for a row-wise loss.
     */
    private long[] outputShape(long[] inShape, long[] targetShape, String fn) {
        if (inShape.length != 2) {
            throw new LossArgumentException(fn + ": the activation's output has shape " + Arrays.toString(inShape)
                    + ", expected (N, C) (ND4J hands losses 2-d arrays)");
        }
        if (loss.spec().batching() != LossSpec.Batching.BROADCAST) {
            return new long[] {inShape[0]};
        }
        int rank = Math.max(inShape.length, targetShape.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            int a = i - (rank - inShape.length);
            int b = i - (rank - targetShape.length);
            long da = a >= 0 ? inShape[a] : 1;
            long db = b >= 0 ? targetShape[b] : 1;
            out[i] = da == 1 ? db : da;   // a mismatch is jloss's error to report
        }
        return out;
    }

    /**
     * The mask as one weight per output element (null for no mask): a per-example mask is repeated over
     * each example's outputs, a per-output mask must have the output's shape.
     */
    private static float[] maskWeights(INDArray mask, int rows, long[] outShape, String fn) {
        if (mask == null) {
            return null;
        }
        int outLen = Math.toIntExact(Tensor.numel(outShape));
        int perRow = outLen / Math.max(rows, 1);
        float[] m = read(mask, null);
        if (m.length == rows) {
            float[] w = new float[outLen];
            for (int r = 0; r < rows; r++) {
                Arrays.fill(w, r * perRow, (r + 1) * perRow, m[r]);
            }
            return w;
        }
        if (m.length == outLen && outShape.length > 1) {
            return m;
        }
        throw new LossArgumentException(fn + ": mask has shape " + Arrays.toString(mask.shape()) + ", expected ["
                + rows + ", 1] (per example)" + (outShape.length > 1 ? " or " + Arrays.toString(outShape) + " (per output)"
                : "; a per-output mask needs an element-wise loss, this one has one value per example"));
    }

    /** The labels as the loss's target: float32 values, or int64 indices checked to be whole. */
    private Tensor target(INDArray labels, long[] inShape) {
        LossSpec.Arg arg = loss.spec().args().get(1);
        long[] shape = labels.shape();
        boolean classIndices = arg.role() == LossSpec.Role.CLASS_INDICES;
        if (!arg.role().integers() || (classIndices && Arrays.equals(shape, inShape))) {
            targetF = read(labels, targetF);
            return backend.tensor(targetF, shape);
        }
        if (shape.length == 2 && shape[1] == 1 && inShape.length == 2 && shape[0] == inShape[0]) {
            shape = new long[] {shape[0]};   // a class-index column
        }
        float[] f = read(labels, null);
        targetL = targetL != null && targetL.length == f.length ? targetL : new long[f.length];
        for (int k = 0; k < f.length; k++) {
            if (f[k] != Math.rint(f[k])) {
                throw new LossArgumentException(loss.functionalName() + ": " + arg.name() + " holds " + f[k]
                        + " at flat index " + k + ", expected whole numbers (the labels are converted to int64)");
            }
            targetL[k] = (long) f[k];
        }
        return backend.tensor(targetL, shape);
    }

    /** {@code x} as float32 in C order, into {@code reuse} when it has the right length: one copy. */
    private static float[] read(INDArray x, float[] reuse) {
        INDArray c = x.dataType() == DataType.FLOAT ? x : x.castTo(DataType.FLOAT);
        if (c.ordering() != 'c' || c.isView() || c.data().length() != c.length()) {
            c = c.dup('c');
        }
        int n = Math.toIntExact(c.length());
        float[] dst = reuse != null && reuse.length == n ? reuse : new float[n];
        c.data().asNioFloat().get(dst, 0, n);
        return dst;
    }

    private static float[] ones(int n) {
        float[] f = new float[n];
        Arrays.fill(f, 1f);
        return f;
    }
}
