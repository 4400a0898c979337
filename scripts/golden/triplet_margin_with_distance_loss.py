"""Golden cases for TripletMarginWithDistanceLoss with the built-in distances: the default
(nn.PairwiseDistance()), "pairwise:P" (nn.PairwiseDistance(p=P)) and "cosine"
(1 - F.cosine_similarity(x, y, dim=-1)), x swap x reductions x shapes; margins; broadcasting; and what PyTorch rejects. Vectors whose
norm is below the cosine's eps are in degenerate_cases(), kept out of golden/ (see
cosine_embedding_loss.py) and written by scripts/gen_degenerate.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from common import case, f32, gen, REDUCTIONS, NAN, INF


def r32(t):
    return t.float().double()


def distance(spec):
    """The Python callable jloss's distance_function string stands for."""
    if spec == "pairwise":
        return nn.PairwiseDistance()
    if spec.startswith("pairwise:"):
        return nn.PairwiseDistance(p=float(spec.split(":", 1)[1]))
    if spec == "cosine":
        return lambda x, y: 1.0 - F.cosine_similarity(x, y, dim=-1)
    raise ValueError(f"unknown distance_function '{spec}', expected pairwise, pairwise:P or cosine")


def make(distance_function=None, **kw):
    """PyTorch 2.3+ (pytorch/pytorch#121978) rejects margin <= 0 and 2.x requires anchor, positive
    and negative of one number of dimensions; 1.13 does neither. jloss follows 2.x."""
    if kw.get("margin", 1.0) <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {kw['margin']}")
    fn = None if distance_function is None else distance(distance_function)
    inner = nn.TripletMarginWithDistanceLoss(distance_function=fn, **kw)

    def forward(a, p, n):
        if not (a.dim() == p.dim() == n.dim()):
            raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number "
                               f"of dimensions, but got: anchor {a.dim()}D, positive {p.dim()}D, and negative "
                               f"{n.dim()}D inputs")
        return inner(a, p, n)
    return forward


def triplet(g, *shape):
    """positive at a fixed spread around the anchor, negative at a spread drawn per row on both sides
    of it, so that at every row length some rows are active and some not."""
    a = f32(g, *shape)
    spread = f32(g, *(shape[:-1] + (1,)), lo=0.4, hi=1.4) if shape else torch.tensor(0.4)
    p = r32(a + 0.6 * f32(g, *shape))
    n = r32(a + spread * f32(g, *shape))
    return a, p, n


