package dev.jloss.cli;

import dev.jloss.io.NpyDType;
import dev.jloss.io.NpyWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of one {@code --out DIR} run: each is written under a temporary name in DIR and renamed
 * to its real name only by {@link #commit()}, after everything succeeded; {@link #abort()} deletes
 * them (and every directory this run created, DIR and its missing parents), so a failed run leaves
 * nothing half-written.
 *
 * <p>Crash safety: each file's data is forced to disk ({@link NpyWriter#finish()}) before
 * {@link #commit()} renames it, and the directory is forced after the renames, so a process killed at any point (SIGKILL, power loss) leaves either
 * no {@code output.npy} or a complete one; at worst a {@code .NAME.*.part} file, clearly marked.
 */
final class OutputFiles {
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final Path dir;
    /** The directories this run created, deepest first: DIR and the parents it lacked. */
    private final List<Path> createdDirs;
    private final Map<Path, Path> tempToFinal = new LinkedHashMap<>();
    private final List<NpyWriter> open = new ArrayList<>();

    private OutputFiles(Path dir, List<Path> createdDirs) {
        this.dir = dir;
        this.createdDirs = createdDirs;
    }

    /** How a file is opened for writing: the file system's, or (in tests) one that fails on cue. */
    interface Opener {
        FileChannel open(Path path) throws IOException;
    }

    private static final Opener FILES = p -> FileChannel.open(p, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);

    private Opener opener = FILES;

    /** Checks (or creates) DIR before any work, so that a bad --out fails fast. */
    static OutputFiles in(Path dir) {
        return in(dir, FILES);
    }

    /** {@link #in(Path)}, writing through {@code opener}. */
    static OutputFiles in(Path dir, Opener opener) {
        OutputFiles f = create(dir);
        f.opener = opener;
        return f;
    }

    private static OutputFiles create(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new CliException("--out " + dir + ": exists and is not a directory");
        }
        List<Path> created = new ArrayList<>();
        if (!Files.exists(dir)) {
            for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p); p = p.getParent()) {
                created.add(p);
            }
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                deleteEmpty(created);
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
        FileChannel ch;
        try {
            ch = opener.open(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException(tmp + ": cannot write: " + reason(e), e);
        }
        NpyWriter w = NpyWriter.create(tmp, ch, NpyDType.FLOAT32, shape);
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
        forceDirectory();
    }

    /** Forces DIR's entries (the renames) to disk: without it a crash can lose a rename that had returned. */
    private void forceDirectory() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // NOTE: some file systems cannot open a directory for reading; the files themselves are forced.
        }
    }

    /**
     * The error to report for a write that failed: a full disk (or quota) is the caller's to fix,
     * exit status 2, naming {@code --out} and the file by its final name; other failures stay I/O
     * failures (exit status 1), with the temporary name replaced by the final one.
     */
    RuntimeException explain(UncheckedIOException e) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        String file = null;
        for (Map.Entry<Path, Path> t : tempToFinal.entrySet()) {
            if (msg.contains(t.getKey().toString())) {
                file = t.getValue().getFileName().toString();
                msg = msg.replace(t.getKey().toString(), t.getValue().toString());
            }
        }
        String cause = e.getCause() == null || e.getCause().getMessage() == null ? msg : e.getCause().getMessage();
        if (cause.contains("No space left on device") || cause.contains("Disk quota exceeded")) {
            String why = cause.contains("quota") ? "disk quota exceeded" : "no space left on device";
            CliException c = new CliException("--out " + dir + ": " + why + (file == null ? "" : " while writing " + file)
                    + "; nothing was written (the run needs more free space there)");
            c.initCause(e);
            return c;
        }
        if (msg.equals(e.getMessage())) {
            return e;
        }
        UncheckedIOException u = new UncheckedIOException(msg, e.getCause());
        u.addSuppressed(e);
        return u;
    }

    /** Deletes every temporary file, and each directory this run created (DIR, its parents) that is empty. */
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
        deleteEmpty(createdDirs);
    }

    /** Deletes {@code dirs} in order (deepest first), stopping at the first that is not empty. */
    private static void deleteEmpty(List<Path> dirs) {
        for (Path d : dirs) {
            try {
                Files.deleteIfExists(d);
            } catch (IOException e) {
                return; // not empty: something else was put there meanwhile, so keep it and its parents
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
