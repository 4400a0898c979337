package dev.jloss.cli;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.backend.Backends;
import dev.jloss.io.NpyFile;
import dev.jloss.loss.HostArray;
import dev.jloss.loss.Losses;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * {@code jloss eval LOSS TENSOR... [--OPTION VALUE]... [--reduction R] [--backend B] [--out DIR] [--grad]}:
 * one loss over {@code .npy} files, streamed in chunks of the batch; prints one JSON object.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluates a loss over .npy files and prints one JSON object on stdout.",
                "Inputs are streamed in chunks of the batch, so they may be far larger than memory."},
        footerHeading = "%nLoss options:%n",
        footer = {"  --OPTION VALUE  a constructor argument of PyTorch's loss class, '_' as '-':",
                "                  --ignore-index 2, --label-smoothing 0.1, --log-target true,",
                "                  --p 2, --zero-infinity true. Tensor options take an .npy",
                "                  file (--weight w.npy) or numbers (--weight 0.6,0.2,0.2).",
                "                  CrossEntropyLoss also takes --lse-square-scale 1e-4 (z-loss)",
                "                  and --softcap 30 (beyond torch.nn; docs/CROSS_ENTROPY.md).",
                "",
                "Examples:",
                "  jloss eval CrossEntropyLoss input=logits.npy target=labels.npy \\",
                "      --label-smoothing 0.1",
                "  jloss eval mse_loss pred.npy y.npy --reduction none --out results/",
                "  jloss eval NLLLoss logp.npy labels.npy --weight w.npy --grad --out res/",
                "",
                "Exit status: 0 success; 2 bad input (one line on stderr); 1 other failure."})
