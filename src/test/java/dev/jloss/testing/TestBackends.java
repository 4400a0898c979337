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
 * start, or the tests fail instead of skipping it. {@code JLOSS_TEST_BACKENDS} (comma-separated)
 * narrows the run to those backends: the CUDA-emulator run sets {@code cuda}, so that it does not
 * repeat the OpenCL and CPU tests. The CPU backend is started regardless, as the reference the
 * device tests compare with.
 */
public final class TestBackends {
    private static final Map<String, Backend> STARTED = new LinkedHashMap<>();
    private static final Map<String, String> UNAVAILABLE = new LinkedHashMap<>();
    /**
     * The CUDA emulator's directory in the cuda-emulator test run (pom.xml), else null. There
     * {@code JLOSS_REQUIRE=cuda-emulator} (CI) makes an emulator that did not build or load fail the run.
     */
    public static final String EMULATOR = System.getenv("JLOSS_CUDA_EMULATOR");

    static {
        List<String> required = listed("JLOSS_REQUIRE");
        List<String> selected = listed("JLOSS_TEST_BACKENDS");
        for (String name : Backends.names()) {
            if (!selected.isEmpty() && !selected.contains(name)) {
                UNAVAILABLE.put(name, "not selected by JLOSS_TEST_BACKENDS=" + System.getenv("JLOSS_TEST_BACKENDS"));
                continue;
            }
            try {
                Backend b = Backends.named(name);
                if (EMULATOR != null && name.equals("cuda") && !b.description().contains("emulator")) {
                    throw new IllegalStateException("JLOSS_CUDA_EMULATOR is set but cuda runs on " + b.description()
                            + ", not on the emulator in " + EMULATOR);
                }
                STARTED.put(name, b);
            } catch (BackendException | LinkageError e) {
                UNAVAILABLE.put(name, e.getMessage());
                if (required.contains(name) || EMULATOR != null && name.equals("cuda") && required.contains("cuda-emulator")) {
                    throw new IllegalStateException("backend " + name + " is required by JLOSS_REQUIRE but unavailable: "
                            + e.getMessage(), e);
                }
                System.err.println("[jloss tests] backend " + name + " unavailable, its tests skip: " + e.getMessage());
            }
        }
    }

    private TestBackends() {
    }

    private static List<String> listed(String variable) {
        List<String> names = new ArrayList<>();
        for (String s : System.getenv().getOrDefault(variable, "").split(",")) {
            if (!s.isBlank()) {
                names.add(s.trim().toLowerCase(Locale.ROOT));
            }
        }
        return names;
    }

    /** The CPU backend, started even where JLOSS_TEST_BACKENDS leaves it out of {@link #all()}. */
    private static final Backend CPU_REFERENCE = STARTED.containsKey("cpu") ? STARTED.get("cpu") : Backends.named("cpu");

    /** Started backends, CPU last; shared by all tests and never closed (the JVM exits). */
    public static List<Backend> all() {
        return new ArrayList<>(STARTED.values());
    }

    public static Backend cpu() {
        return CPU_REFERENCE;
    }

    /** The named backend, or null with the reason in {@link #reason}. */
    public static Backend get(String name) {
        return STARTED.get(name);
    }

    public static String reason(String name) {
        return UNAVAILABLE.get(name);
    }
}
