"""Golden cases for SoftMarginLoss: log(1 + exp(-y x)); the target broadcasts to the input's shape (not beyond)."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, randn32, REDUCTIONS, nonfinite_pairs, INF

warnings.filterwarnings("ignore")

SHAPES = [((7,), (7,)), ((3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4)), ((), ()), ((3, 4), (4,)), ((3, 4), (3, 1)),
          ((3, 4), ()), ((1,), (1,)), ((0, 3), (0, 3)), ((33, 65), (33, 65))]


def signs(g, *shape):
    return torch.randint(0, 2, shape, generator=g).double() * 2 - 1


def cases():
    g = gen(61)
    out = []
    for si, (xs, ys) in enumerate(SHAPES):
        for r in REDUCTIONS:
            out.append(case(f"sm_{si}_{r}", "SoftMarginLoss", nn.SoftMarginLoss, {"reduction": r},
                            [("input", randn32(g, *xs, scale=2.0)), ("target", signs(g, *ys))], ["input"]))
    # targets other than +-1 (PyTorch does not check them), and moderately large margins (|y x| up to 40,
    # where the literal log(1 + exp(z)) PyTorch evaluates is still exact in float64)
    x = torch.tensor([0.5, -1.5, 2., 40., -40., 30., -25., 0.])
    y = torch.tensor([0., 0.5, -2., 1., 1., -1., -1., 1.])
    for r in REDUCTIONS:
        out.append(case(f"sm_edges_{r}", "SoftMarginLoss", nn.SoftMarginLoss, {"reduction": r},
                        [("input", x), ("target", y)], ["input"]))
    for sa, rd in [(None, False), (False, None), (True, True), (False, False)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        out.append(case(f"sm_legacy_{sa}_{rd}", "SoftMarginLoss", nn.SoftMarginLoss, opts,
                        [("input", randn32(g, 4, 3)), ("target", signs(g, 4, 3))], ["input"]))
    # the output has the input's shape: a target that broadcasts beyond it is rejected
    out.append(case("sm_bad_target_larger", "SoftMarginLoss", nn.SoftMarginLoss, {},
                    [("input", randn32(g, 3)), ("target", signs(g, 2, 3))], ["input"]))
    out.append(case("sm_bad_target_larger2", "SoftMarginLoss", nn.SoftMarginLoss, {"reduction": "none"},
                    [("input", randn32(g, 3, 1)), ("target", signs(g, 3, 4))], ["input"]))
    out.append(case("sm_bad_broadcast", "SoftMarginLoss", nn.SoftMarginLoss, {},
                    [("input", randn32(g, 2, 3)), ("target", signs(g, 2))], ["input"]))
    out.append(case("sm_bad_reduction", "SoftMarginLoss", nn.SoftMarginLoss, {"reduction": "batchmean"},
                    [("input", randn32(g, 3)), ("target", signs(g, 3))], ["input"]))
    return out


def nonfinite_cases():
    """NaN and +-inf inputs and targets (PyTorch evaluates log(1 + exp(-y x)) literally: at an infinite
    margin its gradient is inf/inf = NaN)."""
    x, y = nonfinite_pairs()
    out = [case(f"nf_sm_{r}", "SoftMarginLoss", nn.SoftMarginLoss, {"reduction": r},
                [("input", x), ("target", y)], ["input"]) for r in REDUCTIONS]
    out.append(case("nf_sm_issue15_sum", "SoftMarginLoss", nn.SoftMarginLoss, {"reduction": "sum"},
                    [("input", torch.tensor([INF, -INF, 1.])), ("target", torch.tensor([-1., 1., 1.]))], ["input"]))
    return out
