package dev.jloss.djl.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.jloss.djl.JlossLoss;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/**
 * A DJL training step (forward, loss, backward, SGD update) of one MLP on one batch, with DJL's
 * SoftmaxCrossEntropyLoss and with jloss's CrossEntropyLoss through {@link JlossLoss}; and the loss
 * alone (evaluate + backward on fixed logits). Prints one tab-separated line per measurement:
 * {@code djl  <what>  <impl>  <median ms>  <min ms>}. Not a test: run by scripts/bench-training.sh.
 *
 * <p>Arguments: batch features hidden classes rounds steps-per-round.
 */
public final class TrainingStepBenchmark {
    public static void main(String[] a) {
        int batch = a.length > 0 ? Integer.parseInt(a[0]) : 256;
        int features = a.length > 1 ? Integer.parseInt(a[1]) : 256;
        int hidden = a.length > 2 ? Integer.parseInt(a[2]) : 512;
        int classes = a.length > 3 ? Integer.parseInt(a[3]) : 1000;
        int rounds = a.length > 4 ? Integer.parseInt(a[4]) : 7;
        int steps = a.length > 5 ? Integer.parseInt(a[5]) : 20;
        Random r = new Random(1);
        float[] x = new float[batch * features];
        float[] y = new float[batch];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < batch; i++) {
            y[i] = r.nextInt(classes);
        }
        String shape = "MLP " + features + "-" + hidden + "-" + classes + ", batch " + batch;
        Loss[] losses = {Loss.softmaxCrossEntropyLoss(), JlossLoss.of("cross_entropy", Map.of())};
        String[] impls = {"DJL SoftmaxCrossEntropyLoss", "jloss CrossEntropyLoss"};
        boolean lossOnly = a.length > 6 && a[6].equals("loss-only");
        for (int k = 0; k < 2 && !lossOnly; k++) {
            double[] t = trainStep(losses[k], x, y, batch, features, hidden, classes, rounds, steps);
            System.out.printf("djl\ttraining step (%s)\t%s\t%.4f\t%.4f%n", shape, impls[k], t[0], t[1]);
        }
        for (int k = 0; k < 2; k++) {
            double[] t = lossOnly(losses[k], y, batch, classes, rounds, steps * 5);
            System.out.printf("djl\tloss + backward only (logits %dx%d)\t%s\t%.4f\t%.4f%n", batch, classes, impls[k], t[0], t[1]);
        }
        double[] t = jlossAlone(y, batch, classes, rounds, steps * 5);
        System.out.printf("djl\tloss + backward only (logits %dx%d)\tjloss alone (forwardBackwardInto, no DJL)\t%.4f\t%.4f%n",
                batch, classes, t[0], t[1]);
    }

    private static double[] trainStep(Loss loss, float[] x, float[] y, int batch, int features, int hidden,
                                      int classes, int rounds, int steps) {
        double[] perRound = new double[rounds];
        try (Model model = Model.newInstance("bench")) {
            model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(hidden).build()).add(Activation::relu)
                    .add(Linear.builder().setUnits(classes).build()));
            DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(batch, features));
                for (int round = -2; round < rounds; round++) {   // two rounds of warm-up
                    long t0 = System.nanoTime();
                    for (int s = 0; s < steps; s++) {
                        try (NDManager m = trainer.getManager().newSubManager()) {
                            NDArray xs = m.create(x, new Shape(batch, features));
                            NDArray ys = m.create(y, new Shape(batch));
                            try (GradientCollector gc = trainer.newGradientCollector()) {
                                NDList pred = trainer.forward(new NDList(xs));
                                gc.backward(loss.evaluate(new NDList(ys), pred));
                            }
                            trainer.step();
                        }
                    }
                    if (round >= 0) {
                        perRound[round] = (System.nanoTime() - t0) / 1e6 / steps;
                    }
                }
            }
        }
        return medianMin(perRound);
    }

    private static double[] lossOnly(Loss loss, float[] y, int batch, int classes, int rounds, int steps) {
        Random r = new Random(2);
        float[] logits = new float[batch * classes];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) r.nextGaussian();
        }
        double[] perRound = new double[rounds];
        try (NDManager base = NDManager.newBaseManager()) {
            for (int round = -2; round < rounds; round++) {
                long t0 = System.nanoTime();
                for (int s = 0; s < steps; s++) {
                    try (NDManager m = base.newSubManager()) {
                        NDArray p = m.create(logits, new Shape(batch, classes));
                        p.setRequiresGradient(true);
                        NDArray ys = m.create(y, new Shape(batch));
                        try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                            gc.backward(loss.evaluate(new NDList(ys), new NDList(p)));
                        }
                    }
                }
                if (round >= 0) {
                    perRound[round] = (System.nanoTime() - t0) / 1e6 / steps;
                }
            }
        }
        return medianMin(perRound);
    }

    /** jloss's fused cross-entropy on Java arrays, what the adapter adds its copies and autograd glue to. */
    private static double[] jlossAlone(float[] y, int batch, int classes, int rounds, int steps) {
        Random r = new Random(2);
        float[] logits = new float[batch * classes];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) r.nextGaussian();
        }
        long[] target = new long[batch];
        for (int i = 0; i < batch; i++) {
            target[i] = (long) y[i];
        }
        dev.jloss.Loss ce = dev.jloss.loss.CrossEntropyLoss.builder().build();
        try (dev.jloss.Backend cpu = dev.jloss.backend.Backends.named("cpu")) {
            dev.jloss.Tensor in = cpu.tensor(logits, batch, classes);
            dev.jloss.Tensor t = cpu.tensor(target, batch);
            dev.jloss.Tensor out = cpu.zeros(dev.jloss.DType.FLOAT32);
            dev.jloss.Tensor[] g = {cpu.zeros(dev.jloss.DType.FLOAT32, batch, classes)};
            double[] perRound = new double[rounds];
            for (int round = -2; round < rounds; round++) {
                long t0 = System.nanoTime();
                for (int s = 0; s < steps; s++) {
                    ce.forwardBackwardInto(out, g, in, t);
                }
                if (round >= 0) {
                    perRound[round] = (System.nanoTime() - t0) / 1e6 / steps;
                }
            }
            return medianMin(perRound);
        }
    }

    private static double[] medianMin(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return new double[] {s[s.length / 2], s[0]};
    }
}
