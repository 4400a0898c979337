package dev.jloss.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.jloss.spark.cli.SparkEvalAccess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jloss-spark eval} over Parquet: the JSON of {@code jloss eval}, overall and per group. */
class SparkEvalTest extends SparkTestBase {
    @TempDir
    Path tmp;

    @Test
    void evalPrintsTheJsonOfJlossEvalPerGroup() throws Exception {
        DataFrameApiTest tables = new DataFrameApiTest();
        tables.spark = spark;
        Dataset<Row> df = tables.table();
        String path = tmp.resolve("preds.parquet").toString();
        df.write().parquet(path);
        LossValue expected = JLossSpark.loss("cross_entropy", Map.of("ignore_index", 2)).columns("logits", "label")
                .reduce(spark.read().parquet(path));
        Map<List<Object>, LossValue> groups = JLossSpark.loss("cross_entropy", Map.of("ignore_index", 2))
                .columns("logits", "label").groupBy("lang").collectByGroup(spark.read().parquet(path));
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, SparkEvalAccess.run("eval", "CrossEntropyLoss", "--data", path, "--input", "logits",
                    "--target", "label", "--ignore-index", "2", "--master", "local[2]"));
        } finally {
            System.setOut(old);
        }
        JsonObject j = JsonParser.parseString(buf.toString(StandardCharsets.UTF_8).trim()).getAsJsonObject();
        assertEquals("CrossEntropyLoss", j.get("loss").getAsString());
        assertEquals("mean", j.get("reduction").getAsString());
        assertEquals((float) expected.getValue(), j.get("value").getAsFloat());
        assertEquals(expected.getDenominator(), j.get("denominator").getAsDouble());
        assertEquals(DataFrameApiTest.ROWS, j.get("batch").getAsLong());
        startSpark(); // eval stopped the shared session
        buf.reset();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, SparkEvalAccess.run("eval", "cross_entropy", "--data", path, "--input", "logits",
                    "--target", "label", "--ignore-index", "2", "--group-by", "lang", "--master", "local[2]"));
        } finally {
            System.setOut(old);
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).trim().split("\n");
        assertEquals(3, lines.length);
        for (String line : lines) {
            JsonObject g = JsonParser.parseString(line).getAsJsonObject();
            String lang = g.getAsJsonObject("group").get("lang").getAsString();
            assertEquals((float) groups.get(List.of(lang)).getValue(), g.get("value").getAsFloat(), lang);
        }
        startSpark();
        assertTrue(!spark.sparkContext().isStopped());
    }
}
