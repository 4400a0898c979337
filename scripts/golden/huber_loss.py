"""Golden cases for HuberLoss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); delta > 0."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, nonfinite_pairs, NAN

warnings.filterwarnings("ignore")  # PyTorch warns about broadcasting, which these cases test on purpose

SHAPES = [((7,), (7,)), ((3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4)), ((), ()), ((4, 1), (1, 5)), ((3, 4), (4,)),
          ((0, 3), (0, 3)), ((33, 65), (33, 65))]


def cases():
    g = gen(13)
    out = []
    for si, (xs, ys) in enumerate(SHAPES):
        for r in REDUCTIONS:
            out.append(case(f"huber_{si}_{r}", "HuberLoss", nn.HuberLoss, {"reduction": r},
                            [("input", f32(g, *xs, lo=-3, hi=3)), ("target", f32(g, *ys, lo=-3, hi=3))], ["input"]))
    for delta in (0.5, 2.0, 1e-3, 3.25):
        for r in REDUCTIONS:
            out.append(case(f"huber_delta{delta}_{r}", "HuberLoss", nn.HuberLoss, {"reduction": r, "delta": delta},
                            [("input", f32(g, 5, 6, lo=-3, hi=3)), ("target", f32(g, 5, 6, lo=-3, hi=3))], ["input"]))
    # |d| exactly delta (both signs), d = 0, and NaN
    x = torch.tensor([1.5, -0.5, 0.25, -0.25, 2., NAN, 0.75])
    y = torch.tensor([0.5, 0.5, -0.25, 0.25, 2., 0., NAN])
    for delta in (1.0, 0.5):
        for r in ("none", "sum"):
            out.append(case(f"huber_edges_delta{delta}_{r}", "HuberLoss", nn.HuberLoss,
                            {"reduction": r, "delta": delta}, [("input", x), ("target", y)], ["input"]))
    for delta in (0.0, -1.0):
        out.append(case(f"huber_bad_delta{delta}", "HuberLoss", nn.HuberLoss, {"delta": delta},
                        [("input", f32(g, 3)), ("target", f32(g, 3))], ["input"]))
    # HuberLoss has no legacy size_average/reduce: PyTorch raises a TypeError
    out.append(case("huber_bad_size_average", "HuberLoss", nn.HuberLoss, {"size_average": True},
                    [("input", f32(g, 3)), ("target", f32(g, 3))], ["input"]))
    out.append(case("huber_bad_reduce", "HuberLoss", nn.HuberLoss, {"reduce": False},
                    [("input", f32(g, 3)), ("target", f32(g, 3))], ["input"]))
    out.append(case("huber_bad_broadcast", "HuberLoss", nn.HuberLoss, {},
                    [("input", f32(g, 2, 3)), ("target", f32(g, 2))], ["input"]))
    out.append(case("huber_bad_reduction", "HuberLoss", nn.HuberLoss, {"reduction": "batchmean"},
                    [("input", f32(g, 3)), ("target", f32(g, 3))], ["input"]))
    return out


def nonfinite_cases():
    """NaN and +-inf in input and target, for delta = 1 and 0.5."""
    x, y = nonfinite_pairs()
    return [case(f"nf_huber_delta{delta}_{r}", "HuberLoss", nn.HuberLoss, {"reduction": r, "delta": delta},
                 [("input", x), ("target", y)], ["input"]) for delta in (1.0, 0.5) for r in REDUCTIONS]
