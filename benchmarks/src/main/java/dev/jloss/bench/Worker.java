package dev.jloss.bench;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

/**
 * One JVM per (case, implementation), started by {@link Suite}: it runs JMH in-process (forks 0)
 * over the ops it is given, so the three ops of one loss share one JVM, its inputs and its peer
 * session (DJL's engine, ND4J's natives), as they would in a training loop, while different losses
 * and implementations never share JIT profiles. Writes one line per op: {@code op median error cv}
 * (median of the measured iterations, 99.9% half-width of their mean, coefficient of variation).
 *
 * <pre>Worker OUT_FILE loss|copy CASE_OR_KIND IMPL_OR_FLOATS OPS warmup iterations timeMs
 *      Worker OUT_FILE alloc CASE IMPL OP warmup iterations timeMs
 *                                        (JMH's GC profiler: {@code op ms error cv bytes/op gc.count})
 *      Worker OUT_FILE check CASE IMPL   (the check before timing: {@link Suite#checkLines})
 *      Worker OUT_FILE dump CASE IMPL    (IMPL's outputs, binary, for a check on another JDK: {@link OtherJdkImpl})
 *      Worker OUT_FILE describe          (this JVM: {@code key value} lines, see {@link #describe})</pre>
 *
 * <p>An implementation named {@code ...-jdkNN} is timed (and dumped) in a worker of that JDK; its check
 * runs on the suite's JDK, against the suite JDK's jloss CPU results.
 */
