"""NumPy peer for bench/hopfield-recall.ts: batched synchronous Hopfield recall, float32.

A line-oriented server so the benchmark can interleave it with Engram in one run:
  stdin  "load <workload> <patterns.npy> <cues.npy> <max_iterations> [<weights.npy>]"
         | "run <workload> <variant> <blas_threads>" | "dump <workload> <variant> <out.npy>" | "quit"
  stdout one JSON object per command.
Without a weights file the workload is Hebb, W = Xᵀ X / N with a zero diagonal (X the stored ±1 patterns);
with one, W is read from it (e.g. Storkey weights made by Engram's core).
Variants, as a competent NumPy user would write them:
  batch   S = sign(S @ W) over all cues until no row changes (tie h == 0 keeps the state)
  active  the same, but only rows that changed in the last update are recomputed (boolean mask)
  rank    Hebb only, the user who knows W's rank: H = (S @ Xᵀ) @ X − P·S (N·h, exact integers in float32),
          active rows as above
The OpenBLAS kernel is chosen by the caller's environment (OPENBLAS_CORETYPE) when the process starts;
the BLAS threads per run through threadpoolctl.
"""
import json
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits


def hebb(X):
    n = X.shape[1]
    W = (X.T @ X) / np.float32(n)
    np.fill_diagonal(W, 0.0)
    return W.astype(np.float32)


def update(S, H):
    return np.where(H > 0, np.float32(1), np.where(H < 0, np.float32(-1), S))


def recall_batch(data, max_iterations):
    W = data["W"]
    S = data["cues"].copy()
    iterations = np.zeros(len(S), np.int32)
    for _ in range(max_iterations):
        S_new = update(S, S @ W)
        changed = (S_new != S).any(axis=1)
        if not changed.any():
            break
        iterations += changed
        S = S_new
    return S, iterations


def recall_active_with(net_input, cues, max_iterations):
    S = cues.copy()
    iterations = np.zeros(len(S), np.int32)
    active = np.arange(len(S))
    for _ in range(max_iterations):
        S_a = S[active]
        S_new = update(S_a, net_input(S_a))
        changed = (S_new != S_a).any(axis=1)
        active = active[changed]
        if active.size == 0:
            break
        S[active] = S_new[changed]
        iterations[active] += 1
    return S, iterations


def recall_active(data, max_iterations):
    W = data["W"]
    return recall_active_with(lambda S: S @ W, data["cues"], max_iterations)


def recall_rank(data, max_iterations):
    X = data["X"]
    if X is None:
        raise ValueError("the rank variant needs Hebb weights (no weights file)")
    XT = np.ascontiguousarray(X.T)
    p = np.float32(X.shape[0])

    def net_input(S):
        H = (S @ XT) @ X
        H -= p * S
        return H

    return recall_active_with(net_input, data["cues"], max_iterations)


VARIANTS = {"batch": recall_batch, "active": recall_active, "rank": recall_rank}


def blas_info():
    return [
        {k: d.get(k) for k in ("internal_api", "version", "architecture", "threading_layer", "num_threads", "filepath")}
        for d in threadpool_info()
        if d.get("user_api") == "blas"
    ]


def main():
    workloads = {}
    last = {}
    out = sys.stdout
    np.ones((4, 4), np.float32) @ np.ones((4, 4), np.float32)  # load the BLAS so threadpoolctl sees it
    print(json.dumps({"ready": True, "numpy": np.__version__, "blas": blas_info()}), file=out, flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        try:
            if cmd[0] == "load":
                X = np.load(cmd[2]).astype(np.float32)
                data = {"cues": np.load(cmd[3]).astype(np.float32), "max_iterations": int(cmd[4])}
                if len(cmd) > 5:
                    data["W"] = np.ascontiguousarray(np.load(cmd[5]).astype(np.float32))
                    data["X"] = None
                else:
                    data["W"] = hebb(X)
                    data["X"] = X
                workloads[cmd[1]] = data
                reply = {"ok": True, "patterns": list(X.shape), "cues": list(data["cues"].shape)}
            elif cmd[0] == "run":
                data = workloads[cmd[1]]
                fn = VARIANTS[cmd[2]]
                with threadpool_limits(limits=int(cmd[3]), user_api="blas"):
                    t = time.perf_counter()
                    S, its = fn(data, data["max_iterations"])
                    seconds = time.perf_counter() - t
                last[(cmd[1], cmd[2])] = (S, its)
                reply = {"ok": True, "seconds": seconds, "iterations_sum": int(its.sum())}
            elif cmd[0] == "dump":
                S, its = last[(cmd[1], cmd[2])]
                np.save(cmd[3], S.astype(np.int8))
                np.save(cmd[3].replace(".npy", "-iterations.npy"), its.astype(np.int32))
                reply = {"ok": True}
            else:
                reply = {"ok": False, "error": "unknown command " + cmd[0]}
        except Exception as e:  # report to the driver instead of dying silently
            reply = {"ok": False, "error": repr(e)}
        print(json.dumps(reply), file=out, flush=True)


if __name__ == "__main__":
    main()
