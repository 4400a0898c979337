package dev.jloss.bench;

import dev.jloss.Backend;
import dev.jloss.backend.Backends;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What produced a run: machine, JDK, thread count, devices, peer versions. */
final class Environment {
    private Environment() {
    }

    static Map<String, String> describe(Suite.Config cfg) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        m.put("commit", env("JLOSS_COMMIT", "unknown"));
        m.put("size", cfg.size);
        m.put("cpu", cpuModel());
        m.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("memory", memTotal());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("jdk_feature", Jdks.current());
        m.put("threads", Integer.toString(cfg.threads));
        m.put("omp_num_threads", env("OMP_NUM_THREADS", "unset"));
        m.put("glibc_tunables", env("GLIBC_TUNABLES", "unset"));
        m.put("jmh", "JMH 1.37 in " + cfg.forks + " worker JVM(s) per (case, implementation), warmup " + cfg.warmup
                + " x " + cfg.timeMs + " ms, measurement " + cfg.iterations + " x " + cfg.timeMs + " ms, -Xmx" + cfg.xmx);
        for (String b : List.of("cpu", "opencl", "cuda")) {
            if (!cfg.impls.contains("jloss-" + b)) {
                continue;
            }
            try (Backend be = Backends.named(b)) {
                m.put("backend." + b, be.description());
            } catch (RuntimeException | LinkageError e) {
                m.put("backend." + b, "unavailable: " + Suite.reason(e));
            }
        }
        m.put("peer.pytorch", "DJL pytorch-engine " + version("ai.djl.pytorch.engine.PtEngine", "0.36.0")
                + ", libtorch 2.7.1 CPU (pytorch-native-cpu linux-x86_64), offline");
        m.put("peer.nd4j", "nd4j-native 1.0.0-M2.1 linux-x86_64 (OpenBLAS 0.3.21)");
        return m;
    }

    private static String version(String cls, String dflt) {
        try {
            Package p = Class.forName(cls).getPackage();
            String v = p == null ? null : p.getImplementationVersion();
            return v == null ? dflt : v;
        } catch (ClassNotFoundException e) {
            return dflt;
        }
    }

    private static String env(String k, String dflt) {
        String v = System.getenv(k);
        return v == null || v.isBlank() ? dflt : v;
    }

    private static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return System.getProperty("os.arch");
    }

    private static String memTotal() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal")) {
                    long kb = Long.parseLong(l.replaceAll("[^0-9]", ""));
                    return String.format("%.0f GiB", kb / 1048576.0);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return "unknown";
    }

    static void write(Path p, Map<String, String> m) throws IOException {
        List<String> lines = new ArrayList<>();
        m.forEach((k, v) -> lines.add(k + "=" + v.replace("\n", " ")));
        Files.write(p, lines, StandardCharsets.UTF_8);
    }

    static Map<String, String> read(Path p) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String l : Files.readAllLines(p, StandardCharsets.UTF_8)) {
            int eq = l.indexOf('=');
            if (eq > 0) {
                m.put(l.substring(0, eq), l.substring(eq + 1));
            }
        }
        return m;
    }
}
