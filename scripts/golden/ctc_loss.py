"""Golden cases for CTCLoss: padded and concatenated targets, unbatched input, every reduction,
blank first and last, int32/int64 lengths, infeasible alignments with and without zero_infinity,
empty targets, T=1, and the argument errors PyTorch raises.

NOTE: PyTorch 1.13 does not check labels (out of range or equal to blank), negative lengths or
input_lengths of 0 on the CPU: it reads memory it should not, so those inputs have no golden value
here; jloss rejects the first three and follows PyTorch 2.x for input_lengths of 0 (see CTCLossTest).
"""
import torch
import torch.nn as nn
from common import case, gen, REDUCTIONS, NAN, INF


def log_probs(g, *shape):
    """log_softmax over the classes, computed in float32 (what jloss receives), widened to float64."""
    x = torch.randn(tuple(shape), generator=g, dtype=torch.float32) * 2
    return x.log_softmax(-1).double()


def labels(g, shape, classes, blank):
    """Random labels in [0, classes) other than blank."""
    lab = torch.randint(0, classes - 1, tuple(shape), generator=g, dtype=torch.int64)
    return lab + (lab >= blank).long()


def lengths(vals, dtype=torch.int64):
    return torch.tensor(vals, dtype=dtype)


def ctc(cid, opts, lp, tg, il, tl):
    return case(cid, "CTCLoss", nn.CTCLoss, opts,
                [("log_probs", lp), ("targets", tg), ("input_lengths", il), ("target_lengths", tl)], ["log_probs"])


def concat(tg, tl):
    """Padded (N, S) targets to the concatenated form."""
    return torch.cat([tg[i, :int(n)] for i, n in enumerate(tl.tolist())]) if len(tl) else tg.reshape(-1)[:0]


