package dev.jloss.bench;

import java.util.List;

/**
 * One implementation of one benchmark case: jloss on a backend, or a peer. The three timed calls
 * each finish their work before returning (device queues drained) and free what they allocated;
 * {@link #outputs} returns host copies for the equality check made before any timing.
 */
public interface Impl extends AutoCloseable {
    /** The upstream gradient of the {@code backward} op (a reduced loss: one number). */
    float GRAD_OUTPUT = 0.75f;

    /** The three operations the suite times. */
    enum Op { FORWARD, BACKWARD, FUSED }

    /** The loss (NaN when the op gives none) and the gradients, in jloss's differentiable-argument order. */
    record Outputs(double loss, List<float[]> grads) {
    }

    /** Runs {@code op} once to completion and frees its results; returns something for the blackhole. */
    Object run(Op op);

    /** Runs {@code op} and returns host copies of its results. */
    Outputs outputs(Op op);

    /** Implementation-specific notes for the page (how the loss was mapped), or empty. */
    default String note() {
        return "";
    }

    @Override
    void close();
}
