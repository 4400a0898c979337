package dev.jloss.spark;

import java.util.function.Function;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Aggregator;

/**
 * A typed Spark {@link Aggregator} over the argument columns of one loss (register it with
 * {@code functions.udaf}). Rows are buffered per group and evaluated a batch at a time
 * ({@link BoundLoss#BATCH_ROWS}); partial results are exact ({@link ExactSum}), so the value is bitwise
 * the same for any partitioning and merge order.
 *
 * @param <O> the result: the value ({@code Double}) for SQL, or the whole {@link LossValue}
 */
final class LossAggregator<O> extends Aggregator<Row, LossState, O> {
    private static final long serialVersionUID = 1L;
    /** The row index within the running task's partition: {task attempt id, rows seen}. */
    private static final ThreadLocal<long[]> POSITION = ThreadLocal.withInitial(() -> new long[] {-1, 0});

    private final BoundLoss bound;
    private final int[] index;
    private final Encoder<O> out;
    private final SerializableFunction<LossValue, O> result;

    interface SerializableFunction<A, B> extends Function<A, B>, java.io.Serializable {
    }

    LossAggregator(BoundLoss bound, Encoder<O> out, SerializableFunction<LossValue, O> result) {
        this.bound = bound;
        this.index = new int[bound.columns.size()];
        for (int k = 0; k < index.length; k++) {
            index[k] = k;
        }
        this.out = out;
        this.result = result;
    }

    static LossAggregator<Double> value(BoundLoss b) {
        return new LossAggregator<>(b, Encoders.DOUBLE(), LossValue::getValue);
    }

    static LossAggregator<LossValue> detailed(BoundLoss b) {
        return new LossAggregator<>(b, Encoders.bean(LossValue.class), v -> v);
    }

    @Override
    public LossState zero() {
        return new LossState();
    }

    @Override
    public LossState reduce(LossState st, Row row) {
        String where = where();
        bound.add(st, bound.read(row, index, where, st), where);
        return st;
    }

    /** "row 17 of partition 2": the row's index among the rows this task aggregated. */
    static String where() {
        TaskContext tc = TaskContext.get();
        if (tc == null) {
            return "row " + POSITION.get()[1]++;
        }
        long[] p = POSITION.get();
        if (p[0] != tc.taskAttemptId()) {
            p[0] = tc.taskAttemptId();
            p[1] = 0;
        }
        return "row " + p[1]++ + " of partition " + tc.partitionId();
    }

    @Override
    public LossState merge(LossState a, LossState b) {
        return bound.merge(a, b);
    }

    @Override
    public O finish(LossState st) {
        return result.apply(bound.finish(st));
    }

    @Override
    public Encoder<LossState> bufferEncoder() {
        return Encoders.javaSerialization(LossState.class);
    }

    @Override
    public Encoder<O> outputEncoder() {
        return out;
    }
}
