package dev.jloss.backend.device;

import java.nio.ByteBuffer;

/**
 * A GPU backend seen through another, with {@code -DJL_GROUP_ROWS=1} added to every kernel build:
 * the row-wise kernels then give each wide row a work-group even on a CPU device (PoCL), which
 * otherwise takes such rows in one work-item. So the tests run the path GPUs take, barriers and
 * work-group reductions included, where only PoCL is at hand. (A CUDA build ignores the define:
 * it always takes that path.) Buffers, queue and programs are the wrapped backend's; tensors made
 * here belong to this view. Closing the view leaves the wrapped backend open.
 */
public final class GroupRowsBackend extends DeviceBackend {
    private static final String DEFINE = "-DJL_GROUP_ROWS=1";

    private final DeviceBackend inner;

    public GroupRowsBackend(DeviceBackend inner) {
        this.inner = inner;
    }

    @Override
    protected Object allocateBuffer(long bytes) {
        return inner.allocateBuffer(bytes);
    }

    @Override
    protected void freeBuffer(Object handle) {
        inner.freeBuffer(handle);
    }

    @Override
    protected void write(Object handle, long offset, ByteBuffer src, long bytes) {
        inner.write(handle, offset, src, bytes);
    }

    @Override
    protected void read(Object handle, long offset, ByteBuffer dst, long bytes) {
        inner.read(handle, offset, dst, bytes);
    }

    @Override
    protected void fill(Object handle, long bytes, int pattern) {
        inner.fill(handle, bytes, pattern);
    }

    @Override
    protected void launch(String file, String kernel, String options, long groups, Object... args) {
        inner.launch(file, kernel, options.isEmpty() ? DEFINE : options + " " + DEFINE, groups, args);
    }

    @Override
    public long maxBufferBytes() {
        return inner.maxBufferBytes();
    }

    @Override
    protected String maxBufferName() {
        return inner.maxBufferName();
    }

    @Override
    public int wgs() {
        return inner.wgs();
    }

    @Override
    public int computeUnits() {
        return inner.computeUnits();
    }

    @Override
    public boolean fp64() {
        return inner.fp64();
    }

    @Override
    public void synchronize() {
        inner.synchronize();
    }

    @Override
    public String name() {
        return inner.name() + "+group-rows";
    }

    @Override
    public String description() {
        return inner.description() + ", wide rows in work-groups (" + DEFINE + ")";
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return name();
    }
}
