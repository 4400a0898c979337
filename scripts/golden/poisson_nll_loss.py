"""Golden cases for PoissonNLLLoss: exp(x) - y x (log_input) or x - y log(x + eps), plus Stirling's
y log y - y + 0.5 log(2 pi y) where y > 1 when full; arguments log_input, target; broadcast."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, nonfinite_pairs

warnings.filterwarnings("ignore")

SHAPES = [((7,), (7,)), ((3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4)), ((), ()), ((4, 1), (1, 5)), ((3, 4), (4,)),
          ((3,), (2, 3)), ((0, 3), (0, 3)), ((33, 65), (33, 65))]


def counts(g, *shape):
    """Poisson-like targets: whole counts 0..6 with a few fractional values."""
    c = torch.randint(0, 7, shape, generator=g).double()
    frac = f32(g, *shape, lo=0.0, hi=4.0)
    return torch.where(torch.rand(shape, generator=g) < 0.25, frac, c)


def cases():
    g = gen(41)
    out = []
    for log_input in (True, False):
        for full in (False, True):
            tag = ("log" if log_input else "rate") + ("_full" if full else "")
            for si, (xs, ys) in enumerate(SHAPES):
                big = xs == (33, 65)  # the big shape once per option pair: keeps the file small
                for r in (("mean",) if big else REDUCTIONS):
                    x = f32(g, *xs, lo=-2, hi=2) if log_input else f32(g, *xs, lo=0, hi=4)
                    out.append(case(f"pnll_{tag}_{si}_{r}", "PoissonNLLLoss", nn.PoissonNLLLoss,
                                    {"reduction": r, "log_input": log_input, "full": full},
                                    [("log_input", x), ("target", counts(g, *ys))], ["log_input"]))
    # Stirling's term only where target > 1 (not at 1, 0 or 0.5); rate 0 with the default eps and a large eps
    x = torch.tensor([0., 0.5, 1., 2., 0., 3., 0.25, 1.5])
    y = torch.tensor([0., 0.5, 1., 1., 1.5, 2., 5., 1.0000001]).float().double()
    for log_input in (True, False):
        for eps in (1e-8, 0.1):
            for r in ("none", "sum"):
                out.append(case(f"pnll_edges_{log_input}_{eps}_{r}", "PoissonNLLLoss", nn.PoissonNLLLoss,
                                {"reduction": r, "log_input": log_input, "full": True, "eps": eps},
                                [("log_input", x), ("target", y)], ["log_input"]))
    for sa, rd in [(None, False), (False, None), (True, True), (False, False)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        out.append(case(f"pnll_legacy_{sa}_{rd}", "PoissonNLLLoss", nn.PoissonNLLLoss, opts,
                        [("log_input", f32(g, 4, 3)), ("target", counts(g, 4, 3))], ["log_input"]))
    out.append(case("pnll_bad_broadcast", "PoissonNLLLoss", nn.PoissonNLLLoss, {},
                    [("log_input", f32(g, 2, 3)), ("target", counts(g, 2))], ["log_input"]))
    out.append(case("pnll_bad_reduction", "PoissonNLLLoss", nn.PoissonNLLLoss, {"reduction": "batchmean"},
                    [("log_input", f32(g, 3)), ("target", counts(g, 3))], ["log_input"]))
    return out


def nonfinite_cases():
    """NaN and +-inf in input and target, log_input on and off, full on and off."""
    x, y = nonfinite_pairs()
    return [case(f"nf_pnll_{li}_{full}_{r}", "PoissonNLLLoss", nn.PoissonNLLLoss,
                 {"reduction": r, "log_input": li, "full": full}, [("log_input", x), ("target", y)], ["log_input"])
            for li in (True, False) for full in (False, True) for r in REDUCTIONS]
