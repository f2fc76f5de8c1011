"""NumPy peer for bench/anneal.ts: simulated annealing of B independent chains of a stochastic Hopfield net.

Usage: anneal_numpy.py <dir> <rounds>. <dir> holds raw little-endian arrays written by the benchmark and meta.json
({"chains": B, "units": N, "sweeps": S, "averageLast": M}): weights.f32 [N,N], initial.i8 [B,N], temps.f64 [S],
order.i32 [S,B,N] (unit visited at each step), logits.f64 [S,B,N] (logit of the core's uniforms, by unit).
Writes final.i8 [B,N] and prints one JSON line {"seconds": [...], "blas": ...}.

The algorithm, as a NumPy user would vectorise it over chains: sequential-unit Gibbs sweeps (each chain visits its own
permutation), local fields H = S·W₀ᵀ kept in float64 and updated by a rank-1 step after each unit, the unit set high iff
logit(u) < Δ/T (Δ = 2·(H_i − θ_i) for ±1 units), final state from the mean of the last M sweeps at 0.5. Same decisions
as Engram's core and engine on the same noise.
"""
import json
import os
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info


def anneal(W, initial, temps, order, logits, M):
    S_count, B, N = order.shape
    W0 = W.astype(np.float64)
    np.fill_diagonal(W0, 0.0)
    Wg = 2.0 * W0.T  # bipolar: a flip changes s_i by 2, Δ_i = 2 z_i
    S = initial.astype(np.float64)
    G = S @ Wg  # G_j = 2 Σ_i w_ji s_i
    rows = np.arange(B)
    high = np.zeros((B, N))
    for t in range(S_count):
        T = temps[t]
        o = order[t]
        lg = logits[t]
        for k in range(N):
            i = o[:, k]
            gap = G[rows, i]
            old = S[rows, i]
            with np.errstate(divide="ignore", invalid="ignore"):
                q = gap / T
            new = np.where(lg[rows, i] < q, 1.0, -1.0)
            new = np.where(np.isnan(q), old, new)
            d = new - old
            changed = np.nonzero(d)[0]
            if changed.size:
                S[changed, i[changed]] = new[changed]
                G[changed] += d[changed, None] * Wg[i[changed]]
        if t >= S_count - M:
            high += S == 1
    p = high / M
    final = np.where(p > 0.5, 1, np.where(p < 0.5, -1, S)).astype(np.int8)
    return final


def main():
    d, rounds = sys.argv[1], int(sys.argv[2])
    meta = json.load(open(os.path.join(d, "meta.json")))
    B, N, S, M = meta["chains"], meta["units"], meta["sweeps"], meta["averageLast"]
    W = np.fromfile(os.path.join(d, "weights.f32"), np.float32).reshape(N, N)
    initial = np.fromfile(os.path.join(d, "initial.i8"), np.int8).reshape(B, N)
    temps = np.fromfile(os.path.join(d, "temps.f64"), np.float64)
    order = np.fromfile(os.path.join(d, "order.i32"), np.int32).reshape(S, B, N)
    logits = np.fromfile(os.path.join(d, "logits.f64"), np.float64).reshape(S, B, N)
    seconds = []
    final = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        final = anneal(W, initial, temps, order, logits, M)
        seconds.append(time.perf_counter() - t0)
    final.tofile(os.path.join(d, "final.i8"))
    blas = [f"{x.get('internal_api')} {x.get('version')} {x.get('architecture')} threads={x.get('num_threads')}" for x in threadpool_info()]
    print(json.dumps({"seconds": seconds, "numpy": np.__version__, "blas": blas}))


if __name__ == "__main__":
    main()
