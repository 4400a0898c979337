package dev.jloss.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.opentest4j.AssertionFailedError;

/** One closeness assertion that explains a failure: shapes, mismatch count, the first indices, NaN/inf patterns. */
public final class AllClose {
    /** float32 rounding of a value computed in double, with headroom for reductions. */
    public static final double RTOL = 1e-5;
    public static final double ATOL = 1e-6;

    private AllClose() {
    }

    public static void assertAllClose(String what, long[] expectedShape, double[] expected,
                                      long[] actualShape, float[] actual) {
        assertAllClose(what, expectedShape, expected, actualShape, actual, RTOL, ATOL);
    }

    public static void assertAllClose(String what, long[] expectedShape, double[] expected,
                                      long[] actualShape, float[] actual, double rtol, double atol) {
        if (!Arrays.equals(expectedShape, actualShape)) {
            throw new AssertionFailedError(what + ": shape " + Arrays.toString(actualShape) + ", expected "
                    + Arrays.toString(expectedShape));
        }
        if (expected.length != actual.length) {
            throw new AssertionFailedError(what + ": " + actual.length + " values, expected " + expected.length);
        }
        List<String> bad = new ArrayList<>();
        int count = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            boolean ok;
            if (Double.isNaN(e) || Double.isNaN(a)) {
                ok = Double.isNaN(e) && Double.isNaN(a);
            } else if (Double.isInfinite(e) || Double.isInfinite(a)) {
                ok = e == a;
            } else {
                double err = Math.abs(a - e);
                ok = err <= atol + rtol * Math.abs(e);
                if (!ok) {
                    worst = Math.max(worst, err / Math.max(Math.abs(e), 1e-30));
                }
            }
            if (!ok) {
                count++;
                if (bad.size() < 6) {
                    bad.add("[" + i + "] expected " + e + " got " + a);
                }
            }
        }
        if (count > 0) {
            throw new AssertionFailedError(what + ": " + count + " of " + expected.length
                    + " values differ (rtol " + rtol + ", atol " + atol + ", worst relative " + worst + "): "
                    + String.join("; ", bad));
        }
    }
}
