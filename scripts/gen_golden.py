#!/usr/bin/python3
"""Writes src/test/resources/golden/<family>.json from scripts/golden/<family>.py with real PyTorch.

Usage: /usr/bin/python3 scripts/gen_golden.py [family ...]
Needs Debian's python3-torch (apt-get install -y python3-torch python3-numpy). The output is
committed; the Java tests read it and never need PyTorch.
"""
import importlib
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "golden"))
OUT = os.path.join(HERE, "..", "src", "test", "resources", "golden")


def main(argv):
    families = argv or sorted(f[:-3] for f in os.listdir(os.path.join(HERE, "golden"))
                              if f.endswith(".py") and f != "common.py")
    os.makedirs(OUT, exist_ok=True)
    for fam in families:
        mod = importlib.import_module(fam)
        torch.manual_seed(0)
        cases = mod.cases()
        if hasattr(mod, "nonfinite_cases"):
            # NaN and +-inf inputs: PyTorch's forward and gradients there (GradientCheckTest skips them)
            cases += mod.nonfinite_cases()
        ids = [c["id"] for c in cases]
        assert len(ids) == len(set(ids)), f"{fam}: duplicate case ids"
        doc = {"family": fam, "torch": torch.__version__, "cases": cases}
        path = os.path.join(OUT, fam + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"), allow_nan=True)
        errs = sum(1 for c in cases if "error" in c)
        print(f"{fam}: {len(cases)} cases ({errs} expected errors) -> {os.path.relpath(path)}")


if __name__ == "__main__":
    main(sys.argv[1:])
