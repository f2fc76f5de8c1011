"""scikit-learn peer for bench/rbm-cd1.ts: BernoulliRBM (PCD-1, persistent chains = batch size) for one epoch.

BernoulliRBM(n_components=H, learning_rate=lr, batch_size=B, n_iter=1).fit(X) on float32 X, the way a user
trains it; sklearn initialises its own weights (N(0, 0.01^2)) and biases (0). Prints JSON seconds per round
and writes W [V,H], b [V], c [H] (float32) of the first round to `--out`.
Run by the bench with OPENBLAS_CORETYPE=SkylakeX and OPENBLAS_NUM_THREADS set (see docs/benchmarks.md).
"""
import argparse
import json
import sys
import time

import numpy as np
from sklearn.neural_network import BernoulliRBM


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for p in threadpool_info()
        ]
    except Exception as err:
        return [{"error": str(err)}]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="raw uint8 rows x visible (0/1)")
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--visible", type=int, default=784)
    ap.add_argument("--hidden", type=int, default=500)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--out", help="write W, b, c of the first round as float32")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    X = np.fromfile(a.data, dtype=np.uint8).reshape(a.rows, a.visible).astype(np.float32)
    import sklearn

    seconds = []
    for r in range(a.rounds):
        rbm = BernoulliRBM(n_components=a.hidden, learning_rate=a.lr, batch_size=a.batch, n_iter=1, random_state=a.seed + r)
        t0 = time.perf_counter()
        rbm.fit(X)
        seconds.append(time.perf_counter() - t0)
        if r == 0 and a.out:
            W = rbm.components_.T.astype(np.float32)
            np.concatenate([W.ravel(), rbm.intercept_visible_.astype(np.float32), rbm.intercept_hidden_.astype(np.float32)]).tofile(a.out)
    json.dump({"seconds": seconds, "blas": blas_info(), "sklearn": sklearn.__version__, "dtype": str(rbm.components_.dtype)}, sys.stdout)


if __name__ == "__main__":
    main()
