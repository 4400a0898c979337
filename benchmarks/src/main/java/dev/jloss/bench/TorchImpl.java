package dev.jloss.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.jloss.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * The PyTorch peer: PyTorch's own CPU kernels (libtorch 2.7.1) through DJL's PyTorch engine, with the
 * natives from the {@code pytorch-native-cpu} jar and DJL offline. Each loss is a TorchScript module
 * ({@code torchscript/<loss>.pt}, written by {@code src/main/python/make_torchscript.py}) that calls
 * {@code torch.nn.functional}'s loss, so the ATen kernels run unchanged:
 * <ul>
 *   <li>forward: the functional loss under {@code no_grad};</li>
 *   <li>backward: {@code torch.autograd.grad(loss, inputs, grad_output)}: PyTorch cannot produce a
 *       gradient without the forward pass that records the graph, so its forward runs inside;</li>
 *   <li>fused: the same, returning the loss too.</li>
 * </ul>
 * Thread count: {@code ai.djl.pytorch.num_threads} (set by the suite to jloss's thread count).
 */
public final class TorchImpl implements Impl {
    private final NDManager manager;
    private final PtSymbolBlock block;
    private final IValue[] args;
    private final IValue[] gradArgs;
    private final PtNDArray gradOutput;
    private final List<PtNDArray> arrays = new ArrayList<>();

    public TorchImpl(HostInputs in) {
        Engine engine = Engine.getEngine("PyTorch");
        manager = engine.newBaseManager();
        PtNDManager pm = (PtNDManager) manager;
        String res = "/torchscript/" + in.kase.loss() + ".pt";
        try (InputStream s = TorchImpl.class.getResourceAsStream(res)) {
            if (s == null) {
                throw new JlossImpl.Unavailable("no TorchScript module " + res);
            }
            block = JniUtils.loadModule(pm, s, false, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        args = new IValue[in.size()];
        for (int i = 0; i < args.length; i++) {
            Cases.Arg a = in.arg(i);
            PtNDArray x = (PtNDArray) (a.dtype() == DType.FLOAT32 ? manager.create(in.floats[i], new Shape(a.shape()))
                    : manager.create(in.longs[i], new Shape(a.shape())));
            arrays.add(x);
            args[i] = IValue.from(x);
        }
        gradOutput = (PtNDArray) manager.create(GRAD_OUTPUT);
        gradArgs = new IValue[args.length + 1];
        gradArgs[0] = IValue.from(gradOutput);
        System.arraycopy(args, 0, gradArgs, 1, args.length);
    }

    private IValue call(Op op) {
        return switch (op) {
            case FORWARD -> IValueUtils.runMethod(block, "forward", args);
            case BACKWARD -> runWithGrad("grad", gradArgs);
            default -> runWithGrad("loss_and_grad", args);
        };
    }

    /*
     * NOTE: DJL's public IValueUtils.runMethod runs a TorchScript method with isTrain=false, i.e.
     * under a no-grad guard, where torch.autograd.grad fails ("element 0 of tensors does not require
     * grad"). The same JNI entry point with isTrain=true keeps autograd on; it is package-private in
     * DJL 0.36, so it is reached once by reflection and called through a method handle.
     */
    private static final MethodHandle RUN_METHOD;
    private static final Object LIB;

    static {
        try {
            Class<?> lib = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            Field f = lib.getDeclaredField("LIB");
            f.setAccessible(true);
            LIB = f.get(null);
            Method m = lib.getDeclaredMethod("moduleRunMethod", long.class, String.class, long[].class, boolean.class,
                    boolean.class);
            m.setAccessible(true);
            RUN_METHOD = MethodHandles.lookup().unreflect(m);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private IValue runWithGrad(String method, IValue[] in) {
        // DJL's engine starts with autograd off; the mode is per thread, and JMH's thread is not setup's
        JniUtils.setGradMode(true);
        long[] handles = new long[in.length];
        for (int i = 0; i < in.length; i++) {
            handles[i] = in[i].getHandle();
        }
        try {
            long h = (long) RUN_METHOD.invoke(LIB, block.getHandle().longValue(), method, handles, true, false);
            return newIValue(h);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static final MethodHandle NEW_IVALUE;

    static {
        try {
            java.lang.reflect.Constructor<IValue> c = IValue.class.getDeclaredConstructor(long.class);
            c.setAccessible(true);
            NEW_IVALUE = MethodHandles.lookup().unreflectConstructor(c);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static IValue newIValue(long handle) throws Throwable {
        return (IValue) NEW_IVALUE.invoke(handle);
    }

    @Override
    public Object run(Op op) {
        try (NDManager scope = manager.newSubManager()) {
            IValue r = call(op);
            if (r.isTensor()) {
                r.toTensor((PtNDManager) scope);
            } else {
                r.toTensorArray((PtNDManager) scope);
            }
            r.close();
            return r;
        }
    }

    @Override
    public Outputs outputs(Op op) {
        try (NDManager scope = manager.newSubManager()) {
            IValue r = call(op);
            try {
                if (op == Op.FORWARD) {
                    return new Outputs(r.toTensor((PtNDManager) scope).getFloat(), List.of());
                }
                PtNDArray[] ts = r.toTensorArray((PtNDManager) scope);
                List<float[]> grads = new ArrayList<>();
                int first = op == Op.FUSED ? 1 : 0;
                for (int i = first; i < ts.length; i++) {
                    grads.add(ts[i].toFloatArray());
                }
                return new Outputs(op == Op.FUSED ? ts[0].getFloat() : Double.NaN, grads);
            } finally {
                r.close();
            }
        }
    }

    @Override
    public String note() {
        return "torch.nn.functional via TorchScript";
    }

    @Override
    public void close() {
        for (IValue v : gradArgs) {
            v.close();
        }
        block.close();
        manager.close();
    }
}
