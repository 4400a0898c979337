package dev.jloss;

/**
 * A backend could not do what was asked: it is unavailable (with the reason), a driver call failed
 * (with the driver's error name), or a kernel failed to build (with the build log).
 */
public class BackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
