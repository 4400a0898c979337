package dev.jloss.bench;

import dev.jloss.BackendException;
import dev.jloss.backend.Backends;
import dev.jloss.loss.Losses;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.runner.RunnerException;

/**
 * The benchmark suite: for every case (a loss at a size), every implementation (jloss on each
 * backend, PyTorch through DJL, ND4J) is first built and its forward, backward and fused results
 * compared with jloss's CPU results (in a child JVM, so that a native peer that crashes costs only its
 * own row); only what matches is then timed with JMH, in a fresh JVM per
 * (case, implementation) ({@link Worker}), {@code --forks} times; an implementation named
 * {@code ...-jdk25} is timed in a worker JVM of that JDK ({@link Jdks}). Then a few representative ops
 * of jloss's CPU implementations are rerun under JMH's GC profiler for the bytes they allocate per
 * call ({@code --alloc}). The memory-copy limits are timed at the start and again at the end
 * (their drift shows how steady the machine was). Results go to a TSV and a properties file, from
 * which {@link Report} writes the page and the chart.
 *
 * <pre>
 * java -cp ... dev.jloss.bench.Suite [--size quick|full] [--losses a,b] [--impls jloss-cpu,jloss-cpu-jdk25,pytorch,...]
 *      [--threads N] [--forks N] [--warmup N] [--iterations N] [--time-ms N] [--out DIR] [--xmx 6g]
 *      [--alloc mse_loss:FUSED,cross_entropy:FUSED,nll_loss:BACKWARD | --alloc none]
 *      [--check-only]   (build and compare every implementation, time nothing)
 * </pre>
 */
public final class Suite {
    static final double RTOL = 1e-3;
    static final double ATOL_FRACTION = 1e-4;
    /** A loss value this close (relative) is timed but flagged; further off, it is not timed. */
    static final double LOSS_FLAG_RTOL = 0.05;
    /** Gradients differing in at most this fraction of elements (a peer's clipping at extremes) are timed but flagged. */
    static final double GRAD_FLAG_FRACTION = 1e-4;

    private Suite() {
    }

    static final class Config {
        String size = Cases.QUICK;
        List<String> losses = List.of();
        List<String> impls = List.of("jloss-cpu", "jloss-cpu-jdk25", "jloss-opencl", Impls.PYTORCH, Impls.ND4J);
        /** {@code loss:OP} pairs rerun under the GC profiler, for each jloss CPU implementation (first case of the loss). */
        List<String> alloc = List.of("mse_loss:FUSED", "cross_entropy:FUSED", "nll_loss:BACKWARD");
        int threads = Runtime.getRuntime().availableProcessors();
        int forks = 1;
        int warmup = 3;
        int iterations = 4;
        int timeMs = 200;
        String xmx = "6g";
        Path out = Path.of("docs");
        Path work = Path.of("benchmarks", "target");
        boolean checkOnly;

        static Config parse(String[] args) {
            Config c = new Config();
            for (int i = 0; i < args.length; i++) {
                String k = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (k) {
                    case "--size" -> c.size = v;
                    case "--full" -> {
                        c.size = Cases.FULL;
                        continue;
                    }
                    case "--check-only" -> {
                        c.checkOnly = true;
                        continue;
                    }
                    case "--losses" -> c.losses = v.isBlank() ? List.of() : Arrays.asList(v.split(","));
                    case "--impls" -> c.impls = Arrays.asList(v.split(","));
                    case "--threads" -> c.threads = Integer.parseInt(v);
                    case "--forks" -> c.forks = Integer.parseInt(v);
                    case "--warmup" -> c.warmup = Integer.parseInt(v);
                    case "--iterations" -> c.iterations = Integer.parseInt(v);
                    case "--time-ms" -> c.timeMs = Integer.parseInt(v);
                    case "--xmx" -> c.xmx = v;
                    case "--alloc" -> c.alloc = v.isBlank() || v.equals("none") ? List.of() : Arrays.asList(v.split(","));
                    case "--out" -> c.out = Path.of(v);
                    case "--work" -> c.work = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + k);
                }
                i++;
            }
            return c;
        }

