#!/usr/bin/python3
"""Independent reference numbers for Engram's Hopfield pooling (tests/core/hopfield-pooling-fixture.test.ts).

Written with PyTorch 1.13 the way a user would: a learned query q attends over each bag's instances Y,
K = Y W_K, scores beta K q^T with padded instances masked to -inf (masked_fill, as hopfield-layers'
stored_pattern_padding_mask does), pooled = softmax(scores) K, logits = pooled W_V + bias
(Ramsauer et al. 2020's HopfieldPooling, eq. 10 with a static learned state pattern);
torch.nn.functional.cross_entropy, autograd and torch.optim.Adam for a few steps. Float64 throughout;
bags of different sizes padded to one length; sizes deliberately odd.

Usage: /usr/bin/python3 scripts/hopfield-pooling-fixture.py [out_dir]   (default tests/fixtures/hopfield-pooling)
"""
import numpy as np
import torch

from hopfield_fixture import adam_steps, lst, write_reference


def main():
    rng = np.random.default_rng(20261206)
    d, k, C, B, N, steps, beta, lr = 7, 4, 2, 5, 6, 4, 0.6, 0.05
    init = {"query": rng.normal(size=(1, k)), "w_k": rng.normal(size=(d, k)), "w_v": rng.normal(size=(k, C)), "bias": rng.normal(size=(C,))}
    x = rng.normal(size=(steps, B, N, d))
    sizes = rng.integers(1, N + 1, size=(steps, B))
    mask = (np.arange(N)[None, None, :] < sizes[:, :, None]).astype(np.float64)
    x = x * mask[..., None]
    y = rng.integers(0, C, size=(steps, B))

    def forward(params, s):
        X = torch.tensor(x[s])
        K = X @ params["w_k"]
        scores = beta * (K @ params["query"].T).squeeze(-1)
        scores = scores.masked_fill(torch.tensor(mask[s]) == 0, float("-inf"))
        A = torch.softmax(scores, dim=1)
        pooled = (A.unsqueeze(1) @ K).squeeze(1)
        return pooled @ params["w_v"] + params["bias"], A

    trained = adam_steps(init, y, lr, forward)
    write_reference("hopfield-pooling", {
        "sizes": {"inputSize": d, "keySize": k, "classes": C},
        "batch": B, "length": N, "steps": steps, "beta": beta, "learningRate": lr,
        "init": {n: lst(v) for n, v in init.items()},
        "x": lst(x), "mask": lst(mask), "y": np.asarray(y).reshape(-1).tolist(),
        **trained,
    })


if __name__ == "__main__":
    main()
