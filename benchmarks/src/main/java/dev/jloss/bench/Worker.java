package dev.jloss.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
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
 *      Worker OUT_FILE check CASE IMPL          (the check before timing: {@link Suite#checkLines})</pre>
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
        int warmup = Integer.parseInt(args[5]);
        int iterations = Integer.parseInt(args[6]);
        int timeMs = Integer.parseInt(args[7]);
        ChainedOptionsBuilder o = new OptionsBuilder().forks(0).warmupIterations(warmup)
                .warmupTime(TimeValue.milliseconds(timeMs)).measurementIterations(iterations)
                .measurementTime(TimeValue.milliseconds(timeMs)).shouldFailOnError(true).verbosity(VerboseMode.SILENT);
        String[] ops = args[4].split(",");
        if (what.equals("copy")) {
            o.include(CopyBench.class.getName() + ".copy$").param("kind", args[2]).param("floats", args[3]);
        } else {
            o.include(LossBench.class.getName() + ".run$").param("caseId", args[2]).param("impl", args[3])
                    .param("op", ops);
        }
        Collection<RunResult> rr;
        try {
            rr = new Runner(o.build()).run();
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
            lines.add(String.join("\t", op, num(mean), num(err), num(cv)));
        }
        Files.write(out, lines, StandardCharsets.UTF_8);
        System.exit(0); // natives (DJL, ND4J, PoCL) may keep non-daemon threads
    }

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

    static List<String> command(Suite.Config cfg, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(cfg.forkJvmArgs());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Worker.class.getName());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }
}
