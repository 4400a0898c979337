package dev.jloss.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Writes {@code BENCHMARKS.md} and {@code benchmarks.png} from a run's
 * {@code benchmarks-results.tsv} and {@code benchmarks-environment.properties} (and, when present,
 * {@code benchmarks-profile.txt}). Run alone it re-renders a page from those files:
 * {@code java -cp ... dev.jloss.bench.Report docs}.
 */
public final class Report {
    /** The issue's bar for element-wise losses on the CPU: this fraction of the measured copy bandwidth. */
    static final double CPU_BANDWIDTH_BAR = 0.70;

    private Report() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "docs");
        List<Suite.Row> rows = Suite.read(dir.resolve("benchmarks-results.tsv"));
        Map<String, String> env = Environment.read(dir.resolve("benchmarks-environment.properties"));
        Path profile = dir.resolve("benchmarks-profile.txt");
        String prof = Files.exists(profile) ? Files.readString(profile, StandardCharsets.UTF_8) : null;
        Files.writeString(dir.resolve("BENCHMARKS.md"), markdown(rows, env, prof), StandardCharsets.UTF_8);
        chart(rows, dir.resolve("benchmarks.png"));
        System.out.println("wrote " + dir.resolve("BENCHMARKS.md") + " and " + dir.resolve("benchmarks.png"));
    }

    // ---- numbers ----------------------------------------------------------------------------------

    /** The copy limit (GB/s) a backend's rows are measured against: the best of the start/end runs. */
    static double limitGBs(List<Suite.Row> rows, String copyKind) {
        double best = Double.NaN;
        for (Suite.Row r : rows) {
            if (r.kind().equals("copy") && r.impl().equals(copyKind) && !Double.isNaN(r.ms())) {
                double gbs = r.bytes() / (r.ms() * 1e6);
                best = Double.isNaN(best) ? gbs : Math.max(best, gbs);
            }
        }
        return best;
    }

    static String copyKindOf(String backend) {
        return backend.equals("cpu") ? "java" : backend;
    }

    private static Suite.Row find(List<Suite.Row> rows, String caseId, String impl, String op) {
        for (Suite.Row r : rows) {
            if (r.kind().equals("loss") && r.caseId().equals(caseId) && r.impl().equals(impl) && r.op().equals(op)
                    && r.status().equals("ok")) {
                return r;
            }
        }
        return null;
    }

    private static Suite.Row findCopy(List<Suite.Row> rows, String kind, String when) {
        for (Suite.Row r : rows) {
            if (r.kind().equals("copy") && r.impl().equals(kind) && r.op().equals(when) && !Double.isNaN(r.ms())) {
                return r;
            }
        }
        return null;
    }

    /** The backends jloss was timed on, each once (its variants, {@code -jdk25} or {@code -alloc}, go in its table). */
    private static List<String> jlossBackends(List<Suite.Row> rows) {
        Set<String> b = new LinkedHashSet<>();
        for (Suite.Row r : rows) {
            if (r.kind().equals("loss") && Impls.isJloss(r.impl()) && r.status().equals("ok")) {
                b.add(Impls.jloss(r.impl()).backend());
            }
        }
        return new ArrayList<>(b);
    }

    /** The jloss implementations timed on {@code backend}: the base ({@code jloss-BACKEND}) first, then its variants. */
    private static List<String> jlossImpls(List<Suite.Row> rows, String backend) {
        Set<String> out = new LinkedHashSet<>();
        out.add("jloss-" + backend);
        for (Suite.Row r : rows) {
            if (r.kind().equals("loss") && Impls.isJloss(r.impl()) && r.status().equals("ok")
                    && Impls.jloss(r.impl()).backend().equals(backend)) {
                out.add(r.impl());
            }
        }
        List<String> l = new ArrayList<>(out);
        if (caseOps(rows, List.of(l.get(0))).isEmpty()) {
            l.remove(0);
        }
        return l;
    }

    /** The (case, op) pairs any of {@code impls} was timed on, in the run's order. */
    private static List<String[]> caseOps(List<Suite.Row> rows, List<String> impls) {
        Set<String> seen = new LinkedHashSet<>();
        List<String[]> out = new ArrayList<>();
        for (Suite.Row r : rows) {
            if (r.kind().equals("loss") && impls.contains(r.impl()) && r.status().equals("ok")
                    && seen.add(r.caseId() + "|" + r.op())) {
                out.add(new String[] {r.caseId(), r.op()});
            }
        }
        return out;
    }

    private static List<String[]> caseOps(List<Suite.Row> rows, String impl) {
        return caseOps(rows, List.of(impl));
    }

    /** The JDK feature version of the suite's (and the base implementations') worker JVMs. */
    private static String baseJdk(Map<String, String> env) {
        String f = env.get("jdk_feature");
        if (f != null) {
            return f;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(" (\\d+)[.+]").matcher(env.getOrDefault("jdk", ""));
        return m.find() ? m.group(1) : "?";
    }

    /** A jloss implementation as a column label: {@code JDK 17}, {@code JDK 25}, {@code alloc calls, JDK 17}. */
    static String label(String impl, Map<String, String> env) {
        Impls.Jloss j = Impls.jloss(impl);
        return (j.alloc() ? "alloc calls, " : "") + "JDK " + (j.jdk() == null ? baseJdk(env) : j.jdk());
    }

    private static String f(String fmt, Object... a) {
        return String.format(Locale.ROOT, fmt, a);
    }

    private static String ms(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return v >= 100 ? f("%.0f", v) : v >= 10 ? f("%.1f", v) : v >= 1 ? f("%.2f", v) : f("%.3f", v);
    }

    private static String peerMs(List<Suite.Row> rows, Suite.Row p) {
        return p == null ? "–" : ms(p.ms()) + (inexact(rows, p) ? " †" : "");
    }

    private static String ratio(Suite.Row j, Suite.Row p) {
        if (j == null || p == null) {
            return "–";
        }
        double r = j.ms() / p.ms();
        String s = r >= 10 ? f("%.0f", r) : f("%.2f", r);
        return r <= 1 ? "**" + s + "**" : s;
    }

    private static double median(List<Double> v) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(v);
        s.sort(Comparator.naturalOrder());
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    // ---- the page ---------------------------------------------------------------------------------

    static String markdown(List<Suite.Row> rows, Map<String, String> env, String profile) {
        StringBuilder sb = new StringBuilder();
        sb.append("# jloss benchmarks\n\n");
        sb.append("Generated by `scripts/bench.sh` (JMH; module `benchmarks/`) on ").append(env.get("date"))
                .append(" from commit `").append(env.getOrDefault("commit", "?")).append("`, size `")
                .append(env.get("size")).append("`. Do not edit: rerun the script. Every number below comes from ")
                .append("this one run: jloss, its peers and the machine's copy bandwidth were measured side by side, ")
                .append("and every ratio divides two times of this run.\n\n");
        sb.append("JVMs: ").append(env.getOrDefault("jdk", "?"));
        if (env.containsKey("jdk.jdk25")) {
            sb.append("; for the JDK 25 columns ").append(env.get("jdk.jdk25"));
        }
        sb.append(". CPU path of jloss's CPU backend: ").append(env.getOrDefault("cpu_path", "not recorded"));
        if (env.containsKey("cpu_path.jdk25") && !env.get("cpu_path.jdk25").equals(env.get("cpu_path"))) {
            sb.append(" (JDK 25: ").append(env.get("cpu_path.jdk25")).append(")");
        }
        sb.append(". Every jloss JVM ran with `--add-modules jdk.incubator.vector`.\n\n");
        sb.append("![time ratio jloss / peer](benchmarks.png)\n\n");

        sb.append("## Machine\n\n| | |\n|---|---|\n");
        for (String k : List.of("cpu", "cores", "memory", "os", "jdk", "jdk.jdk25", "threads", "omp_num_threads",
                "cpu_path", "cpu_path.jdk25", "backend.cpu", "backend.cpu.jdk25", "backend.opencl", "backend.cuda",
                "peer.pytorch", "peer.nd4j", "jmh", "first_touch", "glibc_tunables", "wall_seconds")) {
            if (env.containsKey(k)) {
                sb.append("| ").append(k).append(" | ").append(env.get(k).replace("|", "/")).append(" |\n");
            }
        }
        sb.append("\nEvery implementation ran on the same ").append(env.get("threads")).append(" threads: jloss's CPU ")
                .append("backend on the common fork-join pool (parallelism threads−1, plus the calling thread), PyTorch with ")
                .append("`ai.djl.pytorch.num_threads`, ND4J with `OMP_NUM_THREADS`, PoCL with `POCL_MAX_PTHREAD_COUNT`. ")
                .append("The machine is a shared 2-core VM: other work ran beside this benchmark, so read the noise columns.\n\n");
        sb.append("`first_touch` is a probe of fresh memory: malloc, zero and free 64 MiB. Where it is slow (a VM that ")
                .append("backs each 4 KiB page on first touch), a library that allocates its outputs and temporaries on ")
                .append("every call (PyTorch, ND4J) pays it every call, once the allocator hands the freed memory back ")
                .append("to the OS. `scripts/bench.sh` therefore runs every process with `GLIBC_TUNABLES` that keep freed ")
                .append("memory in the process (`glibc_tunables` above; `FRESH_MEMORY=1` turns this off), so the peers ")
                .append("are timed as on a machine with cheap page faults. jloss is timed with its `into` calls, which ")
                .append("write into output and gradient tensors allocated once (and its allocating calls recycle their ")
                .append("results on the Java heap), so the setting does not touch it.\n\n");

        sb.append(env.getOrDefault("size", "quick").startsWith("full")
                ? "Sizes: the issue's (`--full`): element-wise over 10^8 floats, cross-entropy/NLL at 4096×32000 and "
                        + "512×128000, margin losses at 65536×1000 / 32768×1000, pairwise at 65536×128, CTC at T=200 N=128 "
                        + "C=60 S=50.\n\n"
                : "Sizes: `quick`, for a 2-core machine: element-wise over 2^24 floats (64 MiB per array, far beyond the "
                        + "caches), cross-entropy/NLL at 512×32000, margin losses at 16384×1000 / 8192×1000, pairwise at "
                        + "the issue's 65536×128, CTC at the issue's T=200 N=32 C=60 S=50. `scripts/bench.sh --full` runs the "
                        + "issue's sizes.\n\n");
        sb.append("## Hardware limit: a copy of 256 MiB arrays, at the start and the end of the run\n\n");
        sb.append("| copy | start GB/s | end GB/s | used as the limit for |\n|---|---:|---:|---|\n");
        for (String kind : List.of("java", "java-1t", "opencl", "cuda")) {
            Suite.Row s = findCopy(rows, kind, "start");
            Suite.Row e = findCopy(rows, kind, "end");
            if (s == null && e == null) {
                continue;
            }
            String use = switch (kind) {
                case "java" -> "jloss cpu (System.arraycopy on the same threads)";
                case "java-1t" -> "(one core, for reference)";
                default -> "jloss " + kind + " (device buffer-to-buffer copy)";
            };
            sb.append("| ").append(kind).append(" | ").append(s == null ? "–" : f("%.1f", s.bytes() / (s.ms() * 1e6)))
                    .append(" | ").append(e == null ? "–" : f("%.1f", e.bytes() / (e.ms() * 1e6))).append(" | ")
                    .append(use).append(" |\n");
        }
        sb.append("\nBytes of a copy = read + write (2 × 256 MiB), as STREAM counts them; the better of the two runs ")
                .append("is the limit. A loss's achieved bandwidth is the fewest bytes it must move (each argument read ")
                .append("once, each gradient written once, the reduced loss written; nll_loss reads one element per row) ")
                .append("divided by its time. A forward pass only reads, and reading can run faster than copying, so a ")
                .append("forward fraction above 100% is possible.\n\n");

        for (String backend : jlossBackends(rows)) {
            table(sb, rows, backend, env);
        }
        bar(sb, rows, env);
        allocs(sb, rows, env);
        skips(sb, rows);
        noise(sb, rows);
        method(sb);
        if (profile != null) {
            sb.append("## Profile\n\n").append(profile.strip()).append("\n");
        }
        return sb.toString();
    }

    private static void table(StringBuilder sb, List<Suite.Row> rows, String backend, Map<String, String> env) {
        List<String> impls = jlossImpls(rows, backend);
        String impl = "jloss-" + backend;
        List<String> variants = impls.stream().filter(i -> !i.equals(impl)).toList();
        boolean labelled = !variants.isEmpty();
        double limit = limitGBs(rows, copyKindOf(backend));
        sb.append("## Backend `").append(backend).append("`\n\n");
        sb.append(f("Limit: %.1f GB/s (%s copy). Times in ms: the median of JMH's measured iterations (± the 99.9%% confidence half-width of their mean); ",
                limit, copyKindOf(backend)));
        sb.append("ratio = jloss time / peer time, **bold** where jloss is as fast or faster. ");
        sb.append("PyTorch's backward includes the forward pass autograd needs.");
        if (labelled) {
            sb.append(" The same jloss calls were timed in worker JVMs of each JDK named in the columns ");
            sb.append("(bandwidth and ND4J columns: ").append(label(impl, env)).append(").");
        }
        sb.append("\n\n");
        String base = labelled ? " (" + label(impl, env) + ")" : "";
        StringBuilder head = new StringBuilder("| loss | shape | op | jloss ms" + base + " | ± | Melem/s | GB/s | % of limit |");
        StringBuilder align = new StringBuilder("|---|---|---|---:|---:|---:|---:|---:|");
        for (String v : variants) {
            head.append(" jloss ms (").append(label(v, env)).append(") | ± |");
            align.append("---:|---:|");
        }
        head.append(" PyTorch ms | jloss/PyTorch").append(base).append(" |");
        align.append("---:|---:|");
        for (String v : variants) {
            head.append(" jloss/PyTorch (").append(label(v, env)).append(") |");
            align.append("---:|");
        }
        head.append(" ND4J ms | jloss/ND4J").append(base).append(" |");
        align.append("---:|---:|");
        sb.append(head).append("\n").append(align).append("\n");
        for (String[] co : caseOps(rows, impls)) {
            Suite.Row j = find(rows, co[0], impl, co[1]);
            Suite.Row any = j;
            for (String v : variants) {
                any = any != null ? any : find(rows, co[0], v, co[1]);
            }
            Suite.Row p = find(rows, co[0], Impls.PYTORCH, co[1]);
            Suite.Row n = find(rows, co[0], Impls.ND4J, co[1]);
            sb.append("| ").append(any.loss()).append(" | ").append(any.shape()).append(" | ")
                    .append(co[1].toLowerCase(Locale.ROOT)).append(" | ");
            if (j != null) {
                double gbs = j.bytes() / (j.ms() * 1e6);
                sb.append(ms(j.ms())).append(" | ").append(err(j))
                        .append(" | ").append(f("%.0f", j.elements() / (j.ms() * 1e3)))
                        .append(" | ").append(f("%.1f", gbs)).append(" | ").append(f("%.0f%%", 100 * gbs / limit));
            } else {
                sb.append("– | – | – | – | –");
            }
            for (String v : variants) {
                Suite.Row vr = find(rows, co[0], v, co[1]);
                sb.append(" | ").append(vr == null ? "–" : ms(vr.ms())).append(" | ").append(vr == null ? "–" : err(vr));
            }
            sb.append(" | ").append(peerMs(rows, p)).append(" | ").append(ratio(j, p));
            for (String v : variants) {
                sb.append(" | ").append(ratio(find(rows, co[0], v, co[1]), p));
            }
            sb.append(" | ").append(peerMs(rows, n)).append(" | ").append(ratio(j, n)).append(" |\n");
        }
        sb.append("\n");
    }

    private static String err(Suite.Row r) {
        return Double.isNaN(r.msError()) ? "–" : f("%.0f%%", 100 * r.msError() / r.ms());
    }

    private static void bar(StringBuilder sb, List<Suite.Row> rows, Map<String, String> env) {
        sb.append("## Against the issue's bar\n\n");
        for (String backend : jlossBackends(rows)) {
            List<String> impls = jlossImpls(rows, backend);
            for (String impl : impls) {
                barLine(sb, rows, env, backend, impl, impls.size() > 1 || !impl.equals("jloss-" + backend));
            }
        }
        sb.append("\n");
    }

    private static void barLine(StringBuilder sb, List<Suite.Row> rows, Map<String, String> env, String backend,
                                String impl, boolean labelled) {
        double limit = limitGBs(rows, copyKindOf(backend));
        int vs = 0;
        int faster = 0;
        List<String> slower = new ArrayList<>();
        int ew = 0;
        int ewOk = 0;
        List<String> ewShort = new ArrayList<>();
        Set<String> losses = new LinkedHashSet<>();
        for (String[] co : caseOps(rows, impl)) {
            Suite.Row j = find(rows, co[0], impl, co[1]);
            losses.add(j.loss());
            Suite.Row p = find(rows, co[0], Impls.PYTORCH, co[1]);
            if (p != null) {
                vs++;
                if (j.ms() <= p.ms()) {
                    faster++;
                } else {
                    slower.add(f("%s %s (%.2f×)", j.loss(), co[1].toLowerCase(Locale.ROOT), j.ms() / p.ms()));
                }
            }
            if (j.group().equals("ELEMENTWISE")) {
                ew++;
                double frac = j.bytes() / (j.ms() * 1e6) / limit;
                if (frac >= CPU_BANDWIDTH_BAR) {
                    ewOk++;
                } else {
                    ewShort.add(f("%s %s %.0f%%", j.loss(), co[1].toLowerCase(Locale.ROOT), 100 * frac));
                }
            }
        }
        sb.append("- **").append(backend).append(labelled ? ", " + label(impl, env) : "").append("** (").append(losses.size()).append(" losses timed): ");
        sb.append(f("as fast as or faster than PyTorch-via-DJL in %d of %d loss/op pairs", faster, vs));
        sb.append(slower.isEmpty() ? "." : "; slower in: " + String.join(", ", slower) + ".");
        if (ew > 0) {
            sb.append(f(" Element-wise at ≥ %.0f%% of the copy bandwidth in %d of %d", 100 * CPU_BANDWIDTH_BAR, ewOk, ew));
            sb.append(ewShort.isEmpty() ? "." : "; short: " + String.join(", ", ewShort) + ".");
        }
        if (!backend.equals("cpu")) {
            sb.append(" (The issue sets its bar for the CPU backend and for a GPU; this OpenCL device is PoCL on the "
                    + "same CPU, so its numbers say how the portable kernels fare, not how a GPU would.)");
        }
        sb.append("\n");
    }

    /** The issue's bar for the {@code into} calls: about nothing allocated per call (this many bytes at most). */
    static final long ALLOC_BAR_BYTES = 1024;

    private static void allocs(StringBuilder sb, List<Suite.Row> rows, Map<String, String> env) {
        List<Suite.Row> a = rows.stream().filter(r -> r.kind().equals("alloc")).toList();
        if (a.isEmpty()) {
            return;
        }
        sb.append("## Bytes allocated per call\n\n");
        sb.append("Representative ops rerun, after the timing above, in a fresh worker JVM of each implementation's JDK ")
                .append("with the same warm-up and iterations, under JMH's GC profiler (`-prof gc`, `gc.alloc.rate.norm`: ")
                .append("the bytes the JVM allocated over all its threads, the fork-join workers included, during each ")
                .append("measured iteration, divided by the iteration's calls). That figure includes JMH's own ")
                .append("bookkeeping per iteration (some KiB), spread over the iteration's calls: at a few calls per ")
                .append("iteration it is most of a small number. `direct` counts the same JVM-wide total around that many ")
                .append("back-to-back calls right after JMH's iterations, with nothing else in between. `results` is what ")
                .append("the op returns (loss and gradients), which an allocating call hands out each time; ")
                .append("`jloss-cpu-alloc` is those calls (the CPU backend recycles their closed results). The issue's bar: ")
                .append("about 0 bytes per call with the `into` calls (here: at most ").append(ALLOC_BAR_BYTES)
                .append(" bytes, `direct`).\n\n");
        sb.append("| loss | shape | op | implementation | calls | results | bytes/call (JMH -prof gc) | bytes/call (direct) | ms per call | GCs |\n");
        sb.append("|---|---|---|---|---|---:|---:|---:|---:|---:|\n");
        long worstInto = -1;
        String worstName = "";
        int into = 0;
        for (Suite.Row r : a) {
            boolean isInto = !Impls.jloss(r.impl()).alloc();
            Map<String, String> kv = keyValues(r.note());
            sb.append("| ").append(r.loss()).append(" | ").append(r.shape()).append(" | ").append(r.op().toLowerCase(Locale.ROOT))
                    .append(" | ").append(r.impl()).append(" (").append(label(r.impl(), env)).append(") | ")
                    .append(isInto ? "into" : "allocating").append(" | ")
                    .append(kv.containsKey("results") ? mib(Long.parseLong(kv.get("results"))) : "–").append(" | ");
            if (!r.status().equals("ok")) {
                sb.append(r.note().replace("|", "/")).append(" | – | – | – |\n");
                continue;
            }
            String d = kv.getOrDefault("direct", "NaN");
            sb.append(f("%,d", r.bytes())).append(" | ")
                    .append(d.equals("NaN") ? "–" : f("%,d", Long.parseLong(d)) + " (" + kv.getOrDefault("calls", "?") + " calls)")
                    .append(" | ").append(ms(r.ms())).append(" | ")
                    .append(r.elements() < 0 ? "–" : Long.toString(r.elements())).append(" |\n");
            if (isInto && !d.equals("NaN")) {
                into++;
                if (Long.parseLong(d) > worstInto) {
                    worstInto = Long.parseLong(d);
                    worstName = r.loss() + " " + r.op().toLowerCase(Locale.ROOT) + ", " + r.impl();
                }
            }
        }
        if (into > 0) {
            sb.append(f("%nThe `into` calls: at most %,d bytes per call (direct) over %d rows (%s): %s the bar.%n%n",
                    worstInto, into, worstName, worstInto <= ALLOC_BAR_BYTES ? "within" : "**above**"));
        } else {
            sb.append("\n");
        }
    }

    /** {@code a=1 b=2} as a map. */
    private static Map<String, String> keyValues(String note) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String p : note.strip().split("\\s+")) {
            int eq = p.indexOf('=');
            if (eq > 0) {
                m.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        return m;
    }

    private static String mib(long bytes) {
        return bytes >= 1 << 20 ? f("%.0f MiB", bytes / 1048576.0) : bytes >= 1024 ? f("%.0f KiB", bytes / 1024.0)
                : bytes + " B";
    }

    private static boolean inexact(List<Suite.Row> rows, Suite.Row timed) {
        for (Suite.Row r : rows) {
            if (r.status().equals("inexact") && r.caseId().equals(timed.caseId()) && r.impl().equals(timed.impl())
                    && r.op().equals(timed.op())) {
                return true;
            }
        }
        return false;
    }

    private static void skips(StringBuilder sb, List<Suite.Row> rows) {
        List<String> lines = new ArrayList<>();
        Map<String, List<String>> noPeerLoss = new LinkedHashMap<>();
        for (Suite.Row r : rows) {
            if (!r.kind().equals("loss") || r.status().equals("ok")) {
                continue;
            }
            if (r.status().equals("skipped") && r.note().contains(" has no ")) {
                noPeerLoss.computeIfAbsent(r.impl() + "|" + r.note().replace(r.loss(), "…"), k -> new ArrayList<>())
                        .add(r.caseId());
                continue;
            }
            lines.add("| " + r.caseId() + " | " + r.impl() + " | " + r.op().toLowerCase(Locale.ROOT) + " | "
                    + r.status() + ": " + r.note().replace("|", "/") + " |");
        }
        noPeerLoss.forEach((k, cases) -> {
            String[] p = k.split("\\|", 2);
            lines.add("| " + String.join(", ", cases) + " | " + p[0] + " | all | skipped: " + p[1].replace("|", "/") + " |");
        });
        if (lines.isEmpty()) {
            return;
        }
        sb.append("## Not timed, or timed with a flag\n\nFrom the check before timing: `skipped` and `mismatch` ")
                .append("were not timed; `inexact` (loss value off by less than ")
                .append(f("%.0f%%", 100 * Suite.LOSS_FLAG_RTOL)).append(", or the gradient off in at most ")
                .append(f("%.3f%%", 100 * Suite.GRAD_FLAG_FRACTION))
                .append(" of its elements) was timed and carries a † in the tables.\n\n");
        sb.append("| case | implementation | op | reason |\n|---|---|---|---|\n");
        lines.forEach(l -> sb.append(l).append("\n"));
        sb.append("\n");
    }

    private static void noise(StringBuilder sb, List<Suite.Row> rows) {
        List<Double> cvs = new ArrayList<>();
        List<Double> errs = new ArrayList<>();
        double worst = 0;
        String worstName = "";
        for (Suite.Row r : rows) {
            if (r.status().equals("ok") && !Double.isNaN(r.cv())) {
                cvs.add(r.cv());
                if (!Double.isNaN(r.msError())) {
                    errs.add(r.msError() / r.ms());
                }
                if (r.cv() > worst) {
                    worst = r.cv();
                    worstName = r.caseId() + " " + r.impl() + " " + r.op().toLowerCase(Locale.ROOT);
                }
            }
        }
        sb.append("## Noise\n\n");
        sb.append(f("Over the %d timed rows, the coefficient of variation between measurement iterations has median "
                + "%.1f%% (worst %.0f%%: %s); the 99.9%% confidence half-width has median %.1f%% of the mean. ",
                cvs.size(), 100 * median(cvs), 100 * worst, worstName, 100 * median(errs)));
        Suite.Row s = findCopy(rows, "java", "start");
        Suite.Row e = findCopy(rows, "java", "end");
        if (s != null && e != null) {
            sb.append(f("The Java copy bandwidth moved from %.1f GB/s at the start to %.1f GB/s at the end (%+.0f%%). ",
                    s.bytes() / (s.ms() * 1e6), e.bytes() / (e.ms() * 1e6), 100 * (s.ms() / e.ms() - 1)));
        }
        sb.append("Ratios closer to 1 than these spreads are ties.\n\n");
    }

    private static void method(StringBuilder sb) {
        sb.append("## How it was measured\n\n");
        sb.append("- Each (case, implementation) runs in a fresh JVM (JMH in-process there; the three ops of one loss ")
                .append("share the JVM and the inputs, as in a training loop, while different losses never share JIT ")
                .append("profiles): warm-up iterations, then measured ones; the median time per call. jloss is timed ")
                .append("with its `into` calls (`forwardInto`, `backwardInto`, `forwardBackwardInto`) into an output and ")
                .append("gradient tensors allocated once per JVM and reused, as a training loop keeps its buffers; a call ")
                .append("includes what a user's call includes: argument, shape and aliasing checks, zero-filling the ")
                .append("outputs where the kernel does not write every element, the kernel, and on OpenCL waiting for ")
                .append("the queue to drain. (`jloss-cpu-alloc` names the allocating calls, `forward` and friends.) ")
                .append("A `-jdk25` implementation is the same calls in worker JVMs of JDK 25; its results are checked ")
                .append("against the suite JDK's jloss CPU results like any peer's.\n");
        sb.append("- Before timing, each implementation's forward, backward (upstream gradient 0.75) and fused results ")
                .append(f("are compared with jloss's CPU backend (|a−b| ≤ %.0e·max|b| + %.0e·|b| per element, ", Suite.ATOL_FRACTION, Suite.RTOL))
                .append("loss within 1e-3 relative); a mismatch is reported and not timed.\n");
        sb.append("- PyTorch: each loss is a TorchScript module calling `torch.nn.functional` (so PyTorch's own ATen ")
                .append("kernels run), loaded through DJL's PyTorch engine with libtorch 2.7.1 CPU from Maven and DJL ")
                .append("offline. forward runs under `no_grad`; backward and fused call `torch.autograd.grad`, which ")
                .append("must run the forward pass to record the graph: that is what getting a gradient costs in PyTorch.\n");
        sb.append("- ND4J: DL4J's `ILossFunction` (`computeScore`, `computeGradient`, `computeGradientAndScore`) where ")
                .append("ND4J has the loss with PyTorch's parameterisation (MSE, MAE, binary cross-entropy with identity or ")
                .append("sigmoid activation, sparse softmax cross-entropy); ND4J's per-example gradient and summed BCE ")
                .append("score differ from PyTorch's by constant factors, applied in the check only.\n");
        sb.append("- Throughput: elements of the first argument per second.\n\n");
    }

    // ---- the chart ---------------------------------------------------------------------------------

    static void chart(List<Suite.Row> rows, Path png) throws IOException {
        List<JFreeChart> charts = new ArrayList<>();
        List<Integer> heights = new ArrayList<>();
        for (String backend : jlossBackends(rows)) {
            String impl = "jloss-" + backend;
            List<String> impls = jlossImpls(rows, backend);
            DefaultCategoryDataset ds = new DefaultCategoryDataset();
            int cats = 0;
            Map<String, Boolean> seen = new LinkedHashMap<>();
            for (String[] co : caseOps(rows, impls)) {
                for (String im : impls) {
                    Suite.Row j = find(rows, co[0], im, co[1]);
                    if (j == null) {
                        continue;
                    }
                    String cat = j.loss() + (j.caseId().contains("-C") ? " C=" + j.caseId().replaceAll(".*-C", "") : "")
                            + " " + co[1].toLowerCase(Locale.ROOT);
                    String v = im.equals(impl) ? "" : " (" + Impls.jloss(im).variant().substring(1) + ")";
                    // ND4J against the base only, as in the table
                    for (String peer : im.equals(impl) ? List.of(Impls.PYTORCH, Impls.ND4J) : List.of(Impls.PYTORCH)) {
                        Suite.Row p = find(rows, co[0], peer, co[1]);
                        if (p != null) {
                            ds.addValue(j.ms() / p.ms(), (peer.equals(Impls.PYTORCH) ? "vs PyTorch (DJL)" : "vs ND4J") + v, cat);
                            seen.put(cat, true);
                        }
                    }
                }
            }
            cats = seen.size();
            if (cats == 0) {
                continue;
            }
            JFreeChart c = ChartFactory.createBarChart("jloss " + backend + ": time ratio jloss / peer (below 1 = jloss faster)",
                    null, "ratio (log scale)", ds, PlotOrientation.HORIZONTAL, true, false, false);
            CategoryPlot plot = c.getCategoryPlot();
            LogAxis axis = new LogAxis("time ratio jloss / peer (log scale; 1 = same time)");
            axis.setBase(2);
            axis.setTickUnit(new NumberTickUnit(1));
            axis.setNumberFormatOverride(new DecimalFormat("0.###", DecimalFormatSymbols.getInstance(Locale.ROOT)));
            double lo = 1;
            double hi = 1;
            for (int row = 0; row < ds.getRowCount(); row++) {
                for (int col = 0; col < ds.getColumnCount(); col++) {
                    Number v = ds.getValue(row, col);
                    if (v != null && v.doubleValue() > 0) {
                        lo = Math.min(lo, v.doubleValue());
                        hi = Math.max(hi, v.doubleValue());
                    }
                }
            }
            axis.setRange(lo / 1.5, hi * 1.5);
            plot.setRangeAxis(axis);
            ValueMarker one = new ValueMarker(1.0, Color.BLACK, new BasicStroke(2f));
            plot.addRangeMarker(one);
            plot.setBackgroundPaint(Color.WHITE);
            plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
            BarRenderer r = (BarRenderer) plot.getRenderer();
            r.setBarPainter(new StandardBarPainter());
            r.setShadowVisible(false);
            r.setSeriesPaint(0, new Color(0xEE, 0x4C, 0x2C));
            r.setSeriesPaint(1, new Color(0x1F, 0x77, 0xB4));
            r.setSeriesPaint(2, new Color(0x2C, 0xA0, 0x2C));
            r.setSeriesPaint(3, new Color(0x94, 0x67, 0xBD));
            r.setItemMargin(0.05);
            r.setBase(1.0); // bars grow from "same time": left = jloss faster, right = slower
            CategoryAxis ca = plot.getDomainAxis();
            ca.setTickLabelFont(new Font("DejaVu Sans", Font.PLAIN, 11));
            c.setBackgroundPaint(Color.WHITE);
            c.getTitle().setFont(new Font("DejaVu Sans", Font.BOLD, 15));
            charts.add(c);
            heights.add(120 + 24 * cats);
        }
        int width = 1000;
        int total = Math.max(200, heights.stream().mapToInt(Integer::intValue).sum());
        BufferedImage img = new BufferedImage(width, total, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, total);
        int y = 0;
        for (int i = 0; i < charts.size(); i++) {
            charts.get(i).draw(g, new Rectangle2D.Double(0, y, width, heights.get(i)));
            y += heights.get(i);
        }
        if (charts.isEmpty()) {
            g.setColor(Color.BLACK);
            g.drawString("no loss was timed against a peer in this run", 20, 100);
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }
}
