"""Golden cases for CosineEmbeddingLoss: shapes (batched, unbatched, size 1, empty), margins with
rows on both sides of the hinge, targets 1/-1 and other values, integer targets, broadcasting,
legacy flags and the shapes PyTorch rejects. Zero and tiny vectors, where EPSILON guards the
magnitudes, are in degenerate_cases(): PyTorch's gradient there is exact but varies on a scale of
1e-6, far below a finite difference's step, so they stay out of golden/ (GradientCheckTest
differences every golden case) and scripts/gen_degenerate.py writes them for PairwiseDegenerateTest."""
import torch
import torch.nn as nn
from common import case, f32, gen, REDUCTIONS, NAN, INF


def r32(t):
    return t.float().double()


class Torch2Checks(nn.Module):
    """PyTorch 2.x checks both inputs' dimensions (1.13 checks only input1's); jloss follows 2.x."""

    def __init__(self, **kw):
        super().__init__()
        self.inner = nn.CosineEmbeddingLoss(**kw)

    def forward(self, x1, x2, t):
        want = t.dim() + 1
        if t.dim() <= 1 and (x1.dim() != want or x2.dim() != want):
            raise RuntimeError(f"{t.dim()}D target tensor expects {want}D input tensors, but found inputs with "
                               f"sizes {list(x1.shape)} and {list(x2.shape)}.")
        return self.inner(x1, x2, t)


def pair(g, *shape):
    """input2 correlated with input1 so the cosines spread over (-1, 1)."""
    x1 = f32(g, *shape)
    mix = f32(g, *(shape[:-1] + (1,)), lo=-1.0, hi=1.0) if len(shape) > 0 else f32(g, 1, lo=-1.0, hi=1.0)[0]
    x2 = r32(mix * x1 + 0.6 * f32(g, *shape))
    return x1, x2


def signs(g, *shape):
    return (torch.randint(0, 2, shape, generator=g) * 2 - 1).double()


def cases():
    g = gen(15)
    out = []

    def add(cid, opts, x1, x2, t, **kw):
        out.append(case(cid, "CosineEmbeddingLoss", Torch2Checks, opts,
                        [("input1", x1), ("input2", x2), ("target", t)], ["input1", "input2"], **kw))

    shapes = [(1, 1), (1, 7), (5, 1), (5, 7), (4, 33), (3, 65), (2, 128), (7,), (1,), (33,), (0, 4), (3, 0)]
    for shape in shapes:
        for r in REDUCTIONS:
            x1, x2 = pair(g, *shape)
            t = signs(g, *shape[:-1]) if len(shape) == 2 else torch.tensor(float(signs(g, 1)[0]))
            sid = "x".join(map(str, shape))
            add(f"cos_{sid}_{r}", {"margin": 0.2, "reduction": r}, x1, x2, t)
    # margins: rows with target -1 on both sides of the hinge
    for m in (0.0, 0.5, -0.5, 1.0, -1.0):
        for r in REDUCTIONS:
            x1, x2 = pair(g, 9, 6)
            t = -torch.ones(9)
            t[::3] = 1
            add(f"cos_margin_{m}_{r}", {"margin": m, "reduction": r}, x1, x2, t)
    # default margin (0), options left out
    x1, x2 = pair(g, 6, 5)
    add("cos_defaults", {}, x1, x2, signs(g, 6))
    # targets other than 1 / -1 contribute nothing
    x1, x2 = pair(g, 5, 4)
    for r in REDUCTIONS:
        add(f"cos_other_targets_{r}", {"margin": 0.1, "reduction": r}, x1, x2,
            torch.tensor([1.0, 0.0, -1.0, 2.0, 0.5]))
    # integer targets
    x1, x2 = pair(g, 6, 5)
    t = torch.tensor([1, -1, 1, -1, -1, 1], dtype=torch.int64)
    add("cos_int64_target", {"margin": 0.1, "reduction": "sum"}, x1, x2, t)
    add("cos_int32_target", {"margin": 0.1, "reduction": "none"}, x1, x2, t.to(torch.int32))
    # broadcasting, as PyTorch does
    for r in ("none", "sum"):
        x1, x2 = pair(g, 4, 5)
        add(f"cos_bcast_rows2_{r}", {"margin": 0.1, "reduction": r}, x1, x2[:1].clone(), signs(g, 4))
        add(f"cos_bcast_rows1_{r}", {"margin": 0.1, "reduction": r}, x1[:1].clone(), x2, signs(g, 4))
        add(f"cos_bcast_cols_{r}", {"margin": 0.1, "reduction": r}, x1[:, :1].clone(), x2, signs(g, 4))
        add(f"cos_bcast_target_{r}", {"margin": 0.1, "reduction": r}, x1, x2, torch.tensor([-1.0]))
        add(f"cos_bcast_by_target_{r}", {"margin": -0.2, "reduction": r}, x1[:1].clone(), x2[:1].clone(),
            torch.tensor([1.0, -1.0, -1.0]))
        add(f"cos_bcast_unbatched_cols_{r}", {"margin": -0.2, "reduction": r}, x1[0, :1].clone(), x2[0].clone(),
            torch.tensor(-1.0))
    # legacy flags
    for sa, rd in [(None, False), (False, None), (True, True), (False, False), (True, None)]:
        opts = {k: v for k, v in (("size_average", sa), ("reduce", rd)) if v is not None}
        opts["margin"] = 0.1
        x1, x2 = pair(g, 4, 3)
        add(f"cos_legacy_{sa}_{rd}", opts, x1, x2, signs(g, 4))
    # what PyTorch rejects
    add("cos_err_target_2d", {}, f32(g, 3, 4), f32(g, 3, 4), torch.ones(3, 1))
    add("cos_err_1d_target_1d_inputs", {}, f32(g, 4), f32(g, 4), torch.ones(1))
    add("cos_err_0d_target_2d_inputs", {}, f32(g, 3, 4), f32(g, 3, 4), torch.tensor(1.0))
    add("cos_err_input2_1d", {}, f32(g, 3, 4), f32(g, 4), torch.ones(3))
    add("cos_err_input2_2d_unbatched", {}, f32(g, 4), f32(g, 1, 4), torch.tensor(1.0))
    add("cos_err_3d_inputs", {}, f32(g, 2, 3, 4), f32(g, 2, 3, 4), torch.ones(2))
    add("cos_err_cols", {}, f32(g, 3, 4), f32(g, 3, 5), torch.ones(3))
    add("cos_err_rows", {}, f32(g, 3, 4), f32(g, 2, 4), torch.ones(3))
    add("cos_err_target_len", {}, f32(g, 3, 4), f32(g, 3, 4), torch.ones(4))
    add("cos_err_reduction", {"reduction": "batchmean"}, f32(g, 3, 4), f32(g, 3, 4), torch.ones(3))
    return out


