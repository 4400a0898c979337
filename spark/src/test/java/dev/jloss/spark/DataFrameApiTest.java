package dev.jloss.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.Tensor;
import dev.jloss.backend.Backends;
import dev.jloss.loss.Losses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Cross-entropy over a synthetic table: grouping, partition invariance, SQL, bad input. */
class DataFrameApiTest extends SparkTestBase {
    static final int ROWS = 3000;
    static final int C = 7;
    static final Map<String, Object> OPTS = Map.of("weight", List.of(0.5, 1.0, 2.0, 1.5, 0.25, 1.0, 3.0),
            "ignore_index", 2, "label_smoothing", 0.1);

    final float[] logits = new float[ROWS * C];
    final long[] labels = new long[ROWS];

    Dataset<Row> table() {
        Random r = new Random(11);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            List<Float> l = new ArrayList<>();
            for (int c = 0; c < C; c++) {
                float v = (float) (r.nextGaussian() * 3);
                logits[i * C + c] = v;
                l.add(v);
            }
            labels[i] = r.nextInt(C);
            rows.add(RowFactory.create(i, i % 3 == 0 ? "en" : i % 3 == 1 ? "de" : "fr",
                    scala.jdk.javaapi.CollectionConverters.asScala(l).toSeq(), (int) labels[i]));
        }
        StructType s = new StructType().add("id", DataTypes.IntegerType).add("lang", DataTypes.StringType)
                .add("logits", DataTypes.createArrayType(DataTypes.FloatType)).add("label", DataTypes.IntegerType);
        return spark.createDataFrame(rows, s);
    }

    JLossSpark ce() {
        return JLossSpark.loss("cross_entropy", OPTS).columns("logits", "label");
    }

    /** The single-machine value (the core on the whole batch, as bin/jloss eval computes it). */
    float single(Map<String, Object> opts, float[] x, long[] y, int n) {
        Backend b = Backends.named("cpu");
        Loss l = Losses.create("cross_entropy", opts);
        try (Tensor xt = b.tensor(Arrays.copyOf(x, n * C), n, C); Tensor yt = b.tensor(Arrays.copyOf(y, n), n);
             Tensor out = l.forward(xt, yt)) {
            return out.item();
        }
    }

    @Test
    void reducedValueIsBitwiseTheSameForAnyPartitioning() {
        Dataset<Row> df = table();
        LossValue one = ce().reduce(df.repartition(1));
        LossValue three = ce().reduce(df.repartition(3));
        LossValue seventeen = ce().reduce(df.repartition(17));
        assertEquals(Double.doubleToLongBits(one.getValue()), Double.doubleToLongBits(three.getValue()));
        assertEquals(Double.doubleToLongBits(one.getValue()), Double.doubleToLongBits(seventeen.getValue()));
        assertEquals(Double.doubleToLongBits(one.getDenominator()), Double.doubleToLongBits(seventeen.getDenominator()));
        assertEquals(ROWS, seventeen.getRows());
        float expected = single(OPTS, logits, labels, ROWS);
        assertEquals(expected, one.getValue(), Math.abs(expected) * 1e-5, "vs the single-machine value");
        // the weighted mean's denominator: the class weights of the non-ignored targets
        double den = 0;
        double[] w = {0.5, 1.0, 2.0, 1.5, 0.25, 1.0, 3.0};
        for (long t : labels) {
            den += t == 2 ? 0 : (float) w[(int) t];
        }
        assertEquals(den, one.getDenominator(), 1e-9);
    }

    @Test
    void perGroupAndSql() {
        Dataset<Row> df = table();
        Map<List<Object>, LossValue> byLang = ce().groupBy("lang").collectByGroup(df.repartition(5));
        assertEquals(3, byLang.size());
        df.createOrReplaceTempView("preds");
        JLossSpark.register(spark, "jloss_cross_entropy", "cross_entropy", OPTS, df.schema(), "logits", "label");
        List<Row> sql = spark.sql("SELECT lang, jloss_cross_entropy(logits, label) AS loss FROM preds GROUP BY lang")
                .collectAsList();
        assertEquals(3, sql.size());
        for (Row r : sql) {
            String lang = r.getString(0);
            int mod = lang.equals("en") ? 0 : lang.equals("de") ? 1 : 2;
            int n = 0;
            float[] x = new float[ROWS * C];
            long[] y = new long[ROWS];
            for (int i = mod; i < ROWS; i += 3) {
                System.arraycopy(logits, i * C, x, n * C, C);
                y[n++] = labels[i];
            }
            float expected = single(OPTS, x, y, n);
            assertEquals(expected, r.getDouble(1), Math.abs(expected) * 1e-5, lang);
            LossValue v = byLang.get(List.of(lang));
            assertEquals(Double.doubleToLongBits(v.getValue()), Double.doubleToLongBits(r.getDouble(1)), lang);
            assertEquals(n, v.getRows());
        }
    }

    @Test
    void perRowLossKeepsTheOtherColumns() {
        Dataset<Row> df = table();
        Dataset<Row> out = JLossSpark.loss("cross_entropy", Map.of()).columns("logits", "label").withLoss(df.repartition(3), "loss");
        assertEquals(List.of("id", "lang", "logits", "label", "loss"), Arrays.asList(out.columns()));
        List<Row> rows = out.orderBy("id").collectAsList();
        assertEquals(ROWS, rows.size());
        Backend b = Backends.named("cpu");
        Loss none = Losses.create("cross_entropy", Map.of("reduction", "none"));
        try (Tensor xt = b.tensor(logits, ROWS, C); Tensor yt = b.tensor(labels, ROWS); Tensor o = none.forward(xt, yt)) {
            float[] e = o.toFloatArray();
            for (int i = 0; i < ROWS; i += 97) {
                assertEquals(e[i], rows.get(i).getFloat(4), Math.abs(e[i]) * 1e-6 + 1e-7, "row " + i);
                assertEquals(i, rows.get(i).getInt(0));
            }
        }
    }

    @Test
    void labelOutOfRangeNamesColumnAndRow() {
        Dataset<Row> df = table().withColumn("label", org.apache.spark.sql.functions.expr("IF(id = 1234, 9, label)"))
                .coalesce(1);
        JLossSparkException e = assertThrows(JLossSparkException.class, () -> ce().reduce(df));
        assertTrue(e.getMessage().contains("target 9 is out of bounds for 7 classes"), e.getMessage());
        assertTrue(e.getMessage().contains("column 'label'") && e.getMessage().contains("row 1234 of partition 0"),
                e.getMessage());
    }

    @Test
    void nullAndShortArraysNameColumnAndRow() {
        Dataset<Row> nulls = table().withColumn("logits",
                org.apache.spark.sql.functions.expr("IF(id = 10, CAST(NULL AS ARRAY<FLOAT>), logits)")).coalesce(1);
        JLossSparkException e = assertThrows(JLossSparkException.class, () -> ce().reduce(nulls));
        assertEquals("cross_entropy: column 'logits' (input) is null in row 10 of partition 0, expected array<float>",
                e.getMessage());
        Dataset<Row> shortRow = table().withColumn("logits",
                org.apache.spark.sql.functions.expr("IF(id = 20, slice(logits, 1, 5), logits)")).coalesce(1);
        e = assertThrows(JLossSparkException.class, () -> ce().reduce(shortRow));
        assertEquals("cross_entropy: column 'logits' (input) has length 5 in row 20 of partition 0, expected length 7"
                + " (as in row 0 of partition 0)", e.getMessage());
    }

    @Test
    void missingColumnIsNamed() {
        Dataset<Row> df = table();
        JLossSparkException e = assertThrows(JLossSparkException.class,
                () -> JLossSpark.loss("cross_entropy", Map.of()).columns("logits", "labels").reduce(df));
        assertEquals("cross_entropy: no column 'labels' for argument target, expected one of the DataFrame's columns"
                + " [id, lang, logits, label]", e.getMessage());
    }
}
