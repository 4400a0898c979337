package dev.jloss.testing;

import dev.jloss.Backend;
import dev.jloss.BackendException;
import dev.jloss.backend.Backends;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The backends the tests run on: every backend that starts here. A backend named in the
 * environment variable {@code JLOSS_REQUIRE} (comma-separated, e.g. {@code opencl} in CI) must
 * start, or the tests fail instead of skipping it.
 */
public final class TestBackends {
    private static final Map<String, Backend> STARTED = new LinkedHashMap<>();
    private static final Map<String, String> UNAVAILABLE = new LinkedHashMap<>();

    static {
        String req = System.getenv().getOrDefault("JLOSS_REQUIRE", "");
        List<String> required = new ArrayList<>();
        for (String s : req.split(",")) {
            if (!s.isBlank()) {
                required.add(s.trim().toLowerCase(Locale.ROOT));
            }
        }
        for (String name : Backends.names()) {
            try {
                STARTED.put(name, Backends.named(name));
            } catch (BackendException | LinkageError e) {
                UNAVAILABLE.put(name, e.getMessage());
                if (required.contains(name)) {
                    throw new IllegalStateException("backend " + name + " is required by JLOSS_REQUIRE but unavailable: "
                            + e.getMessage(), e);
                }
                System.err.println("[jloss tests] backend " + name + " unavailable, its tests skip: " + e.getMessage());
            }
        }
    }

    private TestBackends() {
    }

    /** Started backends, CPU last; shared by all tests and never closed (the JVM exits). */
    public static List<Backend> all() {
        return new ArrayList<>(STARTED.values());
    }

    public static Backend cpu() {
        return STARTED.get("cpu");
    }

    /** The named backend, or null with the reason in {@link #reason}. */
    public static Backend get(String name) {
        return STARTED.get(name);
    }

    public static String reason(String name) {
        return UNAVAILABLE.get(name);
    }
}
