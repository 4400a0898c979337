package dev.jloss.plan;

/** A backend's memory behind one {@link dev.jloss.Tensor}: host arrays or a device buffer. */
public interface Storage extends AutoCloseable {
    /** Frees the memory; idempotent. */
    @Override
    void close();
}
