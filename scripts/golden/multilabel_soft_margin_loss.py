"""Golden cases for MultiLabelSoftMarginLoss: weight x reduction over awkward shapes, broadcasting, legacy flags, errors.

PyTorch 1.13 writes this loss in Python: loss = -(y logsigmoid(x) + (1-y) logsigmoid(-x)), times
weight, summed over the input's last dimension and divided by the input's last size, then reduced.
So input, target and weight broadcast, any input of at least one dimension works (a (C) input is
one row; (N, d1, C) gives (N, d1) per-sample values), empty batches are well defined (mean NaN,
sum 0), C = 0 gives NaN rows, and a target or weight with more dimensions than the input even
broadcasts the input (the class sum is then over the input's last axis counted from the front).
"""
import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, NAN, INF


def binary(g, *shape):
    return (torch.rand(shape, generator=g) < 0.5).double()


def mlsm(cid, opts, x, y, out):
    out.append(case(cid, "MultiLabelSoftMarginLoss", nn.MultiLabelSoftMarginLoss, opts,
                    [("input", x), ("target", y)], ["input"]))


def cases():
    g = gen(14)
    out = []
    shapes = [(1, 1), (3, 1), (1, 7), (4, 7), (5, 33), (3, 65), (7,), (1,), (2, 3, 5), (2, 1, 3, 4)]
    for si, xs in enumerate(shapes):
        c = xs[-1]
        for use_w in (False, True):
            for r in REDUCTIONS:
                opts = {"reduction": r}
                if use_w:
                    opts["weight"] = f32(g, c, lo=0.1, hi=2.0)
                mlsm(f"mlsm_{'x'.join(map(str, xs))}_w{int(use_w)}_{r}", opts, f32(g, *xs, lo=-4, hi=4),
                     binary(g, *xs), out)
    # soft and out-of-range targets (PyTorch accepts any float)
    for r in REDUCTIONS:
        mlsm(f"mlsm_soft_targets_{r}", {"reduction": r}, f32(g, 4, 9, lo=-4, hi=4), f32(g, 4, 9, lo=0, hi=1), out)
        mlsm(f"mlsm_any_targets_{r}", {"reduction": r, "weight": f32(g, 9, lo=-1, hi=2)}, f32(g, 4, 9, lo=-4, hi=4),
             f32(g, 4, 9, lo=-2, hi=3), out)
    # large logits: log sigmoid must stay finite and accurate
    for r in REDUCTIONS:
        x = f32(g, 3, 8, lo=-120, hi=120)
        x[0, :4] = torch.tensor([30.0, -30.0, 88.5, -88.5])
        mlsm(f"mlsm_large_logits_{r}", {"reduction": r}, x, binary(g, 3, 8), out)
    # empty batch and no classes (all well defined in PyTorch)
    for r in REDUCTIONS:
        mlsm(f"mlsm_empty_batch_{r}", {"reduction": r}, f32(g, 0, 5), binary(g, 0, 5), out)
        mlsm(f"mlsm_empty_batch_w_{r}", {"reduction": r, "weight": f32(g, 5)}, f32(g, 0, 5), binary(g, 0, 5), out)
        mlsm(f"mlsm_no_classes_{r}", {"reduction": r}, f32(g, 3, 0), binary(g, 3, 0), out)
    # broadcasting
    for r in REDUCTIONS:
        mlsm(f"mlsm_bcast_target_row_{r}", {"reduction": r}, f32(g, 4, 6), binary(g, 6), out)
        mlsm(f"mlsm_bcast_target_col_{r}", {"reduction": r}, f32(g, 4, 6), binary(g, 4, 1), out)
        mlsm(f"mlsm_bcast_weight_2d_{r}", {"reduction": r, "weight": f32(g, 4, 6, lo=0.1, hi=2)}, f32(g, 4, 6),
             binary(g, 4, 6), out)
        mlsm(f"mlsm_bcast_weight_1_{r}", {"reduction": r, "weight": f32(g, 1, lo=0.1, hi=2)}, f32(g, 4, 6),
             binary(g, 4, 6), out)
        mlsm(f"mlsm_bcast_input_rows_{r}", {"reduction": r}, f32(g, 5), binary(g, 3, 5), out)
        mlsm(f"mlsm_bcast_input_classes_{r}", {"reduction": r}, f32(g, 3, 1), binary(g, 3, 5), out)
        mlsm(f"mlsm_bcast_input_by_weight_{r}", {"reduction": r, "weight": f32(g, 3, 4, lo=0.1, hi=2)},
             f32(g, 1, 4), binary(g, 1, 4), out)
        mlsm(f"mlsm_bcast_kdim_{r}", {"reduction": r, "weight": f32(g, 3, 1, lo=0.1, hi=2)}, f32(g, 2, 3, 4),
             binary(g, 1, 4), out)
    # legacy size_average / reduce
    for sa, rd in [(None, False), (False, None), (True, True), (False, False), (True, None), (None, True)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        mlsm(f"mlsm_legacy_{sa}_{rd}", opts, f32(g, 4, 5), binary(g, 4, 5), out)
    # errors PyTorch raises
    mlsm("mlsm_err_scalar_input", {}, f32(g), f32(g), out)
    mlsm("mlsm_err_target_shape", {}, f32(g, 4, 5), binary(g, 4, 6), out)
    mlsm("mlsm_err_target_rows", {}, f32(g, 4, 5), binary(g, 3, 5), out)
    mlsm("mlsm_err_weight_length", {"weight": f32(g, 4)}, f32(g, 4, 5), binary(g, 4, 5), out)
    mlsm("mlsm_err_weight_rows", {"weight": f32(g, 3, 5)}, f32(g, 4, 5), binary(g, 4, 5), out)
    mlsm("mlsm_err_reduction", {"reduction": "batchmean"}, f32(g, 4, 5), binary(g, 4, 5), out)
    return out


def nonfinite_cases():
    """NaN and +-inf logits against targets 0, 1, 0.5; NaN and inf targets; with and without weight."""
    x = torch.tensor([[NAN, 0., 1.], [INF, 0., 1.], [-INF, 0., 1.], [INF, -INF, NAN], [0.5, -1., 2.]])
    y = torch.tensor([[1., 0., 0.5], [0., 1., 1.], [1., 0., 0.], [1., 1., 0.], [NAN, INF, -INF]])
    out = []
    for r in REDUCTIONS:
        mlsm(f"nf_mlsm_{r}", {"reduction": r}, x, y, out)
        mlsm(f"nf_mlsm_w_{r}", {"reduction": r, "weight": torch.tensor([0.5, 1.5, 2.0])}, x, y, out)
    return out
