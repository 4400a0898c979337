#!/usr/bin/env python3
"""PyTorch CUDA timings beside gpu-check's jloss ones: same losses, same sizes (n = 1e8 floats)."""
import time
import torch
import torch.nn.functional as F

n = 100_000_000
x = torch.randn(n, device="cuda")
y = torch.randn(n, device="cuda")
dst = torch.empty_like(x)
torch.cuda.synchronize()
t = time.perf_counter()
for _ in range(20):
    dst.copy_(x)
torch.cuda.synchronize()
copy = (time.perf_counter() - t) / 20
print(f"== torch device copy n=1e8: {copy*1e3:.3f} ms ({8*n/copy/1e9:.0f} GB/s read+write)")
for name, fn in [("MSELoss", F.mse_loss), ("L1Loss", F.l1_loss), ("SmoothL1Loss", F.smooth_l1_loss),
                 ("BCEWithLogitsLoss", F.binary_cross_entropy_with_logits)]:
    fn(x, y)
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(20):
        fn(x, y)
    torch.cuda.synchronize()
    fwd = (time.perf_counter() - t) / 20
    xg = x.clone().requires_grad_(True)
    t = time.perf_counter()
    for _ in range(20):
        l = fn(xg, y)
        l.backward()
    torch.cuda.synchronize()
    fused = (time.perf_counter() - t) / 20
    print(f"== torch {name:18s} n=1e8 forward {fwd*1e3:.3f} ms  forward+backward {fused*1e3:.3f} ms")
logits = torch.randn(4096, 32000, device="cuda")
labels = torch.randint(0, 32000, (4096,), device="cuda")
F.cross_entropy(logits, labels)
torch.cuda.synchronize()
t = time.perf_counter()
for _ in range(20):
    F.cross_entropy(logits, labels)
torch.cuda.synchronize()
print(f"== torch cross_entropy 4096x32000 forward {(time.perf_counter()-t)/20*1e3:.3f} ms")
