"""Golden cases for BCELoss: -w (y max(log x, -100) + (1-y) max(log(1-x), -100)); target size == input size;
weight broadcast to it; inputs outside [0, 1] (and NaN) rejected."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, NAN, INF

warnings.filterwarnings("ignore")

SHAPES = [(7,), (3, 5), (2, 3, 4), (), (1,), (0, 3), (33, 65)]


def prob(g, *shape):
    return f32(g, *shape, lo=0.0, hi=1.0)


def cases():
    g = gen(21)
    out = []
    for si, s in enumerate(SHAPES):
        for r in REDUCTIONS:
            out.append(case(f"bce_{si}_{r}", "BCELoss", nn.BCELoss, {"reduction": r},
                            [("input", prob(g, *s)), ("target", prob(g, *s))], ["input"]))
    # hard 0/1 targets
    for r in REDUCTIONS:
        out.append(case(f"bce_hard_{r}", "BCELoss", nn.BCELoss, {"reduction": r},
                        [("input", prob(g, 6, 7)), ("target", torch.randint(0, 2, (6, 7), generator=g).double())],
                        ["input"]))
    # weight: full shape, per class (last dim), per row, size 1; input (4, 5)
    for wi, ws in enumerate([(4, 5), (5,), (4, 1), (1,), (1, 5)]):
        for r in REDUCTIONS:
            out.append(case(f"bce_weight{wi}_{r}", "BCELoss", nn.BCELoss,
                            {"reduction": r, "weight": f32(g, *ws, lo=0.0, hi=2.0)},
                            [("input", prob(g, 4, 5)), ("target", prob(g, 4, 5))], ["input"]))
    # edges: inputs exactly 0 and 1 (logs clamped at -100; gradient through max(x(1-x), 1e-12)), 0.5
    x = torch.tensor([0., 1., 0., 1., 0.5, 0., 1., 1e-30]).float().double()  # float32 values, as jloss gets them
    y = torch.tensor([0., 1., 1., 0., 0.3, 0.5, 0.5, 1.])
    for r in REDUCTIONS:
        out.append(case(f"bce_edges_{r}", "BCELoss", nn.BCELoss, {"reduction": r}, [("input", x), ("target", y)],
                        ["input"]))
    # targets outside [0, 1] are not checked by PyTorch
    out.append(case("bce_target_outside", "BCELoss", nn.BCELoss, {"reduction": "none"},
                    [("input", torch.tensor([0.25, 0.75])), ("target", torch.tensor([1.5, -0.5]))], ["input"]))
    for sa, rd in [(None, False), (False, None), (True, True), (False, False)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        out.append(case(f"bce_legacy_{sa}_{rd}", "BCELoss", nn.BCELoss, opts,
                        [("input", prob(g, 4, 3)), ("target", prob(g, 4, 3))], ["input"]))
    # errors: inputs outside [0, 1] or NaN
    for name, bad in [("above", 1.5), ("below", -0.25), ("nan", NAN)]:
        x = prob(g, 2, 3)
        x[1, 1] = bad
        out.append(case(f"bce_bad_input_{name}", "BCELoss", nn.BCELoss, {}, [("input", x), ("target", prob(g, 2, 3))],
                        ["input"]))
    # errors: target size != input size even where they broadcast
    out.append(case("bce_bad_target_size", "BCELoss", nn.BCELoss, {},
                    [("input", prob(g, 2, 3)), ("target", prob(g, 3))], ["input"]))
    out.append(case("bce_bad_target_size2", "BCELoss", nn.BCELoss, {},
                    [("input", prob(g, 3)), ("target", prob(g, 1, 3))], ["input"]))
    # errors: weight that does not broadcast to the input, or broadcasts to something larger
    out.append(case("bce_bad_weight", "BCELoss", nn.BCELoss, {"weight": f32(g, 2)},
                    [("input", prob(g, 2, 3)), ("target", prob(g, 2, 3))], ["input"]))
    out.append(case("bce_bad_weight_larger", "BCELoss", nn.BCELoss, {"weight": f32(g, 2, 3)},
                    [("input", prob(g, 3)), ("target", prob(g, 3))], ["input"]))
    out.append(case("bce_bad_reduction", "BCELoss", nn.BCELoss, {"reduction": "batchmean"},
                    [("input", prob(g, 3)), ("target", prob(g, 3))], ["input"]))
    return out


def nonfinite_cases():
    """NaN and +-inf targets against inputs inside (0, 1) and at 0 and 1 (a NaN or infinite input is
    outside [0, 1]: rejected, see bce_bad_nan); and a weight with NaN and inf."""
    x = torch.tensor([0.25, 0.75, 0., 1., 0.25, 0.75, 0., 1., 0.25, 0.75, 0., 1.])
    y = torch.tensor([NAN, NAN, NAN, NAN, INF, INF, INF, INF, -INF, -INF, -INF, -INF])
    out = [case(f"nf_bce_target_{r}", "BCELoss", nn.BCELoss, {"reduction": r},
                [("input", x), ("target", y)], ["input"]) for r in REDUCTIONS]
    x = torch.tensor([0.25, 0.75, 0.5, 0.])
    y = torch.tensor([0., 1., 0.5, 0.])
    w = torch.tensor([NAN, INF, -INF, INF])
    out += [case(f"nf_bce_weight_{r}", "BCELoss", nn.BCELoss, {"reduction": r, "weight": w},
                 [("input", x), ("target", y)], ["input"]) for r in REDUCTIONS]
    out.append(case("nf_bce_bad_inf", "BCELoss", nn.BCELoss, {}, [("input", torch.tensor([0.5, INF])),
                                                                   ("target", torch.tensor([0.5, 0.5]))], ["input"]))
    return out
