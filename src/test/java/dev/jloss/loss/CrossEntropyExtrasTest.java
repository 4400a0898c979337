package dev.jloss.loss;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.LossArgumentException;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.testing.TestBackends;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * CrossEntropyLoss's options beyond torch.nn (z-loss, softcap) on the CPU backend: their messages, and
 * a double-precision reference on sizes that take several threads (rows and K-dim). The golden suite
 * (golden/cross_entropy_extras.json, real PyTorch) covers every backend on small cases.
 */
class CrossEntropyExtrasTest {
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;
    private static final List<Reduction> REDUCTIONS = List.of(Reduction.NONE, Reduction.MEAN, Reduction.SUM);

    private final Backend cpu = TestBackends.cpu();

    private static void assertMessage(Executable call, String... parts) {
        LossArgumentException e = assertThrows(LossArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void optionsAreValidatedWithTheirNames() {
        for (double v : new double[] {-1e-3, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertMessage(() -> CrossEntropyLoss.builder().lseSquareScale(v).build(),
                    "cross_entropy: lse_square_scale is " + v + ", expected a finite value >= 0");
        }
        for (double v : new double[] {-2, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertMessage(() -> CrossEntropyLoss.builder().softcap(v).build(),
                    "cross_entropy: softcap is " + v + ", expected a finite value > 0");
        }
        assertMessage(() -> Losses.create("cross_entropy", Map.of("softcap", "-1")), "cross_entropy: softcap is -1.0");
        assertMessage(() -> Losses.create("cross_entropy", Map.of("lse-square-scale", "x")),
                "option lse_square_scale expects a number, got 'x'");
        CrossEntropyLoss fromMap = (CrossEntropyLoss) Losses.create("cross_entropy",
                Map.of("lse_square_scale", "1e-4", "softcap", 30));
        assertEquals(1e-4, fromMap.lseSquareScale());
        assertEquals(30, fromMap.softcap());
        assertTrue(fromMap.toString().contains("lse_square_scale=1.0E-4, softcap=30.0"), fromMap.toString());
    }

    @Test
    void probabilityTargetsAreRejected() {
        Tensor x = cpu.tensor(new float[6], 2, 3);
        Tensor p = cpu.tensor(new float[] {1, 0, 0, 0, 1, 0}, 2, 3);
        assertMessage(() -> CrossEntropyLoss.builder().lseSquareScale(0.1).build().forward(x, p),
                "cross_entropy: lse_square_scale is set, expected class-index targets", "shape [2, 3]");
        assertMessage(() -> CrossEntropyLoss.builder().softcap(3).build().forward(x, p),
                "cross_entropy: softcap is set, expected class-index targets");
    }

    /** Uniform logits: lse = log C, so z = s log(C)^2 and the loss of every row is known in closed form. */
    @Test
    void closedFormExample() {
        Tensor x = cpu.tensor(new float[] {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 2, 3);
        Tensor t = cpu.tensor(new long[] {0, 2}, 2);
        double lse = 0.5 + Math.log(3);
        double expected = Math.log(3) + 0.1 * lse * lse;
        try (Tensor out = CrossEntropyLoss.builder().lseSquareScale(0.1).reduction(Reduction.NONE).build().forward(x, t)) {
            assertAllClose("z-loss none", new long[] {2}, new double[] {expected, expected}, out.shape(),
                    out.toFloatArray(), RTOL, ATOL);
        }
    }

    /** A double-precision reference: softcap, z-loss, weights, smoothing, ignore_index; (N, C, S) layout. */
    private static final class Reference {
        final double[] loss;
        final double[] grad;
        final double ceSum;
        final double zSum;
        final double weightSum;
        final long count;

        Reference(float[] x, long[] t, int n, int c, int s, float[] w, long ignore, double eps, double scale,
                  double cap, Reduction r, double[] go) {
            loss = new double[n * s];
            grad = new double[n * c * s];
            double[][] dy = new double[n * s][];
            double ce = 0;
            double z = 0;
            double ws = 0;
            long cnt = 0;
            double wTotal = 0;
            for (int j = 0; j < c; j++) {
                wTotal += w == null ? 1 : w[j];
            }
            double[] zi = new double[n * s];
            for (int b = 0; b < n; b++) {
                for (int k = 0; k < s; k++) {
                    int i = b * s + k;
                    if (t[i] == ignore) {
                        continue;
                    }
                    double[] y = new double[c];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < c; j++) {
                        double v = x[(b * c + j) * s + k];
                        y[j] = cap != 0 ? cap * Math.tanh(v / cap) : v;
                        max = Math.max(max, y[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < c; j++) {
                        sum += Math.exp(y[j] - max);
                    }
                    double lse = max + Math.log(sum);
                    int cls = (int) t[i];
                    double wt = w == null ? 1 : w[cls];
                    double l = (1 - eps) * wt * (lse - y[cls]);
                    for (int j = 0; j < c; j++) {
                        l += eps / c * (w == null ? 1 : w[j]) * (lse - y[j]);
                    }
                    ce += l;
                    zi[i] = scale * lse * lse;
                    z += zi[i];
                    ws += wt;
                    cnt++;
                    loss[i] = l + zi[i];
                    dy[i] = new double[c];
                    for (int j = 0; j < c; j++) {
                        double p = Math.exp(y[j] - lse);
                        double wj = w == null ? 1 : w[j];
                        dy[i][j] = ((1 - eps) * wt + eps * wTotal / c) * p - eps / c * wj - (j == cls ? (1 - eps) * wt : 0);
                    }
                    // the z part's gradient, kept apart: a mean divides it by the count
                    double[] dz = new double[c];
                    for (int j = 0; j < c; j++) {
                        dz[j] = 2 * scale * lse * Math.exp(y[j] - lse);
                    }
                    double gce = r == Reduction.NONE ? go[i] : r == Reduction.MEAN ? Double.NaN : go[0];
                    for (int j = 0; j < c; j++) {
                        double v = x[(b * c + j) * s + k];
                        double dv = cap != 0 ? 1 - Math.pow(Math.tanh(v / cap), 2) : 1;
                        // mean: filled in below once the denominators are known
                        grad[(b * c + j) * s + k] = r == Reduction.MEAN ? 0 : gce * (dy[i][j] + dz[j]) * dv;
                    }
                    dy[i] = concat(dy[i], dz);
                }
            }
            ceSum = ce;
            zSum = z;
            weightSum = ws;
            count = cnt;
            if (r == Reduction.MEAN) {
                for (int b = 0; b < n; b++) {
                    for (int k = 0; k < s; k++) {
                        int i = b * s + k;
                        if (dy[i] == null) {
                            continue;
                        }
                        for (int j = 0; j < c; j++) {
                            double v = x[(b * c + j) * s + k];
                            double dv = cap != 0 ? 1 - Math.pow(Math.tanh(v / cap), 2) : 1;
                            grad[(b * c + j) * s + k] = (go[0] / ws * dy[i][j] + go[0] / cnt * dy[i][c + j]) * dv;
                        }
                    }
                }
            }
        }

        private static double[] concat(double[] a, double[] b) {
            double[] r = new double[a.length + b.length];
            System.arraycopy(a, 0, r, 0, a.length);
            System.arraycopy(b, 0, r, a.length, b.length);
            return r;
        }

        double[] output(Reduction r) {
            if (r == Reduction.NONE) {
                return loss;
            }
            return new double[] {r == Reduction.MEAN ? ceSum / weightSum + zSum / count : ceSum + zSum};
        }
    }

    private void compare(int n, int c, int s, boolean weighted, double eps, double scale, double cap) {
        Random rnd = new Random(31L * n + 7L * c + s);
        float[] x = new float[n * c * s];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (4 * rnd.nextGaussian());
        }
        long ignore = 3;
        long[] t = new long[n * s];
        for (int i = 0; i < t.length; i++) {
            t[i] = rnd.nextInt(7) == 0 ? ignore : rnd.nextInt(c);
        }
        float[] w = null;
        if (weighted) {
            w = new float[c];
            for (int i = 0; i < c; i++) {
                w[i] = (float) (0.1 + 2 * rnd.nextDouble());
            }
        }
        long[] shape = s == 1 ? new long[] {n, c} : new long[] {n, c, s};
        long[] tShape = s == 1 ? new long[] {n} : new long[] {n, s};
        Tensor xt = cpu.tensor(x, shape);
        Tensor tt = cpu.tensor(t, tShape);
        for (Reduction r : REDUCTIONS) {
            CrossEntropyLoss loss = CrossEntropyLoss.builder().reduction(r).weight(w).ignoreIndex(ignore)
                    .labelSmoothing(eps).lseSquareScale(scale).softcap(cap).build();
            long[] outShape = r == Reduction.NONE ? tShape : new long[0];
            double[] go = new double[r == Reduction.NONE ? n * s : 1];
            float[] gof = new float[go.length];
            for (int i = 0; i < go.length; i++) {
                gof[i] = (float) (rnd.nextDouble() * 2 - 0.5);
                go[i] = gof[i];
            }
            Reference ref = new Reference(x, t, n, c, s, w, ignore, eps, scale, cap, r, go);
            String what = loss + " " + n + "x" + c + "x" + s;
            try (LossResult res = loss.forwardBackwardWith(cpu.tensor(gof, outShape), xt, tt)) {
                assertAllClose(what + " loss", outShape, ref.output(r), res.loss().shape(), res.loss().toFloatArray(),
                        RTOL, ATOL);
                assertAllClose(what + " grad", shape, ref.grad, res.grad("input").shape(),
                        res.grad("input").toFloatArray(), RTOL, ATOL);
            }
            try (Tensor out = loss.forward(xt, tt)) {
                assertAllClose(what + " forward", outShape, ref.output(r), out.shape(), out.toFloatArray(), RTOL, ATOL);
            }
        }
    }

    @Test
    void rowsMatchTheDoubleReference() {
        compare(2_000, 300, 1, true, 0.1, 1e-3, 0);
        compare(2_000, 300, 1, true, 0, 0, 5);
        compare(1_500, 257, 1, true, 0.1, 0.02, 8);
        compare(12, 20_000, 1, false, 0, 1e-4, 30);
    }

    @Test
    void kDimMatchesTheDoubleReference() {
        compare(3, 17, 6_001, true, 0.2, 0.01, 3);
        compare(2, 33, 4_000, false, 0, 0.05, 0);
        compare(2, 2_000, 61, true, 0.1, 0, 6);
    }
}
