package dev.jloss.spark.cli;

/** Test access to {@link SparkEval#run} (main exits the JVM). */
public final class SparkEvalAccess {
    private SparkEvalAccess() {
    }

    public static int run(String... argv) {
        return SparkEval.run(argv);
    }
}
