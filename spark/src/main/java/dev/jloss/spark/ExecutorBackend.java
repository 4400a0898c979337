package dev.jloss.spark;

import dev.jloss.Backend;
import dev.jloss.backend.Backends;

/**
 * The one backend of this JVM (a Spark executor, or the driver in local mode): chosen by
 * {@link Backends#auto()} on first use (CUDA, then OpenCL, then CPU; {@code -Djloss.backend} forces one),
 * shared by every task of the executor (backends may be used from several threads), closed at exit.
 */
final class ExecutorBackend {
    private static Backend backend;

    private ExecutorBackend() {
    }

    static synchronized Backend get() {
        if (backend == null) {
            Backend b = Backends.auto();
            Runtime.getRuntime().addShutdownHook(new Thread(b::close, "jloss-backend-close"));
            backend = b;
        }
        return backend;
    }
}
