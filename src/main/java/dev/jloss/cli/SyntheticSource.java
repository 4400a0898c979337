package dev.jloss.cli;

/** Deterministic generated data: element i is a hash of (seed, i), so any chunk can be produced alone. */
final class SyntheticSource implements ArraySource {
    private final long[] shape;
    private final long seed;
    private final boolean ints;
    private final double lo;
    private final double hi;
    private final long classes;

    private SyntheticSource(long[] shape, long seed, boolean ints, double lo, double hi, long classes) {
        this.shape = shape.clone();
        this.seed = seed;
        this.ints = ints;
        this.lo = lo;
        this.hi = hi;
        this.classes = classes;
    }

    static SyntheticSource uniform(long[] shape, long seed, double lo, double hi) {
        return new SyntheticSource(shape, seed, false, lo, hi, 0);
    }

    static SyntheticSource classes(long[] shape, long seed, long classes) {
        return new SyntheticSource(shape, seed, true, 0, 0, classes);
    }

    /** SplitMix64's finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public String label() {
        return "synthetic " + (ints ? "labels" : "data");
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean isFloating() {
        return !ints;
    }

    @Override
    public String dtypeName() {
        return ints ? "int64" : "float32";
    }

    @Override
    public void readFloats(long start, float[] dst, int off, int n) {
        long base = seed * 0x9e3779b97f4a7c15L + start;
        double scale = (hi - lo) * 0x1p-53;
        for (int i = 0; i < n; i++) {
            dst[off + i] = (float) (lo + (mix(base + i) >>> 11) * scale);
        }
    }

    @Override
    public void readLongs(long start, long[] dst, int off, int n) {
        long base = seed * 0x9e3779b97f4a7c15L + start;
        for (int i = 0; i < n; i++) {
            dst[off + i] = Long.remainderUnsigned(mix(base + i), classes);
        }
    }

    @Override
    public void close() {
        // nothing held
    }
}
