"""Golden cases for MultiLabelMarginLoss: reductions over awkward shapes and label layouts, legacy flags, errors.

Targets hold each row's labels ended by the first -1; entries after it are random (-1 or a class)
and must be ignored. Rows with no label, with every class, and with a label listed twice are
included. Empty batches are recorded for reduction='none' only: 1.13 returns an uninitialised
scalar for mean and sum (jloss gives NaN and 0, tested in MultiLabelMarginLossTest).
"""
import torch
import torch.nn as nn
from common import case, f32, gen, ints, REDUCTIONS, NAN, INF


def labels(g, rows, c, dup=False):
    """A (rows, c) int64 target: a random number of distinct labels, -1, then junk in [-1, c)."""
    t = torch.empty(rows, c, dtype=torch.int64)
    for r in range(rows):
        k = int(torch.randint(0, c + 1, (1,), generator=g))
        perm = torch.randperm(c, generator=g)
        row = torch.randint(-1, c, (c,), generator=g)
        row[:k] = perm[:k]
        if k < c:
            row[k] = -1
        if dup and k >= 2 and k < c:
            row[1] = row[0]
        t[r] = row
    return t


def mlm(cid, opts, x, y, out):
    out.append(case(cid, "MultiLabelMarginLoss", nn.MultiLabelMarginLoss, opts, [("input", x), ("target", y)],
                    ["input"]))


def cases():
    g = gen(11)
    out = []
    for (n, c) in [(1, 1), (3, 1), (1, 7), (4, 7), (5, 33), (3, 65), (9, 4)]:
        for r in REDUCTIONS:
            mlm(f"mlm_{n}x{c}_{r}", {"reduction": r}, f32(g, n, c), labels(g, n, c), out)
    # unbatched: a (C) vector, and a 0-d scalar (one class) with a 0-d or (1) target
    for c in (1, 7, 33):
        for r in REDUCTIONS:
            mlm(f"mlm_unbatched{c}_{r}", {"reduction": r}, f32(g, c), labels(g, 1, c)[0], out)
    for r in REDUCTIONS:
        mlm(f"mlm_scalar_label0_{r}", {"reduction": r}, f32(g), torch.tensor(0), out)
        mlm(f"mlm_scalar_nolabel_{r}", {"reduction": r}, f32(g), torch.tensor(-1), out)
        mlm(f"mlm_scalar_target1_{r}", {"reduction": r}, f32(g), torch.tensor([0]), out)
    # label layouts: none, all classes, duplicates, the seed article's example
    x = f32(g, 4, 6)
    mlm("mlm_no_labels", {"reduction": "none"}, x, torch.full((4, 6), -1, dtype=torch.int64), out)
    mlm("mlm_all_labels", {"reduction": "none"}, x, torch.stack([torch.randperm(6, generator=g) for _ in range(4)]), out)
    for r in REDUCTIONS:
        mlm(f"mlm_duplicates_{r}", {"reduction": r}, f32(g, 6, 8), labels(g, 6, 8, dup=True), out)
    mlm("mlm_seed", {}, torch.tensor([[0.1, 0.2, 0.4, 0.8]], dtype=torch.float32).double(),
        torch.tensor([[3, 0, -1, 1]]), out)
    mlm("mlm_large", {"reduction": "sum"}, f32(g, 4, 9, lo=-40, hi=40), labels(g, 4, 9), out)
    # empty batch (none only: see the module docstring)
    mlm("mlm_empty_none", {"reduction": "none"}, f32(g, 0, 5), torch.zeros(0, 5, dtype=torch.int64), out)
    # legacy size_average / reduce
    for sa, rd in [(None, False), (False, None), (True, True), (False, False), (True, None), (None, True)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        mlm(f"mlm_legacy_{sa}_{rd}", opts, f32(g, 4, 5), labels(g, 4, 5), out)
    # errors PyTorch raises
    x4 = f32(g, 2, 4)
    mlm("mlm_err_label_too_big", {}, x4, torch.tensor([[0, 4, -1, 1], [1, -1, 0, 0]]), out)
    mlm("mlm_err_label_below_minus1", {}, x4, torch.tensor([[0, -2, -1, 1], [1, -1, 0, 0]]), out)
    mlm("mlm_err_bad_after_end", {}, x4, torch.tensor([[0, -1, 7, 1], [1, -1, 0, 0]]), out)
    mlm("mlm_err_bad_after_end_none", {"reduction": "none"}, x4, torch.tensor([[0, 1, -1, 1], [-1, -5, 0, 0]]), out)
    mlm("mlm_err_unbatched_bad", {}, f32(g, 3), torch.tensor([0, 3, -1]), out)
    mlm("mlm_err_target_int32", {}, x4, torch.tensor([[0, 1, -1, 1], [1, -1, 0, 0]], dtype=torch.int32), out)
    mlm("mlm_err_target_float", {}, x4, f32(g, 2, 4), out)
    mlm("mlm_err_target_shape", {}, x4, torch.tensor([[0, 1, -1], [1, -1, 0]]), out)
    mlm("mlm_err_target_1d_for_2d", {}, x4, torch.tensor([0, 1, -1, 1]), out)
    mlm("mlm_err_target_2d_for_1d", {}, f32(g, 4), torch.tensor([[0, 1, -1, 1]]), out)
    mlm("mlm_err_target_length", {}, f32(g, 4), torch.tensor([0, 1, -1]), out)
    mlm("mlm_err_input_3d", {}, f32(g, 2, 3, 4), torch.zeros(2, 3, 4, dtype=torch.int64), out)
    mlm("mlm_err_input_no_classes", {}, f32(g, 2, 0), torch.zeros(2, 0, dtype=torch.int64), out)
    mlm("mlm_err_input_empty_vector", {}, f32(g, 0), torch.zeros(0, dtype=torch.int64), out)
    mlm("mlm_err_reduction", {"reduction": "avg"}, x4, torch.tensor([[0, 1, -1, 1], [1, -1, 0, 0]]), out)
    return out


def nonfinite_cases():
    """NaN and +-inf scores at labels and at non-labels."""
    x = torch.tensor([[NAN, 0., 1., 0.5], [NAN, 0., 1., 0.5], [INF, 0., 1., 0.5], [INF, 0., 1., 0.5],
                      [-INF, 0., 1., 0.5], [-INF, 0., 1., 0.5], [INF, INF, 0., 0.5], [-INF, -INF, -INF, -INF],
                      [0.5, -1., 2., 0.]])
    y = torch.tensor([[0, -1, 0, 0], [1, 2, -1, 0], [0, 3, -1, 1], [1, -1, 0, 0], [0, -1, 0, 0], [1, 0, -1, 0],
                      [0, 2, -1, 0], [3, -1, 0, 0], [2, 0, -1, 0]])
    out = []
    for r in REDUCTIONS:
        mlm(f"nf_mlm_{r}", {"reduction": r}, x, y, out)
    return out
