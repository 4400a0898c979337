"""Golden cases for NLLLoss: every option x reduction x shape kind, int32 targets, ignored and empty
batches, a zero weight sum, and the inputs PyTorch rejects.

PyTorch 1.13 rejects int32 targets ("expected scalar type Long"); jloss accepts them, so the int32
cases record int32 targets and compute with them widened to int64.
"""
import torch
import torch.nn as nn
from common import case, f32, gen, ints, REDUCTIONS, NAN, INF

LOSS = "NLLLoss"


class WidenTarget(nn.Module):
    """Runs a loss with the target widened to int64, for the int32 cases."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, input, target):
        return self.inner(input, target.long())


def int32_module(**o):
    return WidenTarget(nn.NLLLoss(**o))


def targets(g, classes, shape, ignore=None, frac=0.3):
    """Random class indices in [0, classes); with ignore given, about frac of them set to it."""
    t = ints(g, 0, max(classes, 1), *shape)
    if ignore is not None and t.numel() > 0:
        mask = torch.rand(tuple(shape), generator=g) < frac
        t = torch.where(mask, torch.full_like(t, ignore), t)
    return t


def weight(g, classes):
    return f32(g, classes, lo=0.1, hi=2.0)


def nll(cid, opts, x, t, make=nn.NLLLoss):
    return case(cid, LOSS, make, opts, [("input", x), ("target", t)], ["input"])


def cases():
    g = gen(4)
    out = []
    # shape kinds: (input shape, target shape)
    shapes = {
        "unbatched": ((5,), ()),
        "unbatched_c1": ((1,), ()),
        "n7": ((7, 5), (7,)),
        "n1": ((1, 5), (1,)),
        "c1": ((4, 1), (4,)),
        "n33": ((33, 6), (33,)),
        "k1": ((3, 4, 5), (3, 5)),
        "k2": ((2, 3, 4, 5), (2, 4, 5)),
        "k3": ((2, 3, 2, 2, 3), (2, 2, 2, 3)),
    }
    for name, (xs, ts) in shapes.items():
        c = xs[0] if len(xs) == 1 else xs[1]
        for r in REDUCTIONS:
            for wname in ("now", "w"):
                for iname, ign in (("defign", None), ("ign1", 1 if c > 1 else 0)):
                    opts = {"reduction": r}
                    if wname == "w":
                        opts["weight"] = weight(g, c)
                    if ign is not None:
                        opts["ignore_index"] = ign
                    x = f32(g, *xs, lo=-4.0, hi=0.0)
                    t = targets(g, c, ts)
                    if ign is None and t.numel() > 1:
                        # some positions carry the default ignore_index
                        t = targets(g, c, ts, ignore=-100)
                    out.append(nll(f"{name}_{r}_{wname}_{iname}", opts, x, t))
    # wide rows
    for r in REDUCTIONS:
        out.append(nll(f"wide_{r}", {"reduction": r, "weight": weight(g, 1000)}, f32(g, 3, 1000, lo=-9, hi=0),
                       targets(g, 1000, (3,))))
    # int32 targets, every shape kind
    for name, (xs, ts) in shapes.items():
        c = xs[0] if len(xs) == 1 else xs[1]
        for r in ("none", "mean"):
            out.append(nll(f"int32_{name}_{r}", {"reduction": r, "weight": weight(g, c), "ignore_index": 0},
                           f32(g, *xs, lo=-4, hi=0), targets(g, c, ts).int(), make=int32_module))
    # legacy size_average / reduce
    for sa, rd in [(None, False), (False, None), (True, None), (False, False), (True, True)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        opts["weight"] = weight(g, 5)
        out.append(nll(f"legacy_{sa}_{rd}", opts, f32(g, 6, 5), targets(g, 5, (6,), ignore=-100)))
    # the seed article's examples
    seed_x = torch.tensor([[0.6, 0.2, 0.2], [0.4, 1.2, 0.4]], dtype=torch.float32).double()
    seed_t = torch.tensor([0, 1])
    out.append(nll("seed_none", {"reduction": "none"}, seed_x, seed_t))
    out.append(nll("seed_weighted_mean", {"weight": torch.tensor([0.6, 0.2, 0.2], dtype=torch.float32).double()},
                   seed_x, seed_t))
    # every target ignored; empty batches; a zero weight sum
    for r in REDUCTIONS:
        out.append(nll(f"all_ignored_{r}", {"reduction": r}, f32(g, 4, 5), torch.full((4,), -100)))
        out.append(nll(f"all_ignored_k1_{r}", {"reduction": r, "weight": weight(g, 5), "ignore_index": 2},
                       f32(g, 2, 5, 3), torch.full((2, 3), 2)))
        out.append(nll(f"unbatched_ignored_{r}", {"reduction": r}, f32(g, 5), torch.tensor(-100)))
        out.append(nll(f"empty_{r}", {"reduction": r}, f32(g, 0, 5), torch.zeros(0, dtype=torch.long)))
        out.append(nll(f"empty_w_{r}", {"reduction": r, "weight": weight(g, 5)}, f32(g, 0, 5),
                       torch.zeros(0, dtype=torch.long)))
        out.append(nll(f"empty_k1_{r}", {"reduction": r}, f32(g, 0, 5, 3), torch.zeros(0, 3, dtype=torch.long)))
        out.append(nll(f"empty_spatial_{r}", {"reduction": r}, f32(g, 3, 5, 0), torch.zeros(3, 0, dtype=torch.long)))
        out.append(nll(f"zero_classes_ignored_{r}", {"reduction": r, "ignore_index": 0}, f32(g, 2, 0),
                       torch.zeros(2, dtype=torch.long)))
        zw = torch.tensor([0.0, 1.0, 1.0, 1.0, 1.0])
        out.append(nll(f"zero_weight_sum_{r}", {"reduction": r, "weight": zw}, f32(g, 3, 5),
                       torch.tensor([0, 0, -100])))
        out.append(nll(f"zero_weight_sum_k1_{r}", {"reduction": r, "weight": zw}, f32(g, 2, 5, 2),
                       torch.tensor([[0, 0], [-100, 0]])))
    # errors PyTorch raises
    x = f32(g, 3, 5)
    out.append(nll("err_target_high", {}, x, torch.tensor([1, 7, 3])))
    out.append(nll("err_target_high_none", {"reduction": "none"}, x, torch.tensor([1, 7, 3])))
    out.append(nll("err_target_negative", {}, x, torch.tensor([1, -1, 3])))
    out.append(nll("err_target_is_c", {"reduction": "sum"}, x, torch.tensor([5, 0, 0])))
    out.append(nll("err_target_high_ign_other", {"ignore_index": 7}, x, torch.tensor([1, 8, 7])))
    out.append(nll("err_target_high_k1", {}, f32(g, 2, 5, 3), torch.tensor([[0, 1, 2], [3, 9, 0]])))
    out.append(nll("err_target_high_k2_none", {"reduction": "none"}, f32(g, 2, 5, 2, 2),
                   torch.tensor([[[0, 1], [2, 3]], [[4, 0], [5, 1]]])))
    out.append(nll("err_target_high_unbatched", {}, f32(g, 5), torch.tensor(5)))
    out.append(nll("err_target_high_int32", {}, x, torch.tensor([1, 7, 3]).int(), make=int32_module))
    out.append(nll("err_zero_classes", {}, f32(g, 2, 0), torch.zeros(2, dtype=torch.long)))
    out.append(nll("err_batch_mismatch", {}, x, torch.tensor([1, 2])))
    out.append(nll("err_target_2d", {}, x, torch.tensor([[1], [2], [3]])))
    out.append(nll("err_target_unbatched_1d", {}, f32(g, 5), torch.tensor([1])))
    out.append(nll("err_kdim_target_shape", {}, f32(g, 2, 5, 3), torch.zeros(2, 4, dtype=torch.long)))
    out.append(nll("err_kdim_target_missing_dim", {}, f32(g, 2, 5, 3, 2), torch.zeros(2, 3, dtype=torch.long)))
    out.append(nll("err_k2_target_shape", {}, f32(g, 2, 5, 3, 2), torch.zeros(2, 3, 3, dtype=torch.long)))
    out.append(nll("err_weight_length", {"weight": weight(g, 4)}, x, torch.tensor([1, 2, 3])))
    out.append(nll("err_weight_2d", {"weight": weight(g, 5).reshape(5, 1)}, x, torch.tensor([1, 2, 3])))
    out.append(nll("err_input_0d", {}, torch.tensor(0.5), torch.tensor(0)))
    out.append(nll("err_float_target", {}, x, torch.tensor([1.0, 2.0, 3.0])))
    return out


def nonfinite_cases():
    """NaN and +-inf log-probabilities, at the target and elsewhere, with weight and ignore_index (the
    gradient does not depend on the input)."""
    x = torch.tensor([[NAN, 0., -1.], [NAN, 0., -1.], [INF, 0., -1.], [-INF, 0., -1.], [0., -INF, -1.], [-0.5, -1., -2.]])
    t = torch.tensor([0, 1, 0, 0, 0, 2])
    out = []
    for r in REDUCTIONS:
        out.append(nll(f"nf_{r}", {"reduction": r}, x, t))
        out.append(nll(f"nf_w_ign_{r}", {"reduction": r, "weight": torch.tensor([0.5, 1.5, 2.0]), "ignore_index": 1},
                       x, t))
        out.append(nll(f"nf_k1_{r}", {"reduction": r}, x.reshape(2, 3, 3).transpose(1, 2).contiguous(),
                       t.reshape(2, 3)))
    return out
