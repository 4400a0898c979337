package dev.jloss.backend.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jloss.backend.opencl.OpenClBackend;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What ties the Java launchers to {@code kernels-cl/} (and so to {@code kernels-cu/}, which includes
 * it), checked on the sources without a device: each kernel's typed launch method takes the kernel's
 * parameters, in order, with the Java types the drivers box them as; and each family's flag bits
 * (and the triplet kernel's distance ids) have one value, the Java constant's, on both sides.
 */
class KernelContractTest {

    /** A Java constant class and the {@code #define <prefix><NAME>} block of one kernel file it must equal. */
    private record Constants(Class<?> java, String file, String prefix, boolean bits) {
    }

    private static final List<Constants> CONSTANTS = List.of(
            new Constants(PointwiseDevice.Flags.class, "pointwise.cl", "PW_FLAG_", true),
            new Constants(CrossEntropyLossDevice.Flags.class, "cross_entropy.cl", "CROSS_ENTROPY_FLAG_", true),
            new Constants(NLLLossDevice.Flags.class, "nll_loss.cl", "NLL_LOSS_FLAG_", true),
            new Constants(MultiMarginLossDevice.Flags.class, "multi_margin_loss.cl", "MULTI_MARGIN_FLAG_", true),
            new Constants(MultiLabelMarginLossDevice.Flags.class, "multilabel_margin_loss.cl",
                    "MULTILABEL_MARGIN_FLAG_", true),
            new Constants(MultiLabelSoftMarginLossDevice.Flags.class, "multilabel_soft_margin_loss.cl",
                    "MULTILABEL_SOFT_MARGIN_FLAG_", true),
            new Constants(CosineEmbeddingLossDevice.Flags.class, "cosine_embedding_loss.cl", "COSINE_EMB_FLAG_", true),
            new Constants(TripletMarginLossDevice.Flags.class, "triplet_margin_loss.cl", "TRIPLET_FLAG_", true),
            new Constants(TripletMarginLossDevice.Distances.class, "triplet_margin_loss.cl", "TRIPLET_DIST_", false),
            new Constants(CTCLossDevice.Flags.class, "ctc_loss.cl", "CTC_FLAG_", true));

    /** Where the typed launch methods are: the shared kernels', each family's, the OpenCL driver's fill. */
    private static final List<Class<?>> LAUNCHERS = List.of(DeviceBackend.class, OpenClBackend.class,
            PointwiseDevice.class, CrossEntropyLossDevice.class, NLLLossDevice.class, ClassTargetsDevice.class,
            MultiMarginLossDevice.class, MultiLabelMarginLossDevice.class, MultiLabelSoftMarginLossDevice.class,
            CosineEmbeddingLossDevice.class, TripletMarginLossDevice.class, CTCLossDevice.class);

    private static final Pattern DEFINE = Pattern.compile("(?m)^\\s*#define\\s+(\\w+)\\s+(-?\\d+)\\b");
    private static final Pattern KERNEL = Pattern.compile("\\bKERNEL\\s+void\\s+(\\w+)\\s*\\(([^)]*)\\)");

    @Test
    void everyFlagHasOneValueTheJavaConstantsAndTheKernelsShare() throws IOException, IllegalAccessException {
        Map<String, String> sources = sources();
        for (Constants c : CONSTANTS) {
            String src = sources.get(c.file());
            assertTrue(src != null, "kernels-cl/" + c.file() + " exists");
            Map<String, Integer> kernel = new TreeMap<>();
            Matcher m = DEFINE.matcher(src);
            while (m.find()) {
                if (m.group(1).startsWith(c.prefix())) {
                    kernel.put(m.group(1).substring(c.prefix().length()), Integer.parseInt(m.group(2)));
                }
            }
            Map<String, Integer> java = new TreeMap<>();
            for (Field f : c.java().getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                    java.put(f.getName(), f.getInt(null));
                }
            }
            assertFalse(java.isEmpty(), c.java().getName());
            assertEquals(java, kernel, c.java().getName() + " vs #define " + c.prefix() + "* in kernels-cl/" + c.file());
            if (c.bits()) {
                int all = 0;
                for (Map.Entry<String, Integer> e : java.entrySet()) {
                    int v = e.getValue();
                    assertTrue(Integer.bitCount(v) == 1 && (all & v) == 0, c.java().getName() + "." + e.getKey()
                            + " = " + v + " is one bit of its own");
                    all |= v;
                }
            }
        }
        // and no flag or distance id of a kernel file is left out of the table
        Pattern constant = Pattern.compile("\\w+_(?:FLAG|DIST)_");
        for (Map.Entry<String, String> file : sources.entrySet()) {
            Matcher m = DEFINE.matcher(file.getValue());
            while (m.find()) {
                Matcher prefix = constant.matcher(m.group(1));
                if (prefix.lookingAt()) {
                    String p = m.group(1).substring(0, prefix.end());
                    assertTrue(CONSTANTS.stream().anyMatch(c -> c.file().equals(file.getKey()) && c.prefix().equals(p)),
                            "kernels-cl/" + file.getKey() + ": #define " + m.group(1) + " has no Java constant class here");
                }
            }
        }
    }

    @Test
    void everyKernelHasOneTypedLaunchMethodWithItsParameters() throws IOException {
        int kernels = 0;
        for (Map.Entry<String, String> file : sources().entrySet()) {
            Matcher m = KERNEL.matcher(file.getValue());
            while (m.find()) {
                kernels++;
                String kernel = m.group(1);
                List<Class<?>> params = new ArrayList<>();
                for (String param : m.group(2).split(",")) {
                    params.add(javaType(kernel, param.trim()));
                }
                String name = camelCase(kernel);
                List<Method> candidates = new ArrayList<>();
                for (Class<?> c : LAUNCHERS) {
                    for (Method method : c.getDeclaredMethods()) {
                        if (method.getName().equals(name)) {
                            candidates.add(method);
                        }
                    }
                }
                List<Method> matching = candidates.stream().filter(x -> takes(x, params)).toList();
                assertEquals(1, matching.size(), "kernels-cl/" + file.getKey() + ": " + kernel + " " + params
                        + " wants one typed launch method " + name + " taking its parameters last; found "
                        + candidates);
            }
        }
        assertTrue(kernels >= 14, kernels + " kernels found");
    }

    /** Whether {@code m} ends with the kernel's parameters, after at most a backend and a group count. */
    private static boolean takes(Method m, List<Class<?>> kernel) {
        List<Class<?>> p = Arrays.asList(m.getParameterTypes());
        int lead = p.size() - kernel.size();
        if (lead < 0 || !p.subList(lead, p.size()).equals(kernel)) {
            return false;
        }
        List<Class<?>> leading = p.subList(0, lead);
        return leading.isEmpty() || leading.equals(List.of(long.class)) || leading.equals(List.of(DeviceBackend.class))
                || leading.equals(List.of(DeviceBackend.class, long.class));
    }

    /** A kernel parameter's Java type: a pointer is a device handle (Object), jl_long long, int int, float float. */
    private static Class<?> javaType(String kernel, String param) {
        if (param.contains("*")) {
            return Object.class;
        }
        String[] words = param.split("\\s+");
        String type = words[words.length - 2];
        return switch (type) {
            case "jl_long" -> long.class;
            case "int" -> int.class;
            case "float" -> float.class;
            default -> {
                fail(kernel + ": parameter '" + param + "' has a type no driver passes");
                yield null;
            }
        };
    }

    private static String camelCase(String snake) {
        StringBuilder sb = new StringBuilder();
        for (String part : snake.split("_")) {
            sb.append(sb.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return sb.toString();
    }

    /** kernels-cl/*.cl and *.h by file name, from the test classpath (the jar's copy). */
    private static Map<String, String> sources() throws IOException {
        Path dir;
        try {
            dir = Path.of(KernelContractTest.class.getResource("/kernels-cl/reduce.cl").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String n = f.getFileName().toString();
                if (n.endsWith(".cl") || n.endsWith(".h")) {
                    out.put(n, Files.readString(f, StandardCharsets.UTF_8));
                }
            }
        }
        assertTrue(out.size() > 10, "kernel sources found in " + dir);
        return out;
    }
}
