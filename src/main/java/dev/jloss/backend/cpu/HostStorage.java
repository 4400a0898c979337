package dev.jloss.backend.cpu;

import dev.jloss.Tensor;
import dev.jloss.plan.Storage;

/** CPU storage: exactly one of the arrays is set, by dtype. Nothing to free but the reference. */
public final class HostStorage implements Storage {
    final float[] f;
    final long[] l;
    final int[] i;

    HostStorage(float[] f, long[] l, int[] i) {
        this.f = f;
        this.l = l;
        this.i = i;
    }

    /** The float32 data of a CPU tensor (no copy): kernels read and write it in place. */
    public static float[] floats(Tensor t) {
        return ((HostStorage) t.storage()).f;
    }

    /**
     * Integer element {@code k} of a CPU int64 or int32 tensor.
     * NOTE: kernels reading many indices should use {@link #longs}/{@link #ints} directly.
     */
    public static long index(Tensor t, long k) {
        HostStorage s = (HostStorage) t.storage();
        return s.l != null ? s.l[(int) k] : s.i[(int) k];
    }

    /** The int64 data, or null for an int32 tensor. */
    public static long[] longs(Tensor t) {
        return ((HostStorage) t.storage()).l;
    }

    /** The int32 data, or null for an int64 tensor. */
    public static int[] ints(Tensor t) {
        return ((HostStorage) t.storage()).i;
    }

    /** All integer elements widened to long (a copy only for int32). */
    public static long[] asLongs(Tensor t) {
        HostStorage s = (HostStorage) t.storage();
        if (s.l != null) {
            return s.l;
        }
        long[] r = new long[s.i.length];
        for (int k = 0; k < r.length; k++) {
            r[k] = s.i[k];
        }
        return r;
    }

    @Override
    public void close() {
        // Java arrays are freed by the garbage collector once the tensor is unreachable.
    }
}
