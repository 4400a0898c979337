package dev.jloss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.DType;
import dev.jloss.Tensor;
import dev.jloss.backend.cuda.CudaBackend;
import dev.jloss.io.NpyWriter;
import dev.jloss.testing.TestBackends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device running out of memory in the middle of a streamed evaluation (docs/FAULTS.md), on the
 * CUDA emulator's 1 GiB (the cuda-emulator test run): the test takes all but 6 MiB of it, so that a
 * chunk of 8 MiB cannot be uploaded. {@code eval} exits 2 with one line naming the rows, the
 * driver's error, the bytes free and a smaller {@code --chunk-rows}; with that, the same run succeeds.
 */
class CliDeviceMemoryTest {
    @TempDir
    Path tmp;

    @Test
    void outOfDeviceMemoryMidStreamNamesTheLimitAndASmallerChunk() {
        Assumptions.assumeTrue(TestBackends.EMULATOR != null, "runs only in the cuda-emulator test run");
        CudaBackend cuda = (CudaBackend) TestBackends.get("cuda");
        int rows = 1 << 19;
        int cols = 4; // 8 MiB of input, as float32
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 13) / 4f;
        }
        Path in = tmp.resolve("x.npy");
        NpyWriter.write(in, new long[] {rows, cols}, x);
        Path t = tmp.resolve("t.npy");
        NpyWriter.write(t, new long[] {cols}, new float[] {1, 2, 3, 4});
        Path out = tmp.resolve("out");

        List<Tensor> held = new ArrayList<>();
        Cli.Run failed;
        try {
            long[] freeTotal = freeAndTotal(cuda);
            long hold = freeTotal[0] - (6L << 20);
            while (hold > 0) {
                long piece = Math.min(hold, 256L << 20);
                held.add(cuda.zeros(DType.FLOAT32, piece / 4));
                hold -= piece / 4 * 4;
            }
            failed = Cli.run("eval", "MSELoss", "input=" + in, "target=" + t, "--backend", "cuda", "--reduction", "none",
                    "--out", out.toString(), "--chunk-rows", String.valueOf(rows / 2));
            assertEquals(2, failed.exit(), failed::toString);
            assertEquals(1, failed.errLines().size(), failed::toString);
            String line = failed.errLines().get(0);
            assertTrue(line.startsWith("jloss: mse_loss: out of device memory in batch rows 0 to " + (rows / 2 - 1)
                    + " of " + rows + ": cuda: allocating "), line);
            assertTrue(line.contains("CUDA_ERROR_OUT_OF_MEMORY (") && line.contains(" of the device's 1073741824 bytes free)"),
                    line);
            assertFalse(Files.exists(out), "nothing left in --out");
            Matcher m = Pattern.compile("try --chunk-rows (\\d+) \\(this chunk had " + rows / 2 + " rows\\)$").matcher(line);
            assertTrue(m.find(), line);

            // Fewer rows per chunk fit: the advice works (a quarter of the suggestion, for the output's room too).
            long smaller = Long.parseLong(m.group(1)) / 4;
            Cli.Run ok = Cli.run("eval", "MSELoss", "input=" + in, "target=" + t, "--backend", "cuda", "--reduction",
                    "none", "--out", out.toString(), "--chunk-rows", String.valueOf(smaller));
            assertEquals(0, ok.exit(), ok::toString);
            assertTrue(Files.exists(out.resolve("output.npy")));
        } finally {
            held.forEach(Tensor::close);
        }
    }

    private static long[] freeAndTotal(CudaBackend cuda) {
        long used = cuda.usedDeviceMemory();
        long total = cuda.maxBufferBytes();
        return new long[] {total - used, total};
    }
}
