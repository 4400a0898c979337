package dev.jloss.spark.bench;

import dev.jloss.spark.JLossSpark;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;

/**
 * Cross-entropy over Parquet in local[2]: reading alone, jloss-spark, the same loss as Spark SQL
 * higher-order functions, and a per-row Java UDF. Prints a Markdown table (scripts/bench-spark.sh).
 * Arguments: ROWS CLASSES DIR.
 */
public final class CrossEntropyBench {
    private CrossEntropyBench() {
    }

    public static void main(String[] a) {
        long rows = Long.parseLong(a[0]);
        int classes = Integer.parseInt(a[1]);
        String dir = a[2];
        SparkSession s = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
        s.sparkContext().setLogLevel("ERROR");
        s.sql("SELECT CAST(id % " + classes + " AS INT) AS label, transform(sequence(1, " + classes
                + "), c -> CAST(randn(0) AS FLOAT)) AS logits FROM range(" + rows + ")").write().mode("overwrite").parquet(dir);
        s.udf().register("ce_row", (UDF2<scala.collection.Seq<Object>, Integer, Double>) (l, y) -> {
            int n = l.size();
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                m = Math.max(m, ((Number) l.apply(i)).doubleValue());
            }
            double z = 0;
            for (int i = 0; i < n; i++) {
                z += Math.exp(((Number) l.apply(i)).doubleValue() - m);
            }
            return Math.log(z) + m - ((Number) l.apply(y)).doubleValue();
        }, DataTypes.DoubleType);
        Dataset<Row> df = s.read().parquet(dir);
        double mb = rows * (classes * 4.0 + 4) / 1e6;
        System.out.println("| method | seconds | rows/s | MB/s | value |");
        System.out.println("|---|---|---|---|---|");
        for (int rep = 0; rep < 2; rep++) {
            boolean print = rep == 1; // the first round warms the JIT and the page cache
            time(print, "read the Parquet alone (sum of sizes)", rows, mb,
                    () -> s.read().parquet(dir).selectExpr("sum(size(logits) + label)").first().get(0).toString());
            time(print, "jloss-spark reduce", rows, mb, () -> Double.toString(
                    JLossSpark.loss("cross_entropy", Map.of()).columns("logits", "label").reduce(s.read().parquet(dir)).getValue()));
            time(print, "Spark SQL higher-order functions", rows, mb, () -> s.read().parquet(dir)
                    .selectExpr("array_max(logits) AS m", "logits", "label")
                    .selectExpr("avg(log(aggregate(logits, 0D, (acc, x) -> acc + exp(x - m))) + m - element_at(logits, label + 1))")
                    .first().get(0).toString());
            time(print, "per-row Java UDF", rows, mb, () -> s.read().parquet(dir).selectExpr("avg(ce_row(logits, label))")
                    .first().get(0).toString());
        }
        s.stop();
    }

    private static void time(boolean print, String what, long rows, double mb, java.util.function.Supplier<String> f) {
        long t0 = System.nanoTime();
        String v = f.get();
        double sec = (System.nanoTime() - t0) / 1e9;
        if (print) {
            System.out.printf("| %s | %.2f | %.0f | %.1f | %s |%n", what, sec, rows / sec, mb / sec, v);
        }
    }
}
