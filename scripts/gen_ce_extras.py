#!/usr/bin/python3
"""Writes src/test/resources/golden/cross_entropy_extras.json: CrossEntropyLoss with jloss's options
beyond torch.nn, z-loss (lse_square_scale) and softcap, judged by real PyTorch float64 autograd.

Usage: /usr/bin/python3 scripts/gen_ce_extras.py
Needs Debian's python3-torch (apt-get install -y python3-torch python3-numpy). The output is
committed; GoldenTest and GradientCheckTest pick it up (every golden/*.json) on every backend.

torch.nn has neither option, so the reference writes them out in torch ops (Liger-Kernel's
convention, which jloss follows):
    y      = softcap * tanh(x / softcap)                     (x itself without softcap)
    ce_n   = F.cross_entropy(y, t, weight, ignore_index, label_smoothing, reduction='none')
    z_n    = lse_square_scale * logsumexp(y_n)^2 * [t_n != ignore_index]     (not class-weighted)
    none:  ce_n + z_n       sum: sum ce_n + sum z_n
    mean:  F.cross_entropy(..., reduction='mean') + sum z_n / count(t_n != ignore_index)
The mean's z part divides by the count of positions not ignored, the cross-entropy part by their
weight sum (PyTorch's), as Liger-Kernel's cross_entropy does; without weights the two agree.
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "golden"))
from common import case, f32, gen, ints, randn32, REDUCTIONS  # noqa: E402

OUT = os.path.join(HERE, "..", "src", "test", "resources", "golden", "cross_entropy_extras.json")
LOSS = "CrossEntropyLoss"


class CrossEntropyExtras(nn.Module):
    """The reference: cross entropy of soft-capped logits plus the z-loss, in torch float64 ops."""

    def __init__(self, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean",
                 lse_square_scale=0.0, softcap=None):
        super().__init__()
        # jloss's checks, so that the cases it must reject are recorded as errors
        if not (math.isfinite(lse_square_scale) and lse_square_scale >= 0):
            raise ValueError(f"lse_square_scale is {lse_square_scale}, expected a finite value >= 0")
        if softcap is not None and not (math.isfinite(softcap) and softcap > 0):
            raise ValueError(f"softcap is {softcap}, expected a finite value > 0")
        self.weight = weight
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.reduction = reduction
        self.scale = lse_square_scale
        self.softcap = softcap

    def forward(self, x, t):
        if x.shape == t.shape and x.dim() >= 1 and (self.scale != 0 or self.softcap is not None):
            raise ValueError("lse_square_scale and softcap take class-index targets only")
        y = self.softcap * torch.tanh(x / self.softcap) if self.softcap is not None else x
        kw = dict(weight=self.weight, ignore_index=self.ignore_index, label_smoothing=self.label_smoothing)
        ce = F.cross_entropy(y, t, reduction="none", **kw)
        lse = torch.logsumexp(y, dim=0 if y.dim() == 1 else 1)
        keep = (t != self.ignore_index).to(y.dtype)
        z = self.scale * lse * lse * keep
        if self.reduction == "none":
            return ce + z
        if self.reduction == "sum":
            return ce.sum() + z.sum()
        # NOTE: clamped so that with every target ignored the z part's gradient is 0 (not 0 * inf = NaN),
        # like the cross-entropy part's; the mean itself is still NaN there, from the cross-entropy part
        return F.cross_entropy(y, t, reduction="mean", **kw) + z.sum() / keep.sum().clamp(min=1)


def targets(g, classes, shape, ignore=None, frac=0.3):
    t = ints(g, 0, max(classes, 1), *shape)
    if ignore is not None and t.numel() > 0:
        mask = torch.rand(tuple(shape), generator=g) < frac
        t = torch.where(mask, torch.full_like(t, ignore), t)
    return t


def weight(g, classes):
    return f32(g, classes, lo=0.1, hi=2.0)


def ce(cid, opts, x, t):
    return case(cid, LOSS, CrossEntropyExtras, opts, [("input", x), ("target", t)], ["input"])


EXTRAS = {"z": {"lse_square_scale": 0.05}, "cap": {"softcap": 1.5}, "zcap": {"lse_square_scale": 0.02, "softcap": 2.5}}


def cases():
    g = gen(12)
    out = []
    shapes = {
        "unbatched": ((5,), ()),
        "n7": ((7, 5), (7,)),
        "k1": ((3, 4, 5), (3, 5)),
        "k2": ((2, 3, 2, 3), (2, 2, 3)),
        "wide": ((3, 97), (3,)),  # rows of >= 64 classes: a work-group per row on the GPU backends
    }
    # each option set x shape x reduction x (weight, ignore_index, label_smoothing)
    for ename, eopts in EXTRAS.items():
        for name, (xs, ts) in shapes.items():
            c = xs[0] if len(xs) == 1 else xs[1]
            for r in REDUCTIONS:
                for variant in ("plain", "w", "ign_ls", "w_ign_ls"):
                    if name in ("unbatched", "wide") and variant in ("w", "ign_ls"):
                        continue
                    opts = {"reduction": r, **eopts}
                    ign = None
                    if "w" in variant.split("_"):
                        opts["weight"] = weight(g, c)
                    if "ign" in variant:
                        ign = 1
                        opts["ignore_index"] = ign
                        opts["label_smoothing"] = 0.15
                    x = randn32(g, *xs, scale=3.0)
                    t = targets(g, c, ts, ignore=ign if len(ts) > 0 else None)
                    out.append(ce(f"{ename}_{name}_{r}_{variant}", opts, x, t))
    # logits where the cap bites (|x| up to 60 against softcap 30, Gemma 2's value) and a large z-loss
    for r in REDUCTIONS:
        out.append(ce(f"gemma_cap30_{r}", {"reduction": r, "softcap": 30.0, "lse_square_scale": 1e-4},
                      f32(g, 4, 70, lo=-60.0, hi=60.0), targets(g, 70, (4,), ignore=-100)))
        out.append(ce(f"z_big_{r}", {"reduction": r, "lse_square_scale": 1.0, "weight": weight(g, 6)},
                      randn32(g, 5, 6, scale=4.0), targets(g, 6, (5,), ignore=-100)))
    # a K-dim extent beyond one CPU block of positions (256), every option on
    out.append(ce("zcap_k1_spatial300_mean", {"reduction": "mean", "lse_square_scale": 0.01, "softcap": 2.0,
                                              "weight": weight(g, 4), "label_smoothing": 0.1},
                  randn32(g, 2, 4, 300, scale=2.0), targets(g, 4, (2, 300), ignore=-100)))
    # every target ignored: the z part adds nothing (a mean is NaN, 0 / 0, as without it)
    for r in REDUCTIONS:
        out.append(ce(f"zcap_all_ignored_{r}", {"reduction": r, "lse_square_scale": 0.1, "softcap": 3.0},
                      randn32(g, 3, 5), torch.full((3,), -100)))
    # what jloss rejects
    x = randn32(g, 3, 5)
    t = torch.tensor([1, 2, 3])
    p = torch.softmax(randn32(g, 3, 5), dim=1).float().double()
    out.append(ce("err_z_prob_targets", {"lse_square_scale": 0.1}, x, p))
    out.append(ce("err_cap_prob_targets", {"softcap": 2.0}, x, p))
    out.append(ce("err_cap_zero_given", {"softcap": -1.0}, x, t))
    out.append(ce("err_z_negative", {"lse_square_scale": -0.1}, x, t))
    out.append(ce("err_z_inf", {"lse_square_scale": float("inf")}, x, t))
    out.append(ce("err_cap_nan", {"softcap": float("nan")}, x, t))
    return out


def main():
    torch.manual_seed(0)
    cs = cases()
    ids = [c["id"] for c in cs]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    doc = {"family": "cross_entropy_extras", "torch": torch.__version__, "cases": cs}
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=True)
    errs = sum(1 for c in cs if "error" in c)
    print(f"cross_entropy_extras: {len(cs)} cases ({errs} expected errors) -> {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
