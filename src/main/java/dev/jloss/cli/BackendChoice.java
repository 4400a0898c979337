package dev.jloss.cli;

import dev.jloss.Backend;
import dev.jloss.backend.Backends;
import java.util.Locale;

/**
 * A backend with the reason it was chosen, for the demo to print: the one forced by
 * {@code -Djloss.backend}/{@code JLOSS_BACKEND} or by {@code --backend}, else the highest-ranked that
 * starts, with why each one above it did not (the same order and rule as {@link Backends#auto()}).
 */
record BackendChoice(Backend backend, String why) {

    static BackendChoice choose(String requested) {
        String req = requested == null ? "auto" : requested.trim().toLowerCase(Locale.ROOT);
        if (!req.equals("auto")) {
            return new BackendChoice(Backends.named(req), "requested with --backend " + req);
        }
        Backends.Choice c = Backends.choose();
        return new BackendChoice(c.backend(), c.why().replace("highest-ranked available",
                "the highest-ranked backend available"));
    }

    /** Says whether an environment variable or system property forces the choice. */
    static String overrideLine() {
        String p = System.getProperty("jloss.backend");
        String e = System.getenv("JLOSS_BACKEND");
        if (p != null && !p.isBlank()) {
            return "Forced by the system property jloss.backend=" + p + ".";
        }
        if (e != null && !e.isBlank()) {
            return "Forced by the environment variable JLOSS_BACKEND=" + e + ".";
        }
        return "Override with JLOSS_BACKEND=cpu|opencl|cuda (or -Djloss.backend=...) or eval --backend.";
    }
}
