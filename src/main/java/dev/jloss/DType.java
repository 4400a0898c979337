package dev.jloss;

/** Element types a {@link Tensor} can hold: float32 data, int64/int32 class indices and lengths. */
public enum DType {
    FLOAT32(4, "float32"),
    INT64(8, "int64"),
    INT32(4, "int32");

    private final int bytes;
    private final String pyName;

    DType(int bytes, String pyName) {
        this.bytes = bytes;
        this.pyName = pyName;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Whether the type holds integers (class indices, lengths). */
    public boolean isIntegral() {
        return this != FLOAT32;
    }

    /** PyTorch/NumPy spelling: {@code float32}, {@code int64}, {@code int32}. */
    @Override
    public String toString() {
        return pyName;
    }
}