def degenerate_cases():
    g = gen(115)
    out = []

    def add(cid, opts, x1, x2, t):
        out.append(case(cid, "CosineEmbeddingLoss", Torch2Checks, opts,
                        [("input1", x1), ("input2", x2), ("target", t)], ["input1", "input2"]))

    # zero vectors: EPSILON keeps the cosine finite
    x1, x2 = pair(g, 4, 6)
    x1[1] = 0
    x2[2] = 0
    x1[3] = 0
    x2[3] = 0
    for r in REDUCTIONS:
        add(f"cos_zero_rows_{r}", {"margin": -0.5, "reduction": r}, x1, x2, torch.tensor([1.0, -1.0, -1.0, 1.0]))
    # tiny vectors: EPSILON dominates the magnitudes
    x1 = r32(f32(g, 3, 4) * 1e-7)
    x2 = r32(f32(g, 3, 4) * 1e-7)
    add("cos_tiny", {"margin": -1.0, "reduction": "none"}, x1, x2, torch.tensor([1.0, -1.0, 1.0]))
    return out


def nonfinite_cases():
    """NaN and +-inf in input1 and input2 with targets 1 and -1, margins 0 and 0.5."""
    rows1 = [[NAN, 1.], [INF, 1.], [-INF, 1.], [INF, INF], [1., 2.], [1., 2.], [NAN, NAN], [0.5, -1.]]
    rows2 = [[1., 1.], [1., 1.], [1., 1.], [1., 1.], [NAN, 1.], [INF, 0.], [1., 1.], [1., 0.5]]
    x1 = torch.tensor(rows1 * 2)
    x2 = torch.tensor(rows2 * 2)
    t = torch.tensor([1.] * len(rows1) + [-1.] * len(rows1))
    out = []
    for m in (0.0, 0.5):
        for r in REDUCTIONS:
            out.append(case(f"nf_cos_margin{m}_{r}", "CosineEmbeddingLoss", Torch2Checks, {"margin": m, "reduction": r},
                            [("input1", x1), ("input2", x2), ("target", t)], ["input1", "input2"]))
    for tv in (1., -1.):
        out.append(case(f"nf_cos_issue15_{int(tv)}", "CosineEmbeddingLoss", Torch2Checks, {},
                        [("input1", torch.tensor([[NAN, 1.]])), ("input2", torch.tensor([[1., 1.]])),
                         ("target", torch.tensor([tv]))], ["input1", "input2"]))
    return out
