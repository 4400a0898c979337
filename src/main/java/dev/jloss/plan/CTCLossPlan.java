package dev.jloss.plan;

import dev.jloss.LossArgumentException;
import dev.jloss.Reduction;

/**
 * A validated CTC loss call. {@code log_probs} is read as {@code (maxTime, batch, classes)}
 * C-contiguous (unbatched input is batch 1), element {@code [t, n, c]} at {@code (t * batch + n) * classes + c};
 * the gradient has the same layout. The lengths and labels are checked by the kernel as it reads them;
 * the messages of those data checks are built here, so every backend reports them in the same words.
 *
 * @param fn             the loss's functional name, for data-dependent error messages
 * @param batched        false for unbatched {@code (T, C)} input (the output of {@code none} is then 0-d)
 * @param maxTime        T, the time steps of log_probs (at least 1)
 * @param batch          N, the samples (1 when unbatched)
 * @param classes        C, the classes including the blank
 * @param blank          the blank's class index, in {@code [0, classes)}
 * @param concatenated   targets is 1-D: the samples' labels one after another, sample {@code n} starting at
 *                       the sum of the earlier target lengths; otherwise padded {@code (batch, targetCapacity)}
 * @param targetCapacity S, the padded row length, or the concatenated length (their sum must equal it)
 * @param zeroInfinity   an infinite loss (and its gradient) becomes 0
 */
public record CTCLossPlan(String fn, boolean batched, long maxTime, long batch, long classes, long blank,
                          boolean concatenated, long targetCapacity, Reduction reduction, boolean zeroInfinity) {

    public static final KernelFamily<CTCLossPlan> FAMILY = new KernelFamily<>("ctc_loss", CTCLossPlan.class);

    /** {@code input_lengths[sample]} is outside {@code [0, maxTime]}. */
    public LossArgumentException inputLengthError(long sample, long value) {
        return LossArgumentException.of(fn, "input_lengths[%d] is %d, expected a value in [0, %d] (the time steps of log_probs)",
                sample, value, maxTime);
    }

    /** Padded targets: {@code target_lengths[sample]} is outside {@code [0, targetCapacity]}. */
    public LossArgumentException paddedTargetLengthError(long sample, long value) {
        return LossArgumentException.of(fn, "target_lengths[%d] is %d, expected a value in [0, %d] (the padded length of targets "
                + "[%d, %d])", sample, value, targetCapacity, batch, targetCapacity);
    }

    /** Concatenated targets: {@code target_lengths[sample]} is negative. */
    public LossArgumentException negativeTargetLengthError(long sample, long value) {
        return LossArgumentException.of(fn, "target_lengths[%d] is %d, expected at least 0", sample, value);
    }

    /** Concatenated targets: the target lengths add up to {@code sum} (or overflow), not {@code targetCapacity}. */
    public LossArgumentException targetSumError(boolean overflow, long sum) {
        return LossArgumentException.of(fn, "target_lengths sum to %s, expected %d (the length of the concatenated targets)",
                overflow ? "more than 2^63-1" : String.valueOf(sum), targetCapacity);
    }

    /**
     * Label {@code j} of {@code sample}, element {@code element} of targets, is the blank or outside
     * {@code [0, classes)}; {@code label} is its integer value (-1 for a non-finite float) and {@code value}
     * how it is shown (the float as written for float targets).
     */
    public LossArgumentException labelError(long sample, long j, long element, long label, String value) {
        String at = concatenated ? String.valueOf(element) : sample + ", " + j;
        return label == blank
                ? LossArgumentException.of(fn, "targets[%s] is %s, the blank index, expected a label other than blank=%d (label %d "
                        + "of sample %d)", at, value, blank, j, sample)
                : LossArgumentException.of(fn, "targets[%s] is %s, expected a class index in [0, %d) (label %d of sample %d)",
                        at, value, classes, j, sample);
    }

    /** The CPU backend holds one array of alpha values per sample, of at most 2^31-9 cells. */
    public LossArgumentException tooManyAlphaCells(long sample, long cells, long inputLength, long targetLength) {
        return LossArgumentException.of(fn, "sample %d needs %d alpha values (input length %d, target length %d), "
                + "expected at most 2^31-9 on the CPU backend", sample, cells, inputLength, targetLength);
    }
}
