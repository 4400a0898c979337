package dev.jloss.io;

import java.nio.ByteOrder;

/**
 * The element types jloss reads from {@code .npy} files, by NumPy's type code ({@code f4}, {@code i8},
 * {@code b1}, ...): floats become float32 data, integers and booleans become int64 indices. Byte order
 * is kept separately ({@link NpyHeader#order()}).
 */
public enum NpyDType {
    FLOAT16("f2", 2, true, "float16"),
    FLOAT32("f4", 4, true, "float32"),
    FLOAT64("f8", 8, true, "float64"),
    INT8("i1", 1, false, "int8"),
    INT16("i2", 2, false, "int16"),
    INT32("i4", 4, false, "int32"),
    INT64("i8", 8, false, "int64"),
    UINT8("u1", 1, false, "uint8"),
    UINT16("u2", 2, false, "uint16"),
    UINT32("u4", 4, false, "uint32"),
    BOOL("b1", 1, false, "bool");

    private final String code;
    private final int bytes;
    private final boolean floating;
    private final String numpyName;

    NpyDType(String code, int bytes, boolean floating, String numpyName) {
        this.code = code;
        this.bytes = bytes;
        this.floating = floating;
        this.numpyName = numpyName;
    }

    /** The type for a NumPy code without its byte-order character ({@code f4}), or null. */
    static NpyDType ofCode(String code) {
        for (NpyDType t : values()) {
            if (t.code.equals(code)) {
                return t;
            }
        }
        return null;
    }

    /** NumPy's type code without the byte order, e.g. {@code f4}. */
    public String code() {
        return code;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Whether it is a floating-point type (read as float32 data). */
    public boolean isFloating() {
        return floating;
    }

    /** The descr NumPy writes for this type in the given byte order, e.g. {@code <f4} or {@code |u1}. */
    public String descr(ByteOrder order) {
        if (bytes == 1) {
            return "|" + code;
        }
        return (order == ByteOrder.BIG_ENDIAN ? ">" : "<") + code;
    }

    /** NumPy's name: {@code float32}, {@code int64}, {@code bool}. */
    @Override
    public String toString() {
        return numpyName;
    }
}
