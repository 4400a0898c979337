package dev.jloss.backend.cpu.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.backend.cpu.VectorSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The lanewise functions hold the worst errors that {@link VMath}'s Javadoc states (measured by
 * {@link VMathAccuracy#main} on 1.2 x 10^7 inputs each), re-checked here on a sample, with the
 * special values. Runs only where the SIMD path runs (not in the cpu-scalar JVM, which lacks the module).
 */
class VMathTest {
    private static final int SAMPLE = 40_000;

    @BeforeEach
    void simdOnly() {
        Assumptions.assumeTrue(VectorSupport.enabled(), "SIMD path off in this JVM");
    }

    @Test
    void log1pExpNegAbsWithinItsStatedBound() {
        VMathAccuracy.Worst w = VMathAccuracy.log1pExpNegAbs(SAMPLE, 11);
        assertTrue(w.relative() <= 3e-7, w.toString());
        assertTrue(w.absoluteBelowNormal() <= 3e-45, w.toString());
    }

    @Test
    void expFloatWithinItsStatedBound() {
        VMathAccuracy.Worst w = VMathAccuracy.expF(SAMPLE, 12);
        assertTrue(w.relative() <= 1.5e-7, w.toString());
        assertTrue(w.absoluteBelowNormal() <= 1.5e-45, w.toString());
    }

    @Test
    void expDoubleWithinItsStatedBound() {
        VMathAccuracy.Worst w = VMathAccuracy.expD(SAMPLE, 13);
        assertTrue(w.relative() <= 4e-16, w.toString());
        assertTrue(w.absoluteBelowNormal() <= 1e-323, w.toString());
    }

    @Test
    void logDoubleWithinItsStatedBound() {
        VMathAccuracy.Worst w = VMathAccuracy.logD(SAMPLE, 14);
        assertTrue(w.relative() <= 4e-16, w.toString());
    }

    @Test
    void log14WithinItsStatedBound() {
        VMathAccuracy.Worst w = VMathAccuracy.log14(SAMPLE, 15);
        assertTrue(w.relative() <= 4e-16, w.toString());
        double[] x = new double[VMath.doubleLanes()];
        double[] o = new double[x.length];
        x[0] = 0;
        x[1 % x.length] = Double.NaN;
        VMath.log14(x, o, x.length);
        assertEquals(Double.NEGATIVE_INFINITY, o[0]);
        assertTrue(Double.isNaN(o[1 % x.length]));
    }

    @Test
    void specialValues() {
        int lf = VMath.floatLanes();
        float[] xf = new float[lf];
        float[] of = new float[lf];
        float[] in = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 200f, -200f, 1f};
        for (int i = 0; i < lf; i++) {
            xf[i] = in[i % in.length];
        }
        VMath.expNegAbs(xf, 0, of, lf);
        float[] wantExp = {Float.NaN, 0f, 0f, 1f, 1f, 0f, 0f, (float) (1 / Math.E)};
        for (int i = 0; i < lf; i++) {
            float want = wantExp[i % in.length];
            if (Float.isNaN(want)) {
                assertTrue(Float.isNaN(of[i]));
            } else if (i % in.length == 7) {
                assertEquals(want, of[i], 2e-7f);
            } else {
                assertEquals(want, of[i], 0f, "exp(" + xf[i] + ")");
            }
        }
        VMath.log1pExpNegAbs(xf, of, lf);
        for (int i = 0; i < lf; i++) {
            float x = xf[i];
            if (Float.isNaN(x)) {
                assertTrue(Float.isNaN(of[i]));
            } else if (Float.isInfinite(x) || Math.abs(x) == 200f) {
                assertEquals(0f, of[i], 0f);
            } else if (x == 0) {
                assertEquals((float) Math.log(2), of[i], 1e-7f);
            }
        }
        int ld = VMath.doubleLanes();
        double[] xd = new double[ld * 2];
        double[] od = new double[ld * 2];
        double[] ind = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0, 800, -800, 1, -1};
        for (int i = 0; i < xd.length; i++) {
            xd[i] = ind[i % ind.length];
        }
        VMath.expD(xd, od, xd.length);
        double[] wantD = {Double.NaN, Double.POSITIVE_INFINITY, 0, 1, Double.POSITIVE_INFINITY, 0, Math.E, 1 / Math.E};
        for (int i = 0; i < xd.length; i++) {
            assertEquals(wantD[i % ind.length], od[i], 1e-15, "exp(" + xd[i] + ")");
        }
        VMath.logD(xd, od, xd.length);
        double[] wantL = {Double.NaN, Double.POSITIVE_INFINITY, Double.NaN, Double.NEGATIVE_INFINITY, Math.log(800),
            Double.NaN, 0, Double.NaN};
        for (int i = 0; i < xd.length; i++) {
            assertEquals(wantL[i % ind.length], od[i], 1e-15, "log(" + xd[i] + ")");
        }
        assertEquals(0.0, od[6], 0.0, "log(1) is exactly 0");
    }
}
