package dev.jloss.cli;

import dev.jloss.Loss;
import dev.jloss.loss.Losses;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code jloss losses}: every loss with its functional name and the tensors eval takes, in order. */
@Command(name = "losses", mixinStandardHelpOptions = true, description = "Lists the losses: class name, functional name, the tensors eval takes (in"
        + " forward() order) and which of them get gradients.")
final class LossesCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-30s %-34s %s%n", "LOSS", "FUNCTIONAL NAME", "TENSORS (* = gets a gradient)");
        for (String cls : Losses.classNames()) {
            Loss loss = Losses.create(cls, Map.of());
            StringBuilder tensors = new StringBuilder();
            for (String a : loss.argumentNames()) {
                tensors.append(tensors.length() > 0 ? " " : "").append(a)
                        .append(loss.differentiableArguments().contains(a) ? "*" : "");
            }
            out.printf("%-30s %-34s %s%n", cls, Losses.functionalName(cls), tensors);
        }
        out.flush();
        return 0;
    }
}
