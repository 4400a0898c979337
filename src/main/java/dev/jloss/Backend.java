package dev.jloss;

import dev.jloss.plan.KernelFamily;
import dev.jloss.plan.LossKernel;

/**
 * Where losses run: CUDA, OpenCL or the pure-Java CPU. A backend creates tensors, reads them back
 * and provides one {@link LossKernel} per loss family; the loss objects validate their arguments
 * once and hand a backend pre-validated, contiguous data. The same loss object runs on every backend.
 *
 * <pre>{@code
 * try (Backend backend = Backends.auto()) {   // dev.jloss.backend.Backends     // CUDA > OpenCL > CPU, with a logged reason
 *     Tensor logits = backend.tensor(floats, 4096, 32000);
 *     Tensor labels = backend.tensor(longs, 4096);
 *     LossResult r = CrossEntropyLoss.builder().labelSmoothing(0.1).build().forwardBackward(logits, labels);
 *     float loss = r.loss().item();
 * }
 * }</pre>
 */
public interface Backend extends AutoCloseable {

    /** Short name: {@code cpu}, {@code opencl}, {@code cuda}. */
    String name();

    /** Human-readable device and version description. */
    String description();

    /**
     * Whether this backend computes on the host's own CPU cores (the CPU backend; OpenCL on a CPU device
     * such as PoCL). {@code Backends.auto()} ranks such an OpenCL device below the Java CPU backend.
     */
    default boolean onHostCpu() {
        return false;
    }

    Tensor tensor(float[] data, long... shape);

    Tensor tensor(long[] data, long... shape);

    Tensor tensor(int[] data, long... shape);

    /** A zero-filled tensor. */
    Tensor zeros(DType dtype, long... shape);

    /**
     * A tensor whose contents are unspecified, for results a kernel writes in full: backends may hand
     * out recycled memory (the CPU backend does). By default the same as {@link #zeros}.
     */
    default Tensor empty(DType dtype, long... shape) {
        return zeros(dtype, shape);
    }

    /** Sets every element of a float32 tensor of this backend to 0. */
    void zero(Tensor t);

    /** Copies a float32 tensor of this backend to the host. */
    float[] readFloats(Tensor t);

    /**
     * Copies a float32 tensor of this backend into {@code dst} (at least {@code t.numel()} long), so a
     * caller that reads many results can reuse one array.
     */
    default void readFloats(Tensor t, float[] dst) {
        float[] f = readFloats(t);
        System.arraycopy(f, 0, dst, 0, f.length);
    }

    /** Copies an integer tensor of this backend to the host (int32 widened). */
    long[] readLongs(Tensor t);

    /** This backend's implementation of a loss family; throws {@link BackendException} if it has none. */
    <P> LossKernel<P> kernel(KernelFamily<P> family);

    /** Releases the backend's resources (contexts, cached programs). */
    @Override
    void close();
}
