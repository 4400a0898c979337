package dev.jloss.spark;

import java.io.Serializable;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * An exact sum of doubles: a fixed-point superaccumulator whose result does not depend on the order
 * of the additions or on how they were split into partial sums and merged, rounded once at the end.
 *
 * <p>Why exact: Spark hands a reduction its rows in partitions whose number, boundaries and merge
 * order vary with the cluster; a floating-point sum (even in double) rounds after each addition, so its
 * last bits follow that order. Here every finite double {@code m · 2^e} ({@code m} a 53-bit integer,
 * {@code e ≥ -1074}) is added as the integer {@code m · 2^(e+1074)}, in units of the smallest
 * subnormal {@code 2^-1074}, into 68 base-2^32 digits held in signed longs (2,176 bits: every double
 * times up to 2^63 terms). Integer addition is associative and commutative, so the digits after any
 * sequence of {@link #add} and {@link #merge} calls are the same exact integer; {@link #doubleValue}
 * converts it with one round-to-nearest-even. Each digit takes at most 2^32 - 1 per addition, so
 * carries are propagated every 2^30 additions, before a long could overflow. NaN and infinities are
 * tracked as flags (NaN if any NaN, or both infinities; otherwise the infinity), as IEEE addition
 * gives them in any order.
 *
 * <p>Example: adding {@code 1e308, 1.0, -1e308} in that order gives {@code 1.0} (a double sum gives
 * {@code 0.0}), and so does any other order.
 */
public final class ExactSum implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int DIGITS = 68;
    private static final int BIAS = 1074;
    private static final long MASK = 0xFFFF_FFFFL;
    private static final int NORMALIZE_EVERY = 1 << 30;

    private final long[] digits = new long[DIGITS];
    private int pending;
    private boolean nan;
    private boolean posInf;
    private boolean negInf;

    /** Adds {@code x} exactly. */
    public void add(double x) {
        long bits = Double.doubleToRawLongBits(x);
        int exp = (int) ((bits >>> 52) & 0x7FF);
        long m = bits & 0x000F_FFFF_FFFF_FFFFL;
        if (exp == 0x7FF) {
            if (m != 0) {
                nan = true;
            } else if (bits < 0) {
                negInf = true;
            } else {
                posInf = true;
            }
            return;
        }
        if (exp == 0) {
            if (m == 0) {
                return;
            }
            exp = 1; // subnormal: m · 2^-1074
        } else {
            m |= 1L << 52;
        }
        int shift = exp - 1; // x = m · 2^(exp - 1075) = m · 2^shift units of 2^-1074
        int i = shift >>> 5;
        int off = shift & 31;
        long d0 = (m << off) & MASK;
        long d1 = (m >>> (32 - off)) & MASK;
        long d2 = off == 0 ? 0 : m >>> (64 - off);
        if (bits < 0) {
            digits[i] -= d0;
            digits[i + 1] -= d1;
            digits[i + 2] -= d2;
        } else {
            digits[i] += d0;
            digits[i + 1] += d1;
            digits[i + 2] += d2;
        }
        if (++pending == NORMALIZE_EVERY) {
            normalize();
        }
    }

    /** Adds every element of {@code values} (each float is a double exactly). */
    public void addAll(float[] values, int from, int to) {
        for (int k = from; k < to; k++) {
            add(values[k]);
        }
    }

    /** Adds another sum into this one (exactly); {@code other} is unchanged. */
    public void merge(ExactSum other) {
        normalize();
        long[] o = other.digits.clone();
        carry(o);
        for (int k = 0; k < DIGITS; k++) {
            digits[k] += o[k];
        }
        pending = 1;
        nan |= other.nan;
        posInf |= other.posInf;
        negInf |= other.negInf;
    }

    private void normalize() {
        carry(digits);
        pending = 0;
    }

    /** Leaves every digit but the last in [0, 2^32), the last signed: the same integer. */
    private static void carry(long[] d) {
        for (int k = 0; k < DIGITS - 1; k++) {
            long c = d[k] >> 32;
            d[k] -= c << 32;
            d[k + 1] += c;
        }
    }

    /** The exact sum as an integer number of units of 2^-1074 (finite part only). */
    BigInteger units() {
        BigInteger v = BigInteger.ZERO;
        for (int k = DIGITS - 1; k >= 0; k--) {
            v = v.shiftLeft(32).add(BigInteger.valueOf(digits[k]));
        }
        return v;
    }

    /** The sum rounded once to the nearest double (ties to even). */
    public double doubleValue() {
        if (nan || (posInf && negInf)) {
            return Double.NaN;
        }
        if (posInf) {
            return Double.POSITIVE_INFINITY;
        }
        if (negInf) {
            return Double.NEGATIVE_INFINITY;
        }
        BigInteger u = units();
        int sign = u.signum();
        if (sign == 0) {
            return 0.0;
        }
        u = u.abs();
        int len = u.bitLength();
        double r;
        if (len <= 62) {
            // exact as a long; one rounding: to 53 bits (the result is then normal) or by scalb (subnormal)
            r = Math.scalb((double) u.longValue(), -BIAS);
        } else {
            // keep 62 bits and a sticky bit below them, so that the long-to-double conversion rounds once, as
            // the exact value would; the result is normal (>= 2^-1013), so the scaling is exact
            int k = len - 62;
            long top = u.shiftRight(k).longValue();
            boolean sticky = u.getLowestSetBit() < k;
            r = Math.scalb((double) ((top << 1) | (sticky ? 1 : 0)), k - 1 - BIAS);
        }
        return sign < 0 ? -r : r;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ExactSum e)) {
            return false;
        }
        long[] a = digits.clone();
        long[] b = e.digits.clone();
        carry(a);
        carry(b);
        return Arrays.equals(a, b) && nan == e.nan && posInf == e.posInf && negInf == e.negInf;
    }

    @Override
    public int hashCode() {
        long[] a = digits.clone();
        carry(a);
        return Arrays.hashCode(a);
    }

    @Override
    public String toString() {
        return "ExactSum(" + doubleValue() + ")";
    }
}
