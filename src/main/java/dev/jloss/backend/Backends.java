package dev.jloss.backend;

import dev.jloss.Backend;
import dev.jloss.BackendException;
import dev.jloss.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ranked registry of backends: CUDA, then OpenCL, then CPU. {@link #auto()} takes the first that
 * starts and logs why each one before it was skipped; an OpenCL device that is the host's CPU (PoCL)
 * ranks below the Java CPU backend, which is faster on the same cores (docs/BENCHMARKS.md), unless
 * {@code jloss.opencl.device}/{@code JLOSS_OPENCL_DEVICE} names a device; {@link #named(String)} throws with the reason
 * when the named backend is unavailable. The choice can be forced with the system property
 * {@code jloss.backend} or the environment variable {@code JLOSS_BACKEND} ({@code auto}, {@code cuda},
 * {@code opencl}, {@code cpu}); the property wins.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    /** Backend names in rank order, each with its factory. A factory throws BackendException with the reason. */
    private static final Map<String, Supplier<Backend>> RANKED = new LinkedHashMap<>();

    static {
        RANKED.put("cuda", () -> loadOptional("dev.jloss.backend.cuda.CudaBackend", "cuda"));
        RANKED.put("opencl", () -> loadOptional("dev.jloss.backend.opencl.OpenClBackend", "opencl"));
        RANKED.put("cpu", CpuBackend::new);
    }

    private Backends() {
    }

    /** Backend names in rank order. */
    public static List<String> names() {
        return new ArrayList<>(RANKED.keySet());
    }

    /** A started backend and why it was chosen (what the log line says; the demo prints it). */
    public record Choice(Backend backend, String why) {
    }

    /** The backend named by {@code jloss.backend}/{@code JLOSS_BACKEND}, else the best available. */
    public static Backend auto() {
        Choice c = choose();
        LOG.info("jloss: using backend {} ({}): {}", c.backend().name(), c.backend().description(), c.why());
        return c.backend();
    }

    /**
     * What {@link #auto()} picks, with the reason: the backend forced by {@code jloss.backend} /
     * {@code JLOSS_BACKEND}, else the highest-ranked that starts, with why each one above it was skipped
     * (each skip is also logged).
     */
    public static Choice choose() {
        String forced = System.getProperty("jloss.backend");
        String source = "system property jloss.backend";
        if (forced == null || forced.isBlank()) {
            forced = System.getenv("JLOSS_BACKEND");
            source = "environment variable JLOSS_BACKEND";
        }
        if (forced != null && !forced.isBlank() && !forced.equalsIgnoreCase("auto")) {
            return new Choice(named(forced), "requested by the " + source);
        }
        List<String> skipped = new ArrayList<>();
        for (Map.Entry<String, Supplier<Backend>> e : RANKED.entrySet()) {
            try {
                Backend b = e.getValue().get();
                String below = rankedBelowCpu(b);
                if (below != null) {
                    LOG.info("jloss: backend {} skipped: {}", e.getKey(), below);
                    skipped.add(e.getKey() + " skipped: " + below);
                    b.close();
                    continue;
                }
                String why = "highest-ranked available";
                return new Choice(b, skipped.isEmpty() ? why : why + " (" + String.join("; ", skipped) + ")");
            } catch (BackendException | LinkageError ex) {
                LOG.info("jloss: backend {} skipped: {}", e.getKey(), reason(ex));
                skipped.add(e.getKey() + " skipped: " + reason(ex));
            }
        }
        throw new BackendException("no backend available: " + String.join("; ", skipped)); // unreachable: cpu starts
    }

    /** The named backend; throws {@link BackendException} with the reason when it is unavailable. */
    public static Backend named(String name) {
        String key = name == null ? "" : name.toLowerCase(Locale.ROOT).trim();
        if (key.equals("auto")) {
            return auto();
        }
        Supplier<Backend> f = RANKED.get(key);
        if (f == null) {
            throw new IllegalArgumentException("backend: expected one of auto, " + String.join(", ", RANKED.keySet())
                    + ", got '" + name + "'");
        }
        try {
            return f.get();
        } catch (LinkageError ex) {
            throw new BackendException("backend " + key + " is not available: " + reason(ex), ex);
        }
    }

    /**
     * One line per backend: whether it starts and, if not, why. Starting a backend to ask is the only
     * honest check; each one started here is closed again.
     */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Supplier<Backend>> e : RANKED.entrySet()) {
            sb.append(String.format("%-7s ", e.getKey()));
            try (Backend b = e.getValue().get()) {
                sb.append("available: ").append(b.description());
                String below = rankedBelowCpu(b);
                if (below != null) {
                    sb.append(" [auto skips it: ").append(below).append(']');
                }
            } catch (BackendException | LinkageError ex) {
                sb.append("unavailable: ").append(reason(ex));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * Why {@code auto} passes over this started backend for the Java CPU backend, or null: an OpenCL (or
     * other non-Java) backend whose device is the host CPU, unless the user named an OpenCL device.
     */
    private static String rankedBelowCpu(Backend b) {
        if (b.name().equals("cpu") || !b.onHostCpu()) {
            return null;
        }
        String named = System.getProperty("jloss.opencl.device", System.getenv("JLOSS_OPENCL_DEVICE"));
        if (named != null && !named.isBlank()) {
            return null;
        }
        return "its device is the host CPU, where the Java CPU backend is faster; ranked below cpu (choose it with "
                + "-Djloss.backend=" + b.name() + " or by naming a device with -Djloss.opencl.device)";
    }

    private static String reason(Throwable t) {
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** GPU backends live in optional classes so that the core works when they are not built in. */
    private static Backend loadOptional(String className, String name) {
        Class<?> c;
        try {
            c = Class.forName(className);
        } catch (ClassNotFoundException e) {
            throw new BackendException(name + " backend is not part of this build");
        }
        try {
            return (Backend) c.getConstructor().newInstance();
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BackendException be) {
                throw be;
            }
            throw new BackendException(name + " backend failed to start: " + reason(cause), cause);
        } catch (ReflectiveOperationException e) {
            throw new BackendException(name + " backend failed to start: " + reason(e), e);
        }
    }
}
