package dev.jloss.cli;

import dev.jloss.Reduction;
import dev.jloss.io.NpyWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a run's results go: {@code output.npy} (streamed chunk by chunk with {@code reduction=none},
 * one value otherwise) and each {@code grad_NAME.npy} (streamed, or summed over the chunks for an
 * argument passed whole), with the gradients' norms for the report. Without {@code --out} only the
 * norms are kept. The files are written under temporary names by {@link OutputFiles};
 * {@link #commit()} renames them once the whole run succeeded, {@link #abort()} deletes them.
 */
final class OutputSink {

    /** One argument's gradient: its file (or whole-tensor sum) and its sum of squares. */
    private static final class Grad {
        final long[] shape;
        final LossLayout.Slice slice;
        final double[] whole;
        final NpyWriter writer;
        double squares;

        Grad(long[] shape, LossLayout.Slice slice, double[] whole, NpyWriter writer) {
            this.shape = shape;
            this.slice = slice;
            this.whole = whole;
            this.writer = writer;
        }
    }

    private final OutputFiles out;
    private final Map<String, Grad> grads = new LinkedHashMap<>();
    private NpyWriter outWriter;
    private long outRowElements;

    /** @param out the {@code --out} directory's files, or null to write nothing */
    OutputSink(OutputFiles out) {
        this.out = out;
    }

    /**
     * Before the first chunk: the gradient of {@code name}, of {@code shape}, cut as {@code slice}.
     * One passed whole is summed in double over the chunks; the others stream to their file.
     */
    void openGrad(String name, long[] shape, LossLayout.Slice slice) {
        boolean whole = slice.kind() == LossLayout.Slice.Kind.WHOLE;
        grads.put(name, new Grad(shape, slice, whole ? new double[(int) StreamingEval.numel(shape)] : null,
                !whole && out != null ? out.create(gradFile(name), shape) : null));
    }

    /**
     * Once the full output's shape is known (with {@code reduction=none}): {@code output.npy} of that
     * shape, whose batch row {@code r} starts at element {@code r * rowElements}.
     */
    void openOutput(long[] fullShape, long rowElements) {
        outRowElements = rowElements;
        if (out != null) {
            outWriter = out.create("output.npy", fullShape);
        }
    }

    /** The first {@code n} elements of {@code v}: a chunk's outputs from batch row {@code r0}. */
    void output(long r0, float[] v, int n) {
        if (outWriter != null) {
            outWriter.write(r0 * outRowElements, v, 0, n);
        }
    }

    /** The first {@code n} elements of {@code g}: chunk {@code c}'s slice of the gradient of {@code name}. */
    void grad(String name, ChunkReader.Chunk c, float[] g, int n) {
        Grad d = grads.get(name);
        if (d.whole != null) {
            for (int j = 0; j < n; j++) {
                d.whole[j] += g[j];
            }
            return;
        }
        double sq = 0;
        for (int j = 0; j < n; j++) {
            sq += (double) g[j] * g[j];
        }
        d.squares += sq;
        NpyWriter w = d.writer;
        if (w == null) {
            return;
        }
        if (d.slice.kind() == LossLayout.Slice.Kind.RAGGED) {
            w.write(c.ragged0(), g, 0, n);
            return;
        }
        long[] shape = d.shape;
        int dim = d.slice.dim();
        long inner = StreamingEval.numel(Arrays.copyOfRange(shape, dim + 1, shape.length));
        long outer = StreamingEval.numel(Arrays.copyOfRange(shape, 0, dim));
        long nd = shape[dim];
        int run = (int) ((c.r1() - c.r0()) * inner);
        for (long o = 0; o < outer; o++) {
            w.write((o * nd + c.r0()) * inner, g, (int) (o * run), run);
        }
    }

    /**
     * After the last chunk: completes {@code output.npy} (with a reduction, writes {@code r.value}) and
     * the gradients' files, and puts the gradients' shapes and norms and the files' paths into {@code r}.
     */
    void finish(StreamingEval.Result r) {
        if (r.reduction == Reduction.NONE) {
            if (outWriter != null) {
                outWriter.finish();
                r.files.put("output", out.finalPath("output.npy").toString());
            }
        } else if (out != null) {
            try (NpyWriter w = out.create("output.npy", new long[0])) {
                w.append(new float[] {(float) r.value}, 0, 1);
                w.finish();
            }
            r.files.put("output", out.finalPath("output.npy").toString());
        }
        for (Map.Entry<String, Grad> e : grads.entrySet()) {
            String name = e.getKey();
            Grad d = e.getValue();
            r.gradShapes.put(name, d.shape);
            if (d.whole != null) {
                float[] f = new float[d.whole.length];
                double sq = 0;
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) d.whole[i];
                    sq += (double) f[i] * f[i];
                }
                d.squares = sq;
                if (out != null) {
                    try (NpyWriter w = out.create(gradFile(name), d.shape)) {
                        w.append(f, 0, f.length);
                        w.finish();
                    }
                }
            } else if (d.writer != null) {
                d.writer.finish();
            }
            r.gradNorms.put(name, Math.sqrt(d.squares));
            if (out != null) {
                r.files.put("grad_" + name, out.finalPath(gradFile(name)).toString());
            }
        }
    }

    /** Renames every file to its final name; after a run that succeeded. */
    void commit() {
        if (out != null) {
            out.commit();
        }
    }

    /** Deletes every file written; after a run that failed. */
    void abort() {
        if (out != null) {
            out.abort();
        }
    }

    private static String gradFile(String name) {
        return "grad_" + name + ".npy";
    }
}
