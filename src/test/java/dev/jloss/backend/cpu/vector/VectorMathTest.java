package dev.jloss.backend.cpu.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.backend.cpu.VectorSupport;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SIMD kernels' float exp and sums, on a sample (the full measurement is {@link ExpAccuracy}):
 * the stated error bounds hold, the vector form equals the scalar form bit for bit, the edges, and a
 * row's exp sum against the same exps summed in double.
 */
class VectorMathTest {

    @BeforeEach
    void simdPath() {
        Assumptions.assumeTrue(VectorSupport.enabled(), "SIMD path off in this JVM");
    }

    @Test
    void expWithinTheStatedBoundsAndVectorEqualsScalar() {
        SplittableRandom rnd = new SplittableRandom(7);
        int lanes = Lanes.FLOAT_LANES;
        float[] d = new float[1 << 18];
        for (int i = 0; i < d.length; i++) {
            d[i] = switch (i % 3) {
                case 0 -> (float) (-86.9 * rnd.nextDouble());
                case 1 -> (float) -rnd.nextDouble();
                default -> (float) -Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(-40, 7));
            };
        }
        float[] v = new float[d.length];
        for (int i = 0; i < d.length; i += lanes) {
            VectorMath.exp(FloatVector.fromArray(Lanes.F, d, i)).intoArray(v, i);
        }
        double worst = 0;
        double worstNear = 0;
        for (int i = 0; i < d.length; i++) {
            float e = VectorMath.exp(d[i]);
            assertEquals(Float.floatToRawIntBits(e), Float.floatToRawIntBits(v[i]), "vector lane vs scalar at " + d[i]);
            double ref = Math.exp(d[i]);
            if (d[i] < VectorMath.CUT) {
                assertEquals(0f, e, "below the cut: " + d[i]);
            } else if (ref >= 0x1p-126) {
                double rel = Math.abs(e - ref) / ref;
                worst = Math.max(worst, rel);
                if (d[i] >= -10) {
                    worstNear = Math.max(worstNear, rel);
                }
            }
        }
        assertTrue(worst <= VectorMath.EXP_MAX_RELATIVE_ERROR, "worst relative error " + worst);
        assertTrue(worstNear <= VectorMath.EXP_MAX_RELATIVE_ERROR_NEAR, "worst on [-10, 0] " + worstNear);
    }

    @Test
    void expEdges() {
        assertEquals(1f, VectorMath.exp(0f));
        assertEquals(1f, VectorMath.exp(-0f));
        assertEquals(0f, VectorMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, VectorMath.exp(-Float.MAX_VALUE));
        assertEquals(0f, VectorMath.exp(-87f));
        assertTrue(VectorMath.exp(-86.9f) > 0);
        assertTrue(Float.isNaN(VectorMath.exp(Float.NaN)));
        float[] edges = new float[Lanes.FLOAT_LANES];
        float[] all = {0f, -0f, Float.NEGATIVE_INFINITY, Float.NaN, -86.9f, -87f, -1e30f, -1e-30f};
        for (int k = 0; k < edges.length; k++) {
            edges[k] = all[k % all.length];
        }
        FloatVector e = VectorMath.exp(FloatVector.fromArray(Lanes.F, edges, 0));
        for (int k = 0; k < edges.length; k++) {
            assertEquals(Float.floatToRawIntBits(VectorMath.exp(edges[k])), Float.floatToRawIntBits(e.lane(k)),
                    "edge " + edges[k]);
        }
    }

    @Test
    void rowSumsCloseToDouble() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int len : new int[] {1, 7, 8, 63, 64, 65, 1000, 32000, 40001}) {
            float[] x = new float[2 * len + 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (4 * rnd.nextGaussian());
            }
            int from = 3;
            float m = CrossEntropyVector.max(x, from, len);
            float expectMax = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < len; c++) {
                expectMax = Math.max(expectMax, x[from + c]);
            }
            assertEquals(expectMax, m, "max of " + len);
            float[] scratch = new float[CrossEntropyVector.scratchLength(len)];
            float[] out = new float[x.length];
            float[] nextMax = new float[1];
            for (int t : new int[] {-1, 0, len / 2, len - 1}) {
                double ref = 0;
                for (int c = 0; c < len; c++) {
                    if (c != t) {
                        ref += VectorMath.exp(x[from + c] - m);
                    }
                }
                int next = len + from <= x.length - len ? from + len : -1;
                double s = CrossEntropyVector.expSums(x, from, len, m, t, out, next, nextMax, scratch);
                double s2 = CrossEntropyVector.expSums(x, from, len, m, t, null, -1, nextMax, scratch);
                assertEquals(Double.doubleToRawLongBits(s), Double.doubleToRawLongBits(s2), "store or not, same sum");
                assertTrue(Math.abs(s - ref) <= 5e-7 * ref + 1e-300, len + " t=" + t + ": " + s + " vs " + ref);
                for (int c = 0; c < len; c++) {
                    assertEquals(Float.floatToRawIntBits(VectorMath.exp(x[from + c] - m)),
                            Float.floatToRawIntBits(out[from + c]), "stored exp " + c);
                }
                if (next >= 0) {
                    assertEquals(CrossEntropyVector.max(x, next, len), nextMax[0], "next row's max");
                }
            }
        }
    }
}
