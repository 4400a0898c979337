package dev.jloss.bench;

import java.util.List;

/** The implementations by name: jloss on each backend, and the peers. */
public final class Impls {
    public static final String PYTORCH = "pytorch";
    public static final String ND4J = "nd4j";

    /** Every implementation name, jloss's first. */
    public static final List<String> ALL = List.of("jloss-cpu", "jloss-opencl", "jloss-cuda", PYTORCH, ND4J);

    private Impls() {
    }

    public static boolean isJloss(String impl) {
        return impl.startsWith("jloss-");
    }

    /** A new implementation of the case; throws (with the reason) when it cannot run here. */
    public static Impl create(String impl, HostInputs in) {
        if (isJloss(impl)) {
            return new JlossImpl(impl.substring("jloss-".length()), in);
        }
        return switch (impl) {
            case PYTORCH -> new TorchImpl(in);
            case ND4J -> new Nd4jImpl(in);
            default -> throw new IllegalArgumentException("unknown implementation '" + impl + "', expected one of " + ALL);
        };
    }
}
