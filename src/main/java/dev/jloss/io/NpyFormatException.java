package dev.jloss.io;

/**
 * A {@code .npy} file that cannot be read: not a {@code .npy} file, a malformed or unsupported
 * header, Fortran order, an unsupported dtype, or fewer data bytes than the header promises. The
 * message starts with the file's path, e.g. {@code input.npy: truncated: ...}.
 */
public class NpyFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public NpyFormatException(String message) {
        super(message);
    }
}
