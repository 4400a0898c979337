"""Golden cases for MSELoss (the pattern every element-wise family file follows)."""
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, nonfinite_pairs


def cases():
    g = gen(1)
    out = []
    shapes = [((7,), (7,)), ((3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4)), ((), ()),
              ((4, 1), (1, 5)), ((3, 4), (4,)), ((0, 3), (0, 3)), ((33, 65), (33, 65))]
    for si, (xs, ys) in enumerate(shapes):
        for r in REDUCTIONS:
            x, y = f32(g, *xs), f32(g, *ys)
            out.append(case(f"mse_{si}_{r}", "MSELoss", nn.MSELoss, {"reduction": r},
                            [("input", x), ("target", y)], ["input"]))
    for sa, rd in [(None, False), (False, None), (True, True), (False, False)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        x, y = f32(g, 4, 3), f32(g, 4, 3)
        out.append(case(f"mse_legacy_{sa}_{rd}", "MSELoss", nn.MSELoss, opts, [("input", x), ("target", y)], ["input"]))
    out.append(case("mse_bad_broadcast", "MSELoss", nn.MSELoss, {}, [("input", f32(g, 3)), ("target", f32(g, 4))],
                    ["input"]))
    return out


def nonfinite_cases():
    """NaN and +-inf in input and target."""
    x, y = nonfinite_pairs()
    return [case(f"nf_mse_{r}", "MSELoss", nn.MSELoss, {"reduction": r}, [("input", x), ("target", y)], ["input"])
            for r in REDUCTIONS]
