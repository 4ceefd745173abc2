#!/usr/bin/env python3
"""The PyTorch side of `lorascope bench train`: the same GPT-2 training step
(pre-LayerNorm blocks, causal attention, tanh GELU, tied head; forward,
backward, gradient-norm clipping at 1.0 and AdamW) on the same config,
timed the same way, so the two figures come from one machine in one run.

Prints one JSON object. Exit status 3 when PyTorch is not installed
(Debian: apt-get install python3-torch)."""
import argparse
import json
import math
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--layers", type=int, default=4)
p.add_argument("--heads", type=int, default=4)
p.add_argument("--embd", type=int, default=128)
p.add_argument("--positions", type=int, default=64)
p.add_argument("--batch", type=int, default=32)
args = p.parse_args()

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("PyTorch is not installed (Debian: apt-get install python3-torch)", file=sys.stderr)
    sys.exit(3)

torch.set_num_threads(args.threads)
torch.manual_seed(1)
L, H, C, T, B, V = args.layers, args.heads, args.embd, args.positions, args.batch, 256


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.attn_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.c_fc, self.mlp_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)
        self.register_buffer("future", torch.triu(torch.ones(T, T, dtype=torch.bool), 1))

    def forward(self, x):
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        heads = lambda t: t.view(B, T, H, C // H).transpose(1, 2)  # noqa: E731
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        att = att.masked_fill(self.future, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.attn_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.h = nn.ModuleList(Block() for _ in range(L))
        self.ln_f = nn.LayerNorm(C)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()  # tied head
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))


model = Gpt()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
idx = torch.randint(0, V, (B, T))
targets = torch.randint(0, V, (B, T))


def step():
    opt.zero_grad(set_to_none=True)
    model(idx, targets).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


for _ in range(args.warmup):
    step()
times = []
for _ in range(args.steps):
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1e3)
times.sort()
n = len(times)
median = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
print(json.dumps({"ms_per_step": median, "ms_per_step_best": times[0], "steps_timed": n,
                  "threads": torch.get_num_threads(), "version": torch.__version__}))
