package dev.jloss.loss;

import dev.jloss.LossArgumentException;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Loss options by PyTorch's constructor names ({@code ignore_index}, {@code label_smoothing}), for
 * building a loss from a map: the command line and the golden tests use it. Values may be numbers,
 * booleans, strings ({@code "0.1"}, {@code "true"}) and, for tensor options, {@code float[]},
 * {@code double[]}, a {@code List} of numbers or a {@link Tensor}. {@link #finish()} rejects any
 * option the loss did not read, naming it.
 */
public final class Options {
    private final String fn;
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Set<String> used = new HashSet<>();

    public Options(String functionalName, Map<String, ?> values) {
        this.fn = functionalName;
        if (values != null) {
            values.forEach((k, v) -> this.values.put(k.replace('-', '_').toLowerCase(Locale.ROOT), v));
        }
    }

    private Object take(String key) {
        used.add(key);
        return values.get(key);
    }

    public boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    /**
     * The reduction: {@code reduction} (default mean), overridden as PyTorch does when either of the
     * legacy {@code size_average}/{@code reduce} flags is given.
     */
    public Reduction reduction(boolean allowBatchmean) {
        return reduction(allowBatchmean, true);
    }

    /**
     * The reduction: {@code reduction} (default mean) and, when {@code legacyPair}, the legacy
     * {@code size_average}/{@code reduce} flags as PyTorch reads them; without the pair they are not
     * read (see {@link LossBuilder#options} for the loss that rejects them).
     */
    public Reduction reduction(boolean allowBatchmean, boolean legacyPair) {
        Object r = take("reduction");
        Reduction red;
        try {
            red = r == null ? Reduction.MEAN : r instanceof Reduction rr ? rr : Reduction.parse(r.toString());
        } catch (IllegalArgumentException e) {
            throw Checks.fail(fn, "reduction %s", e.getMessage().replace("reduction: ", ""));
        }
        if (red == Reduction.BATCHMEAN && !allowBatchmean) {
            throw Checks.fail(fn, "reduction 'batchmean' is only valid for kl_div, expected none, mean or sum");
        }
        if (!legacyPair) {
            return red;
        }
        Boolean sizeAverage = bool("size_average", null);
        Boolean reduce = bool("reduce", null);
        return Reduction.legacy(sizeAverage, reduce, red);
    }

    public double getDouble(String key, double dflt) {
        Object v = take(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException e) {
            throw Checks.fail(fn, "option %s expects a number, got '%s'", key, v);
        }
    }

    public long getLong(String key, long dflt) {
        Object v = take(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d != Math.rint(d)) {
                throw Checks.fail(fn, "option %s expects an integer, got %s", key, v);
            }
            return n.longValue();
        }
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw Checks.fail(fn, "option %s expects an integer, got '%s'", key, v);
        }
    }

    public boolean getBool(String key, boolean dflt) {
        Boolean b = bool(key, dflt);
        return b;
    }

    private Boolean bool(String key, Boolean dflt) {
        Object v = take(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim().toLowerCase(Locale.ROOT);
        if (s.equals("true")) {
            return true;
        }
        if (s.equals("false")) {
            return false;
        }
        throw Checks.fail(fn, "option %s expects true or false, got '%s'", key, v);
    }

    public String getString(String key, String dflt) {
        Object v = take(key);
        return v == null ? dflt : v.toString();
    }

    /** A 1-D tensor option as floats, or null when absent. */
    public float[] getFloats(String key) {
        HostArray a = getArray(key);
        return a == null ? null : a.values();
    }

    /**
     * A tensor option with its shape, or null when absent: a {@code float[]}/{@code double[]} (1-D),
     * a {@link Tensor}, a {@link HostArray} or a (nested) {@code List} of numbers.
     */
    public HostArray getArray(String key) {
        Object v = take(key);
        if (v == null) {
            return null;
        }
        if (v instanceof HostArray h) {
            return h;
        }
        if (v instanceof float[] f) {
            return HostArray.of(f);
        }
        if (v instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return HostArray.of(f);
        }
        if (v instanceof Tensor t) {
            return new HostArray(t.toFloatArray(), t.shape());
        }
        if (v instanceof List<?> l) {
            java.util.List<Long> shape = new java.util.ArrayList<>();
            Object cur = l;
            while (cur instanceof List<?> cl) {
                shape.add((long) cl.size());
                cur = cl.isEmpty() ? null : cl.get(0);
            }
            java.util.List<Float> flat = new java.util.ArrayList<>();
            flatten(key, l, 0, shape, flat);
            float[] f = new float[flat.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = flat.get(i);
            }
            return new HostArray(f, shape.stream().mapToLong(Long::longValue).toArray());
        }
        throw Checks.fail(fn, "option %s expects a tensor (float array), got %s", key, v.getClass().getSimpleName());
    }

    private void flatten(String key, List<?> l, int depth, List<Long> shape, List<Float> out) {
        if (l.size() != shape.get(depth)) {
            throw Checks.fail(fn, "option %s is a ragged nested list", key);
        }
        for (Object o : l) {
            if (depth + 1 < shape.size()) {
                if (!(o instanceof List<?> sub)) {
                    throw Checks.fail(fn, "option %s is a ragged nested list", key);
                }
                flatten(key, sub, depth + 1, shape, out);
            } else if (o instanceof Number n) {
                out.add(n.floatValue());
            } else {
                throw Checks.fail(fn, "option %s expects numbers, found '%s'", key, o);
            }
        }
    }

    /** Throws naming the first option the loss does not have. */
    public void finish() {
        for (String k : values.keySet()) {
            if (!used.contains(k)) {
                throw new LossArgumentException(fn + ": unknown option '" + k + "'");
            }
        }
    }
}
