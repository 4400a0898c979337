"""Shared helpers for the golden-data generators (run with Debian's /usr/bin/python3 and python3-torch).

Every case is computed by real PyTorch in float64 from float32 inputs: the inputs are drawn in
float32 (what jloss receives), widened to float64, and the loss, the gradient with a random upstream
gradient, and the gradient of the sum of the output are recorded. A case whose construction or
forward raises in PyTorch is recorded with "error" instead, and jloss must reject it too.
"""
import math
import zlib
import torch

torch.set_default_dtype(torch.float64)


def gen(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def f32(g, *shape, lo=-2.0, hi=2.0):
    """Uniform float32 values in [lo, hi), returned as float64 (exactly representable in float32)."""
    return (torch.rand(tuple(shape), generator=g, dtype=torch.float32) * (hi - lo) + lo).double()


def randn32(g, *shape, scale=1.0):
    return (torch.randn(tuple(shape), generator=g, dtype=torch.float32) * scale).double()


def ints(g, lo, hi, *shape):
    return torch.randint(lo, hi, tuple(shape), generator=g, dtype=torch.int64)


def enc(t):
    """A tensor as {"dtype", "shape", "data"}; floats are float64 values (NaN/inf allowed)."""
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool):
        return {"dtype": "int64" if t.dtype != torch.int32 else "int32", "shape": list(t.shape),
                "data": [int(v) for v in t.reshape(-1).tolist()]}
    return {"dtype": "float32", "shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def json_option(v):
    if isinstance(v, torch.Tensor):
        return v.tolist()
    return v


def case(cid, loss_name, make_module, options, inputs, diff, json_options=None):
    """One golden case.

    cid          unique id within the file
    loss_name    PyTorch class name, e.g. "MSELoss"
    make_module  callable(**options) -> torch module (tensors in options are already float64)
    options      constructor kwargs (tensor options as float64 tensors holding float32 values)
    inputs       list of (name, tensor) in forward() order; float tensors float64-from-float32
    diff         names of inputs to differentiate
    json_options options as jloss receives them (defaults to options with tensors as lists)
    """
    rec = {"id": cid, "loss": loss_name,
           "options": json_options if json_options is not None else {k: json_option(v) for k, v in options.items()},
           "inputs": [dict(name=n, **enc(t)) for n, t in inputs], "diff": list(diff)}
    leaves = {}
    args = []
    for n, t in inputs:
        if n in diff:
            t = t.clone().requires_grad_(True)
            leaves[n] = t
        args.append(t)
    try:
        module = make_module(**options)
        out = module(*args)
    except Exception as e:  # PyTorch rejects it: so must jloss
        rec["error"] = f"{type(e).__name__}: {e}"
        return rec
    rec["output"] = enc(out)
    g = gen(zlib.crc32(cid.encode()))
    go = f32(g, *out.shape, lo=-1.5, hi=1.5) if out.dim() > 0 else torch.tensor(float(f32(g, 1, lo=0.5, hi=1.5)[0]))
    rec["grad_output"] = enc(go)
    if diff:
        dl = [leaves[n] for n in diff]
        grads = torch.autograd.grad(out, dl, go, retain_graph=True, allow_unused=True)
        rec["grads"] = {n: enc(gr if gr is not None else torch.zeros_like(leaves[n])) for n, gr in zip(diff, grads)}
        grads_sum = torch.autograd.grad(out.sum(), dl, allow_unused=True)
        rec["grads_sum"] = {n: enc(gr if gr is not None else torch.zeros_like(leaves[n])) for n, gr in zip(diff, grads_sum)}
    return rec


REDUCTIONS = ("none", "mean", "sum")

NAN = float("nan")
INF = float("inf")


def nonfinite_pairs():
    """Operand pairs (x, y) for an element-wise term at NaN and +-inf: each of NaN, inf, -inf against
    finite values of both signs and zero, against each other, and finite against each of them."""
    bad = [NAN, INF, -INF]
    x, y = [], []
    for v in bad:
        for w in (0.0, 1.5, -0.5):
            x += [v, w]
            y += [w, v]
        for w in bad:
            x.append(v)
            y.append(w)
    return torch.tensor(x), torch.tensor(y)
