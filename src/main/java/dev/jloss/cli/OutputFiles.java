package dev.jloss.cli;

import dev.jloss.io.NpyWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of one {@code --out DIR} run: each is written under a temporary name in DIR and renamed
 * to its real name only by {@link #commit()}, after everything succeeded; {@link #abort()} deletes
 * them (and DIR, if this run created it), so a failed run leaves nothing half-written.
 */
final class OutputFiles {
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final Path dir;
    private final boolean createdDir;
    private final Map<Path, Path> tempToFinal = new LinkedHashMap<>();
    private final List<NpyWriter> open = new ArrayList<>();

    private OutputFiles(Path dir, boolean createdDir) {
        this.dir = dir;
        this.createdDir = createdDir;
    }

    /** Checks (or creates) DIR before any work, so that a bad --out fails fast. */
    static OutputFiles in(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new CliException("--out " + dir + ": exists and is not a directory");
        }
        boolean created = false;
        if (!Files.exists(dir)) {
            try {
                Files.createDirectories(dir);
                created = true;
            } catch (IOException e) {
                throw new CliException("--out " + dir + ": cannot create the directory: " + reason(e));
            }
        }
        if (!Files.isWritable(dir)) {
            throw new CliException("--out " + dir + ": the directory is not writable");
        }
        return new OutputFiles(dir, created);
    }

    Path dir() {
        return dir;
    }

    /** The final path of {@code name} in DIR. */
    Path finalPath(String name) {
        return dir.resolve(name);
    }

    /** A float32 writer for DIR/{@code name}, writing to a temporary file until {@link #commit()}. */
    NpyWriter create(String name, long[] shape) {
        Path tmp;
        try {
            // Not Files.createTempFile: its owner-only permissions would stick to the renamed result.
            tmp = Files.createFile(dir.resolve("." + name + "." + Long.toHexString(RANDOM.nextLong()) + ".part"));
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot create a file: " + reason(e), e);
        }
        tempToFinal.put(tmp, dir.resolve(name));
        NpyWriter w = NpyWriter.create(tmp, shape);
        open.add(w);
        return w;
    }

    /** Closes every writer and renames every temporary file to its final name. */
    void commit() {
        closeAll();
        for (Map.Entry<Path, Path> e : tempToFinal.entrySet()) {
            try {
                try {
                    Files.move(e.getKey(), e.getValue(), StandardCopyOption.REPLACE_EXISTING,
                            StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException ex) {
                    Files.move(e.getKey(), e.getValue(), StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException ex) {
                throw new UncheckedIOException(e.getValue() + ": cannot write: " + reason(ex), ex);
            }
        }
        tempToFinal.clear();
    }

    /** Deletes every temporary file, and DIR if this run created it and it is empty. */
    void abort() {
        try {
            closeAll();
        } catch (RuntimeException ignored) {
            // the files are deleted below anyway
        }
        for (Path p : tempToFinal.keySet()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort: a leftover .part file is clearly marked as such
            }
        }
        tempToFinal.clear();
        if (createdDir) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // not empty: something else was put there meanwhile
            }
        }
    }

    private void closeAll() {
        RuntimeException first = null;
        for (NpyWriter w : open) {
            try {
                w.close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        open.clear();
        if (first != null) {
            throw first;
        }
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
