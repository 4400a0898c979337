package dev.jloss.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A DJL {@link ai.djl.training.loss.Loss} that computes any jloss loss, and whose gradient, as DJL's
 * autograd sees it, is jloss's: DJL trains the model on jloss's loss and jloss's gradient.
 *
 * <pre>{@code
 * Loss loss = JlossLoss.of("cross_entropy", Map.of("label_smoothing", 0.1));  // was Loss.softmaxCrossEntropyLoss()
 * DefaultTrainingConfig config = new DefaultTrainingConfig(loss);           // everything else unchanged
 * }</pre>
 *
 * <h2>Arguments</h2>
 * DJL calls {@code evaluate(labels, predictions)}; the jloss loss takes PyTorch's {@code forward()}
 * arguments ({@link Loss#argumentNames()}). By default ({@link Mapping#POSITIONAL}) the predictions are
 * the loss's differentiable arguments in order and the labels the rest in order: for
 * {@code cross_entropy(input, target)} predictions {@code [logits]}, labels {@code [classes]}; for
 * {@code triplet_margin_loss(anchor, positive, negative)} predictions {@code [a, p, n]}, no labels; for
 * {@code ctc_loss(log_probs, targets, input_lengths, target_lengths)} predictions {@code [logProbs]}, labels
 * {@code [targets, inputLengths, targetLengths]}. With {@link Mapping#BY_NAME} every array of both lists is
 * matched to the argument whose PyTorch name its {@link NDArray#getName()} is.
 *
 * <p>Data types: float arrays become float32 tensors; integer arrays keep int32/int64 (other integer types
 * are widened to int64). A float array given for an integer argument (DJL's datasets keep class labels
 * as float32) is converted to int64 after checking that every value is whole, except for
 * {@code cross_entropy}'s class-index target when it has the input's shape: that is a probability target, as
 * in PyTorch. A class-index label of shape {@code (N, 1)} for an {@code (N, C)} input, DJL's sparse-label
 * convention, is read as {@code (N)}.
 *
 * <h2>The gradient</h2>
 * One fused jloss {@code forwardBackward} pass gives the loss {@code L} and the gradient {@code g_k} of
 * each differentiable prediction {@code p_k}. The returned array is
 * {@code L + (s - stopGradient(s))} with {@code s = sum_k sum(p_k * g_k)} and {@code g_k} constant:
 * its value is {@code L} exactly ({@code s - stopGradient(s)} is exactly 0) and its derivative with
 * respect to {@code p_k} is {@code g_k}, so DJL's autograd carries jloss's gradient into the network.
 * The loss must therefore be reduced ({@code mean}, {@code sum}, {@code batchmean}): a per-element
 * ({@code none}) loss would need the upstream gradient, which DJL's autograd does not hand to a Java loss.
 * The gradient is computed on every call: DJL's API does not say whether a prediction is recorded for
 * autograd ({@code hasGradient()} is false for a network's output on the PyTorch engine), and the fused
 * pass costs little more than the forward.
 *
 * <h2>Data path</h2>
 * On the jloss CPU backend (the default) each argument is copied once from the NDArray's own memory (a
 * direct view of libtorch's buffer, {@code toByteBuffer(true)}) into a Java array reused from call to call,
 * the loss and gradients are written into tensors reused from call to call ({@code forwardBackwardInto}),
 * and each gradient is copied once into a direct buffer that becomes the gradient NDArray without a further
 * copy. On a GPU jloss backend the arguments go host to device and the gradients back: the core's tensors
 * own their device memory, so a libtorch CUDA pointer cannot be handed to jloss without a copy.
 *
 * <p>DJL's accumulator ({@code addAccumulator}, {@code updateAccumulator}, {@code getAccumulator},
 * {@code resetAccumulator}) is {@code ai.djl.training.loss.Loss}'s own, unchanged: it sums {@link #evaluate}.
 * Calls to one instance are serialised (it reuses its buffers).
 */
public final class JlossLoss extends ai.djl.training.loss.Loss {

    /** How DJL's labels and predictions are matched to the loss's {@code forward()} arguments. */
    public enum Mapping {
        /** Predictions are the differentiable arguments in order, labels the others in order. */
        POSITIONAL,
        /** Each array's {@link NDArray#getName()} is the PyTorch name of its argument. */
        BY_NAME
    }

    private final Loss loss;
    private final Backend backend;
    private final Mapping mapping;
    private final LossSpec spec;
    private final List<String> names;
    private final String functional;
    /** Per argument: host arrays reused from call to call. */
    private final float[][] floatBuf;
    private final long[][] longBuf;
    private final int[][] intBuf;
    /** The loss and gradient tensors reused from call to call (re-made when a shape changes). */
    private Tensor out;
    private final Tensor[] grads;
    /** A GPU backend's gradient read back to the host, reused. */
    private float[] hostGrad;

    private JlossLoss(Builder b) {
        super(b.name != null ? b.name : b.loss.name());
        this.loss = b.loss;
        this.backend = b.backend != null ? b.backend : Backends.named("cpu");
        this.mapping = b.mapping;
        this.spec = loss.spec();
        this.names = spec.argumentNames();
        this.functional = loss.functionalName();
        if (loss.reduction() == Reduction.NONE) {
            throw new LossArgumentException(functional + ": reduction is none, expected mean, sum or batchmean "
                    + "(DJL's autograd does not pass a per-element upstream gradient to a Java loss)");
        }
        int n = names.size();
        floatBuf = new float[n][];
        longBuf = new long[n][];
        intBuf = new int[n][];
        grads = new Tensor[spec.differentiableArguments().size()];
    }

    /** Wraps {@code loss} (reduced: mean, sum or batchmean) on the jloss CPU backend, arguments by position. */
    public static JlossLoss of(Loss loss) {
        return builder(loss).build();
    }

    /** The loss PyTorch calls {@code name} (class or functional name), built from PyTorch-named options. */
    public static JlossLoss of(String name, Map<String, ?> options) {
        return builder(Losses.create(name, options)).build();
    }

    public static Builder builder(Loss loss) {
        return new Builder(loss);
    }

    /** The wrapped jloss loss. */
    public Loss loss() {
        return loss;
    }

    /** The jloss backend the loss runs on. */
    public Backend backend() {
        return backend;
    }

    /** Options of the adapter: the DJL name, the jloss backend, the argument mapping. */
    public static final class Builder {
        private final Loss loss;
        private String name;
        private Backend backend;
        private Mapping mapping = Mapping.POSITIONAL;

        private Builder(Loss loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
        }

        /** DJL's name for the loss (its metric name); the PyTorch class name by default. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** The jloss backend to run on (the caller keeps ownership); the CPU backend by default. */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        public Builder mapping(Mapping mapping) {
            this.mapping = Objects.requireNonNull(mapping, "mapping");
            return this;
        }

        public JlossLoss build() {
            return new JlossLoss(this);
        }
    }

    /**
     * The loss of {@code predictions} against {@code labels}: a 0-d float32 NDArray equal to jloss's loss,
     * whose gradient with respect to each differentiable prediction is jloss's gradient.
     */
    @Override
    public synchronized NDArray evaluate(NDList labels, NDList predictions) {
        NDArray[] arrays = new NDArray[names.size()];
        boolean[] fromPrediction = new boolean[names.size()];
        assign(labels, predictions, arrays, fromPrediction);
        List<String> diff = spec.differentiableArguments();
        Tensor[] args = new Tensor[arrays.length];
        try {
            for (int i = 0; i < arrays.length; i++) {
                args[i] = toTensor(i, arrays[i], arrays);
            }
            out = reuse(out, new long[0]);
            for (int k = 0; k < grads.length; k++) {
                grads[k] = reuse(grads[k], args[names.indexOf(diff.get(k))].shape());
            }
            loss.forwardBackwardInto(out, grads, args);
        } finally {
            for (Tensor t : args) {
                if (t != null) {
                    t.close();   // a device copy is freed; a CPU tensor wraps this adapter's reused array, which stays
                }
            }
        }
        NDArray first = predictions.isEmpty() ? labels.head() : predictions.head();
        NDManager manager = first.getManager();
        NDArray value = manager.create(out.item());
        NDArray s = null;
        for (int k = 0; k < grads.length; k++) {
            int i = names.indexOf(diff.get(k));
            NDArray p = arrays[i];
            if (!fromPrediction[i]) {
                continue;
            }
            NDArray g = gradientArray(manager, grads[k], p);
            NDArray term = p.flatten().dot(g.flatten());   // sum(p * g) in one op, no intermediate
            s = s == null ? term : s.add(term);
        }
        if (s == null) {
            return value;   // BY_NAME with every differentiable argument given as a label
        }
        // s - stopGradient(s) is exactly 0 and has derivative g_k with respect to p_k
        return s.sub(s.stopGradient()).add(value);
    }

    private void assign(NDList labels, NDList predictions, NDArray[] arrays, boolean[] fromPrediction) {
        if (labels == null || predictions == null) {
            throw new LossArgumentException(functional + ": labels and predictions must not be null");
        }
        if (mapping == Mapping.BY_NAME) {
            assignByName(labels, false, arrays, fromPrediction);
            assignByName(predictions, true, arrays, fromPrediction);
            for (int i = 0; i < arrays.length; i++) {
                if (arrays[i] == null) {
                    throw new LossArgumentException(functional + ": no label or prediction named " + names.get(i)
                            + ", expected arrays named " + names + ", got labels " + namesOf(labels)
                            + " and predictions " + namesOf(predictions));
                }
            }
            return;
        }
        List<String> diff = spec.differentiableArguments();
        List<String> rest = names.stream().filter(n -> !diff.contains(n)).toList();
        if (predictions.size() != diff.size()) {
            throw new LossArgumentException(functional + ": expected " + diff.size() + " predictions " + diff
                    + ", got " + predictions.size());
        }
        if (labels.size() != rest.size()) {
            throw new LossArgumentException(functional + ": expected " + rest.size() + " labels " + rest
                    + ", got " + labels.size());
        }
        for (int k = 0; k < diff.size(); k++) {
            int i = names.indexOf(diff.get(k));
            arrays[i] = predictions.get(k);
            fromPrediction[i] = true;
        }
        for (int k = 0; k < rest.size(); k++) {
            arrays[names.indexOf(rest.get(k))] = labels.get(k);
        }
    }

    private void assignByName(NDList list, boolean predictions, NDArray[] arrays, boolean[] fromPrediction) {
        for (NDArray a : list) {
            int i = a.getName() == null ? -1 : names.indexOf(a.getName());
            if (i < 0) {
                throw new LossArgumentException(functional + ": " + (predictions ? "prediction" : "label")
                        + " named " + a.getName() + ", expected one of " + names);
            }
            if (arrays[i] != null) {
                throw new LossArgumentException(functional + ": two arrays named " + names.get(i)
                        + ", expected one per argument");
            }
            arrays[i] = a;
            fromPrediction[i] = predictions;
        }
    }

    private static List<String> namesOf(NDList list) {
        List<String> r = new ArrayList<>();
        list.forEach(a -> r.add(a.getName()));
        return r;
    }

    /** Argument {@code i} as a jloss tensor; on the CPU backend it wraps this adapter's reused array. */
    private Tensor toTensor(int i, NDArray a, NDArray[] all) {
        LossSpec.Arg arg = spec.args().get(i);
        long[] shape = a.getShape().getShape();
        DataType dt = a.getDataType();
        boolean classIndices = arg.role() == LossSpec.Role.CLASS_INDICES;
        long[] inputShape = all[0].getShape().getShape();
        boolean integerArg = arg.role().integers() && !(classIndices && Arrays.equals(shape, inputShape));
        if (classIndices && inputShape.length == 2 && shape.length == 2 && shape[1] == 1 && shape[0] == inputShape[0]) {
            shape = new long[] {shape[0]};   // DJL's (N, 1) sparse labels
        }
        int n = Math.toIntExact(a.size());
        if (dt == DataType.INT32) {
            int[] buf = intBuf[i] = sized(intBuf[i], n);
            view(a).asIntBuffer().get(buf, 0, n);
            return backend.tensor(buf, shape);
        }
        if (dt.isInteger()) {
            long[] buf = longBuf[i] = sized(longBuf[i], n);
            NDArray a64 = dt == DataType.INT64 ? a : a.toType(DataType.INT64, false);
            view(a64).asLongBuffer().get(buf, 0, n);
            return backend.tensor(buf, shape);
        }
        float[] buf = floatBuf[i] = sized(floatBuf[i], n);
        NDArray a32 = dt == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
        view(a32).asFloatBuffer().get(buf, 0, n);
        if (!integerArg) {
            return backend.tensor(buf, shape);
        }
        long[] lb = longBuf[i] = sized(longBuf[i], n);
        for (int k = 0; k < n; k++) {
            float v = buf[k];
            if (v != Math.rint(v)) {
                throw new LossArgumentException(functional + ": " + arg.name() + " holds " + v + " at flat index " + k
                        + ", expected whole numbers (" + arg.name() + " is converted from " + dt + " to int64)");
            }
            lb[k] = (long) v;
        }
        return backend.tensor(lb, shape);
    }

    /** The NDArray's bytes in native order: a view of libtorch's memory when contiguous on the CPU. */
    private static ByteBuffer view(NDArray a) {
        return a.toByteBuffer(true).order(ByteOrder.nativeOrder());
    }

    /** {@code g} as an NDArray like {@code p}: one copy into a direct buffer the NDArray then wraps. */
    private NDArray gradientArray(NDManager manager, Tensor g, NDArray p) {
        int n = Math.toIntExact(g.numel());
        ByteBuffer bb = manager.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder());
        if (backend instanceof CpuBackend) {
            bb.asFloatBuffer().put(HostStorage.floats(g), 0, n);   // the result array itself, no read-back copy
        } else {
            hostGrad = sized(hostGrad, n);
            backend.readFloats(g, hostGrad);
            bb.asFloatBuffer().put(hostGrad, 0, n);
        }
        NDArray nd = manager.create(bb, p.getShape(), DataType.FLOAT32);
        if (!nd.getDevice().equals(p.getDevice())) {
            nd = nd.toDevice(p.getDevice(), false);
        }
        return p.getDataType() == DataType.FLOAT32 ? nd : nd.toType(p.getDataType(), false);
    }

    private Tensor reuse(Tensor t, long[] shape) {
        if (t != null && Arrays.equals(t.shape(), shape)) {
            return t;
        }
        if (t != null) {
            t.close();
        }
        return backend.zeros(DType.FLOAT32, shape);
    }

    private static float[] sized(float[] a, int n) {
        return a != null && a.length == n ? a : new float[n];
    }

    private static long[] sized(long[] a, int n) {
        return a != null && a.length == n ? a : new long[n];
    }

    private static int[] sized(int[] a, int n) {
        return a != null && a.length == n ? a : new int[n];
    }
}
