#!/usr/bin/python3
"""Writes the command line's test fixtures with real NumPy (files) and real PyTorch (expected values).

Usage: /usr/bin/python3 scripts/make_cli_fixtures.py
Needs Debian's python3-numpy and python3-torch. The output is committed; the Java tests never need
Python:

  src/test/resources/npy/          .npy files in every layout the reader must accept or reject
                                   (float64, int32, big-endian, versions 2.0 and 3.0, Fortran order,
                                   truncated, bad magic, bad header, unsupported dtypes)
  src/test/resources/cli/cases.json and cli/<case>/*.npy
                                   end-to-end cases for `jloss eval`, at least one per loss: the
                                   tensors as .npy files, the command-line words, and PyTorch's output
                                   and gradients for each reduction (or the error PyTorch raised)

Expected values are computed in float64 from the float32 values the command line reads (float64
files are rounded to float32 first, as the command line does).
"""
import json
import os
import shutil
import warnings

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.join(HERE, "..", "src", "test", "resources")
NPY = os.path.join(RES, "npy")
CLI = os.path.join(RES, "cli")

torch.set_default_dtype(torch.float64)
warnings.filterwarnings("ignore", category=UserWarning)  # PyTorch's "different size" broadcast warning


# ----------------------------------------------------------------------------------------------
# .npy format fixtures
# ----------------------------------------------------------------------------------------------

