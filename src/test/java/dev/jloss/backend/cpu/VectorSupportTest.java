package dev.jloss.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The CPU backend's path is the one this test JVM was set up for: the default surefire run starts
 * with {@code --add-modules jdk.incubator.vector} and must take the SIMD path; the {@code cpu-scalar}
 * run starts without it ({@code JLOSS_EXPECT_SIMD=false}) and must load and fall back. So neither path
 * can silently stop being tested.
 */
class VectorSupportTest {

    @Test
    void takesThePathThisJvmWasStartedFor() {
        boolean expectSimd = !"false".equals(System.getenv("JLOSS_EXPECT_SIMD"));
        assertEquals(expectSimd, VectorSupport.enabled(), VectorSupport.description());
        if (expectSimd) {
            assertTrue(VectorSupport.floatLanes() >= 4, VectorSupport.description());
            assertTrue(VectorSupport.description().startsWith("SIMD path"), VectorSupport.description());
        } else {
            assertEquals(1, VectorSupport.floatLanes());
            assertTrue(VectorSupport.description().startsWith("scalar path"), VectorSupport.description());
        }
        assertTrue(new CpuBackend().description().contains(VectorSupport.description()),
                "describe() shows the path: " + new CpuBackend().description());
    }
}
