package dev.jloss.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One loss operation of one implementation: the JMH parameters name the case ({@code loss@size}),
 * the implementation and the op. {@link Suite} checks each combination against jloss's CPU result
 * before it asks JMH to time it; run alone, this benchmark times whatever it is given. In a
 * {@link Worker} (JMH in-process) the three ops of one (case, implementation) share the inputs and
 * the implementation; in a JMH fork each op builds its own.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LossBench {
    @Param("mse_loss@quick")
    public String caseId;

    @Param("jloss-cpu")
    public String impl;

    @Param("FORWARD")
    public String op;

    private static String sharedKey;
    private static Impl shared;

    private Impl runner;
    private Impl.Op o;

    @Setup(Level.Trial)
    public void setup() {
        String key = caseId + "|" + impl;
        synchronized (LossBench.class) {
            if (!key.equals(sharedKey)) {
                closeShared();
                shared = Impls.create(impl, new HostInputs(Cases.byId(caseId)));
                sharedKey = key;
            }
            runner = shared;
        }
        o = Impl.Op.valueOf(op);
    }

    @Benchmark
    public Object run() {
        return runner.run(o);
    }

    /** Closes the implementation the ops of this JVM shared (the fork's or the worker's last act). */
    @TearDown(Level.Trial)
    public void tearDown() {
        // kept for the next op of the same (case, implementation); closed by closeShared()
    }

    /** The implementation the ops of this JVM share, or null. */
    static synchronized Impl shared() {
        return shared;
    }

    static synchronized void closeShared() {
        if (shared != null) {
            shared.close();
            shared = null;
            sharedKey = null;
        }
    }
}