def cases():
    g = gen(18)
    out = []

    # a small batch with varying lengths, padded and concatenated, every reduction, blank first and last
    T, N, C, S = 7, 3, 5, 3
    for blank in (0, C - 1):
        lp = log_probs(g, T, N, C)
        tg = labels(g, (N, S), C, blank)
        il = lengths([7, 5, 6])
        tl = lengths([3, 1, 2])
        for r in REDUCTIONS:
            opts = {"blank": blank, "reduction": r}
            out.append(ctc(f"padded_b{blank}_{r}", opts, lp, tg, il, tl))
            out.append(ctc(f"concat_b{blank}_{r}", opts, lp, concat(tg, tl), il, tl))

    # int32 lengths and int32 targets; float targets (PyTorch converts them to int64)
    lp = log_probs(g, 6, 2, 4)
    tg = labels(g, (2, 3), 4, 0)
    out.append(ctc("int32_lengths", {}, lp, tg, lengths([6, 4], torch.int32), lengths([3, 2], torch.int32)))
    out.append(ctc("int32_targets", {"reduction": "sum"}, lp, tg.int(), lengths([5, 6]), lengths([2, 3])))
    out.append(ctc("int32_concat", {"reduction": "none"}, lp, concat(tg, lengths([3, 1])).int(),
                   lengths([6, 6], torch.int32), lengths([3, 1], torch.int32)))
    out.append(ctc("float_targets", {"reduction": "none"}, lp, tg.double(), lengths([6, 5]), lengths([3, 2])))

    # unbatched: (T, C) with a 1-D target (as long as its length) and 0-d lengths, or (1, S) and (1,)
    for r in REDUCTIONS:
        lp = log_probs(g, 6, 4)
        tg = labels(g, (3,), 4, 0)
        out.append(ctc(f"unbatched_{r}", {"reduction": r}, lp, tg, lengths(5), lengths(3)))
        out.append(ctc(f"unbatched_2d_{r}", {"reduction": r}, lp, tg.view(1, 3), lengths([6]), lengths([2])))

    # T = 1: only a one-label (or empty) target fits
    lp = log_probs(g, 1, 3, 4)
    for r in REDUCTIONS:
        out.append(ctc(f"t1_{r}", {"reduction": r}, lp, torch.tensor([[2], [1], [3]]), lengths([1, 1, 1]),
                       lengths([1, 0, 1])))
    out.append(ctc("t1_infeasible_zi", {"reduction": "none", "zero_infinity": True}, lp,
                   torch.tensor([[2, 3], [1, 1], [3, 2]]), lengths([1, 1, 1]), lengths([2, 0, 1])))

    # empty targets: S = 0 padded, length-0 concatenated, and a mix
    lp = log_probs(g, 5, 3, 4)
    for r in REDUCTIONS:
        out.append(ctc(f"empty_padded_{r}", {"reduction": r}, lp, torch.zeros(3, 0, dtype=torch.long),
                       lengths([5, 3, 1]), lengths([0, 0, 0])))
    out.append(ctc("empty_concat", {"reduction": "mean"}, lp, torch.zeros(0, dtype=torch.long),
                   lengths([5, 3, 1]), lengths([0, 0, 0])))
    out.append(ctc("empty_mixed", {"reduction": "none"}, lp, torch.tensor([3, 1, 1, 2]), lengths([5, 4, 2]),
                   lengths([0, 3, 1])))

    # repeated labels need a blank between copies: [1, 1, 1] needs 5 frames, [2, 2] needs 3
    lp = log_probs(g, 6, 4, 3)
    tg = torch.tensor([[1, 1, 1], [2, 2, 0], [1, 2, 1], [2, 2, 2]])
    tl = lengths([3, 2, 3, 3])
    for zi in (False, True):
        for r in REDUCTIONS:
            opts = {"reduction": r, "zero_infinity": zi}
            # feasible exactly at the limit, and one frame short
            out.append(ctc(f"repeat_edge_zi{zi}_{r}", opts, lp, tg, lengths([5, 3, 3, 5]), tl))
            out.append(ctc(f"repeat_short_zi{zi}_{r}", opts, lp, tg, lengths([4, 2, 3, 6]), tl))
    # a target longer than the input
    out.append(ctc("too_long", {"reduction": "none"}, lp, tg, lengths([2, 6, 2, 6]), tl))
    out.append(ctc("too_long_zi", {"reduction": "sum", "zero_infinity": True}, lp, tg, lengths([2, 6, 2, 6]), tl))

    # empty batch
    for r in REDUCTIONS:
        out.append(ctc(f"empty_batch_{r}", {"reduction": r}, log_probs(g, 4, 0, 3), torch.zeros(0, 2, dtype=torch.long),
                       lengths([]), lengths([])))

    # larger: T=50, N=4, C=20, S=10 with varying lengths, blank last
    T, N, C, S = 50, 4, 20, 10
    lp = log_probs(g, T, N, C)
    tg = labels(g, (N, S), C, C - 1)
    out.append(ctc("large_mean", {"blank": C - 1}, lp, tg, lengths([50, 41, 33, 47]), lengths([10, 7, 10, 1])))
    tg = labels(g, (N, S), C, 0)
    out.append(ctc("large_none_concat", {"reduction": "none"}, lp, concat(tg, lengths([4, 10, 9, 6])),
                   lengths([50, 50, 12, 30], torch.int32), lengths([4, 10, 9, 6], torch.int32)))

    # errors PyTorch raises
    lp = log_probs(g, 5, 2, 4)
    tg = torch.tensor([[1, 2, 1], [3, 3, 2]])
    il, tl = lengths([5, 4]), lengths([3, 2])
    out.append(ctc("err_blank_eq_c", {"blank": 4}, lp, tg, il, tl))
    out.append(ctc("err_blank_negative", {"blank": -1}, lp, tg, il, tl))
    out.append(ctc("err_input_length_gt_t", {}, lp, tg, lengths([6, 4]), tl))
    out.append(ctc("err_target_length_gt_s", {}, lp, tg, il, lengths([4, 2])))
    out.append(ctc("err_concat_sum", {}, lp, torch.tensor([1, 2, 1, 3, 3, 1]), il, tl))
    out.append(ctc("err_concat_sum_short", {}, lp, torch.tensor([1, 2, 1, 3]), il, tl))
    out.append(ctc("err_target_rows", {}, lp, tg[:1], il, tl))
    out.append(ctc("err_input_lengths_size", {}, lp, tg, lengths([5, 4, 3]), tl))
    out.append(ctc("err_target_lengths_size", {}, lp, tg, il, lengths([3])))
    out.append(ctc("err_input_lengths_float", {}, lp, tg, il.double(), tl))
    out.append(ctc("err_target_lengths_float", {}, lp, tg, il, tl.double()))
    out.append(ctc("err_targets_3d", {}, lp, tg.view(2, 3, 1), il, tl))
    out.append(ctc("err_targets_0d", {}, lp[:, 0], torch.tensor(1), lengths(5), lengths(1)))
    out.append(ctc("err_log_probs_4d", {}, lp.view(5, 2, 4, 1), tg, il, tl))
    out.append(ctc("err_log_probs_1d", {}, lp[:, 0, 0], tg[0], lengths(5), lengths(3)))
    out.append(ctc("err_no_time_steps", {}, torch.zeros(0, 2, 4), tg, lengths([0, 0]), lengths([0, 0])))
    out.append(ctc("err_unbatched_target_longer", {}, lp[:, 0], tg[0], lengths(5), lengths(2)))
    out.append(ctc("err_unbatched_two_lengths", {}, lp[:, 0], tg[0], lengths([5, 5]), lengths([3, 3])))
    out.append(ctc("err_batched_0d_lengths", {}, lp, tg, lengths(5), tl))
    return out


def nonfinite_cases():
    """-inf log-probabilities (a class of probability 0: on a feasible path, on every path, for the blank),
    a NaN and a +inf, with and without zero_infinity."""
    g = gen(1815)
    T, N, C, S = 5, 5, 4, 2
    lp = log_probs(g, T, N, C)
    lp[2, 0, 1] = -INF          # batch 0: one label's probability 0 at one step (other alignments remain)
    lp[:, 1, 2] = -INF          # batch 1: a label that never has probability: infeasible
    lp[:, 2, 0] = -INF          # batch 2: the blank never has probability
    lp[3, 3, 1] = NAN           # batch 3: a NaN
    lp[1, 4, 3] = INF           # batch 4: +inf
    tg = torch.tensor([[1, 2], [2, 1], [1, 3], [1, 2], [3, 1]])
    il = lengths([5, 5, 5, 5, 5])
    tl = lengths([2, 2, 2, 2, 2])
    out = []
    for zi in (False, True):
        for r in REDUCTIONS:
            out.append(ctc(f"nf_zi{zi}_{r}", {"reduction": r, "zero_infinity": zi}, lp, tg, il, tl))
    return out
