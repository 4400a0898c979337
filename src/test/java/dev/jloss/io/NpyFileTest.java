package dev.jloss.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The .npy reader on files written by real NumPy (scripts/make_cli_fixtures.py): every dtype and byte
 * order it accepts, versions 1.0/2.0/3.0, and each malformed file rejected with a message naming the
 * file and what is wrong; the writer's bytes match NumPy's and read back.
 */
class NpyFileTest {
    private static final float[] M = {1.5f, -2.25f, 3.0f, 0.5f, 4.0f, -1.0f};
    private static final long[] INTS = {0, 3, -2, 7, -1, 5};

    @TempDir
    Path tmp;

    static Path npy(String name) {
        try {
            return Path.of(NpyFileTest.class.getResource("/npy/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing fixture npy/" + name + ": run scripts/make_cli_fixtures.py", e);
        }
    }

    static float[] floats(NpyFile f) {
        float[] v = new float[(int) f.numel()];
        f.readFloats(0, v, 0, v.length);
        return v;
    }

    static long[] longs(NpyFile f) {
        long[] v = new long[(int) f.numel()];
        f.readLongs(0, v, 0, v.length);
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32.npy", "f64.npy", "f32_big_endian.npy", "f64_big_endian.npy", "f16.npy", "v2.npy",
            "v3.npy"})
    void floatFilesReadAsFloat32(String name) {
        try (NpyFile f = NpyFile.open(npy(name))) {
            assertArrayEquals(new long[] {2, 3}, f.shape(), name);
            assertTrue(f.isFloating(), name);
            assertArrayEquals(M, floats(f), name);
        }
    }

