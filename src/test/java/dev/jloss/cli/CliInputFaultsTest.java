package dev.jloss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.backend.Backends;
import dev.jloss.io.NpyFile;
import dev.jloss.io.NpyWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An input file truncated or rewritten while it is streamed (docs/FAULTS.md): a clear one-line error
 * with exit status 2, not a wrong value. The file is changed by the test between the first chunk's
 * read and the second's (a source that changes it on cue), so the timing is exact; a file replaced by
 * a rename is read on, consistently, from the file that was opened.
 */
class CliInputFaultsTest {
    private static final int ROWS = 4096;
    private static final int COLS = 8;
    private static final long CHUNK_ROWS = 512;

    @TempDir
    Path tmp;

    /** What the change does to the file, between the first and the second chunk's read. */
    interface Change {
        void apply(Path file) throws IOException;
    }

    @Test
    void truncatedWhileStreamedIsAnErrorNamingTheFile() throws Exception {
        Path in = input("in.npy", 1f);
        Outcome o = streamWhileChanging(in, f -> {
            try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
                r.setLength(r.length() / 2);
            }
        });
        assertEquals(2, o.code, o.err);
        assertTrue(o.err.startsWith("jloss: " + in + ": truncated while being read: the header promises " + ROWS * COLS * 4
                + " bytes of data, the file now has "), o.err);
    }

    @Test
    void rewrittenInPlaceWhileStreamedIsAnError() throws Exception {
        Path in = input("in.npy", 1f);
        Path other = input("other.npy", 2f); // the same size, other values
        Outcome o = streamWhileChanging(in, f -> {
            sleepPastTheTimestampGranularity();
            Files.write(f, Files.readAllBytes(other)); // opens with O_TRUNC: the same file, rewritten
        });
        assertEquals(2, o.code, o.err);
        assertTrue(o.err.startsWith("jloss: " + in + ": changed while being read (modified at "), o.err);
        assertTrue(o.err.strip().endsWith("after it was opened): the values read may mix old and new data"), o.err);
        assertEquals(1, o.err.strip().split("\n").length, o.err);
    }

    @Test
    void replacedByARenameIsReadOnFromTheFileThatWasOpened() throws Exception {
        Path in = input("in.npy", 1f);
        Path other = input("other.npy", 2f);
        Outcome o = streamWhileChanging(in, f -> {
            sleepPastTheTimestampGranularity();
            Files.move(other, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        });
        assertEquals(0, o.code, o.err);
        // MSE against a zero target of an input all 1: exactly 1, from the file opened (2 would give 4)
        assertEquals(1.0, o.value);
    }

    private record Outcome(int code, String err, double value) {
    }

    private Path input(String name, float v) {
        float[] x = new float[ROWS * COLS];
        java.util.Arrays.fill(x, v);
        Path p = tmp.resolve(name);
        NpyWriter.write(p, new long[] {ROWS, COLS}, x);
        return p;
    }

    /** MSELoss(in, zeros) in chunks of 512 rows, {@code change} applied to {@code in} before the second chunk's read. */
    private Outcome streamWhileChanging(Path in, Change change) {
        Path target = tmp.resolve("zeros.npy");
        NpyWriter.write(target, new long[] {COLS}, new float[COLS]);
        StreamingEval.Request q = new StreamingEval.Request();
        q.loss = "MSELoss";
        q.chunkRows = CHUNK_ROWS;
        ArraySource x = ArraySource.of(NpyFile.open(in));
        AtomicInteger reads = new AtomicInteger();
        ArraySource changing = new ArraySource() {
            @Override
            public String label() {
                return x.label();
            }

            @Override
            public long[] shape() {
                return x.shape();
            }

            @Override
            public boolean isFloating() {
                return true;
            }

            @Override
            public String dtypeName() {
                return x.dtypeName();
            }

            @Override
            public void readFloats(long start, float[] dst, int off, int n) {
                if (reads.incrementAndGet() == 2) {
                    try {
                        change.apply(in);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                x.readFloats(start, dst, off, n);
            }

            @Override
            public void readLongs(long start, long[] dst, int off, int n) {
                x.readLongs(start, dst, off, n);
            }

            @Override
            public void close() {
                x.close();
            }
        };
        try (Backend b = Backends.named("cpu"); ArraySource t = ArraySource.of(NpyFile.open(target))) {
            q.tensors.put("input", changing);
            q.tensors.put("target", t);
            q.backend = b;
            try {
                StreamingEval.Result r = StreamingEval.run(q);
                assertTrue(reads.get() >= 2, "the input was read in chunks");
                return new Outcome(0, "", r.value);
            } catch (RuntimeException e) {
                StringWriter err = new StringWriter();
                int code = Main.report(e, false, new PrintWriter(err));
                return new Outcome(code, err.toString(), Double.NaN);
            }
        } finally {
            changing.close();
        }
    }

    /** Linux stamps modification times at timer-tick granularity: a rewrite within it keeps the time. */
    private static void sleepPastTheTimestampGranularity() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
