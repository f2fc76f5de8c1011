#!/usr/bin/python3
"""Independent reference numbers for Engram's modern Hopfield, attention and dense-AM core (tests/core/modern-fixture.test.ts).

Written with NumPy and PyTorch 1.13 the way a user would: torch.softmax / torch.logsumexp for the modern Hopfield
update and energy (Ramsauer et al. 2020, eq. 2-3), torch.nn.MultiheadAttention (one head, no bias, identity output
projection) for the attention head, and full energy recomputation in NumPy for dense associative memories
(Krotov & Hopfield 2016). Float64 throughout. Sizes are deliberately not powers of two.

Usage: /usr/bin/python3 scripts/modern-hopfield-fixture.py [out_dir]   (default tests/fixtures/modern)
"""
import json
import math
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def lst(a):
    return np.asarray(a, dtype=np.float64).reshape(-1).tolist()


def modern_case(rng, count, dim, betas, n_states, eps, max_steps):
    X = rng.normal(size=(count, dim))  # rows are stored patterns
    states = rng.normal(size=(n_states, dim)) * 0.7 + X[:n_states] * 0.6
    Xt = torch.tensor(X)
    out = {"count": count, "dim": dim, "patterns": lst(X), "states": lst(states), "epsilon": eps, "maxSteps": max_steps, "betas": []}
    M = float(torch.linalg.norm(Xt, dim=1).max())
    for beta in betas:
        rows = []
        for s in states:
            xi = torch.tensor(s)
            z = Xt @ xi
            p = torch.softmax(beta * z, dim=0)
            new = Xt.T @ p
            E = float(-torch.logsumexp(beta * z, dim=0) / beta + 0.5 * xi @ xi + math.log(count) / beta + 0.5 * M * M)
            # iterate until the state moves less than eps (hopfield-layers' rule), at most max_steps updates
            cur = xi.clone()
            steps = 0
            while steps < max_steps:
                nxt = Xt.T @ torch.softmax(beta * (Xt @ cur), dim=0)
                move = float(torch.linalg.norm(nxt - cur))
                cur = nxt
                steps += 1
                if move < eps:
                    break
            rows.append({"weights": lst(p), "update": lst(new), "energy": E, "fixedPoint": lst(cur), "steps": steps})
        out["betas"].append({"beta": beta, "rows": rows})
    return out


def attention_case(rng, s_len, t_len, e, kv_dim):
    R = rng.normal(size=(s_len, e))
    Y = rng.normal(size=(t_len, kv_dim))
    mha = torch.nn.MultiheadAttention(embed_dim=e, num_heads=1, bias=False, kdim=kv_dim, vdim=kv_dim, batch_first=True)
    with torch.no_grad():
        wq = torch.tensor(rng.normal(size=(e, e)))
        wk = torch.tensor(rng.normal(size=(e, kv_dim)) / math.sqrt(kv_dim))
        wv = torch.tensor(rng.normal(size=(e, kv_dim)))
        mha.q_proj_weight.copy_(wq)
        mha.k_proj_weight.copy_(wk)
        mha.v_proj_weight.copy_(wv)
        mha.out_proj.weight.copy_(torch.eye(e))
        z, a = mha(torch.tensor(R)[None], torch.tensor(Y)[None], torch.tensor(Y)[None], need_weights=True)
    # Engram's row convention: Q = R·W_Q, so W_Q = q_proj_weightᵀ (and likewise W_K, W_V).
    return {
        "queries": lst(R), "stored": lst(Y), "S": s_len, "T": t_len, "dModel": e, "dKV": kv_dim,
        "wQ": lst(wq.T), "wK": lst(wk.T), "wV": lst(wv.T),
        "output": lst(z[0]), "weights": lst(a[0]),
    }


