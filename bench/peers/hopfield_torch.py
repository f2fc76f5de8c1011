"""PyTorch (CPU) peer for bench/hopfield-recall.ts: batched synchronous Hopfield recall, float32.

Same line protocol and variants as hopfield_numpy.py, with one more argument to "run":
  "run <variant> <blas_threads> <torch_threads>"
torch.set_num_threads sets the intra-op (OpenMP) threads; the BLAS threads of the OpenBLAS that
Debian's torch calls for matmul are set through threadpoolctl (PEERS.md: both at 2 thrash).
"""
import json
import sys
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits


def hebb(X):
    n = X.shape[1]
    W = (X.T @ X) / n
    W.fill_diagonal_(0.0)
    return W.contiguous()


def step(S, W):
    H = S @ W
    return torch.where(H > 0, 1.0, torch.where(H < 0, -1.0, S))


@torch.inference_mode()
def recall_batch(cues, W, max_iterations):
    S = cues.clone()
    iterations = torch.zeros(len(S), dtype=torch.int32)
    for _ in range(max_iterations):
        S_new = step(S, W)
        changed = (S_new != S).any(dim=1)
        if not bool(changed.any()):
            break
        iterations += changed
        S = S_new
    return S, iterations


@torch.inference_mode()
def recall_active(cues, W, max_iterations):
    S = cues.clone()
    iterations = torch.zeros(len(S), dtype=torch.int32)
    active = torch.arange(len(S))
    for _ in range(max_iterations):
        S_a = S[active]
        S_new = step(S_a, W)
        changed = (S_new != S_a).any(dim=1)
        active = active[changed]
        if active.numel() == 0:
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
    # The BLAS torch uses for float32 matmul is whatever libblas.so.3 resolves to; threadpoolctl names it.
    torch.ones(4, 4) @ torch.ones(4, 4)
    config = [line.strip() for line in torch.__config__.show().splitlines() if "BLAS" in line or "CPU capability" in line]
    print(json.dumps({"ready": True, "torch": torch.__version__, "blas": blas_info(), "config": config}), file=out, flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        try:
            if cmd[0] == "load":
                X = torch.from_numpy(np.load(cmd[1]).astype(np.float32))
                state["W"] = hebb(X)
                state["cues"] = torch.from_numpy(np.load(cmd[2]).astype(np.float32))
                state["max_iterations"] = int(cmd[3])
                reply = {"ok": True, "patterns": list(X.shape), "cues": list(state["cues"].shape)}
            elif cmd[0] == "run":
                fn = VARIANTS[cmd[1]]
                torch.set_num_threads(int(cmd[3]))
                with threadpool_limits(limits=int(cmd[2]), user_api="blas"):
                    t = time.perf_counter()
                    S, its = fn(state["cues"], state["W"], state["max_iterations"])
                    seconds = time.perf_counter() - t
                state["last_" + cmd[1]] = (S, its)
                reply = {"ok": True, "seconds": seconds, "iterations_sum": int(its.sum())}
            elif cmd[0] == "dump":
                S, its = state["last_" + cmd[1]]
                np.save(cmd[2], S.numpy().astype(np.int8))
                np.save(cmd[2].replace(".npy", "-iterations.npy"), its.numpy().astype(np.int32))
                reply = {"ok": True}
            else:
                reply = {"ok": False, "error": "unknown command " + cmd[0]}
        except Exception as e:
            reply = {"ok": False, "error": repr(e)}
        print(json.dumps(reply), file=out, flush=True)


if __name__ == "__main__":
    main()
