"""Golden cases for TripletMarginLoss: p = 1, 2, 3 (and 0.5, 1.5, 0, -1, +-inf) x swap x reductions
over batched, unbatched, size-1, empty and 3-D shapes; margins so that some rows are active and some
not; eps; ties under swap; broadcasting; legacy flags; and what PyTorch rejects."""
import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, NAN, INF


def r32(t):
    return t.float().double()


class Torch2Checks(nn.Module):
    """PyTorch 2.3+ (pytorch/pytorch#121978) rejects margin <= 0; 1.13 accepts it. jloss follows 2.3+."""

    def __init__(self, **kw):
        super().__init__()
        if kw.get("margin", 1.0) <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {kw['margin']} instead")
        self.inner = nn.TripletMarginLoss(**kw)

    def forward(self, a, p, n):
        return self.inner(a, p, n)


def triplet(g, *shape):
    """positive at a fixed spread around the anchor, negative at a spread drawn per row on both sides
    of it, so that at every row length some rows are active and some not."""
    a = f32(g, *shape)
    spread = f32(g, *(shape[:-1] + (1,)), lo=0.4, hi=1.4) if shape else torch.tensor(0.4)
    p = r32(a + 0.6 * f32(g, *shape))
    n = r32(a + spread * f32(g, *shape))
    return a, p, n


