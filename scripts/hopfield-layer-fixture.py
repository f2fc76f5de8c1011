#!/usr/bin/python3
"""Independent reference numbers for Engram's trainable Hopfield layer (tests/core/hopfield-layer-fixture.test.ts).

Written with PyTorch 1.13 the way a user would: the layer logits = softmax(beta (X W_Q)(Y W_K)^T) (Y W_K) W_V
(Ramsauer et al. 2020, eq. 10, with learned stored patterns Y), torch.nn.functional.cross_entropy, autograd, and
torch.optim.Adam for a few steps. Float64 throughout; sizes deliberately odd.

Usage: /usr/bin/python3 scripts/hopfield-layer-fixture.py [out_dir]   (default tests/fixtures/hopfield-layer)
"""
import json
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def lst(a):
    return np.asarray(a.detach() if torch.is_tensor(a) else a, dtype=np.float64).reshape(-1).tolist()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "hopfield-layer")
    rng = np.random.default_rng(20261205)
    d, P, k, C, B, steps, beta, lr = 7, 5, 4, 3, 6, 4, 0.6, 0.05
    init = {"stored_patterns": rng.normal(size=(P, d)), "w_q": rng.normal(size=(d, k)), "w_k": rng.normal(size=(d, k)), "w_v": rng.normal(size=(k, C))}
    x = rng.normal(size=(steps, B, d))
    y = rng.integers(0, C, size=(steps, B))
    params = {n: torch.tensor(v, requires_grad=True) for n, v in init.items()}
    opt = torch.optim.Adam(list(params.values()), lr=lr)
    losses, first_grads, attention = [], None, None
    for s in range(steps):
        X = torch.tensor(x[s])
        K = params["stored_patterns"] @ params["w_k"]
        A = torch.softmax(beta * (X @ params["w_q"]) @ K.T, dim=1)
        logits = A @ (K @ params["w_v"])
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y[s]))
        opt.zero_grad()
        loss.backward()
        if s == 0:
            first_grads = {n: lst(p.grad) for n, p in params.items()}
            attention = lst(A)
            first_logits = lst(logits)
        losses.append(loss.item())
        opt.step()
    ref = {
        "sizes": {"inputSize": d, "storedPatterns": P, "keySize": k, "classes": C},
        "batch": B, "steps": steps, "beta": beta, "learningRate": lr,
        "init": {n: lst(v) for n, v in init.items()},
        "x": lst(x), "y": np.asarray(y).reshape(-1).tolist(),
        "first": {"grads": first_grads, "attention": attention, "logits": first_logits},
        "losses": losses,
        "final": {n: lst(p) for n, p in params.items()},
        "torch": torch.__version__,
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(ref, f)


if __name__ == "__main__":
    main()
