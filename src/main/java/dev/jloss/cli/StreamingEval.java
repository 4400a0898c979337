package dev.jloss.cli;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.Reduction;
import dev.jloss.loss.HostArray;
import dev.jloss.loss.Losses;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates a loss over tensors read in chunks of the batch, so inputs far larger than the heap (and
 * than a device's memory) complete; see {@link LossLayout} for how each loss's tensors are cut and
 * {@link Reducer} for how the chunks combine into PyTorch's value.
 *
 * <p>The parts: {@link ChunkPlanner} sizes the chunks from a memory budget; {@link ChunkReader}
 * reads them (one ahead, on a background thread, converted and put on the backend);
 * {@link EvalLoop} evaluates each with {@code reduction=none} (the forward, or with {@code --grad}
 * the forward+backward) and reduces them; {@link OutputSink} streams {@code output.npy} and
 * {@code grad_NAME.npy} under temporary names, renamed only when the whole run succeeded.
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

    private final Request q;
    private final Loss validated;
    private final List<String> names;
    private final LossLayout.Plan plan;
    private final ChunkPlanner planner;
    private final ChunkReader reader;
    private final OutputSink sink;
    private final EvalLoop loop;

    private StreamingEval(Request q, OutputSink sink) {
        this.q = q;
        this.sink = sink;
        this.validated = Losses.create(q.loss, q.options);
        String fn = validated.functionalName();
        this.names = validated.argumentNames();
        List<String> diff = validated.differentiableArguments();
        LossLayout layout = LossLayout.of(validated.spec());
        List<long[]> shapes = new ArrayList<>();
        Map<String, long[]> shapeOf = new HashMap<>();
        Map<String, Boolean> asInt = new HashMap<>();
        for (String n : names) {
            ArraySource s = q.tensors.get(n);
            if (s == null) {
                throw new CliException(fn + ": missing tensor '" + n + "' (expected " + String.join(", ", names) + ")");
            }
            shapes.add(s.shape());
            shapeOf.put(n, s.shape());
            asInt.put(n, layout.takesIndices(n) && !s.isFloating());
        }
        Map<String, long[]> optionShapes = new LinkedHashMap<>();
        q.options.forEach((k, v) -> {
            if (v instanceof HostArray h) {
                optionShapes.put(k, h.shape());
            }
        });
        this.plan = layout.plan(fn, names, shapes, optionShapes);
        this.planner = new ChunkPlanner(plan, names, shapeOf, asInt, q.grad ? diff : List.of(), q.chunkRows);
        this.reader = new ChunkReader(validated.spec(), q.tensors, plan, planner, asInt);
        this.loop = new EvalLoop(q, validated, asInt, plan, planner, reader, sink);
    }

    /** Runs the request; the caller closes the backend and the sources. */
    static Result run(Request q) {
        long t0 = System.nanoTime();
        OutputSink sink = new OutputSink(q.out);
        StreamingEval e = null;
        Result r;
        try {
            e = new StreamingEval(q, sink);
            r = e.evaluate();
            sink.commit();
        } catch (UncheckedIOException ex) {
            RuntimeException explained = q.out != null ? q.out.explain(ex) : ex;
            sink.abort();
            throw explained;
        } catch (RuntimeException | Error ex) {
            sink.abort();
            throw ex;
        } finally {
            if (e != null) {
                e.loop.close();
            }
            if (q.progress != null) {
                q.progress.finish();
            }
        }
        r.seconds = (System.nanoTime() - t0) / 1e9;
        return r;
    }

    private Result evaluate() {
        reader.readWhole(names);
        if (q.grad) {
            for (String name : validated.differentiableArguments()) {
                sink.openGrad(name, q.tensors.get(name).shape(), plan.args().get(name));
            }
        }
        loop.run();
        Result r = new Result();
        r.loss = validated.name();
        r.backend = q.backend.name();
        r.reduction = validated.reduction();
        r.batch = plan.batched() ? plan.batch() : 1;
        r.chunks = planner.chunks();
        r.rowsPerChunk = planner.reportedRows();
        r.bytesRead = reader.bytesRead();
        r.computeSeconds = loop.computeSeconds();
        r.sum = loop.sum();
        if (validated.reduction() == Reduction.NONE) {
            long[] shape = loop.outputShape();
            r.shape = shape;
            r.outputElements = numel(shape);
            r.scalar = shape.length == 0;
            if (r.scalar) {
                r.value = r.sum;
            }
        } else {
            Reducer reducer = loop.reducer();
            r.value = reducer.coefficient() * r.sum;
            r.scalar = true;
            r.shape = new long[0];
            r.outputElements = 1;
            r.denominator = reducer.denominator();
        }
        sink.finish(r);
        return r;
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
