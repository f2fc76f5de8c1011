"""NumPy peer for bench/boltzmann.ts: sampled clamped/free statistics of a binary Boltzmann machine (seeds/004).

Usage: boltzmann_numpy.py <dir> <rounds>. <dir> holds raw little-endian arrays written by the benchmark and meta.json
({"chains": C, "units": N, "sweeps": S}): weights.f64 [N,N] (symmetric, zero diagonal), thresholds.f64 [N] (θ = −b),
initial.i8 [C,N], clamp.u8 [C,N] (1 = held: the visible units of a clamped-phase chain), phase.u8 [C] (0 clamped,
1 free), weight.f64 [C] (1/(P·K) or 1/M), order.i32 [S,C,N] (unit visited at each step), logits.f64 [S,C,N] (logit
of the core's uniforms, by unit). Writes clamped_corr.f64 [N,N], clamped_mean.f64 [N], free_corr.f64, free_mean.f64
and prints one JSON line {"seconds": [...], "numpy": ..., "blas": ...}.

The algorithm, as a NumPy user would vectorise it over chains: S sequential-unit Gibbs sweeps of all C chains at T = 1
(each chain visits its own permutation), local fields G = S·Wᵀ kept in float64 and updated by a rank-1 step after each
unit for the chains whose unit changed, unit i set high iff logit(u_i) < Δ_i (Δ_i = G_i − θ_i for 0/1 units), clamped
units never change; then ⟨s_i s_j⟩ = Σ_c w_c s_c s_cᵀ and ⟨s_i⟩ = Σ_c w_c s_c per phase (two GEMMs). Same decisions as
Engram's core and engine on the same draws.
"""
import json
import os
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info


def statistics(W, theta, initial, clamp, phase, weight, order, logits):
    S_count, C, N = order.shape
    WT = np.ascontiguousarray(W.T)
    S = initial.astype(np.float64)
    G = S @ WT
    held = clamp.astype(bool)
    rows = np.arange(C)
    for t in range(S_count):
        o = order[t]
        lg = logits[t]
        for k in range(N):
            i = o[:, k]
            gap = G[rows, i] - theta[i]
            old = S[rows, i]
            new = np.where(lg[rows, i] < gap, 1.0, 0.0)
            new = np.where(held[rows, i], old, new)
            d = new - old
            changed = np.nonzero(d)[0]
            if changed.size:
                S[changed, i[changed]] = new[changed]
                G[changed] += d[changed, None] * WT[i[changed]]
    out = {}
    for name, p in (("clamped", 0), ("free", 1)):
        sel = phase == p
        X = S[sel]
        w = weight[sel]
        out[name + "_corr"] = (X * w[:, None]).T @ X
        out[name + "_mean"] = w @ X
    return out


def main():
    d, rounds = sys.argv[1], int(sys.argv[2])
    meta = json.load(open(os.path.join(d, "meta.json")))
    C, N, S = meta["chains"], meta["units"], meta["sweeps"]
    W = np.fromfile(os.path.join(d, "weights.f64"), np.float64).reshape(N, N)
    theta = np.fromfile(os.path.join(d, "thresholds.f64"), np.float64)
    initial = np.fromfile(os.path.join(d, "initial.i8"), np.int8).reshape(C, N)
    clamp = np.fromfile(os.path.join(d, "clamp.u8"), np.uint8).reshape(C, N)
    phase = np.fromfile(os.path.join(d, "phase.u8"), np.uint8)
    weight = np.fromfile(os.path.join(d, "weight.f64"), np.float64)
    order = np.fromfile(os.path.join(d, "order.i32"), np.int32).reshape(S, C, N)
    logits = np.fromfile(os.path.join(d, "logits.f64"), np.float64).reshape(S, C, N)
    seconds = []
    out = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = statistics(W, theta, initial, clamp, phase, weight, order, logits)
        seconds.append(time.perf_counter() - t0)
    for name, a in out.items():
        np.ascontiguousarray(a, dtype=np.float64).tofile(os.path.join(d, name + ".f64"))
    blas = [f"{x.get('internal_api')} {x.get('version')} {x.get('architecture')} threads={x.get('num_threads')}" for x in threadpool_info()]
    print(json.dumps({"seconds": seconds, "numpy": np.__version__, "blas": blas}))


if __name__ == "__main__":
    main()
