package dev.jloss.spark;

import dev.jloss.LossSpec;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * One {@code forward()} argument read from one column: a number (a row is a scalar), an array (a row of
 * length D), an array of arrays (CTC's {@code (T, C)} per sample) or a Spark ML vector. Integer columns
 * of an integer role (class indices, labels, lengths) are read as int64; everything else as float32.
 */
final class ArgColumn implements Serializable {
    private static final long serialVersionUID = 1L;

    enum Kind { SCALAR, ARRAY, MATRIX, VECTOR }

    final String arg;
    final String column;
    final LossSpec.Role role;
    final Kind kind;
    final boolean integers;
    final String typeName;

    private ArgColumn(String arg, String column, LossSpec.Role role, Kind kind, boolean integers, String typeName) {
        this.arg = arg;
        this.column = column;
        this.role = role;
        this.kind = kind;
        this.integers = integers;
        this.typeName = typeName;
    }

    /** Checks that {@code column} exists in {@code schema} with a type this argument can take. */
    static ArgColumn of(String fn, LossSpec.Arg a, String column, StructType schema) {
        StructField f = null;
        for (StructField s : schema.fields()) {
            if (s.name().equals(column)) {
                f = s;
            }
        }
        if (f == null) {
            throw new JLossSparkException(fn + ": no column '" + column + "' for argument " + a.name()
                    + ", expected one of the DataFrame's columns " + List.of(schema.fieldNames()));
        }
        DataType t = f.dataType();
        Kind kind;
        DataType elem = t;
        if (t instanceof NumericType) {
            kind = Kind.SCALAR;
        } else if (t instanceof ArrayType at && at.elementType() instanceof NumericType) {
            kind = Kind.ARRAY;
            elem = at.elementType();
        } else if (t instanceof ArrayType at && at.elementType() instanceof ArrayType in
                && in.elementType() instanceof NumericType) {
            kind = Kind.MATRIX;
            elem = in.elementType();
        } else if (t.typeName().equals("vector")) {
            kind = Kind.VECTOR;
            elem = DataTypes.DoubleType;
        } else {
            throw new JLossSparkException(fn + ": column '" + column + "' (" + a.name() + ") has type " + t.simpleString()
                    + ", expected a number, array<float>, array<double>, array<int>, array<array<float>> or a vector");
        }
        boolean integral = elem == DataTypes.IntegerType || elem == DataTypes.LongType || elem == DataTypes.ShortType
                || elem == DataTypes.ByteType;
        return new ArgColumn(a.name(), column, a.role(), kind, a.role().integers() && integral, t.simpleString());
    }

    /** Whether rows of this column may differ in length (CTC's padded labels). */
    boolean ragged() {
        return role == LossSpec.Role.LABELS;
    }

    /**
     * One row's values: a {@code long[]} or {@code float[]}, and its shape in {@code shape[0]}.
     *
     * @param where the row, for messages ("row 3 of partition 1")
     */
    Object read(Row row, int index, String fn, String where, long[][] shape) {
        if (row.isNullAt(index)) {
            throw new JLossSparkException(fn + ": column '" + column + "' (" + arg + ") is null in " + where
                    + ", expected " + typeName);
        }
        switch (kind) {
            case SCALAR -> {
                Number n = (Number) row.get(index);
                shape[0] = new long[0];
                return integers ? new long[] {n.longValue()} : new float[] {n.floatValue()};
            }
            case VECTOR -> {
                double[] d = ((org.apache.spark.ml.linalg.Vector) row.get(index)).toArray();
                shape[0] = new long[] {d.length};
                float[] f = new float[d.length];
                for (int k = 0; k < d.length; k++) {
                    f[k] = (float) d[k];
                }
                return f;
            }
            case ARRAY -> {
                List<Object> l = row.getList(index);
                shape[0] = new long[] {l.size()};
                return values(l, fn, where, 0, l.size(), null, 0);
            }
            default -> {
                List<Object> outer = row.getList(index);
                int t = outer.size();
                int c = -1;
                Object out = null;
                for (int k = 0; k < t; k++) {
                    Object o = outer.get(k);
                    if (o == null) {
                        throw new JLossSparkException(fn + ": column '" + column + "' (" + arg + ") has a null row " + k
                                + " in " + where + ", expected " + typeName);
                    }
                    List<Object> inner = o instanceof List<?> li ? castList(li) : scala.jdk.javaapi.CollectionConverters
                            .asJava((scala.collection.Seq<Object>) o);
                    if (c < 0) {
                        c = inner.size();
                        out = integers ? new long[t * c] : new float[t * c];
                    } else if (inner.size() != c) {
                        throw new JLossSparkException(fn + ": column '" + column + "' (" + arg + ") has rows of length "
                                + c + " and " + inner.size() + " in " + where + ", expected every row of the same length");
                    }
                    values(inner, fn, where, 0, c, out, k * c);
                }
                shape[0] = new long[] {t, Math.max(c, 0)};
                return out == null ? (integers ? new long[0] : new float[0]) : out;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> castList(List<?> l) {
        return (List<Object>) l;
    }

    private Object values(List<Object> l, String fn, String where, int from, int to, Object into, int at) {
        Object out = into != null ? into : integers ? new long[to - from] : new float[to - from];
        for (int k = from; k < to; k++) {
            Object o = l.get(k);
            if (o == null) {
                throw new JLossSparkException(fn + ": column '" + column + "' (" + arg + ") has a null element at "
                        + k + " in " + where + ", expected " + typeName + " without nulls");
            }
            Number n = (Number) o;
            if (integers) {
                ((long[]) out)[at + k - from] = n.longValue();
            } else {
                ((float[]) out)[at + k - from] = n.floatValue();
            }
        }
        return out;
    }
}
