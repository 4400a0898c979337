package dev.jloss.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.io.NpyWriter;
import dev.jloss.testing.TestBackends;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The error contract: each kind of bad input exits with status 2, prints nothing on stdout and exactly
 * one line on stderr, {@code jloss: <what is wrong>}, with no stack trace unless {@code --verbose}; a
 * failed run leaves nothing in {@code --out}.
 */
class CliErrorsTest {
    @TempDir
    Path tmp;

    private String a23;
    private String b23;
    private String v5;

    @BeforeEach
    void files() {
        a23 = write("a.npy", new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
        b23 = write("b.npy", new long[] {2, 3}, 0, 0, 0, 1, 1, 1);
        v5 = write("v.npy", new long[] {5}, 1, 2, 3, 4, 5);
    }

    private String write(String name, long[] shape, float... values) {
        Path p = tmp.resolve(name);
        NpyWriter.write(p, shape, values);
        return p.toString();
    }

    private String writeLongs(String name, long[] shape, long... values) {
        Path p = tmp.resolve(name);
        NpyWriter.write(p, shape, values);
        return p.toString();
    }

    static String fixture(String name) {
        try {
            return Path.of(CliErrorsTest.class.getResource("/npy/" + name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs, and checks status 2, empty stdout, one stderr line; returns that line without "jloss: ". */
    static String rejected(String... args) {
        Cli.Run r = Cli.run(args);
        assertEquals(2, r.exit(), r::toString);
        assertEquals("", r.out(), r::toString);
        assertEquals(1, r.errLines().size(), () -> "expected one line on stderr: " + r);
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("jloss: "), r::toString);
        assertFalse(line.contains("Exception") || r.err().contains("\tat "), () -> "a stack trace or class name: " + r);
        return line.substring("jloss: ".length());
    }

    @Test
    void unknownLoss() {
        String m = rejected("eval", "FooLoss", a23, b23);
        assertTrue(m.startsWith("unknown loss 'FooLoss', expected one of L1Loss, MSELoss, CrossEntropyLoss"), m);
    }

    @Test
    void unknownLossOption() {
        assertEquals("mse_loss: unknown option 'bogus_thing'", rejected("eval", "MSELoss", a23, b23, "--bogus-thing", "1"));
        assertEquals("unknown option '-x' (loss options are written --name value)",
                rejected("eval", "MSELoss", a23, b23, "-x"));
        assertEquals("option --margin needs a value", rejected("eval", "MSELoss", a23, b23, "--margin"));
        assertEquals("option --beta is given twice", rejected("eval", "MSELoss", a23, b23, "--beta", "1", "--beta=2"));
    }

    @Test
    void badOptionValues() {
        assertEquals("mse_loss: reduction expected one of none, mean, sum, batchmean, got 'avg'",
                rejected("eval", "MSELoss", a23, b23, "--reduction", "avg"));
        assertEquals("mse_loss: reduction 'batchmean' is only valid for kl_div, expected none, mean or sum",
                rejected("eval", "MSELoss", a23, b23, "--reduction", "batchmean"));
        assertEquals("mse_loss: option size_average expects true or false, got 'maybe'",
                rejected("eval", "MSELoss", a23, b23, "--size-average", "maybe"));
        String missing = tmp.resolve("w.npy").toString();
        assertEquals(missing + ": no such file", rejected("eval", "MSELoss", a23, b23, "--weight", missing));
    }

    @Test
    void crossEntropyExtrasOptions() {
        String t2 = writeLongs("t2.npy", new long[] {2}, 0, 2);
        assertEquals("cross_entropy: softcap is -1.0, expected a finite value > 0 (or 0 for no cap)",
                rejected("eval", "CrossEntropyLoss", "input=" + a23, "target=" + t2, "--softcap", "-1"));
        assertEquals("cross_entropy: lse_square_scale is NaN, expected a finite value >= 0 (0 is off)",
                rejected("eval", "CrossEntropyLoss", "input=" + a23, "target=" + t2, "--lse-square-scale", "NaN"));
        String m = rejected("eval", "CrossEntropyLoss", "input=" + a23, "target=" + t2, "--lse-square-scale", "0.1",
                "--weight", "1,2,3");
        assertTrue(m.startsWith("cross_entropy: --lse-square-scale with --weight and reduction mean cannot be streamed"),
                m);
        Cli.Run ok = Cli.run("eval", "CrossEntropyLoss", "input=" + a23, "target=" + t2, "--lse-square-scale", "0.1",
                "--softcap", "2", "--weight", "1,2,3", "--reduction", "sum");
        assertEquals(0, ok.exit(), ok::toString);
    }

    @Test
    void missingExtraAndUnknownTensors() {
        assertEquals("mse_loss: missing tensor 'target' (expected input, target)", rejected("eval", "MSELoss", a23));
        assertEquals("mse_loss: missing tensor 'input' (expected input, target)",
                rejected("eval", "MSELoss", "target=" + b23));
        assertEquals("mse_loss: got 3 tensors, expected 2 (input, target): '" + v5 + "' is one too many",
                rejected("eval", "MSELoss", a23, b23, v5));
        assertEquals("mse_loss: unknown tensor 'inptu', expected input, target",
                rejected("eval", "MSELoss", "inptu=" + a23, b23));
        assertEquals("mse_loss: tensor 'input' is given twice", rejected("eval", "MSELoss", "input=" + a23, "input=" + b23));
    }

    @Test
    void malformedFiles() {
        String[][] cases = {
            {"bad_magic.npy", "not a .npy file (it does not start with NumPy's magic bytes \\x93NUMPY)"},
            {"truncated.npy", "truncated: the header promises 24 bytes of data (shape [2, 3], float32), the file has 19"},
            {"fortran.npy", "Fortran-order (column-major) arrays are not supported, expected C order (save"
                    + " np.ascontiguousarray(a) instead)"},
            {"complex.npy", "unsupported dtype '<c8', expected float32 or float64 data, or"
                    + " int64/int32/int16/int8/uint8/bool indices"},
            {"bad_header.npy", "malformed .npy header"},
            {"bad_version.npy", "unsupported .npy format version 4.0, expected 1.0, 2.0 or 3.0"}};
        for (String[] c : cases) {
            String f = fixture(c[0]);
            String m = rejected("eval", "MSELoss", "input=" + a23, "target=" + f);
            assertTrue(m.startsWith(f + ": " + c[1]), () -> c[0] + ": " + m);
        }
        String nope = tmp.resolve("nope.npy").toString();
        assertEquals(nope + ": no such file", rejected("eval", "MSELoss", a23, nope));
    }

    @Test
    void shapeMismatch() {
        assertEquals("mse_loss: input with shape [2, 3] and target with shape [5] cannot be broadcast together",
                rejected("eval", "MSELoss", a23, v5));
        String input = write("mm.npy", new long[] {4, 3}, new float[12]);
        String target = writeLongs("t3.npy", new long[] {3}, 0, 1, 2);
        assertEquals("multi_margin_loss: target has shape [3] and input has shape [4, 3]: they must agree along"
                + " dimension 0 (the batch)", rejected("eval", "MultiMarginLoss", input, target));
    }

    @Test
    void targetOutOfRange() {
        String input = write("mm.npy", new long[] {4, 3}, new float[12]);
        String target = writeLongs("t.npy", new long[] {4}, 0, 1, 2, 5);
        String m = rejected("eval", "MultiMarginLoss", input, target, "--backend", "cpu");
        assertTrue(m.startsWith("multi_margin_loss: target 5 (row 3) is out of bounds for 3 classes"), m);
        String chunked = rejected("eval", "MultiMarginLoss", input, target, "--chunk-rows", "2",
                "--backend", "cpu");
        assertTrue(chunked.startsWith("multi_margin_loss: target 5 (row 1) is out of bounds for 3 classes"), chunked);
        assertTrue(chunked.endsWith(" (in batch rows 2 to 3 of 4)"), chunked);
    }

    @Test
    void integerDataWhereTheLossWantsIndices() {
        String input = write("mm.npy", new long[] {2, 3}, new float[6]);
        String target = write("tf.npy", new long[] {2}, 0, 1);
        String m = rejected("eval", "MultiMarginLoss", input, target, "--backend", "cpu");
        assertTrue(m.startsWith("multi_margin_loss: target has dtype float32"), m);
    }

    @Test
    void backends() {
        assertEquals("backend: expected one of auto, cuda, opencl, cpu, got 'tpu'",
                rejected("eval", "MSELoss", a23, b23, "--backend", "tpu"));
        Assumptions.assumeTrue(TestBackends.get("cuda") == null, "CUDA is available here");
        String m = rejected("eval", "MSELoss", a23, b23, "--backend", "cuda");
        assertTrue(m.contains("cuda"), m);
    }

    @Test
    void usageErrors() {
        assertEquals("Missing required parameter: 'LOSS' (see 'jloss eval --help')", rejected("eval"));
        assertEquals("Unmatched argument at index 0: 'frobnicate' (see 'jloss --help')", rejected("frobnicate"));
        Cli.Run none = Cli.run();
        assertEquals(2, none.exit(), none::toString);
        assertTrue(none.err().contains("Usage: jloss"), none::toString);
    }

    @Test
    void badOutDirectory() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain.txt"), "x");
        assertEquals("--out " + file + ": exists and is not a directory",
                rejected("eval", "MSELoss", a23, b23, "--out", file.toString()));
    }

    @Test
    void verboseAddsTheStackTrace() {
        Cli.Run r = Cli.run("eval", "MSELoss", a23, v5, "--verbose");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.errLines().get(0).startsWith("jloss: mse_loss: input with shape [2, 3]"), r::toString);
        assertTrue(r.err().contains("\tat dev.jloss."), r::toString);
    }

    @Test
    void aFailedRunLeavesNoFiles() throws IOException {
        String input = write("mm.npy", new long[] {4, 3}, new float[12]);
        String target = writeLongs("t.npy", new long[] {4}, 0, 1, 2, 5);
        Path fresh = tmp.resolve("fresh");
        rejected("eval", "MultiMarginLoss", input, target, "--reduction", "none", "--grad", "--chunk-rows", "1", "--backend", "cpu", "--out",
                fresh.toString());
        assertFalse(Files.exists(fresh), "the run created " + fresh + " and left it");

        Path kept = Files.createDirectories(tmp.resolve("kept"));
        NpyWriter.write(kept.resolve("output.npy"), new long[] {1}, new float[] {42});
        byte[] before = Files.readAllBytes(kept.resolve("output.npy"));
        rejected("eval", "MultiMarginLoss", input, target, "--reduction", "none", "--grad", "--chunk-rows", "1", "--backend", "cpu", "--out",
                kept.toString());
        assertArrayEquals(before, Files.readAllBytes(kept.resolve("output.npy")), "the old output was touched");
        List<String> left = new ArrayList<>();
        try (Stream<Path> s = Files.list(kept)) {
            s.forEach(p -> left.add(p.getFileName().toString()));
        }
        assertEquals(List.of("output.npy"), left);
    }
}
