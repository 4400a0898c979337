package dev.jloss.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header of a {@code .npy} file (NumPy's format, versions 1.0, 2.0 and 3.0): the magic
 * {@code \x93NUMPY}, the version, the header length (2 bytes little-endian in 1.0, 4 bytes in 2.0
 * and 3.0), then a Python dict literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }} padded with spaces and a
 * newline; the C-ordered data starts right after it.
 *
 * @param major      format version, 1 to 3
 * @param minor      format minor version (0)
 * @param dtype      element type
 * @param order      byte order of the data (native order for one-byte types)
 * @param shape      the array's shape; {@code []} for a 0-d array
 * @param dataOffset where the data starts in the file
 */
public record NpyHeader(int major, int minor, NpyDType dtype, ByteOrder order, long[] shape, long dataOffset) {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    public NpyHeader {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements; 1 for a 0-d array. */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Bytes of data the header promises. */
    public long dataBytes() {
        return Math.multiplyExact(numel(), (long) dtype.bytes());
    }

    /** Reads and validates the header at the start of {@code ch}; errors name {@code file}. */
    static NpyHeader read(FileChannel ch, String file) throws IOException {
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, pre, 0);
        if (pre.position() < 10 || !startsWithMagic(pre.array())) {
            throw new NpyFormatException(file + ": not a .npy file (it does not start with NumPy's magic bytes \\x93NUMPY)");
        }
        int major = pre.get(6) & 0xff;
        int minor = pre.get(7) & 0xff;
        long headerLen;
        int lenBytes;
        if (major == 1) {
            headerLen = pre.getShort(8) & 0xffff;
            lenBytes = 2;
        } else if (major == 2 || major == 3) {
            if (pre.position() < 12) {
                throw new NpyFormatException(file + ": truncated .npy header");
            }
            headerLen = pre.getInt(8) & 0xffffffffL;
            lenBytes = 4;
        } else {
            throw new NpyFormatException(file + ": unsupported .npy format version " + major + "." + minor
                    + ", expected 1.0, 2.0 or 3.0");
        }
        long start = 8 + lenBytes;
        if (headerLen > (1 << 24)) {
            throw new NpyFormatException(file + ": malformed .npy header: header length " + headerLen + " is implausible");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, start);
        if (hb.position() < headerLen) {
            throw new NpyFormatException(file + ": truncated .npy header: " + hb.position() + " of " + headerLen
                    + " header bytes present");
        }
        String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        NpyHeader h = parse(text, major, minor, start + headerLen, file);
        long size = ch.size();
        long need;
        try {
            need = h.dataBytes();
        } catch (ArithmeticException e) {
            throw new NpyFormatException(file + ": malformed .npy header: shape " + Arrays.toString(h.shape)
                    + " is too large");
        }
        if (size - h.dataOffset < need) {
            throw new NpyFormatException(file + ": truncated: the header promises " + need + " bytes of data (shape "
                    + Arrays.toString(h.shape) + ", " + h.dtype + "), the file has " + Math.max(0, size - h.dataOffset));
        }
        return h;
    }