        List<String> forkJvmArgs() {
            // NOTE: --add-modules: jloss's CPU backend takes its SIMD path only with the Vector API's module
            List<String> a = new ArrayList<>(List.of("-Xmx" + xmx, "--add-modules", "jdk.incubator.vector",
                    "-Djava.awt.headless=true", "-Djloss.bench.work=" + work,
                    "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=" + threads,
                    "-Dai.djl.pytorch.num_interop_threads=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"));
            if (threads > 1) {
                a.add("-Djava.util.concurrent.ForkJoinPool.common.parallelism=" + (threads - 1));
            }
            return a;
        }
    }

    /**
     * One line of results: a timed (or skipped) combination. Kind {@code loss} ({@code bytes}: the
     * fewest the op must move; {@code elements}: of the first argument), {@code copy} (the limit), or
     * {@code alloc} ({@code bytes}: allocated per call under JMH's GC profiler; {@code elements}: GCs).
     */
    record Row(String kind, String caseId, String loss, String group, String shape, String impl, String op,
               double ms, double msError, double cv, long bytes, long elements, String status, String note) {
        static final String HEADER = "kind\tcase\tloss\tgroup\tshape\timpl\top\tms\tms_error\tcv\tbytes\telements\tstatus\tnote";

        String tsv() {
            return String.join("\t", kind, caseId, loss, group, shape, impl, op, num(ms), num(msError), num(cv),
                    Long.toString(bytes), Long.toString(elements), status, note.replace('\t', ' ').replace('\n', ' '));
        }

        static Row parse(String line) {
            String[] f = line.split("\t", -1);
            return new Row(f[0], f[1], f[2], f[3], f[4], f[5], f[6], Double.parseDouble(f[7]), Double.parseDouble(f[8]),
                    Double.parseDouble(f[9]), Long.parseLong(f[10]), Long.parseLong(f[11]), f[12], f[13]);
        }

        private static String num(double d) {
            return Double.isNaN(d) ? "NaN" : String.format(Locale.ROOT, "%.6g", d);
        }
    }

    public static void main(String[] args) throws Exception {
        Config cfg = Config.parse(args);
        for (String p : cfg.forkJvmArgs()) {
            if (p.startsWith("-D")) {
                String[] kv = p.substring(2).split("=", 2);
                if (!kv[0].startsWith("java.util.concurrent")) {
                    System.setProperty(kv[0], kv[1]);
                }
            }
        }
        Files.createDirectories(cfg.out);
        Files.createDirectories(cfg.work);
        Map<String, String> meta = Environment.describe(cfg);
        meta.putAll(describeWorkers(cfg));
        meta.put("first_touch", firstTouch(cfg));
        List<Row> rows = new ArrayList<>();
        long t0 = System.nanoTime();

        if (!cfg.checkOnly) {
            rows.addAll(copies(cfg, "start"));
        }
        List<Cases.Case> cases = Cases.all(cfg.size);
        for (Cases.Case c : cases) {
            if (!cfg.losses.isEmpty() && !cfg.losses.contains(c.loss())) {
                continue;
            }
            rows.addAll(runCase(cfg, c));
        }
        if (cfg.checkOnly) {
            return;
        }
        rows.addAll(allocations(cfg, rows));
        rows.addAll(copies(cfg, "end"));
        meta.put("wall_seconds", Long.toString((System.nanoTime() - t0) / 1_000_000_000L));

        Path tsv = cfg.out.resolve("benchmarks-results.tsv");
        List<String> lines = new ArrayList<>(List.of(Row.HEADER));
        rows.forEach(r -> lines.add(r.tsv()));
        Files.write(tsv, lines, StandardCharsets.UTF_8);
        Environment.write(cfg.out.resolve("benchmarks-environment.properties"), meta);
        System.out.println("wrote " + tsv);
        Report.main(new String[] {cfg.out.toString()});
    }

    private static List<Row> copies(Config cfg, String when) throws IOException {
        List<Row> rows = new ArrayList<>();
        List<String> kinds = new ArrayList<>(List.of("java", "java-1t"));
        for (String impl : cfg.impls) {
            if (impl.equals("jloss-opencl") || impl.equals("jloss-cuda")) {
                String device = impl.substring("jloss-".length());
                try (dev.jloss.Backend b = Backends.named(device)) {
                    kinds.add(device);
                } catch (BackendException | LinkageError e) {
                    System.out.println("copy limit " + device + ": skipped: " + e.getMessage());
                }
            }
        }
        int floats = 1 << 26;
        for (String kind : kinds) {
            for (Stat s : runWorker(cfg, null, "copy", kind, Integer.toString(floats), List.of(when)).values()) {
                Row row = new Row("copy", "copy@" + when, "copy", "limit", Cases.fmt(floats) + " floats", kind, when,
                        s.ms, s.err, s.cv, CopyBench.bytes(floats), floats, "ok", "");
                rows.add(row);
                System.out.printf(Locale.ROOT, "copy %-8s %-6s %8.2f ms  %6.1f GB/s  cv %.1f%%%n", kind, when, s.ms,
                        CopyBench.bytes(floats) / (s.ms * 1e6), 100 * s.cv);
            }
        }
        return rows;
    }

    record Stat(double ms, double err, double cv) {
    }

    /**
     * Times {@code ops} in a fresh {@link Worker} JVM (JMH in-process there), {@code forks} times;
     * with several forks the mean is over all their iterations and the error the spread between forks
     * as well.
     */
    private static Map<String, Stat> runWorker(Config cfg, String jdk, String what, String a, String b,
                                               List<String> ops) throws IOException {
        Map<String, List<double[]>> perOp = new LinkedHashMap<>();
        for (int f = 0; f < cfg.forks; f++) {
            for (String[] l : runChild(cfg, jdk, what, a, b, String.join(",", ops), Integer.toString(cfg.warmup),
                    Integer.toString(cfg.iterations), Integer.toString(cfg.timeMs))) {
                perOp.computeIfAbsent(l[0], k -> new ArrayList<>())
                        .add(new double[] {Double.parseDouble(l[1]), Double.parseDouble(l[2]), Double.parseDouble(l[3])});
            }
        }
        Map<String, Stat> r = new LinkedHashMap<>();
        perOp.forEach((op, runs) -> {
            double mean = runs.stream().mapToDouble(x -> x[0]).average().orElse(Double.NaN);
            double err = runs.stream().mapToDouble(x -> x[1]).max().orElse(Double.NaN);
            double cv = runs.stream().mapToDouble(x -> x[2]).max().orElse(Double.NaN);
            if (runs.size() > 1) {
                double spread = runs.stream().mapToDouble(x -> Math.abs(x[0] - mean)).max().orElse(0);
                err = Math.max(err, spread);
                cv = Math.max(cv, spread / mean);
            }
            r.put(op, new Stat(mean, err, cv));
        });
        return r;
    }

    /**
     * Runs a {@link Worker} JVM of JDK {@code jdk} (null: the suite's) with {@code args} and returns
     * the tab-separated lines it wrote. A worker that fails (or crashes in a native library) costs its
     * own row, never the suite.
     */
    private static List<String[]> runChild(Config cfg, String jdk, String... args) throws IOException {
        Path out = Files.createTempFile(cfg.work, "worker", ".tsv");
        try {
            String[] full = new String[args.length + 1];
            full[0] = out.toString();
            System.arraycopy(args, 0, full, 1, args.length);
            ProcessBuilder pb = new ProcessBuilder(Worker.command(cfg, jdk, full)).redirectErrorStream(true);
            Jdks.adjustEnvironment(pb.environment(), jdk);
            Process p = pb.start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc;
            try {
                rc = p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (rc != 0) {
                String tail = log.strip();
                int at = tail.indexOf("\n\tat ");
                throw new IllegalStateException("worker exited with " + rc + (rc == 134 || rc == 139 ? " (a native crash)"
                        : "") + ": " + (at > 0 ? tail.substring(0, at) : tail).lines().reduce((x, y) -> y).orElse("")
                        + " | " + firstError(log));
            }
            return Worker.read(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Milliseconds to malloc, zero and free 64 MiB, without and with the glibc tunables (see bench.sh). */
    private static String firstTouch(Config cfg) {
        StringBuilder sb = new StringBuilder();
        for (boolean tunables : new boolean[] {false, true}) {
            List<String> cmd = Worker.command(cfg);
            cmd.set(cmd.size() - 1, FirstTouch.class.getName());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            String t = System.getenv("GLIBC_TUNABLES");
            if (!tunables) {
                pb.environment().remove("GLIBC_TUNABLES");
            } else if (t == null) {
                continue;
            }
            try {
                Process p = pb.start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                p.waitFor();
                String ms = out.lines().reduce((x, y) -> y).orElse("?");
                sb.append(sb.length() == 0 ? "" : "; ").append(ms).append(" ms")
                        .append(tunables ? " with GLIBC_TUNABLES=" + t : " fresh from the OS");
            } catch (IOException e) {
                return "probe failed: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "probe interrupted";
            }
        }
        return sb.toString();
    }

    /**
     * What the timed JVMs run on, asked of a worker of each JDK in the run: {@code jdk}, {@code cpu_path}
     * and {@code backend.cpu} for the suite's JDK, the same keys with {@code .jdkNN} for another.
     */
    private static Map<String, String> describeWorkers(Config cfg) {
        Map<String, String> m = new LinkedHashMap<>();
        List<String> jdks = new ArrayList<>();
        jdks.add(null);
        for (String impl : cfg.impls) {
            String j = Impls.jdkOf(impl);
            if (j != null && !jdks.contains(j)) {
                jdks.add(j);
            }
        }
        for (String j : jdks) {
            String suffix = j == null ? "" : ".jdk" + j;
            String missing = Jdks.missing(j);
            if (missing != null) {
                m.put("jdk" + suffix, "unavailable: " + missing);
                continue;
            }
            try {
                for (String[] l : runChild(cfg, j, "describe")) {
                    m.put(l[0] + suffix, l[1]);
                }
            } catch (IOException | RuntimeException e) {
                m.put("jdk" + suffix, "describe failed: " + reason(e));
            }
        }
        return m;
    }

    /**
     * The bytes per call of {@code cfg.alloc}'s ops, for each jloss CPU implementation in the run
     * that was timed on them (and, beside {@code jloss-cpu}, its allocating calls {@code jloss-cpu-alloc}
     * for contrast): JMH's GC profiler ({@code gc.alloc.rate.norm}) in a worker of the
     * implementation's JDK. Rows of kind {@code alloc}: {@code ms} the time per call under the
     * profiler, {@code bytes} the bytes allocated per call, {@code elements} the GCs over the
     * measurement, {@code note} "results=N direct=D calls=K": the bytes of the loss and gradients the
     * op returns, and the bytes per call counted without JMH over K calls ({@link Worker#directBytesPerCall}).
     */
    private static List<Row> allocations(Config cfg, List<Row> timed) {
        List<Row> rows = new ArrayList<>();
        if (cfg.alloc.isEmpty()) {
            return rows;
        }
        List<String> impls = new ArrayList<>();
        for (String impl : cfg.impls) {
            if (Impls.isJloss(impl) && Impls.jloss(impl).backend().equals("cpu")) {
                impls.add(impl);
                if (impl.equals("jloss-cpu") && !cfg.impls.contains("jloss-cpu-alloc")) {
                    impls.add("jloss-cpu-alloc");
                }
            }
        }
        System.out.println("== bytes allocated per call (JMH -prof gc)");
        for (String spec : cfg.alloc) {
            String[] lo = spec.split(":");
            String op = lo.length > 1 ? lo[1].toUpperCase(Locale.ROOT) : "FUSED";
            for (String impl : impls) {
                // NOTE: an -alloc variant that was not timed runs where its base was checked and timed
                String need = cfg.impls.contains(impl) ? impl : Impls.jloss(impl).base();
                Row t = timed.stream().filter(r -> r.kind().equals("loss") && r.loss().equals(lo[0])
                        && r.impl().equals(need) && r.op().equals(op) && r.status().equals("ok")).findFirst().orElse(null);
                if (t == null) {
                    continue;
                }
                String results = "";
                try {
                    Cases.Case c = Cases.byId(t.caseId());
                    long b = op.equals("BACKWARD") ? 0 : 4;
                    if (!op.equals("FORWARD")) {
                        List<String> diff = Losses.create(c.loss(), Cases.options(c)).differentiableArguments();
                        for (Cases.Arg a : c.args()) {
                            b += diff.contains(a.name()) ? a.numel() * 4 : 0;
                        }
                    }
                    results = "results=" + b;
                } catch (RuntimeException e) {
                    // the column shows a dash
                }
                try {
                    for (String[] l : runChild(cfg, Impls.jdkOf(impl), "alloc", t.caseId(), impl, op,
                            Integer.toString(cfg.warmup), Integer.toString(cfg.iterations), Integer.toString(cfg.timeMs))) {
                        double ms = Double.parseDouble(l[1]);
                        double bytes = Double.parseDouble(l[4]);
                        double gcs = Double.parseDouble(l[5]);
                        double direct = Double.parseDouble(l[6]);
                        System.out.printf(Locale.ROOT, "   %-19s %-16s %-8s %9.3f ms  %,14.0f bytes/call (JMH)  %,12.0f (direct, %s calls)  %.0f GCs%n",
                                t.caseId(), impl, op, ms, bytes, direct, l[7], gcs);
                        rows.add(new Row("alloc", t.caseId(), t.loss(), t.group(), t.shape(), impl, op, ms,
                                Double.parseDouble(l[2]), Double.NaN, Math.round(bytes),
                                Double.isNaN(gcs) ? -1 : Math.round(gcs), "ok",
                                (results + " direct=" + (Double.isNaN(direct) ? "NaN" : Long.toString(Math.round(direct)))
                                        + " calls=" + l[7]).strip()));
                    }
                } catch (IOException | RuntimeException e) {
                    System.out.println("   " + t.caseId() + " " + impl + " " + op + ": GC profile failed: " + reason(e));
                    rows.add(new Row("alloc", t.caseId(), t.loss(), t.group(), t.shape(), impl, op, Double.NaN,
                            Double.NaN, Double.NaN, -1, -1, "skipped", "GC profile failed: " + reason(e)));
                }
            }
        }
        return rows;
    }

    private static String firstError(String log) {
        for (String l : log.split("\n")) {
            if (l.contains("Exception") || l.contains("Error")) {
                return l.strip();
            }
        }
        return "";
    }

    private static List<Row> runCase(Config cfg, Cases.Case c) {
        List<Row> rows = new ArrayList<>();
        System.out.println("== " + c.id() + " (" + c.shapeText() + ")");
        List<String> diff;
        try {
            diff = Losses.create(c.loss(), Cases.options(c)).differentiableArguments();
        } catch (RuntimeException e) {
            String why = reason(e);
            System.out.println("   skipped: " + why);
            for (String impl : cfg.impls) {
                rows.add(skip(c, impl, "jloss cannot build the loss: " + why));
            }
            return rows;
        }
        for (String impl : cfg.impls) {
            List<String> ops = new ArrayList<>();
            String note = "";
            String problem = Jdks.missing(Impls.jdkOf(impl));
            try {
                // NOTE: in a child JVM: native peers (libtorch, ND4J, PoCL) loaded together have crashed a JVM.
                // On the suite's JDK even for a -jdkNN implementation: its results against this JDK's.
                for (String[] l : problem != null ? List.<String[]>of() : runChild(cfg, null, "check", c.id(), impl)) {
                    switch (l[1]) {
                        case "note" -> note = l[2];
                        case "skipped" -> problem = l[2];
                        case "equal" -> ops.add(l[0]);
                        default -> {
                            boolean timed = l[1].equals("inexact");
                            if (timed) {
                                ops.add(l[0]);
                            }
                            System.out.println("   " + impl + " " + l[0] + ": " + l[1].toUpperCase(Locale.ROOT) + " "
                                    + l[2]);
                            rows.add(new Row("loss", c.id(), c.loss(), c.group().name(), c.shapeText(), impl, l[0],
                                    Double.NaN, Double.NaN, Double.NaN, c.minimumBytes(l[0], diff), c.elements(), l[1],
                                    l[2]));
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                problem = "check failed: " + reason(e);
            }
            if (problem != null) {
                System.out.println("   " + impl + ": skipped: " + problem);
                rows.add(skip(c, impl, problem));
                continue;
            }
            if (ops.isEmpty() || cfg.checkOnly) {
                System.out.println("   " + impl + ": " + (ops.isEmpty() ? "nothing to time" : "equal in " + ops));
                continue;
            }
            Map<String, Stat> timed;
            try {
                timed = runWorker(cfg, Impls.jdkOf(impl), "loss", c.id(), impl, ops);
            } catch (IOException | RuntimeException e) {
                System.out.println("   " + impl + ": JMH failed: " + reason(e));
                rows.add(skip(c, impl, "JMH run failed: " + reason(e)));
                continue;
            }
            for (Map.Entry<String, Stat> t : timed.entrySet()) {
                String op = t.getKey();
                Stat s = t.getValue();
                long bytes = c.minimumBytes(op, diff);
                System.out.printf(Locale.ROOT, "   %-13s %-8s %9.3f ms ±%5.1f%%  %7.2f GB/s%n", impl, op, s.ms,
                        100 * s.err / s.ms, bytes / (s.ms * 1e6));
                rows.add(new Row("loss", c.id(), c.loss(), c.group().name(), c.shapeText(), impl, op, s.ms, s.err, s.cv,
                        bytes, c.elements(), "ok", note));
            }
        }
        return rows;
    }

    /**
     * The check before timing, run in a {@link Worker} JVM: {@code impl}'s forward, backward and fused
     * results against jloss's CPU results on the case's inputs. Lines {@code op status detail}, status
     * {@code equal | inexact | mismatch}; or {@code - skipped reason}; and {@code - note text}.
     */
    static List<String> checkLines(Cases.Case c, String impl) {
        List<String> lines = new ArrayList<>();
        HostInputs in = new HostInputs(c);
        Map<Impl.Op, Impl.Outputs> ref = new LinkedHashMap<>();
        try (JlossImpl cpu = new JlossImpl("cpu", in)) {
            for (Impl.Op op : Impl.Op.values()) {
                ref.put(op, cpu.outputs(op));
            }
        } catch (RuntimeException e) {
            lines.add("-\tskipped\tjloss CPU reference unavailable: " + reason(e));
            return lines;
        }
        try (Impl im = Impls.create(impl, in)) {
            lines.add("-\tnote\t" + im.note().replace('\t', ' ').replace('\n', ' '));
            for (Impl.Op op : Impl.Op.values()) {
                Check check = compare(ref.get(op), im.outputs(op));
                String status = check.problem() == null ? "equal" : check.timed() ? "inexact" : "mismatch";
                String detail = check.problem() == null ? "" : check.problem().replace('\t', ' ').replace('\n', ' ');
                lines.add(op.name() + "\t" + status + "\t" + detail);
            }
        } catch (RuntimeException | LinkageError e) {
            lines.add("-\tskipped\t" + reason(e));
        }
        return lines;
    }

    private static Row skip(Cases.Case c, String impl, String why) {
        return new Row("loss", c.id(), c.loss(), c.group().name(), c.shapeText(), impl, "-", Double.NaN, Double.NaN,
                Double.NaN, 0, c.elements(), "skipped", why);
    }

    /** The outcome of comparing an implementation's results with jloss's CPU results. */
    record Check(boolean timed, String problem) {
        static final Check EQUAL = new Check(true, null);
    }

    /**
     * Gradients must match within float32 tolerance for an op to be timed. A loss value that is off
     * by less than {@link #LOSS_FLAG_RTOL} (a peer summing millions of terms in float, as ND4J does),
     * or a gradient off in at most {@link #GRAD_FLAG_FRACTION} of its elements (a peer clipping
     * saturated sigmoids), is still timed and flagged "inexact"; anything more is a mismatch.
     */
    static Check compare(Impl.Outputs ref, Impl.Outputs got) {
        String lossProblem = null;
        boolean lossTimed = true;
        if (!Double.isNaN(ref.loss())) {
            double d = Math.abs(got.loss() - ref.loss());
            if (!(d <= 1e-6 + RTOL * Math.abs(ref.loss()))) {
                double rel = d / Math.abs(ref.loss());
                lossTimed = rel < LOSS_FLAG_RTOL;
                lossProblem = String.format(Locale.ROOT, "loss %.7g, jloss cpu %.7g (%.2g relative)", got.loss(),
                        ref.loss(), rel);
            }
        }
        if (got.grads().size() != ref.grads().size()) {
            return new Check(false, got.grads().size() + " gradients, jloss cpu has " + ref.grads().size());
        }
        for (int k = 0; k < ref.grads().size(); k++) {
            float[] a = got.grads().get(k);
            float[] b = ref.grads().get(k);
            if (a.length != b.length) {
                return new Check(false, "gradient " + k + " has " + a.length + " elements, jloss cpu " + b.length);
            }
            double max = 0;
            for (float v : b) {
                max = Math.max(max, Math.abs(v));
            }
            double atol = ATOL_FRACTION * max;
            int bad = 0;
            int first = -1;
            for (int i = 0; i < a.length; i++) {
                double d = Math.abs((double) a[i] - b[i]);
                if (!(d <= atol + RTOL * Math.abs(b[i]))) {
                    if (bad++ == 0) {
                        first = i;
                    }
                }
            }
            if (bad > 0) {
                String m = String.format(Locale.ROOT, "gradient %d: %d of %d elements differ, first [%d] %.7g vs jloss cpu %.7g",
                        k, bad, a.length, first, a[first], b[first]);
                if (bad > GRAD_FLAG_FRACTION * a.length) {
                    return new Check(false, m);
                }
                lossProblem = lossProblem == null ? m : lossProblem + "; " + m;
            }
        }
        return lossProblem == null ? Check.EQUAL : new Check(lossTimed, lossProblem);
    }

    static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t.getMessage() == null || t instanceof RunnerException)) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (m == null) {
            StringWriter sw = new StringWriter();
            t.printStackTrace(new PrintWriter(sw));
            m = sw.toString();
        }
        m = m.strip();
        int nl = m.indexOf('\n');
        return t.getClass().getSimpleName() + ": " + (nl > 0 ? m.substring(0, nl) : m);
    }

    static List<Row> read(Path tsv) throws IOException {
        List<Row> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(tsv, StandardCharsets.UTF_8);
        for (String l : lines.subList(1, lines.size())) {
            if (!l.isBlank()) {
                rows.add(Row.parse(l));
            }
        }
        return rows;
    }
}
