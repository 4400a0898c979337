"""Golden cases for SmoothL1Loss: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta; beta = 0 is L1."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, nonfinite_pairs, NAN

warnings.filterwarnings("ignore")  # PyTorch warns about broadcasting, which these cases test on purpose

SHAPES = [((7,), (7,)), ((3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4)), ((), ()), ((4, 1), (1, 5)), ((3, 4), (4,)),
          ((0, 3), (0, 3)), ((33, 65), (33, 65))]


def cases():
    g = gen(12)
    out = []
    for si, (xs, ys) in enumerate(SHAPES):
        for r in REDUCTIONS:
            out.append(case(f"sl1_{si}_{r}", "SmoothL1Loss", nn.SmoothL1Loss, {"reduction": r},
                            [("input", f32(g, *xs)), ("target", f32(g, *ys))], ["input"]))
    for beta in (0.5, 0.0, 2.0, 1e-3, 3.25):
        for r in REDUCTIONS:
            out.append(case(f"sl1_beta{beta}_{r}", "SmoothL1Loss", nn.SmoothL1Loss, {"reduction": r, "beta": beta},
                            [("input", f32(g, 5, 6)), ("target", f32(g, 5, 6))], ["input"]))
    # |d| exactly beta (both signs), d = 0, and NaN, for beta = 1, 0.5 and 0
    x = torch.tensor([1.5, -0.5, 0.25, -0.25, 2., NAN, 0.75])
    y = torch.tensor([0.5, 0.5, -0.25, 0.25, 2., 0., NAN])
    for beta in (1.0, 0.5, 0.0):
        for r in ("none", "sum"):
            out.append(case(f"sl1_edges_beta{beta}_{r}", "SmoothL1Loss", nn.SmoothL1Loss,
                            {"reduction": r, "beta": beta}, [("input", x), ("target", y)], ["input"]))
    for sa, rd in [(None, False), (False, None), (True, True), (False, False)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        out.append(case(f"sl1_legacy_{sa}_{rd}", "SmoothL1Loss", nn.SmoothL1Loss, opts,
                        [("input", f32(g, 4, 3)), ("target", f32(g, 4, 3))], ["input"]))
    out.append(case("sl1_bad_beta_negative", "SmoothL1Loss", nn.SmoothL1Loss, {"beta": -1.0},
                    [("input", f32(g, 3)), ("target", f32(g, 3))], ["input"]))
    out.append(case("sl1_bad_broadcast", "SmoothL1Loss", nn.SmoothL1Loss, {},
                    [("input", f32(g, 2, 3)), ("target", f32(g, 2))], ["input"]))
    out.append(case("sl1_bad_reduction", "SmoothL1Loss", nn.SmoothL1Loss, {"reduction": "batchmean"},
                    [("input", f32(g, 3)), ("target", f32(g, 3))], ["input"]))
    return out


def nonfinite_cases():
    """NaN and +-inf in input and target, for beta = 1, 0.5 and 0."""
    x, y = nonfinite_pairs()
    return [case(f"nf_sl1_beta{beta}_{r}", "SmoothL1Loss", nn.SmoothL1Loss, {"reduction": r, "beta": beta},
                 [("input", x), ("target", y)], ["input"]) for beta in (1.0, 0.5, 0.0) for r in REDUCTIONS]
