"""Golden cases for BCEWithLogitsLoss: (1-y) x + (1 + (p-1) y) softplus(-x), times weight; target size == input
size; weight and pos_weight broadcast to it; stable for logits in the thousands."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, randn32, REDUCTIONS, nonfinite_pairs, NAN, INF

warnings.filterwarnings("ignore")

SHAPES = [(7,), (3, 5), (2, 3, 4), (), (1,), (0, 3), (33, 65)]


def prob(g, *shape):
    return f32(g, *shape, lo=0.0, hi=1.0)


def cases():
    g = gen(22)
    out = []
    for si, s in enumerate(SHAPES):
        for r in REDUCTIONS:
            out.append(case(f"bcel_{si}_{r}", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, {"reduction": r},
                            [("input", randn32(g, *s, scale=3.0)), ("target", prob(g, *s))], ["input"]))
    # weight, pos_weight (per class along the last dimension, and other broadcastable shapes), both
    combos = [({"weight": (4, 5)}, "wfull"), ({"weight": (5,)}, "wclass"), ({"weight": (4, 1)}, "wrow"),
              ({"pos_weight": (5,)}, "pwclass"), ({"pos_weight": (1,)}, "pw1"), ({"pos_weight": (4, 5)}, "pwfull"),
              ({"pos_weight": (4, 1)}, "pwrow"), ({"weight": (4, 1), "pos_weight": (5,)}, "both")]
    for opts, name in combos:
        for r in REDUCTIONS:
            o = {k: f32(g, *v, lo=0.0, hi=3.0) for k, v in opts.items()}
            o["reduction"] = r
            out.append(case(f"bcel_{name}_{r}", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, o,
                            [("input", randn32(g, 4, 5, scale=3.0)), ("target", prob(g, 4, 5))], ["input"]))
    # logits in the thousands, with hard and soft targets, with and without pos_weight
    x = torch.tensor([[-3000., 3000., 5000., -5000., 0., 1e4, -1e4, 88.75]] * 2)
    y = torch.tensor([[1., 0., 0.3, 0.7, 0.5, 1., 0., 0.], [0., 1., 1., 0., 1., 0., 1., 1.]])
    for r in REDUCTIONS:
        out.append(case(f"bcel_large_{r}", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, {"reduction": r},
                        [("input", x), ("target", y)], ["input"]))
        out.append(case(f"bcel_large_pw_{r}", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss,
                        {"reduction": r, "pos_weight": f32(g, 8, lo=0.0, hi=3.0),
                         "weight": f32(g, 2, 1, lo=0.0, hi=2.0)},
                        [("input", x), ("target", y)], ["input"]))
    for sa, rd in [(None, False), (False, None), (True, True), (False, False)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        out.append(case(f"bcel_legacy_{sa}_{rd}", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, opts,
                        [("input", randn32(g, 4, 3)), ("target", prob(g, 4, 3))], ["input"]))
    out.append(case("bcel_bad_target_size", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, {},
                    [("input", randn32(g, 2, 3)), ("target", prob(g, 3))], ["input"]))
    out.append(case("bcel_bad_pos_weight", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, {"pos_weight": f32(g, 2)},
                    [("input", randn32(g, 2, 3)), ("target", prob(g, 2, 3))], ["input"]))
    out.append(case("bcel_bad_pos_weight_larger", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss,
                    {"pos_weight": f32(g, 2, 3)}, [("input", randn32(g, 3)), ("target", prob(g, 3))], ["input"]))
    out.append(case("bcel_bad_weight", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, {"weight": f32(g, 4)},
                    [("input", randn32(g, 2, 3)), ("target", prob(g, 2, 3))], ["input"]))
    out.append(case("bcel_bad_weight_larger", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, {"weight": f32(g, 2, 3)},
                    [("input", randn32(g, 3)), ("target", prob(g, 3))], ["input"]))
    out.append(case("bcel_bad_reduction", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, {"reduction": "batchmean"},
                    [("input", randn32(g, 3)), ("target", prob(g, 3))], ["input"]))
    return out


def nonfinite_cases():
    """NaN and +-inf logits against targets 0, 1, 0.5 and NaN/+-inf targets, without and with pos_weight
    (including NaN and inf pos_weight entries)."""
    x, y = nonfinite_pairs()
    out = [case(f"nf_bcel_{r}", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, {"reduction": r},
                [("input", x), ("target", y)], ["input"]) for r in REDUCTIONS]
    bad = [NAN, INF, -INF, 2.0]
    x = torch.tensor([[v, v, v, v] for v in bad])
    y = torch.tensor([[0., 1., 0.5, 1.]] * len(bad))
    pw = torch.tensor([2.0, 0.5, 3.0, 1.5])
    for r in REDUCTIONS:
        out.append(case(f"nf_bcel_pw_{r}", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss, {"reduction": r, "pos_weight": pw},
                        [("input", x), ("target", y)], ["input"]))
    pw = torch.tensor([NAN, INF, -INF, 0.])
    out.append(case("nf_bcel_bad_pw_sum", "BCEWithLogitsLoss", nn.BCEWithLogitsLoss,
                    {"reduction": "sum", "pos_weight": pw}, [("input", x), ("target", y)], ["input"]))
    return out
