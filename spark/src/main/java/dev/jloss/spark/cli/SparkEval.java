package dev.jloss.spark.cli;

import dev.jloss.LossSpec;
import dev.jloss.cli.Json;
import dev.jloss.loss.Losses;
import dev.jloss.spark.JLossSpark;
import dev.jloss.spark.LossValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code jloss-spark eval LOSS --data PATH [--format parquet] --input COL --target COL [--ARG COL]...
 * [--group-by COL] [--OPTION VALUE]... [--master local[*]]}: one loss over a table Spark reads, printing
 * the JSON object of {@code jloss eval} (one per line and group when grouped, with its {@code group}).
 * Argument columns are given by PyTorch's {@code forward()} names ({@code --input1}, {@code --log-probs});
 * an argument without a flag reads the column of its own name. Runnable through {@code spark-submit}
 * (then {@code --master} is spark-submit's). Exit status 0, 2 for bad input (one line on stderr), 1 otherwise.
 */
public final class SparkEval {
    private SparkEval() {
    }

    public static void main(String[] argv) {
        try {
            System.exit(run(argv));
        } catch (IllegalArgumentException e) {
            System.err.println("jloss-spark: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) { // Spark's AnalysisException (a missing path or column) is checked in Java's eyes
            String m = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString());
            System.err.println("jloss-spark: " + m);
            System.exit(e.getClass().getSimpleName().equals("AnalysisException") ? 2 : 1);
        }
    }

    static int run(String[] argv) {
        if (argv.length < 2 || !argv[0].equals("eval")) {
            throw new IllegalArgumentException("usage: jloss-spark eval LOSS --data PATH [--format parquet] --input COL"
                    + " --target COL [--group-by COL] [--OPTION VALUE]... [--master local[*]]");
        }
        String loss = argv[1];
        LossSpec spec = Losses.spec(loss);
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 2; i < argv.length; i++) {
            String t = argv[i];
            if (!t.startsWith("--") || i + 1 >= argv.length) {
                throw new IllegalArgumentException("expected --NAME VALUE, got '" + t + "'");
            }
            String key = t.substring(2).replace('-', '_').toLowerCase(Locale.ROOT);
            if (flags.put(key, argv[++i]) != null) {
                throw new IllegalArgumentException("option " + t + " is given twice");
            }
        }
        String data = flags.remove("data");
        if (data == null) {
            throw new IllegalArgumentException("--data PATH is required");
        }
        String format = flags.remove("format");
        String master = flags.remove("master");
        String groupBy = flags.remove("group_by");
        List<String> cols = new ArrayList<>();
        for (String a : spec.argumentNames()) {
            String c = flags.remove(a);
            cols.add(c == null ? a : c);
        }
        Map<String, Object> options = new LinkedHashMap<>();
        flags.forEach((k, v) -> options.put(k, value(v)));
        JLossSpark j = JLossSpark.loss(loss, options).columns(cols.toArray(String[]::new));
        SparkSession.Builder b = SparkSession.builder().appName("jloss-spark eval " + spec.functionalName());
        if (master != null) {
            b.master(master);
        } else if (System.getProperty("spark.master") == null) {
            b.master("local[*]");
        }
        SparkSession spark = b.getOrCreate();
        try {
            Dataset<Row> df = spark.read().format(format == null ? "parquet" : format).load(data);
            long t0 = System.nanoTime();
            String red = j.reduction();
            if (groupBy == null) {
                System.out.println(json(spec, red, j.reduce(df), cols, t0, null));
            } else {
                for (Map.Entry<List<Object>, LossValue> e : j.groupBy(groupBy).collectByGroup(df).entrySet()) {
                    System.out.println(json(spec, red, e.getValue(), cols, t0, Map.of(groupBy, String.valueOf(e.getKey().get(0)))));
                }
            }
            return 0;
        } finally {
            spark.stop();
        }
    }

    private static Object value(String v) {
        if (v.contains(",")) {
            List<Double> l = new ArrayList<>();
            for (String p : v.split(",")) {
                l.add(Double.parseDouble(p.trim()));
            }
            return l;
        }
        return v;
    }

    private static Json json(LossSpec spec, String red, LossValue v, List<String> cols, long t0, Map<String, String> group) {
        Json j = new Json();
        if (group != null) {
            j.put("group", group);
        }
        j.put("loss", spec.className()).put("backend", JLossSpark.backendName()).put("reduction", red)
                .put("shape", new long[0]).put("value", (float) v.getValue()).put("denominator", v.getDenominator())
                .put("sum", v.getSum());
        Map<String, Object> inputs = new LinkedHashMap<>();
        for (int k = 0; k < cols.size(); k++) {
            inputs.put(spec.argumentNames().get(k), new Json().put("column", cols.get(k)));
        }
        j.put("inputs", inputs).put("batch", v.getRows()).put("elements", v.getElements())
                .put("seconds", Math.round((System.nanoTime() - t0) / 1e5) / 1e4);
        return j;
    }
}
