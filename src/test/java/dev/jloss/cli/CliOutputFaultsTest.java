package dev.jloss.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.backend.Backends;
import dev.jloss.io.NpyFile;
import dev.jloss.io.NpyWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --out} under faults (docs/FAULTS.md): a failed run removes every directory it created, a
 * full disk is exit status 2 with one line and leaves {@code --out} as it was, and a process killed
 * with SIGKILL in the middle of writing never leaves an {@code output.npy} that looks complete.
 */
class CliOutputFaultsTest {
    /** 256 Ki rows of 4 float32: a 4 MiB output, four times the 1 MiB tmpfs. */
    private static final int ROWS = 1 << 18;
    private static final int COLS = 4;

    @TempDir
    static Path tmp;

    private static Path input;
    private static Path target;
    private static Path badTarget;

    @BeforeAll
    static void inputs() {
        float[] x = new float[ROWS * COLS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 97) / 10f;
        }
        input = tmp.resolve("input.npy");
        NpyWriter.write(input, new long[] {ROWS, COLS}, x);
        target = tmp.resolve("target.npy");
        NpyWriter.write(target, new long[] {COLS}, new float[] {0, 1, 2, 3});
        badTarget = tmp.resolve("bad_target.npy");
        NpyWriter.write(badTarget, new long[] {ROWS}, new long[ROWS]);
    }

    @Test
    void aFailedRunRemovesEveryDirectoryItCreated() throws IOException {
        Path q = tmp.resolve("q");
        Path out = q.resolve("a").resolve("b");
        Cli.Run r = Cli.run("eval", "MSELoss", "input=" + input, "target=" + badTarget, "--out", out.toString(),
                "--backend", "cpu");
        assertEquals(2, r.exit(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertFalse(Files.exists(q), "the run created " + q + " and must remove it");

        // A parent that existed before the run stays, with whatever it held.
        Path kept = Files.createDirectories(tmp.resolve("kept"));
        Files.writeString(kept.resolve("note.txt"), "mine");
        r = Cli.run("eval", "MSELoss", "input=" + input, "target=" + badTarget, "--out",
                kept.resolve("x").resolve("y").toString(), "--backend", "cpu");
        assertEquals(2, r.exit(), r::toString);
        assertEquals(List.of("note.txt"), names(kept));
    }

    /** A real full disk: a 1 MiB tmpfs (needs root and a mount the container permits, as in CI). */
    @Test
    void aFullDiskIsOneLineExitTwoAndOutIsAsItWas() throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("tmpfs"));
        Assumptions.assumeTrue(mount(mnt), "mounting a 1 MiB tmpfs is not permitted here (needs root in a container"
                + " that allows mount); the injected-channel test below covers the same path");
        try {
            Path out = Files.createDirectories(mnt.resolve("out"));
            Files.writeString(out.resolve("output.npy"), "an earlier run's file");
            Map<String, String> before = snapshot(out);

            Cli.Run r = Cli.run("eval", "MSELoss", "input=" + input, "target=" + target, "--reduction", "none",
                    "--out", out.toString(), "--backend", "cpu");
            assertFull(r, out, "output.npy");
            assertEquals(before, snapshot(out), "--out after a full disk while writing output.npy");

            r = Cli.run("eval", "MSELoss", "input=" + input, "target=" + target, "--grad", "--out", out.toString(),
                    "--backend", "cpu");
            assertFull(r, out, "grad_input.npy");
            assertEquals(before, snapshot(out), "--out after a full disk while writing grad_input.npy");

            Path fresh = mnt.resolve("new").resolve("dir");
            r = Cli.run("eval", "MSELoss", "input=" + input, "target=" + target, "--reduction", "none",
                    "--out", fresh.toString(), "--backend", "cpu");
            assertFull(r, fresh, "output.npy");
            assertEquals(List.of("out"), names(mnt), "the directories the failed run created are gone");
        } finally {
            new ProcessBuilder("umount", "-l", mnt.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The same fault without a mount: a channel that fails like a full disk after 1 MiB. */
    @Test
    void aFullDiskThroughAnInjectedChannel() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("injected"));
        Files.writeString(out.resolve("output.npy"), "an earlier run's file");
        Map<String, String> before = snapshot(out);
        StreamingEval.Request q = new StreamingEval.Request();
        q.loss = "MSELoss";
        q.options.put("reduction", "none");
        List<ArraySource> opened = new ArrayList<>();
        try (var backend = Backends.named("cpu")) {
            q.tensors.put("input", open(input, opened));
            q.tensors.put("target", open(target, opened));
            q.backend = backend;
            q.out = OutputFiles.in(out, p -> new FullAfter(FileChannel.open(p, StandardOpenOption.WRITE), 1 << 20));
            RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> StreamingEval.run(q));
            StringWriter err = new StringWriter();
            int code = Main.report(e, false, new PrintWriter(err));
            assertFull(new Cli.Run(List.of("(injected)"), code, "", err.toString()), out, "output.npy");
        } finally {
            opened.forEach(ArraySource::close);
        }
        assertEquals(before, snapshot(out));
    }

    /**
     * SIGKILL in the middle of a large {@code --reduction none} output: a child JVM writes 64 MiB in
     * 64 chunks and is killed once its temporary file has grown past 1 MiB; there must be no
     * {@code output.npy}, or only a complete and correct one.
     */
    @Test
    void sigkillMidWriteLeavesNoOutputThatLooksComplete() throws Exception {
        long rows = 4L << 20;
        Path big = tmp.resolve("big.npy");
        float[] block = new float[1 << 20];
        try (NpyWriter w = NpyWriter.create(big, rows, COLS)) {
            for (long done = 0; done < rows * COLS; done += block.length) {
                for (int i = 0; i < block.length; i++) {
                    block[i] = ((done + i) % 89) / 8f;
                }
                w.append(block, 0, block.length);
            }
            w.finish();
        }
        Path out = tmp.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "eval", "MSELoss",
                "input=" + big, "target=" + target, "--reduction", "none", "--out", out.toString(), "--backend", "cpu",
                "--chunk-rows", "65536"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile())
                .start();
        long seen = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline && seen <= (1 << 20)) {
            seen = partBytes(out);
            Thread.sleep(1);
        }
        boolean killedMidWrite = p.isAlive() && seen > (1 << 20);
        p.destroyForcibly(); // SIGKILL on Linux
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        Assumptions.assumeTrue(killedMidWrite, "the child finished before the test could kill it mid-write ("
                + seen + " bytes seen)");
        assertEquals(137, p.exitValue(), "killed by SIGKILL");
        Path o = out.resolve("output.npy");
        if (Files.exists(o)) {
            try (NpyFile f = NpyFile.open(o)) {
                assertArrayEquals(new long[] {rows, COLS}, f.shape());
                float[] last = new float[COLS];
                f.readFloats(rows * COLS - COLS, last, 0, COLS);
                assertNotEquals(0f, last[0] + last[1] + last[2] + last[3], "a complete output's last row");
            }
        }
        try (Stream<Path> s = Files.list(out)) {
            s.forEach(f -> assertTrue(f.getFileName().toString().endsWith(".part"), "only marked temporaries: " + f));
        }
    }

    private static void assertFull(Cli.Run r, Path out, String file) {
        assertEquals(2, r.exit(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertEquals("jloss: --out " + out + ": no space left on device while writing " + file
                + "; nothing was written (the run needs more free space there)", r.errLines().get(0));
        if (!Files.exists(out)) {
            return;
        }
        for (String n : names(out)) {
            assertFalse(n.endsWith(".part"), "a temporary file left in " + out + ": " + n);
        }
    }

    private static boolean mount(Path at) throws InterruptedException {
        try {
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", at.toString())
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false; // no mount command
        }
    }

    private static long partBytes(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".part")).mapToLong(f -> f.toFile().length())
                    .max().orElse(0);
        } catch (IOException e) {
            return 0; // not created yet
        }
    }

    private static ArraySource open(Path p, List<ArraySource> opened) {
        ArraySource s = ArraySource.of(NpyFile.open(p));
        opened.add(s);
        return s;
    }

    private static List<String> names(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Every file under {@code dir} with its contents. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.toList()) {
                m.put(dir.relativize(f).toString(), Files.isDirectory(f) ? "/" : Files.readString(f));
            }
        }
        return m;
    }

    /** A file channel that fails as a full disk does once {@code capacity} bytes were written. */
    private static final class FullAfter extends FileChannel {
        private final FileChannel f;
        private final long capacity;

        FullAfter(FileChannel f, long capacity) {
            this.f = f;
            this.capacity = capacity;
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            if (position + src.remaining() > capacity) {
                throw new IOException("No space left on device");
            }
            return f.write(src, position);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return write(src, f.position());
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            throw new IOException("No space left on device");
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return f.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return f.read(dsts, offset, length);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return f.read(dst, position);
        }

        @Override
        public long position() throws IOException {
            return f.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            f.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return f.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            f.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            f.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return f.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            throw new IOException("No space left on device");
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return f.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return f.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return f.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            f.close();
        }
    }
}
