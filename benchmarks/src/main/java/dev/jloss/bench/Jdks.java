package dev.jloss.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JDKs a worker JVM can be launched from: the suite's own (the default, JDK 17 under
 * {@code scripts/bench.sh}) and, for an implementation named {@code ...-jdk25}, Temurin 25 from
 * {@code $JDK25_HOME} (default {@code /usr/lib/jvm/temurin-25-jdk-amd64}). The JDK's feature
 * version is the implementation name's suffix, so {@code -jdk21} would look for {@code $JDK21_HOME}.
 */
final class Jdks {
    /** Where each JDK is looked for when its {@code JDKnn_HOME} is unset. */
    private static final Map<String, String> DEFAULT_HOMES = Map.of("25", "/usr/lib/jvm/temurin-25-jdk-amd64");

    private Jdks() {
    }

    /** The suite's (and every plain worker's) JDK feature version. */
    static String current() {
        return Integer.toString(Runtime.version().feature());
    }

    /** The home of JDK {@code feature}: this JVM's for the current one, else {@code $JDKnn_HOME} or the default. */
    static Path home(String feature) {
        if (feature == null || feature.equals(current())) {
            return Path.of(System.getProperty("java.home"));
        }
        String env = System.getenv("JDK" + feature + "_HOME");
        String h = env != null && !env.isBlank() ? env : DEFAULT_HOMES.getOrDefault(feature, "");
        return Path.of(h);
    }

    /** Why JDK {@code feature} cannot run a worker here, or null when it can. */
    static String missing(String feature) {
        if (feature == null || feature.equals(current())) {
            return null;
        }
        Path java = java(feature);
        if (!Files.isExecutable(java)) {
            return "JDK " + feature + " not found: no " + java + " (set JDK" + feature + "_HOME)";
        }
        String v = release(feature).get("JAVA_VERSION");
        if (v != null && !v.equals(feature) && !v.startsWith(feature + ".")) {
            return "JDK" + feature + "_HOME=" + home(feature) + " is JDK " + v + ", not " + feature;
        }
        return null;
    }

    static Path java(String feature) {
        return home(feature).resolve("bin").resolve("java");
    }

    /** The JDK's {@code release} file (IMPLEMENTOR, JAVA_RUNTIME_VERSION, ...), unquoted; empty if absent. */
    static Map<String, String> release(String feature) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        try {
            for (String l : Files.readAllLines(home(feature).resolve("release"), StandardCharsets.UTF_8)) {
                int eq = l.indexOf('=');
                if (eq > 0) {
                    m.put(l.substring(0, eq), l.substring(eq + 1).replaceAll("^\"|\"$", ""));
                }
            }
        } catch (IOException e) {
            // no release file: a JDK without one still runs
        }
        return m;
    }

    /**
     * JVM options a worker on JDK {@code feature} needs beyond the suite's: from JDK 24 on, JNI
     * libraries (JCuda, JOCL, DJL) and JMH's use of {@code sun.misc.Unsafe} print warnings unless
     * allowed; allowing them keeps the worker's log to the errors.
     */
    static List<String> extraJvmArgs(String feature) {
        List<String> a = new ArrayList<>();
        int f = Integer.parseInt(feature == null ? current() : feature);
        if (f >= 24) {
            a.add("--enable-native-access=ALL-UNNAMED");
            a.add("--sun-misc-unsafe-memory-access=allow");
        }
        return a;
    }

    /**
     * The environment change a worker on another JDK needs: {@code scripts/bench.sh} preloads the
     * suite JDK's {@code libjsig.so} (PoCL replaces the JVM's SIGSEGV handler otherwise); a JVM of
     * another release gets its own.
     */
    static void adjustEnvironment(Map<String, String> env, String feature) {
        if (feature == null || feature.equals(current())) {
            return;
        }
        String pre = env.get("LD_PRELOAD");
        if (pre == null || !pre.contains("libjsig.so")) {
            return;
        }
        Path own = home(feature).resolve("lib").resolve("libjsig.so");
        List<String> parts = new ArrayList<>();
        for (String p : pre.split(":")) {
            if (p.endsWith("/libjsig.so")) {
                if (Files.exists(own)) {
                    parts.add(own.toString());
                }
            } else if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        if (parts.isEmpty()) {
            env.remove("LD_PRELOAD");
        } else {
            env.put("LD_PRELOAD", String.join(":", parts));
        }
    }
}
