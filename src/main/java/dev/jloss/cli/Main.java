package dev.jloss.cli;

import dev.jloss.BackendException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * {@code bin/jloss}: evaluate any loss over {@code .npy} files ({@code eval}), the guided tour
 * ({@code demo}), what hardware was found ({@code backends}) and which losses exist ({@code losses}).
 *
 * <p>The error contract: a caller mistake (an unknown loss or option, a missing tensor, a malformed,
 * truncated or Fortran-order file, an unsupported dtype, a shape mismatch, an out-of-range target, an
 * unavailable backend that was asked for by name) exits with status 2 and exactly one line on stderr,
 * {@code jloss: <what is wrong>}, and no stack trace ({@code --verbose} adds it). Anything else (an
 * I/O failure, memory exhausted, a bug) exits with status 1, also with one line. Success is 0. On any
 * failure nothing is left in {@code --out}.
 */
@Command(name = "jloss", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "PyTorch's loss functions over .npy files, on CPU, OpenCL or CUDA.",
        subcommands = {EvalCommand.class, DemoCommand.class, BackendsCommand.class, LossesCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    /** Exit status of a caller mistake. */
    public static final int BAD_INPUT = 2;
    /** Exit status of an internal or environment failure. */
    public static final int FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the command line in-process and returns its exit status instead of exiting: what
     * {@link #main} does, and what the tests call.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        configureLogging(verbose);
        PrintWriter o = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter e = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(o);
        cl.setErr(e);
        cl.getSubcommands().get("eval").setUnmatchedOptionsArePositionalParams(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            String cmd = ex.getCommandLine().getCommandName();
            e.println("jloss: " + oneLine(ex.getMessage()) + " (see 'jloss " + (cmd.equals("jloss") ? "" : cmd + " ")
                    + "--help')");
            return BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> report(ex, verbose, e));
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError ex) {
            return report(ex, verbose, e);
        } finally {
            o.flush();
            e.flush();
        }
    }

    /** Prints the one-line message for {@code t} (and its stack trace when verbose); returns the exit status. */
    static int report(Throwable t, boolean verbose, PrintWriter err) {
        int code;
        String msg;
        if (t instanceof IllegalArgumentException || t instanceof BackendException) {
            code = BAD_INPUT;
            msg = t.getMessage();
        } else if (t instanceof UncheckedIOException) {
            code = FAILURE;
            msg = t.getMessage();
        } else if (t instanceof OutOfMemoryError) {
            code = FAILURE;
            msg = "out of memory (heap limit " + Progress.bytes(Runtime.getRuntime().maxMemory())
                    + "): give the JVM more with JAVA_OPTS=-Xmx4g, or lower --chunk-rows";
        } else {
            code = FAILURE;
            String m = t.getMessage();
            msg = m != null && m.startsWith("internal error") ? m : "internal error: " + t;
        }
        err.println("jloss: " + oneLine(msg == null ? t.toString() : msg)
                + (code == FAILURE && !verbose ? " (run with --verbose for the stack trace)" : ""));
        if (verbose) {
            t.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    /** The first line of a message; a multi-line one (a kernel build log) says that there is more. */
    private static String oneLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl).strip() + " (more with --verbose)";
    }

    /** slf4j-simple on stderr: warnings only, or info (which backend was chosen and why) with --verbose. */
    private static void configureLogging(boolean verbose) {
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showLogName", "false");
        setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "false");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return BAD_INPUT;
    }

    /** The version from the jar's manifest ({@code dev} when run from classes). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jloss " + version(), "Java " + System.getProperty("java.version") + " ("
                    + System.getProperty("java.vm.name") + ")"};
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