    @Test
    void versionsAndByteOrderAreReported() {
        try (NpyFile f = NpyFile.open(npy("v2.npy"))) {
            assertEquals(2, f.header().major());
        }
        try (NpyFile f = NpyFile.open(npy("v3.npy"))) {
            assertEquals(3, f.header().major());
        }
        try (NpyFile f = NpyFile.open(npy("f64_big_endian.npy"))) {
            assertEquals(ByteOrder.BIG_ENDIAN, f.header().order());
            assertEquals(NpyDType.FLOAT64, f.dtype());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"i64.npy", "i64_big_endian.npy", "i32.npy", "i32_big_endian.npy", "i16.npy", "i8.npy"})
    void integerFilesReadAsInt64AndAsFloat(String name) {
        try (NpyFile f = NpyFile.open(npy(name))) {
            assertEquals(false, f.isFloating(), name);
            assertArrayEquals(INTS, longs(f), name);
            float[] expected = new float[INTS.length];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = INTS[i];
            }
            assertArrayEquals(expected, floats(f), name);
        }
    }

    @Test
    void unsignedAndBool() {
        try (NpyFile f = NpyFile.open(npy("u8.npy"))) {
            assertArrayEquals(new long[] {0, 255, 7, 1, 2, 128}, longs(f));
        }
        try (NpyFile f = NpyFile.open(npy("bool.npy"))) {
            assertArrayEquals(new long[] {1, 0, 1, 0, 0, 1}, longs(f));
            assertArrayEquals(new float[] {1, 0, 1, 0, 0, 1}, floats(f));
        }
    }

    @Test
    void scalarEmptyAndRanges() {
        try (NpyFile f = NpyFile.open(npy("scalar_0d.npy"))) {
            assertArrayEquals(new long[0], f.shape());
            assertArrayEquals(new float[] {2.5f}, floats(f));
        }
        try (NpyFile f = NpyFile.open(npy("empty.npy"))) {
            assertArrayEquals(new long[] {0, 3}, f.shape());
            assertEquals(0, f.numel());
        }
        try (NpyFile f = NpyFile.open(npy("vector.npy"))) {
            float[] v = new float[3];
            f.readFloats(1, v, 0, 3);
            assertArrayEquals(new float[] {1, 2, 3}, v);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "fortran.npy|Fortran-order (column-major) arrays are not supported, expected C order",
        "truncated.npy|truncated: the header promises 24 bytes of data (shape [2, 3], float32), the file has 19",
        "truncated_header.npy|truncated .npy header",
        "bad_magic.npy|not a .npy file (it does not start with NumPy's magic bytes",
        "bad_version.npy|unsupported .npy format version 4.0, expected 1.0, 2.0 or 3.0",
        "bad_header.npy|malformed .npy header",
        "no_shape.npy|malformed .npy header: no 'shape' key",
        "extra_key.npy|malformed .npy header: unexpected key 'extra', expected exactly descr, fortran_order and shape",
        "complex.npy|unsupported dtype '<c8'",
        "uint64.npy|unsupported dtype '<u8'",
        "structured.npy|structured arrays are not supported",
        "missing.npy|no such file"})
    void malformedFilesAreRejectedNamingTheFile(String name, String message) {
        Path p = name.equals("missing.npy") ? tmp.resolve(name) : npy(name);
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(message), () -> "expected '" + message + "' in: " + e.getMessage());
        assertTrue(e instanceof IllegalArgumentException);
    }

    @Test
    void aDirectoryIsNotAFile() {
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyFile.open(tmp));
        assertEquals(tmp + ": is a directory, expected a .npy file", e.getMessage());
    }

    @Test
    void writerHeaderIsByteForByteNumpys() throws IOException {
        byte[] numpy = Files.readAllBytes(npy("f32.npy"));
        byte[] ours = NpyWriter.header("<f4", new long[] {2, 3});
        assertArrayEquals(Arrays.copyOf(numpy, ours.length), ours);
        byte[] numpy0d = Files.readAllBytes(npy("scalar_0d.npy"));
        byte[] ours0d = NpyWriter.header("<f4", new long[0]);
        assertArrayEquals(Arrays.copyOf(numpy0d, ours0d.length), ours0d);
        byte[] numpy1d = Files.readAllBytes(npy("vector.npy"));
        byte[] ours1d = NpyWriter.header("<f4", new long[] {5});
        assertArrayEquals(Arrays.copyOf(numpy1d, ours1d.length), ours1d);
        assertEquals(0, ours.length % 64);
    }

    @Test
    void writerRoundTripsInPiecesAndOutOfOrder() {
        Path p = tmp.resolve("out.npy");
        float[] data = new float[3 * 700_001];
        for (int i = 0; i < data.length; i++) {
            data[i] = i * 0.25f - 7;
        }
        try (NpyWriter w = NpyWriter.create(p, 700_001, 3)) {
            int half = data.length / 2;
            w.write(half, data, half, data.length - half);
            w.write(0, data, 0, half);
            w.finish();
        }
        try (NpyFile f = NpyFile.open(p)) {
            assertArrayEquals(new long[] {700_001, 3}, f.shape());
            assertArrayEquals(data, floats(f));
        }
        Path q = tmp.resolve("ints.npy");
        NpyWriter.write(q, new long[] {2, 3}, INTS);
        try (NpyFile f = NpyFile.open(q)) {
            assertArrayEquals(INTS, longs(f));
        }
    }

    @Test
    void writerRejectsAShortWrite() {
        try (NpyWriter w = NpyWriter.create(tmp.resolve("short.npy"), 4)) {
            w.append(new float[3], 0, 3);
            IllegalStateException e = assertThrows(IllegalStateException.class, w::finish);
            assertTrue(e.getMessage().contains("got 3 of 4 elements"), e.getMessage());
        }
    }

    @Test
    void halfPrecisionSpecialValues() {
        assertEquals(1.0f, NpyFile.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, NpyFile.halfToFloat((short) 0xc000));
        assertEquals(65504f, NpyFile.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, NpyFile.halfToFloat((short) 0x0001));
        assertEquals(Float.POSITIVE_INFINITY, NpyFile.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(NpyFile.halfToFloat((short) 0x7e00)));
    }
}
