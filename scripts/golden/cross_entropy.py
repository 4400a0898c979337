"""Golden cases for CrossEntropyLoss: class-index targets (every option x reduction x shape kind,
label smoothing with weights and ignore_index), class-probability targets (weight, smoothing, K-dim),
int32 targets, huge logits, ignored and empty batches, and the inputs PyTorch rejects.

PyTorch 1.13 rejects int32 targets ("expected scalar type Long"); jloss accepts them, so the int32
cases record int32 targets and compute with them widened to int64. PyTorch 1.13 also accepts a
negative label_smoothing (it treats it as 0); jloss rejects it, so no case here has one.
"""
import torch
import torch.nn as nn
from common import case, f32, gen, ints, randn32, REDUCTIONS, NAN, INF

LOSS = "CrossEntropyLoss"


class WidenTarget(nn.Module):
    """Runs a loss with the target widened to int64, for the int32 cases."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, input, target):
        return self.inner(input, target.long())


def int32_module(**o):
    return WidenTarget(nn.CrossEntropyLoss(**o))


def targets(g, classes, shape, ignore=None, frac=0.3):
    t = ints(g, 0, max(classes, 1), *shape)
    if ignore is not None and t.numel() > 0:
        mask = torch.rand(tuple(shape), generator=g) < frac
        t = torch.where(mask, torch.full_like(t, ignore), t)
    return t


def probs(g, *shape, dim=1):
    """Rows of class probabilities (float32 values) along dim."""
    p = torch.softmax(randn32(g, *shape, scale=2.0), dim=dim)
    return p.float().double()


def weight(g, classes):
    return f32(g, classes, lo=0.1, hi=2.0)


def ce(cid, opts, x, t, make=nn.CrossEntropyLoss):
    return case(cid, LOSS, make, opts, [("input", x), ("target", t)], ["input"])


def cases():
    g = gen(3)
    out = []
    shapes = {
        "unbatched": ((5,), ()),
        "unbatched_c1": ((1,), ()),
        "n7": ((7, 5), (7,)),
        "n1": ((1, 5), (1,)),
        "c1": ((4, 1), (4,)),
        "k1": ((3, 4, 5), (3, 5)),
        "k2": ((2, 3, 2, 3), (2, 2, 3)),
    }
    # class indices: shape x reduction x weight x ignore_index x label_smoothing
    for name, (xs, ts) in shapes.items():
        c = xs[0] if len(xs) == 1 else xs[1]
        for r in REDUCTIONS:
            for wname in ("now", "w"):
                for iname, ign in (("defign", None), ("ign1", 1 if c > 1 else 0)):
                    for ls in (0.0, 0.15):
                        opts = {"reduction": r}
                        if wname == "w":
                            opts["weight"] = weight(g, c)
                        if ign is not None:
                            opts["ignore_index"] = ign
                        if ls:
                            opts["label_smoothing"] = ls
                        x = randn32(g, *xs, scale=2.0)
                        t = targets(g, c, ts, ignore=-100 if ign is None and len(ts) > 0 else None)
                        out.append(ce(f"{name}_{r}_{wname}_{iname}_ls{ls}", opts, x, t))
    # more rows, a prime class count, K-dim with k = 3
    for r in REDUCTIONS:
        out.append(ce(f"n33_c7_{r}", {"reduction": r, "weight": weight(g, 7), "label_smoothing": 0.3},
                      randn32(g, 33, 7, scale=3.0), targets(g, 7, (33,), ignore=-100)))
        out.append(ce(f"k3_{r}", {"reduction": r, "weight": weight(g, 3), "ignore_index": 2, "label_smoothing": 0.2},
                      randn32(g, 2, 3, 2, 2, 3), targets(g, 3, (2, 2, 2, 3), ignore=2)))
    # a spatial extent beyond one block of positions (256)
    for r in ("none", "mean"):
        out.append(ce(f"k1_wide_spatial_{r}", {"reduction": r, "label_smoothing": 0.1},
                      randn32(g, 2, 4, 300), targets(g, 4, (2, 300), ignore=-100)))
    # wide rows (C = 1000)
    out.append(ce("wide_mean", {}, randn32(g, 2, 1000, scale=3.0), targets(g, 1000, (2,))))
    out.append(ce("wide_none_w_ls", {"reduction": "none", "weight": weight(g, 1000), "label_smoothing": 0.1},
                  randn32(g, 2, 1000, scale=3.0), targets(g, 1000, (2,))))
    # label smoothing at its ends
    for r in REDUCTIONS:
        out.append(ce(f"ls1_{r}", {"reduction": r, "label_smoothing": 1.0, "weight": weight(g, 5)},
                      randn32(g, 4, 5), targets(g, 5, (4,), ignore=-100)))
    # logits far beyond exp's range: needs the maximum subtracted
    for r in ("none", "mean"):
        out.append(ce(f"huge_logits_{r}", {"reduction": r, "label_smoothing": 0.1},
                      f32(g, 4, 6, lo=-400.0, hi=400.0), targets(g, 6, (4,))))
        out.append(ce(f"huge_logits_k1_{r}", {"reduction": r},
                      f32(g, 2, 6, 3, lo=-400.0, hi=400.0), targets(g, 6, (2, 3))))
        out.append(ce(f"huge_logits_prob_{r}", {"reduction": r},
                      f32(g, 3, 6, lo=-400.0, hi=400.0), probs(g, 3, 6)))
    # class probabilities: shape x reduction x weight x label_smoothing
    pshapes = {"unbatched": (5,), "n7": (7, 5), "n1": (1, 4), "c1": (3, 1), "k1": (3, 4, 5), "k2": (2, 3, 2, 3)}
    for name, xs in pshapes.items():
        c = xs[0] if len(xs) == 1 else xs[1]
        for r in REDUCTIONS:
            for wname in ("now", "w"):
                for ls in (0.0, 0.2):
                    opts = {"reduction": r}
                    if wname == "w":
                        opts["weight"] = weight(g, c)
                    if ls:
                        opts["label_smoothing"] = ls
                    dim = 0 if len(xs) == 1 else 1
                    out.append(ce(f"prob_{name}_{r}_{wname}_ls{ls}", opts, randn32(g, *xs, scale=2.0),
                                  probs(g, *xs, dim=dim)))
    # soft targets that are not distributions, and a negative ignore_index other than -100
    out.append(ce("prob_unnormalised", {"ignore_index": -1, "weight": weight(g, 5)}, randn32(g, 4, 5),
                  f32(g, 4, 5, lo=-1.0, hi=2.0)))
    # int32 targets
    for name, (xs, ts) in shapes.items():
        c = xs[0] if len(xs) == 1 else xs[1]
        for r in ("none", "mean"):
            out.append(ce(f"int32_{name}_{r}", {"reduction": r, "weight": weight(g, c), "ignore_index": 0,
                                                "label_smoothing": 0.1},
                          randn32(g, *xs), targets(g, c, ts).int(), make=int32_module))
    # legacy size_average / reduce
    for sa, rd in [(None, False), (False, None), (True, None), (False, False), (True, True)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        opts["weight"] = weight(g, 5)
        out.append(ce(f"legacy_{sa}_{rd}", opts, randn32(g, 6, 5), targets(g, 5, (6,), ignore=-100)))
    # the seed article's examples
    half = torch.full((2, 3), 0.5)
    out.append(ce("seed_base", {"size_average": True, "reduce": False}, half, torch.tensor([0, 1])))
    out.append(ce("seed_weight", {"weight": torch.tensor([0.6, 0.2, 0.2], dtype=torch.float32).double(),
                                  "size_average": True, "reduce": False}, half, torch.tensor([0, 1])))
    for ign in (1, 2):
        out.append(ce(f"seed_ignore_index_{ign}", {"size_average": False, "reduce": False, "ignore_index": ign},
                      torch.full((3, 3), 0.5), torch.tensor([0, 1, 2])))
    # every target ignored; empty batches; zero classes; a zero weight sum
    for r in REDUCTIONS:
        for ls in (0.0, 0.1):
            out.append(ce(f"all_ignored_{r}_ls{ls}", {"reduction": r, "label_smoothing": ls}, randn32(g, 4, 5),
                          torch.full((4,), -100)))
            out.append(ce(f"all_ignored_w_k1_{r}_ls{ls}", {"reduction": r, "weight": weight(g, 5), "ignore_index": 3,
                                                           "label_smoothing": ls},
                          randn32(g, 2, 5, 3), torch.full((2, 3), 3)))
            out.append(ce(f"empty_{r}_ls{ls}", {"reduction": r, "label_smoothing": ls}, randn32(g, 0, 5),
                          torch.zeros(0, dtype=torch.long)))
            out.append(ce(f"empty_w_k1_{r}_ls{ls}", {"reduction": r, "weight": weight(g, 5), "label_smoothing": ls},
                          randn32(g, 0, 5, 2), torch.zeros(0, 2, dtype=torch.long)))
        out.append(ce(f"unbatched_ignored_{r}", {"reduction": r}, randn32(g, 5), torch.tensor(-100)))
        out.append(ce(f"empty_spatial_{r}", {"reduction": r}, randn32(g, 3, 5, 0), torch.zeros(3, 0, dtype=torch.long)))
        out.append(ce(f"zero_classes_ignored_{r}", {"reduction": r, "ignore_index": 0}, randn32(g, 2, 0),
                      torch.zeros(2, dtype=torch.long)))
        out.append(ce(f"prob_empty_{r}", {"reduction": r}, randn32(g, 0, 5), torch.zeros(0, 5)))
        out.append(ce(f"prob_zero_classes_{r}", {"reduction": r}, randn32(g, 3, 0), torch.zeros(3, 0)))
        out.append(ce(f"prob_empty_spatial_{r}", {"reduction": r, "weight": weight(g, 4)}, randn32(g, 2, 4, 0),
                      torch.zeros(2, 4, 0)))
        zw = torch.tensor([0.0, 1.0, 1.0, 1.0, 1.0])
        out.append(ce(f"zero_weight_sum_{r}", {"reduction": r, "weight": zw}, randn32(g, 3, 5),
                      torch.tensor([0, 0, -100])))
        out.append(ce(f"zero_weight_sum_k1_{r}", {"reduction": r, "weight": zw}, randn32(g, 2, 5, 2),
                      torch.tensor([[0, -100], [0, 0]])))
    # errors PyTorch raises
    x = randn32(g, 3, 5)
    out.append(ce("err_target_high", {}, x, torch.tensor([1, 7, 3])))
    out.append(ce("err_target_high_none", {"reduction": "none"}, x, torch.tensor([1, 7, 3])))
    out.append(ce("err_target_negative", {"label_smoothing": 0.1}, x, torch.tensor([1, -1, 3])))
    out.append(ce("err_target_high_ls_w", {"label_smoothing": 0.1, "weight": weight(g, 5), "reduction": "sum"}, x,
                  torch.tensor([1, 5, 3])))
    out.append(ce("err_target_high_k1", {}, randn32(g, 2, 5, 3), torch.tensor([[0, 1, 2], [3, 9, 0]])))
    out.append(ce("err_target_high_k2_none", {"reduction": "none"}, randn32(g, 2, 5, 2, 2),
                  torch.tensor([[[0, 1], [2, 3]], [[4, 0], [5, 1]]])))
    out.append(ce("err_target_high_unbatched", {}, randn32(g, 5), torch.tensor(5)))
    out.append(ce("err_target_high_int32", {}, x, torch.tensor([1, 7, 3]).int(), make=int32_module))
    out.append(ce("err_zero_classes", {}, randn32(g, 2, 0), torch.zeros(2, dtype=torch.long)))
    out.append(ce("err_batch_mismatch", {}, x, torch.tensor([1, 2])))
    out.append(ce("err_target_2d", {}, x, torch.tensor([[1], [2], [3]])))
    out.append(ce("err_target_unbatched_1d", {}, randn32(g, 5), torch.tensor([1])))
    out.append(ce("err_kdim_target_shape", {}, randn32(g, 2, 5, 3), torch.zeros(2, 4, dtype=torch.long)))
    out.append(ce("err_k2_target_shape", {}, randn32(g, 2, 5, 3, 2), torch.zeros(2, 3, 3, dtype=torch.long)))
    out.append(ce("err_weight_length", {"weight": weight(g, 4)}, x, torch.tensor([1, 2, 3])))
    out.append(ce("err_weight_length_ls", {"weight": weight(g, 6), "label_smoothing": 0.1}, x, torch.tensor([1, 2, 3])))
    out.append(ce("err_weight_length_prob", {"weight": weight(g, 4)}, x, probs(g, 3, 5)))
    out.append(ce("err_weight_2d", {"weight": weight(g, 5).reshape(5, 1)}, x, torch.tensor([1, 2, 3])))
    out.append(ce("err_label_smoothing_high", {"label_smoothing": 1.1}, x, torch.tensor([1, 2, 3])))
    out.append(ce("err_label_smoothing_high_prob", {"label_smoothing": 1.5}, x, probs(g, 3, 5)))
    out.append(ce("err_prob_shape", {}, x, probs(g, 3, 4)))
    out.append(ce("err_prob_shape_kdim", {}, randn32(g, 2, 5, 3), probs(g, 2, 5, 4)))
    out.append(ce("err_float_class_target", {}, x, torch.tensor([1.0, 2.0, 3.0])))
    out.append(ce("err_int_target_of_input_shape", {}, x, ints(g, 0, 5, 3, 5)))
    out.append(ce("err_prob_ignore_index", {"ignore_index": 1}, x, probs(g, 3, 5)))
    out.append(ce("err_prob_ignore_index_zero", {"ignore_index": 0}, randn32(g, 5), probs(g, 5, dim=0)))
    out.append(ce("err_input_0d", {}, torch.tensor(0.5), torch.tensor(0)))
    return out


def nonfinite_cases():
    """NaN and +-inf logits (in the target's class and in others, a row of -inf, inf against inf), with
    class indices (weight, ignore_index on a NaN row, label smoothing) and class probabilities (also a NaN
    probability), and K-dim.
    NOTE: an infinite probability is left out: PyTorch sums w q (x - lse) per class (inf), jloss computes
    lse sum(w q) - sum(w q x) (inf - inf = NaN), a known difference in the forward."""
    x = torch.tensor([[NAN, 0., 1.], [NAN, 0., 1.], [INF, 0., 1.], [INF, 0., 1.], [-INF, 0., 1.],
                      [-INF, 0., 1.], [INF, INF, 0.], [-INF, -INF, -INF], [INF, -INF, 0.], [0.5, -1., 2.]])
    t = torch.tensor([0, 1, 0, 1, 0, 1, 0, 2, 1, 2])
    w = torch.tensor([0.5, 1.5, 2.0])
    out = []
    for r in REDUCTIONS:
        out.append(ce(f"nf_{r}", {"reduction": r}, x, t))
        out.append(ce(f"nf_w_ls_{r}", {"reduction": r, "weight": w, "label_smoothing": 0.1}, x, t))
        out.append(ce(f"nf_ign_{r}", {"reduction": r, "ignore_index": 1}, x, t))
        out.append(ce(f"nf_ign_ls_{r}", {"reduction": r, "ignore_index": 1, "label_smoothing": 0.2}, x, t))
        p = torch.tensor([[0.2, 0.3, 0.5]] * 10)
        out.append(ce(f"nf_prob_{r}", {"reduction": r}, x, p))
        out.append(ce(f"nf_prob_w_ls_{r}", {"reduction": r, "weight": w, "label_smoothing": 0.1}, x, p))
        pb = torch.tensor([[NAN, 0.5, 0.5], [0.5, NAN, 0.], [0., 0.5, 0.5], [0., 0., 1.]])
        out.append(ce(f"nf_prob_target_{r}", {"reduction": r}, torch.tensor([[0.5, -1., 2.]] * 4), pb))
        out.append(ce(f"nf_prob_both_{r}", {"reduction": r}, x[:4], pb))
        xk = x.reshape(2, 5, 3).transpose(1, 2).contiguous()  # (N=2, C=3, d=5)
        out.append(ce(f"nf_k1_{r}", {"reduction": r, "label_smoothing": 0.1}, xk, t.reshape(2, 5)))
        out.append(ce(f"nf_k1_ign_{r}", {"reduction": r, "ignore_index": 1}, xk, t.reshape(2, 5)))
    return out
