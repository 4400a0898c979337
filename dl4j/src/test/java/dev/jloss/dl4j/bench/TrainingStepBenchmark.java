package dev.jloss.dl4j.bench;

import dev.jloss.dl4j.JlossLossFunction;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * A Deeplearning4j training step ({@code MultiLayerNetwork.fit} on one batch: forward, loss, backward,
 * SGD update) with LossMCXENT on softmax and with jloss's cross-entropy on identity logits through
 * {@link JlossLossFunction}; and the loss alone ({@code computeGradientAndScore}). Prints one
 * tab-separated line per measurement: {@code dl4j  <what>  <impl>  <median ms>  <min ms>}. Not a
 * test: run by scripts/bench-training.sh. Arguments: batch features hidden classes rounds steps-per-round.
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
        INDArray x = Nd4j.randn(DataType.FLOAT, batch, features);
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, classes);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, r.nextInt(classes), 1f);
        }
        DataSet ds = new DataSet(x, y);
        String shape = "MLP " + features + "-" + hidden + "-" + classes + ", batch " + batch;
        ILossFunction[] losses = {new LossMCXENT(), JlossLossFunction.of("cross_entropy", Map.of())};
        Activation[] acts = {Activation.SOFTMAX, Activation.IDENTITY};
        String[] impls = {"ND4J LossMCXENT (softmax)", "jloss CrossEntropyLoss (identity)"};
        for (int k = 0; k < 2; k++) {
            MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                    .seed(42).updater(new Sgd(0.01)).weightInit(WeightInit.XAVIER).dataType(DataType.FLOAT)
                    .list()
                    .layer(new DenseLayer.Builder().nIn(features).nOut(hidden).activation(Activation.RELU).build())
                    .layer(new OutputLayer.Builder(losses[k]).activation(acts[k]).nIn(hidden).nOut(classes).build())
                    .build();
            MultiLayerNetwork net = new MultiLayerNetwork(conf);
            net.init();
            double[] t = time(rounds, steps, () -> net.fit(ds));
            System.out.printf("dl4j\ttraining step (%s)\t%s\t%.4f\t%.4f%n", shape, impls[k], t[0], t[1]);
        }
        INDArray pre = Nd4j.randn(DataType.FLOAT, batch, classes);
        for (int k = 0; k < 2; k++) {
            ILossFunction f = losses[k];
            IActivation act = acts[k].getActivationFunction();
            double[] t = time(rounds, steps * 5, () -> f.computeGradientAndScore(y, pre.dup(), act, null, true));
            System.out.printf("dl4j\tloss + gradient only (logits %dx%d)\t%s\t%.4f\t%.4f%n", batch, classes, impls[k], t[0], t[1]);
        }
    }

    private static double[] time(int rounds, int steps, Runnable step) {
        double[] perRound = new double[rounds];
        for (int round = -2; round < rounds; round++) {   // two rounds of warm-up
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                step.run();
            }
            if (round >= 0) {
                perRound[round] = (System.nanoTime() - t0) / 1e6 / steps;
            }
        }
        double[] s = perRound.clone();
        Arrays.sort(s);
        return new double[] {s[s.length / 2], s[0]};
    }
}
