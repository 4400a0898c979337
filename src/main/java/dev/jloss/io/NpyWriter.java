package dev.jloss.io;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Writes a C-ordered little-endian float32 or int64 {@code .npy} file whose shape is known up front,
 * in pieces and in any order ({@link #write} at an element offset, or {@link #append}), so outputs
 * larger than memory stream to disk. The header is NumPy's: version 1.0 (2.0 when the header would
 * not fit in 64 KiB), padded with spaces so that the data starts at a multiple of 64 bytes.
 * {@link #finish()} checks that every element was written exactly once in total count.
 */
public final class NpyWriter implements Closeable {
    private static final int BUFFER_BYTES = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final NpyDType dtype;
    private final long[] shape;
    private final long numel;
    private final long dataOffset;
    private final ByteBuffer buffer;
    private long written;
    private long appendAt;

    private NpyWriter(Path path, FileChannel channel, NpyDType dtype, long[] shape, long dataOffset) {
        this.path = path;
        this.channel = channel;
        this.dtype = dtype;
        this.shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        this.numel = n;
        this.dataOffset = dataOffset;
        this.buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Creates (or truncates) {@code path} and writes the header of a float32 array of {@code shape}. */
    public static NpyWriter create(Path path, long... shape) {
        return create(path, NpyDType.FLOAT32, shape);
    }

    /** Creates (or truncates) {@code path} for an array of FLOAT32 or INT64 elements. */
    public static NpyWriter create(Path path, NpyDType dtype, long... shape) {
        checkDType(dtype);
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write: " + e.getMessage(), e);
        }
        return create(path, ch, dtype, shape);
    }

    /**
     * A writer over a channel the caller opened for writing ({@code path} names it in messages): the
     * writer owns it from now on and closes it, also when writing the header fails.
     */
    public static NpyWriter create(Path path, FileChannel ch, NpyDType dtype, long... shape) {
        try {
            checkDType(dtype);
        } catch (IllegalArgumentException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the caller's mistake is the error to report
            }
            throw e;
        }
        byte[] header = header(dtype.descr(ByteOrder.LITTLE_ENDIAN), shape);
        try {
            try {
                ByteBuffer hb = ByteBuffer.wrap(header);
                while (hb.hasRemaining()) {
                    ch.write(hb, hb.position());
                }
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            return new NpyWriter(path, ch, dtype, shape, header.length);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write: " + e.getMessage(), e);
        }
    }

    private static void checkDType(NpyDType dtype) {
        if (dtype != NpyDType.FLOAT32 && dtype != NpyDType.INT64) {
            throw new IllegalArgumentException("NpyWriter writes float32 or int64, not " + dtype);
        }
    }

    /** Writes a whole float32 array in one call. */
    public static void write(Path path, long[] shape, float[] data) {
        try (NpyWriter w = create(path, shape)) {
            w.append(data, 0, data.length);
            w.finish();
        }
    }

    /** Writes a whole int64 array in one call. */
    public static void write(Path path, long[] shape, long[] data) {
        try (NpyWriter w = create(path, NpyDType.INT64, shape)) {
            w.append(data, 0, data.length);
            w.finish();
        }
    }

    /**
     * NumPy's header bytes: magic, version, length, and the dict padded with spaces and ending in a
     * newline so that magic + length + dict is a multiple of 64 bytes.
     */
    static byte[] header(String descr, long[] shape) {
        StringBuilder sb = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            sb.append(shape[i]).append(shape.length == 1 ? "," : i + 1 < shape.length ? ", " : "");
        }
        sb.append("), }");
        boolean v2 = sb.length() + 11 > 65535;
        int pre = v2 ? 12 : 10;
        int total = pre + sb.length() + 1;
        int padded = (total + 63) / 64 * 64;
        sb.append(" ".repeat(padded - total)).append('\n');
        byte[] dict = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(pre + dict.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(NpyHeader.MAGIC).put((byte) (v2 ? 2 : 1)).put((byte) 0);
        if (v2) {
            b.putInt(dict.length);
        } else {
            b.putShort((short) dict.length);
        }
        b.put(dict);
        return b.array();
    }

    public Path path() {
        return path;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Writes floats at the current append position (after the previous append). */
    public void append(float[] data, int off, int n) {
        write(appendAt, data, off, n);
        appendAt += n;
    }

    /** Writes longs at the current append position. */
    public void append(long[] data, int off, int n) {
        write(appendAt, data, off, n);
        appendAt += n;
    }

    /** Writes {@code data[off..off+n)} as elements {@code [element, element + n)}. */
    public void write(long element, float[] data, int off, int n) {
        check(NpyDType.FLOAT32, element, n);
        int step = BUFFER_BYTES / 4;
        for (int done = 0; done < n; ) {
            int k = Math.min(step, n - done);
            buffer.clear();
            buffer.asFloatBuffer().put(data, off + done, k);
            flush(element + done, 4L * k);
            done += k;
        }
        written += n;
    }

    /** Writes {@code data[off..off+n)} as elements {@code [element, element + n)}. */
    public void write(long element, long[] data, int off, int n) {
        check(NpyDType.INT64, element, n);
        int step = BUFFER_BYTES / 8;
        for (int done = 0; done < n; ) {
            int k = Math.min(step, n - done);
            buffer.clear();
            buffer.asLongBuffer().put(data, off + done, k);
            flush(element + done, 8L * k);
            done += k;
        }
        written += n;
    }

    private void check(NpyDType t, long element, int n) {
        if (t != dtype) {
            throw new IllegalStateException("internal error: writing " + t + " into " + path + " (" + dtype + ")");
        }
        if (element < 0 || n < 0 || element + n > numel) {
            throw new IllegalStateException("internal error: write of elements [" + element + ", " + (element + n)
                    + ") into " + path + " with shape " + Arrays.toString(shape));
        }
    }

    private void flush(long element, long bytes) {
        buffer.position(0).limit((int) bytes);
        long pos = dataOffset + element * dtype.bytes();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer, pos + buffer.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Checks that as many elements were written as the shape holds, and forces the data to disk. */
    public void finish() {
        if (written != numel) {
            throw new IllegalStateException("internal error: " + path + " got " + written + " of " + numel + " elements");
        }
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot write: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot close: " + e.getMessage(), e);
        }
    }
}
