"""What the Hopfield layer's and Hopfield pooling's PyTorch fixtures share: float64 torch, flat lists, a few
torch.optim.Adam steps on torch.nn.functional.cross_entropy with the first step's gradients kept, and the
reference.json they write (scripts/hopfield-layer-fixture.py, scripts/hopfield-pooling-fixture.py).
"""
import json
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def lst(a):
    return np.asarray(a.detach() if torch.is_tensor(a) else a, dtype=np.float64).reshape(-1).tolist()


def adam_steps(init, y, lr, forward):
    """Adam from `init` for len(y) steps; forward(params, s) gives step s's (logits, attention).

    Returns the reference's "first" (step 0's gradients, attention and logits), "losses" and "final" (parameters)."""
    params = {n: torch.tensor(v, requires_grad=True) for n, v in init.items()}
    opt = torch.optim.Adam(list(params.values()), lr=lr)
    losses, first = [], None
    for s in range(len(y)):
        logits, attention = forward(params, s)
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y[s]))
        opt.zero_grad()
        loss.backward()
        if s == 0:
            first = {"grads": {n: lst(p.grad) for n, p in params.items()}, "attention": lst(attention), "logits": lst(logits)}
        losses.append(loss.item())
        opt.step()
    return {"first": first, "losses": losses, "final": {n: lst(p) for n, p in params.items()}}


def write_reference(name, ref):
    """reference.json (`ref` and the torch version) in argv[1], default tests/fixtures/<name>."""
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", name)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump({**ref, "torch": torch.__version__}, f)
