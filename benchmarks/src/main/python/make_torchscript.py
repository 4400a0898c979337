"""Writes one TorchScript module per loss for the PyTorch-through-DJL peer of the benchmarks.

Each module calls torch.nn.functional's loss with the options the Java benchmark cases use
(benchmarks/src/main/java/dev/jloss/bench/Cases.java), so DJL runs PyTorch's own ATen kernels:
  forward(a0, ...)          -> the loss, under no_grad
  grad(g, a0, ...)          -> gradients of sum(g * loss) w.r.t. the differentiable arguments
                               (autograd needs the forward pass, so it runs inside)
  loss_and_grad(a0, ...)    -> [loss, gradients of the loss]
The modules hold no weights, only code; they are committed so the benchmark needs no Python.
Regenerate with: /usr/bin/python3 benchmarks/src/main/python/make_torchscript.py
"""
import os
import sys
import textwrap

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "torchscript")

# functional name -> (number of tensor arguments, differentiable argument indices, call on a0..ak)
LOSSES = {
    "l1_loss": (2, [0], "F.l1_loss(a0, a1)"),
    "mse_loss": (2, [0], "F.mse_loss(a0, a1)"),
    "smooth_l1_loss": (2, [0], "F.smooth_l1_loss(a0, a1)"),
    "huber_loss": (2, [0], "F.huber_loss(a0, a1)"),
    "binary_cross_entropy": (2, [0], "F.binary_cross_entropy(a0, a1)"),
    "binary_cross_entropy_with_logits": (2, [0], "F.binary_cross_entropy_with_logits(a0, a1)"),
    "kl_div": (2, [0], "F.kl_div(a0, a1, reduction='batchmean')"),
    "poisson_nll_loss": (2, [0], "F.poisson_nll_loss(a0, a1)"),
    "gaussian_nll_loss": (3, [0, 2], "F.gaussian_nll_loss(a0, a1, a2)"),
    "soft_margin_loss": (2, [0], "F.soft_margin_loss(a0, a1)"),
    "margin_ranking_loss": (3, [0, 1], "F.margin_ranking_loss(a0, a1, a2)"),
    "hinge_embedding_loss": (2, [0], "F.hinge_embedding_loss(a0, a1)"),
    "cross_entropy": (2, [0], "F.cross_entropy(a0, a1)"),
    "nll_loss": (2, [0], "F.nll_loss(a0, a1)"),
    "multi_margin_loss": (2, [0], "F.multi_margin_loss(a0, a1)"),
    "multilabel_margin_loss": (2, [0], "F.multilabel_margin_loss(a0, a1)"),
    "multilabel_soft_margin_loss": (2, [0], "F.multilabel_soft_margin_loss(a0, a1)"),
    "cosine_embedding_loss": (3, [0, 1], "F.cosine_embedding_loss(a0, a1, a2)"),
    "triplet_margin_loss": (3, [0, 1, 2], "F.triplet_margin_loss(a0, a1, a2)"),
    # F.triplet_margin_with_distance_loss has keyword-only arguments TorchScript cannot compile;
    # this is its body with the defaults (distance pairwise_distance, margin 1, no swap, mean).
    "triplet_margin_with_distance_loss": (
        3, [0, 1, 2], "torch.clamp_min(1.0 + F.pairwise_distance(a0, a1) - F.pairwise_distance(a0, a2), 0.0).mean()"),
    "ctc_loss": (4, [0], "F.ctc_loss(a0, a1, a2, a3)"),
}

TEMPLATE = '''
import torch
import torch.nn.functional as F
from typing import List, Optional
from torch import Tensor


class Bench(torch.nn.Module):
    def forward(self, {args}) -> Tensor:
        with torch.no_grad():
            return {call}

    @torch.jit.export
    def grad(self, g: Tensor, {args}) -> List[Tensor]:
        # NOTE: TorchScript 1.13 has no enable_grad(); the caller keeps grad mode on (DJL's default).
{detach}
        loss = {call}
        go: List[Optional[Tensor]] = [g]
        gs = torch.autograd.grad([loss], [{diff}], go)
        out: List[Tensor] = []
        for t in gs:
            assert t is not None
            out.append(t)
        return out

    @torch.jit.export
    def loss_and_grad(self, {args}) -> List[Tensor]:
{detach}
        loss = {call}
        gs = torch.autograd.grad([loss], [{diff}])
        out: List[Tensor] = [loss.detach()]
        for t in gs:
            assert t is not None
            out.append(t)
        return out
'''


def module_source(arity, diff, call):
    args = ", ".join(f"a{i}: Tensor" for i in range(arity))
    detach = "\n".join(f"        a{i} = a{i}.detach().requires_grad_()" for i in diff)
    return TEMPLATE.format(args=args, call=call, detach=detach, diff=", ".join(f"a{i}" for i in diff))


def main(names):
    os.makedirs(OUT, exist_ok=True)
    for name in names or LOSSES:
        arity, diff, call = LOSSES[name]
        ns = {}
        src = module_source(arity, diff, call)
        path = os.path.join(OUT, f"{name}.py")
        with open(path, "w") as f:  # torch.jit.script needs the source in a file
            f.write(src)
        code = compile(src, path, "exec")
        exec(code, ns)
        m = torch.jit.script(ns["Bench"]())
        m.save(os.path.join(OUT, f"{name}.pt"))
        os.remove(path)
        print(f"wrote torchscript/{name}.pt")


if __name__ == "__main__":
    main(sys.argv[1:])
