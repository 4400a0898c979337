package dev.jloss.plan;

import dev.jloss.LossArgumentException;

/**
 * The data-dependent error of the class-index losses ({@link NLLLossPlan}, {@link CrossEntropyLossPlan}):
 * one message for every backend (the CPU kernels throw it as they read the target; the GPU backends
 * rebuild it from the position their error flag reports).
 */
public final class ClassTargetErrors {
    private ClassTargetErrors() {
    }

    /** A class-index target outside {@code [0, classes)} that is not {@code ignoreIndex}. */
    public static LossArgumentException outOfBounds(String fn, long target, long classes, long ignoreIndex) {
        return LossArgumentException.of(fn, "target %d is out of bounds for %d classes (expected a class index in [0, %d) "
                + "or ignore_index %d)", target, classes, classes, ignoreIndex);
    }
}
