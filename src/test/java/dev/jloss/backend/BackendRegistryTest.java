package dev.jloss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.Backend;
import dev.jloss.BackendException;
import dev.jloss.plan.PointwiseTerm;
import dev.jloss.testing.TestBackends;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class BackendRegistryTest {

    @Test
    void ranksCudaThenOpenClThenCpu() {
        assertEquals(List.of("cuda", "opencl", "cpu"), Backends.names());
    }

    @Test
    void autoTakesTheBestAvailableBackend() {
        Backend cl = TestBackends.get("opencl");
        String expected = TestBackends.get("cuda") != null ? "cuda"
                : cl != null && !cl.onHostCpu() ? "opencl" : "cpu"; // an OpenCL CPU device (PoCL) ranks below cpu
        try (Backend b = Backends.auto()) {
            assertEquals(expected, b.name());
        }
    }

    @Test
    void systemPropertyForcesABackend() {
        System.setProperty("jloss.backend", "cpu");
        try (Backend b = Backends.auto()) {
            assertEquals("cpu", b.name());
        } finally {
            System.clearProperty("jloss.backend");
        }
    }

    @Test
    void anUnavailableBackendAskedForByNameThrowsWithItsReason() {
        for (String name : List.of("cuda", "opencl")) {
            if (TestBackends.get(name) == null) {
                BackendException e = assertThrows(BackendException.class, () -> Backends.named(name));
                assertTrue(e.getMessage().toLowerCase().contains(name.equals("cuda") ? "cuda" : "opencl"), e.getMessage());
                assertEquals(TestBackends.reason(name), e.getMessage());
            }
        }
    }

    @Test
    void unknownBackendNameIsRejectedWithTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.named("tpu"));
        assertTrue(e.getMessage().contains("expected one of auto, cuda, opencl, cpu, got 'tpu'"), e.getMessage());
    }

    @Test
    void describeSaysWhyEachBackendIsOrIsNotUsable() {
        String d = Backends.describe();
        for (String name : Backends.names()) {
            assertTrue(d.contains(name), d);
            if (TestBackends.get(name) == null) {
                assertTrue(d.contains(TestBackends.reason(name)), d);
            }
        }
        assertTrue(d.contains("cpu     available"), d);
    }

    /** Every loss family has a kernel in every backend that starts here (each backend's table is one line per family). */
    @Test
    void everyBackendImplementsEveryFamily() {
        for (dev.jloss.Backend b : dev.jloss.testing.TestBackends.all()) {
            String name = b.name();
            for (dev.jloss.plan.KernelFamily<?> f : dev.jloss.plan.Families.ALL) {
                org.junit.jupiter.api.Assertions.assertNotNull(b.kernel(f), name + " lacks " + f.name());
            }
        }
    }

    /** kernels-cl/loss_terms.h's TERM_* ids must be PointwiseTerm's ordinals: the GPU kernels switch on them. */
    @Test
    void kernelTermIdsMatchTheJavaTerms() throws IOException {
        String header;
        try (InputStream in = getClass().getResourceAsStream("/kernels-cl/loss_terms.h")) {
            header = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = Pattern.compile("#define TERM_([A-Z0-9_]+) (\\d+)").matcher(header);
        int found = 0;
        while (m.find()) {
            assertEquals(PointwiseTerm.valueOf(m.group(1)).ordinal(), Integer.parseInt(m.group(2)), m.group(1));
            found++;
        }
        assertEquals(PointwiseTerm.values().length, found, "every term has a TERM_ id in loss_terms.h");
    }
}
