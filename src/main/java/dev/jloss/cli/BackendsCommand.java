package dev.jloss.cli;

import dev.jloss.backend.Backends;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code jloss backends}: each backend in rank order, whether it starts here, with its device or the reason. */
@Command(name = "backends", mixinStandardHelpOptions = true, description = "Lists the backends in rank order: each one's device and version, or why"
        + " it is unavailable here.")
final class BackendsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("jloss " + Main.version() + " on Java " + System.getProperty("java.version") + " ("
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
        out.println("Backends in rank order (auto takes the first available):");
        for (String line : Backends.describe().split("\n")) {
            out.println("  " + line);
        }
        out.println(BackendChoice.overrideLine());
        out.flush();
        return 0;
    }
}
