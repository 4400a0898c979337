package dev.jloss.io;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

/**
 * A {@code .npy} file open for reading ranges of elements, converted on the way: floating types to
 * float32, integer and bool types to int64; either byte order.
 *
 * <p>Our own reader rather than a library: the maintained Java readers (e.g. in ND4J or DJL) load
 * the whole array into memory, and the command line must stream files far larger than the heap. Reads
 * go through one reused 1 MiB direct buffer with positional {@link FileChannel} reads, so memory use
 * does not grow with the file and any range (a batch slice, or a slice along dimension 1 of a
 * {@code (T, N, C)} array) costs one read per contiguous run.
 *
 * <p>A file truncated or rewritten while it is read is an error, not a wrong value: after each range
 * read, the file (the same one, by its file key) must still have the size and modification time it
 * had when it was opened. A file replaced by a rename is not an error: the open channel goes on
 * reading the old one, consistently. NOTE: a rewrite within the file system's timestamp granularity
 * of the open (a few ms on Linux) that keeps the size cannot be seen.
 *
 * <p>Errors name the file: {@code target.npy: truncated: the header promises 80 bytes of data ...}.
 */
public final class NpyFile implements Closeable {
    private static final int BUFFER_BYTES = 1 << 20;

    private final Path path;
    private final String label;
    private final FileChannel channel;
    private final NpyHeader header;
    /** The file as it was opened: what each read checks against (null where the file system has no attributes). */
    private final BasicFileAttributes opened;
    private ByteBuffer buffer;

    private NpyFile(Path path, FileChannel channel, NpyHeader header, BasicFileAttributes opened) {
        this.path = path;
        this.label = path.toString();
        this.channel = channel;
        this.header = header;
        this.opened = opened;
    }