def cases():
    g = gen(17)
    out = []

    def add(cid, opts, a, p, n, **kw):
        out.append(case(cid, "TripletMarginLoss", Torch2Checks, opts,
                        [("anchor", a), ("positive", p), ("negative", n)], ["anchor", "positive", "negative"], **kw))

    # the main grid: shapes x p x swap x reductions
    for shape in [(1, 1), (6, 1), (1, 7), (6, 7)]:
        for pp in (1.0, 2.0, 3.0):
            for swap in (False, True):
                for r in REDUCTIONS:
                    a, p, n = triplet(g, *shape)
                    sid = "x".join(map(str, shape))
                    add(f"tri_{sid}_p{pp}_swap{swap}_{r}", {"margin": 0.5, "p": pp, "swap": swap, "reduction": r},
                        a, p, n)
    for shape in [(4, 33), (3, 65), (2, 128), (7,), (1,), (), (2, 3, 5), (0, 5), (3, 0)]:
        for swap in (False, True):
            for r in REDUCTIONS:
                a, p, n = triplet(g, *shape)
                sid = "x".join(map(str, shape)) or "scalar"
                add(f"tri_{sid}_swap{swap}_{r}", {"margin": 0.7, "swap": swap, "reduction": r}, a, p, n)
    # other orders torch.norm takes
    for pp in (0.5, 1.5, 0.0, -1.0, float("inf"), float("-inf")):
        for swap in (False, True):
            for r in ("none", "sum"):
                a, p, n = triplet(g, 5, 6)
                add(f"tri_p{pp}_swap{swap}_{r}", {"margin": 1.0, "p": pp, "swap": swap, "reduction": r}, a, p, n)
    # margins: from nearly no active row to all active
    for m in (0.05, 0.5, 1.0, 3.0):
        for r in REDUCTIONS:
            a, p, n = triplet(g, 8, 5)
            add(f"tri_margin_{m}_{r}", {"margin": m, "reduction": r}, a, p, n)
    add("tri_defaults", {}, *triplet(g, 5, 4))
    # eps
    for eps in (0.0, 1e-3):
        for pp in (1.0, 2.0):
            a, p, n = triplet(g, 4, 6)
            add(f"tri_eps{eps}_p{pp}", {"eps": eps, "p": pp, "reduction": "none"}, a, p, n)
    # swap ties: positive == anchor makes d(a, n) == d(p, n)
    for pp in (1.0, 2.0):
        a, _, n = triplet(g, 4, 5)
        add(f"tri_swap_tie_p{pp}", {"margin": 2.0, "p": pp, "swap": True, "reduction": "sum"}, a, a.clone(), n)
    # swap picks d(p, n) for some rows: negative closer to the positive than to the anchor
    a = f32(g, 6, 5)
    p = r32(a + 1.5 * f32(g, 6, 5))
    n = r32(p + 0.3 * f32(g, 6, 5))
    for r in REDUCTIONS:
        add(f"tri_swap_active_{r}", {"margin": 1.0, "swap": True, "reduction": r}, a, p, n)
    # zero differences (eps 0): the norm's backward masks n = 0
    a = f32(g, 3, 4)
    for pp in (2.0, 3.0, 0.5, 1.0, float("inf")):
        add(f"tri_zero_diff_p{pp}", {"margin": 1.0, "p": pp, "eps": 0.0, "reduction": "none"}, a, a.clone(),
            f32(g, 3, 4))
    # broadcasting
    for swap in (False, True):
        for r in ("none", "mean"):
            a, p, n = triplet(g, 4, 5)
            add(f"tri_bcast_pos_row_swap{swap}_{r}", {"swap": swap, "reduction": r}, a, p[:1].clone(), n)
            add(f"tri_bcast_anchor_row_swap{swap}_{r}", {"swap": swap, "reduction": r}, a[:1].clone(), p, n)
            add(f"tri_bcast_neg_col_swap{swap}_{r}", {"swap": swap, "reduction": r}, a, p, n[:, :1].clone())
            add(f"tri_bcast_3d_swap{swap}_{r}", {"swap": swap, "p": 1.0, "reduction": r},
                f32(g, 2, 1, 5), f32(g, 1, 3, 5), f32(g, 2, 3, 1))
    # rows of different lengths that only meet through the anchor (no swap): PyTorch allows it
    add("tri_bcast_anchor_col_only", {"reduction": "none"}, f32(g, 3, 1), f32(g, 3, 4), f32(g, 3, 5))
    # legacy flags
    for sa, rd in [(None, False), (False, None), (True, True), (False, False), (True, None)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        add(f"tri_legacy_{sa}_{rd}", opts, *triplet(g, 4, 3))
    # what PyTorch rejects
    add("tri_err_dims_positive", {}, f32(g, 3, 4), f32(g, 4), f32(g, 3, 4))
    add("tri_err_dims_negative", {}, f32(g, 3, 4), f32(g, 3, 4), f32(g, 1, 3, 4))
    add("tri_err_cols", {}, f32(g, 3, 4), f32(g, 3, 5), f32(g, 3, 4))
    add("tri_err_rows", {}, f32(g, 3, 4), f32(g, 3, 4), f32(g, 2, 4))
    add("tri_err_swap_cols", {"swap": True}, f32(g, 3, 1), f32(g, 3, 4), f32(g, 3, 5))
    add("tri_err_margin0", {"margin": 0.0}, *triplet(g, 3, 4))
    add("tri_err_margin_neg", {"margin": -1.0}, *triplet(g, 3, 4))
    add("tri_err_reduction", {"reduction": "batchmean"}, *triplet(g, 3, 4))
    return out


def nonfinite_cases():
    """NaN and +-inf in anchor, positive and negative, p = 2, 1 and inf, with and without swap."""
    fin = [[0., 0.], [1., 1.], [0.5, -0.5]]
    bads = [[NAN, 0.], [INF, 0.], [-INF, 1.], [INF, INF]]
    rows = []
    for b in bads:
        for k in range(3):
            r = [list(v) for v in fin]
            r[k] = b
            rows.append(r)
    a = torch.tensor([r[0] for r in rows])
    p = torch.tensor([r[1] for r in rows])
    n = torch.tensor([r[2] for r in rows])
    out = []
    for pp in (2.0, 1.0, float("inf"), 3.0, 1.5, 0.5):
        for swap in (False, True):
            for r in REDUCTIONS:
                out.append(case(f"nf_trip_p{pp}_swap{swap}_{r}", "TripletMarginLoss", Torch2Checks,
                                {"p": pp, "swap": swap, "reduction": r},
                                [("anchor", a), ("positive", p), ("negative", n)], ["anchor", "positive", "negative"]))
    out.append(case("nf_trip_issue15_sum", "TripletMarginLoss", Torch2Checks, {"reduction": "sum"},
                    [("anchor", torch.tensor([[NAN, 0.]])), ("positive", torch.tensor([[0., 0.]])),
                     ("negative", torch.tensor([[1., 1.]]))], ["anchor", "positive", "negative"]))
    return out
