package dev.jloss.spark;

import dev.jloss.Backend;
import dev.jloss.Loss;
import dev.jloss.LossArgumentException;
import dev.jloss.LossSpec;
import dev.jloss.Reduction;
import dev.jloss.Tensor;
import dev.jloss.cli.Reducer;
import dev.jloss.loss.HostArray;
import dev.jloss.loss.Losses;
import dev.jloss.loss.Options;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A loss (by PyTorch name and option map) bound to the columns of its {@code forward()} arguments:
 * turns batches of rows into jloss tensors, evaluates them with {@code reduction=none} on the JVM's
 * backend and folds the outputs into a {@link LossState} exactly; the denominator comes from the
 * command line's {@link Reducer}, so it is PyTorch's (weighted class mean with ignore_index, CTC's
 * per-target-length mean, batchmean).
 */
final class BoundLoss implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Rows per batch, and the most float elements a batch holds before it is evaluated. */
    static final int BATCH_ROWS = 4096;
    static final long BATCH_ELEMENTS = 4L << 20;

    final String fn;
    final LinkedHashMap<String, Object> options;
    final List<ArgColumn> columns;
    private transient Loss noneLoss;
    private transient Loss reduced;

    BoundLoss(String name, Map<String, ?> options, StructType schema, List<String> columnNames) {
        Loss l = Losses.create(name, options == null ? Map.of() : options);
        this.fn = l.functionalName();
        this.options = new LinkedHashMap<>(options == null ? Map.of() : options);
        LossSpec spec = l.spec();
        if (columnNames.size() != spec.args().size()) {
            throw new JLossSparkException(fn + ": got " + columnNames.size() + " columns " + columnNames + ", expected "
                    + spec.args().size() + " (for " + String.join(", ", spec.argumentNames()) + ")");
        }
        List<ArgColumn> cols = new ArrayList<>();
        for (int i = 0; i < columnNames.size(); i++) {
            cols.add(ArgColumn.of(fn, spec.args().get(i), columnNames.get(i), schema));
        }
        this.columns = List.copyOf(cols);
        this.reduced = l;
    }

    Loss loss() {
        if (reduced == null) {
            reduced = Losses.create(fn, options);
        }
        return reduced;
    }

    LossSpec spec() {
        return loss().spec();
    }

    private Loss noneLoss() {
        if (noneLoss == null) {
            Map<String, Object> o = new LinkedHashMap<>(options);
            o.keySet().removeAll(List.of("reduction", "size_average", "reduce"));
            o.put("reduction", "none");
            noneLoss = Losses.create(fn, o);
        }
        return noneLoss;
    }

    /** Whether the per-row loss is one number (else an array, for element-wise losses over array columns). */
    boolean scalarPerRow() {
        LossSpec s = spec();
        return s.batching() != LossSpec.Batching.BROADCAST || s.batchedRank() > 1
                || columns.stream().allMatch(c -> c.kind == ArgColumn.Kind.SCALAR);
    }

    /** Reads row {@code row}'s arguments (column {@code k} at {@code index[k]}), checking them against the first row. */
    Object[] read(Row row, int[] index, String where, LossState st) {
        Object[] v = new Object[columns.size()];
        long[][] shape = new long[1][];
        long[][] shapes = new long[columns.size()][];
        for (int k = 0; k < v.length; k++) {
            ArgColumn c = columns.get(k);
            v[k] = c.read(row, index[k], fn, where, shape);
            shapes[k] = shape[0];
        }
        if (st.shapes == null) {
            st.shapes = shapes;
            st.firstWhere = where;
        } else {
            checkShapes(st.shapes, st.firstWhere, shapes, where);
        }
        return v;
    }

    private void checkShapes(long[][] first, String firstWhere, long[][] shapes, String where) {
        for (int k = 0; k < shapes.length; k++) {
            ArgColumn c = columns.get(k);
            if (!c.ragged() && !Arrays.equals(first[k], shapes[k])) {
                String what = shapes[k].length == 1 ? "length " + shapes[k][0] : "shape " + Arrays.toString(shapes[k]);
                String exp = first[k].length == 1 ? "length " + first[k][0] : "shape " + Arrays.toString(first[k]);
                throw new JLossSparkException(fn + ": column '" + c.column + "' (" + c.arg + ") has " + what + " in "
                        + where + ", expected " + exp + " (as in " + firstWhere + ")");
            }
        }
    }

    /** Adds a read row to the state; evaluates the pending batch when it is full. */
    void add(LossState st, Object[] values, String where) {
        st.pending.add(values);
        st.pendingWhere.add(where);
        for (Object o : values) {
            st.pendingElements += o instanceof float[] f ? f.length : ((long[]) o).length;
        }
        if (st.pending.size() >= BATCH_ROWS || st.pendingElements >= BATCH_ELEMENTS) {
            flush(st);
        }
    }

    /** Evaluates the pending rows into the exact sums. */
    void flush(LossState st) {
        if (st.pending.isEmpty()) {
            return;
        }
        float[] out = evaluate(st.pending, st.pendingWhere, st.shapes);
        accumulate(st, st.pending, out);
        st.pending.clear();
        st.pendingWhere.clear();
        st.pendingElements = 0;
    }

    /** Merges {@code b} into {@code a}: exact sums and counts; pending rows are evaluated first. */
    LossState merge(LossState a, LossState b) {
        flush(a);
        flush(b);
        if (a.shapes == null) {
            a.shapes = b.shapes;
            a.firstWhere = b.firstWhere;
        } else if (b.shapes != null) {
            checkShapes(a.shapes, a.firstWhere, b.shapes, b.firstWhere);
        }
        a.sum.merge(b.sum);
        a.weights.merge(b.weights);
        a.rows += b.rows;
        a.elements += b.elements;
        a.counted += b.counted;
        return a;
    }

    /** The reduced value of a finished state. */
    LossValue finish(LossState st) {
        flush(st);
        Reducer r = reducer(st, st.rows);
        r.setElements(st.elements);
        r.setTargetStats(st.counted, st.weights.doubleValue());
        double sum = st.sum.doubleValue();
        return new LossValue(r.coefficient() * sum, sum, r.denominator(), st.rows, st.elements);
    }

    private Reducer reducer(LossState st, long rows) {
        LossSpec spec = spec();
        Options read = new Options(fn, options);
        HostArray weight = spec.mean() == LossSpec.Mean.CLASS_WEIGHTS ? read.getArray("weight") : null;
        int target = classTarget();
        boolean indexTargets = target >= 0 && columns.get(target).integers;
        long classes = spec.batching() == LossSpec.Batching.LEADING && st.shapes != null && st.shapes[0].length > 0
                ? st.shapes[0][0] : 0;
        Reduction red = loss().reduction();
        return new Reducer(red, spec.mean(), indexTargets, weight, read.getLong("ignore_index", -100), classes, rows, rows);
    }

    private int classTarget() {
        for (int k = 0; k < columns.size(); k++) {
            if (columns.get(k).role == LossSpec.Role.CLASS_INDICES) {
                return k;
            }
        }
        return -1;
    }

    private void accumulate(LossState st, List<Object[]> rows, float[] out) {
        Reducer r = reducer(st, rows.size());
        int per = out.length / rows.size();
        if (r.hasMultipliers()) {
            int tl = indexOf(LossSpec.Role.TARGET_LENGTHS);
            long[] lengths = new long[rows.size()];
            for (int i = 0; i < lengths.length; i++) {
                lengths[i] = ((long[]) rows.get(i)[tl])[0];
            }
            float[] a = r.multipliers(lengths);
            for (int i = 0; i < out.length; i++) {
                st.sum.add((double) a[i / per] * out[i]);
            }
        } else {
            st.sum.addAll(out, 0, out.length);
        }
        if (r.needsTargetStats()) {
            int t = classTarget();
            for (Object[] row : rows) {
                for (long v : (long[]) row[t]) {
                    if (r.counts(v)) {
                        st.counted++;
                        st.weights.add(r.targetWeight(v));
                    }
                }
            }
        }
        st.rows += rows.size();
        st.elements += out.length;
    }

    private int indexOf(LossSpec.Role role) {
        for (int k = 0; k < columns.size(); k++) {
            if (columns.get(k).role == role) {
                return k;
            }
        }
        throw new IllegalStateException("internal error: " + fn + " has no argument with role " + role);
    }

    /**
     * The {@code reduction=none} output of these rows, batched into one call; when the loss rejects the batch,
     * the rows are tried one by one to name the first bad one (only on that error path).
     */
    float[] evaluate(List<Object[]> rows, List<String> where, long[][] shapes) {
        try {
            return evaluateBatch(rows, shapes);
        } catch (LossArgumentException e) {
            if (e instanceof JLossSparkException) {
                throw e;
            }
            for (int i = 0; i < rows.size() && rows.size() > 1; i++) {
                try {
                    evaluateBatch(java.util.Collections.singletonList(rows.get(i)), shapes);
                } catch (LossArgumentException one) {
                    throw new JLossSparkException(one.getMessage() + " (" + columnsIn(one.getMessage()) + ", "
                            + where.get(i) + ")");
                }
            }
            throw new JLossSparkException(e.getMessage() + " (" + columnsIn(e.getMessage()) + ", in the batch of "
                    + where.get(0) + " to " + where.get(where.size() - 1) + ")");
        }
    }

    /** The columns whose argument a core message names ("target 7 is out of bounds" names column of target). */
    private String columnsIn(String message) {
        String best = null;
        for (ArgColumn c : columns) {
            if (message.matches("(?s).*\\b" + java.util.regex.Pattern.quote(c.arg) + "\\b.*")
                    && (best == null || c.arg.length() > best.length())) {
                best = c.arg;
            }
        }
        for (ArgColumn c : columns) {
            if (c.arg.equals(best)) {
                return "column '" + c.column + "'";
            }
        }
        return "columns " + columns.stream().map(c -> c.column).toList();
    }

    private float[] evaluateBatch(List<Object[]> rows, long[][] shapes) {
        Backend b = ExecutorBackend.get();
        LossSpec spec = spec();
        int n = rows.size();
        Tensor[] args = new Tensor[columns.size()];
        try {
            for (int k = 0; k < args.length; k++) {
                args[k] = tensor(b, spec, k, rows, n, shapes[k]);
            }
            try (Tensor out = noneLoss().forward(args)) {
                return out.toFloatArray();
            }
        } finally {
            for (Tensor t : args) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    private Tensor tensor(Backend b, LossSpec spec, int k, List<Object[]> rows, int n, long[] rowShape) {
        ArgColumn c = columns.get(k);
        Object first = rows.get(0)[k];
        boolean ints = first instanceof long[];
        if (c.ragged()) {
            int s = 1;
            for (Object[] r : rows) {
                s = Math.max(s, length(r[k]));
            }
            long[] l = ints ? new long[n * s] : null;
            float[] f = ints ? null : new float[n * s];
            for (int i = 0; i < n; i++) {
                Object v = rows.get(i)[k];
                if (ints) {
                    System.arraycopy(v, 0, l, i * s, length(v));
                } else {
                    System.arraycopy(v, 0, f, i * s, length(v));
                }
            }
            return ints ? b.tensor(l, n, s) : b.tensor(f, n, s);
        }
        int per = length(first);
        if (k == 0 && spec.batching() == LossSpec.Batching.TIME_MAJOR && rowShape.length == 2) {
            int t = (int) rowShape[0];
            int cl = (int) rowShape[1];
            float[] f = new float[n * per];
            for (int i = 0; i < n; i++) {
                float[] v = (float[]) rows.get(i)[k];
                for (int tt = 0; tt < t; tt++) {
                    System.arraycopy(v, tt * cl, f, (tt * n + i) * cl, cl);
                }
            }
            return b.tensor(f, t, n, cl);
        }
        long[] shape = new long[rowShape.length + 1];
        shape[0] = n;
        System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
        if (ints) {
            long[] l = new long[n * per];
            for (int i = 0; i < n; i++) {
                System.arraycopy(rows.get(i)[k], 0, l, i * per, per);
            }
            return b.tensor(l, shape);
        }
        float[] f = new float[n * per];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rows.get(i)[k], 0, f, i * per, per);
        }
        return b.tensor(f, shape);
    }

    private static int length(Object o) {
        return o instanceof float[] f ? f.length : ((long[]) o).length;
    }
}
