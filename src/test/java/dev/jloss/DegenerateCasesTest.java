package dev.jloss;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.jloss.testing.Golden;
import dev.jloss.testing.TestBackends;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * PyTorch cases at degenerate points, checked exactly as the golden cases are (forward, backward,
 * fused) on every backend: points where PyTorch's gradient cannot be checked by a finite difference
 * at {@link GradientCheckTest}'s step, such as vectors whose norm is below an eps guard. Written by
 * {@code scripts/gen_degenerate.py} from each golden script's {@code degenerate_cases()}.
 */
class DegenerateCasesTest {

    static List<Golden.Case> all() throws IOException, URISyntaxException {
        URL dir = DegenerateCasesTest.class.getClassLoader().getResource("degenerate");
        assertTrue(dir != null, "no degenerate/ directory on the test class path");
        List<Golden.Case> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                out.addAll(Golden.load(p));
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicNode> degenerateCasesOnEveryBackend() throws IOException, URISyntaxException {
        List<Golden.Case> cases = all();
        assertTrue(cases.size() > 0, "no degenerate cases found");
        List<DynamicNode> perBackend = new ArrayList<>();
        for (Backend b : TestBackends.all()) {
            List<DynamicNode> tests = new ArrayList<>();
            for (Golden.Case c : cases) {
                tests.add(dynamicTest(c.toString(), () -> GoldenTest.check(b, c)));
            }
            perBackend.add(dynamicContainer(b.name(), tests));
        }
        return perBackend.stream();
    }
}
