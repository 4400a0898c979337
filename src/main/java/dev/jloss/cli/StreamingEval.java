package dev.jloss.cli;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.io.NpyWriter;
import dev.jloss.loss.HostArray;
import dev.jloss.loss.Losses;
import dev.jloss.loss.Options;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Evaluates a loss over tensors read in chunks of the batch, so inputs far larger than the heap (and
 * than a device's memory) complete; see {@link LossLayout} for how each loss's tensors are cut and
 * {@link Reducer} for how the chunks combine into PyTorch's value.
 *
 * <p>Each chunk is read, converted and put on the backend by a background thread while the previous
 * one is evaluated. Every chunk is evaluated with {@code reduction=none} and its outputs summed in
 * double in chunk order, so a reduced value is the same whatever the chunk size (up to the order of
 * additions in double) and identical run to run. With {@code --grad}, a reduced loss's denominator is
 * found first (the output's size from the first chunk's output and, for weighted class losses, one pass
 * over the targets alone), then each chunk runs the fused
 * forward+backward with that upstream gradient and its gradient slices stream to
 * {@code grad_NAME.npy}. With {@code reduction=none}, the output streams to {@code output.npy}. Files
 * are written under temporary names and renamed only when the whole run succeeded.
 */
final class StreamingEval {

    /** What to evaluate. Options are keyed by PyTorch's constructor names; tensors by argument name. */
    static final class Request {
        String loss;
        Map<String, Object> options = new LinkedHashMap<>();
        Map<String, ArraySource> tensors = new LinkedHashMap<>();
        Backend backend;
        OutputFiles out;
        boolean grad;
        long chunkRows;
        Progress progress;
    }

    /** What came out: the value or output shape, counts and timings, and the files written. */
    static final class Result {
        String loss;
        String backend;
        Reduction reduction;
        long[] shape;
        double value = Double.NaN;
        boolean scalar;
        double sum;
        double denominator = 1;
        long batch;
        long chunks;
        long rowsPerChunk;
        long bytesRead;
        long outputElements;
        double seconds;
        double computeSeconds;
        final Map<String, long[]> gradShapes = new LinkedHashMap<>();
        final Map<String, Double> gradNorms = new LinkedHashMap<>();
        final Map<String, String> files = new LinkedHashMap<>();
    }

    /** A chunk's rows of one tensor, on the host. */
    record HostChunk(long[] shape, float[] f, long[] l) {
    }

    /**
     * The rows {@code [r0, r1)} of every tensor, on the host and (for the main pass) already on the
     * backend; {@code ragged0} is where a RAGGED tensor's slice starts.
     */
    record ChunkData(long index, long r0, long r1, Map<String, HostChunk> host, Map<String, Tensor> tensors,
                     long ragged0) {
        void close() {
            tensors.values().forEach(Tensor::close);
        }
    }

    private final Request q;
    private final Loss validated;
    private final List<String> names;
    private final List<String> diff;
    private final LossLayout.Plan plan;
    private final Map<String, Boolean> asInt = new HashMap<>();
    private final Map<String, Object> noneOptions;
    private final Reducer reducer;
    private final long rows;
    private final long chunks;
    private final Map<String, HostChunk> wholeHost = new HashMap<>();
    private final Map<String, Tensor> wholeTensor = new HashMap<>();
    private final Map<String, HostArray> optionArrays = new HashMap<>();
    private final Map<String, NpyWriter> gradWriters = new HashMap<>();
    private final Map<String, double[]> wholeGrads = new HashMap<>();
    private final Map<String, Double> gradSquares = new LinkedHashMap<>();
    private double sum;
    private Loss noneLoss;
    private NpyWriter outWriter;
    private long[] fullOutShape;
    private long outRowElements;
    private boolean statsReady;
    private long computeNanos;
    private long bytesRead;

    private StreamingEval(Request q) {
        this.q = q;
        this.validated = Losses.create(q.loss, q.options);
        String fn = validated.functionalName();
        this.names = validated.argumentNames();
        this.diff = validated.differentiableArguments();
        LossLayout layout = LossLayout.of(validated.spec());
        List<long[]> shapes = new ArrayList<>();
        for (String n : names) {
            ArraySource s = q.tensors.get(n);
            if (s == null) {
                throw new CliException(fn + ": missing tensor '" + n + "' (expected " + String.join(", ", names) + ")");
            }
            shapes.add(s.shape());
            asInt.put(n, layout.takesIndices(n) && !s.isFloating());
        }
        Map<String, long[]> optionShapes = new LinkedHashMap<>();
        q.options.forEach((k, v) -> {
            if (v instanceof HostArray h) {
                optionArrays.put(k, h);
                optionShapes.put(k, h.shape());
            }
        });
        this.plan = layout.plan(fn, names, shapes, optionShapes);

        noneOptions = new LinkedHashMap<>(q.options);
        noneOptions.keySet().removeAll(List.of("reduction", "size_average", "reduce"));
        noneOptions.put("reduction", "none");
        Options read = new Options(fn, q.options);
        HostArray weight = layout.meanKind() == LossSpec.Mean.CLASS_WEIGHTS ? read.getArray("weight") : null;
        String classTarget = validated.spec().argWith(LossSpec.Role.CLASS_INDICES).map(LossSpec.Arg::name).orElse(null);
        boolean indexTargets = classTarget != null && asInt.getOrDefault(classTarget, false);
        this.reducer = new Reducer(validated.reduction(), layout.meanKind(), indexTargets, weight,
                read.getLong("ignore_index", -100), plan);
        this.rows = chooseRows();
        long n = plan.batch();
        this.chunks = !plan.batched() ? 1 : Math.max(1, (n + rows - 1) / rows);
    }

    /** Runs the request; the caller closes the backend and the sources. */
    static Result run(Request q) {
        long t0 = System.nanoTime();
        StreamingEval e = null;
        Result r;
        try {
            e = new StreamingEval(q);
            r = e.evaluate();
            if (q.out != null) {
                q.out.commit();
            }
        } catch (RuntimeException | Error ex) {
            if (q.out != null) {
                q.out.abort();
            }
            throw ex;
        } finally {
            if (e != null) {
                e.wholeTensor.values().forEach(Tensor::close);
            }
            if (q.progress != null) {
                q.progress.finish();
            }
        }
        r.seconds = (System.nanoTime() - t0) / 1e9;
        return r;
    }

    /**
     * Rows per chunk: a memory budget (a tenth of the heap, between 2 and 64 MiB) over the bytes one
     * batch row costs: its input elements twice (the chunk being evaluated and the one being read), its
     * gradients and outputs with their host copies. {@code --chunk-rows} overrides it.
     */
    private long chooseRows() {
        long maxRowElems = 1;
        long rowBytes = 0;
        long n = Math.max(1, plan.batch());
        for (String name : names) {
            LossLayout.Slice s = plan.args().get(name);
            if (s.kind() == LossLayout.Slice.Kind.WHOLE) {
                continue;
            }
            long[] shape = q.tensors.get(name).shape();
            long elems = Math.max(1, numel(shape) / (s.kind() == LossLayout.Slice.Kind.RAGGED ? n
                    : Math.max(1, shape[s.dim()])));
            maxRowElems = Math.max(maxRowElems, elems);
            rowBytes += 2 * elems * (asInt.get(name) ? 8 : 4);
            if (q.grad && diff.contains(name)) {
                rowBytes += 3 * elems * 4;
            }
        }
        rowBytes += 3 * maxRowElems * 4;
        long limit = (Integer.MAX_VALUE - 8) / maxRowElems;
        if (q.chunkRows > 0) {
            return Math.max(1, Math.min(q.chunkRows, limit));
        }
        long budget = Math.max(2L << 20, Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 10));
        return Math.max(1, Math.min(budget / Math.max(1, rowBytes), limit));
    }

    private Result evaluate() {
        String fn = validated.functionalName();
        for (String name : names) {
            if (plan.args().get(name).kind() == LossLayout.Slice.Kind.WHOLE) {
                wholeHost.put(name, readWhole(name));
            }
        }
        if (plan.args().containsValue(LossLayout.Slice.RAGGED)) {
            checkRaggedLengths(fn);
        }
        if (q.grad) {
            for (String name : diff) {
                long[] shape = q.tensors.get(name).shape();
                if (plan.args().get(name).kind() == LossLayout.Slice.Kind.WHOLE) {
                    wholeGrads.put(name, new double[(int) numel(shape)]);
                } else if (q.out != null) {
                    gradWriters.put(name, q.out.create("grad_" + name + ".npy", shape));
                }
                gradSquares.put(name, 0.0);
            }
        }
        ExecutorService io = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jloss-reader");
            t.setDaemon(true);
            return t;
        });
        Future<ChunkData> pending = null;
        try {
            ChunkReader reader = new ChunkReader(names, true);
            pending = io.submit(reader::next);
            for (long k = 0; k < chunks; k++) {
                ChunkData c = await(pending);
                pending = null;
                if (k + 1 < chunks) {
                    pending = io.submit(reader::next);
                }
                try {
                    process(c);
                } catch (IllegalArgumentException ex) {
                    if (chunks > 1) {
                        CliException wrapped = new CliException(ex.getMessage() + " (in batch rows " + c.r0() + " to "
                                + (c.r1() - 1) + " of " + plan.batch() + ")");
                        wrapped.initCause(ex);
                        throw wrapped;
                    }
                    throw ex;
                }
                if (q.progress != null) {
                    q.progress.update(bytesRead);
                }
            }
        } finally {
            if (pending != null) {
                // a failed chunk leaves the next one read (and maybe uploaded): let it finish, free it
                try {
                    pending.get().close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | RuntimeException ignored) {
                    // the run is failing already; its own error is the one to report
                }
            }
            io.shutdown();
        }
        return finish();
    }

    private void process(ChunkData c) {
        long t0 = System.nanoTime();
        Tensor[] args = new Tensor[names.size()];
        try {
            for (int i = 0; i < args.length; i++) {
                String name = names.get(i);
                Tensor whole = wholeTensor.get(name);
                if (whole == null && wholeHost.containsKey(name)) {
                    whole = toTensor(wholeHost.get(name));
                    wholeTensor.put(name, whole);
                }
                if (whole != null) {
                    args[i] = whole;
                } else {
                    args[i] = c.tensors().get(name);
                }
            }
            Loss loss = lossFor(c);
            boolean reducedGrad = q.grad && validated.reduction() != Reduction.NONE;
            float[] firstOut = null;
            if (c.index() == 0 && reducedGrad) {
                // The gradient of a reduced loss needs its denominator first: the first chunk's output
                // shows the full output's size, and weighted class losses read their targets once.
                try (Tensor out0 = loss.forward(args)) {
                    firstOut = host(out0);
                    learnOutputShape(out0.shape(), c);
                }
                if (reducer.needsTargetStats()) {
                    prepassTargetStats();
                }
            }
            if (reducer.needsTargetStats() && !statsReady) {
                HostChunk target = c.host().containsKey("target") ? c.host().get("target") : wholeHost.get("target");
                reducer.observeTargets(target.l());
            }
            float[] multipliers = reducer.hasMultipliers() ? reducer.multipliers(targetLengths(c)) : null;
            float[] out;
            float[][] grads = null;
            if (!q.grad) {
                try (Tensor o = loss.forward(args)) {
                    out = host(o);
                    if (fullOutShape == null) {
                        learnOutputShape(o.shape(), c);
                    }
                }
            } else if (!reducedGrad) {
                try (LossResult r = loss.forwardBackward(args)) {
                    out = host(r.loss());
                    if (fullOutShape == null) {
                        learnOutputShape(r.loss().shape(), c);
                    }
                    grads = grads(r);
                }
            } else {
                try (Tensor g = upstream(chunkOutShape(c), multipliers)) {
                    if (firstOut != null) {
                        out = firstOut;
                        try (LossResult r = loss.backward(g, args)) {
                            grads = grads(r);
                        }
                    } else {
                        try (LossResult r = loss.forwardBackwardWith(g, args)) {
                            out = host(r.loss());
                            grads = grads(r);
                        }
                    }
                }
            }
            accumulate(out, multipliers, c);
            computeNanos += System.nanoTime() - t0;
            if (grads != null) {
                writeGrads(c, grads);
            }
        } finally {
            c.close();
        }
    }

    /** A float tensor's values on the host (a copy; the tensor is closed after). */
    private static float[] host(Tensor t) {
        return t.toFloatArray();
    }

    /** The upstream gradient of a chunk: {@code c · a_i} in the output's shape. */
    private Tensor upstream(long[] outShape, float[] multipliers) {
        float coef = (float) reducer.gradientCoefficient();
        float[] g = new float[(int) numel(outShape)];
        if (multipliers == null) {
            Arrays.fill(g, coef);
        } else {
            for (int i = 0; i < g.length; i++) {
                g[i] = coef * multipliers[i];
            }
        }
        return q.backend.tensor(g, outShape);
    }

    private float[][] grads(LossResult r) {
        float[][] g = new float[diff.size()][];
        for (int i = 0; i < g.length; i++) {
            g[i] = host(r.grad(diff.get(i)));
        }
        return g;
    }

    private void learnOutputShape(long[] shape0, ChunkData c) {
        if (plan.batched()) {
            long rows0 = c.r1() - c.r0();
            if (shape0.length == 0 || shape0[0] != rows0) {
                throw new IllegalStateException("internal error: " + validated.name() + "'s output " + Arrays.toString(shape0)
                        + " does not keep the batch (" + rows0 + " rows) in dimension 0");
            }
            fullOutShape = shape0.clone();
            fullOutShape[0] = plan.batch();
            outRowElements = numel(Arrays.copyOfRange(shape0, 1, shape0.length));
        } else {
            fullOutShape = shape0.clone();
            outRowElements = numel(shape0);
        }
        reducer.setElements(numel(fullOutShape));
        if (q.out != null && validated.reduction() == Reduction.NONE) {
            outWriter = q.out.create("output.npy", fullOutShape);
        }
    }

    private long[] chunkOutShape(ChunkData c) {
        long[] s = fullOutShape.clone();
        if (plan.batched()) {
            s[0] = c.r1() - c.r0();
        }
        return s;
    }

    private void accumulate(float[] out, float[] multipliers, ChunkData c) {
        double s = 0;
        if (multipliers == null) {
            for (float v : out) {
                s += v;
            }
        } else {
            for (int i = 0; i < out.length; i++) {
                s += (double) multipliers[i] * out[i];
            }
        }
        sum += s;
        if (outWriter != null) {
            outWriter.write(c.r0() * outRowElements, out, 0, out.length);
        }
    }

    private void writeGrads(ChunkData c, float[][] grads) {
        for (int i = 0; i < diff.size(); i++) {
            String name = diff.get(i);
            float[] g = grads[i];
            double sq = 0;
            double[] acc = wholeGrads.get(name);
            if (acc != null) {
                for (int j = 0; j < g.length; j++) {
                    acc[j] += g[j];
                }
                continue;
            }
            for (float v : g) {
                sq += (double) v * v;
            }
            gradSquares.merge(name, sq, Double::sum);
            NpyWriter w = gradWriters.get(name);
            if (w == null) {
                continue;
            }
            LossLayout.Slice s = plan.args().get(name);
            if (s.kind() == LossLayout.Slice.Kind.RAGGED) {
                w.write(c.ragged0(), g, 0, g.length);
                continue;
            }
            long[] shape = q.tensors.get(name).shape();
            long inner = numel(Arrays.copyOfRange(shape, s.dim() + 1, shape.length));
            long outer = numel(Arrays.copyOfRange(shape, 0, s.dim()));
            long nd = shape[s.dim()];
            int run = (int) ((c.r1() - c.r0()) * inner);
            for (long o = 0; o < outer; o++) {
                w.write((o * nd + c.r0()) * inner, g, (int) (o * run), run);
            }
        }
    }

    private Result finish() {
        Result r = new Result();
        r.loss = validated.name();
        r.backend = q.backend.name();
        r.reduction = validated.reduction();
        r.batch = plan.batched() ? plan.batch() : 1;
        r.chunks = chunks;
        r.rowsPerChunk = plan.batched() ? Math.min(rows, plan.batch()) : 1;
        r.bytesRead = bytesRead;
        r.computeSeconds = computeNanos / 1e9;
        r.sum = sum;
        if (validated.reduction() == Reduction.NONE) {
            r.shape = fullOutShape;
            r.outputElements = numel(fullOutShape);
            r.scalar = fullOutShape.length == 0;
            if (r.scalar) {
                r.value = sum;
            }
            if (outWriter != null) {
                outWriter.finish();
                r.files.put("output", q.out.finalPath("output.npy").toString());
            }
        } else {
            double v = reducer.coefficient() * sum;
            r.value = v;
            r.scalar = true;
            r.shape = new long[0];
            r.outputElements = 1;
            r.denominator = reducer.denominator();
            if (q.out != null) {
                try (NpyWriter w = q.out.create("output.npy", new long[0])) {
                    w.append(new float[] {(float) v}, 0, 1);
                    w.finish();
                }
                r.files.put("output", q.out.finalPath("output.npy").toString());
            }
        }
        for (String name : gradSquares.keySet()) {
            long[] shape = q.tensors.get(name).shape();
            r.gradShapes.put(name, shape);
            double[] acc = wholeGrads.get(name);
            if (acc != null) {
                float[] f = new float[acc.length];
                double sq = 0;
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) acc[i];
                    sq += (double) f[i] * f[i];
                }
                gradSquares.put(name, sq);
                if (q.out != null) {
                    try (NpyWriter w = q.out.create("grad_" + name + ".npy", shape)) {
                        w.append(f, 0, f.length);
                        w.finish();
                    }
                }
            } else if (gradWriters.containsKey(name)) {
                gradWriters.get(name).finish();
            }
            r.gradNorms.put(name, Math.sqrt(gradSquares.get(name)));
            if (q.out != null) {
                r.files.put("grad_" + name, q.out.finalPath("grad_" + name + ".npy").toString());
            }
        }
        return r;
    }

    /** A loss for this chunk: the shared one, or one with its rows of batch-shaped tensor options. */
    private Loss lossFor(ChunkData c) {
        if (plan.slicedOptions().isEmpty()) {
            if (noneLoss == null) {
                noneLoss = Losses.create(q.loss, noneOptions);
            }
            return noneLoss;
        }
        Map<String, Object> o = new LinkedHashMap<>(noneOptions);
        for (String name : plan.slicedOptions()) {
            o.put(name, sliceRows(optionArrays.get(name), c.r0(), c.r1()));
        }
        return Losses.create(q.loss, o);
    }

    private static HostArray sliceRows(HostArray a, long r0, long r1) {
        long[] shape = a.shape();
        int inner = (int) numel(Arrays.copyOfRange(shape, 1, shape.length));
        shape[0] = r1 - r0;
        return new HostArray(Arrays.copyOfRange(a.values(), (int) (r0 * inner), (int) (r1 * inner)), shape);
    }

    private Tensor toTensor(HostChunk h) {
        return h.f() != null ? q.backend.tensor(h.f(), h.shape()) : q.backend.tensor(h.l(), h.shape());
    }

    private long[] targetLengths(ChunkData c) {
        HostChunk h = c.host().containsKey("target_lengths") ? c.host().get("target_lengths")
                : wholeHost.get("target_lengths");
        if (h == null || h.l() == null) {
            throw new CliException(validated.functionalName() + ": target_lengths has dtype "
                    + q.tensors.get("target_lengths").dtypeName() + ", expected int64 or int32");
        }
        return h.l();
    }

    /** For the gradient of a weighted class mean: the targets' total weight, before the first backward. */
    private void prepassTargetStats() {
        if (!plan.args().get("target").equals(LossLayout.Slice.WHOLE)) {
            ChunkReader r = new ChunkReader(List.of("target"), false);
            for (long k = 0; k < chunks; k++) {
                reducer.observeTargets(r.next().host().get("target").l());
            }
        } else {
            reducer.observeTargets(wholeHost.get("target").l());
        }
        statsReady = true;
    }

    /** CTC with 1-D targets: lengths must be non-negative and add up to the targets' length. */
    private void checkRaggedLengths(String fn) {
        ArraySource lengths = q.tensors.get("target_lengths");
        if (lengths.isFloating()) {
            throw new CliException(fn + ": target_lengths has dtype " + lengths.dtypeName() + ", expected int64 or int32");
        }
        long n = numel(lengths.shape());
        long total = 0;
        long[] buf = new long[(int) Math.min(n, 1 << 16)];
        for (long i = 0; i < n; i += buf.length) {
            int k = (int) Math.min(buf.length, n - i);
            lengths.readLongs(i, buf, 0, k);
            for (int j = 0; j < k; j++) {
                if (buf[j] < 0) {
                    throw new CliException(fn + ": target_lengths[" + (i + j) + "] is " + buf[j] + ", expected at least 0");
                }
                total += buf[j];
            }
        }
        long have = numel(q.tensors.get("targets").shape());
        if (total != have) {
            throw new CliException(fn + ": target_lengths sum to " + total + ", expected " + have
                    + " (the length of the concatenated targets)");
        }
    }

    private HostChunk readWhole(String name) {
        ArraySource s = q.tensors.get(name);
        long[] shape = s.shape();
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new CliException(s.label() + ": " + n + " elements is too many to hold in memory at once; jloss streams"
                    + " only along the batch dimension");
        }
        addBytes(n * (asInt.get(name) ? 8 : 4));
        if (asInt.get(name)) {
            long[] l = new long[(int) n];
            s.readLongs(0, l, 0, l.length);
            return new HostChunk(shape, null, l);
        }
        float[] f = new float[(int) n];
        s.readFloats(0, f, 0, f.length);
        return new HostChunk(shape, f, null);
    }

    /** Reads the chunks of some tensors in order; its own RAGGED offset, so several readers can run. */
    private final class ChunkReader {
        private final List<String> which;
        private final boolean upload;
        private long next;
        private long ragged;

        /** @param upload whether to create the backend tensors too (on this reader's thread) */
        ChunkReader(List<String> which, boolean upload) {
            this.which = which;
            this.upload = upload;
        }

        ChunkData next() {
            long k = next++;
            long r0 = plan.batched() ? Math.min(plan.batch(), k * rows) : 0;
            long r1 = plan.batched() ? Math.min(plan.batch(), r0 + rows) : 1;
            Map<String, HostChunk> host = new HashMap<>();
            String raggedName = null;
            for (String name : which) {
                LossLayout.Slice s = plan.args().get(name);
                switch (s.kind()) {
                    case WHOLE -> {
                    }
                    case SLICE -> host.put(name, readSlice(name, s.dim(), r0, r1));
                    case RAGGED -> raggedName = name;
                    default -> throw new IllegalStateException("internal error: slice " + s);
                }
            }
            long start = ragged;
            if (raggedName != null) {
                HostChunk lengths = host.containsKey("target_lengths") ? host.get("target_lengths")
                        : wholeHost.get("target_lengths");
                long len = 0;
                for (long v : lengths.l()) {
                    len += v;
                }
                host.put(raggedName, readRange(raggedName, ragged, len));
                ragged += len;
            }
            Map<String, Tensor> tensors = new HashMap<>();
            if (upload) {
                try {
                    for (Map.Entry<String, HostChunk> e : host.entrySet()) {
                        tensors.put(e.getKey(), toTensor(e.getValue()));
                    }
                } catch (RuntimeException | Error e) {
                    tensors.values().forEach(Tensor::close);
                    throw e;
                }
            }
            return new ChunkData(k, r0, r1, host, tensors, start);
        }

        private HostChunk readSlice(String name, int dim, long r0, long r1) {
            ArraySource src = q.tensors.get(name);
            long[] shape = src.shape();
            long inner = numel(Arrays.copyOfRange(shape, dim + 1, shape.length));
            long outer = numel(Arrays.copyOfRange(shape, 0, dim));
            long nd = shape[dim];
            long run = (r1 - r0) * inner;
            long total = run * outer;
            if (total > Integer.MAX_VALUE - 8) {
                throw new CliException(src.label() + ": a chunk of " + (r1 - r0) + " rows has " + total
                        + " elements, too many to hold at once (use a smaller --chunk-rows)");
            }
            long[] cs = shape.clone();
            cs[dim] = r1 - r0;
            boolean ints = asInt.get(name);
            float[] f = ints ? null : new float[(int) total];
            long[] l = ints ? new long[(int) total] : null;
            for (long o = 0; o < outer; o++) {
                long from = (o * nd + r0) * inner;
                int off = (int) (o * run);
                if (ints) {
                    src.readLongs(from, l, off, (int) run);
                } else {
                    src.readFloats(from, f, off, (int) run);
                }
            }
            addBytes(total * (ints ? 8 : 4));
            return new HostChunk(cs, f, l);
        }

        private HostChunk readRange(String name, long start, long n) {
            ArraySource src = q.tensors.get(name);
            boolean ints = asInt.get(name);
            float[] f = ints ? null : new float[(int) n];
            long[] l = ints ? new long[(int) n] : null;
            if (ints) {
                src.readLongs(start, l, 0, (int) n);
            } else {
                src.readFloats(start, f, 0, (int) n);
            }
            addBytes(n * (ints ? 8 : 4));
            return new HostChunk(new long[] {n}, f, l);
        }
    }

    private synchronized void addBytes(long b) {
        bytesRead += b;
    }

    private static ChunkData await(Future<ChunkData> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the input", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("reading the input failed: " + c, c);
        }
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
