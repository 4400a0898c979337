package dev.jloss.loss;

import dev.jloss.Reduction;
import dev.jloss.backend.KernelFamily;

/**
 * A validated CTC loss call. {@code log_probs} is read as {@code (maxTime, batch, classes)}
 * C-contiguous (unbatched input is batch 1), element {@code [t, n, c]} at {@code (t * batch + n) * classes + c};
 * the gradient has the same layout. The lengths and labels are checked by the kernel as it reads them.
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
public record CtcLossPlan(String fn, boolean batched, long maxTime, long batch, long classes, long blank,
                          boolean concatenated, long targetCapacity, Reduction reduction, boolean zeroInfinity) {

    public static final KernelFamily<CtcLossPlan> FAMILY = new KernelFamily<>("ctc_loss", CtcLossPlan.class);
}
