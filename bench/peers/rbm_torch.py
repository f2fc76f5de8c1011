"""PyTorch CPU peer for bench/rbm-cd1.ts: the same CD-1 update as Engram's engine, with torch ops.

CD-1 (Hinton's practical guide, mean-field reconstruction): ph0 = sigm(v0 W + c); h0 = [u < ph0];
v1 = sigm(h0 W^T + b); ph1 = sigm(v1 W + c); W += lr/B (v0^T ph0 - v1^T ph1) (two in-place addmm_);
b += lr mean(v0 - v1); c += lr mean(ph0 - ph1). float32 throughout, no autograd.

Run by the bench with OPENBLAS_CORETYPE=SkylakeX and OPENBLAS_NUM_THREADS set (see docs/benchmarks.md).
Modes:
  speed: `--rounds` rounds of `--steps` minibatch steps after a warm-up; prints JSON seconds per round.
  epoch: one shuffled epoch over all rows from `--init` weights; writes W,b,c (float32) to `--out`.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for p in threadpool_info()
        ]
    except Exception as err:  # threadpoolctl missing or unreadable
        return [{"error": str(err)}]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="raw uint8 rows x visible (0/1)")
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--visible", type=int, default=784)
    ap.add_argument("--hidden", type=int, default=500)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--mode", choices=["speed", "epoch"], default="speed")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--init", help="raw float32 W [visible, hidden]")
    ap.add_argument("--out", help="epoch mode: write W, b, c as float32")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    V, H, B = a.visible, a.hidden, a.batch
    X = torch.from_numpy(np.fromfile(a.data, dtype=np.uint8).reshape(a.rows, V))
    if a.init:
        W = torch.from_numpy(np.fromfile(a.init, dtype=np.float32).reshape(V, H).copy())
    else:
        W = torch.randn(V, H) * 0.01
    b = torch.zeros(V)
    c = torch.zeros(H)
    lr = a.lr

    def step(idx):
        v0 = X[idx].float()
        ph0 = torch.sigmoid(torch.addmm(c, v0, W))
        h0 = (torch.rand_like(ph0) < ph0).float()
        v1 = torch.sigmoid(torch.addmm(b, h0, W.t()))
        ph1 = torch.sigmoid(torch.addmm(c, v1, W))
        W.addmm_(v0.t(), ph0, alpha=lr / B).addmm_(v1.t(), ph1, alpha=-lr / B)
        b.add_((v0 - v1).mean(0), alpha=lr)
        c.add_((ph0 - ph1).mean(0), alpha=lr)
        return v0, v1

    with torch.no_grad():
        if a.mode == "speed":
            perm = torch.randperm(a.rows)
            n_batches = a.rows // B
            k = 0
            for _ in range(a.warmup):
                step(perm[(k % n_batches) * B : (k % n_batches + 1) * B])
                k += 1
            seconds = []
            for _ in range(a.rounds):
                t0 = time.perf_counter()
                for _ in range(a.steps):
                    j = k % n_batches
                    step(perm[j * B : (j + 1) * B])
                    k += 1
                seconds.append(time.perf_counter() - t0)
            json.dump({"seconds": seconds, "steps": a.steps, "threads": a.threads, "blas": blas_info(), "torch": torch.__version__}, sys.stdout)
        else:
            t0 = time.perf_counter()
            perm = torch.randperm(a.rows)
            err = 0.0
            steps = 0
            for s in range(0, a.rows, B):
                v0, v1 = step(perm[s : s + B])
                err += float(((v0 - v1) ** 2).mean())
                steps += 1
            seconds = time.perf_counter() - t0
            if a.out:
                np.concatenate([W.numpy().ravel(), b.numpy(), c.numpy()]).astype(np.float32).tofile(a.out)
            json.dump({"seconds": seconds, "steps": steps, "mean_reconstruction_error": err / steps, "threads": a.threads, "blas": blas_info(), "torch": torch.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
