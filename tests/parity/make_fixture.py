#!/usr/bin/env python3
"""Writes tests/data/parity.safetensors: PyTorch's numbers for one tiny GPT
training step, which tests/test_parity.c compares the engine against (in the
manner of llm.c's test_gpt2.c). Run with Debian's PyTorch:

    /usr/bin/python3 tests/parity/make_fixture.py     (python3-torch, 1.13)

The model is written out here op by op, in GPT-2's Conv1D layout (weights
stored (in, out), y = x @ W + b), so nothing depends on lorascope's code:
pre-LayerNorm blocks (eps 1e-5), causal attention, GELU (tanh form), a head
tied to the embedding, mean cross-entropy. Config L2 H2 C16, T 8, batch 2.

Stored (all F32; token ids as floats):
  inputs, targets (B, T)
  p.<name>          every parameter family, layers stacked: the engine's
                    layout, named as gpt_tensor_info names with "%d" -> "*"
  logits (B, T, V), loss (1)
  g.<name>          the gradient of the mean loss for every family
  u.<name>          the parameters after two AdamW steps on this batch
                    (lr 1e-2, betas 0.9/0.95, eps 1e-8, weight decay 0.1 on
                    the matrices and embeddings only, no clipping)
  lora.A, lora.B    LoRA r=2 (scale 2) on q, k, v, o, fc, fcproj of every
                    layer, base frozen: A (L, 6, r, maxin) zero-padded,
                    B (L, 6, maxout, r) zero-padded; both random so every
                    gradient is non-zero
  lora.loss, lora.gA, lora.gB
  prefix.kv         prefix tuning, P = 3: (L, 2, P, C) keys then values
  prefix.loss, prefix.g
"""
import json
import math
import struct
import sys

import torch

torch.manual_seed(1234)
torch.set_num_threads(1)
L, H, C, T, B, V = 2, 2, 16, 8, 2, 256
HS = C // H
R, SCALE, P = 2, 2.0, 3

# (name, shape, decay) in the engine's GptTensorId order.
FAMILIES = [
    ("transformer.wte.weight", (V, C), True),
    ("transformer.wpe.weight", (T, C), True),
    ("transformer.h.*.ln_1.weight", (L, C), False),
    ("transformer.h.*.ln_1.bias", (L, C), False),
    ("transformer.h.*.attn.c_attn.weight", (L, C, 3 * C), True),
    ("transformer.h.*.attn.c_attn.bias", (L, 3 * C), False),
    ("transformer.h.*.attn.c_proj.weight", (L, C, C), True),
    ("transformer.h.*.attn.c_proj.bias", (L, C), False),
    ("transformer.h.*.ln_2.weight", (L, C), False),
    ("transformer.h.*.ln_2.bias", (L, C), False),
    ("transformer.h.*.mlp.c_fc.weight", (L, C, 4 * C), True),
    ("transformer.h.*.mlp.c_fc.bias", (L, 4 * C), False),
    ("transformer.h.*.mlp.c_proj.weight", (L, 4 * C, C), True),
    ("transformer.h.*.mlp.c_proj.bias", (L, C), False),
    ("transformer.ln_f.weight", (C,), False),
    ("transformer.ln_f.bias", (C,), False),
]


def init_params():
    """Larger than GPT-2's N(0, 0.02), so every path carries signal."""
    ps = {}
    for name, shape, _ in FAMILIES:
        if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
            t = 1.0 + 0.2 * torch.randn(shape)
        elif len(shape) == 1 or (name.endswith("bias")):
            t = 0.1 * torch.randn(shape)
        else:
            t = 0.3 * torch.randn(shape)
        ps[name] = t.float().requires_grad_(True)
    return ps


def P_(ps, fam):
    return ps["transformer.h.*." + fam] if not fam.startswith("transformer.") else ps[fam]


# LoRA modules: (linear, first output column, columns, in width), as lora.c's
# q k v o fc fcproj.
MODS = [("qkv", 0, C, C), ("qkv", C, C, C), ("qkv", 2 * C, C, C), ("attproj", 0, C, C),
        ("fc", 0, 4 * C, C), ("fcproj", 0, C, 4 * C)]
MAXIN, MAXOUT = 4 * C, 4 * C


def linear(x, w, b, l, which, lora):
    y = x @ w + b
    if lora is not None:
        A, Bm = lora
        parts = []
        for m, (lin, c0, cols, cin) in enumerate(MODS):
            if lin != which:
                continue
            a = A[l, m, :, :cin]            # (r, in)
            bb = Bm[l, m, :cols, :]         # (cols, r)
            parts.append((c0, cols, SCALE * (x @ a.t()) @ bb.t()))
        for c0, cols, delta in parts:
            y = torch.cat([y[..., :c0], y[..., c0:c0 + cols] + delta, y[..., c0 + cols:]], dim=-1)
    return y


