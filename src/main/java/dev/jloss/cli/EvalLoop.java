package dev.jloss.cli;

import dev.jloss.Backend;
import dev.jloss.DType;
import dev.jloss.DeviceMemoryException;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.loss.HostArray;
import dev.jloss.loss.Losses;
import dev.jloss.loss.Options;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates a loss chunk by chunk with {@code reduction=none} and combines the chunks with a
 * {@link Reducer}: their outputs are summed in double in chunk order, so a reduced value is the same
 * whatever the chunk size (up to the order of additions in double) and identical run to run.
 *
 * <p>Three modes: the forward alone; without a reduction, the fused forward+backward of the
 * outputs' sum; with a reduction and {@code --grad}, the denominator is found first (the output's
 * size from the first chunk's output and, for a class-weighted mean, one pass over the class-index
 * targets alone), then each chunk runs the forward+backward with the upstream gradient that makes
 * the chunks' gradients add up to the reduced value's. Outputs and gradients go to an
 * {@link OutputSink}.
 */
final class EvalLoop implements AutoCloseable {
    private final String lossName;
    private final Loss validated;
    private final Map<String, Object> options;
    private final Map<String, Object> noneOptions;
    private final List<String> names;
    private final List<String> diff;
    private final LossLayout.Plan plan;
    private final ChunkPlanner planner;
    private final ChunkReader reader;
    private final OutputSink sink;
    private final Reducer reducer;
    private final Backend backend;
    private final boolean grad;
    private final Progress progress;
    private final String classTarget;
    private final Map<String, Tensor> wholeTensor = new HashMap<>();
    /** Host copies of each chunk's results, reused from chunk to chunk: the output, then one per gradient. */
    private final float[][] buffers;
    /** How many elements of each gradient's buffer the chunk filled. */
    private final int[] gradLengths;
    private float[] upstream = new float[0];
    private double sum;
    private Loss noneLoss;
    private long[] fullOutShape;
    private boolean statsReady;
    private long computeNanos;

    /**
     * @param q         the loss and options asked for, the backend, {@code --grad} and the progress bar
     * @param validated the loss as asked for (its reduction is the one reported)
     * @param asInt     whether each argument is read as int64
     */
    EvalLoop(StreamingEval.Request q, Loss validated, Map<String, Boolean> asInt, LossLayout.Plan plan,
             ChunkPlanner planner, ChunkReader reader, OutputSink sink) {
        this.lossName = q.loss;
        this.validated = validated;
        this.options = q.options;
        this.names = validated.argumentNames();
        this.diff = validated.differentiableArguments();
        this.plan = plan;
        this.planner = planner;
        this.reader = reader;
        this.sink = sink;
        this.backend = q.backend;
        this.grad = q.grad;
        this.progress = q.progress;
        this.buffers = new float[1 + diff.size()][];
        this.gradLengths = new int[diff.size()];
        noneOptions = new LinkedHashMap<>(options);
        noneOptions.keySet().removeAll(List.of("reduction", "size_average", "reduce"));
        noneOptions.put("reduction", "none");
        LossSpec spec = validated.spec();
        Options read = new Options(spec.functionalName(), options);
        HostArray weight = spec.mean() == LossSpec.Mean.CLASS_WEIGHTS ? read.getArray("weight") : null;
        classTarget = spec.argWith(LossSpec.Role.CLASS_INDICES).map(LossSpec.Arg::name).orElse(null);
        boolean indexTargets = classTarget != null && asInt.getOrDefault(classTarget, false);
        if (validated instanceof dev.jloss.loss.CrossEntropyLoss ce && ce.lseSquareScale() != 0 && weight != null
                && validated.reduction() == dev.jloss.Reduction.MEAN) {
            // NOTE: the chunks' reduction=none outputs hold l_i + z_i together, and a weighted mean divides
            // the two parts by different denominators (the weight sum, the count): not recoverable here
            throw new CliException("cross_entropy: --lse-square-scale with --weight and reduction mean cannot be "
                    + "streamed in chunks (the z-loss part divides by the count of targets, the rest by their "
                    + "weight sum); use --reduction sum or none, or the Java API");
        }
        this.reducer = new Reducer(validated.reduction(), spec.mean(), indexTargets, weight,
                read.getLong("ignore_index", -100), plan);
    }

