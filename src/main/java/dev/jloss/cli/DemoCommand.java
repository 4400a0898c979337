package dev.jloss.cli;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.Tensor;
import dev.jloss.loss.Losses;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code jloss demo}: no files needed. Says which backend was chosen and why, runs the seed article's
 * worked examples beside the values PyTorch printed there, then streams a large synthetic
 * cross-entropy batch (a few million rows, generated chunk by chunk and never held whole) and prints
 * the loss, a double-precision spot check and the throughput. Exit status 1 if an example disagrees
 * with PyTorch.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The guided tour on embedded data: the backend chosen and why, the seed article's worked",
                "examples beside PyTorch's published values, and a large synthetic cross-entropy batch with",
                "its throughput."})
final class DemoCommand implements Callable<Integer> {
    /** PyTorch printed 4 decimals: agreement within half a unit in the last place, and float rounding. */
    private static final double PRINTED = 6e-5;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "auto",
            description = "auto (default), cpu, opencl or cuda.")
    String backend;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "2000000",
            description = "Rows of the synthetic batch (default 2,000,000).")
    long rows;

    @Option(names = "--classes", paramLabel = "C", defaultValue = "32", description = "Classes (default 32).")
    int classes;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    /** One worked example: a loss, its options, its inputs and the value the article printed. */
    record Example(String loss, String what, Map<String, Object> options, List<Input> inputs, long[] shape,
                   double[] published, double tolerance) {
    }

    /** An input tensor: floats or class indices, with its shape. */
    record Input(float[] f, long[] l, long... shape) {
        static Input of(long[] shape, float... v) {
            return new Input(v, null, shape);
        }

        static Input ints(long[] shape, long... v) {
            return new Input(null, v, shape);
        }
    }

    private static long[] s(long... shape) {
        return shape;
    }

    private static Map<String, Object> opts(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** The worked examples of the seed article (a Chinese blog on PyTorch's losses), with its printed outputs. */
    static List<Example> examples() {
        List<Example> e = new ArrayList<>();
        Input l1x = Input.of(s(2, 3), 3, 0, 3, 3, 0, 3);
        Input l1y = Input.of(s(2, 3), 2, 0, 3, 2, 0, 0);
        e.add(new Example("L1Loss", "mean", opts("reduction", "mean"), List.of(l1x, l1y), s(), new double[] {0.8333},
                PRINTED));
        e.add(new Example("L1Loss", "sum", opts("reduction", "sum"), List.of(l1x, l1y), s(), new double[] {5}, PRINTED));
        e.add(new Example("L1Loss", "none", opts("reduction", "none"), List.of(l1x, l1y), s(2, 3),
                new double[] {1, 0, 0, 1, 0, 3}, PRINTED));
        Input msx = Input.of(s(2, 3), 2, 0, 3, 3, 0, 1);
        Input msy = Input.of(s(2, 3), 2, 0, 0, 0, 3, 0);
        e.add(new Example("MSELoss", "mean", opts("reduction", "mean"), List.of(msx, msy), s(), new double[] {4.6667},
                PRINTED));
        e.add(new Example("MSELoss", "sum", opts("reduction", "sum"), List.of(msx, msy), s(), new double[] {28},
                PRINTED));
        e.add(new Example("MSELoss", "none", opts("reduction", "none"), List.of(msx, msy), s(2, 3),
                new double[] {0, 0, 9, 9, 9, 1}, PRINTED));
        Input half23 = Input.of(s(2, 3), 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f);
        Input half33 = Input.of(s(3, 3), 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f);
        e.add(new Example("CrossEntropyLoss", "size_average=True, reduce=False",
                opts("size_average", true, "reduce", false), List.of(half23, Input.ints(s(2), 0, 1)), s(2),
                new double[] {1.0986, 1.0986}, PRINTED));
        e.add(new Example("CrossEntropyLoss", "weight=[0.6, 0.2, 0.2], reduce=False",
                opts("weight", List.of(0.6, 0.2, 0.2), "size_average", true, "reduce", false),
                List.of(half23, Input.ints(s(2), 0, 1)), s(2), new double[] {0.6592, 0.2197}, PRINTED));
        e.add(new Example("CrossEntropyLoss", "ignore_index=1, reduce=False",
                opts("ignore_index", 1, "size_average", false, "reduce", false),
                List.of(half33, Input.ints(s(3), 0, 1, 2)), s(3), new double[] {1.0986, 0, 1.0986}, PRINTED));
        e.add(new Example("CrossEntropyLoss", "ignore_index=2, reduce=False",
                opts("ignore_index", 2, "size_average", false, "reduce", false),
                List.of(half33, Input.ints(s(3), 0, 1, 2)), s(3), new double[] {1.0986, 1.0986, 0}, PRINTED));
        Input nllx = Input.of(s(2, 3), 0.6f, 0.2f, 0.2f, 0.4f, 1.2f, 0.4f);
        e.add(new Example("NLLLoss", "none", opts("reduction", "none"), List.of(nllx, Input.ints(s(2), 0, 1)), s(2),
                new double[] {-0.6, -1.2}, PRINTED));
        e.add(new Example("NLLLoss", "weight=[0.6, 0.2, 0.2], mean", opts("weight", List.of(0.6, 0.2, 0.2)),
                List.of(nllx, Input.ints(s(2), 0, 1)), s(), new double[] {-0.75}, PRINTED));
        Input klx = Input.of(s(2, 3), 0.1132f, 0.5477f, 0.3390f, 0.1132f, 0.5477f, 0.3390f);
        Input kly = Input.of(s(2, 3), 0.8541f, 0.0511f, 0.0947f, 0.1132f, 0.5477f, 0.3390f);
        e.add(new Example("KLDivLoss", "size_average=False, reduce=False", opts("size_average", false, "reduce", false),
                List.of(klx, kly), s(2, 3), new double[] {-0.2314, -0.1800, -0.2553, -0.2594, -0.6297, -0.4816},
                PRINTED));
        e.add(new Example("KLDivLoss", "mean", opts("reduction", "mean"), List.of(klx, kly), s(),
                new double[] {-0.3396}, PRINTED));
        e.add(new Example("KLDivLoss", "batchmean", opts("reduction", "batchmean"), List.of(klx, kly), s(),
                new double[] {-1.0187}, PRINTED));
        float[] logits = {-1.8626f, -0.1685f, 1.3190f, 0.4265f, 0.3094f, -1.2203f, -0.4972f, -0.4424f, -0.1279f, 0.4547f,
            0.7306f, 0.0625f};
        float[] probs = new float[logits.length];
        for (int i = 0; i < probs.length; i++) {
            probs[i] = (float) (1 / (1 + Math.exp(-logits[i])));
        }
        // The article printed its random inputs to 4 decimals, so the recomputed losses may differ by ~1e-4.
        e.add(new Example("BCELoss", "sigmoid(input), reduce=False", opts("size_average", false, "reduce", false),
                List.of(Input.of(s(3, 4), probs), Input.of(s(3, 4), 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1)), s(3, 4),
                new double[] {0.1443, 0.6125, 0.2370, 0.5025, 0.8597, 0.2586, 0.9723, 0.4962, 0.7591, 0.9461, 0.3931,
                    0.6624}, 1.5e-4));
        e.add(new Example("BCEWithLogitsLoss", "none", opts("reduction", "none"),
                List.of(Input.of(s(3), 0.1099f, 1.3278f, -0.2820f), Input.of(s(3), 0, 0, 0)), s(3),
                new double[] {0.7496, 1.5629, 0.5620}, 1.5e-4));
        e.add(new Example("MarginRankingLoss", "none", opts("reduction", "none"),
                List.of(Input.of(s(3), 0.2112f, -0.0281f, 0.5583f), Input.of(s(3), 1.8994f, -0.6425f, 0.9355f),
                        Input.of(s(3), 1, 0, 1)), s(3), new double[] {1.6882, 0, 0.3772}, 1.5e-4));
        Input mx = Input.of(s(1, 4), 0.1f, 0.2f, 0.4f, 0.8f);
        e.add(new Example("MultiMarginLoss", "mean", Map.of(), List.of(mx, Input.ints(s(1), 3)), s(),
                new double[] {0.325}, PRINTED));
        e.add(new Example("MultiLabelMarginLoss", "mean", Map.of(), List.of(mx, Input.ints(s(1, 4), 3, 0, -1, 1)), s(),
                new double[] {0.85}, PRINTED));
        return e;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("jloss " + Main.version() + " demo, on Java " + System.getProperty("java.version") + " with "
                + Runtime.getRuntime().availableProcessors() + " cores and a " + Progress.bytes(
                        Runtime.getRuntime().maxMemory()) + " heap");
        out.println();
        BackendChoice choice = BackendChoice.choose(backend);
        Backend b = choice.backend();
        try {
            out.println("Backend: " + b.name() + " (" + b.description() + ")");
            out.println("  chosen because it is " + choice.why());
            out.println();
            int bad = workedExamples(out, b);
            out.println();
            largeBatch(out, b);
            out.flush();
            return bad == 0 ? 0 : Main.FAILURE;
        } finally {
            b.close();
        }
    }

    private int workedExamples(PrintWriter out, Backend b) {
        out.println("The seed article's worked examples: PyTorch's printed output beside jloss's");
        out.printf(Locale.ROOT, "  %-20s %-37s %-36s %-36s%n", "LOSS", "SETTING", "PYTORCH (ARTICLE)", "JLOSS");
        int ok = 0;
        int bad = 0;
        for (Example ex : examples()) {
            String cls = ex.loss();
            float[] got = evaluate(ex, b);
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - ex.published()[i]));
            }
            boolean match = got.length == ex.published().length && worst <= ex.tolerance();
            if (match) {
                ok++;
            } else {
                bad++;
            }
            out.printf(Locale.ROOT, "  %-20s %-37s %-36s %-36s %s%n", cls, ex.what(), show(ex.published()),
                    show(got), match ? "ok" : "DIFFERS by " + worst);
        }
        out.printf(Locale.ROOT, "  %d of %d examples match PyTorch's published values.%n", ok, ok + bad);
        return bad;
    }

    private static float[] evaluate(Example ex, Backend b) {
        Loss loss = Losses.create(ex.loss(), ex.options());
        Tensor[] args = new Tensor[ex.inputs().size()];
        try {
            for (int i = 0; i < args.length; i++) {
                Input in = ex.inputs().get(i);
                args[i] = in.f() != null ? b.tensor(in.f(), in.shape()) : b.tensor(in.l(), in.shape());
            }
            try (Tensor t = loss.forward(args)) {
                if (!Arrays.equals(t.shape(), ex.shape())) {
                    throw new IllegalStateException(ex.loss() + " " + ex.what() + ": output shape "
                            + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(ex.shape()));
                }
                return t.toFloatArray();
            }
        } finally {
            for (Tensor t : args) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    private static String show(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return show(f);
    }

    private static String show(float[] v) {
        if (v.length == 1) {
            return String.format(Locale.ROOT, "%.4f", v[0]);
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            if (i == 3 && v.length > 4) {
                sb.append(", ... (").append(v.length).append(")");
                break;
            }
            sb.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.4f", v[i]));
        }
        return sb.append(']').toString();
    }

    /** Cross-entropy over a large generated batch, streamed in chunks. */
    private void largeBatch(PrintWriter out, Backend b) {
        String cls = "CrossEntropyLoss";
        Map<String, ArraySource> tensors = new LinkedHashMap<>();
        tensors.put("input", SyntheticSource.uniform(new long[] {rows, classes}, 1, -4, 4));
        tensors.put("target", SyntheticSource.classes(new long[] {rows}, 2, classes));
        long bytes = rows * classes * 4L + rows * 8;
        out.printf(Locale.ROOT, "A large synthetic batch: %s over %,d rows x %d classes (%s of logits and labels,"
                + " generated chunk by chunk and never held whole)%n", cls, rows, classes, Progress.bytes(bytes));
        StreamingEval.Result fwd = stream(cls, tensors, b, false);
        StreamingEval.Result both = stream(cls, tensors, b, true);
        out.printf(Locale.ROOT, "  loss (mean) = %.6f   (a uniform guess over %d classes would score log C = %.6f)%n",
                fwd.value, classes, Math.log(classes));
        throughput(out, "loss", fwd, rows, bytes);
        throughput(out, "loss + gradient", both, rows, bytes);
        spotCheck(out, cls, tensors, b);
    }

    private StreamingEval.Result stream(String cls, Map<String, ArraySource> tensors, Backend b, boolean grad) {
        StreamingEval.Request q = new StreamingEval.Request();
        q.loss = cls;
        q.options = new LinkedHashMap<>(Map.of("reduction", "mean"));
        q.tensors = tensors;
        q.backend = b;
        q.grad = grad;
        return StreamingEval.run(q);
    }

    private static void throughput(PrintWriter out, String what, StreamingEval.Result r, long rows, long bytes) {
        out.printf(Locale.ROOT, "  %-16s %6.2f s on %s in %d chunks: %5.1f M rows/s, %6.1f MB/s (the loss calls alone:"
                + " %.2f s, %.1f M rows/s)%n", what + ":", r.seconds, r.backend, r.chunks, rows / r.seconds / 1e6,
                bytes / r.seconds / 1e6, r.computeSeconds, rows / Math.max(1e-9, r.computeSeconds) / 1e6);
    }

    /** The first rows again, through the loss directly and through a plain double-precision loop. */
    private void spotCheck(PrintWriter out, String cls, Map<String, ArraySource> tensors, Backend b) {
        int n = (int) Math.min(rows, 10_000);
        float[] x = new float[n * classes];
        tensors.get("input").readFloats(0, x, 0, x.length);
        long[] t = new long[n];
        tensors.get("target").readLongs(0, t, 0, n);
        double ref = 0;
        for (int i = 0; i < n; i++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                m = Math.max(m, x[i * classes + c]);
            }
            double z = 0;
            for (int c = 0; c < classes; c++) {
                z += Math.exp(x[i * classes + c] - m);
            }
            ref += m + Math.log(z) - x[(int) (i * classes + t[i])];
        }
        ref /= n;
        float got;
        try (Tensor tx = b.tensor(x, n, classes); Tensor tt = b.tensor(t, n);
             Tensor o = Losses.create(cls, Map.of()).forward(tx, tt)) {
            got = o.item();
        }
        out.printf(Locale.ROOT, "  spot check, first %,d rows: jloss %.7f, double-precision loop %.7f (relative"
                + " difference %.1e)%n", n, got, ref, Math.abs(got - ref) / Math.abs(ref));
    }
}