def cases():
    g = gen(21)
    out = []

    def add(cid, opts, a, p, n, **kw):
        out.append(case(cid, "TripletMarginWithDistanceLoss", make, opts,
                        [("anchor", a), ("positive", p), ("negative", n)], ["anchor", "positive", "negative"], **kw))

    dists = [None, "pairwise", "pairwise:1", "pairwise:3", "cosine"]
    for dist in dists:
        margin = 0.3 if dist == "cosine" else 0.6
        for shape in [(1, 7), (6, 1), (6, 7), (7,)]:
            for swap in (False, True):
                for r in REDUCTIONS:
                    a, p, n = triplet(g, *shape)
                    opts = {"margin": margin, "swap": swap, "reduction": r}
                    if dist is not None:
                        opts["distance_function"] = dist
                    sid = "x".join(map(str, shape))
                    add(f"triw_{dist or 'default'}_{sid}_swap{swap}_{r}", opts, a, p, n)
        for shape in [(3, 33), (2, 65)] + ([(2, 128)] if dist in (None, "cosine") else []) + [(1,), (), (2, 3, 4), (0, 4), (3, 0)]:
            a, p, n = triplet(g, *shape)
            opts = {"margin": margin, "swap": True, "reduction": "none"}
            if dist is not None:
                opts["distance_function"] = dist
            sid = "x".join(map(str, shape)) or "scalar"
            add(f"triw_{dist or 'default'}_{sid}", opts, a, p, n)
            opts = dict(opts, reduction="mean")
            add(f"triw_{dist or 'default'}_{sid}_mean", opts, *triplet(g, *shape))
    # margins: some rows active, some not
    for dist in ("pairwise", "cosine"):
        for m in (0.1, 0.5, 1.0, 2.5):
            for r in REDUCTIONS:
                add(f"triw_margin_{dist}_{m}_{r}", {"distance_function": dist, "margin": m, "reduction": r},
                    *triplet(g, 8, 5))
    add("triw_defaults", {}, *triplet(g, 5, 4))
    add("triw_pairwise_inf", {"distance_function": "pairwise:inf", "reduction": "none"}, *triplet(g, 5, 4))
    add("triw_pairwise_half", {"distance_function": "pairwise:0.5", "swap": True, "reduction": "sum"},
        *triplet(g, 5, 4))
    # cosine: parallel vectors (distance 0)
    a = f32(g, 5, 4)
    for swap in (False, True):
        add(f"triw_cosine_parallel_swap{swap}", {"distance_function": "cosine", "margin": 0.8, "swap": swap,
                                                  "reduction": "none"}, a, r32(2.5 * a), f32(g, 5, 4))
    a, _, n = triplet(g, 4, 5)
    add("triw_cosine_swap_tie", {"distance_function": "cosine", "margin": 1.5, "swap": True, "reduction": "sum"},
        a, a.clone(), n)
    # broadcasting
    for dist in ("pairwise", "cosine"):
        for swap in (False, True):
            a, p, n = triplet(g, 4, 5)
            add(f"triw_bcast_rows_{dist}_swap{swap}", {"distance_function": dist, "swap": swap, "reduction": "none"},
                a, p[:1].clone(), n)
            add(f"triw_bcast_cols_{dist}_swap{swap}", {"distance_function": dist, "swap": swap, "reduction": "sum"},
                a, p, n[:, :1].clone())
    # what PyTorch rejects
    add("triw_err_unknown_distance", {"distance_function": "euclid"}, *triplet(g, 3, 4))
    add("triw_err_bad_p", {"distance_function": "pairwise:two"}, *triplet(g, 3, 4))
    add("triw_err_dims", {}, f32(g, 4), f32(g, 3, 4), f32(g, 3, 4))
    add("triw_err_dims_cosine", {"distance_function": "cosine"}, f32(g, 3, 4), f32(g, 3, 4), f32(g, 2, 3, 4))
    add("triw_err_cols", {}, f32(g, 3, 4), f32(g, 3, 5), f32(g, 3, 4))
    add("triw_err_rows", {"distance_function": "cosine"}, f32(g, 3, 4), f32(g, 2, 4), f32(g, 3, 4))
    add("triw_err_margin0", {"margin": 0.0}, *triplet(g, 3, 4))
    add("triw_err_margin_neg", {"margin": -0.5, "distance_function": "cosine"}, *triplet(g, 3, 4))
    add("triw_err_legacy", {"size_average": False}, *triplet(g, 3, 4))
    add("triw_err_reduction", {"reduction": "batchmean"}, *triplet(g, 3, 4))
    return out


def degenerate_cases():
    """Zero and tiny vectors under the cosine distance. NOTE: below eps PyTorch 1.13's gradient is not
    the derivative of its forward (the norm is clamped in place, and the norm's backward reads the
    clamped value); jloss follows PyTorch."""
    g = gen(121)
    out = []

    def add(cid, opts, a, p, n):
        out.append(case(cid, "TripletMarginWithDistanceLoss", make, opts,
                        [("anchor", a), ("positive", p), ("negative", n)], ["anchor", "positive", "negative"]))

    a = f32(g, 5, 4)
    p = r32(2.5 * a)
    n = f32(g, 5, 4)
    a[1] = 0
    n[2] = 0
    p[3] = r32(p[3] * 1e-9)
    a[4] = r32(a[4] * 1e-10)
    for swap in (False, True):
        for r in REDUCTIONS:
            add(f"triw_cosine_degenerate_swap{swap}_{r}",
                {"distance_function": "cosine", "margin": 0.8, "swap": swap, "reduction": r}, a, p, n)
    return out


def nonfinite_cases():
    """NaN and +-inf in anchor, positive and negative with the built-in distances, with and without swap."""
    fin = [[0.25, 0.], [1., 1.], [0.5, -0.5]]
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
    for dist in (None, "pairwise:1", "pairwise:inf", "pairwise:3", "cosine"):
        for swap in (False, True):
            for r in REDUCTIONS:
                opts = {"swap": swap, "reduction": r}
                if dist is not None:
                    opts["distance_function"] = dist
                out.append(case(f"nf_triw_{dist or 'default'}_swap{swap}_{r}", "TripletMarginWithDistanceLoss", make,
                                opts, [("anchor", a), ("positive", p), ("negative", n)],
                                ["anchor", "positive", "negative"]))
    return out
