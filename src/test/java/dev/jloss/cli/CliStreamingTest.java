package dev.jloss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.jloss.io.NpyFile;
import dev.jloss.io.NpyWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming: a child JVM with a 64 MiB heap evaluates MSELoss over a 256 MiB {@code .npy} input (4M
 * rows of 16 float32, written with our own writer) against a broadcast 16-element target: the reduced
 * value must match a double-precision sum, and {@code --reduction none} must stream the 256 MiB output
 * to {@code output.npy}.
 */
class CliStreamingTest {
    private static final long ROWS = 4_000_000;
    private static final int COLS = 16;
    private static final String HEAP = "-Xmx64m";

    @TempDir
    static Path tmp;

    private static Path input;
    private static Path target;

    static float x(long i, int j) {
        return ((i * 7 + j * 13) % 1024) / 256f - 2f;
    }

    static float t(int j) {
        return j / 16f;
    }

    @BeforeAll
    static void writeInputs() {
        input = tmp.resolve("input.npy");
        int block = 65_536;
        float[] buf = new float[block * COLS];
        try (NpyWriter w = NpyWriter.create(input, ROWS, COLS)) {
            for (long r0 = 0; r0 < ROWS; r0 += block) {
                int n = (int) Math.min(block, ROWS - r0);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < COLS; j++) {
                        buf[i * COLS + j] = x(r0 + i, j);
                    }
                }
                w.append(buf, 0, n * COLS);
            }
            w.finish();
        }
        float[] tv = new float[COLS];
        for (int j = 0; j < COLS; j++) {
            tv[j] = t(j);
        }
        target = tmp.resolve("target.npy");
        NpyWriter.write(target, new long[] {COLS}, tv);
    }

    /** Runs {@code jloss args} in a child JVM with a 64 MiB heap; returns stdout, checks status 0. */
    static String child(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = tmp.resolve("child.out");
        Path err = tmp.resolve("child.err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child JVM did not finish in 300 s");
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + "\nstdout: " + stdout + "\nstderr: " + stderr);
        return stdout;
    }

    @Test
    void inputLargerThanTheHeapStreams() throws Exception {
        long bytes = Files.size(input);
        assertTrue(bytes > 3 * 64L * 1024 * 1024, "the input must be far larger than the child's heap: " + bytes);
        double sum = 0;
        for (long i = 0; i < ROWS; i++) {
            for (int j = 0; j < COLS; j++) {
                double d = (double) x(i, j) - t(j);
                sum += d * d;
            }
        }
        double expected = sum / (ROWS * COLS);

        JsonObject j = JsonParser.parseString(child("eval", "MSELoss", input.toString(), target.toString(),
                "--backend", "cpu")).getAsJsonObject();
        assertEquals(expected, j.get("value").getAsDouble(), 1e-6 * expected);
        assertEquals((double) ROWS * COLS, j.get("denominator").getAsDouble());
        assertTrue(j.get("chunks").getAsLong() > 10, "expected many chunks: " + j);

        Path out = tmp.resolve("none");
        JsonObject none = JsonParser.parseString(child("eval", "MSELoss", input.toString(), target.toString(),
                "--backend", "cpu", "--reduction", "none", "--out", out.toString())).getAsJsonObject();
        assertEquals(sum, none.get("sum").getAsDouble(), 1e-6 * sum);
        try (NpyFile f = NpyFile.open(out.resolve("output.npy"))) {
            assertEquals(ROWS, f.shape()[0]);
            assertEquals(COLS, f.shape()[1]);
            float[] v = new float[COLS];
            for (long row : new long[] {0, 1, 65_537, ROWS / 2 + 3, ROWS - 1}) {
                f.readFloats(row * COLS, v, 0, COLS);
                for (int c = 0; c < COLS; c++) {
                    float d = x(row, c) - t(c);
                    assertEquals(d * d, v[c], 1e-6f, "output[" + row + ", " + c + "]");
                }
            }
        }
    }
}
