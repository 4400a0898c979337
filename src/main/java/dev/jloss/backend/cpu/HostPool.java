package dev.jloss.backend.cpu;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The CPU backend's recycled result arrays: a loss's output and gradient arrays go back here when
 * their tensors are closed, and the next call of the same size takes them instead of allocating
 * (a fresh 64 MiB {@code float[]} costs the JVM a zero-fill, a humongous allocation and, soon, a GC;
 * that was 46% of nll_loss backward). Arrays the caller created ({@code backend.tensor(data)}) are
 * never pooled.
 *
 * <p>Bounded: at most {@link #CAPACITY_BYTES} are held (a quarter of the heap, at most 1 GiB); an array
 * given back beyond that is left to the garbage collector. An array is handed out either dirty (for a
 * kernel that writes every element, see {@code LossKernel.writesEveryElement}) or zero-filled.
 *
 * <p>{@code -Djloss.cpu.poison=true} (set in the tests) fills every dirty array handed out with NaN,
 * new ones included, so that a kernel claiming to write every element but skipping one fails the
 * golden suite instead of passing on zeros by luck.
 */
final class HostPool {
    static final long CAPACITY_BYTES = Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 4);
    private static final int MIN_POOLED = 1024;
    static final boolean POISON = Boolean.getBoolean("jloss.cpu.poison");

    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private long heldBytes;

    /** An array of {@code n} floats with unspecified contents (NaN under poison). */
    float[] dirty(int n) {
        float[] a = n >= MIN_POOLED ? take(n) : null;
        if (a == null) {
            a = new float[n];
        }
        if (POISON) {
            Arrays.fill(a, Float.NaN);
        }
        return a;
    }

    /** An array of {@code n} zeros. */
    float[] zeroed(int n) {
        float[] a = n >= MIN_POOLED ? take(n) : null;
        if (a == null) {
            return new float[n];
        }
        CpuParallel.forEach(n, 1 << 20, 1, (s, e) -> Arrays.fill(a, (int) s, (int) e, 0f));
        return a;
    }

    private synchronized float[] take(int n) {
        ArrayDeque<float[]> q = free.get(n);
        float[] a = q == null ? null : q.pollLast();
        if (a != null) {
            heldBytes -= 4L * n;
        }
        return a;
    }

    /** Takes back an array the backend handed out; kept if there is room. */
    synchronized void give(float[] a) {
        long bytes = 4L * a.length;
        if (a.length < MIN_POOLED || heldBytes + bytes > CAPACITY_BYTES) {
            return;
        }
        free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
        heldBytes += bytes;
    }

    /** Bytes held for reuse now (tests). */
    synchronized long heldBytes() {
        return heldBytes;
    }
}
