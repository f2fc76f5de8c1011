#!/usr/bin/python3
"""Independent reference numbers for Engram's trainable Hopfield layer (tests/core/hopfield-layer-fixture.test.ts).

Written with PyTorch 1.13 the way a user would: the layer logits = softmax(beta (X W_Q)(Y W_K)^T) (Y W_K) W_V
(Ramsauer et al. 2020, eq. 10, with learned stored patterns Y), torch.nn.functional.cross_entropy, autograd, and
torch.optim.Adam for a few steps. Float64 throughout; sizes deliberately odd.

Usage: /usr/bin/python3 scripts/hopfield-layer-fixture.py [out_dir]   (default tests/fixtures/hopfield-layer)
"""
import numpy as np
import torch

from hopfield_fixture import adam_steps, lst, write_reference


def main():
    rng = np.random.default_rng(20261205)
    d, P, k, C, B, steps, beta, lr = 7, 5, 4, 3, 6, 4, 0.6, 0.05
    init = {"stored_patterns": rng.normal(size=(P, d)), "w_q": rng.normal(size=(d, k)), "w_k": rng.normal(size=(d, k)), "w_v": rng.normal(size=(k, C))}
    x = rng.normal(size=(steps, B, d))
    y = rng.integers(0, C, size=(steps, B))

    def forward(params, s):
        X = torch.tensor(x[s])
        K = params["stored_patterns"] @ params["w_k"]
        A = torch.softmax(beta * (X @ params["w_q"]) @ K.T, dim=1)
        return A @ (K @ params["w_v"]), A

    trained = adam_steps(init, y, lr, forward)
    write_reference("hopfield-layer", {
        "sizes": {"inputSize": d, "storedPatterns": P, "keySize": k, "classes": C},
        "batch": B, "steps": steps, "beta": beta, "learningRate": lr,
        "init": {n: lst(v) for n, v in init.items()},
        "x": lst(x), "y": np.asarray(y).reshape(-1).tolist(),
        **trained,
    })


if __name__ == "__main__":
    main()