def attention_view_case(rng, t_len, dim, s_len, dk, dv):
    """The attention view (models.view 'modern.attention'): ±1 stored patterns Y, given queries R; one head with given
    W_Q, W_K [d, d_k], W_V [d, d_v], and with the identity projections (d_k = d_v = d). A and Z with torch ops; the
    modern Hopfield update on the same numbers (stored [k_j ; v_j], state [q_s ; 0], β = 1/√d_k) in NumPy."""
    Y = np.where(rng.random((t_len, dim)) < 0.5, -1.0, 1.0)
    Y[1] = Y[0]  # a repeated pattern: two keys tie in every row
    R = Y[[0, 2, 3]] * np.where(rng.random((s_len, dim)) < 0.2, -1.0, 1.0) + 0.0
    R[2, : dim // 2] = 0.0  # a half-masked cue
    wq, wk, wv = rng.normal(size=(dim, dk)) / math.sqrt(dk), rng.normal(size=(dim, dk)) / math.sqrt(dk), rng.normal(size=(dim, dv))

    def head(wq_, wk_, wv_):
        q, k, v = torch.tensor(R) @ wq_, torch.tensor(Y) @ wk_, torch.tensor(Y) @ wv_
        a = torch.softmax(q @ k.T / math.sqrt(k.shape[1]), dim=1)
        z = a @ v
        X = np.concatenate([k.numpy(), v.numpy()], axis=1)
        beta = 1 / math.sqrt(k.shape[1])
        hop = []
        for s in range(R.shape[0]):
            xi = np.concatenate([q[s].numpy(), np.zeros(v.shape[1])])
            sc = beta * (X @ xi)
            p = np.exp(sc - sc.max())
            p /= p.sum()
            hop.append((X.T @ p)[k.shape[1]:])
        return {"q": lst(q), "k": lst(k), "v": lst(v), "weights": lst(a), "output": lst(z), "hopfield": lst(np.array(hop))}

    eye = torch.eye(dim)
    return {
        "T": t_len, "d": dim, "S": s_len, "dk": dk, "dv": dv, "stored": lst(Y), "queries": lst(R),
        "wQ": lst(wq), "wK": lst(wk), "wV": lst(wv),
        "given": head(torch.tensor(wq), torch.tensor(wk), torch.tensor(wv)),
        "identity": head(eye, eye, eye),
    }


def dense_case(rng, units, count, n_states):
    P = np.where(rng.random((count, units)) < 0.5, -1, 1)
    S = np.where(rng.random((n_states, units)) < 0.5, -1, 1)
    kinds = {
        "poly3": lambda x: x.astype(np.float64) ** 3,
        "rect4": lambda x: np.where(x > 0, x.astype(np.float64) ** 4, 0.0),
        "exp": lambda x: np.exp(x.astype(np.float64)),
    }
    out = {"units": units, "count": count, "patterns": P.reshape(-1).tolist(), "states": S.reshape(-1).tolist(), "kinds": {}}
    for name, F in kinds.items():
        energies, diffs = [], []
        for s in S:
            energies.append(float(-F(P @ s).sum()))
            d = []
            for i in range(units):
                lo, hi = s.copy(), s.copy()
                lo[i], hi[i] = -1, 1
                d.append(float(-F(P @ lo).sum() + F(P @ hi).sum()))  # E(σ_i = −1) − E(σ_i = +1)
            diffs.append(d)
        out["kinds"][name] = {"energies": energies, "differences": diffs}
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "modern")
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(20201008)
    fixture = {
        "generator": "scripts/modern-hopfield-fixture.py",
        "numpy": np.__version__,
        "torch": torch.__version__,
        "modern": modern_case(rng, count=13, dim=7, betas=[0.05, 0.9, 6.5], n_states=5, eps=1e-9, max_steps=60),
        "attention": attention_case(rng, s_len=5, t_len=11, e=6, kv_dim=9),
        "dense": dense_case(rng, units=11, count=6, n_states=4),
        # its own stream, so the cases above keep their numbers
        "attentionView": attention_view_case(np.random.default_rng(20240602), t_len=9, dim=15, s_len=3, dk=5, dv=6),
    }
    path = os.path.join(out_dir, "reference.json")
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
