package dev.jloss.backend.cpu;

import dev.jloss.LossArgumentException;
import dev.jloss.Tensor;
import dev.jloss.loss.Checks;

/**
 * Reading class-index targets (int64 or int32) for the CPU kernels of nll_loss and cross_entropy,
 * the range check made as each target is read, and the sum of the targets' weights that a fused
 * {@code mean} needs before it writes the gradient.
 */
final class ClassTargetsCpu {
    /** Target positions per chunk of the weight-sum sweep. */
    private static final long GRAIN = 1 << 15;

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
        return Checks.fail(fn, "target %d is out of bounds for %d classes (expected a class index in [0, %d) "
                + "or ignore_index %d)", target, classes, classes, ignoreIndex);
    }

    /**
     * The mean's denominator: {@code sum w[t]} over the positions whose target {@code t} is not
     * {@code ignoreIndex} (their count when {@code weight} is null). Rejects targets out of range.
     * Reads only the targets (a pass over {@code positions} integers, small beside the input); every
     * {@code mean} takes its denominator from here, so forward and fused calls divide by the same bits.
     */
    double weightSum(String fn, int positions, long classes, float[] weight, long ignoreIndex) {
        return CpuParallel.sum(positions, GRAIN, 1, (start, end) -> {
            double sum = 0;
            for (int i = (int) start; i < end; i++) {
                long t = get(i);
                if (t == ignoreIndex) {
                    continue;
                }
                if (t < 0 || t >= classes) {
                    throw outOfBounds(fn, t, classes, ignoreIndex);
                }
                sum += weight == null ? 1 : weight[(int) t];
            }
            return sum;
        });
    }
}
