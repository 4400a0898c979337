package dev.jloss.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one JSON object {@code jloss eval} prints: a small writer for maps of strings, numbers, booleans,
 * shapes and nested maps. A float32 value is written as the shortest decimal that reads back as the
 * same float; NaN and infinities, which JSON lacks, as the strings {@code "NaN"}, {@code "Infinity"}
 * and {@code "-Infinity"} (which Python's {@code float()} and Java's {@code Double.parseDouble} read).
 * Public so that the Spark module's {@code jloss-spark eval} prints the same JSON.
 */
public final class Json {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    public Json put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        write(sb, fields);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Json j) {
            write(sb, j.fields);
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(sb, String.valueOf(e.getKey()));
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof long[] a) {
            sb.append('[');
            for (int i = 0; i < a.length; i++) {
                sb.append(i > 0 ? "," : "").append(a[i]);
            }
            sb.append(']');
        } else if (v instanceof Float f) {
            number(sb, f.isNaN() || f.isInfinite() ? null : Float.toString(f), f.doubleValue());
        } else if (v instanceof Double d) {
            String text = d.isNaN() || d.isInfinite() ? null
                    : d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : Double.toString(d);
            number(sb, text, d);
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else {
            string(sb, v.toString());
        }
    }

    private static void number(StringBuilder sb, String text, double d) {
        if (text != null) {
            sb.append(text);
        } else {
            string(sb, Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
