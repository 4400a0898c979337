package dev.jloss.backend.cpu;

import dev.jloss.LossArgumentException;
import dev.jloss.Tensor;
import dev.jloss.plan.ClassTargetErrors;

/**
 * Reading class-index targets (int64 or int32) for the CPU kernels of nll_loss and cross_entropy,
 * the range check made as each target is read, and the {@code mean}'s denominator, the sum of the
 * targets' weights.
 *
 * <p>A forward-only {@code mean} gets the denominator from the loss pass itself: each chunk adds the
 * weights of its positions and stores the partial at its chunk index ({@link #chunkPartials}), and the
 * partials are added in chunk order ({@link #sumInOrder}). A {@code mean} that writes the gradient needs
 * the denominator first, so it sweeps the targets alone beforehand ({@link #weightSum}), with the same
 * chunks and the same additions in the same order: both give the same bits.
 */
final class ClassTargetsCpu {
    final long[] longs;
    final int[] ints;

    ClassTargetsCpu(Tensor target) {
        this.longs = HostStorage.longs(target);
        this.ints = HostStorage.ints(target);
    }

    /** The target at position {@code i}. */
    long get(int i) {
        return longs != null ? longs[i] : ints[i];
    }

    static LossArgumentException outOfBounds(String fn, long target, long classes, long ignoreIndex) {
        return ClassTargetErrors.outOfBounds(fn, target, classes, ignoreIndex);
    }

    /** The weight a non-ignored target contributes to the denominator; every kernel adds exactly this. */
    static double weightOf(float[] weight, int target) {
        return weight == null ? 1.0 : weight[target];
    }

    /**
     * The mean's denominator, {@code sum weightOf(t)} over the positions whose target is not
     * {@code ignoreIndex}, in chunks of {@code grain} positions added in order. Rejects targets out of
     * range. Reads only the targets: one pass over {@code positions} integers.
     */
    double weightSum(String fn, int positions, long classes, float[] weight, long ignoreIndex, long grain) {
        return CpuParallel.sum(positions, grain, 1, (start, end) -> {
            double sum = 0;
            for (int i = (int) start; i < end; i++) {
                long t = get(i);
                if (t == ignoreIndex) {
                    continue;
                }
                if (t < 0 || t >= classes) {
                    throw outOfBounds(fn, t, classes, ignoreIndex);
                }
                sum += weightOf(weight, (int) t);
            }
            return sum;
        });
    }

    /** One slot per chunk of {@code grain} positions. */
    static double[] chunkPartials(long positions, long grain) {
        return new double[(int) ((positions + grain - 1) / grain)];
    }

    /** The partials added in chunk order, as {@link CpuParallel#sum} adds its chunks. */
    static double sumInOrder(double[] partials) {
        double total = 0.0;
        for (double p : partials) {
            total += p;
        }
        return total;
    }
}
