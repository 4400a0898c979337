"""Golden cases for MarginRankingLoss: max(0, -y (x1 - x2) + margin); arguments input1, input2, target of the
same number of dimensions, then broadcast; gradients for input1 and input2 (the hinge passes at exactly 0)."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, nonfinite_pairs, NAN, INF

warnings.filterwarnings("ignore")

SHAPES = [((7,), (7,), (7,)), ((3, 5), (3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4), (2, 3, 4)), ((), (), ()),
          ((3, 1), (1, 4), (3, 4)), ((3, 4), (3, 4), (1, 4)), ((5,), (1,), (5,)), ((0, 3), (0, 3), (0, 3)),
          ((33, 65), (33, 65), (33, 65))]
DIFF = ["input1", "input2"]


def signs(g, *shape):
    return torch.randint(0, 2, shape, generator=g).double() * 2 - 1


def cases():
    g = gen(71)
    out = []
    for si, (s1, s2, st) in enumerate(SHAPES):
        for r in REDUCTIONS:
            out.append(case(f"mr_{si}_{r}", "MarginRankingLoss", nn.MarginRankingLoss, {"reduction": r},
                            [("input1", f32(g, *s1)), ("input2", f32(g, *s2)), ("target", signs(g, *st))], DIFF))
    for margin in (0.5, -0.3, 2.0):
        for r in REDUCTIONS:
            out.append(case(f"mr_margin{margin}_{r}", "MarginRankingLoss", nn.MarginRankingLoss,
                            {"reduction": r, "margin": margin},
                            [("input1", f32(g, 4, 6)), ("input2", f32(g, 4, 6)), ("target", signs(g, 4, 6))], DIFF))
    # the hinge exactly at 0 (gradient passes), targets other than +-1, target 0
    x1 = torch.tensor([1., 1., 0.5, 2., 0., 1.])
    x2 = torch.tensor([0.5, 2., 0.5, 1., 0., 3.])
    y = torch.tensor([1., -1., 1., 0.5, 0., -2.])
    for margin in (0.5, 0.0, -1.0):
        for r in ("none", "sum"):
            out.append(case(f"mr_edges{margin}_{r}", "MarginRankingLoss", nn.MarginRankingLoss,
                            {"reduction": r, "margin": margin}, [("input1", x1), ("input2", x2), ("target", y)], DIFF))
    for sa, rd in [(None, False), (False, None), (True, True), (False, False)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        out.append(case(f"mr_legacy_{sa}_{rd}", "MarginRankingLoss", nn.MarginRankingLoss, opts,
                        [("input1", f32(g, 4, 3)), ("input2", f32(g, 4, 3)), ("target", signs(g, 4, 3))], DIFF))
    # PyTorch demands the same number of dimensions, even where broadcasting would work
    for bi, (s1, s2, st) in enumerate([((3,), (3,), (1, 3)), ((2, 3), (3,), (2, 3)), ((3,), (3,), ())]):
        out.append(case(f"mr_bad_dims{bi}", "MarginRankingLoss", nn.MarginRankingLoss, {},
                        [("input1", f32(g, *s1)), ("input2", f32(g, *s2)), ("target", signs(g, *st))], DIFF))
    out.append(case("mr_bad_broadcast", "MarginRankingLoss", nn.MarginRankingLoss, {},
                    [("input1", f32(g, 3)), ("input2", f32(g, 4)), ("target", signs(g, 3))], DIFF))
    out.append(case("mr_bad_reduction", "MarginRankingLoss", nn.MarginRankingLoss, {"reduction": "batchmean"},
                    [("input1", f32(g, 3)), ("input2", f32(g, 3)), ("target", signs(g, 3))], DIFF))
    return out


def nonfinite_cases():
    """NaN and +-inf in input1 and input2 (each against finite values, and inf - inf), targets 1 and -1;
    and NaN/inf targets."""
    x, y = nonfinite_pairs()
    n = x.numel()
    t = torch.tensor([1., -1.] * ((n + 1) // 2))[:n]
    out = []
    for margin in (0.0, 0.5):
        for r in REDUCTIONS:
            out.append(case(f"nf_mr_margin{margin}_{r}", "MarginRankingLoss", nn.MarginRankingLoss,
                            {"reduction": r, "margin": margin}, [("input1", x), ("input2", y), ("target", t)], DIFF))
            out.append(case(f"nf_mr_flip_margin{margin}_{r}", "MarginRankingLoss", nn.MarginRankingLoss,
                            {"reduction": r, "margin": margin}, [("input1", x), ("input2", y), ("target", -t)], DIFF))
    x1 = torch.tensor([1., 1., 1., 2., 0.5, NAN])
    x2 = torch.tensor([0., 0., 0., 0., 0.5, 0.])
    t = torch.tensor([NAN, INF, -INF, 0., INF, 1.])
    out += [case(f"nf_mr_target_{r}", "MarginRankingLoss", nn.MarginRankingLoss, {"reduction": r},
                 [("input1", x1), ("input2", x2), ("target", t)], DIFF) for r in REDUCTIONS]
    out.append(case("nf_mr_issue15_sum", "MarginRankingLoss", nn.MarginRankingLoss, {"reduction": "sum"},
                    [("input1", torch.tensor([NAN, 2.])), ("input2", torch.tensor([0., 0.])),
                     ("target", torch.tensor([1., -1.]))], DIFF))
    return out
