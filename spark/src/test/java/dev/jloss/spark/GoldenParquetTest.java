package dev.jloss.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.jloss.LossSpec;
import dev.jloss.loss.Losses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The core's golden cases (real PyTorch, float64), one row per sample, written to Parquet by Spark and
 * evaluated through the DataFrame API and through SQL: for every loss family, its first reduced case whose
 * tensors are all batched along one dimension (the layouts a table has).
 */
class GoldenParquetTest extends SparkTestBase {
    static final Path GOLDEN = Path.of("..", "src", "test", "resources", "golden");
    static final double RTOL = 2e-4;
    static final double ATOL = 2e-5;

    @TempDir
    Path tmp;

    @Test
    void everyFamilyThroughTheDataFrameApiAndSql() throws IOException {
        TreeSet<String> covered = new TreeSet<>();
        TreeSet<String> all = new TreeSet<>();
        List<String> report = new ArrayList<>();
        try (var files = Files.list(GOLDEN)) {
            for (Path f : files.sorted().toList()) {
                JsonObject root = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
                String family = f.getFileName().toString().replace(".json", "");
                all.add(family);
                for (JsonElement ce : root.getAsJsonArray("cases")) {
                    JsonObject c = ce.getAsJsonObject();
                    Dataset<Row> df = table(c);
                    if (df == null) {
                        continue;
                    }
                    String loss = c.get("loss").getAsString();
                    Map<String, Object> opts = options(c.getAsJsonObject("options"));
                    List<String> cols = new ArrayList<>();
                    for (JsonElement in : c.getAsJsonArray("inputs")) {
                        cols.add(in.getAsJsonObject().get("name").getAsString());
                    }
                    Path dir = tmp.resolve(family);
                    df.write().parquet(dir.toString());
                    Dataset<Row> read = spark.read().parquet(dir.toString()).repartition(3);
                    double expected = c.getAsJsonObject("output").getAsJsonArray("data").get(0).getAsDouble();
                    LossValue v = JLossSpark.loss(loss, opts).columns(cols.toArray(String[]::new)).reduce(read);
                    assertClose(expected, v.getValue(), c.get("id").getAsString() + " (DataFrame API)");
                    read.createOrReplaceTempView("t_" + family);
                    String fn = "jloss_" + family;
                    JLossSpark.register(spark, fn, loss, opts, read.schema(), cols.toArray(String[]::new));
                    double sql = spark.sql("SELECT " + fn + "(" + String.join(", ", cols) + ") FROM t_" + family)
                            .first().getDouble(0);
                    assertEquals(Double.doubleToLongBits(v.getValue()), Double.doubleToLongBits(sql), family + " (SQL)");
                    covered.add(family);
                    report.add(family + ": " + c.get("id").getAsString());
                    break;
                }
            }
        }
        System.out.println("golden cases through Spark: " + report);
        assertEquals(all, covered, "families without a table-shaped reduced golden case");
        assertTrue(covered.size() >= 21, "covered " + covered);
    }

    private static void assertClose(double expected, double actual, String what) {
        assertTrue(Math.abs(expected - actual) <= ATOL + RTOL * Math.abs(expected),
                what + ": expected " + expected + ", got " + actual);
    }

