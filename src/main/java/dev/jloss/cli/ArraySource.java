package dev.jloss.cli;

import dev.jloss.io.NpyFile;

/**
 * Where a tensor's elements come from, read in ranges (C order): a {@code .npy} file, or generated
 * data for the demo. Floating sources become float32 tensors; integer sources become int64 tensors
 * where the loss takes indices, float32 otherwise.
 */
interface ArraySource extends AutoCloseable {
    /** What error messages call it: the file's path. */
    String label();

    long[] shape();

    /** Whether the elements are floating point. */
    boolean isFloating();

    /** NumPy's name of the stored element type ({@code float64}, {@code int32}). */
    String dtypeName();

    /** Elements {@code [start, start + n)} as float32. */
    void readFloats(long start, float[] dst, int off, int n);

    /** Elements {@code [start, start + n)} of an integer source as int64. */
    void readLongs(long start, long[] dst, int off, int n);

    @Override
    void close();

    /** A .npy file as a source. */
    static ArraySource of(NpyFile f) {
        return new ArraySource() {
            @Override
            public String label() {
                return f.path().toString();
            }

            @Override
            public long[] shape() {
                return f.shape();
            }

            @Override
            public boolean isFloating() {
                return f.isFloating();
            }

            @Override
            public String dtypeName() {
                return f.dtype().toString();
            }

            @Override
            public void readFloats(long start, float[] dst, int off, int n) {
                f.readFloats(start, dst, off, n);
            }

            @Override
            public void readLongs(long start, long[] dst, int off, int n) {
                f.readLongs(start, dst, off, n);
            }

            @Override
            public void close() {
                f.close();
            }
        };
    }
}
