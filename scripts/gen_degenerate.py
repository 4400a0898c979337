#!/usr/bin/python3
"""Writes src/test/resources/degenerate/<family>.json from degenerate_cases() of scripts/golden/<family>.py.

Degenerate cases are PyTorch results at points where a finite difference at GradientCheckTest's step
cannot check the gradient (e.g. vectors whose norm is below an eps guard: the gradient is PyTorch's,
but it varies on a scale far below the step). They are compared with PyTorch exactly like golden
cases, by dev.jloss.DegenerateCasesTest, but stay out of golden/, which GradientCheckTest differences.

Usage: /usr/bin/python3 scripts/gen_degenerate.py [family ...]
"""
import importlib
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "golden"))
OUT = os.path.join(HERE, "..", "src", "test", "resources", "degenerate")


def main(argv):
    families = argv or sorted(f[:-3] for f in os.listdir(os.path.join(HERE, "golden"))
                              if f.endswith(".py") and f != "common.py")
    os.makedirs(OUT, exist_ok=True)
    for fam in families:
        mod = importlib.import_module(fam)
        if not hasattr(mod, "degenerate_cases"):
            continue
        torch.manual_seed(0)
        cases = mod.degenerate_cases()
        ids = [c["id"] for c in cases]
        assert len(ids) == len(set(ids)), f"{fam}: duplicate case ids"
        doc = {"family": fam, "torch": torch.__version__, "cases": cases}
        path = os.path.join(OUT, fam + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"), allow_nan=True)
        print(f"{fam}: {len(cases)} degenerate cases -> {os.path.relpath(path)}")


if __name__ == "__main__":
    main(sys.argv[1:])
