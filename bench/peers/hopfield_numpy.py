"""NumPy peer for bench/hopfield-recall.ts: batched synchronous Hopfield recall, float32.

A line-oriented server so the benchmark can interleave it with Engram in one run:
  stdin  "load <patterns.npy> <cues.npy> <max_iterations>" | "run <variant> <blas_threads>" | "dump <variant> <out.npy>" | "quit"
  stdout one JSON object per command.
Variants, as a competent NumPy user would write them:
  batch   S = sign(S @ W) over all cues until no row changes (tie h == 0 keeps the state)
  active  the same, but only rows that changed in the last update are recomputed (boolean mask)
W = Xᵀ X / N with a zero diagonal (Hebb, 1/N), X the stored ±1 patterns.
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


def step(S, W):
    H = S @ W
    return np.where(H > 0, np.float32(1), np.where(H < 0, np.float32(-1), S))


def recall_batch(cues, W, max_iterations):
    S = cues.copy()
    iterations = np.zeros(len(S), np.int32)
    for _ in range(max_iterations):
        S_new = step(S, W)
        changed = (S_new != S).any(axis=1)
        if not changed.any():
            break
        iterations += changed
        S = S_new
    return S, iterations


def recall_active(cues, W, max_iterations):
    S = cues.copy()
    iterations = np.zeros(len(S), np.int32)
    active = np.arange(len(S))
    for _ in range(max_iterations):
        S_a = S[active]
        S_new = step(S_a, W)
        changed = (S_new != S_a).any(axis=1)
        active = active[changed]
        if active.size == 0:
            break
        S[active] = S_new[changed]
        iterations[active] += 1
    return S, iterations


VARIANTS = {"batch": recall_batch, "active": recall_active}


def blas_info():
    return [
        {k: d.get(k) for k in ("internal_api", "version", "architecture", "threading_layer", "num_threads", "filepath")}
        for d in threadpool_info()
        if d.get("user_api") == "blas"
    ]


def main():
    state = {}
    out = sys.stdout
    print(json.dumps({"ready": True, "numpy": np.__version__, "blas": blas_info()}), file=out, flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        try:
            if cmd[0] == "load":
                X = np.load(cmd[1]).astype(np.float32)
                state["W"] = hebb(X)
                state["cues"] = np.load(cmd[2]).astype(np.float32)
                state["max_iterations"] = int(cmd[3])
                reply = {"ok": True, "patterns": list(X.shape), "cues": list(state["cues"].shape)}
            elif cmd[0] == "run":
                fn = VARIANTS[cmd[1]]
                with threadpool_limits(limits=int(cmd[2]), user_api="blas"):
                    t = time.perf_counter()
                    S, its = fn(state["cues"], state["W"], state["max_iterations"])
                    seconds = time.perf_counter() - t
                state["last_" + cmd[1]] = (S, its)
                reply = {"ok": True, "seconds": seconds, "iterations_sum": int(its.sum())}
            elif cmd[0] == "dump":
                S, its = state["last_" + cmd[1]]
                np.save(cmd[2], S.astype(np.int8))
                np.save(cmd[2].replace(".npy", "-iterations.npy"), its.astype(np.int32))
                reply = {"ok": True}
            else:
                reply = {"ok": False, "error": "unknown command " + cmd[0]}
        except Exception as e:  # report to the driver instead of dying silently
            reply = {"ok": False, "error": repr(e)}
        print(json.dumps(reply), file=out, flush=True)


if __name__ == "__main__":
    main()
