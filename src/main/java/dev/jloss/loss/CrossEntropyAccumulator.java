package dev.jloss.loss;

/**
 * Adds micro-batches' {@link CrossEntropySums} into the batch's: {@code mean()} after 8 micro-batches
 * is the mean over the 8 taken as one batch (one denominator for all, not an average of means).
 * The sums are compensated (Neumaier), so the result does not drift with the number or order of
 * micro-batches beyond a few units in the last place of a double; the counts are exact. Not
 * thread-safe: one accumulator per loop (or merge them with {@link #add(CrossEntropyAccumulator)}).
 *
 * <pre>{@code
 * CrossEntropyAccumulator acc = new CrossEntropyAccumulator();
 * for (var mb : microBatches) acc.add(loss.sums(mb.logits(), mb.labels()));
 * double mean = acc.mean();                          // == the whole batch's reduction=mean
 * }</pre>
 * For the gradients of that mean, the denominators must be known before the micro-batches' backward
 * passes: count them first ({@link CrossEntropyLoss#targetStats}) and pass {@code 1 / weightSum} and
 * {@code 1 / count} to {@link CrossEntropyLoss#backwardScaled}.
 */
public final class CrossEntropyAccumulator {
    private final double[] loss = new double[2];
    private final double[] z = new double[2];
    private final double[] weights = new double[2];
    private long count;

    public CrossEntropyAccumulator add(CrossEntropySums s) {
        add(loss, s.lossSum());
        add(z, s.zLossSum());
        add(weights, s.weightSum());
        count += s.count();
        return this;
    }

    public CrossEntropyAccumulator add(CrossEntropyAccumulator other) {
        return add(other.sums());
    }

    /** The sums so far (ZERO before any micro-batch). */
    public CrossEntropySums sums() {
        return new CrossEntropySums(loss[0] + loss[1], z[0] + z[1], weights[0] + weights[1], count);
    }

    /** The mean over every micro-batch added, as one batch. */
    public double mean() {
        return sums().mean();
    }

    /** Neumaier's compensated sum: acc[0] the sum, acc[1] the lost low-order part. */
    private static void add(double[] acc, double v) {
        double s = acc[0];
        double t = s + v;
        acc[1] += Math.abs(s) >= Math.abs(v) ? (s - t) + v : (v - t) + s;
        acc[0] = t;
    }
}