final class EvalCommand implements Callable<Integer> {
    private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "LOSS",
            description = "PyTorch class name (CrossEntropyLoss) or functional name (cross_entropy), any case.")
    String lossName;

    @Parameters(index = "1..*", paramLabel = "TENSOR", arity = "0..*",
            description = "NAME=FILE.npy with PyTorch's forward() parameter name (input, target, ...), or FILE.npy"
                    + " in forward() order.")
    List<String> rest = new ArrayList<>();

    @Option(names = "--reduction", paramLabel = "R", description = "none, mean (default), sum; batchmean for KLDivLoss.")
    String reduction;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "auto",
            description = "auto (default: CUDA, then OpenCL, then CPU), cpu, opencl or cuda. A backend named"
                    + " explicitly must be available.")
    String backend;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Write DIR/output.npy (float32) and, with --grad, DIR/grad_NAME.npy.")
    Path out;

    @Option(names = "--grad", description = "Also compute the gradient of the output's sum for each differentiable"
            + " tensor.")
    boolean grad;

    @Option(names = "--progress", negatable = true,
            description = "Progress bar with throughput on stderr (default: when stderr is a terminal).")
    Boolean progress;

    @Option(names = "--verbose", description = "Log the backend choice; print stack traces on errors.")
    boolean verbose;

    @Option(names = "--chunk-rows", hidden = true, paramLabel = "N",
            description = "Rows of the batch per chunk (default: from the heap size).")
    long chunkRows;

    @Override
    public Integer call() {
        String cls = Losses.className(lossName);
        Map<String, Object> options = new LinkedHashMap<>();
        List<String> tensorTokens = new ArrayList<>();
        parseRest(options, tensorTokens);
        if (reduction != null) {
            options.put("reduction", reduction);
        }
        Loss loss = Losses.create(cls, options);
        List<ArraySource> opened = new ArrayList<>();
        Backend b = null;
        try {
            Map<String, ArraySource> tensors = resolveTensors(loss, tensorTokens, opened);
            b = Backends.named(backend);
            StreamingEval.Request q = new StreamingEval.Request();
            q.loss = cls;
            q.options = options;
            q.tensors = tensors;
            q.backend = b;
            q.grad = grad;
            q.chunkRows = chunkRows;
            long total = 0;
            for (ArraySource s : tensors.values()) {
                total += StreamingEval.numel(s.shape()) * (s.isFloating() ? 4 : 8);
            }
            boolean tty = Boolean.getBoolean("jloss.stderr.tty");
            q.progress = new Progress(spec.commandLine().getErr(), progress != null ? progress : tty, total);
            q.out = out == null ? null : OutputFiles.in(out);
            StreamingEval.Result r = StreamingEval.run(q);
            PrintWriter w = spec.commandLine().getOut();
            w.println(json(r, tensors));
            w.flush();
            return 0;
        } finally {
            opened.forEach(ArraySource::close);
            if (b != null) {
                b.close();
            }
        }
    }

    /** Splits the positional words into {@code --name value} loss options and tensor words. */
    private void parseRest(Map<String, Object> options, List<String> tensorTokens) {
        for (int i = 0; i < rest.size(); i++) {
            String tok = rest.get(i);
            if (tok.startsWith("--") && tok.length() > 2) {
                String name = tok.substring(2);
                String value;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                } else if (i + 1 < rest.size()) {
                    value = rest.get(++i);
                } else {
                    throw new CliException("option --" + name + " needs a value");
                }
                String key = name.replace('-', '_').toLowerCase(Locale.ROOT);
                if (options.containsKey(key)) {
                    throw new CliException("option --" + name + " is given twice");
                }
                options.put(key, optionValue(value));
            } else if (tok.startsWith("-") && tok.length() > 1 && !looksNumeric(tok)) {
                throw new CliException("unknown option '" + tok + "' (loss options are written --name value)");
            } else {
                tensorTokens.add(tok);
            }
        }
    }

    /** An option value: an .npy file (a tensor option), comma-separated numbers (a 1-D tensor), or text. */
    private static Object optionValue(String v) {
        if (v.toLowerCase(Locale.ROOT).endsWith(".npy")) {
            long[][] shape = new long[1][];
            float[] values = NpyFile.readAllFloats(Path.of(v), shape);
            return new HostArray(values, shape[0]);
        }
        if (v.contains(",")) {
            List<Double> list = new ArrayList<>();
            for (String part : v.split(",", -1)) {
                try {
                    list.add(Double.parseDouble(part.trim()));
                } catch (NumberFormatException e) {
                    return v;
                }
            }
            return list;
        }
        return v;
    }

    private static boolean looksNumeric(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Assigns {@code NAME=FILE} words by name and bare {@code FILE} words in forward() order; opens them. */
    private static Map<String, ArraySource> resolveTensors(Loss loss, List<String> tokens, List<ArraySource> opened) {
        String fn = loss.functionalName();
        List<String> names = loss.argumentNames();
        String expected = String.join(", ", names);
        Map<String, String> files = new LinkedHashMap<>();
        List<String> bare = new ArrayList<>();
        for (String tok : tokens) {
            int eq = tok.indexOf('=');
            String prefix = eq > 0 ? tok.substring(0, eq) : null;
            if (prefix != null && names.contains(prefix)) {
                if (files.put(prefix, tok.substring(eq + 1)) != null) {
                    throw new CliException(fn + ": tensor '" + prefix + "' is given twice");
                }
            } else if (prefix != null && IDENT.matcher(prefix).matches() && !Files.exists(Path.of(tok))) {
                throw new CliException(fn + ": unknown tensor '" + prefix + "', expected " + expected);
            } else {
                bare.add(tok);
            }
        }
        int b = 0;
        for (String n : names) {
            if (!files.containsKey(n) && b < bare.size()) {
                files.put(n, bare.get(b++));
            }
        }
        if (b < bare.size()) {
            throw new CliException(fn + ": got " + tokens.size() + " tensors, expected " + names.size() + " (" + expected
                    + "): '" + bare.get(b) + "' is one too many");
        }
        Map<String, ArraySource> sources = new LinkedHashMap<>();
        for (String n : names) {
            String f = files.get(n);
            if (f == null) {
                throw new CliException(fn + ": missing tensor '" + n + "' (expected " + expected + ")");
            }
            ArraySource s = ArraySource.of(NpyFile.open(Path.of(f)));
            opened.add(s);
            sources.put(n, s);
        }
        return sources;
    }

    private static Json json(StreamingEval.Result r, Map<String, ArraySource> tensors) {
        Json j = new Json().put("loss", r.loss).put("backend", r.backend).put("reduction", r.reduction.toString())
                .put("shape", r.shape);
        if (r.scalar) {
            j.put("value", (float) r.value);
        }
        if (r.reduction == dev.jloss.Reduction.NONE) {
            j.put("elements", r.outputElements).put("sum", r.sum);
        } else {
            j.put("denominator", r.denominator);
        }
        Map<String, Object> inputs = new LinkedHashMap<>();
        tensors.forEach((n, s) -> inputs.put(n, new Json().put("file", s.label()).put("shape", s.shape())
                .put("dtype", s.dtypeName())));
        j.put("inputs", inputs);
        if (!r.gradShapes.isEmpty()) {
            Map<String, Object> grads = new LinkedHashMap<>();
            r.gradShapes.forEach((n, s) -> grads.put(n, new Json().put("shape", s).put("norm", r.gradNorms.get(n))));
            j.put("grads", grads);
        }
        if (!r.files.isEmpty()) {
            j.put("files", r.files);
        }
        j.put("batch", r.batch).put("chunks", r.chunks).put("rows_per_chunk", r.rowsPerChunk)
                .put("bytes_read", r.bytesRead).put("seconds", round(r.seconds))
                .put("compute_seconds", round(r.computeSeconds));
        if (r.seconds > 0) {
            j.put("mb_per_second", Math.round(r.bytesRead / 1e5 / r.seconds) / 10.0);
        }
        return j;
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
