package dev.jloss.bench;

import java.util.List;

/**
 * The implementations by name: jloss on each backend, and the peers. A jloss name is
 * {@code jloss-BACKEND[-alloc][-jdkNN]}:
 * <ul>
 *   <li>{@code jloss-cpu}, {@code jloss-opencl}, {@code jloss-cuda}: the {@code into} calls
 *       ({@code forwardInto}, {@code backwardInto}, {@code forwardBackwardInto}) into output and
 *       gradient tensors allocated once and reused from call to call, as a training loop would;
 *   <li>{@code -alloc}: the allocating calls ({@code forward}, {@code backward}, {@code forwardBackward}),
 *       each result closed after the call;
 *   <li>{@code -jdk25}: the same, timed in a worker JVM of JDK 25 ({@link Jdks}) instead of the suite's.
 * </ul>
 */
public final class Impls {
    public static final String PYTORCH = "pytorch";
    public static final String ND4J = "nd4j";

    /** Every implementation name, jloss's first. */
    public static final List<String> ALL = List.of("jloss-cpu", "jloss-cpu-jdk25", "jloss-cpu-alloc", "jloss-opencl",
            "jloss-cuda", PYTORCH, ND4J);

    private Impls() {
    }

    /** A jloss implementation's parts: the backend, whether it calls the allocating API, the JDK (null: the suite's). */
    public record Jloss(String backend, boolean alloc, String jdk) {
        /** The same calls on the same backend in the suite's JDK: the primary column this one sits beside. */
        public String base() {
            return "jloss-" + backend;
        }

        /** The variant's suffix after the base name ({@code -jdk25}, {@code -alloc}), or empty for the base. */
        public String variant() {
            return (alloc ? "-alloc" : "") + (jdk == null ? "" : "-jdk" + jdk);
        }
    }

    public static boolean isJloss(String impl) {
        return impl.startsWith("jloss-");
    }

    /** Parses {@code jloss-BACKEND[-alloc][-jdkNN]}. */
    public static Jloss jloss(String impl) {
        if (!isJloss(impl)) {
            throw new IllegalArgumentException(impl + " is not a jloss implementation");
        }
        String rest = impl.substring("jloss-".length());
        String jdk = null;
        int j = rest.lastIndexOf("-jdk");
        if (j > 0 && rest.substring(j + 4).matches("[0-9]+")) {
            jdk = rest.substring(j + 4);
            rest = rest.substring(0, j);
        }
        boolean alloc = rest.endsWith("-alloc");
        if (alloc) {
            rest = rest.substring(0, rest.length() - "-alloc".length());
        }
        return new Jloss(rest, alloc, jdk);
    }

    /** The JDK feature version the implementation's worker JVMs run on, or null for the suite's. */
    public static String jdkOf(String impl) {
        return isJloss(impl) ? jloss(impl).jdk() : null;
    }

    /**
     * A new implementation of the case; throws (with the reason) when it cannot run here. A jloss
     * implementation for another JDK than this JVM's gives, here, only its {@link Impl#outputs}
     * (computed by a worker on that JDK, for the check against this JVM's jloss CPU results).
     */
    public static Impl create(String impl, HostInputs in) {
        if (isJloss(impl)) {
            Jloss j = jloss(impl);
            if (j.jdk() != null && !j.jdk().equals(Jdks.current())) {
                return new OtherJdkImpl(impl, in);
            }
            return new JlossImpl(j.backend(), in, !j.alloc());
        }
        return switch (impl) {
            case PYTORCH -> new TorchImpl(in);
            case ND4J -> new Nd4jImpl(in);
            default -> throw new IllegalArgumentException("unknown implementation '" + impl + "', expected one of " + ALL);
        };
    }
}
