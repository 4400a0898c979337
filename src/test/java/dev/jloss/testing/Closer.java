package dev.jloss.testing;

import dev.jloss.Tensor;

/** Closes a call's tensors at the end of a try block, so device buffers do not pile up over a test run. */
public record Closer(Tensor... tensors) implements AutoCloseable {
    @Override
    public void close() {
        for (Tensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }
}
