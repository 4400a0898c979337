package dev.jloss.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Runs the command line in-process ({@link Main#run}) and captures its exit status, stdout and stderr. */
final class Cli {
    private Cli() {
    }

    /** What one run produced. */
    record Run(List<String> args, int exit, String out, String err) {
        JsonObject json() {
            return JsonParser.parseString(out.strip()).getAsJsonObject();
        }

        List<String> errLines() {
            List<String> l = new ArrayList<>();
            for (String s : err.split("\n")) {
                if (!s.isBlank()) {
                    l.add(s);
                }
            }
            return l;
        }

        @Override
        public String toString() {
            return "jloss " + String.join(" ", args) + " -> exit " + exit + "\nstdout: " + out + "\nstderr: " + err;
        }
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, o, e);
        }
        return new Run(Arrays.asList(args), code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run run(List<String> args) {
        return run(args.toArray(new String[0]));
    }
}