    /** Runs every chunk, reading them ahead on a background thread. */
    void run() {
        long chunks = planner.chunks();
        try (ChunkReader.Prefetch chunksAhead = new ChunkReader.Prefetch(reader.cursor(names, backend), chunks)) {
            for (long k = 0; k < chunks; k++) {
                ChunkReader.Chunk c;
                try {
                    c = chunksAhead.next();
                } catch (DeviceMemoryException ex) {
                    throw outOfDeviceMemory(ex, planner.start(k), planner.end(k));
                }
                try {
                    process(c);
                } catch (DeviceMemoryException ex) {
                    throw outOfDeviceMemory(ex, c.r0(), c.r1());
                } catch (IllegalArgumentException ex) {
                    if (chunks > 1) {
                        CliException wrapped = new CliException(ex.getMessage() + " (in batch rows " + c.r0() + " to "
                                + (c.r1() - 1) + " of " + plan.batch() + ")");
                        wrapped.initCause(ex);
                        throw wrapped;
                    }
                    throw ex;
                }
                if (progress != null) {
                    progress.update(reader.bytesRead());
                }
            }
        }
    }

    /**
     * The device ran out of memory for rows {@code [r0, r1)}: exit status 2 with the limit the driver
     * named and how to stay under it (fewer rows per chunk).
     */
    private CliException outOfDeviceMemory(DeviceMemoryException ex, long r0, long r1) {
        long rows = r1 - r0;
        String hint = plan.batched() && rows > 1 ? "; try --chunk-rows " + Math.max(1, rows / 2)
                + " (this chunk had " + rows + " rows)" : "; this input cannot be cut into smaller chunks";
        CliException c = new CliException(validated.functionalName() + ": out of device memory in batch rows " + r0 + " to " + (r1 - 1)
                + " of " + plan.batch() + ": " + ex.getMessage() + hint);
        c.initCause(ex);
        return c;
    }

    /** The sum of the chunks' outputs (CTC's mean: weighted by {@code 1 / max(1, target_length_i)}). */
    double sum() {
        return sum;
    }

    /** The shape of the whole call's {@code reduction=none} output. */
    long[] outputShape() {
        return fullOutShape;
    }

    Reducer reducer() {
        return reducer;
    }

    /** Seconds spent in the loss calls and their results' read-back. */
    double computeSeconds() {
        return computeNanos / 1e9;
    }

    /** Frees the tensors passed whole to every chunk. */
    @Override
    public void close() {
        wholeTensor.values().forEach(Tensor::close);
    }

    private void process(ChunkReader.Chunk c) {
        long t0 = System.nanoTime();
        Tensor[] args = new Tensor[names.size()];
        try {
            for (int i = 0; i < args.length; i++) {
                String name = names.get(i);
                Tensor whole = wholeTensor.get(name);
                if (whole == null && reader.isWhole(name)) {
                    whole = ChunkReader.toTensor(backend, reader.whole(name));
                    wholeTensor.put(name, whole);
                }
                args[i] = whole != null ? whole : c.tensors().get(name);
            }
            Loss loss = lossFor(c);
            boolean reducedGrad = grad && validated.reduction() != Reduction.NONE;
            float[] out = null;
            int outLength = 0;
            if (c.index() == 0 && reducedGrad) {
                // The gradient of a reduced loss needs its denominator first: the first chunk's output
                // shows the full output's size, and weighted class losses read their targets once.
                try (Tensor out0 = loss.forward(args)) {
                    out = host(out0, 0);
                    outLength = (int) out0.numel();
                    learnOutputShape(out0.shape(), c);
                }
                if (reducer.needsTargetStats()) {
                    prepassTargetStats();
                }
            }
            if (reducer.needsTargetStats() && !statsReady) {
                reducer.observeTargets(reader.host(c, classTarget).l());
            }
            float[] multipliers = reducer.hasMultipliers() ? reducer.multipliers(reader.targetLengths(c)) : null;
            float[][] grads = null;
            if (!grad) {
                try (Tensor o = loss.forward(args)) {
                    out = host(o, 0);
                    outLength = (int) o.numel();
                    if (fullOutShape == null) {
                        learnOutputShape(o.shape(), c);
                    }
                }
            } else if (!reducedGrad) {
                try (LossResult r = loss.forwardBackward(args)) {
                    out = host(r.loss(), 0);
                    outLength = (int) r.loss().numel();
                    if (fullOutShape == null) {
                        learnOutputShape(r.loss().shape(), c);
                    }
                    grads = grads(r);
                }
            } else {
                try (Tensor g = upstream(chunkOutShape(c), multipliers)) {
                    if (out != null) {
                        try (LossResult r = loss.backward(g, args)) {
                            grads = grads(r);
                        }
                    } else {
                        try (LossResult r = loss.forwardBackwardWith(g, args)) {
                            out = host(r.loss(), 0);
                            outLength = (int) r.loss().numel();
                            grads = grads(r);
                        }
                    }
                }
            }
            accumulate(out, outLength, multipliers, c);
            computeNanos += System.nanoTime() - t0;
            if (grads != null) {
                for (int i = 0; i < diff.size(); i++) {
                    sink.grad(diff.get(i), c, grads[i], gradLengths[i]);
                }
            }
        } finally {
            c.close();
        }
    }

