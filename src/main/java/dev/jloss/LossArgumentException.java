package dev.jloss;

/**
 * A caller mistake: a wrong shape, dtype, option or value. The message names the loss, the
 * argument, what was expected and what came, e.g.
 * {@code cross_entropy: target has shape [32, 1], expected [32]}.
 */
public class LossArgumentException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public LossArgumentException(String message) {
        super(message);
    }

    /** The one factory of these messages: {@code fn + ": " + String.format(format, args)}. */
    public static LossArgumentException of(String fn, String format, Object... args) {
        return new LossArgumentException(fn + ": " + String.format(format, args));
    }
}
