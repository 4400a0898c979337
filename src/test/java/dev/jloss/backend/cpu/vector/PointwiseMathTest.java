package dev.jloss.backend.cpu.vector;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.backend.cpu.VectorSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The worst relative errors stated in {@link PointwiseMath}'s Javadoc, on a smaller sample (2^20 inputs per
 * function) than {@link PointwiseMathAccuracy#main}'s 1.2e7: the bound, special values exactly as
 * {@link Math}, subnormal results within one subnormal ulp.
 */
class PointwiseMathTest {
    private static final double U = 0x1p-24;

    @ParameterizedTest
    @EnumSource(PointwiseMathAccuracy.Fn.class)
    void withinTheStatedBound(PointwiseMathAccuracy.Fn fn) {
        Assumptions.assumeTrue(VectorSupport.enabled(), "the SIMD path is off in this JVM");
        PointwiseMathAccuracy.Result r = PointwiseMathAccuracy.measure(fn, 1 << 20, 7 + fn.ordinal());
        double bound = switch (fn) {
            case EXP -> 1.41 * U;
            case LOG -> 1.35 * U;
            case LOG1P -> 2.25 * U;
            case LOG1P_UNIT -> 2.46 * U;
            case SOFTPLUS -> 3.30 * U;
            case SIGMOID -> 3.20 * U;
        };
        assertTrue(r.worstRelative() <= bound, r.toString());
        assertTrue(r.worstSubnormalUlps() <= 1.0, r.toString());
        assertNull(r.specialMismatch(), r.toString());
    }
}
