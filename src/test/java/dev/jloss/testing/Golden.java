package dev.jloss.testing;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.reflect.TypeToken;
import dev.jloss.Backend;
import dev.jloss.Tensor;
import java.io.IOException;
import java.io.Reader;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The golden cases written by scripts/gen_golden.py with real PyTorch (float64 from float32 inputs). */
public final class Golden {

    /** A tensor as stored: dtype, shape, values (float64 for float data). */
    public static final class Arr {
        public String name;
        public String dtype;
        public List<Double> shape;
        public List<Double> data;

        public long[] shape() {
            long[] s = new long[shape.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = shape.get(i).longValue();
            }
            return s;
        }

        public double[] values() {
            double[] v = new double[data.size()];
            for (int i = 0; i < v.length; i++) {
                Object o = data.get(i);
                v[i] = ((Number) o).doubleValue();
            }
            return v;
        }

        public Tensor on(Backend b) {
            double[] v = values();
            switch (dtype) {
                case "float32": {
                    float[] f = new float[v.length];
                    for (int i = 0; i < v.length; i++) {
                        f[i] = (float) v[i];
                    }
                    return b.tensor(f, shape());
                }
                case "int32": {
                    int[] f = new int[v.length];
                    for (int i = 0; i < v.length; i++) {
                        f[i] = (int) v[i];
                    }
                    return b.tensor(f, shape());
                }
                default: {
                    long[] f = new long[v.length];
                    for (int i = 0; i < v.length; i++) {
                        f[i] = (long) v[i];
                    }
                    return b.tensor(f, shape());
                }
            }
        }
    }

    /** One case: a loss, its options, inputs, and PyTorch's results (or the error it raised). */
    public static final class Case {
        public String id;
        public String loss;
        public Map<String, Object> options;
        public List<Arr> inputs;
        public List<String> diff;
        public String error;
        public Arr output;
        public Arr grad_output;
        public Map<String, Arr> grads;
        public Map<String, Arr> grads_sum;
        public transient String family;

        public Tensor[] inputsOn(Backend b) {
            Tensor[] t = new Tensor[inputs.size()];
            for (int i = 0; i < t.length; i++) {
                t[i] = inputs.get(i).on(b);
            }
            return t;
        }

        /** Whether every input value is finite (cases at NaN and +-inf have non-finite inputs). */
        public boolean finiteInputs() {
            for (Arr a : inputs) {
                for (double v : a.values()) {
                    if (!Double.isFinite(v)) {
                        return false;
                    }
                }
            }
            return true;
        }

        @Override
        public String toString() {
            return family + "/" + id;
        }
    }

    private static final class Doc {
        String family;
        List<Case> cases;
    }

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().setStrictness(com.google.gson.Strictness.LENIENT).create();

    private Golden() {
    }

    /** Every case of every golden file, file by file. */
    public static List<Case> all() {
        URL dir = Golden.class.getClassLoader().getResource("golden");
        if (dir == null) {
            throw new IllegalStateException("no golden/ directory on the test class path");
        }
        List<Case> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                out.addAll(load(p));
            }
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot read golden files", e);
        }
        return out;
    }

    public static List<Case> load(Path p) throws IOException {
        try (Reader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
            Doc d = GSON.fromJson(r, new TypeToken<Doc>() { }.getType());
            for (Case c : d.cases) {
                c.family = d.family;
                if (c.options != null) {
                    c.options.replaceAll((k, v) -> specialNumbers(v));
                }
            }
            return d.cases;
        }
    }

    /**
     * NOTE: Gson reads the bare NaN, Infinity and -Infinity that Python's json writes as strings into an
     * Object (numbers elsewhere); an option (a weight of NaN) gets them back as numbers here.
     */
    private static Object specialNumbers(Object v) {
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(specialNumbers(o));
            }
            return out;
        }
        if (v instanceof String s) {
            switch (s) {
                case "NaN": return Double.NaN;
                case "Infinity": return Double.POSITIVE_INFINITY;
                case "-Infinity": return Double.NEGATIVE_INFINITY;
                default: return s;
            }
        }
        return v;
    }
}
