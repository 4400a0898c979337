"""Golden cases for KLDivLoss: y (log y - x) with 0 log 0 = 0 (or exp(y) (y - x) with log_target), broadcast;
reductions none, mean, sum and batchmean (sum / input.size(0)); negative targets give NaN."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, nonfinite_pairs, NAN

warnings.filterwarnings("ignore")  # PyTorch warns about reduction='mean' and broadcasting

ALL = REDUCTIONS + ("batchmean",)
SHAPES = [((7,), (7,)), ((3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4)), ((), ()), ((4, 1), (1, 5)), ((3, 4), (4,)),
          ((3,), (2, 3)), ((), (4,)), ((1,), (1,)), ((0, 3), (0, 3)), ((33, 65), (33, 65))]


def log_probs(g, *shape):
    return torch.log_softmax(f32(g, *shape, lo=-3, hi=3), dim=-1).float().double() if shape else \
        f32(g, lo=-3, hi=0)


def probs(g, *shape):
    return f32(g, *shape, lo=0.0, hi=1.0)


def cases():
    g = gen(31)
    out = []
    for si, (xs, ys) in enumerate(SHAPES):
        big = xs == (33, 65)  # one big shape, a few reductions: keeps the file small
        for r in (("none", "batchmean") if big else ALL):
            out.append(case(f"kl_{si}_{r}", "KLDivLoss", nn.KLDivLoss, {"reduction": r},
                            [("input", log_probs(g, *xs)), ("target", probs(g, *ys))], ["input"]))
            if big and r == "none":
                continue
            out.append(case(f"kl_logt_{si}_{r}", "KLDivLoss", nn.KLDivLoss, {"reduction": r, "log_target": True},
                            [("input", log_probs(g, *xs)), ("target", log_probs(g, *ys))], ["input"]))
    # the seed article's example
    x = torch.tensor([[0.1132, 0.5477, 0.3390], [0.1132, 0.5477, 0.3390]]).float().double()
    y = torch.tensor([[0.8541, 0.0511, 0.0947], [0.1132, 0.5477, 0.3390]]).float().double()
    for r in ALL:
        out.append(case(f"kl_seed_{r}", "KLDivLoss", nn.KLDivLoss, {"reduction": r}, [("input", x), ("target", y)],
                        ["input"]))
    # zero targets (0 log 0 = 0), negative targets (NaN), NaN targets, and log targets of -inf (exp = 0)
    x = torch.tensor([-1., -2., -0.5, -3., -1., 0.5])
    y = torch.tensor([0., 0.25, -0.5, NAN, 1., 0.])
    yl = torch.tensor([float("-inf"), -1., 0., NAN, 2., -100.])
    for r in ALL:
        out.append(case(f"kl_edges_{r}", "KLDivLoss", nn.KLDivLoss, {"reduction": r}, [("input", x), ("target", y)],
                        ["input"]))
        out.append(case(f"kl_edges_logt_{r}", "KLDivLoss", nn.KLDivLoss, {"reduction": r, "log_target": True},
                        [("input", x), ("target", yl)], ["input"]))
    # the module resolves legacy flags into a reduction string first, so they override batchmean too
    for sa, rd in [(None, False), (False, None), (True, True), (False, False)]:
        for r in ("mean", "batchmean"):
            opts = {k: v for k, v in (("size_average", sa), ("reduce", rd), ("reduction", r)) if v is not None}
            out.append(case(f"kl_legacy_{sa}_{rd}_{r}", "KLDivLoss", nn.KLDivLoss, opts,
                            [("input", log_probs(g, 4, 3)), ("target", probs(g, 4, 3))], ["input"]))
    out.append(case("kl_bad_broadcast", "KLDivLoss", nn.KLDivLoss, {},
                    [("input", log_probs(g, 2, 3)), ("target", probs(g, 2))], ["input"]))
    out.append(case("kl_bad_reduction", "KLDivLoss", nn.KLDivLoss, {"reduction": "avg"},
                    [("input", log_probs(g, 3)), ("target", probs(g, 3))], ["input"]))
    return out


def nonfinite_cases():
    """NaN and +-inf in input and target, with and without log_target."""
    x, y = nonfinite_pairs()
    return [case(f"nf_kl_{'logt_' if lt else ''}{r}", "KLDivLoss", nn.KLDivLoss, {"reduction": r, "log_target": lt},
                 [("input", x), ("target", y)], ["input"])
            for lt in (False, True) for r in ("none", "mean", "sum", "batchmean")]