public final class Worker {
    private Worker() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        String what = args[1];
        if (what.equals("check")) {
            Files.write(out, Suite.checkLines(Cases.byId(args[2]), args[3]), StandardCharsets.UTF_8);
            System.exit(0); // natives (DJL, ND4J, PoCL) may keep non-daemon threads
        }
        if (what.equals("dump")) {
            try (Impl im = Impls.create(args[3], new HostInputs(Cases.byId(args[2])))) {
                OtherJdkImpl.dump(im, out);
            }
            System.exit(0);
        }
        if (what.equals("describe")) {
            Files.write(out, describe(), StandardCharsets.UTF_8);
            System.exit(0);
        }
        int warmup = Integer.parseInt(args[5]);
        int iterations = Integer.parseInt(args[6]);
        int timeMs = Integer.parseInt(args[7]);
        ChainedOptionsBuilder o = new OptionsBuilder().forks(0).warmupIterations(warmup)
                .warmupTime(TimeValue.milliseconds(timeMs)).measurementIterations(iterations)
                .measurementTime(TimeValue.milliseconds(timeMs)).shouldFailOnError(true).verbosity(VerboseMode.SILENT);
        String[] ops = args[4].split(",");
        boolean alloc = what.equals("alloc");
        if (what.equals("copy")) {
            o.include(CopyBench.class.getName() + ".copy$").param("kind", args[2]).param("floats", args[3]);
        } else if (alloc) {
            // NOTE: in-process (forks 0) the profiler reads the JVM's total of allocated bytes over all
            // threads (the fork-join workers too) between the iteration's start and end, over its calls
            o.include(LossBench.class.getName() + ".run$").param("caseId", args[2]).param("impl", args[3])
                    .param("op", ops).addProfiler(GCProfiler.class);
        } else {
            o.include(LossBench.class.getName() + ".run$").param("caseId", args[2]).param("impl", args[3])
                    .param("op", ops);
        }
        Collection<RunResult> rr;
        double[] direct = {Double.NaN, 0};
        try {
            rr = new Runner(o.build()).run();
            if (alloc && !rr.isEmpty()) {
                double ms = rr.iterator().next().getPrimaryResult().getScore();
                int calls = (int) Math.max(8, Math.min(200, iterations * timeMs / Math.max(ms, 1e-3)));
                direct = directBytesPerCall(LossBench.shared(), Impl.Op.valueOf(ops[0]), calls);
            }
        } finally {
            LossBench.closeShared();
        }
        List<String> lines = new ArrayList<>();
        for (RunResult r : rr) {
            Statistics s = r.getPrimaryResult().getStatistics();
            // NOTE: the median, not the mean: on a shared machine one stalled iteration would dominate a mean
            double mean = s.getN() > 2 ? s.getPercentile(50) : s.getMean();
            double err = s.getN() > 2 ? s.getMeanErrorAt(0.999) : Double.NaN;
            double cv = s.getN() > 1 ? s.getStandardDeviation() / s.getMean() : Double.NaN;
            String op = what.equals("copy") ? ops[0] : r.getParams().getParam("op");
            if (alloc) {
                Result norm = r.getSecondaryResults().get("gc.alloc.rate.norm");
                Result count = r.getSecondaryResults().get("gc.count");
                lines.add(String.join("\t", op, num(mean), num(err), num(cv),
                        num(norm == null ? Double.NaN : norm.getScore()),
                        num(count == null ? Double.NaN : count.getScore()), num(direct[0]), num(direct[1])));
            } else {
                lines.add(String.join("\t", op, num(mean), num(err), num(cv)));
            }
        }
        Files.write(out, lines, StandardCharsets.UTF_8);
        System.exit(0); // natives (DJL, ND4J, PoCL) may keep non-daemon threads
    }

    /**
     * The bytes allocated per call counted without JMH: the JVM's total over all threads
     * ({@code getTotalThreadAllocatedBytes}) read before and after {@code calls} back-to-back calls
     * (warm: right after JMH's iterations, in the same JVM), less what two reads alone allocate.
     * JMH's {@code gc.alloc.rate.norm} also spreads its own per-iteration bookkeeping over the
     * iteration's calls, which at a few calls per iteration is most of a small figure. Returns
     * {bytes per call, calls}.
     */
    static double[] directBytesPerCall(Impl im, Impl.Op op, int calls) {
        if (im == null || !(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx)
                || !mx.isThreadAllocatedMemorySupported() || !mx.isThreadAllocatedMemoryEnabled()) {
            return new double[] {Double.NaN, 0};
        }
        Object sink = null;
        for (int i = 0; i < 2; i++) {
            sink = im.run(op);
        }
        long a0 = mx.getTotalThreadAllocatedBytes();
        long a1 = mx.getTotalThreadAllocatedBytes();
        long before = mx.getTotalThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            sink = im.run(op);
        }
        long after = mx.getTotalThreadAllocatedBytes();
        SINK = sink;
        return new double[] {Math.max(0, (after - before) - (a1 - a0)) / (double) calls, calls};
    }

    /** Keeps the last result reachable, so the calls are not optimised away. */
    static volatile Object SINK;

    private static String num(double d) {
        return String.format(Locale.ROOT, "%.8g", d);
    }

    /** Parses a worker's output lines: op → {mean, error, cv}. */
    static List<String[]> read(Path out) throws java.io.IOException {
        List<String[]> r = new ArrayList<>();
        for (String l : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            if (!l.isBlank()) {
                r.add(l.split("\t", -1));
            }
        }
        return r;
    }

    /**
     * What the benchmarks' JVMs run on: JDK, JIT, the CPU backend's path (SIMD or scalar, and why) and
     * description. Lines {@code key value}.
     */
    static List<String> describe() {
        List<String> l = new ArrayList<>();
        l.add("jdk\t" + System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version"));
        l.add("cpu_path\t" + dev.jloss.backend.cpu.VectorSupport.description());
        try (dev.jloss.Backend b = dev.jloss.backend.Backends.named("cpu")) {
            l.add("backend.cpu\t" + b.description());
        }
        return l;
    }

    /** A worker JVM on the suite's JDK. */
    static List<String> command(Suite.Config cfg, String... args) {
        return command(cfg, null, args);
    }

    /** A worker JVM on JDK {@code jdk} (null: the suite's), with the suite's JVM options and that JDK's own. */
    static List<String> command(Suite.Config cfg, String jdk, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Jdks.java(jdk).toString());
        cmd.addAll(cfg.forkJvmArgs());
        cmd.addAll(Jdks.extraJvmArgs(jdk));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Worker.class.getName());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }
}
