"""Golden cases for MultiMarginLoss: p x margin x weight x reduction over awkward shapes, legacy flags, errors.

Two deliberate departures from bare PyTorch 1.13, both marked where they are used:
- weight of the wrong length: 1.13 does not check it and reads past the weight's end (returning
  garbage); PyTorch 2.x raises "inconsistent weight size". jloss follows 2.x, so the module used
  here adds 2.x's check.
- int32 targets: 1.13 wants int64 ("expected scalar type Long but found Int"); jloss also takes
  int32 class indices, so those cases are computed by PyTorch on the int64 copy.
Empty batches are recorded for reduction='none' only: 1.13 returns an uninitialised scalar for mean
and sum (jloss gives NaN and 0, tested in MultiMarginLossTest).
"""
import torch
import torch.nn as nn
from common import case, f32, gen, ints, REDUCTIONS, NAN, INF


class MultiMarginLoss2x(nn.MultiMarginLoss):
    """nn.MultiMarginLoss with PyTorch 2.x's weight-length check."""

    def forward(self, input, target):
        c = 1 if input.dim() == 0 else input.size(-1)
        if self.weight is not None and self.weight.numel() != c:
            raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(self.weight.shape)}")
        return super().forward(input, target)


class Int32Target(nn.Module):
    """jloss accepts int32 targets; PyTorch 1.13 needs int64, so cast for the reference."""

    def __init__(self, **opts):
        super().__init__()
        self.inner = MultiMarginLoss2x(**opts)

    def forward(self, input, target):
        return self.inner(input, target.long())


def mm(cid, opts, x, y, out):
    out.append(case(cid, "MultiMarginLoss", MultiMarginLoss2x, opts, [("input", x), ("target", y)], ["input"]))


def cases():
    g = gen(16)
    out = []
    # (input shape, target shape) ; rows N, classes C
    shapes = [((1, 1), (1,)), ((1, 7), (1,)), ((4, 7), (4,)), ((5, 33), (5,)), ((3, 65), (3,)),
              ((7,), (1,)), ((7,), ()), ((1, 5), ()), ((), ()), ((), (1,))]
    for si, (xs, ts) in enumerate(shapes):
        c = 1 if len(xs) == 0 else xs[-1]
        for p in (1, 2):
            for wi, use_w in enumerate((False, True)):
                for r in REDUCTIONS:
                    opts = {"p": p, "reduction": r}
                    if use_w:
                        opts["weight"] = f32(g, c, lo=0.1, hi=2.0)
                    x = f32(g, *xs)
                    y = ints(g, 0, c, *ts)
                    mm(f"mm_s{si}_p{p}_w{wi}_{r}", opts, x, y, out)
    # margins: zero, small, large, negative; with and without weight
    for margin in (0.0, 0.5, 2.5, -0.3):
        for p in (1, 2):
            for r in REDUCTIONS:
                x, y = f32(g, 6, 9), ints(g, 0, 9, 6)
                mm(f"mm_margin{margin}_p{p}_{r}", {"p": p, "margin": margin, "reduction": r}, x, y, out)
                mm(f"mm_margin{margin}_p{p}_w_{r}", {"p": p, "margin": margin, "reduction": r,
                                                      "weight": f32(g, 9, lo=0.1, hi=2.0)}, x, y, out)
    # every row's target the same class, and the target at the row's first and last class
    x = f32(g, 5, 6)
    mm("mm_target_first", {"reduction": "none"}, x, torch.zeros(5, dtype=torch.int64), out)
    mm("mm_target_last", {"p": 2, "reduction": "none"}, x, torch.full((5,), 5, dtype=torch.int64), out)
    # large scores: hinges far on either side
    mm("mm_large", {"p": 2, "reduction": "sum"}, f32(g, 4, 8, lo=-50, hi=50), ints(g, 0, 8, 4), out)
    # empty batch (none only: see the module docstring)
    mm("mm_empty_none", {"reduction": "none"}, f32(g, 0, 5), torch.zeros(0, dtype=torch.int64), out)
    mm("mm_empty_none_w", {"reduction": "none", "p": 2, "weight": f32(g, 5, lo=0.1, hi=2.0)}, f32(g, 0, 5),
       torch.zeros(0, dtype=torch.int64), out)
    # legacy size_average / reduce
    for sa, rd in [(None, False), (False, None), (True, True), (False, False), (True, None), (None, True)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        mm(f"mm_legacy_{sa}_{rd}", opts, f32(g, 4, 5), ints(g, 0, 5, 4), out)
    # int32 targets (a jloss extension, see the docstring)
    for r in REDUCTIONS:
        x, y = f32(g, 4, 6), ints(g, 0, 6, 4).int()
        out.append(case(f"mm_int32_target_{r}", "MultiMarginLoss", Int32Target, {"p": 2, "reduction": r},
                        [("input", x), ("target", y)], ["input"]))
    # errors PyTorch raises
    x4 = f32(g, 3, 4)
    y4 = ints(g, 0, 4, 3)
    mm("mm_err_p3", {"p": 3}, x4, y4, out)
    mm("mm_err_p0", {"p": 0}, x4, y4, out)
    mm("mm_err_p1_5", {"p": 1.5}, x4, y4, out)
    mm("mm_err_weight_2d", {"weight": f32(g, 1, 4)}, x4, y4, out)
    mm("mm_err_weight_short", {"weight": f32(g, 3)}, x4, y4, out)
    mm("mm_err_weight_long", {"weight": f32(g, 5)}, x4, y4, out)
    mm("mm_err_input_3d", {}, f32(g, 2, 3, 4), ints(g, 0, 4, 2), out)
    mm("mm_err_input_no_classes", {}, f32(g, 2, 0), ints(g, 0, 1, 2), out)
    mm("mm_err_input_empty_vector", {}, f32(g, 0), ints(g, 0, 1, 1), out)
    mm("mm_err_target_2d", {}, x4, ints(g, 0, 4, 3, 1), out)
    mm("mm_err_target_rows", {}, x4, ints(g, 0, 4, 4), out)
    mm("mm_err_target_scalar_for_3_rows", {}, x4, torch.tensor(1), out)
    mm("mm_err_target_float", {}, x4, f32(g, 3), out)
    mm("mm_err_target_too_big", {}, x4, torch.tensor([0, 4, 1]), out)
    mm("mm_err_target_negative", {}, x4, torch.tensor([0, 1, -1]), out)
    mm("mm_err_target_too_big_none", {"reduction": "none"}, x4, torch.tensor([3, 2, 9]), out)
    mm("mm_err_scalar_target_1", {}, torch.tensor(0.5), torch.tensor(1), out)
    mm("mm_err_reduction", {"reduction": "batchmean"}, x4, y4, out)
    return out


def nonfinite_cases():
    """NaN and +-inf scores at the target's class and at others, p = 1 and 2, with and without weight."""
    x = torch.tensor([[NAN, 0., 1.], [NAN, 0., 1.], [INF, 0., 1.], [INF, 0., 1.], [-INF, 0., 1.], [-INF, 0., 1.],
                      [INF, INF, 0.], [-INF, -INF, -INF], [0.5, -1., 2.]])
    t = torch.tensor([0, 1, 0, 1, 0, 1, 0, 2, 2])
    out = []
    for p in (1, 2):
        for r in REDUCTIONS:
            mm(f"nf_mm_p{p}_{r}", {"p": p, "reduction": r}, x, t, out)
            mm(f"nf_mm_p{p}_w_{r}", {"p": p, "reduction": r, "margin": 0.5, "weight": torch.tensor([0.5, 1.5, 2.0])},
               x, t, out)
    return out