    /**
     * Opens and validates {@code path}: the header, the dtype, C order, and that the file holds all
     * the data the header promises. Throws {@link NpyFormatException} (an IllegalArgumentException)
     * naming the file for a missing, unreadable or malformed file.
     */
    public static NpyFile open(Path path) {
        if (Files.isDirectory(path)) {
            throw new NpyFormatException(path + ": is a directory, expected a .npy file");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NpyFormatException(path + ": no such file");
        } catch (AccessDeniedException e) {
            throw new NpyFormatException(path + ": permission denied");
        } catch (IOException e) {
            throw new NpyFormatException(path + ": cannot open: " + e.getMessage());
        }
        try {
            BasicFileAttributes a = attributes(path);
            return new NpyFile(path, ch, NpyHeader.read(ch, path.toString()), a);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new NpyFormatException(path + ": cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** Reads a whole (small) file as float32 values: a tensor option such as a class weight. */
    public static float[] readAllFloats(Path path, long[][] shapeOut) {
        try (NpyFile f = open(path)) {
            long n = f.numel();
            if (n > Integer.MAX_VALUE - 8) {
                throw new NpyFormatException(path + ": " + n + " elements is too many to hold in memory");
            }
            float[] v = new float[(int) n];
            f.readFloats(0, v, 0, v.length);
            if (shapeOut != null) {
                shapeOut[0] = f.shape();
            }
            return v;
        }
    }

    public Path path() {
        return path;
    }

    public NpyHeader header() {
        return header;
    }

    public NpyDType dtype() {
        return header.dtype();
    }

    public long[] shape() {
        return header.shape();
    }

    public long numel() {
        return header.numel();
    }

    /** Whether the data is floating point (float16/32/64); otherwise integer or bool. */
    public boolean isFloating() {
        return header.dtype().isFloating();
    }

    /** Reads elements {@code [start, start + n)} (C order) into {@code dst[off..]}, converted to float32. */
    public synchronized void readFloats(long start, float[] dst, int off, int n) {
        NpyDType t = header.dtype();
        int per = t.bytes();
        int step = BUFFER_BYTES / per;
        for (int done = 0; done < n; ) {
            int k = Math.min(step, n - done);
            ByteBuffer b = fill(start + done, k);
            int o = off + done;
            switch (t) {
                case FLOAT32 -> b.asFloatBuffer().get(dst, o, k);
                case FLOAT64 -> {
                    var d = b.asDoubleBuffer();
                    for (int i = 0; i < k; i++) {
                        dst[o + i] = (float) d.get(i);
                    }
                }
                case FLOAT16 -> {
                    var s = b.asShortBuffer();
                    for (int i = 0; i < k; i++) {
                        dst[o + i] = halfToFloat(s.get(i));
                    }
                }
                default -> {
                    for (int i = 0; i < k; i++) {
                        dst[o + i] = integer(b, i);
                    }
                }
            }
            done += k;
        }
        checkUnchanged();
    }

    /** Reads integer or bool elements {@code [start, start + n)} into {@code dst[off..]}, widened to int64. */
    public synchronized void readLongs(long start, long[] dst, int off, int n) {
        NpyDType t = header.dtype();
        if (t.isFloating()) {
            throw new IllegalStateException("internal error: " + label + " holds " + t + ", not integers");
        }
        int step = BUFFER_BYTES / t.bytes();
        for (int done = 0; done < n; ) {
            int k = Math.min(step, n - done);
            ByteBuffer b = fill(start + done, k);
            int o = off + done;
            if (t == NpyDType.INT64) {
                b.asLongBuffer().get(dst, o, k);
            } else {
                for (int i = 0; i < k; i++) {
                    dst[o + i] = integer(b, i);
                }
            }
            done += k;
        }
        checkUnchanged();
    }

    private long integer(ByteBuffer b, int i) {
        return switch (header.dtype()) {
            case INT8 -> b.get(i);
            case UINT8 -> b.get(i) & 0xff;
            case BOOL -> b.get(i) != 0 ? 1 : 0;
            case INT16 -> b.getShort(2 * i);
            case UINT16 -> b.getShort(2 * i) & 0xffff;
            case INT32 -> b.getInt(4 * i);
            case UINT32 -> b.getInt(4 * i) & 0xffffffffL;
            case INT64 -> b.getLong(8 * i);
            default -> throw new IllegalStateException("internal error: " + header.dtype() + " is not an integer type");
        };
    }

    /** Reads {@code k} elements from element {@code start} into the buffer, flipped for reading. */
    private ByteBuffer fill(long start, int k) {
        long count = (long) k * header.dtype().bytes();
        if (start < 0 || start + k > header.numel()) {
            throw new IllegalStateException("internal error: read of elements [" + start + ", " + (start + k) + ") of "
                    + label + " with shape " + Arrays.toString(header.shape()));
        }
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
        }
        ByteBuffer b = buffer;
        b.clear().limit((int) count);
        long pos = header.dataOffset() + start * header.dtype().bytes();
        try {
            while (b.hasRemaining()) {
                int r = channel.read(b, pos + b.position());
                if (r < 0) {
                    throw new NpyFormatException(label + ": truncated: the file ended while reading its data"
                            + " (was it changed while being read?)");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(label + ": read failed: " + e.getMessage(), e);
        }
        b.flip();
        return b.order(header.order());
    }

    private static BasicFileAttributes attributes(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * Throws if the file was truncated or rewritten since it was opened: the values just read may mix
     * old and new data.
     */
    private void checkUnchanged() {
        long need = header.dataOffset() + header.dataBytes();
        long size;
        try {
            size = channel.size();
        } catch (IOException e) {
            throw new UncheckedIOException(label + ": read failed: " + e.getMessage(), e);
        }
        if (size < need) {
            throw new NpyFormatException(label + ": truncated while being read: the header promises " + header.dataBytes()
                    + " bytes of data, the file now has " + Math.max(0, size - header.dataOffset()));
        }
        if (opened == null) {
            return;
        }
        BasicFileAttributes now = attributes(path);
        if (now == null || opened.fileKey() == null || !opened.fileKey().equals(now.fileKey())) {
            return; // replaced by another file (a rename): this channel still reads the one it opened
        }
        if (now.size() != opened.size() || !now.lastModifiedTime().equals(opened.lastModifiedTime())) {
            throw new NpyFormatException(label + ": changed while being read (modified at " + now.lastModifiedTime()
                    + ", after it was opened): the values read may mix old and new data");
        }
    }

    /** IEEE 754 half precision to float. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // read-only channel: nothing was lost
        }
    }

    @Override
    public String toString() {
        return label + " (" + header.dtype() + ", shape " + Arrays.toString(header.shape()) + ")";
    }
}