    private static Map<String, Object> options(JsonObject o) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            JsonElement v = e.getValue();
            if (v.isJsonArray()) {
                List<Double> l = new ArrayList<>();
                for (JsonElement x : v.getAsJsonArray()) {
                    l.add(x.getAsDouble());
                }
                m.put(e.getKey(), l);
            } else if (v.isJsonObject() && v.getAsJsonObject().has("data")) {
                List<Double> l = new ArrayList<>();
                for (JsonElement x : v.getAsJsonObject().getAsJsonArray("data")) {
                    l.add(x.getAsDouble());
                }
                m.put(e.getKey(), l);
            } else if (v.getAsJsonPrimitive().isBoolean()) {
                m.put(e.getKey(), v.getAsBoolean());
            } else if (v.getAsJsonPrimitive().isNumber()) {
                m.put(e.getKey(), v.getAsDouble());
            } else {
                m.put(e.getKey(), v.getAsString());
            }
        }
        return m;
    }

    /** The case as a table (one row per sample), or null when its layout is not one a table has. */
    private Dataset<Row> table(JsonObject c) {
        JsonObject o = c.getAsJsonObject("options");
        String red = o.has("reduction") ? o.get("reduction").getAsString() : "mean";
        if (red.equals("none") || o.has("size_average") || o.has("reduce")) {
            return null;
        }
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            JsonElement v = e.getValue();
            if (v.isJsonObject() && v.getAsJsonObject().getAsJsonArray("shape").size() != 1) {
                return null; // a batch-shaped tensor option
            }
            if (v.isJsonArray() && v.getAsJsonArray().size() > 0 && v.getAsJsonArray().get(0).isJsonArray()) {
                return null;
            }
        }
        LossSpec spec = Losses.spec(c.get("loss").getAsString());
        JsonArray inputs = c.getAsJsonArray("inputs");
        int n = -1;
        List<long[]> shapes = new ArrayList<>();
        for (int k = 0; k < inputs.size(); k++) {
            JsonArray sh = inputs.get(k).getAsJsonObject().getAsJsonArray("shape");
            long[] s = new long[sh.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = sh.get(i).getAsLong();
            }
            shapes.add(s);
            boolean timeMajor = spec.batching() == LossSpec.Batching.TIME_MAJOR && k == 0;
            if (s.length == 0 || (timeMajor && s.length != 3) || s.length > 3) {
                return null;
            }
            int b = (int) (timeMajor ? s[1] : s[0]);
            if (n >= 0 && b != n) {
                return null;
            }
            n = b;
        }
        if (n < 2 || shapes.get(0).length < spec.batchedRank()
                || (spec.batching() == LossSpec.Batching.TIME_MAJOR && shapes.get(1).length != 2)) {
            return null;
        }
        StructType schema = new StructType();
        for (int k = 0; k < inputs.size(); k++) {
            JsonObject in = inputs.get(k).getAsJsonObject();
            DataType t = in.get("dtype").getAsString().startsWith("int") ? DataTypes.LongType : DataTypes.FloatType;
            int rank = shapes.get(k).length - 1;
            for (int r = 0; r < rank; r++) {
                t = DataTypes.createArrayType(t, false);
            }
            schema = schema.add(in.get("name").getAsString(), t, false);
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object[] v = new Object[inputs.size()];
            for (int k = 0; k < inputs.size(); k++) {
                JsonObject in = inputs.get(k).getAsJsonObject();
                boolean ints = in.get("dtype").getAsString().startsWith("int");
                JsonArray data = in.getAsJsonArray("data");
                long[] s = shapes.get(k);
                boolean timeMajor = spec.batching() == LossSpec.Batching.TIME_MAJOR && k == 0;
                if (s.length == 1) {
                    v[k] = value(data.get(i), ints);
                } else if (s.length == 2) {
                    v[k] = seq(data, i * (int) s[1], (int) s[1], 1, ints);
                } else {
                    List<Object> outer = new ArrayList<>();
                    int a = (int) s[1];
                    int b = (int) s[2];
                    for (int j = 0; j < (timeMajor ? s[0] : a); j++) {
                        int start = timeMajor ? (int) ((j * s[1] + i) * b) : (int) ((i * a + j) * b);
                        outer.add(seq(data, start, b, 1, ints));
                    }
                    v[k] = scala.jdk.javaapi.CollectionConverters.asScala(outer).toSeq();
                }
            }
            rows.add(RowFactory.create(v));
        }
        return spark.createDataFrame(rows, schema);
    }

    private static Object value(JsonElement e, boolean ints) {
        return ints ? (Object) e.getAsLong() : (Object) e.getAsFloat();
    }

    private static Object seq(JsonArray data, int start, int len, int step, boolean ints) {
        List<Object> l = new ArrayList<>();
        for (int j = 0; j < len; j++) {
            l.add(value(data.get(start + j * step), ints));
        }
        return scala.jdk.javaapi.CollectionConverters.asScala(l).toSeq();
    }
}
