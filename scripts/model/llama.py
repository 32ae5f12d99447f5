"""llama.py: a tiny llama-family model in PyTorch, in llama.cpp's conventions.

    from llama import Llama
    cfg = dict(vocab=512, dim=64, n_layers=2, n_heads=4, n_kv_heads=2,
               ffn_dim=192, max_seq=256, rope_theta=10000.0, norm_eps=1e-5,
               tied=True)
    m = Llama(cfg)
    logits = m(torch.tensor([1, 2, 3]))      # [3, vocab]

It is the reference the C engine (src/local/) is tested against, and what
scripts/model/train.py trains; scripts/model/gguf_export.py writes its
state_dict as a GGUF file that the engine and llama.cpp load.

Conventions, the same as llama.cpp's LLM_ARCH_LLAMA:
  - RMSNorm: x * rsqrt(mean(x^2) + eps) * weight.
  - RoPE in the "normal" (GGML_ROPE_TYPE_NORM) layout: within each head the
    dimensions are rotated in adjacent pairs (x[2i], x[2i+1]) by the angle
    pos * theta^(-2i/head_dim). The weights here are therefore already in
    GGUF order: the exporter writes wq/wk as they are, with none of the row
    permutation that HF checkpoints (which rotate halves) need.
  - grouped-query attention: query head h reads kv head h // (n_heads/n_kv_heads).
  - SwiGLU feed-forward: w_down(silu(w_gate x) * w_up x).
  - tied: the output projection is the token embedding (no 'output.weight').
  - cfg["arch"] = "qwen2" (optional; default "llama") is llama.cpp's
    LLM_ARCH_QWEN2: the same with biases on q, k and v, and RoPE in the NEOX
    layout, which rotates (x[i], x[i + head_dim/2]) instead of adjacent pairs.

state_dict names (what the exporter maps to GGUF tensor names):
  tok_embd.weight, layers.N.{attn_norm,wq,wk,wv,wo,ffn_norm,w_gate,w_up,w_down}.weight,
  norm.weight, output.weight (absent when tied).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

CFG_KEYS = ("vocab", "dim", "n_layers", "n_heads", "n_kv_heads", "ffn_dim",
            "max_seq", "rope_theta", "norm_eps", "tied")


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        x32 = x.float()
        y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight.float()).to(x.dtype)


def rope_tables(head_dim, max_seq, theta):
    """cos and sin, [max_seq, head_dim/2], for the adjacent-pair layout."""
    i = torch.arange(0, head_dim, 2, dtype=torch.float64)
    inv = theta ** (-i / head_dim)
    ang = torch.arange(max_seq, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin, neox=False):
    """x: [T, H, D]; rotates the pairs (x[..., 2i], x[..., 2i+1]), or with
    neox (x[..., i], x[..., i + D/2])."""
    T, half = x.shape[0], x.shape[-1] // 2
    if neox:
        x0, x1 = x[..., :half], x[..., half:]
    else:
        x0, x1 = x[..., 0::2], x[..., 1::2]
    c = cos[:T, None, :]
    s = sin[:T, None, :]
    out = torch.empty_like(x)
    if neox:
        out[..., :half] = x0 * c - x1 * s
        out[..., half:] = x0 * s + x1 * c
    else:
        out[..., 0::2] = x0 * c - x1 * s
        out[..., 1::2] = x0 * s + x1 * c
    return out


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim, nh, nkv = cfg["dim"], cfg["n_heads"], cfg["n_kv_heads"]
        hd = dim // nh
        self.nh, self.nkv, self.hd = nh, nkv, hd
        qwen2 = cfg.get("arch", "llama") == "qwen2"
        self.neox = qwen2
        self.attn_norm = RMSNorm(dim, cfg["norm_eps"])
        self.wq = nn.Linear(dim, nh * hd, bias=qwen2)
        self.wk = nn.Linear(dim, nkv * hd, bias=qwen2)
        self.wv = nn.Linear(dim, nkv * hd, bias=qwen2)
        self.wo = nn.Linear(nh * hd, dim, bias=False)
        self.ffn_norm = RMSNorm(dim, cfg["norm_eps"])
        self.w_gate = nn.Linear(dim, cfg["ffn_dim"], bias=False)
        self.w_up = nn.Linear(dim, cfg["ffn_dim"], bias=False)
        self.w_down = nn.Linear(cfg["ffn_dim"], dim, bias=False)

    def forward(self, x, cos, sin, mask):
        T = x.shape[0]
        h = self.attn_norm(x)
        q = apply_rope(self.wq(h).view(T, self.nh, self.hd), cos, sin, self.neox)
        k = apply_rope(self.wk(h).view(T, self.nkv, self.hd), cos, sin, self.neox)
        v = self.wv(h).view(T, self.nkv, self.hd)
        rep = self.nh // self.nkv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = torch.einsum("thd,shd->hts", q, k) / math.sqrt(self.hd)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        o = torch.einsum("hts,shd->thd", att, v).reshape(T, self.nh * self.hd)
        x = x + self.wo(o)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        missing = [k for k in CFG_KEYS if k not in cfg]
        if missing:
            raise ValueError("cfg lacks %s" % ", ".join(missing))
        if cfg["dim"] % cfg["n_heads"] or cfg["n_heads"] % cfg["n_kv_heads"]:
            raise ValueError("dim must divide by n_heads, n_heads by n_kv_heads")
        if cfg.get("arch", "llama") not in ("llama", "qwen2"):
            raise ValueError("arch must be llama or qwen2")
        if (cfg["dim"] // cfg["n_heads"]) % 2:
            raise ValueError("head dimension must be even (RoPE pairs)")
        self.cfg = dict(cfg)
        self.tok_embd = nn.Embedding(cfg["vocab"], cfg["dim"])
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg["n_layers"]))
        self.norm = RMSNorm(cfg["dim"], cfg["norm_eps"])
        self.output = None if cfg["tied"] else nn.Linear(cfg["dim"], cfg["vocab"], bias=False)
        cos, sin = rope_tables(cfg["dim"] // cfg["n_heads"], cfg["max_seq"], cfg["rope_theta"])
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def forward(self, tokens):
        """tokens: LongTensor[T] (T <= max_seq) -> logits [T, vocab]."""
        T = tokens.shape[0]
        if T > self.cfg["max_seq"]:
            raise ValueError("sequence longer than max_seq")
        x = self.tok_embd(tokens)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), 1)
        for layer in self.layers:
            x = layer(x, self.rope_cos, self.rope_sin, mask)
        x = self.norm(x)
        if self.output is None:
            return x @ self.tok_embd.weight.t()
        return self.output(x)
