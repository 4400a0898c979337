"""Golden cases for GaussianNLLLoss: 0.5 (log v + (x - y)^2 / v) (+ 0.5 log 2 pi), v = max(var, eps);
arguments input, target, var; var of the input's shape, without its last dimension, or with last dimension 1."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, nonfinite_pairs, NAN, INF

warnings.filterwarnings("ignore")

# (input, target, var) shapes PyTorch accepts
SHAPES = [((7,), (7,), (7,)), ((3, 5), (3, 5), (3, 5)), ((3, 5), (3, 5), (3,)), ((3, 5), (3, 5), (3, 1)),
          ((2, 3, 4), (2, 3, 4), (2, 3)), ((2, 3, 4), (2, 3, 4), (2, 3, 1)), ((), (), ()), ((5,), (5,), ()),
          ((5,), (5,), (1,)), ((), (), (1,)), ((3, 5), (5,), (3,)), ((5,), (2, 5), (5,)), ((0, 3), (0, 3), (0,)),
          ((33, 65), (33, 65), (33, 1))]


def var32(g, *shape):
    return f32(g, *shape, lo=0.05, hi=3.0)


def cases():
    g = gen(51)
    out = []
    for full in (False, True):
        for si, (xs, ys, vs) in enumerate(SHAPES):
            big = xs == (33, 65)  # the big shape once per option: keeps the file small
            for r in (("sum",) if big else REDUCTIONS):
                out.append(case(f"gnll_{'full_' if full else ''}{si}_{r}", "GaussianNLLLoss", nn.GaussianNLLLoss,
                                {"reduction": r, "full": full},
                                [("input", f32(g, *xs)), ("target", f32(g, *ys)), ("var", var32(g, *vs))],
                                ["input", "var"]))
    # variances at and below eps (clamped; the var gradient passes through the clamp), zero, and a larger eps
    x = torch.tensor([1., 1., 0.5, -1., 2., 0.])
    y = torch.tensor([2., 1., 0.5, 1., -2., 0.])
    v = torch.tensor([0., 1e-9, 1e-6, 1e-3, 0.5, 4.]).float().double()
    for eps in (1e-6, 0.01):
        for r in ("none", "mean"):
            out.append(case(f"gnll_edges_{eps}_{r}", "GaussianNLLLoss", nn.GaussianNLLLoss,
                            {"reduction": r, "eps": eps}, [("input", x), ("target", y), ("var", v)],
                            ["input", "var"]))
    bad_shapes = [((2, 3), (2, 3), (3,)), ((2, 3), (2, 3), (1, 3)), ((2, 3), (2, 3), ()), ((2, 3), (2, 3), (2, 3, 1)),
                  ((2,), (2,), (2, 1)), ((2, 3), (2, 3), (2, 2))]
    for bi, (xs, ys, vs) in enumerate(bad_shapes):
        out.append(case(f"gnll_bad_var_shape{bi}", "GaussianNLLLoss", nn.GaussianNLLLoss, {},
                        [("input", f32(g, *xs)), ("target", f32(g, *ys)), ("var", var32(g, *vs))], ["input", "var"]))
    v = var32(g, 2, 3)
    v[1, 2] = -0.5
    out.append(case("gnll_bad_var_negative", "GaussianNLLLoss", nn.GaussianNLLLoss, {},
                    [("input", f32(g, 2, 3)), ("target", f32(g, 2, 3)), ("var", v)], ["input", "var"]))
    v = var32(g, 2)
    v[0] = -1.0
    out.append(case("gnll_bad_var_negative_row", "GaussianNLLLoss", nn.GaussianNLLLoss, {"reduction": "none"},
                    [("input", f32(g, 2, 3)), ("target", f32(g, 2, 3)), ("var", v)], ["input", "var"]))
    # an empty output (target [0, 3]) still has every var element checked; valid ones give an empty sum
    for r in REDUCTIONS:
        out.append(case(f"gnll_empty_output_{r}", "GaussianNLLLoss", nn.GaussianNLLLoss, {"reduction": r},
                        [("input", f32(g, 3)), ("target", f32(g, 0, 3)), ("var", var32(g, 3))], ["input", "var"]))
    out.append(case("gnll_bad_var_negative_empty_output", "GaussianNLLLoss", nn.GaussianNLLLoss, {"reduction": "sum"},
                    [("input", f32(g, 3)), ("target", f32(g, 0, 3)), ("var", torch.tensor([1., -1., 1.]))],
                    ["input", "var"]))
    out.append(case("gnll_bad_broadcast", "GaussianNLLLoss", nn.GaussianNLLLoss, {},
                    [("input", f32(g, 2, 3)), ("target", f32(g, 2)), ("var", var32(g, 2, 3))], ["input", "var"]))
    out.append(case("gnll_bad_reduction", "GaussianNLLLoss", nn.GaussianNLLLoss, {"reduction": "batchmean"},
                    [("input", f32(g, 3)), ("target", f32(g, 3)), ("var", var32(g, 3))], ["input", "var"]))
    # GaussianNLLLoss has no legacy size_average/reduce: PyTorch raises a TypeError
    out.append(case("gnll_bad_size_average", "GaussianNLLLoss", nn.GaussianNLLLoss, {"size_average": False},
                    [("input", f32(g, 3)), ("target", f32(g, 3)), ("var", var32(g, 3))], ["input", "var"]))
    return out


def nonfinite_cases():
    """NaN and +-inf in input and target (var 0.5), and a var of NaN, inf (var is checked for < 0 only)."""
    x, y = nonfinite_pairs()
    v = torch.full_like(x, 0.5)
    out = [case(f"nf_gnll_{full}_{r}", "GaussianNLLLoss", nn.GaussianNLLLoss, {"reduction": r, "full": full},
                [("input", x), ("target", y), ("var", v)], ["input", "var"])
           for full in (False, True) for r in REDUCTIONS]
    x = torch.tensor([0.5, 0.5, 0.5, NAN, INF, 1.0, 0.5])
    y = torch.tensor([0., 0., 0., 0., 0., INF, 0.5])
    v = torch.tensor([NAN, INF, 1e-9, 1.0, INF, INF, 0.0])
    out += [case(f"nf_gnll_var_{r}", "GaussianNLLLoss", nn.GaussianNLLLoss, {"reduction": r},
                 [("input", x), ("target", y), ("var", v)], ["input", "var"]) for r in REDUCTIONS]
    return out
