"""Golden cases for HingeEmbeddingLoss: x where y = 1, max(0, margin - x) where y = -1 (both terms for any
other target, as PyTorch composes them); broadcast."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, NAN, INF

warnings.filterwarnings("ignore")

SHAPES = [((7,), (7,)), ((3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4)), ((), ()), ((4, 1), (1, 5)), ((3, 4), (4,)),
          ((3,), (2, 1)), ((0, 3), (0, 3)), ((33, 65), (33, 65))]


def signs(g, *shape):
    return torch.randint(0, 2, shape, generator=g).double() * 2 - 1


def cases():
    g = gen(81)
    out = []
    for si, (xs, ys) in enumerate(SHAPES):
        for r in REDUCTIONS:
            out.append(case(f"he_{si}_{r}", "HingeEmbeddingLoss", nn.HingeEmbeddingLoss, {"reduction": r},
                            [("input", f32(g, *xs, lo=0, hi=2)), ("target", signs(g, *ys))], ["input"]))
    for margin in (0.5, 2.0, 0.0, -0.5):
        for r in REDUCTIONS:
            out.append(case(f"he_margin{margin}_{r}", "HingeEmbeddingLoss", nn.HingeEmbeddingLoss,
                            {"reduction": r, "margin": margin},
                            [("input", f32(g, 4, 6, lo=-1, hi=3)), ("target", signs(g, 4, 6))], ["input"]))
    # input exactly at the margin (gradient passes), targets other than +-1 (both terms), NaN input
    x = torch.tensor([1., 1., 0.5, 0.5, 1.5, NAN, NAN, 0.25])
    y = torch.tensor([-1., 1., 0., 2., -1., -1., 1., -0.5])
    for r in REDUCTIONS:
        out.append(case(f"he_edges_{r}", "HingeEmbeddingLoss", nn.HingeEmbeddingLoss, {"reduction": r},
                        [("input", x), ("target", y)], ["input"]))
    for sa, rd in [(None, False), (False, None), (True, True), (False, False)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        out.append(case(f"he_legacy_{sa}_{rd}", "HingeEmbeddingLoss", nn.HingeEmbeddingLoss, opts,
                        [("input", f32(g, 4, 3, lo=0, hi=2)), ("target", signs(g, 4, 3))], ["input"]))
    out.append(case("he_bad_broadcast", "HingeEmbeddingLoss", nn.HingeEmbeddingLoss, {},
                    [("input", f32(g, 2, 3)), ("target", signs(g, 2))], ["input"]))
    out.append(case("he_bad_reduction", "HingeEmbeddingLoss", nn.HingeEmbeddingLoss, {"reduction": "batchmean"},
                    [("input", f32(g, 3)), ("target", signs(g, 3))], ["input"]))
    return out


def nonfinite_cases():
    """NaN and +-inf inputs with targets 1, -1 and others (0.5, NaN, +-inf), margins 1 and 0."""
    bad = [NAN, INF, -INF, 0.5]
    x = torch.tensor([v for v in bad for _ in range(6)])
    y = torch.tensor([1., -1., 0.5, NAN, INF, -INF] * len(bad))
    return [case(f"nf_he_margin{margin}_{r}", "HingeEmbeddingLoss", nn.HingeEmbeddingLoss,
                 {"reduction": r, "margin": margin}, [("input", x), ("target", y)], ["input"])
            for margin in (1.0, 0.0) for r in REDUCTIONS]