    private static boolean startsWithMagic(byte[] b) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                return;
            }
        }
    }

    /** Parses the header dict; package-private for tests. */
    static NpyHeader parse(String text, int major, int minor, long dataOffset, String file) {
        Map<String, Object> dict;
        try {
            Object o = new Literal(text.strip()).parseAll();
            if (!(o instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("expected a dict");
            }
            dict = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                dict.put(String.valueOf(e.getKey()), e.getValue());
            }
        } catch (IllegalArgumentException e) {
            throw new NpyFormatException(file + ": malformed .npy header (" + e.getMessage() + "): " + abbreviate(text));
        }
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) {
                throw new NpyFormatException(file + ": malformed .npy header: no '" + key + "' key: " + abbreviate(text));
            }
        }
        for (Object key : dict.keySet()) {
            // NumPy refuses these too ("Header does not contain the correct keys")
            if (!List.of("descr", "fortran_order", "shape").contains(key)) {
                throw new NpyFormatException(file + ": malformed .npy header: unexpected key '" + key
                        + "', expected exactly descr, fortran_order and shape: " + abbreviate(text));
            }
        }
        Object fortran = dict.get("fortran_order");
        if (!(fortran instanceof Boolean)) {
            throw new NpyFormatException(file + ": malformed .npy header: fortran_order is " + fortran + ", expected True or False");
        }
        if ((Boolean) fortran) {
            throw new NpyFormatException(file + ": Fortran-order (column-major) arrays are not supported, expected C order"
                    + " (save np.ascontiguousarray(a) instead)");
        }
        Object shapeObj = dict.get("shape");
        if (!(shapeObj instanceof List<?> dims)) {
            throw new NpyFormatException(file + ": malformed .npy header: shape is " + shapeObj + ", expected a tuple");
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0) {
                throw new NpyFormatException(file + ": malformed .npy header: shape " + shapeObj
                        + " must hold non-negative integers");
            }
            shape[i] = d;
        }
        Object descr = dict.get("descr");
        if (!(descr instanceof String ds)) {
            throw new NpyFormatException(file + ": unsupported dtype: structured arrays are not supported, expected a plain"
                    + " float or integer array");
        }
        if (ds.length() < 3) {
            throw new NpyFormatException(file + ": malformed .npy header: dtype '" + ds + "'");
        }
        char bo = ds.charAt(0);
        NpyDType t = NpyDType.ofCode(ds.substring(1));
        if (t == null || "<>|=".indexOf(bo) < 0) {
            throw new NpyFormatException(file + ": unsupported dtype '" + ds + "', expected float32 or float64 data, or"
                    + " int64/int32/int16/int8/uint8/bool indices");
        }
        ByteOrder order = switch (bo) {
            case '<' -> ByteOrder.LITTLE_ENDIAN;
            case '>' -> ByteOrder.BIG_ENDIAN;
            default -> ByteOrder.nativeOrder();
        };
        return new NpyHeader(major, minor, t, order, shape, dataOffset);
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() > 120 ? t.substring(0, 117) + "..." : t;
    }

    /** A tiny parser for the Python literals a .npy header holds: dict, tuple, list, str, int, True/False/None. */
    private static final class Literal {
        private final String s;
        private int i;

        Literal(String s) {
            this.s = s;
        }

        Object parseAll() {
            Object o = value();
            skipSpace();
            if (i != s.length()) {
                throw new IllegalArgumentException("unexpected '" + s.charAt(i) + "' at " + i);
            }
            return o;
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private boolean eat(char c) {
            skipSpace();
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private Object value() {
            skipSpace();
            if (i >= s.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<Object, Object> m = new LinkedHashMap<>();
                while (!eat('}')) {
                    Object k = value();
                    if (!eat(':')) {
                        throw new IllegalArgumentException("expected ':' at " + i);
                    }
                    m.put(k, value());
                    if (!eat(',')) {
                        if (!eat('}')) {
                            throw new IllegalArgumentException("expected ',' or '}' at " + i);
                        }
                        break;
                    }
                }
                return m;
            }
            if (c == '(' || c == '[') {
                char close = c == '(' ? ')' : ']';
                i++;
                List<Object> l = new ArrayList<>();
                while (!eat(close)) {
                    l.add(value());
                    if (!eat(',')) {
                        if (!eat(close)) {
                            throw new IllegalArgumentException("expected ',' or '" + close + "' at " + i);
                        }
                        break;
                    }
                }
                return l;
            }
            if (c == '\'' || c == '"') {
                int end = s.indexOf(c, i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated string");
                }
                String v = s.substring(i + 1, end);
                i = end + 1;
                return v;
            }
            int j = i;
            while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '-' || s.charAt(j) == '_')) {
                j++;
            }
            String word = s.substring(i, j);
            i = j;
            switch (word) {
                case "True":
                    return Boolean.TRUE;
                case "False":
                    return Boolean.FALSE;
                case "None":
                    return null;
                default:
                    String digits = word.endsWith("L") ? word.substring(0, word.length() - 1) : word;
                    try {
                        return Long.parseLong(digits);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("unexpected '" + (word.isEmpty() ? String.valueOf(c) : word)
                                + "' at " + (i - word.length()));
                    }
            }
        }
    }
}
