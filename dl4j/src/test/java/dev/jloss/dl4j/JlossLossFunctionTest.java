package dev.jloss.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.LossArgumentException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossL2;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The ND4J adapter: its scores and gradients equal ND4J's own MCXENT (softmax) and L2 (sigmoid) on the
 * same batch, masks included; a MultiLayerNetwork trained with it tracks one trained with LossMCXENT; a
 * loss ND4J lacks (MultiMarginLoss) trains.
 */
class JlossLossFunctionTest {
    /** Score curves of the same network and seed under LossMCXENT and the adapter. */
    private static final double CURVE_RTOL = 1e-4;
    /** ND4J's and jloss's float32 scores and gradients on one batch. */
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private static final int FEATURES = 16;
    private static final int CLASSES = 5;
    private static final int N = 64;

    private static INDArray gaussian(Random r, long... shape) {
        float[] v = new float[Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (2 * r.nextGaussian());
        }
        return Nd4j.create(v, shape, 'c');
    }

    private static INDArray oneHot(int[] classes, int c) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, classes.length, c);
        for (int i = 0; i < classes.length; i++) {
            y.putScalar(i, classes[i], 1f);
        }
        return y;
    }

    private static int[] classes(Random r, int n) {
        int[] k = new int[n];
        for (int i = 0; i < n; i++) {
            k[i] = r.nextInt(CLASSES);
        }
        return k;
    }

    // ---- one batch: ND4J's own losses vs the adapter ------------------------------------------------------

    /**
     * Every call of the contract, with and without {@code mask}, against ND4J's loss. NOTE: ND4J's losses
     * may overwrite preOutput (LossL2 backprops in place), so each call gets its own copy; the adapter's
     * inputs are checked to be left as they were.
     */
    private static void assertSameAsNd4j(ILossFunction nd4j, IActivation nd4jAct, ILossFunction jloss, IActivation jlossAct,
                                         INDArray labels, INDArray pre, INDArray mask) {
        INDArray pre0 = pre.dup();
        INDArray labels0 = labels.dup();
        for (INDArray m : new INDArray[] {null, mask}) {
            String what = m == null ? "no mask" : "mask " + Arrays.toString(m.shape());
            for (boolean average : new boolean[] {false, true}) {
                assertClose(nd4j.computeScore(labels.dup(), pre.dup(), nd4jAct, m, average),
                        jloss.computeScore(labels, pre, jlossAct, m, average), "score, average=" + average + ", " + what);
            }
            assertClose(nd4j.computeScoreArray(labels.dup(), pre.dup(), nd4jAct, m),
                    jloss.computeScoreArray(labels, pre, jlossAct, m), "score array, " + what);
            INDArray g = nd4j.computeGradient(labels.dup(), pre.dup(), nd4jAct, m);
            assertClose(g, jloss.computeGradient(labels, pre, jlossAct, m), "gradient, " + what);
            Pair<Double, INDArray> both = jloss.computeGradientAndScore(labels, pre, jlossAct, m, true);
            assertClose(nd4j.computeScore(labels.dup(), pre.dup(), nd4jAct, m, true), both.getFirst(), "fused score, " + what);
            assertClose(g, both.getSecond(), "fused gradient, " + what);
        }
        assertEquals(pre0, pre, "the adapter left preOutput as it was");
        assertEquals(labels0, labels, "the adapter left the labels as they were");
    }

    @Test
    void crossEntropyOnLogitsEqualsMcxentOnSoftmax() {
        Random r = new Random(1);
        INDArray pre = gaussian(r, N, CLASSES);
        INDArray labels = oneHot(classes(r, N), CLASSES);
        INDArray mask = Nd4j.create(new float[N], new long[] {N, 1}, 'c');
        for (int i = 0; i < N; i++) {
            mask.putScalar(i, 0, i % 3 == 0 ? 0f : 1f);
        }
        assertSameAsNd4j(new LossMCXENT(), Activation.SOFTMAX.getActivationFunction(),
                JlossLossFunction.of("cross_entropy", Map.of()), Activation.IDENTITY.getActivationFunction(),
                labels, pre, mask);
        // class-index labels (N, 1), the form MultiMargin and NLL take, give the same cross-entropy
        INDArray idx = Nd4j.argMax(labels, 1).castTo(DataType.FLOAT).reshape(N, 1);
        JlossLossFunction ce = JlossLossFunction.of("CrossEntropyLoss", Map.of());
        assertClose(new LossMCXENT().computeScore(labels, pre, Activation.SOFTMAX.getActivationFunction(), null, true),
                ce.computeScore(idx, pre, Activation.IDENTITY.getActivationFunction(), null, true), "class-index labels");
    }

    @Test
    void mseThroughSigmoidEqualsL2WithItsActivationBackprop() {
        Random r = new Random(2);
        INDArray pre = gaussian(r, N, CLASSES);
        INDArray labels = Nd4j.rand(DataType.FLOAT, N, CLASSES);
        INDArray perOutput = Nd4j.rand(DataType.FLOAT, N, CLASSES).gt(0.3).castTo(DataType.FLOAT);
        IActivation sigmoid = Activation.SIGMOID.getActivationFunction();
        // ND4J's L2 is the sum of squared errors per example: mse_loss(reduction=none) summed over the outputs
        assertSameAsNd4j(new LossL2(), sigmoid, JlossLossFunction.of("mse_loss", Map.of()), sigmoid, labels, pre, perOutput);
        INDArray perExample = perOutput.getColumn(0).reshape(N, 1).dup();
        assertSameAsNd4j(new LossL2(), sigmoid, JlossLossFunction.of("mse_loss", Map.of()), sigmoid, labels, pre, perExample);
    }

    // ---- a MultiLayerNetwork: LossMCXENT vs the adapter ---------------------------------------------------

    private static DataSet batch(Random r, float[][] centres, int n, boolean classIndexColumn) {
        float[] x = new float[n * FEATURES];
        int[] k = classes(r, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < FEATURES; j++) {
                x[i * FEATURES + j] = centres[k[i]][j] + 1.5f * (float) r.nextGaussian();
            }
        }
        INDArray labels;
        if (classIndexColumn) {
            float[] kf = new float[n];
            for (int i = 0; i < n; i++) {
                kf[i] = k[i];
            }
            labels = Nd4j.create(kf, new long[] {n, 1}, 'c');
        } else {
            labels = oneHot(k, CLASSES);
        }
        return new DataSet(Nd4j.create(x, new long[] {n, FEATURES}, 'c'), labels);
    }

    private static float[][] centres(long seed) {
        Random r = new Random(seed);
        float[][] c = new float[CLASSES][FEATURES];
        for (float[] row : c) {
            for (int j = 0; j < FEATURES; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        return c;
    }

    /** The score of each of {@code steps} SGD steps of a 16-32-5 network with this output loss. */
    private static double[] train(ILossFunction lossFn, Activation outAct, int steps, boolean classIndexColumn) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(42).updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).dataType(DataType.FLOAT)
                .list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(32).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(lossFn).activation(outAct).nIn(32).nOut(CLASSES).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        float[][] centres = centres(7);
        Random r = new Random(8);
        double[] curve = new double[steps];
        for (int s = 0; s < steps; s++) {
            net.fit(batch(r, centres, 32, classIndexColumn));
            curve[s] = net.score();
        }
        return curve;
    }

    @Test
    void networkTrainedWithTheAdapterTracksLossMcxent() {
        int steps = 200;
        double[] nd4j = train(new LossMCXENT(), Activation.SOFTMAX, steps, false);
        double[] jloss = train(JlossLossFunction.of("cross_entropy", Map.of()), Activation.IDENTITY, steps, false);
        for (int i = 0; i < steps; i++) {
            double rel = Math.abs(nd4j[i] - jloss[i]) / Math.abs(nd4j[i]);
            if (!(rel <= CURVE_RTOL)) {
                throw new AssertionError("step " + i + ": LossMCXENT's score " + nd4j[i] + ", the adapter's " + jloss[i]
                        + ", relative difference " + rel + " > " + CURVE_RTOL);
            }
        }
        assertTrue(nd4j[steps - 1] < 0.5 * nd4j[0], "the network did not learn: " + nd4j[0] + " -> " + nd4j[steps - 1]);
    }

    @Test
    void multiMarginLossTrainsANetwork() {
        int steps = 150;
        double[] curve = train(JlossLossFunction.of("MultiMarginLoss", Map.of("margin", 1.0)), Activation.IDENTITY,
                steps, true);
        double first = Arrays.stream(curve, 0, 10).average().orElseThrow();
        double last = Arrays.stream(curve, steps - 10, steps).average().orElseThrow();
        assertTrue(last < 0.5 * first, "multi_margin_loss did not fall: " + first + " -> " + last);
    }

    // ---- serialization and bad inputs -------------------------------------------------------------------

    @Test
    void serializesByNameAndOptions() throws Exception {
        JlossLossFunction f = JlossLossFunction.of("cross_entropy", Map.of("label_smoothing", 0.2));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(f);
        }
        JlossLossFunction back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (JlossLossFunction) in.readObject();
        }
        Random r = new Random(3);
        INDArray pre = gaussian(r, 8, CLASSES);
        INDArray labels = oneHot(classes(r, 8), CLASSES);
        IActivation id = Activation.IDENTITY.getActivationFunction();
        assertEquals(f.computeScore(labels, pre, id, null, true), back.computeScore(labels, pre, id, null, true), 0.0);
        assertEquals("jloss:CrossEntropyLoss", back.name());
    }

    @Test
    void badInputsNameTheArgument() {
        IActivation id = Activation.IDENTITY.getActivationFunction();
        assertMessage("triplet_margin_loss: forward takes [anchor, positive, negative] (differentiable [anchor, positive, "
                + "negative]), expected (input, target) with input alone differentiable, as ND4J's (labels, preOutput) "
                + "contract", () -> JlossLossFunction.of("TripletMarginLoss", Map.of()));
        assertMessage("cross_entropy: option reduction is set to sum, expected it unset (ND4J's losses reduce per "
                + "example; the adapter runs reduction=none)", () -> JlossLossFunction.of("cross_entropy", Map.of("reduction", "sum")));
        INDArray pre = Nd4j.zeros(DataType.FLOAT, 4, 3);
        assertMessage("cross_entropy: mask has shape [4, 3], expected [4, 1] (per example); a per-output mask needs an "
                + "element-wise loss, this one has one value per example", () -> JlossLossFunction.of("cross_entropy", Map.of())
                .computeGradient(oneHot(new int[] {0, 1, 2, 0}, 3), pre, id, Nd4j.ones(DataType.FLOAT, 4, 3)));
        assertMessage("multi_margin_loss: target holds 0.5 at flat index 1, expected whole numbers (the labels are "
                + "converted to int64)", () -> JlossLossFunction.of("multi_margin_loss", Map.of())
                .computeScore(Nd4j.create(new float[] {0, 0.5f, 1, 2}, new long[] {4, 1}, 'c'), pre, id, null, true));
        // jloss's own checks come through
        assertMessage("multi_margin_loss: target 3 (row 1) is out of bounds for 3 classes, expected a class index in [0, 3)", () -> JlossLossFunction.of("multi_margin_loss", Map.of())
                .computeScore(Nd4j.create(new float[] {0, 3, 1, 2}, new long[] {4, 1}, 'c'), pre, id, null, true));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        LossArgumentException e = assertThrows(LossArgumentException.class, call);
        assertEquals(expected, e.getMessage());
    }

    private static void assertClose(double expected, double actual, String what) {
        if (!(Math.abs(expected - actual) <= ATOL + RTOL * Math.abs(expected))) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), what + ": shape");
        double[] e = expected.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] a = actual.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(e[i] - a[i]) <= ATOL + RTOL * Math.abs(e[i]))) {
                if (bad++ < 5) {
                    first.append(String.format(" [%d] expected %g got %g;", i, e[i], a[i]));
                }
            }
        }
        if (bad > 0) {
            throw new AssertionError(what + ": " + bad + " of " + e.length + " differ:" + first);
        }
    }
}
