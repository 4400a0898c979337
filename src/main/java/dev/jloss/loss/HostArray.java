package dev.jloss.loss;

import java.util.Arrays;

/** A small option tensor kept on the host by an immutable loss (a class weight, pos_weight). */
public record HostArray(float[] values, long[] shape) {
    public HostArray {
        values = values.clone();
        shape = shape.clone();
    }

    /** A 1-D array. */
    public static HostArray of(float... values) {
        return new HostArray(values, new long[] {values.length});
    }

    @Override
    public float[] values() {
        return values.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int length() {
        return values.length;
    }

    /** Element {@code i} without a copy. */
    public float get(int i) {
        return values[i];
    }

    @Override
    public String toString() {
        return "HostArray" + Arrays.toString(shape);
    }
}
