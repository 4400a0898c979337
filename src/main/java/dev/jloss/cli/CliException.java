package dev.jloss.cli;

/** A caller mistake found by the command line itself (a missing tensor, a bad --out): exit status 2. */
final class CliException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    CliException(String message) {
        super(message);
    }
}
