package dev.jloss.backend.cpu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the CPU kernels take their SIMD path (the JDK's incubating Vector API, package
 * {@code dev.jloss.backend.cpu.vector}) or the scalar one. Probed once, logged once, in the manner of
 * Apache Lucene's {@code VectorizationProvider}:
 * <ul>
 *   <li>the module {@code jdk.incubator.vector} must be in the boot layer (the JVM was started with
 *       {@code --add-modules jdk.incubator.vector}; {@code bin/jloss}, the tests and the benchmarks pass it);
 *   <li>{@code -Djloss.cpu.simd=false} turns the SIMD path off;
 *   <li>the preferred float species must have at least 4 lanes.
 * </ul>
 * Loading jloss without the module never fails: no class outside {@code cpu.vector} names a Vector
 * API type, and the {@code cpu.vector} classes are reached only through static methods whose
 * signatures hold primitives and arrays, called only when {@link #enabled()} is true, so the JVM
 * loads them (and the incubator module's classes) only then.
 */
public final class VectorSupport {
    private static final Logger LOG = LoggerFactory.getLogger(VectorSupport.class);
    private static final String MODULE = "jdk.incubator.vector";

    private static final boolean ENABLED;
    private static final int FLOAT_LANES;
    private static final String DESCRIPTION;

    static {
        boolean enabled = false;
        int lanes = 1;
        String why;
        String prop = System.getProperty("jloss.cpu.simd", "true").trim();
        if (prop.equalsIgnoreCase("false")) {
            why = "scalar path: SIMD turned off by -Djloss.cpu.simd=false";
        } else if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            why = "scalar path: " + MODULE + " is not in the boot layer (start the JVM with --add-modules " + MODULE
                    + " for the SIMD path)";
        } else {
            try {
                lanes = Class.forName("dev.jloss.backend.cpu.vector.Lanes").getField("FLOAT_LANES").getInt(null);
            } catch (ReflectiveOperationException | LinkageError e) {
                lanes = 1;
            }
            if (lanes >= 4) {
                enabled = true;
                why = "SIMD path: " + MODULE + ", " + (lanes * 32) + "-bit vectors (" + lanes + " float lanes)";
            } else {
                why = "scalar path: the Vector API's preferred species has " + lanes + " float lane(s) here";
            }
        }
        ENABLED = enabled;
        FLOAT_LANES = enabled ? lanes : 1;
        DESCRIPTION = why;
        LOG.info("jloss: cpu backend takes the {}", why);
    }

    private VectorSupport() {
    }

    /** Whether the SIMD kernels run. */
    public static boolean enabled() {
        return ENABLED;
    }

    /** Float lanes of the vectors used (1 on the scalar path). */
    public static int floatLanes() {
        return FLOAT_LANES;
    }

    /** One line: which path and why, with the vector width. */
    public static String description() {
        return DESCRIPTION;
    }
}
