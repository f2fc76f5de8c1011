"""PyTorch CPU peer for bench/recurrent.ts: a char-level language model as a user writes it in torch.

nn.Embedding(V, E) -> nn.LSTM or nn.GRU (1 layer, hidden H, zero initial state per batch) -> nn.Linear(H, V) on every
step; F.cross_entropy (mean over T*B), torch.optim.Adam, clip_grad_norm_(5). float32, CPU.

Batches come from the bench: <data>/<id>.x.npy and <id>.y.npy, int32 [steps, T, B] (time-major windows).
The bench sets OPENBLAS_CORETYPE (the BLAS kernel) and OPENBLAS_NUM_THREADS when it starts this process.
Modes (one JSON object on stdout):
  speed     --data DIR --sizes JSON --warmup N: for each size {id, cell, H, E, V, steps, torchThreads}: warm-up steps,
            then `steps` timed steps (seconds each), from torch's own init; and a 1024^3 float32 torch.mm (GFLOP/s)
            per torch thread count.
  agree     --init FILE.safetensors (Engram's init, PyTorch names) --data DIR --id ID --lr --clip --out FILE: trains
            on every batch of <id> and prints the loss of each step (before its update); writes the final weights as
            safetensors (float32, the same names).
  generate  --init FILE.safetensors --length N --reps R --prompt IDS --temperature T: N tokens sampled one at a time
            (embedding -> one LSTM/GRU step -> head -> softmax(logits / T) -> multinomial) under inference_mode,
            R times; seconds each.
"""
import argparse
import json
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [{k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")} for p in threadpool_info()]
    except Exception as err:  # threadpoolctl missing or unreadable
        return [{"error": str(err)}]


class CharLM(nn.Module):
    def __init__(self, cell, V, E, H):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(E, H)
        self.head = nn.Linear(H, V)

    def forward(self, x, state=None):
        y, state = self.rnn(self.embedding(x), state)
        return self.head(y), state


def train_step(model, opt, x, y, clip):
    logits, _ = model(x)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss.item()


def load_batches(data, ident):
    x = torch.from_numpy(np.load(f"{data}/{ident}.x.npy").astype(np.int64))
    y = torch.from_numpy(np.load(f"{data}/{ident}.y.npy").astype(np.int64))
    return x, y


def read_safetensors(path):
    """name -> float32 tensor, and the metadata (u64 LE header length, JSON header, then the tensors' bytes)."""
    with open(path, "rb") as f:
        blob = f.read()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    kinds = {"F32": np.float32, "F64": np.float64}
    arrays = {
        name: np.frombuffer(blob[8 + n + e["data_offsets"][0] : 8 + n + e["data_offsets"][1]], dtype=kinds[e["dtype"]]).reshape(e["shape"])
        for name, e in header.items()
    }
    return {name: torch.from_numpy(a.astype(np.float32)) for name, a in arrays.items()}, meta


def write_safetensors(path, tensors):
    header, chunks, at = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [at, at + len(raw)]}
        chunks.append(raw)
        at += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def model_from_engram(path):
    """The Engram safetensors export loaded with load_state_dict(strict=True) into embedding, rnn and head."""
    tensors, meta = read_safetensors(path)
    spec = json.loads(meta["engram_recurrent_spec"])
    model = CharLM(spec["cell"], spec["vocabSize"], spec["inputSize"], spec["hiddenSize"])
    model.load_state_dict({(k if k.startswith(("embedding.", "head.")) else "rnn." + k): v for k, v in tensors.items()}, strict=True)
    return model, spec


def engram_names(model):
    return {(k[4:] if k.startswith("rnn.") else k): v for k, v in model.state_dict().items()}


def matmul_gflops(n=1024, reps=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t)
    return 2 * n**3 / sorted(times)[len(times) // 2] / 1e9


def speed(a):
    sizes = json.loads(a.sizes)
    results, matmul = [], {}
    for s in sizes:
        threads = s["torchThreads"]
        torch.set_num_threads(threads)
        if threads not in matmul:
            matmul[threads] = matmul_gflops()
        torch.manual_seed(0)
        x, y = load_batches(a.data, s["id"])
        model = CharLM(s["cell"], s["V"], s["E"], s["H"])
        opt = torch.optim.Adam(model.parameters(), lr=a.lr)
        seconds = []
        for k in range(a.warmup + s["steps"]):
            t = time.perf_counter()
            train_step(model, opt, x[k % len(x)], y[k % len(y)], a.clip)
            if k >= a.warmup:
                seconds.append(time.perf_counter() - t)
        results.append({"id": s["id"], "torchThreads": threads, "seconds": seconds})
    return {"results": results, "matmulGflops": matmul}


def agree(a):
    torch.set_num_threads(1)
    model, _ = model_from_engram(a.init)
    x, y = load_batches(a.data, a.id)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    losses = [train_step(model, opt, x[k], y[k], a.clip) for k in range(len(x))]
    write_safetensors(a.out, engram_names(model))
    return {"losses": losses}


@torch.inference_mode()
def generate(a):
    torch.set_num_threads(1)
    model, spec = model_from_engram(a.init)
    model.eval()
    prompt = torch.tensor([int(t) for t in a.prompt.split(",")], dtype=torch.int64)
    gen = torch.Generator().manual_seed(1)
    seconds, sample = [], []
    for _ in range(a.reps):
        t = time.perf_counter()
        _, state = model(prompt[:-1].reshape(-1, 1)) if len(prompt) > 1 else (None, None)
        tok = prompt[-1:].reshape(1, 1)
        sample = []
        for _ in range(a.length):
            logits, state = model(tok, state)
            probs = torch.softmax(logits[0, 0] / a.temperature, dim=-1)
            tok = torch.multinomial(probs, 1, generator=gen).reshape(1, 1)
            sample.append(int(tok))
        seconds.append(time.perf_counter() - t)
    return {"seconds": seconds, "cell": spec["cell"], "hidden": spec["hiddenSize"], "firstTokens": sample[:20]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["speed", "agree", "generate"])
    ap.add_argument("--data")
    ap.add_argument("--sizes")
    ap.add_argument("--id")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--init")
    ap.add_argument("--out")
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--prompt", default="0")
    ap.add_argument("--temperature", type=float, default=0.8)
    a = ap.parse_args()
    res = {"speed": speed, "agree": agree, "generate": generate}[a.mode](a)
    res["torch"] = torch.__version__
    res["blas"] = blas_info()
    print(json.dumps(res))


if __name__ == "__main__":
    main()
