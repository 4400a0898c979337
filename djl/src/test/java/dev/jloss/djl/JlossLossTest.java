package dev.jloss.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import dev.jloss.Backend;
import dev.jloss.LossArgumentException;
import dev.jloss.LossResult;
import dev.jloss.Tensor;
import dev.jloss.backend.Backends;
import dev.jloss.loss.CrossEntropyLoss;
import dev.jloss.loss.Losses;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The DJL adapter on PyTorch's CPU engine: training an MLP with it tracks DJL's own softmax cross-entropy,
 * its gradient is jloss's, DJL's accumulator sums its values, losses DJL lacks (triplet margin, CTC) train.
 */
class JlossLossTest {
    /** Loss curves of the same model, data and seed under DJL's loss and the adapter. */
    private static final double CURVE_RTOL = 1e-4;
    /** jloss's gradient as it reaches a prediction through DJL's autograd (multiplied by 1 in float32). */
    private static final float GRAD_ATOL = 1e-7f;
    /** DJL's autograd of log-softmax + pick vs jloss's fused gradient, float32 rounding apart. */
    private static final float DJL_GRAD_ATOL = 2e-6f;

    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    // ---- the MLP: DJL's SoftmaxCrossEntropyLoss vs jloss's CrossEntropyLoss ----------------------------

    private static final int FEATURES = 16;
    private static final int CLASSES = 5;
    private static final int BATCH = 32;
    private static final int STEPS = 300;

