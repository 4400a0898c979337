package dev.jloss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jloss.loss.Losses;
import org.junit.jupiter.api.Test;

/** {@code demo}, {@code backends}, {@code losses} and {@code --version} run and say what they should. */
class CliCommandsTest {

    @Test
    void demoRunsTheWorkedExamplesAndALargeBatch() {
        Cli.Run r = Cli.run("demo", "--backend", "cpu", "--rows", "30000", "--classes", "10");
        assertEquals(0, r.exit(), r::toString);
        String out = r.out();
        assertTrue(out.contains("Backend: cpu"), out);
        assertTrue(out.contains("chosen because it is requested with --backend cpu"), out);
        assertTrue(out.matches("(?s).*\\d+ of \\d+ examples match PyTorch's published values.*"), out);
        assertFalse(out.contains("DIFFERS"), out);
        assertTrue(out.contains("MSELoss") && out.contains("4.6667"), out);
        assertTrue(out.contains("over 30,000 rows x 10"), out);
        assertTrue(out.contains("loss + gradient:"), out);
        assertTrue(out.contains("spot check, first 10,000 rows"), out);
        for (String cls : Losses.classNames()) {
            if (cls.equals("L1Loss") || cls.equals("KLDivLoss")) {
                assertTrue(out.contains(cls + " "), cls + " missing from the demo: " + out);
            }
        }
    }

    @Test
    void demoExplainsTheAutomaticChoice() {
        Cli.Run r = Cli.run("demo", "--rows", "1000", "--classes", "4");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("chosen because it is "), r.out());
    }

    @Test
    void backendsListsEveryBackendWithAReason() {
        Cli.Run r = Cli.run("backends");
        assertEquals(0, r.exit(), r::toString);
        for (String name : new String[] {"cuda", "opencl", "cpu"}) {
            assertTrue(r.out().contains("  " + name + " "), r.out());
        }
        assertTrue(r.out().contains("cpu     available: pure Java"), r.out());
    }

    @Test
    void lossesListsEveryLossWithItsTensors() {
        Cli.Run r = Cli.run("losses");
        assertEquals(0, r.exit(), r::toString);
        for (String cls : Losses.classNames()) {
            assertTrue(r.out().contains(cls + " "), cls);
        }
        assertTrue(r.out().contains("mse_loss") && r.out().contains("input* target"), r.out());
    }

    @Test
    void versionAndHelp() {
        Cli.Run v = Cli.run("--version");
        assertEquals(0, v.exit(), v::toString);
        assertTrue(v.out().startsWith("jloss "), v.out());
        Cli.Run h = Cli.run("eval", "--help");
        assertEquals(0, h.exit(), h::toString);
        assertTrue(h.out().contains("--reduction") && h.out().contains("--OPTION VALUE"), h.out());
    }
}
