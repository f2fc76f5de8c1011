#!/usr/bin/python3
"""Independent reference for Engram's recurrent core: PyTorch (float64) fixtures and safetensors load checks.

Usage (Debian python3-torch, /usr/bin/python3):
  torch-rnn-fixtures.py write [DIR]            writes DIR/*.json (default tests/fixtures/rnn): weights, inputs,
                                               initial states, outputs, final states and the gradients of a fixed loss
  torch-rnn-fixtures.py load FILE.safetensors INPUT.json
                                               loads an Engram safetensors export into torch.nn.RNN/LSTM/GRU (+
                                               nn.Embedding, nn.Linear) with load_state_dict(strict=True), runs INPUT
                                               and prints {"output", "hn", "cn", "logits"} as JSON

The fixed loss is sum(R*output) + sum(Rh*hn) + sum(Rc*cn) with random R, Rh, Rc stored in the fixture, or for the
cases with a head the head's mean loss (CrossEntropyLoss / MSELoss; the tagger's padded steps have target -100, torch's
ignore_index, so the mean is over the other steps). The tbptt cases also train over windows of 3 steps, the state
detached between windows (stateful truncated BPTT). Weights are PyTorch's init scaled by 1.6 so the
gates leave their linear range. Every tensor is stored flat (row-major) with PyTorch's names.
"""
import json
import os
import struct
import sys

import torch
from torch import nn

torch.set_default_dtype(torch.float64)

CASES = [
    dict(name='rnn_tanh', cell='rnn', nonlinearity='tanh', L=1, bidir=False),
    dict(name='rnn_relu', cell='rnn', nonlinearity='relu', L=1, bidir=False),
    dict(name='lstm', cell='lstm', L=1, bidir=False),
    dict(name='gru', cell='gru', L=1, bidir=False),
    dict(name='lstm_stacked', cell='lstm', L=2, bidir=False),
    dict(name='gru_bidirectional', cell='gru', L=1, bidir=True),
    dict(name='rnn_tanh_stacked_bidirectional', cell='rnn', nonlinearity='tanh', L=2, bidir=True),
    dict(name='lstm_stacked_bidirectional', cell='lstm', L=2, bidir=True),
    dict(name='gru_stacked_bidirectional', cell='gru', L=2, bidir=True),
    dict(name='lstm_char_lm', cell='lstm', L=2, bidir=False, vocab=7, tbptt=True, head=dict(outputSize=7, loss='softmax-ce', on='all')),
    dict(name='gru_many_to_one_mse', cell='gru', L=1, bidir=True, head=dict(outputSize=2, loss='mse', on='last')),
    # A tagger whose padded steps carry target -100 (CrossEntropyLoss's ignore_index), trained stateful over two windows.
    dict(name='gru_tagger_ignore', cell='gru', L=2, bidir=False, vocab=6, tbptt=True, ignore=True, head=dict(outputSize=4, loss='softmax-ce', on='all')),
]
I, H, T, B = 3, 5, 6, 3
# Padded steps of the 'ignore' case (time-major row t*B + b): row 0's last two steps, row 2's last step.
IGNORED = [(T - 2) * B + 0, (T - 1) * B + 0, (T - 1) * B + 2]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def engram_spec(c):
    spec = dict(cell=c['cell'], inputSize=I, hiddenSize=H, numLayers=c['L'], bidirectional=c['bidir'], dropout=0)
    if c['cell'] == 'rnn':
        spec['nonlinearity'] = c['nonlinearity']
    if c['cell'] == 'gru':
        spec['gruForm'] = 'pytorch'
    if 'vocab' in c:
        spec['vocabSize'] = c['vocab']
    if 'head' in c:
        spec['head'] = c['head']
    return spec


