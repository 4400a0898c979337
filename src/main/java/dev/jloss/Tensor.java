package dev.jloss;

import dev.jloss.plan.Storage;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, C-ordered array on one backend: float32 data, or int64/int32 class indices and lengths.
 * Host-resident on the CPU backend, device-resident on a GPU backend (it stays there between loss
 * calls; read it back with {@link #toFloatArray()} or {@link #item()} only when needed).
 * Tensors own their storage: close them (or use try-with-resources) to free device memory early.
 *
 * <p>Example: {@code backend.tensor(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)} is a 2×3 matrix.
 */
public final class Tensor implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final long[] shape;
    private final long numel;
    private final Storage storage;

    /** For backends: wraps {@code storage}, which must hold {@code product(shape)} elements of {@code dtype}. */
    public Tensor(Backend backend, DType dtype, long[] shape, Storage storage) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.numel = numel(this.shape);
        this.storage = Objects.requireNonNull(storage, "storage");
    }

    /** Number of elements of a shape; throws on a negative dimension or an overflow. */
    public static long numel(long... shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new LossArgumentException("tensor: shape " + Arrays.toString(shape) + " has a negative dimension");
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public Backend backend() {
        return backend;
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape; {@code []} for a 0-d (scalar) tensor. */
    public long[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code d}; negative {@code d} counts from the end as in PyTorch. */
    public long size(int d) {
        int i = d < 0 ? d + shape.length : d;
        if (i < 0 || i >= shape.length) {
            throw new LossArgumentException("tensor: dimension " + d + " out of range for a " + shape.length + "-d tensor");
        }
        return shape[i];
    }

    public int dim() {
        return shape.length;
    }

    public long numel() {
        return numel;
    }

    /** The backend's storage; for backends and kernels. */
    public Storage storage() {
        return storage;
    }

    /** The single value of a one-element float tensor (a reduced loss). */
    public float item() {
        if (numel != 1) {
            throw new LossArgumentException("tensor: item() needs exactly one element, this tensor has shape "
                    + Arrays.toString(shape));
        }
        return dtype == DType.FLOAT32 ? backend.readFloats(this)[0] : backend.readLongs(this)[0];
    }

    /** Copies the data to the host as floats (integer tensors are converted). */
    public float[] toFloatArray() {
        if (dtype == DType.FLOAT32) {
            return backend.readFloats(this);
        }
        long[] l = backend.readLongs(this);
        float[] f = new float[l.length];
        for (int i = 0; i < l.length; i++) {
            f[i] = l[i];
        }
        return f;
    }

    /** Copies integer data to the host as longs; float tensors are rejected. */
    public long[] toLongArray() {
        if (dtype == DType.FLOAT32) {
            throw new LossArgumentException("tensor: toLongArray() needs an integer tensor, this one is float32");
        }
        return backend.readLongs(this);
    }

    /** A copy of this tensor on {@code other} (or this tensor if it already lives there). */
    public Tensor to(Backend other) {
        if (other == backend) {
            return this;
        }
        return switch (dtype) {
            case FLOAT32 -> other.tensor(toFloatArray(), shape);
            case INT64 -> other.tensor(toLongArray(), shape);
            case INT32 -> {
                long[] l = toLongArray();
                int[] i = new int[l.length];
                for (int k = 0; k < l.length; k++) {
                    i[k] = (int) l[k];
                }
                yield other.tensor(i, shape);
            }
        };
    }

    /** Frees the storage (device memory on a GPU backend). Idempotent. */
    @Override
    public void close() {
        storage.close();
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + ", shape=" + Arrays.toString(shape) + ", backend=" + backend.name() + ")";
    }
}
