package dev.jloss.loss;

import dev.jloss.DType;
import dev.jloss.LossArgumentException;
import dev.jloss.Tensor;
import java.util.Arrays;

/**
 * The checks every loss makes before dispatch, each with a message that names the loss, the
 * argument, what was expected and what came:
 * {@code cross_entropy: target has shape [32, 1], expected [32]}.
 */
public final class Checks {
    private Checks() {
    }

    /** An exception whose message starts with the loss's functional name. */
    public static LossArgumentException fail(String fn, String format, Object... args) {
        return LossArgumentException.of(fn, format, args);
    }

    /** Throws {@code fail(fn, format, args)} unless {@code ok}. */
    public static void check(boolean ok, String fn, String format, Object... args) {
        if (!ok) {
            throw fail(fn, format, args);
        }
    }

    /** {@code [32, 1]}; {@code []} for a scalar. */
    public static String str(long[] shape) {
        return Arrays.toString(shape);
    }

    public static void floatTensor(String fn, String arg, Tensor t) {
        check(t.dtype() == DType.FLOAT32, fn, "%s has dtype %s, expected float32", arg, t.dtype());
    }

    public static void indexTensor(String fn, String arg, Tensor t) {
        check(t.dtype().isIntegral(), fn, "%s has dtype %s, expected int64 or int32", arg, t.dtype());
    }

    public static void shape(String fn, String arg, Tensor t, long... expected) {
        check(Arrays.equals(t.shape(), expected), fn, "%s has shape %s, expected %s", arg, str(t.shape()), str(expected));
    }

    public static void dims(String fn, String arg, Tensor t, int... allowed) {
        for (int d : allowed) {
            if (t.dim() == d) {
                return;
            }
        }
        throw fail(fn, "%s has %d dimensions (shape %s), expected %s", arg, t.dim(), str(t.shape()),
                allowed.length == 1 ? String.valueOf(allowed[0]) : Arrays.toString(allowed).replace(", ", " or ")
                        .replace("[", "").replace("]", ""));
    }

    /** An option tensor (weight, pos_weight) of exactly {@code n} elements. */
    public static void length(String fn, String arg, float[] v, long n, String what) {
        check(v.length == n, fn, "%s has %d elements, expected %d (%s)", arg, v.length, n, what);
    }

    /** NumPy/PyTorch broadcasting of two shapes; throws naming both arguments. */
    public static long[] broadcast(String fn, String aName, long[] a, String bName, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long da = i < n - a.length ? 1 : a[i - (n - a.length)];
            long db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw fail(fn, "%s with shape %s and %s with shape %s cannot be broadcast together",
                        aName, str(a), bName, str(b));
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * Element strides that read a C-contiguous tensor of {@code shape} as if broadcast to
     * {@code outShape} (0 along broadcast dimensions), one per output dimension.
     */
    public static long[] broadcastStrides(long[] shape, long[] outShape) {
        long[] strides = new long[outShape.length];
        long s = 1;
        for (int i = outShape.length - 1; i >= 0; i--) {
            int j = i - (outShape.length - shape.length);
            long d = j >= 0 ? shape[j] : 1;
            strides[i] = d == 1 ? 0 : s;
            s *= d;
        }
        return strides;
    }
}
