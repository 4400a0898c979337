package dev.jloss.backend.cpu;

import dev.jloss.Tensor;
import dev.jloss.plan.Storage;

/**
 * CPU storage: exactly one of the arrays is set, by dtype. A result array the backend made (a loss's
 * output or gradient) goes back to its {@link HostPool} when the tensor is closed; a closed tensor
 * can no longer be read, since its array may already hold another call's result.
 */
public final class HostStorage implements Storage {
    final float[] f;
    final long[] l;
    final int[] i;
    /** The pool {@link #f} goes back to when the tensor is closed, or null for caller-owned data. */
    private final HostPool pool;
    private volatile boolean closed;

    HostStorage(float[] f, long[] l, int[] i) {
        this(f, l, i, null);
    }

    HostStorage(float[] f, long[] l, int[] i, HostPool pool) {
        this.f = f;
        this.l = l;
        this.i = i;
        this.pool = pool;
    }

    private static HostStorage of(Tensor t) {
        HostStorage s = (HostStorage) t.storage();
        if (s.closed) {
            throw new IllegalStateException("tensor: " + t + " was closed; its memory may hold another result now");
        }
        return s;
    }

    /** The float32 data of a CPU tensor (no copy): kernels read and write it in place. */
    public static float[] floats(Tensor t) {
        return of(t).f;
    }

    /**
     * Integer element {@code k} of a CPU int64 or int32 tensor.
     * NOTE: kernels reading many indices should use {@link #longs}/{@link #ints} directly.
     */
    public static long index(Tensor t, long k) {
        HostStorage s = of(t);
        return s.l != null ? s.l[(int) k] : s.i[(int) k];
    }

    /** The int64 data, or null for an int32 tensor. */
    public static long[] longs(Tensor t) {
        return of(t).l;
    }

    /** The int32 data, or null for an int64 tensor. */
    public static int[] ints(Tensor t) {
        return of(t).i;
    }

    /** All integer elements widened to long (a copy only for int32). */
    public static long[] asLongs(Tensor t) {
        HostStorage s = of(t);
        if (s.l != null) {
            return s.l;
        }
        long[] r = new long[s.i.length];
        for (int k = 0; k < r.length; k++) {
            r[k] = s.i[k];
        }
        return r;
    }

    /**
     * Marks the tensor closed (any later read throws) and gives a pooled result array back for reuse;
     * caller-owned arrays are left to the garbage collector. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pool != null && f != null) {
            pool.give(f);
        }
    }
}
