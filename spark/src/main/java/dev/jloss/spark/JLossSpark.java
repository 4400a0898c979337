package dev.jloss.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * jloss's losses over Spark DataFrames: a loss by PyTorch name and options (as {@code Losses.create}
 * takes them), the columns of its {@code forward()} arguments in order, and optional group-by columns.
 *
 * <pre>{@code
 * JLossSpark ce = JLossSpark.loss("cross_entropy", Map.of("label_smoothing", 0.1)).columns("logits", "label");
 * Dataset<Row> perRow = ce.withLoss(preds, "loss");           // every column kept, plus "loss" (reduction=none)
 * LossValue all = ce.reduce(preds);                           // PyTorch's mean, with its denominator and row count
 * Dataset<Row> byLang = ce.groupBy("lang").reduceByGroup(preds); // lang, value, sum, denominator, rows, elements
 * JLossSpark.register(spark, "jloss_cross_entropy", "cross_entropy", Map.of(), preds.schema(), "logits", "label");
 * spark.sql("SELECT lang, jloss_cross_entropy(logits, label) FROM preds GROUP BY lang");
 * }</pre>
 *
 * <p>Rows are evaluated in batches of up to {@value BoundLoss#BATCH_ROWS} per partition on the
 * executor's backend ({@code Backends.auto()}, created once per JVM). A reduced value is computed from exact
 * partial sums ({@link ExactSum}): bitwise the same for any partitioning and task order. Bad input (a null
 * or short array, a label out of range) fails the job with a {@link JLossSparkException} naming the
 * column, the row and what was expected; {@link #reduce} and {@link #reduceByGroup} rethrow it unwrapped.
 */
public final class JLossSpark {
    private final String name;
    private final Map<String, Object> options;
    private final List<String> columns;
    private final List<String> groupBy;

    private JLossSpark(String name, Map<String, ?> options, List<String> columns, List<String> groupBy) {
        this.name = name;
        this.options = new LinkedHashMap<>(options == null ? Map.of() : options);
        this.columns = List.copyOf(columns);
        this.groupBy = List.copyOf(groupBy);
    }

    /** The loss {@code name} (class or functional name) with PyTorch-named options; checked now. */
    public static JLossSpark loss(String name, Map<String, ?> options) {
        dev.jloss.loss.Losses.create(name, options == null ? Map.of() : options);
        return new JLossSpark(name, options, List.of(), List.of());
    }

    /** The columns of the loss's {@code forward()} arguments, in order ({@code input}, {@code target}, ...). */
    public JLossSpark columns(String... cols) {
        return new JLossSpark(name, options, Arrays.asList(cols), groupBy);
    }

    /** Group-by columns for {@link #reduceByGroup}. */
    public JLossSpark groupBy(String... cols) {
        return new JLossSpark(name, options, columns, Arrays.asList(cols));
    }

    /** The reduction of the loss ({@code mean}, {@code sum}, {@code batchmean}, {@code none}). */
    public String reduction() {
        return dev.jloss.loss.Losses.create(name, options).reduction().toString();
    }

    /** The name of this JVM's backend (the driver's; executors choose their own the same way). */
    public static String backendName() {
        return ExecutorBackend.get().name();
    }

    private BoundLoss bind(StructType schema) {
        return new BoundLoss(name, options, schema, columns);
    }

    /** {@code df} with a per-row loss column {@code out} (reduction=none): float, or array<float> for element-wise losses over arrays. */
    public Dataset<Row> withLoss(Dataset<Row> df, String out) {
        BoundLoss b = bind(df.schema());
        boolean scalar = b.scalarPerRow();
        StructType schema = df.schema().add(out, scalar ? DataTypes.FloatType
                : DataTypes.createArrayType(DataTypes.FloatType, false), false);
        int[] index = new int[b.columns.size()];
        for (int k = 0; k < index.length; k++) {
            index[k] = df.schema().fieldIndex(b.columns.get(k).column);
        }
        return df.mapPartitions(new PerRow(b, index, scalar), Encoders.row(schema));
    }

    /** The reduced value over all rows (the loss's reduction; {@code none} and {@code sum} give the sum). */
    public LossValue reduce(Dataset<Row> df) {
        Row r = unwrap(() -> df.agg(column(df)).collectAsList()).get(0);
        return toValue(r.getStruct(0));
    }

    /** One row per group: the group-by columns, then value, sum, denominator, rows, elements. */
    public Dataset<Row> reduceByGroup(Dataset<Row> df) {
        Column[] keys = groupBy.stream().map(df::col).toArray(Column[]::new);
        Dataset<Row> agg = df.groupBy(keys).agg(column(df).as("jloss"));
        List<Column> sel = new ArrayList<>();
        groupBy.forEach(g -> sel.add(functions.col(g)));
        for (String f : List.of("value", "sum", "denominator", "rows", "elements")) {
            sel.add(functions.col("jloss." + f).as(f));
        }
        return agg.select(sel.toArray(Column[]::new));
    }

    /** {@link #reduceByGroup}, collected: group key (the group-by values joined by ',') to value. */
    public Map<List<Object>, LossValue> collectByGroup(Dataset<Row> df) {
        Map<List<Object>, LossValue> m = new LinkedHashMap<>();
        for (Row r : unwrap(() -> reduceByGroup(df).collectAsList())) {
            List<Object> key = new ArrayList<>();
            for (int i = 0; i < groupBy.size(); i++) {
                key.add(r.get(i));
            }
            int g = groupBy.size();
            m.put(key, new LossValue(r.getDouble(g), r.getDouble(g + 1), r.getDouble(g + 2), r.getLong(g + 3),
                    r.getLong(g + 4)));
        }
        return m;
    }

    private Column column(Dataset<Row> df) {
        BoundLoss b = bind(df.schema());
        StructType in = inputSchema(b, df.schema());
        UserDefinedFunction f = functions.udaf(LossAggregator.detailed(b), Encoders.row(in));
        return f.apply(columns.stream().map(df::col).toArray(Column[]::new));
    }

    private static StructType inputSchema(BoundLoss b, StructType schema) {
        StructField[] fs = new StructField[b.columns.size()];
        for (int k = 0; k < fs.length; k++) {
            StructField f = schema.apply(b.columns.get(k).column);
            fs[k] = new StructField(b.columns.get(k).arg, f.dataType(), true, f.metadata());
        }
        return new StructType(fs);
    }

    /**
     * Registers a SQL aggregate {@code sqlName(col, ...)} returning the loss's reduced value, for arguments of
     * the types the columns {@code argColumns} have in {@code schema} (a table's schema).
     */
    public static UserDefinedFunction register(SparkSession spark, String sqlName, String loss, Map<String, ?> options,
                                               StructType schema, String... argColumns) {
        BoundLoss b = new BoundLoss(loss, options, schema, Arrays.asList(argColumns));
        UserDefinedFunction f = functions.udaf(LossAggregator.value(b), Encoders.row(inputSchema(b, schema)));
        return spark.udf().register(sqlName, f);
    }

    private static LossValue toValue(Row s) {
        return new LossValue(s.getAs("value"), s.getAs("sum"), s.getAs("denominator"), s.getAs("rows"), s.getAs("elements"));
    }

    /** Runs a Spark action; a {@link JLossSparkException} from a task is rethrown as itself, one clear message. */
    static <T> T unwrap(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (Exception e) { // SparkException is checked, but Scala throws it from any action
            JLossSparkException j = JLossSparkException.find(e);
            if (j != null && j != e) {
                JLossSparkException again = new JLossSparkException(j.getMessage());
                again.initCause(e);
                throw again;
            }
            throw JLossSpark.<RuntimeException>sneaky(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Exception> E sneaky(Exception e) throws E {
        throw (E) e;
    }

    /** The per-row pass: batches of rows, one reduction=none call each, rows out in order with the loss. */
    private static final class PerRow implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final BoundLoss b;
        private final int[] index;
        private final boolean scalar;

        PerRow(BoundLoss b, int[] index, boolean scalar) {
            this.b = b;
            this.index = index;
            this.scalar = scalar;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> in) {
            TaskContext tc = TaskContext.get();
            String part = tc == null ? "" : " of partition " + tc.partitionId();
            LossState st = new LossState();
            return new Iterator<>() {
                private final List<Row> rows = new ArrayList<>();
                private final List<Object[]> values = new ArrayList<>();
                private final List<String> where = new ArrayList<>();
                private float[] out;
                private int next;
                private long seen;

                @Override
                public boolean hasNext() {
                    if (out != null && next < rows.size()) {
                        return true;
                    }
                    rows.clear();
                    values.clear();
                    where.clear();
                    long elems = 0;
                    while (in.hasNext() && rows.size() < BoundLoss.BATCH_ROWS && elems < BoundLoss.BATCH_ELEMENTS) {
                        Row r = in.next();
                        String w = "row " + seen++ + part;
                        Object[] v = b.read(r, index, w, st);
                        for (Object o : v) {
                            elems += o instanceof float[] f ? f.length : ((long[]) o).length;
                        }
                        rows.add(r);
                        values.add(v);
                        where.add(w);
                    }
                    next = 0;
                    out = rows.isEmpty() ? null : b.evaluate(values, where, st.shapes);
                    return out != null;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    Row r = rows.get(next);
                    int per = out.length / rows.size();
                    Object loss;
                    if (scalar) {
                        loss = out[next];
                    } else {
                        Float[] a = new Float[per];
                        for (int k = 0; k < per; k++) {
                            a[k] = out[next * per + k];
                        }
                        loss = scala.jdk.javaapi.CollectionConverters.asScala(Arrays.asList(a)).toSeq();
                    }
                    next++;
                    Object[] v = new Object[r.length() + 1];
                    for (int i = 0; i < r.length(); i++) {
                        v[i] = r.get(i);
                    }
                    v[r.length()] = loss;
                    return RowFactory.create(v);
                }
            };
        }
    }
}
