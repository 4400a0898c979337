package dev.jloss.backend.cpu;

import java.util.stream.IntStream;

/**
 * Deterministic data parallelism for the CPU kernels. Work is cut into chunks whose boundaries
 * depend only on the problem size and the grain, never on the thread count; each chunk
 * accumulates in double, and chunk partials are added in chunk order. So a reduction gives
 * bitwise the same result on 1 or 64 threads, run after run.
 *
 * <p>Exceptions thrown by chunks (e.g. a class index out of range) are collected per chunk and the
 * one from the lowest chunk is rethrown unchanged, so the reported error is deterministic too.
 */
public final class CpuParallel {
    /** Below this many units of work a call runs on the calling thread. */
    static final long SERIAL_CUTOFF = 1 << 15;

    private CpuParallel() {
    }

    /** A chunk of work over {@code [start, end)} returning its partial sum. */
    @FunctionalInterface
    public interface ChunkSum {
        double apply(long start, long end);
    }

    /** A chunk of work over {@code [start, end)}. */
    @FunctionalInterface
    public interface Chunk {
        void apply(long start, long end);
    }

    /**
     * Sum of {@code body} over {@code [0, n)} in chunks of {@code grain} items; {@code cost} is the
     * work per item (e.g. the row width) and decides whether to go parallel.
     */
    public static double sum(long n, long grain, long cost, ChunkSum body) {
        if (n <= 0) {
            return 0.0;
        }
        int chunks = (int) ((n + grain - 1) / grain);
        double[] partial = new double[chunks];
        RuntimeException[] errors = new RuntimeException[chunks];
        IntStream range = IntStream.range(0, chunks);
        if (chunks > 1 && n * Math.max(1, cost) >= SERIAL_CUTOFF) {
            range = range.parallel();
        }
        range.forEach(c -> {
            long s = c * grain;
            long e = Math.min(n, s + grain);
            try {
                partial[c] = body.apply(s, e);
            } catch (RuntimeException ex) {
                errors[c] = ex;
            }
        });
        double total = 0.0;
        for (int c = 0; c < chunks; c++) {
            if (errors[c] != null) {
                throw errors[c];
            }
            total += partial[c];
        }
        return total;
    }

    /** Runs {@code body} over {@code [0, n)} in chunks of {@code grain} items. */
    public static void forEach(long n, long grain, long cost, Chunk body) {
        sum(n, grain, cost, (s, e) -> {
            body.apply(s, e);
            return 0.0;
        });
    }

    /** A grain giving chunks of roughly {@code target} units of work for items costing {@code cost} each. */
    public static long grain(long cost, long target) {
        return Math.max(1, target / Math.max(1, cost));
    }
}