class Net(nn.Module):
    """The Engram layout: optional embedding, the recurrent module (its names unprefixed), optional linear head."""

    def __init__(self, spec):
        super().__init__()
        kw = dict(num_layers=spec['numLayers'], bidirectional=spec['bidirectional'], dropout=0.0)
        cell = spec['cell']
        if cell == 'rnn':
            self.rnn = nn.RNN(spec['inputSize'], spec['hiddenSize'], nonlinearity=spec.get('nonlinearity', 'tanh'), **kw)
        elif cell == 'lstm':
            if spec.get('peephole') or spec.get('coupled'):
                raise SystemExit('peephole and coupled LSTMs are not in PyTorch')
            self.rnn = nn.LSTM(spec['inputSize'], spec['hiddenSize'], **kw)
        else:
            if spec.get('gruForm', 'pytorch') != 'pytorch':
                raise SystemExit('the original GRU form is not in PyTorch')
            self.rnn = nn.GRU(spec['inputSize'], spec['hiddenSize'], **kw)
        D = 2 if spec['bidirectional'] else 1
        self.embedding = nn.Embedding(spec['vocabSize'], spec['inputSize']) if 'vocabSize' in spec else None
        self.head = nn.Linear(D * spec['hiddenSize'], spec['head']['outputSize']) if 'head' in spec else None
        self.spec = spec

    def load_engram(self, tensors):
        """Strict loads: every module takes exactly its own tensors, by PyTorch's names."""
        rnn_sd = {k: v for k, v in tensors.items() if not (k.startswith('embedding.') or k.startswith('head.'))}
        self.rnn.load_state_dict(rnn_sd, strict=True)
        if self.embedding is not None:
            self.embedding.load_state_dict({'weight': tensors['embedding.weight']}, strict=True)
        if self.head is not None:
            self.head.load_state_dict({'weight': tensors['head.weight'], 'bias': tensors['head.bias']}, strict=True)

    def forward(self, x, h0, c0):
        if self.embedding is not None:
            x = self.embedding(x)
        out, hn = self.rnn(x, (h0, c0) if self.spec['cell'] == 'lstm' else h0)
        cn = None
        if self.spec['cell'] == 'lstm':
            hn, cn = hn
        logits = None
        if self.head is not None:
            logits = self.head(out if self.spec['head']['on'] == 'all' else out[-1])
        return out, hn, cn, logits


def make_case(c, seed):
    torch.manual_seed(seed)
    spec = engram_spec(c)
    net = Net(spec)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(1.6)
    D = 2 if c['bidir'] else 1
    S = (c['L'] * D, B, H)
    if 'vocab' in c:
        x = torch.randint(0, c['vocab'], (T, B))
    else:
        x = torch.randn(T, B, I, requires_grad=True)
    h0 = (0.5 * torch.randn(*S)).requires_grad_()
    c0 = (0.5 * torch.randn(*S)).requires_grad_() if c['cell'] == 'lstm' else None
    out, hn, cn, logits = net(x, h0, c0)
    rec = dict(name=c['name'], torch_version=torch.__version__, spec=spec, steps=T, batch=B)
    if 'head' in c:
        if c['head']['loss'] == 'softmax-ce':
            targets = torch.randint(0, c['head']['outputSize'], (T * B,))
            if c.get('ignore'):
                targets[IGNORED] = -100
            loss = nn.functional.cross_entropy(logits.reshape(-1, c['head']['outputSize']), targets)
            rec['targets'] = [int(v) for v in targets.tolist()]
        else:
            targets = torch.randn(*logits.shape)
            loss = nn.functional.mse_loss(logits, targets)
            rec['targets'] = flat(targets)
    else:
        R, Rh = torch.randn(*out.shape), torch.randn(*hn.shape)
        loss = (out * R).sum() + (hn * Rh).sum()
        rec['R'], rec['Rh'] = flat(R), flat(Rh)
        if cn is not None:
            Rc = torch.randn(*cn.shape)
            loss = loss + (cn * Rc).sum()
            rec['Rc'] = flat(Rc)
    loss.backward()
    named = dict(net.rnn.named_parameters())
    if net.embedding is not None:
        named['embedding.weight'] = net.embedding.weight
    if net.head is not None:
        named['head.weight'], named['head.bias'] = net.head.weight, net.head.bias
    rec['params'] = {k: dict(shape=list(v.shape), data=flat(v)) for k, v in named.items()}
    if 'vocab' in c:
        rec['tokens'] = [int(v) for v in x.reshape(-1).tolist()]
    else:
        rec['input'] = flat(x)
        rec['grad_input'] = flat(x.grad)
    rec['h0'], rec['grad_h0'] = flat(h0), flat(h0.grad)
    if c0 is not None:
        rec['c0'], rec['grad_c0'] = flat(c0), flat(c0.grad)
    rec['output'], rec['hn'] = flat(out), flat(hn)
    if cn is not None:
        rec['cn'] = flat(cn)
    if logits is not None:
        rec['logits'] = flat(logits)
    rec['loss'] = float(loss)
    rec['grads'] = {k: flat(v.grad) for k, v in named.items()}
    if c.get('tbptt'):
        rec['tbptt'] = tbptt(net, named, x, h0.detach(), c0.detach() if c0 is not None else None, targets, c)
    return rec


