package dev.jloss.spark;

import java.io.Serializable;

/**
 * A reduced loss over a DataFrame (or one group of it): PyTorch's {@code value}, the exact {@code sum}
 * of the per-element losses (each times CTC's {@code 1/max(1, target_length)} for its mean) rounded
 * once, the {@code denominator} it was divided by (1 for sum), the {@code rows} and output
 * {@code elements}. A Java bean, so that it is also a Spark struct.
 */
public class LossValue implements Serializable {
    private static final long serialVersionUID = 1L;
    private double value;
    private double sum;
    private double denominator;
    private long rows;
    private long elements;

    public LossValue() {
    }

    public LossValue(double value, double sum, double denominator, long rows, long elements) {
        this.value = value;
        this.sum = sum;
        this.denominator = denominator;
        this.rows = rows;
        this.elements = elements;
    }

    public double getValue() { return value; }
    public void setValue(double v) { value = v; }
    public double getSum() { return sum; }
    public void setSum(double v) { sum = v; }
    public double getDenominator() { return denominator; }
    public void setDenominator(double v) { denominator = v; }
    public long getRows() { return rows; }
    public void setRows(long v) { rows = v; }
    public long getElements() { return elements; }
    public void setElements(long v) { elements = v; }

    @Override
    public String toString() {
        return "LossValue(value=" + value + ", sum=" + sum + ", denominator=" + denominator + ", rows=" + rows
                + ", elements=" + elements + ")";
    }
}