def forward(ps, idx, targets, lora=None, prefix=None):
    x = ps["transformer.wte.weight"][idx] + ps["transformer.wpe.weight"][torch.arange(T)]
    ln = torch.nn.functional.layer_norm
    for l in range(L):
        h = ln(x, (C,), P_(ps, "ln_1.weight")[l], P_(ps, "ln_1.bias")[l], 1e-5)
        qkv = linear(h, P_(ps, "attn.c_attn.weight")[l], P_(ps, "attn.c_attn.bias")[l], l, "qkv", lora)
        q, k, v = qkv.split(C, dim=2)
        S = T
        if prefix is not None:
            pk = prefix[l, 0].unsqueeze(0).expand(B, P, C)
            pv = prefix[l, 1].unsqueeze(0).expand(B, P, C)
            k = torch.cat([pk, k], dim=1)
            v = torch.cat([pv, v], dim=1)
            S = P + T
        heads = lambda t, n: t.reshape(B, n, H, HS).transpose(1, 2)  # noqa: E731
        qh, kh, vh = heads(q, T), heads(k, S), heads(v, S)
        att = (qh @ kh.transpose(-2, -1)) / math.sqrt(HS)
        future = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        mask = torch.cat([torch.zeros(T, S - T, dtype=torch.bool), future], dim=1)
        att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
        y = (att @ vh).transpose(1, 2).reshape(B, T, C)
        x = x + linear(y, P_(ps, "attn.c_proj.weight")[l], P_(ps, "attn.c_proj.bias")[l], l, "attproj", lora)
        h = ln(x, (C,), P_(ps, "ln_2.weight")[l], P_(ps, "ln_2.bias")[l], 1e-5)
        f = linear(h, P_(ps, "mlp.c_fc.weight")[l], P_(ps, "mlp.c_fc.bias")[l], l, "fc", lora)
        f = torch.nn.functional.gelu(f, approximate="tanh")
        x = x + linear(f, P_(ps, "mlp.c_proj.weight")[l], P_(ps, "mlp.c_proj.bias")[l], l, "fcproj", lora)
    x = ln(x, (C,), ps["transformer.ln_f.weight"], ps["transformer.ln_f.bias"], 1e-5)
    logits = x @ ps["transformer.wte.weight"].t()
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    return logits, loss


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors:
        data = t.detach().contiguous().float().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    header["__metadata__"] = {"format": "pt", "source": "tests/parity/make_fixture.py",
                              "torch": torch.__version__}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/parity.safetensors"
    ps = init_params()
    idx = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    tensors = [("inputs", idx.float()), ("targets", targets.float())]
    tensors += [("p." + n, ps[n].detach().clone()) for n, _, _ in FAMILIES]

    logits, loss = forward(ps, idx, targets)
    loss.backward()
    tensors += [("logits", logits), ("loss", loss.reshape(1))]
    tensors += [("g." + n, ps[n].grad.clone()) for n, _, _ in FAMILIES]

    # Two AdamW steps on this batch (the first with the gradients above).
    decay = [ps[n] for n, _, d in FAMILIES if d]
    plain = [ps[n] for n, _, d in FAMILIES if not d]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": plain, "weight_decay": 0.0}],
                            lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
    opt.step()
    opt.zero_grad()
    forward(ps, idx, targets)[1].backward()
    opt.step()
    tensors += [("u." + n, ps[n].detach().clone()) for n, _, _ in FAMILIES]

    # LoRA on every linear, the base at its starting values and frozen.
    start = dict(tensors)
    base = {n: start["p." + n] for n, _, _ in FAMILIES}
    A = torch.zeros(L, len(MODS), R, MAXIN)
    Bm = torch.zeros(L, len(MODS), MAXOUT, R)
    for l in range(L):
        for m, (_, _, cols, cin) in enumerate(MODS):
            A[l, m, :, :cin] = 0.5 * torch.randn(R, cin)
            Bm[l, m, :cols, :] = 0.5 * torch.randn(cols, R)
    A.requires_grad_(True)
    Bm.requires_grad_(True)
    _, lloss = forward(base, idx, targets, lora=(A, Bm))
    lloss.backward()
    tensors += [("lora.A", A), ("lora.B", Bm), ("lora.loss", lloss.reshape(1)),
                ("lora.gA", A.grad), ("lora.gB", Bm.grad)]

    # Prefix tuning, the base frozen.
    kv = (0.8 * torch.randn(L, 2, P, C)).requires_grad_(True)
    _, ploss = forward(base, idx, targets, prefix=kv)
    ploss.backward()
    tensors += [("prefix.kv", kv), ("prefix.loss", ploss.reshape(1)), ("prefix.g", kv.grad)]

    write_safetensors(out, tensors)
    print(f"wrote {out}: loss {loss.item():.6f}, lora {lloss.item():.6f}, prefix {ploss.item():.6f}")


if __name__ == "__main__":
    main()