def tbptt(net, named, x, h0, c0, targets, c):
    """Stateful truncated BPTT over windows of W steps: the final state of a window (detached) starts the next; each
    window: mean cross-entropy, backward, clip_grad_norm_, one Adam step."""
    W, lr, clip = 3, 0.01, 0.3
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    O = c['head']['outputSize']
    y = targets.reshape(T, B)
    h, cc = h0, c0
    losses, norms = [], []
    for s in range(0, T, W):
        opt.zero_grad()
        out, hn, cn, logits = net(x[s:s + W], h, cc)
        loss = nn.functional.cross_entropy(logits.reshape(-1, O), y[s:s + W].reshape(-1))
        loss.backward()
        norms.append(float(nn.utils.clip_grad_norm_(net.parameters(), clip)))
        opt.step()
        losses.append(float(loss))
        h = hn.detach()
        cc = cn.detach() if cn is not None else None
    return dict(window=W, learning_rate=lr, clip_norm=clip, losses=losses, grad_norms=norms,
                params_after={k: flat(v) for k, v in named.items()})


def write(directory):
    os.makedirs(directory, exist_ok=True)
    for k, c in enumerate(CASES):
        rec = make_case(c, 1000 + k)
        with open(os.path.join(directory, c['name'] + '.json'), 'w') as f:
            json.dump(rec, f, separators=(',', ':'))
            f.write('\n')
    print(f'wrote {len(CASES)} fixtures to {directory}')


SAFETENSORS_DTYPES = {'F32': torch.float32, 'F64': torch.float64}


def read_safetensors(path):
    """A minimal independent safetensors reader (the format: u64 LE header length, JSON header, byte buffer)."""
    with open(path, 'rb') as f:
        blob = f.read()
    (n,) = struct.unpack('<Q', blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop('__metadata__', {})
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        b, end = e['data_offsets']
        dt = SAFETENSORS_DTYPES[e['dtype']]
        t = torch.frombuffer(bytearray(blob[base + b:base + end]), dtype=dt).reshape(e['shape'])
        tensors[name] = t.to(torch.float64)
    return tensors, meta


def load(path, input_path):
    tensors, meta = read_safetensors(path)
    spec = json.loads(meta['engram_recurrent_spec'])
    net = Net(spec)
    net.load_engram(tensors)
    with open(input_path) as f:
        inp = json.load(f)
    steps, batch = inp['steps'], inp['batch']
    D = 2 if spec['bidirectional'] else 1
    S = (spec['numLayers'] * D, batch, spec['hiddenSize'])
    if 'vocabSize' in spec:
        x = torch.tensor(inp['tokens'], dtype=torch.int64).reshape(steps, batch)
    else:
        x = torch.tensor(inp['input']).reshape(steps, batch, spec['inputSize'])
    h0 = torch.tensor(inp['h0']).reshape(*S) if 'h0' in inp else torch.zeros(*S)
    c0 = (torch.tensor(inp['c0']).reshape(*S) if 'c0' in inp else torch.zeros(*S)) if spec['cell'] == 'lstm' else None
    with torch.no_grad():
        out, hn, cn, logits = net(x, h0, c0)
    res = dict(output=flat(out), hn=flat(hn))
    if cn is not None:
        res['cn'] = flat(cn)
    if logits is not None:
        res['logits'] = flat(logits)
    json.dump(res, sys.stdout)


if __name__ == '__main__':
    args = sys.argv[1:]
    if not args or args[0] == 'write':
        write(args[1] if len(args) > 1 else os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'rnn'))
    elif args[0] == 'load' and len(args) == 3:
        load(args[1], args[2])
    else:
        raise SystemExit(__doc__)
