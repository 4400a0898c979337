package dev.jloss.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FastMathTest {
    @Test
    void log1pAgreesWithStrictMathFarBelowFloatRounding() {
        Random r = new Random(42);
        double worst = 0;
        for (int i = 0; i < 2_000_000; i++) {
            // log-uniform magnitudes from 1e-300 to 1e300, both signs (above -1 for negatives)
            double mag = Math.pow(10, -300 + 600 * r.nextDouble());
            double u = r.nextBoolean() ? mag : -Math.min(mag, 1) * r.nextDouble();
            double want = StrictMath.log1p(u);
            double got = FastMath.log1p(u);
            if (want != 0) {
                worst = Math.max(worst, Math.abs(got - want) / Math.abs(want));
            } else {
                assertEquals(want, got, 0, "u = " + u);
            }
        }
        for (double u : new double[] {1e-4, -1e-4, 9.99e-5, 0.5, -0.5, -0.999999999, 1, 1e10}) {
            double want = StrictMath.log1p(u);
            worst = Math.max(worst, Math.abs(FastMath.log1p(u) - want) / Math.abs(want));
        }
        assertTrue(worst < 1e-11, "worst relative error " + worst);
    }

    @Test
    void log1pSpecialValues() {
        assertEquals(Double.NEGATIVE_INFINITY, FastMath.log1p(-1));
        assertTrue(Double.isNaN(FastMath.log1p(-1.5)));
        assertTrue(Double.isNaN(FastMath.log1p(Double.NaN)));
        assertEquals(Double.POSITIVE_INFINITY, FastMath.log1p(Double.POSITIVE_INFINITY));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(FastMath.log1p(-0.0)));
        assertEquals(0.0, FastMath.log1p(0.0));
    }
}
