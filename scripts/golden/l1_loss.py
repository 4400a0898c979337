"""Golden cases for L1Loss: |x - y|, broadcast; d/dx = sign(x - y), 0 at a tie and (as PyTorch's sign) at NaN."""
import warnings

import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, nonfinite_pairs, NAN

warnings.filterwarnings("ignore")  # PyTorch warns about broadcasting, which these cases test on purpose

SHAPES = [((7,), (7,)), ((3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4)), ((), ()), ((4, 1), (1, 5)), ((3, 4), (4,)),
          ((5,), (2, 1)), ((1,), (1,)), ((0, 3), (0, 3)), ((0, 3), (3,)), ((33, 65), (33, 65))]


def cases():
    g = gen(11)
    out = []
    for si, (xs, ys) in enumerate(SHAPES):
        for r in REDUCTIONS:
            out.append(case(f"l1_{si}_{r}", "L1Loss", nn.L1Loss, {"reduction": r},
                            [("input", f32(g, *xs)), ("target", f32(g, *ys))], ["input"]))
    # the seed article's example: mean 5/6 = 0.8333, sum 5
    x = torch.tensor([[3., 0., 3.], [3., 0., 3.]])
    y = torch.tensor([[2., 0., 3.], [2., 0., 0.]])
    for r in REDUCTIONS:
        out.append(case(f"l1_seed_{r}", "L1Loss", nn.L1Loss, {"reduction": r}, [("input", x), ("target", y)], ["input"]))
    # ties (gradient 0) and NaN (NaN loss, gradient 0 as PyTorch's sign(NaN) = 0)
    x = torch.tensor([1., -2., 0.5, 3., NAN, 1., 0.])
    y = torch.tensor([1., -2., 0.25, 3.5, 0., NAN, -0.])
    for r in REDUCTIONS:
        out.append(case(f"l1_ties_nan_{r}", "L1Loss", nn.L1Loss, {"reduction": r}, [("input", x), ("target", y)],
                        ["input"]))
    for sa, rd in [(None, False), (False, None), (True, None), (True, True), (False, False), (None, True)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        out.append(case(f"l1_legacy_{sa}_{rd}", "L1Loss", nn.L1Loss, opts,
                        [("input", f32(g, 4, 3)), ("target", f32(g, 4, 3))], ["input"]))
    out.append(case("l1_legacy_overrides_reduction", "L1Loss", nn.L1Loss,
                    {"reduction": "none", "size_average": False},
                    [("input", f32(g, 4, 3)), ("target", f32(g, 4, 3))], ["input"]))
    out.append(case("l1_bad_broadcast", "L1Loss", nn.L1Loss, {}, [("input", f32(g, 3)), ("target", f32(g, 4))],
                    ["input"]))
    out.append(case("l1_bad_reduction_batchmean", "L1Loss", nn.L1Loss, {"reduction": "batchmean"},
                    [("input", f32(g, 3)), ("target", f32(g, 3))], ["input"]))
    out.append(case("l1_bad_reduction_name", "L1Loss", nn.L1Loss, {"reduction": "avg"},
                    [("input", f32(g, 3)), ("target", f32(g, 3))], ["input"]))
    return out


def nonfinite_cases():
    """NaN and +-inf in input and target: PyTorch's sign(NaN) = 0 gives a 0 gradient at a NaN."""
    x, y = nonfinite_pairs()
    return [case(f"nf_l1_{r}", "L1Loss", nn.L1Loss, {"reduction": r}, [("input", x), ("target", y)], ["input"])
            for r in REDUCTIONS]
