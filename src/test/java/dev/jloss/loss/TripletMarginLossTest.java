package dev.jloss.loss;

import static dev.jloss.loss.PairwiseTesting.assertMentions;
import static dev.jloss.loss.PairwiseTesting.forwardError;
import static dev.jloss.loss.PairwiseTesting.near;
import static dev.jloss.loss.PairwiseTesting.uniform;
import static dev.jloss.loss.PairwiseTesting.widen;
import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jloss.Backend;
import dev.jloss.Distance;
import dev.jloss.Loss;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.testing.TestBackends;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TripletMarginLossTest {
    /** float32 rounding of double results, with headroom for the mean over many rows. */
    static final double RTOL = 1e-5;
    static final double ATOL = 1e-6;
    /** Finite differences on the double reference. */
    static final double FD_STEP = 1e-6;
    static final double FD_TOL = 1e-6;

    private static final String FN = "triplet_margin_loss";

    private final Backend cpu = TestBackends.cpu();
    private final TripletMarginLoss loss = TripletMarginLoss.builder().build();

    // ---- messages ----

    @Test
    void rejectsDifferentNumbersOfDimensions() {
        String m = forwardError(loss, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[4], 4),
                cpu.tensor(new float[12], 3, 4));
        assertMentions(m, FN, "same number of dimensions", "anchor 2-D [3, 4]", "positive 1-D [4]");
    }

    @Test
    void rejectsRowLengthsThatDoNotBroadcast() {
        String m = forwardError(loss, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[15], 3, 5),
                cpu.tensor(new float[12], 3, 4));
        assertMentions(m, FN, "anchor", "[3, 4]", "positive", "[3, 5]", "cannot be broadcast");
        // positive and negative only meet under swap
        Tensor[] in = {cpu.tensor(new float[3], 3, 1), cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[15], 3, 5)};
        loss.forward(in);
        m = forwardError(TripletMarginLoss.builder().swap(true).build(), in);
        assertMentions(m, FN, "positive", "[3, 4]", "negative", "[3, 5]");
    }

    @Test
    void rejectsRowCountsThatDoNotBroadcast() {
        String m = forwardError(loss, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[12], 3, 4),
                cpu.tensor(new float[8], 2, 4));
        assertMentions(m, FN, "anchor", "[3, 4]", "negative", "[2, 4]");
    }

    @Test
    void rejectsIntegerInputs() {
        String m = forwardError(loss, cpu.tensor(new float[12], 3, 4), cpu.tensor(new float[12], 3, 4),
                cpu.tensor(new int[12], 3, 4));
        assertMentions(m, FN, "negative", "int32", "expected float32");
    }

    @Test
    void rejectsMarginNotAboveZero() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TripletMarginLoss.builder().margin(0).build());
        assertMentions(e.getMessage(), FN, "margin", "0.0", "greater than 0");
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.create("triplet_margin_loss", Map.of("margin", -1)));
        assertMentions(e.getMessage(), FN, "margin", "-1.0", "greater than 0");
    }

    @Test
    void rejectsUnknownOptions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.create("TripletMarginLoss", Map.of("distance_function", "cosine")));
        assertMentions(e.getMessage(), FN, "'distance_function'");
    }

    // ---- worked example ----

    @Test
    void javadocExample() {
        TripletMarginLoss l = TripletMarginLoss.builder().eps(0).build();
        Tensor a = cpu.tensor(new float[] {0, 0}, 1, 2);
        Tensor p = cpu.tensor(new float[] {3, 4}, 1, 2);
        assertEquals(5f, l.forward(a, p, cpu.tensor(new float[] {0, 1}, 1, 2)).item(), 1e-6f);
        assertEquals(0f, l.forward(a, p, cpu.tensor(new float[] {0, 7}, 1, 2)).item());
        // the gradient of an active row: d/da = (a-p)/5 - (a-n)/1
        try (LossResult r = l.forwardBackward(a, p, cpu.tensor(new float[] {0, 1}, 1, 2))) {
            assertArrayEquals(new float[] {-0.6f, 0.2f}, r.grad("anchor").toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0.6f, 0.8f}, r.grad("positive").toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0f, -1f}, r.grad("negative").toFloatArray(), 1e-6f);
        }
    }

    // ---- against a naive double reference ----

    /** The distance between rows {@code i} of x and y (length d): a p-norm (p >= 1) or the cosine distance. */
    static double distance(Distance dist, double[] x, double[] y, int i, int d) {
        if (dist.kind() == Distance.Kind.COSINE) {
            double dot = 0;
            double xx = 0;
            double yy = 0;
            for (int j = 0; j < d; j++) {
                dot += x[i * d + j] * y[i * d + j];
                xx += x[i * d + j] * x[i * d + j];
                yy += y[i * d + j] * y[i * d + j];
            }
            return 1 - dot / (Math.sqrt(xx) * Math.sqrt(yy));
        }
        double s = 0;
        for (int j = 0; j < d; j++) {
            s += Math.pow(Math.abs(x[i * d + j] - y[i * d + j] + dist.eps()), dist.p());
        }
        return Math.pow(s, 1 / dist.p());
    }

    /** Adds {@code c} times the gradient of {@link #distance} to gx and gy. */
    static void distanceGrad(Distance dist, double[] x, double[] y, int i, int d, double c, double[] gx, double[] gy) {
        double n = distance(dist, x, y, i, d);
        if (dist.kind() == Distance.Kind.COSINE) {
            double xx = 0;
            double yy = 0;
            for (int j = 0; j < d; j++) {
                xx += x[i * d + j] * x[i * d + j];
                yy += y[i * d + j] * y[i * d + j];
            }
            double s = 1 - n;
            double nx = Math.sqrt(xx);
            double ny = Math.sqrt(yy);
            for (int j = 0; j < d; j++) {
                double a = x[i * d + j];
                double b = y[i * d + j];
                gx[i * d + j] -= c * (b / (nx * ny) - s * a / (nx * nx));
                gy[i * d + j] -= c * (a / (nx * ny) - s * b / (ny * ny));
            }
            return;
        }
        double p = dist.p();
        for (int j = 0; j < d; j++) {
            double v = x[i * d + j] - y[i * d + j] + dist.eps();
            double t = c * Math.signum(v) * Math.pow(Math.abs(v), p - 1) / Math.pow(n, p - 1);
            gx[i * d + j] += t;
            gy[i * d + j] -= t;
        }
    }

    /**
     * Loss per row and, added into ga/gp/gn, the gradient of sum(w * loss); equal shapes, rows of
     * length d. A tie under swap splits the gradient, as torch.minimum's backward.
     */
    static double[] reference(double[] a, double[] p, double[] n, int rows, int d, Distance dist, double margin,
                              boolean swap, double[] w, double[] ga, double[] gp, double[] gn) {
        double[] out = new double[rows];
        for (int i = 0; i < rows; i++) {
            double dap = distance(dist, a, p, i, d);
            double dan = distance(dist, a, n, i, d);
            double dsw = swap ? distance(dist, p, n, i, d) : Double.POSITIVE_INFINITY;
            double z = margin + dap - Math.min(dan, dsw);
            out[i] = Math.max(z, 0);
            if (z < 0) {
                continue;
            }
            distanceGrad(dist, a, p, i, d, w[i], ga, gp);
            double shareNeg = dan < dsw ? 1 : dan == dsw ? 0.5 : 0;
            distanceGrad(dist, a, n, i, d, -w[i] * shareNeg, ga, gn);
            if (swap) {
                distanceGrad(dist, p, n, i, d, -w[i] * (1 - shareNeg), gp, gn);
            }
        }
        return out;
    }

    /** Checks the reference's gradient against central differences of its loss. */
    static void checkReferenceGradient(Distance dist, boolean swap, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 6;
        int d = 5;
        double[] a = widen(uniform(r, rows * d, -2, 2));
        double[] p = widen(near(r, uniform(r, rows * d, -2, 2), 0.1));
        double[] n = widen(uniform(r, rows * d, -2, 2));
        double[] w = widen(uniform(r, rows, -1, 1));
        double margin = 1.0;
        double[][] x = {a, p, n};
        double[][] g = {new double[a.length], new double[a.length], new double[a.length]};
        reference(a, p, n, rows, d, dist, margin, swap, w, g[0], g[1], g[2]);
        for (int k = 0; k < 3; k++) {
            for (int e = 0; e < a.length; e++) {
                double keep = x[k][e];
                x[k][e] = keep + FD_STEP;
                double up = weighted(reference(a, p, n, rows, d, dist, margin, swap, w, new double[a.length],
                        new double[a.length], new double[a.length]), w);
                x[k][e] = keep - FD_STEP;
                double down = weighted(reference(a, p, n, rows, d, dist, margin, swap, w, new double[a.length],
                        new double[a.length], new double[a.length]), w);
                x[k][e] = keep;
                assertEquals((up - down) / (2 * FD_STEP), g[k][e], FD_TOL, dist + " operand " + k + " element " + e);
            }
        }
    }

    private static double weighted(double[] l, double[] w) {
        double s = 0;
        for (int i = 0; i < l.length; i++) {
            s += w[i] * l[i];
        }
        return s;
    }

    @Test
    void referenceGradientMatchesFiniteDifferences() {
        checkReferenceGradient(Distance.pairwise(2), false, 1);
        checkReferenceGradient(Distance.pairwise(1), true, 2);
        checkReferenceGradient(Distance.pairwise(3), true, 3);
    }

    /**
     * Runs {@code loss} on a large seeded input (multi-threaded on the CPU) and compares loss and
     * gradients with {@link #reference}: reduction none with a per-row upstream gradient, then the
     * loss's own reduction with the gradient of its output.
     */
    static void compareWithReference(Loss none, Loss reduced, Distance dist, double margin, boolean swap, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 2003;
        int d = 64;
        float[] a = uniform(r, rows * d, -2, 2);
        float[] p = near(r, a, 0.9);
        float[] n = nearPerRow(r, a, rows, d, 0.5, 1.5);
        float[] go = uniform(r, rows, -1.5, 1.5);
        long[] shape = {rows, d};
        for (Backend b : TestBackends.all()) {
            Tensor[] in = {b.tensor(a, shape), b.tensor(p, shape), b.tensor(n, shape)};
            double[][] g = {new double[a.length], new double[a.length], new double[a.length]};
            double[] ref = reference(widen(a), widen(p), widen(n), rows, d, dist, margin, swap, widen(go), g[0], g[1],
                    g[2]);
            int active = 0;
            for (double v : ref) {
                active += v > 0 ? 1 : 0;
            }
            org.junit.jupiter.api.Assertions.assertTrue(active > rows / 10 && active < rows - rows / 10,
                    "the data should leave some rows active and some not, " + active + " of " + rows + " active");
            try (LossResult res = none.forwardBackwardWith(b.tensor(go, rows), in)) {
                assertAllClose(b.name() + " " + none + " loss", new long[] {rows}, ref, res.loss().shape(),
                        res.loss().toFloatArray(), RTOL, ATOL);
                compareGrads(b.name() + " " + none, shape, g, res);
            }
            double[] w = new double[rows];
            double scale = reduced.reduction() == Reduction.MEAN ? 1.0 / rows : 1.0;
            Arrays.fill(w, scale);
            g = new double[][] {new double[a.length], new double[a.length], new double[a.length]};
            ref = reference(widen(a), widen(p), widen(n), rows, d, dist, margin, swap, w, g[0], g[1], g[2]);
            double total = 0;
            for (double v : ref) {
                total += v * scale;
            }
            try (LossResult res = reduced.forwardBackward(in)) {
                assertAllClose(b.name() + " " + reduced + " loss", new long[0], new double[] {total},
                        res.loss().shape(), res.loss().toFloatArray(), RTOL, ATOL);
                compareGrads(b.name() + " " + reduced, shape, g, res);
            }
        }
    }

    /** {@code base + s_i * noise} with a spread {@code s_i} drawn per row from [lo, hi), rounded to float32. */
    static float[] nearPerRow(SplittableRandom r, float[] base, int rows, int d, double lo, double hi) {
        float[] f = new float[base.length];
        for (int i = 0; i < rows; i++) {
            double s = lo + (hi - lo) * r.nextDouble();
            for (int j = 0; j < d; j++) {
                f[i * d + j] = (float) (base[i * d + j] + s * (2 * r.nextDouble() - 1));
            }
        }
        return f;
    }

    private static void compareGrads(String what, long[] shape, double[][] g, LossResult res) {
        String[] names = {"anchor", "positive", "negative"};
        for (int k = 0; k < 3; k++) {
            assertAllClose(what + " d/d" + names[k], shape, g[k], res.grad(names[k]).shape(),
                    res.grad(names[k]).toFloatArray(), RTOL, ATOL);
        }
    }

    @Test
    void largeInputMatchesReferenceOnEveryBackend() {
        for (double p : new double[] {2, 1, 3}) {
            for (boolean swap : new boolean[] {false, true}) {
                double margin = 0.5;
                TripletMarginLoss.Builder b = TripletMarginLoss.builder().p(p).swap(swap).margin(margin);
                compareWithReference(b.reduction(Reduction.NONE).build(),
                        b.reduction(swap ? Reduction.SUM : Reduction.MEAN).build(),
                        Distance.pairwise(p), margin, swap, (long) (10 * p) + (swap ? 1 : 0));
            }
        }
    }

    @Test
    void broadcastRowsMatchExpandedReference() {
        SplittableRandom r = new SplittableRandom(40);
        int rows = 1500;
        int d = 48;
        float[] a = uniform(r, rows * d, -2, 2);
        float[] prow = uniform(r, d, -2, 2);
        float[] p = new float[rows * d];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(prow, 0, p, i * d, d);
        }
        float[] n = near(r, a, 1.4);
        double[] w = new double[rows];
        Arrays.fill(w, 1.0 / rows);
        double[][] g = {new double[a.length], new double[a.length], new double[a.length]};
        double[] ref = reference(widen(a), widen(p), widen(n), rows, d, Distance.pairwise(2), 1.0, true, w, g[0], g[1],
                g[2]);
        double mean = Arrays.stream(ref).sum() / rows;
        double[] gprow = new double[d];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < d; j++) {
                gprow[j] += g[1][i * d + j];
            }
        }
        TripletMarginLoss l = TripletMarginLoss.builder().swap(true).build();
        for (Backend b : TestBackends.all()) {
            try (LossResult res = l.forwardBackward(b.tensor(a, rows, d), b.tensor(prow, 1, d), b.tensor(n, rows, d))) {
                assertAllClose(b.name() + " mean", new long[0], new double[] {mean}, res.loss().shape(),
                        res.loss().toFloatArray(), RTOL, ATOL);
                assertAllClose(b.name() + " d/danchor", new long[] {rows, d}, g[0], res.grad("anchor").shape(),
                        res.grad("anchor").toFloatArray(), RTOL, ATOL);
                assertAllClose(b.name() + " d/dpositive (summed over rows)", new long[] {1, d}, gprow,
                        res.grad("positive").shape(), res.grad("positive").toFloatArray(), RTOL, ATOL);
                assertAllClose(b.name() + " d/dnegative", new long[] {rows, d}, g[2], res.grad("negative").shape(),
                        res.grad("negative").toFloatArray(), RTOL, ATOL);
            }
        }
    }

    /** The same call twice is bitwise equal: the loss and every gradient, for each layout path. */
    static void assertDeterministic(Loss l, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 3000;
        int d = 40;
        float[] a = uniform(r, rows * d, -2, 2);
        float[] p = near(r, a, 0.9);
        float[] n = near(r, a, 1.1);
        for (Backend b : TestBackends.all()) {
            Tensor[][] inputs = {
                {b.tensor(a, rows, d), b.tensor(p, rows, d), b.tensor(n, rows, d)},
                {b.tensor(a, rows, d), b.tensor(Arrays.copyOf(p, d), 1, d), b.tensor(n, rows, d)},
            };
            for (Tensor[] in : inputs) {
                try (LossResult first = l.forwardBackward(in); LossResult second = l.forwardBackward(in)) {
                    assertArrayEquals(first.loss().toFloatArray(), second.loss().toFloatArray(), b.name() + " loss");
                    for (String name : l.differentiableArguments()) {
                        assertArrayEquals(first.grad(name).toFloatArray(), second.grad(name).toFloatArray(),
                                b.name() + " d/d" + name);
                    }
                }
            }
        }
    }

    @Test
    void deterministic() {
        assertDeterministic(TripletMarginLoss.builder().swap(true).build(), 50);
        assertDeterministic(TripletMarginLoss.builder().p(3).reduction(Reduction.SUM).build(), 51);
    }
}
