package dev.jloss.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A jloss implementation that runs on another JDK than this JVM's ({@code jloss-cpu-jdk25} seen from
 * the JDK 17 check worker): its {@link #outputs} come from a {@link Worker} on that JDK (mode
 * {@code dump}), so the check compares JDK 25's results with JDK 17's jloss CPU results rather than
 * with themselves. It times nothing here: the suite times it in a worker on its own JDK.
 */
final class OtherJdkImpl implements Impl {
    private static final int CHUNK = 1 << 16;
    private final String impl;
    private final String caseId;
    private Map<Op, Outputs> outputs;

    OtherJdkImpl(String impl, HostInputs in) {
        String missing = Jdks.missing(Impls.jdkOf(impl));
        if (missing != null) {
            throw new JlossImpl.Unavailable(missing);
        }
        this.impl = impl;
        this.caseId = in.kase.id();
    }

    @Override
    public Object run(Op op) {
        throw new UnsupportedOperationException(impl + " is timed in a JDK " + Impls.jdkOf(impl) + " worker, not here");
    }

    @Override
    public Outputs outputs(Op op) {
        if (outputs == null) {
            outputs = fetch();
        }
        return outputs.get(op);
    }

    @Override
    public String note() {
        return "";
    }

    @Override
    public void close() {
        outputs = null;
    }

    /** Runs the dump worker on the implementation's JDK, with this JVM's options, and reads its file. */
    private Map<Op, Outputs> fetch() {
        try {
            Path dir = Path.of(System.getProperty("jloss.bench.work", "benchmarks/target"));
            Files.createDirectories(dir);
            Path f = Files.createTempFile(dir, "dump", ".bin");
            try {
                List<String> cmd = new ArrayList<>();
                String jdk = Impls.jdkOf(impl);
                cmd.add(Jdks.java(jdk).toString());
                for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                    if (!a.startsWith("-XX:+UnlockDiagnostic") && !a.startsWith("-agentlib")) {
                        cmd.add(a);
                    }
                }
                cmd.addAll(Jdks.extraJvmArgs(jdk));
                cmd.add("-cp");
                cmd.add(System.getProperty("java.class.path"));
                cmd.add(Worker.class.getName());
                cmd.addAll(List.of(f.toString(), "dump", caseId, impl));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
                Jdks.adjustEnvironment(pb.environment(), jdk);
                Process p = pb.start();
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                int rc = p.waitFor();
                if (rc != 0) {
                    throw new IllegalStateException("JDK " + jdk + " worker exited with " + rc + ": "
                            + log.strip().lines().filter(l -> !l.startsWith("WARNING")).findFirst().orElse(""));
                }
                return read(f);
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Writes each op's outputs of {@code im} (in this JVM) to {@code f}: the dump worker's job. */
    static void dump(Impl im, Path f) throws IOException {
        try (DataOutputStream o = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(f), 1 << 20))) {
            for (Op op : Op.values()) {
                Outputs out = im.outputs(op);
                o.writeDouble(out.loss());
                o.writeInt(out.grads().size());
                for (float[] g : out.grads()) {
                    o.writeInt(g.length);
                    ByteBuffer b = ByteBuffer.allocate(CHUNK * 4).order(ByteOrder.BIG_ENDIAN);
                    for (int i = 0; i < g.length; i += CHUNK) {
                        int n = Math.min(CHUNK, g.length - i);
                        b.clear();
                        b.asFloatBuffer().put(g, i, n);
                        o.write(b.array(), 0, n * 4);
                    }
                }
            }
        }
    }

    private static Map<Op, Outputs> read(Path f) throws IOException {
        Map<Op, Outputs> m = new EnumMap<>(Op.class);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(f), 1 << 20))) {
            for (Op op : Op.values()) {
                double loss = in.readDouble();
                int n = in.readInt();
                List<float[]> grads = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                    float[] g = new float[in.readInt()];
                    byte[] chunk = new byte[CHUNK * 4];
                    for (int i = 0; i < g.length; i += CHUNK) {
                        int len = Math.min(CHUNK, g.length - i);
                        in.readFully(chunk, 0, len * 4);
                        ByteBuffer.wrap(chunk, 0, len * 4).order(ByteOrder.BIG_ENDIAN).asFloatBuffer().get(g, i, len);
                    }
                    grads.add(g);
                }
                m.put(op, new Outputs(loss, grads));
            }
        }
        return m;
    }
}