def write_format_fixtures():
    shutil.rmtree(NPY, ignore_errors=True)
    os.makedirs(NPY)
    m = np.array([[1.5, -2.25, 3.0], [0.5, 4.0, -1.0]])
    np.save(os.path.join(NPY, "f32.npy"), m.astype("<f4"))
    np.save(os.path.join(NPY, "f64.npy"), (m + 1e-9).astype("<f8"))
    np.save(os.path.join(NPY, "f32_big_endian.npy"), m.astype(">f4"))
    np.save(os.path.join(NPY, "f64_big_endian.npy"), m.astype(">f8"))
    np.save(os.path.join(NPY, "f16.npy"), m.astype("<f2"))
    ints = np.array([[0, 3, -2], [7, -1, 5]])
    np.save(os.path.join(NPY, "i64.npy"), ints.astype("<i8"))
    np.save(os.path.join(NPY, "i64_big_endian.npy"), ints.astype(">i8"))
    np.save(os.path.join(NPY, "i32.npy"), ints.astype("<i4"))
    np.save(os.path.join(NPY, "i32_big_endian.npy"), ints.astype(">i4"))
    np.save(os.path.join(NPY, "i16.npy"), ints.astype("<i2"))
    np.save(os.path.join(NPY, "i8.npy"), ints.astype("i1"))
    np.save(os.path.join(NPY, "u8.npy"), np.array([[0, 255, 7], [1, 2, 128]], dtype="u1"))
    np.save(os.path.join(NPY, "bool.npy"), np.array([[True, False, True], [False, False, True]]))
    np.save(os.path.join(NPY, "scalar_0d.npy"), np.array(2.5, dtype="<f4"))
    np.save(os.path.join(NPY, "empty.npy"), np.zeros((0, 3), dtype="<f4"))
    np.save(os.path.join(NPY, "vector.npy"), np.arange(5, dtype="<f4"))
    with open(os.path.join(NPY, "v2.npy"), "wb") as f:
        np.lib.format.write_array(f, m.astype("<f4"), version=(2, 0))
    with open(os.path.join(NPY, "v3.npy"), "wb") as f:
        np.lib.format.write_array(f, m.astype("<f4"), version=(3, 0))
    np.save(os.path.join(NPY, "fortran.npy"), np.asfortranarray(m.astype("<f4")))
    np.save(os.path.join(NPY, "complex.npy"), m.astype("<c8"))
    np.save(os.path.join(NPY, "structured.npy"), np.zeros(3, dtype=[("a", "<f4"), ("b", "<i4")]))
    np.save(os.path.join(NPY, "uint64.npy"), np.arange(3, dtype="<u8"))
    whole = open(os.path.join(NPY, "f32.npy"), "rb").read()
    with open(os.path.join(NPY, "truncated.npy"), "wb") as f:
        f.write(whole[:-5])
    with open(os.path.join(NPY, "truncated_header.npy"), "wb") as f:
        f.write(whole[:40])
    with open(os.path.join(NPY, "bad_magic.npy"), "wb") as f:
        f.write(b"PK\x03\x04 this is a zip file, not an array")
    with open(os.path.join(NPY, "bad_version.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x04\x00" + whole[8:])
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3 }"
    header += " " * (64 - 10 - len(header) - 1) + "\n"
    with open(os.path.join(NPY, "bad_header.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 24)
    header = "{'descr': '<f4', 'fortran_order': False, }"
    header += " " * (64 - 10 - len(header) - 1) + "\n"
    with open(os.path.join(NPY, "no_shape.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
    # a fourth key: NumPy's reader refuses it ("Header does not contain the correct keys")
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }"
    header += " " * (128 - 10 - len(header) - 1) + "\n"
    with open(os.path.join(NPY, "extra_key.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 8)
    print(f"npy fixtures: {len(os.listdir(NPY))} files -> {os.path.relpath(NPY)}")


# ----------------------------------------------------------------------------------------------
# end-to-end cases
# ----------------------------------------------------------------------------------------------

RNG = np.random.default_rng(20240501)


def f32(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, size=shape).astype(np.float32)


def signs(*shape):
    return np.where(RNG.uniform(size=shape) < 0.5, -1.0, 1.0).astype(np.float32)


def ints(lo, hi, *shape, dtype=np.int64):
    return RNG.integers(lo, hi, size=shape).astype(dtype)


def log_softmax(*shape, axis=-1):
    x = torch.from_numpy(f32(*shape)).double()
    return x.log_softmax(axis).float().numpy()


# The arguments that take class indices or lengths: an integer file stays integer there (int64);
# everywhere else the command line converts integers and booleans to float32.
INDEX_ARGS = {"NLLLoss": {"target"}, "CrossEntropyLoss": {"target"}, "MultiMarginLoss": {"target"},
              "MultiLabelMarginLoss": {"target"}, "CTCLoss": {"targets", "input_lengths", "target_lengths"}}


def to_torch(a, index=False):
    """What the command line hands the loss: float32 values, or int64 indices."""
    a = np.asarray(a)
    if a.dtype.kind == "f" or not index:
        return torch.from_numpy(a.astype(np.float32).astype(np.float64))
    return torch.from_numpy(a.astype(np.int64))


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


CASES = []


def case(cid, loss, tensors, diff, options=None, option_files=None, torch_options=None, reductions=None,
         make=None):
    """One end-to-end case.

    tensors       list of (name, numpy array) in forward() order; saved with their dtype and byte order
    diff          the names PyTorch differentiates (jloss's differentiableArguments)
    options       command-line options {"ignore-index": "1"} (string values as typed)
    option_files  tensor options {"weight": array} passed as --weight FILE.npy
    torch_options the same options for PyTorch's constructor
    reductions    the reductions to record (default mean, sum, none)
    make          callable(**kwargs) building the PyTorch module (default nn.<loss>)
    """
    options = options or {}
    option_files = option_files or {}
    torch_options = dict(torch_options or {})
    reductions = reductions or ["mean", "sum", "none"]
    make = make or getattr(nn, loss)
    folder = os.path.join(CLI, cid)
    os.makedirs(folder)
    argv = []
    for name, arr in tensors:
        np.save(os.path.join(folder, name + ".npy"), arr)
        argv.append(f"{name}=@{name}.npy")
    for k, v in options.items():
        argv += ["--" + k, v]
    for k, arr in option_files.items():
        np.save(os.path.join(folder, "opt_" + k.replace("-", "_") + ".npy"), arr)
        argv += ["--" + k, "@opt_" + k.replace("-", "_") + ".npy"]
        torch_options[k.replace("-", "_")] = to_torch(arr)
    rec = {"id": cid, "loss": loss, "argv": argv, "diff": diff, "results": {}}
    for r in reductions:
        args = []
        leaves = {}
        for name, arr in tensors:
            t = to_torch(arr, name in INDEX_ARGS.get(loss, ()))
            if name in diff:
                t = t.clone().requires_grad_(True)
                leaves[name] = t
            args.append(t)
        try:
            out = make(reduction=r, **torch_options)(*args)
        except Exception as e:  # PyTorch rejects it: so must the command line
            rec["results"][r] = {"error": f"{type(e).__name__}: {e}"}
            continue
        res = {"output": enc(out)}
        if diff:
            grads = torch.autograd.grad(out.sum(), [leaves[n] for n in diff], allow_unused=True)
            res["grads"] = {n: enc(g if g is not None else torch.zeros_like(leaves[n])) for n, g in zip(diff, grads)}
        rec["results"][r] = res
    CASES.append(rec)


def pointwise_cases():
    case("l1_f64_target", "L1Loss", [("input", f32(5, 3)), ("target", f32(5, 3).astype(np.float64))], ["input"])
    case("l1_broadcast_input", "L1Loss", [("input", f32(1, 3)), ("target", f32(6, 3))], ["input"])
    case("mse_big_endian_int_target", "MSELoss",
         [("input", f32(5, 4).astype(">f4")), ("target", ints(-2, 3, 5, 4, dtype=np.int32))], ["input"])
    case("mse_1d_scalar_target", "MSELoss", [("input", f32(7)), ("target", np.array(0.5, dtype=np.float32))],
         ["input"])
    case("mse_seed_article", "MSELoss",
         [("input", np.array([[2, 0, 3], [3, 0, 1]], dtype=np.float32)),
          ("target", np.array([[2, 0, 0], [0, 3, 0]], dtype=np.float32))], ["input"])
    case("mse_empty_batch", "MSELoss", [("input", f32(0, 3)), ("target", f32(0, 3))], ["input"])
    case("smooth_l1_beta", "SmoothL1Loss", [("input", f32(6, 3)), ("target", f32(6, 3))], ["input"],
         options={"beta": "0.5"}, torch_options={"beta": 0.5})
    case("huber_delta", "HuberLoss", [("input", f32(6, 3)), ("target", f32(6, 3))], ["input"],
         options={"delta": "0.7"}, torch_options={"delta": 0.7})
    case("soft_margin", "SoftMarginLoss", [("input", f32(5, 3)), ("target", signs(5, 3))], ["input"])
    probs = RNG.uniform(0.05, 0.95, size=(6, 3)).astype(np.float32)
    case("bce_row_weight", "BCELoss", [("input", probs), ("target", RNG.uniform(size=(6, 3)).astype(np.float32))],
         ["input"], option_files={"weight": f32(6, 1, lo=0.2, hi=2.0)})
    case("bce_class_weight_bool_target", "BCELoss",
         [("input", probs), ("target", RNG.uniform(size=(6, 3)) < 0.5)], ["input"],
         option_files={"weight": f32(3, lo=0.2, hi=2.0)})
    case("bce_logits_pos_weight", "BCEWithLogitsLoss", [("input", f32(5, 4)), ("target", f32(5, 4, lo=0, hi=1))],
         ["input"], option_files={"pos-weight": f32(4, lo=0.5, hi=3.0), "weight": f32(5, 4, lo=0.1, hi=1.5)})
    case("kl_div", "KLDivLoss", [("input", log_softmax(4, 3)), ("target", f32(4, 3, lo=0.01, hi=1))], ["input"],
         reductions=["mean", "sum", "none", "batchmean"])
    case("kl_div_log_target", "KLDivLoss", [("input", log_softmax(5, 3)), ("target", log_softmax(5, 3))],
         ["input"], options={"log-target": "true"}, torch_options={"log_target": True},
         reductions=["mean", "sum", "none", "batchmean"])
    case("kl_div_seed_article", "KLDivLoss",
         [("input", np.array([[0.1132, 0.5477, 0.3390], [0.1132, 0.5477, 0.3390]], dtype=np.float32)),
          ("target", np.array([[0.8541, 0.0511, 0.0947], [0.1132, 0.5477, 0.3390]], dtype=np.float32))],
         ["input"], reductions=["mean", "sum", "none", "batchmean"])
    case("poisson_nll", "PoissonNLLLoss", [("log_input", f32(5, 3)), ("target", f32(5, 3, lo=0, hi=4))],
         ["log_input"])
    case("poisson_nll_full", "PoissonNLLLoss",
         [("log_input", f32(5, 3, lo=0.1, hi=3)), ("target", f32(5, 3, lo=0, hi=4))], ["log_input"],
         options={"log-input": "false", "full": "true", "eps": "1e-6"},
         torch_options={"log_input": False, "full": True, "eps": 1e-6})
    case("gaussian_nll_var_per_row", "GaussianNLLLoss",
         [("input", f32(6, 3)), ("target", f32(6, 3)), ("var", f32(6, lo=0.1, hi=2))], ["input", "var"],
         options={"full": "true"}, torch_options={"full": True})
    case("gaussian_nll_full_var", "GaussianNLLLoss",
         [("input", f32(5, 2)), ("target", f32(5, 2)), ("var", f32(5, 2, lo=0.1, hi=2))], ["input", "var"],
         options={"eps": "0.01"}, torch_options={"eps": 0.01})
    case("margin_ranking", "MarginRankingLoss",
         [("input1", f32(7)), ("input2", f32(7)), ("target", signs(7).astype(np.int8))], ["input1", "input2"],
         options={"margin": "0.3"}, torch_options={"margin": 0.3})
    case("hinge_embedding", "HingeEmbeddingLoss", [("input", f32(5, 3)), ("target", signs(5, 3))], ["input"],
         options={"margin": "0.5"}, torch_options={"margin": 0.5})


def class_cases():
    case("ce_weight_ignore", "CrossEntropyLoss", [("input", f32(7, 4)), ("target", ints(0, 4, 7))], ["input"],
         options={"ignore-index": "1"}, option_files={"weight": f32(4, lo=0.2, hi=2)},
         torch_options={"ignore_index": 1})
    tgt = ints(0, 3, 8, dtype=np.int32)
    tgt[[1, 4]] = 2
    case("ce_smoothing_ignore", "CrossEntropyLoss", [("input", f32(8, 3)), ("target", tgt)], ["input"],
         options={"label-smoothing": "0.2", "ignore-index": "2"},
         torch_options={"label_smoothing": 0.2, "ignore_index": 2})
    case("ce_smoothing_weight_ignore", "CrossEntropyLoss", [("input", f32(8, 3)), ("target", tgt)], ["input"],
         options={"label-smoothing": "0.1", "ignore-index": "0"}, option_files={"weight": f32(3, lo=0.2, hi=2)},
         torch_options={"label_smoothing": 0.1, "ignore_index": 0})
    p = RNG.uniform(size=(5, 3)).astype(np.float32)
    case("ce_probabilities", "CrossEntropyLoss", [("input", f32(5, 3)), ("target", p / p.sum(1, keepdims=True))],
         ["input"], options={"label-smoothing": "0.1"}, torch_options={"label_smoothing": 0.1})
    case("ce_kdim", "CrossEntropyLoss", [("input", f32(3, 4, 2, 2)), ("target", ints(0, 4, 3, 2, 2))], ["input"])
    case("ce_unbatched", "CrossEntropyLoss", [("input", f32(4)), ("target", np.array(2, dtype=np.int64))],
         ["input"])
    case("ce_seed_article_weight", "CrossEntropyLoss",
         [("input", np.full((2, 3), 0.5, dtype=np.float32)), ("target", np.array([0, 1]))], ["input"],
         option_files={"weight": np.array([0.6, 0.2, 0.2], dtype=np.float32)})
    case("ce_target_out_of_range", "CrossEntropyLoss", [("input", f32(4, 3)), ("target", np.array([0, 1, 3, 2]))],
         ["input"], reductions=["mean"])
    case("nll_seed_article_weight", "NLLLoss",
         [("input", np.array([[0.6, 0.2, 0.2], [0.4, 1.2, 0.4]], dtype=np.float32)), ("target", np.array([0, 1]))],
         ["input"], option_files={"weight": np.array([0.6, 0.2, 0.2], dtype=np.float32)})
    tgt = ints(0, 3, 4, 2, 3)
    tgt[0, 0, 0] = -1
    tgt[2, 1, 2] = -1
    case("nll_kdim_ignore", "NLLLoss", [("input", log_softmax(4, 3, 2, 3, axis=1)), ("target", tgt)], ["input"],
         options={"ignore-index": "-1"}, option_files={"weight": f32(3, lo=0.2, hi=2)},
         torch_options={"ignore_index": -1})
    case("nll_all_ignored", "NLLLoss", [("input", log_softmax(3, 4)), ("target", np.array([-100, -100, -100]))],
         ["input"])
    case("nll_target_shape_mismatch", "NLLLoss", [("input", log_softmax(4, 3)), ("target", np.array([0, 1, 2]))],
         ["input"], reductions=["mean"])
    case("multi_margin_seed_article", "MultiMarginLoss",
         [("input", np.array([[0.1, 0.2, 0.4, 0.8]], dtype=np.float32)), ("target", np.array([3]))], ["input"])
    case("multi_margin_p2_weight", "MultiMarginLoss", [("input", f32(6, 4)), ("target", ints(0, 4, 6, dtype=np.int32))],
         ["input"], options={"p": "2", "margin": "0.5"}, option_files={"weight": f32(4, lo=0.2, hi=2)},
         torch_options={"p": 2, "margin": 0.5})
    case("multilabel_margin_seed_article", "MultiLabelMarginLoss",
         [("input", np.array([[0.1, 0.2, 0.4, 0.8]], dtype=np.float32)), ("target", np.array([[3, 0, -1, 1]]))],
         ["input"])
    t = np.full((5, 4), -1, dtype=np.int32)
    for i in range(5):
        k = RNG.integers(0, 4)
        t[i, :k] = RNG.permutation(4)[:k]
    case("multilabel_margin_padded", "MultiLabelMarginLoss", [("input", f32(5, 4)), ("target", t)], ["input"])
    case("multilabel_soft_margin_weight", "MultiLabelSoftMarginLoss",
         [("input", f32(5, 4)), ("target", RNG.uniform(size=(5, 4)) < 0.4)], ["input"],
         option_files={"weight": f32(4, lo=0.2, hi=2)})


def pairwise_cases():
    case("cosine_embedding", "CosineEmbeddingLoss",
         [("input1", f32(6, 4)), ("input2", f32(6, 4)), ("target", signs(6))], ["input1", "input2"],
         options={"margin": "0.2"}, torch_options={"margin": 0.2})
    case("cosine_embedding_broadcast_row", "CosineEmbeddingLoss",
         [("input1", f32(1, 4)), ("input2", f32(5, 4)), ("target", signs(5))], ["input1", "input2"])
    case("triplet_margin", "TripletMarginLoss",
         [("anchor", f32(6, 5)), ("positive", f32(6, 5)), ("negative", f32(6, 5))],
         ["anchor", "positive", "negative"], options={"margin": "0.5", "p": "1", "swap": "true"},
         torch_options={"margin": 0.5, "p": 1.0, "swap": True})
    case("triplet_margin_with_distance", "TripletMarginWithDistanceLoss",
         [("anchor", f32(5, 3)), ("positive", f32(5, 3)), ("negative", f32(5, 3))],
         ["anchor", "positive", "negative"], options={"margin": "0.7", "swap": "true"},
         torch_options={"margin": 0.7, "swap": True})


def ctc_cases():
    T, N, C, S = 8, 4, 5, 3
    lengths = np.array([3, 2, 0, 3])
    targets = ints(1, C, N, S)
    case("ctc_padded", "CTCLoss",
         [("log_probs", log_softmax(T, N, C)), ("targets", targets), ("input_lengths", np.array([8, 7, 5, 8])),
          ("target_lengths", lengths)], ["log_probs"])
    flat = np.concatenate([targets[i, :lengths[i]] for i in range(N)]).astype(np.int32)
    case("ctc_concatenated_int32", "CTCLoss",
         [("log_probs", log_softmax(T, N, C)), ("targets", flat),
          ("input_lengths", np.array([8, 7, 5, 8], dtype=np.int32)), ("target_lengths", lengths.astype(np.int32))],
         ["log_probs"], options={"blank": "0"}, torch_options={"blank": 0})
    # sample 1 cannot be aligned (3 labels with a repeat need 4 frames, it has 2): +inf, zeroed
    case("ctc_zero_infinity", "CTCLoss",
         [("log_probs", log_softmax(6, 3, 4)), ("targets", np.array([[1, 2, 1], [2, 2, 3], [3, 1, 0]])),
          ("input_lengths", np.array([6, 2, 5])), ("target_lengths", np.array([3, 3, 2]))], ["log_probs"],
         options={"zero-infinity": "true"}, torch_options={"zero_infinity": True})
    case("ctc_unbatched", "CTCLoss",
         [("log_probs", log_softmax(6, 4)), ("targets", np.array([1, 3, 3])), ("input_lengths", np.array(6)),
          ("target_lengths", np.array(3))], ["log_probs"])
    case("ctc_lengths_sum_mismatch", "CTCLoss",
         [("log_probs", log_softmax(T, N, C)), ("targets", flat[:-1]), ("input_lengths", np.array([8, 7, 5, 8])),
          ("target_lengths", lengths)], ["log_probs"], reductions=["mean"])


def main():
    write_format_fixtures()
    shutil.rmtree(CLI, ignore_errors=True)
    os.makedirs(CLI)
    pointwise_cases()
    class_cases()
    pairwise_cases()
    ctc_cases()
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    doc = {"torch": torch.__version__, "numpy": np.__version__, "cases": CASES}
    with open(os.path.join(CLI, "cases.json"), "w") as f:
        json.dump(doc, f, indent=1, allow_nan=True)
    errors = sum(1 for c in CASES for r in c["results"].values() if "error" in r)
    losses = sorted({c["loss"] for c in CASES})
    print(f"cli cases: {len(CASES)} over {len(losses)} losses ({errors} expected errors) -> {os.path.relpath(CLI)}")


if __name__ == "__main__":
    main()
