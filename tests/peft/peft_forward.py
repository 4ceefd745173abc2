#!/usr/bin/python3
"""peft_forward.py MODEL_DIR ADAPTER_DIR TEXT -> JSON on stdout

A second, independent route to what an exported adapter means: GPT-2
written here in torch (no transformers, no PEFT: neither is installable on
these machines), reading lorascope's model folder (config.json and
model.safetensors in Hugging Face's names) and applying the adapter folder
as Hugging Face PEFT would, from its adapter_config.json and
adapter_model.safetensors:

  IA3            c_attn's output times ia3_l (3C; q, k and v), mlp.c_proj's
                 input times ia3_l (4C) (PEFT tuners/ia3/layer.py, Linear)
  LORA           every adapted Conv1D: x W + b + s x A^T B^T, s = lora_alpha / r
                 (or / sqrt r with use_rslora) (tuners/lora/layer.py)
  LORA, use_dora DoRA: the norm n of each output's row of (W^T + s B A) and
                 g = magnitude / n; x W + b + (g - 1) (x W) + g s x A^T B^T
                 (tuners/lora/dora.py, DoraLinearLayer.forward)
  PROMPT_TUNING  the P rows of prompt_embeddings prepended to the token
                 embeddings; positions count from 0 over the virtual tokens
                 too, so the real tokens sit at P..P+T-1 (GPT-2 in
                 transformers with inputs_embeds: PeftModelForCausalLM.forward
                 drops position_ids and concatenates the prompt in front)

For PROMPT_TUNING the output also holds "real_positions_from_0": the same
forward with the real tokens at 0..T-1 (the virtual tokens still at
0..P-1), the semantics lorascope trains with (src/tune/tune_prompt.c), so a
test can show both that the file holds what lorascope trained and how far
PEFT's reading of it is from that.

Prints the mean next-byte loss (nats) over TEXT's bytes and the logits of
the last position. Run by hand to refresh tests/data/peft/*.expected.json
(tests/test_methods.c reads them):
  /usr/bin/python3 tests/peft/peft_forward.py tests/data/peft/model \\
      tests/data/peft/ia3 "Call me Ishmael. Some" > tests/data/peft/ia3.expected.json
"""
import json
import math
import struct
import sys

import torch


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.float32)
        out[name] = t.reshape(info["shape"])
    return out


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def linear(w, t, cfg, a, path, x):
    """Conv1D path (weight (in, out)) with the adapter's LoRA / DoRA on it."""
    W, b = w[path[len("base_model.model."):] + ".weight"], w[path[len("base_model.model."):] + ".bias"]
    y = x @ W + b
    if a is None or (path + ".lora_A.weight") not in t:
        return y
    A, B = t[path + ".lora_A.weight"], t[path + ".lora_B.weight"]
    r = A.shape[0]
    s = a["lora_alpha"] / (math.sqrt(r) if a.get("use_rslora") else r)
    lora = (x @ A.T @ B.T) * s
    if not a.get("use_dora"):
        return y + lora
    n = torch.linalg.norm(W.T + s * (B @ A), dim=1)
    g = t[path + ".lora_magnitude_vector"] / n
    return y + (g - 1) * (x @ W) + g * lora


def forward(cfg, w, adapter, tokens, real_from_0=False):
    C, H, L = cfg["n_embd"], cfg["n_head"], cfg["n_layer"]
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    kind = adapter["config"]["peft_type"] if adapter else None
    t = adapter["tensors"] if adapter else {}
    la = adapter["config"] if kind == "LORA" else None
    x = w["transformer.wte.weight"][tokens]
    P = 0
    if kind == "PROMPT_TUNING":
        prompt = t["prompt_embeddings"]
        P = prompt.shape[0]
        x = torch.cat([prompt, x], 0)
    T = x.shape[0]
    pos = torch.arange(T)
    if real_from_0:
        pos = torch.cat([torch.arange(P), torch.arange(T - P)])
    x = x + w["transformer.wpe.weight"][pos]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(L):
        p = "transformer.h.%d." % l
        a = "base_model.model." + p
        h = torch.nn.functional.layer_norm(x, (C,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = linear(w, t, cfg, la, a + "attn.c_attn", h)
        if kind == "IA3":
            qkv = qkv * t[a + "attn.c_attn.ia3_l"].flatten()
        q, k, v = qkv.split(C, 1)
        q = q.reshape(T, H, C // H).transpose(0, 1)
        k = k.reshape(T, H, C // H).transpose(0, 1)
        v = v.reshape(T, H, C // H).transpose(0, 1)
        att = (q @ k.transpose(1, 2)) / math.sqrt(C // H)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(0, 1).reshape(T, C)
        x = x + linear(w, t, cfg, la, a + "attn.c_proj", y)
        h = torch.nn.functional.layer_norm(x, (C,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = gelu_new(linear(w, t, cfg, la, a + "mlp.c_fc", h))
        if kind == "IA3":
            h = h * t[a + "mlp.c_proj.ia3_l"].flatten()
        x = x + linear(w, t, cfg, la, a + "mlp.c_proj", h)
    x = torch.nn.functional.layer_norm(x, (C,), w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    logits = x @ w["transformer.wte.weight"].T
    return logits[P:]


def main():
    model_dir, adapter_dir, text = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    cfg = json.load(open(model_dir + "/config.json"))
    w = read_safetensors(model_dir + "/model.safetensors")
    adapter = None
    if adapter_dir != "-":
        adapter = {"config": json.load(open(adapter_dir + "/adapter_config.json")),
                   "tensors": read_safetensors(adapter_dir + "/adapter_model.safetensors")}
    tokens = torch.tensor(list(text[:-1]))
    targets = torch.tensor(list(text[1:]))
    def run(real_from_0):
        with torch.no_grad():
            logits = forward(cfg, w, adapter, tokens, real_from_0)
            loss = torch.nn.functional.cross_entropy(logits, targets).item()
        return {"loss": loss, "last_logits": [round(v, 6) for v in logits[-1, :16].tolist()]}
    out = {"adapter": adapter["config"]["peft_type"] if adapter else None, "text": text.decode()}
    out.update(run(False))
    if out["adapter"] == "PROMPT_TUNING":
        out["real_positions_from_0"] = run(True)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
