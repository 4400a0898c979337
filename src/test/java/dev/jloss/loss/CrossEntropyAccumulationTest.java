package dev.jloss.loss;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.LossResult;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.testing.TestBackends;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import java.util.stream.Stream;

/**
 * Gradient accumulation over micro-batches of unequal numbers of ignored targets: the accumulated
 * mean and the micro-batches' scaled gradients equal the whole batch's {@code reduction=mean} loss
 * and gradient, with class weights, smoothing, z-loss and softcap, on every backend.
 */
class CrossEntropyAccumulationTest {
    private static final int MICRO = 8;
    private static final int ROWS = 8 * 37;
    private static final int CLASSES = 97;
    private static final double RTOL = 2e-5;
    private static final double ATOL = 1e-7;

    @Test
    void sumsExample() {
        CrossEntropySums a = new CrossEntropySums(6.0, 0, 3, 3);
        CrossEntropySums b = new CrossEntropySums(0.4, 0, 1, 1);
        assertEquals(1.6, a.plus(b).mean(), 1e-15);
        assertEquals(1.6, new CrossEntropyAccumulator().add(a).add(b).mean(), 1e-15);
        assertTrue(Double.isNaN(CrossEntropySums.ZERO.mean()));
    }

    @TestFactory
    Stream<DynamicTest> eightMicroBatchesEqualTheWholeBatch() {
        return TestBackends.all().stream().flatMap(b -> Stream.of(
                DynamicTest.dynamicTest(b.name() + " unweighted", () -> check(b, false)),
                DynamicTest.dynamicTest(b.name() + " weighted", () -> check(b, true))));
    }

    private static void check(Backend b, boolean weighted) {
        Random rnd = new Random(weighted ? 5 : 6);
        float[] x = new float[ROWS * CLASSES];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3 * rnd.nextGaussian());
        }
        long[] t = new long[ROWS];
        for (int i = 0; i < ROWS; i++) {
            // micro-batch k ignores about k/8 of its targets: unequal counts per micro-batch
            int k = i / (ROWS / MICRO);
            t[i] = rnd.nextInt(MICRO) < k ? -100 : rnd.nextInt(CLASSES);
        }
        float[] w = null;
        if (weighted) {
            w = new float[CLASSES];
            for (int i = 0; i < CLASSES; i++) {
                w[i] = (float) (0.1 + 2 * rnd.nextDouble());
            }
        }
        CrossEntropyLoss loss = CrossEntropyLoss.builder().weight(w).labelSmoothing(0.1).lseSquareScale(1e-2)
                .softcap(8).reduction(Reduction.MEAN).build();
        int per = ROWS / MICRO;
        float[] whole;
        float[] wholeGrad;
        try (Tensor xt = b.tensor(x, ROWS, CLASSES); Tensor tt = b.tensor(t, ROWS);
             LossResult r = loss.forwardBackward(xt, tt)) {
            whole = r.loss().toFloatArray();
            wholeGrad = r.grad("input").toFloatArray();
        }
        // pass 1: the denominators of the whole batch; pass 2: each micro-batch's sums and gradient
        CrossEntropyAccumulator stats = new CrossEntropyAccumulator();
        for (int k = 0; k < MICRO; k++) {
            try (Tensor tt = b.tensor(Arrays.copyOfRange(t, k * per, (k + 1) * per), per)) {
                stats.add(loss.targetStats(tt));
            }
        }
        CrossEntropySums global = stats.sums();
        CrossEntropyAccumulator acc = new CrossEntropyAccumulator();
        float[] grad = new float[x.length];
        for (int k = 0; k < MICRO; k++) {
            try (Tensor xt = b.tensor(Arrays.copyOfRange(x, k * per * CLASSES, (k + 1) * per * CLASSES), per, CLASSES);
                 Tensor tt = b.tensor(Arrays.copyOfRange(t, k * per, (k + 1) * per), per);
                 LossResult r = loss.backwardScaled(1 / global.weightSum(), 1.0 / global.count(), xt, tt)) {
                acc.add(loss.sums(xt, tt));
                System.arraycopy(r.grad("input").toFloatArray(), 0, grad, k * per * CLASSES, per * CLASSES);
            }
        }
        assertEquals(global.count(), acc.sums().count());
        assertEquals(global.weightSum(), acc.sums().weightSum(), 1e-9 * global.weightSum());
        String what = b.name() + " " + loss;
        assertAllClose(what + " mean", new long[0], new double[] {acc.mean()}, new long[0], whole, RTOL, ATOL);
        double[] expected = new double[wholeGrad.length];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = wholeGrad[i];
        }
        assertAllClose(what + " accumulated grad", new long[] {ROWS, CLASSES}, expected, new long[] {ROWS, CLASSES},
                grad, RTOL, ATOL);
        // the bug this prevents: the mean of the micro-batches' means differs
        double meanOfMeans = 0;
        for (int k = 0; k < MICRO; k++) {
            try (Tensor xt = b.tensor(Arrays.copyOfRange(x, k * per * CLASSES, (k + 1) * per * CLASSES), per, CLASSES);
                 Tensor tt = b.tensor(Arrays.copyOfRange(t, k * per, (k + 1) * per), per)) {
                meanOfMeans += loss.sums(xt, tt).mean() / MICRO;
            }
        }
        assertTrue(Math.abs(meanOfMeans - acc.mean()) > 1e-3 * Math.abs(acc.mean()),
                "the mean of means should differ: " + meanOfMeans + " vs " + acc.mean());
    }
}