    /**
     * A float tensor's values on the host, in the reused buffer {@code slot} (grown as needed; the
     * first {@code t.numel()} elements are the values).
     */
    private float[] host(Tensor t, int slot) {
        int n = (int) t.numel();
        float[] dst = buffers[slot];
        if (dst == null || dst.length < n) {
            dst = new float[n];
            buffers[slot] = dst;
        }
        if (t.dtype() == DType.FLOAT32) {
            t.backend().readFloats(t, dst);
        } else {
            System.arraycopy(t.toFloatArray(), 0, dst, 0, n);
        }
        return dst;
    }

    /** The upstream gradient of a chunk: {@code c · a_i} in the output's shape. */
    private Tensor upstream(long[] outShape, float[] multipliers) {
        float coef = (float) reducer.gradientCoefficient();
        int n = (int) StreamingEval.numel(outShape);
        // The backend may keep the array as the tensor's storage: reused only once that tensor is closed.
        float[] g = upstream.length == n ? upstream : new float[n];
        upstream = g;
        if (multipliers == null) {
            Arrays.fill(g, coef);
        } else {
            for (int i = 0; i < g.length; i++) {
                g[i] = coef * multipliers[i];
            }
        }
        return backend.tensor(g, outShape);
    }

    /** The chunk's gradients on the host, in the order of {@code diff}; their lengths in {@link #gradLengths}. */
    private float[][] grads(LossResult r) {
        float[][] g = new float[diff.size()][];
        for (int i = 0; i < g.length; i++) {
            Tensor t = r.grad(diff.get(i));
            g[i] = host(t, 1 + i);
            gradLengths[i] = (int) t.numel();
        }
        return g;
    }

    private void learnOutputShape(long[] shape0, ChunkReader.Chunk c) {
        long rowElements;
        if (plan.batched()) {
            long rows0 = c.r1() - c.r0();
            if (shape0.length == 0 || shape0[0] != rows0) {
                throw new IllegalStateException("internal error: " + validated.name() + "'s output " + Arrays.toString(shape0)
                        + " does not keep the batch (" + rows0 + " rows) in dimension 0");
            }
            fullOutShape = shape0.clone();
            fullOutShape[0] = plan.batch();
            rowElements = StreamingEval.numel(Arrays.copyOfRange(shape0, 1, shape0.length));
        } else {
            fullOutShape = shape0.clone();
            rowElements = StreamingEval.numel(shape0);
        }
        reducer.setElements(StreamingEval.numel(fullOutShape));
        if (validated.reduction() == Reduction.NONE) {
            sink.openOutput(fullOutShape, rowElements);
        }
    }

    private long[] chunkOutShape(ChunkReader.Chunk c) {
        long[] s = fullOutShape.clone();
        if (plan.batched()) {
            s[0] = c.r1() - c.r0();
        }
        return s;
    }

    private void accumulate(float[] out, int n, float[] multipliers, ChunkReader.Chunk c) {
        double s = 0;
        if (multipliers == null) {
            for (int i = 0; i < n; i++) {
                s += out[i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                s += (double) multipliers[i] * out[i];
            }
        }
        sum += s;
        sink.output(c.r0(), out, n);
    }

    /** A loss for this chunk: the shared one, or one with its rows of batch-shaped tensor options. */
    private Loss lossFor(ChunkReader.Chunk c) {
        if (plan.slicedOptions().isEmpty()) {
            if (noneLoss == null) {
                noneLoss = Losses.create(lossName, noneOptions);
            }
            return noneLoss;
        }
        Map<String, Object> o = new LinkedHashMap<>(noneOptions);
        for (String name : plan.slicedOptions()) {
            o.put(name, sliceRows((HostArray) options.get(name), c.r0(), c.r1()));
        }
        return Losses.create(lossName, o);
    }

    private static HostArray sliceRows(HostArray a, long r0, long r1) {
        long[] shape = a.shape();
        int inner = (int) StreamingEval.numel(Arrays.copyOfRange(shape, 1, shape.length));
        shape[0] = r1 - r0;
        return new HostArray(Arrays.copyOfRange(a.values(), (int) (r0 * inner), (int) (r1 * inner)), shape);
    }

    /** For the gradient of a class-weighted mean: the targets' total weight, before the first backward. */
    private void prepassTargetStats() {
        if (!reader.isWhole(classTarget)) {
            ChunkReader.Cursor targets = reader.cursor(List.of(classTarget), null);
            for (long k = 0; k < planner.chunks(); k++) {
                reducer.observeTargets(targets.next().host().get(classTarget).l());
            }
        } else {
            reducer.observeTargets(reader.whole(classTarget).l());
        }
        statsReady = true;
    }
}
