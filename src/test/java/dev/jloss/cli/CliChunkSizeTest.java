package dev.jloss.cli;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.google.gson.JsonObject;
import dev.jloss.io.NpyFile;
import dev.jloss.io.NpyWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The value does not depend on the chunk size: each scenario runs as one chunk, as chunks of 1000
 * rows and as chunks of 333 rows, for each reduction, with gradients; the values, output files and
 * gradient files must agree to float rounding, and the same run twice must be identical byte for byte.
 * The scenarios cover each way chunks are cut and combined: element-wise (and a broadcast operand
 * whose gradient sums over chunks), a batch-shaped tensor option, class weights with ignored targets
 * (the denominator found before the gradient), label smoothing with ignored targets, K-dimensional targets,
 * CTC's batch in dimension 1 with concatenated targets, and batchmean.
 */
class CliChunkSizeTest {
    private static final long N = 2003;
    private static final long[] CHUNK_ROWS = {0, 1000, 333};
    private static final double RTOL = 1e-6;

    @TempDir
    static Path tmp;

    record Scenario(String name, String loss, List<String> reductions, Function<Path, List<String>> files) {
    }

    static String floats(Path dir, String name, SplittableRandom r, double lo, double hi, long... shape) {
        float[] v = new float[(int) StreamingEval.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        Path p = dir.resolve(name + ".npy");
        NpyWriter.write(p, shape, v);
        return p.toString();
    }

    static String longs(Path dir, String name, SplittableRandom r, long lo, long hi, long... shape) {
        long[] v = new long[(int) StreamingEval.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextLong(lo, hi);
        }
        Path p = dir.resolve(name + ".npy");
        NpyWriter.write(p, shape, v);
        return p.toString();
    }

    static List<Scenario> scenarios() {
        List<String> msn = List.of("mean", "sum", "none");
        List<Scenario> s = new ArrayList<>();
        s.add(new Scenario("mse", "MSELoss", msn, d -> {
            SplittableRandom r = new SplittableRandom(1);
            return List.of(floats(d, "x", r, -2, 2, N, 13), floats(d, "y", r, -2, 2, N, 13));
        }));
        s.add(new Scenario("mse_broadcast_input", "MSELoss", msn, d -> {
            SplittableRandom r = new SplittableRandom(2);
            return List.of(floats(d, "x", r, -2, 2, 1, 13), floats(d, "y", r, -2, 2, N, 13));
        }));
        s.add(new Scenario("bce_logits_row_weights", "BCEWithLogitsLoss", msn, d -> {
            SplittableRandom r = new SplittableRandom(3);
            return List.of(floats(d, "x", r, -3, 3, N, 4), floats(d, "y", r, 0, 1, N, 4),
                    "--weight", floats(d, "w", r, 0.1, 2, N, 4), "--pos-weight", floats(d, "pw", r, 0.5, 3, 4));
        }));
        s.add(new Scenario("kl_div_batchmean", "KLDivLoss", List.of("batchmean", "mean"), d -> {
            SplittableRandom r = new SplittableRandom(4);
            return List.of(floats(d, "x", r, -3, 0, N, 5), floats(d, "y", r, 0.01, 1, N, 5));
        }));
        s.add(new Scenario("gaussian_nll_row_var", "GaussianNLLLoss", msn, d -> {
            SplittableRandom r = new SplittableRandom(5);
            return List.of(floats(d, "x", r, -2, 2, N, 3), floats(d, "y", r, -2, 2, N, 3),
                    floats(d, "var", r, 0.1, 2, N));
        }));
        s.add(new Scenario("cross_entropy_weight_ignore", "CrossEntropyLoss", msn, d -> {
            SplittableRandom r = new SplittableRandom(6);
            return List.of(floats(d, "x", r, -3, 3, N, 7), longs(d, "t", r, 0, 7, N), "--weight",
                    floats(d, "w", r, 0.2, 2, 7), "--ignore-index", "3", "--label-smoothing", "0.1");
        }));
        s.add(new Scenario("cross_entropy_smoothing_ignore", "CrossEntropyLoss", msn, d -> {
            SplittableRandom r = new SplittableRandom(7);
            return List.of(floats(d, "x", r, -3, 3, N, 5), longs(d, "t", r, 0, 5, N), "--ignore-index", "1",
                    "--label-smoothing", "0.2");
        }));
        s.add(new Scenario("nll_kdim_weight", "NLLLoss", msn, d -> {
            SplittableRandom r = new SplittableRandom(8);
            return List.of(floats(d, "x", r, -3, 0, N, 5, 3), longs(d, "t", r, 0, 5, N, 3), "--weight",
                    floats(d, "w", r, 0.2, 2, 5));
        }));
        s.add(new Scenario("multi_margin_p2", "MultiMarginLoss", msn, d -> {
            SplittableRandom r = new SplittableRandom(9);
            return List.of(floats(d, "x", r, -2, 2, N, 6), longs(d, "t", r, 0, 6, N), "--p", "2");
        }));
        s.add(new Scenario("ctc_concatenated", "CTCLoss", msn, d -> {
            SplittableRandom r = new SplittableRandom(10);
            long t = 12;
            long n = 2003;
            long c = 5;
            float[] lp = new float[(int) (t * n * c)];
            for (int i = 0; i < lp.length; i += (int) c) {
                double z = 0;
                for (int k = 0; k < c; k++) {
                    lp[i + k] = (float) (2 * r.nextDouble());
                    z += Math.exp(lp[i + k]);
                }
                for (int k = 0; k < c; k++) {
                    lp[i + k] = (float) (lp[i + k] - Math.log(z));
                }
            }
            NpyWriter.write(d.resolve("lp.npy"), new long[] {t, n, c}, lp);
            long[] tl = new long[(int) n];
            long[] il = new long[(int) n];
            List<Long> flat = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                tl[i] = r.nextLong(0, 5);
                il[i] = r.nextLong(8, t + 1);
                for (int k = 0; k < tl[i]; k++) {
                    flat.add(r.nextLong(1, c));
                }
            }
            NpyWriter.write(d.resolve("il.npy"), new long[] {n}, il);
            NpyWriter.write(d.resolve("tl.npy"), new long[] {n}, tl);
            NpyWriter.write(d.resolve("tg.npy"), new long[] {flat.size()}, flat.stream().mapToLong(Long::longValue).toArray());
            return List.of("log_probs=" + d.resolve("lp.npy"), "targets=" + d.resolve("tg.npy"),
                    "input_lengths=" + d.resolve("il.npy"), "target_lengths=" + d.resolve("tl.npy"),
                    "--zero-infinity", "true");
        }));
        return s;
    }

