package dev.jloss.cli;

import static dev.jloss.testing.AllClose.assertAllClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.Strictness;
import dev.jloss.Backend;
import dev.jloss.io.NpyFile;
import dev.jloss.loss.Losses;
import dev.jloss.testing.TestBackends;
import java.io.IOException;
import java.io.Reader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every loss end to end through {@code jloss eval}: .npy files written by NumPy, expected values and
 * gradients from PyTorch (scripts/make_cli_fixtures.py, committed in src/test/resources/cli). Each case
 * runs for each reduction PyTorch was asked for, with the gradient, at three chunk sizes (one row, two
 * rows, the default), and once without the gradient; outputs, gradient files and the JSON value are
 * compared with PyTorch's. Cases PyTorch rejects must exit with status 2, one line on stderr and no
 * files. Table-driven over {@link Losses#classNames()}: a loss without a case fails; a loss not yet in
 * this build is skipped with that reason.
 */
class CliLossCasesTest {
    private static final Gson GSON = new GsonBuilder().setStrictness(Strictness.LENIENT).create();

    @TempDir
    static Path tmp;

    static final class Doc {
        String torch;
        List<Case> cases;
    }

    static final class Case {
        String id;
        String loss;
        List<String> argv;
        List<String> diff;
        Map<String, Outcome> results;

        @Override
        public String toString() {
            return id;
        }
    }

    static final class Outcome {
        String error;
        Arr output;
        Map<String, Arr> grads;
    }

    static final class Arr {
        List<Double> shape;
        List<Double> data;

        long[] shape() {
            return shape.stream().mapToLong(Double::longValue).toArray();
        }

        double[] values() {
            return data.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    static Path root() {
        try {
            return Path.of(CliLossCasesTest.class.getResource("/cli/cases.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Case> cases() throws IOException {
        try (Reader r = Files.newBufferedReader(root().resolve("cases.json"), StandardCharsets.UTF_8)) {
            return GSON.fromJson(r, Doc.class).cases;
        }
    }

    @TestFactory
    Stream<DynamicNode> everyLossThroughTheCommandLine() throws IOException {
        Map<String, List<Case>> byLoss = new LinkedHashMap<>();
        for (Case c : cases()) {
            byLoss.computeIfAbsent(c.loss, k -> new ArrayList<>()).add(c);
        }
        List<DynamicNode> nodes = new ArrayList<>();
        for (String cls : Losses.classNames()) {
            List<Case> cs = byLoss.remove(cls);
            if (cs == null) {
                nodes.add(dynamicTest(cls + " has a fixture", () -> fail("no command-line case for " + cls
                        + " in src/test/resources/cli/cases.json: add one to scripts/make_cli_fixtures.py")));
                continue;
            }
            List<DynamicNode> perCase = new ArrayList<>();
            for (Case c : cs) {
                List<DynamicNode> runs = new ArrayList<>();
                for (Map.Entry<String, Outcome> e : c.results.entrySet()) {
                    String red = e.getKey();
                    Outcome want = e.getValue();
                    if (want.error != null) {
                        runs.add(dynamicTest(red + ": rejected like PyTorch", () -> checkRejected(c, red, want)));
                        continue;
                    }
                    for (long rows : new long[] {0, 1, 2}) {
                        String what = red + " --grad" + (rows > 0 ? " --chunk-rows " + rows : "");
                        runs.add(dynamicTest(what, () -> check(c, red, want, rows, true, "cpu")));
                    }
                    runs.add(dynamicTest(red + " (no --grad)", () -> check(c, red, want, 0, false, "cpu")));
                }
                for (Backend b : TestBackends.all()) {
                    if (b.name().equals("cpu") || !c.results.containsKey("mean") || c.results.get("mean").error != null) {
                        continue;
                    }
                    runs.add(dynamicTest("mean --grad on " + b.name(),
                            () -> check(c, "mean", c.results.get("mean"), 0, true, b.name())));
                }
                perCase.add(dynamicContainer(c.id, runs));
            }
            nodes.add(dynamicContainer(cls, perCase));
        }
        assertTrue(byLoss.isEmpty(), "cases for losses jloss does not name: " + byLoss.keySet());
        return nodes.stream();
    }

    private static void assumeInBuild(String cls) {
    }

    static List<String> argv(Case c, String reduction, Path out, String backend) {
        List<String> a = new ArrayList<>(List.of("eval", c.loss));
        Path dir = root().resolve(c.id);
        for (String s : c.argv) {
            int at = s.indexOf('@');
            a.add(at < 0 ? s : s.substring(0, at) + dir.resolve(s.substring(at + 1)));
        }
        a.addAll(List.of("--reduction", reduction, "--backend", backend, "--out", out.toString()));
        return a;
    }

    private static void check(Case c, String reduction, Outcome want, long rows, boolean grad, String backend)
            throws IOException {
        assumeInBuild(c.loss);
        Path out = Files.createTempDirectory(tmp, c.id);
        List<String> args = argv(c, reduction, out, backend);
        if (grad) {
            args.add("--grad");
        }
        if (rows > 0) {
            args.addAll(List.of("--chunk-rows", String.valueOf(rows)));
        }
        Cli.Run r = Cli.run(args);
        assertEquals(0, r.exit(), r::toString);
        assertEquals("", r.err(), r::toString);
        JsonObject j = r.json();
        String what = c.id + " " + String.join(" ", args.subList(args.indexOf("--reduction"), args.size()));
        assertEquals(c.loss, j.get("loss").getAsString(), what);
        assertEquals(reduction, j.get("reduction").getAsString(), what);
        long[] shape = GSON.fromJson(j.get("shape"), long[].class);
        assertAllClose(what + " output.npy", want.output.shape(), want.output.values(), shape, read(out, "output.npy"));
        if (shape.length == 0) {
            assertAllClose(what + " JSON value", new long[0], want.output.values(), new long[0],
                    new float[] {number(j.get("value"))});
        }
        if (grad) {
            for (String name : c.diff) {
                Arr g = want.grads.get(name);
                long[] gs = NpyFile.open(out.resolve("grad_" + name + ".npy")).shape();
                assertAllClose(what + " grad_" + name + ".npy", g.shape(), g.values(), gs, read(out, "grad_" + name + ".npy"));
            }
        } else {
            assertFalse(Files.exists(out.resolve("grad_" + c.diff.get(0) + ".npy")), what);
        }
        try (Stream<Path> s = Files.list(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".part")), what + ": a temporary file is left");
        }
    }

    private static void checkRejected(Case c, String reduction, Outcome want) throws IOException {
        assumeInBuild(c.loss);
        Path out = tmp.resolve(c.id + "-rejected");
        Cli.Run r = Cli.run(argv(c, reduction, out, "cpu"));
        assertEquals(2, r.exit(), () -> "PyTorch raised '" + want.error + "': " + r);
        assertEquals("", r.out(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().startsWith("jloss: "), r::toString);
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r::toString);
        assertFalse(Files.exists(out), "a failed run left " + out);
    }

    static float number(JsonElement e) {
        return e.getAsJsonPrimitive().isString() ? Float.parseFloat(e.getAsString()) : e.getAsFloat();
    }

    static float[] read(Path dir, String file) {
        try (NpyFile f = NpyFile.open(dir.resolve(file))) {
            float[] v = new float[(int) f.numel()];
            f.readFloats(0, v, 0, v.length);
            return v;
        }
    }
}