    /** Synthetic classification: class c's points scatter around a seeded centre. */
    private static float[][] dataset(int n, long seed, float[] labelsOut) {
        Random r = new Random(seed);
        float[][] centres = new float[CLASSES][FEATURES];
        for (float[] c : centres) {
            for (int j = 0; j < FEATURES; j++) {
                c[j] = (float) r.nextGaussian();
            }
        }
        float[][] x = new float[n][FEATURES];
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(CLASSES);
            labelsOut[i] = c;
            for (int j = 0; j < FEATURES; j++) {
                x[i][j] = centres[c][j] + 1.5f * (float) r.nextGaussian();
            }
        }
        return x;
    }

    private static SequentialBlock mlp(int out) {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(32).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(out).build());
    }

    /** Overwrites every parameter with seeded values, so that two trainers start from the same weights. */
    private static void seedParameters(Model model, long seed) {
        Random r = new Random(seed);
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[Math.toIntExact(a.size())];
            double scale = p.getValue().getType() == Parameter.Type.BIAS ? 0.1 : 1 / Math.sqrt(a.getShape().get(1));
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (scale * r.nextGaussian());
            }
            a.set(FloatBuffer.wrap(v));
        }
    }

    /** The loss at each of {@link #STEPS} SGD steps of the MLP trained with {@code loss}. */
    private static float[] trainMlp(Loss loss) {
        int n = 512;
        float[] labels = new float[n];
        float[][] x = dataset(n, 7, labels);
        float[] curve = new float[STEPS];
        try (Model model = Model.newInstance("mlp")) {
            model.setBlock(mlp(CLASSES));
            DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(BATCH, FEATURES));
                seedParameters(model, 11);
                for (int step = 0; step < STEPS; step++) {
                    try (NDManager m = trainer.getManager().newSubManager()) {
                        float[] xb = new float[BATCH * FEATURES];
                        float[] yb = new float[BATCH];
                        int first = (step * BATCH) % n;
                        for (int i = 0; i < BATCH; i++) {
                            System.arraycopy(x[first + i], 0, xb, i * FEATURES, FEATURES);
                            yb[i] = labels[first + i];
                        }
                        NDArray xs = m.create(xb, new Shape(BATCH, FEATURES));
                        NDArray ys = m.create(yb, new Shape(BATCH));
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDList pred = trainer.forward(new NDList(xs));
                            NDArray l = trainer.getLoss().evaluate(new NDList(ys), pred);
                            curve[step] = l.getFloat();
                            gc.backward(l);
                        }
                        trainer.step();
                    }
                }
            }
        }
        return curve;
    }

    @Test
    void mlpTrainedWithTheAdapterTracksDjlsSoftmaxCrossEntropy() {
        float[] djl = trainMlp(Loss.softmaxCrossEntropyLoss());
        float[] jloss = trainMlp(JlossLoss.of("CrossEntropyLoss", Map.of()));
        for (int i = 0; i < STEPS; i++) {
            double rel = Math.abs(djl[i] - jloss[i]) / Math.abs(djl[i]);
            if (rel > CURVE_RTOL) {
                throw new AssertionError("step " + i + ": DJL's loss " + djl[i] + ", the adapter's " + jloss[i]
                        + ", relative difference " + rel + " > " + CURVE_RTOL);
            }
        }
        assertTrue(djl[STEPS - 1] < 0.5 * djl[0], "the MLP did not learn: loss " + djl[0] + " -> " + djl[STEPS - 1]);
    }

    // ---- one batch: the gradient through DJL's autograd is jloss's ---------------------------------------

    @Test
    void gradientThroughDjlsAutogradIsJlossGradient() {
        Random r = new Random(3);
        int n = 37;
        float[] logits = new float[n * CLASSES];
        long[] target = new long[n];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (3 * r.nextGaussian());
        }
        float[] targetF = new float[n];
        for (int i = 0; i < n; i++) {
            target[i] = r.nextInt(CLASSES);
            targetF[i] = target[i];
        }
        CrossEntropyLoss ce = CrossEntropyLoss.builder().labelSmoothing(0.1).build();
        float expectedLoss;
        float[] expectedGrad;
        try (Backend cpu = Backends.named("cpu");
             Tensor x = cpu.tensor(logits, n, CLASSES); Tensor t = cpu.tensor(target, n);
             LossResult res = ce.forwardBackward(x, t)) {
            expectedLoss = res.loss().item();
            expectedGrad = res.grad("input").toFloatArray();
        }
        for (DataType labelType : new DataType[] {DataType.FLOAT32, DataType.INT64, DataType.INT32}) {
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.create(logits, new Shape(n, CLASSES));
                x.setRequiresGradient(true);
                NDArray y = m.create(targetF, new Shape(n)).toType(labelType, false);
                float value;
                try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                    NDArray l = JlossLoss.of(ce).evaluate(new NDList(y), new NDList(x));
                    value = l.getFloat();
                    assertEquals(0, l.getShape().dimension(), "the loss is 0-d, like DJL's");
                    gc.backward(l);
                }
                assertEquals(expectedLoss, value, 0f, "the value is jloss's loss exactly (" + labelType + " labels)");
                assertClose(expectedGrad, x.getGradient().toFloatArray(), GRAD_ATOL, "grad (" + labelType + " labels)");
            }
        }
        // and DJL's own autograd of softmax cross-entropy agrees within float32 rounding (no smoothing here)
        try (NDManager m = manager.newSubManager()) {
            float[][] grads = new float[2][];
            Loss[] losses = {Loss.softmaxCrossEntropyLoss(), JlossLoss.of("cross_entropy", Map.of())};
            for (int k = 0; k < 2; k++) {
                NDArray x = m.create(logits, new Shape(n, CLASSES));
                x.setRequiresGradient(true);
                try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                    gc.backward(losses[k].evaluate(new NDList(m.create(targetF, new Shape(n, 1))), new NDList(x)));
                }
                grads[k] = x.getGradient().toFloatArray();
            }
            assertClose(grads[0], grads[1], DJL_GRAD_ATOL, "DJL's softmax cross-entropy gradient vs the adapter's");
        }
    }

    @Test
    void outsideAGradientCollectorTheValueIsTheSame() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(8, CLASSES));
            NDArray y = m.create(new float[] {0, 1, 2, 3, 4, 0, 1, 2});
            JlossLoss loss = JlossLoss.of("cross_entropy", Map.of());
            float noGrad = loss.evaluate(new NDList(y), new NDList(x)).getFloat();
            float djl = Loss.softmaxCrossEntropyLoss().evaluate(new NDList(y), new NDList(x)).getFloat();
            assertEquals(djl, noGrad, 1e-6f * Math.abs(djl));
            x.setRequiresGradient(true);
            try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                assertEquals(noGrad, loss.evaluate(new NDList(y), new NDList(x)).getFloat(), 0f);
            }
        }
    }

    // ---- DJL's accumulator -------------------------------------------------------------------------------

    @Test
    void accumulatorSumsEvaluateAsDjlsLossesDo() {
        Loss djl = Loss.softmaxCrossEntropyLoss();
        JlossLoss jl = JlossLoss.of("cross_entropy", Map.of());
        try (NDManager m = manager.newSubManager()) {
            for (Loss l : new Loss[] {djl, jl}) {
                l.addAccumulator("train");
                assertTrue(Float.isNaN(l.getAccumulator("train")), "no batch yet: NaN, as DJL's");
            }
            m.getEngine().setRandomSeed(5);
            for (int b = 0; b < 3; b++) {
                NDList pred = new NDList(m.randomNormal(new Shape(16, CLASSES)));
                NDList lab = new NDList(m.randomInteger(0, CLASSES, new Shape(16), DataType.INT64).toType(DataType.FLOAT32, false));
                djl.updateAccumulator("train", lab, pred);
                jl.updateAccumulator("train", lab, pred);
            }
            assertEquals(djl.getAccumulator("train"), jl.getAccumulator("train"), 1e-6f * djl.getAccumulator("train"));
            jl.resetAccumulator("train");
            assertTrue(Float.isNaN(jl.getAccumulator("train")));
            assertThrows(IllegalArgumentException.class, () -> jl.getAccumulator("validate"));
        }
    }

    // ---- losses DJL lacks --------------------------------------------------------------------------------

    /** Mean of the first and the last {@code k} values of a curve. */
    private static double[] ends(List<Float> curve, int k) {
        double a = 0;
        double b = 0;
        for (int i = 0; i < k; i++) {
            a += curve.get(i);
            b += curve.get(curve.size() - 1 - i);
        }
        return new double[] {a / k, b / k};
    }

    @Test
    void tripletMarginLossTrainsAnEmbeddingNet() {
        JlossLoss triplet = JlossLoss.of("TripletMarginLoss", Map.of("margin", 1.0));
        int n = 300;
        float[] labels = new float[n];
        float[][] x = dataset(n, 21, labels);
        Random r = new Random(4);
        List<Float> curve = new ArrayList<>();
        try (Model model = Model.newInstance("embed")) {
            model.setBlock(mlp(8));
            DefaultTrainingConfig config = new DefaultTrainingConfig(triplet)
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(BATCH, FEATURES));
                seedParameters(model, 12);
                for (int step = 0; step < 200; step++) {
                    try (NDManager m = trainer.getManager().newSubManager()) {
                        float[][] abc = new float[3][BATCH * FEATURES];
                        for (int i = 0; i < BATCH; i++) {
                            int a = r.nextInt(n);
                            int p;
                            int q;
                            do {
                                p = r.nextInt(n);
                            } while (labels[p] != labels[a] || p == a);
                            do {
                                q = r.nextInt(n);
                            } while (labels[q] == labels[a]);
                            System.arraycopy(x[a], 0, abc[0], i * FEATURES, FEATURES);
                            System.arraycopy(x[p], 0, abc[1], i * FEATURES, FEATURES);
                            System.arraycopy(x[q], 0, abc[2], i * FEATURES, FEATURES);
                        }
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDList emb = new NDList();
                            for (float[] part : abc) {
                                emb.add(trainer.forward(new NDList(m.create(part, new Shape(BATCH, FEATURES)))).head());
                            }
                            NDArray l = triplet.evaluate(new NDList(), emb);
                            curve.add(l.getFloat());
                            gc.backward(l);
                        }
                        trainer.step();
                    }
                }
            }
        }
        double[] e = ends(curve, 20);
        assertTrue(e[1] < 0.5 * e[0], "triplet loss did not fall: " + e[0] + " -> " + e[1]);
    }

    @Test
    void ctcLossTrainsASequenceModel() {
        // each time step shows a symbol (1..4) or blank (0) in its features; the target is the symbol sequence
        int t = 12;
        int nb = 8;
        int c = 5;
        int s = 4;
        JlossLoss ctc = JlossLoss.of("ctc_loss", Map.of("zero_infinity", true));
        Random r = new Random(9);
        List<Float> curve = new ArrayList<>();
        try (Model model = Model.newInstance("ctc")) {
            model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(c).build())
                    .add(a -> new NDList(a.head().logSoftmax(-1))));
            DefaultTrainingConfig config = new DefaultTrainingConfig(ctc)
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.5f)).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(t, nb, c));
                seedParameters(model, 13);
                for (int step = 0; step < 150; step++) {
                    float[] feat = new float[t * nb * c];
                    long[] targets = new long[nb * s];
                    long[] inLen = new long[nb];
                    long[] tgtLen = new long[nb];
                    for (int b = 0; b < nb; b++) {
                        int len = 2 + r.nextInt(s - 1);
                        tgtLen[b] = len;
                        inLen[b] = t;
                        for (int k = 0; k < len; k++) {
                            targets[b * s + k] = 1 + r.nextInt(c - 1);
                        }
                        // symbol k occupies steps [k*t/len, (k+1)*t/len - 1), a blank closes each span
                        for (int step2 = 0; step2 < t; step2++) {
                            int k = step2 * len / t;
                            boolean blank = (step2 + 1) * len / t != k || step2 == t - 1;
                            int sym = blank ? 0 : (int) targets[b * s + k];
                            for (int j = 0; j < c; j++) {
                                feat[(step2 * nb + b) * c + j] = (j == sym ? 2f : 0f) + 0.3f * (float) r.nextGaussian();
                            }
                        }
                    }
                    try (NDManager m = trainer.getManager().newSubManager()) {
                        NDList lab = new NDList(m.create(targets, new Shape(nb, s)), m.create(inLen), m.create(tgtLen));
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDList pred = trainer.forward(new NDList(m.create(feat, new Shape(t, nb, c))));
                            NDArray l = ctc.evaluate(lab, pred);
                            curve.add(l.getFloat());
                            gc.backward(l);
                        }
                        trainer.step();
                    }
                }
            }
        }
        double[] e = ends(curve, 15);
        assertTrue(e[1] < 0.5 * e[0], "CTC loss did not fall: " + e[0] + " -> " + e[1]);
    }

    // ---- mapping and bad inputs --------------------------------------------------------------------------

    @Test
    void byNameMappingMatchesPyTorchsArgumentNames() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(6, CLASSES));
            NDArray y = m.create(new long[] {0, 1, 2, 3, 4, 0});
            float positional = JlossLoss.of("cross_entropy", Map.of()).evaluate(new NDList(y), new NDList(x)).getFloat();
            x.setName("input");
            y.setName("target");
            JlossLoss byName = JlossLoss.builder(Losses.create("cross_entropy", Map.of()))
                    .mapping(JlossLoss.Mapping.BY_NAME).build();
            assertEquals(positional, byName.evaluate(new NDList(y), new NDList(x)).getFloat(), 0f);
            y.setName("labels");
            LossArgumentException e = assertThrows(LossArgumentException.class,
                    () -> byName.evaluate(new NDList(y), new NDList(x)));
            assertEquals("cross_entropy: label named labels, expected one of [input, target]", e.getMessage());
        }
    }

    @Test
    void badInputsNameTheArgument() {
        assertMessage("cross_entropy: reduction is none, expected mean, sum or batchmean (DJL's autograd does not "
                + "pass a per-element upstream gradient to a Java loss)",
                m -> JlossLoss.of("cross_entropy", Map.of("reduction", "none")));
        assertMessage("cross_entropy: expected 1 predictions [input], got 2", m -> JlossLoss.of("cross_entropy", Map.of())
                .evaluate(new NDList(m.zeros(new Shape(2))), new NDList(m.zeros(new Shape(2, 3)), m.zeros(new Shape(2, 3)))));
        assertMessage("triplet_margin_loss: expected 0 labels [], got 1", m -> JlossLoss.of("triplet_margin_loss", Map.of())
                .evaluate(new NDList(m.zeros(new Shape(2))), new NDList(m.zeros(new Shape(2, 3)),
                        m.zeros(new Shape(2, 3)), m.zeros(new Shape(2, 3)))));
        assertMessage("cross_entropy: target holds 1.5 at flat index 1, expected whole numbers (target is converted "
                + "from float32 to int64)", m -> JlossLoss.of("cross_entropy", Map.of())
                .evaluate(new NDList(m.create(new float[] {0, 1.5f})), new NDList(m.zeros(new Shape(2, 3)))));
        // jloss's own checks come through unchanged
        assertMessage("cross_entropy: target 7 is out of bounds for 3 classes (expected a class index in [0, 3) or ignore_index -100)", m -> JlossLoss.of("cross_entropy", Map.of())
                .evaluate(new NDList(m.create(new long[] {0, 7})), new NDList(m.zeros(new Shape(2, 3)))));
    }

    private static void assertMessage(String expected, Function<NDManager, Object> call) {
        try (NDManager m = manager.newSubManager()) {
            LossArgumentException e = assertThrows(LossArgumentException.class, () -> call.apply(m));
            assertEquals(expected, e.getMessage());
        }
    }

    private static void assertClose(float[] expected, float[] actual, float atol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= atol)) {
                if (bad++ < 5) {
                    first.append(String.format(" [%d] expected %g got %g;", i, expected[i], actual[i]));
                }
            }
        }
        if (bad > 0) {
            throw new AssertionError(what + ": " + bad + " of " + expected.length + " differ by more than " + atol + ":" + first);
        }
    }
}