    @TestFactory
    Stream<DynamicTest> sameValueForThreeChunkSizes() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Scenario s : scenarios()) {
            for (String red : s.reductions()) {
                tests.add(dynamicTest(s.name() + " " + red, () -> check(s, red)));
            }
        }
        return tests.stream();
    }

    private static void check(Scenario s, String reduction) throws IOException {
        Path dir = Files.createTempDirectory(tmp, s.name());
        List<String> files = s.files().apply(dir);
        Path[] outs = new Path[CHUNK_ROWS.length];
        JsonObject[] js = new JsonObject[CHUNK_ROWS.length];
        for (int k = 0; k < CHUNK_ROWS.length; k++) {
            outs[k] = dir.resolve("out" + k);
            js[k] = run(s, files, reduction, CHUNK_ROWS[k], outs[k]);
        }
        assertEquals(1, js[0].get("chunks").getAsLong(), "the default chunk holds this small input whole");
        assertTrue(js[2].get("chunks").getAsLong() >= 6, () -> "expected several chunks: " + js[2]);
        for (int k = 1; k < CHUNK_ROWS.length; k++) {
            String what = s.name() + " " + reduction + " --chunk-rows " + CHUNK_ROWS[k];
            if (js[0].has("value")) {
                double a = js[0].get("value").getAsDouble();
                double b = js[k].get("value").getAsDouble();
                assertEquals(a, b, RTOL * Math.abs(a) + 1e-12, what + " value");
            }
            for (String f : list(outs[0])) {
                float[] a = CliLossCasesTest.read(outs[0], f);
                float[] b = CliLossCasesTest.read(outs[k], f);
                double[] ad = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    ad[i] = a[i];
                }
                long[] shape = NpyFile.open(outs[0].resolve(f)).shape();
                assertAllClose(what + " " + f, shape, ad, NpyFile.open(outs[k].resolve(f)).shape(), b, RTOL, 1e-7);
            }
        }
        Path again = dir.resolve("again");
        JsonObject j = run(s, files, reduction, CHUNK_ROWS[2], again);
        assertEquals(js[2].get("value"), j.get("value"), "run to run");
        for (String f : list(outs[2])) {
            assertArrayEquals(Files.readAllBytes(outs[2].resolve(f)), Files.readAllBytes(again.resolve(f)),
                    "run to run: " + f);
        }
    }

    private static JsonObject run(Scenario s, List<String> files, String reduction, long rows, Path out) {
        List<String> args = new ArrayList<>(List.of("eval", s.loss()));
        args.addAll(files);
        args.addAll(List.of("--reduction", reduction, "--grad", "--backend", "cpu", "--out", out.toString()));
        if (rows > 0) {
            args.addAll(List.of("--chunk-rows", String.valueOf(rows)));
        }
        Cli.Run r = Cli.run(args);
        assertEquals(0, r.exit(), r::toString);
        return r.json();
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
