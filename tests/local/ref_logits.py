#!/usr/bin/env python3
"""ref_logits.py OUTDIR: reference data for the C engine (src/local/).

Builds small llama models (random and briefly trained weights; F32, F16 and
Q8_0; tied and untied; grouped-query and plain attention), writes each as
GGUF with scripts/model/gguf_export.py, runs PyTorch (scripts/model/llama.py)
and writes OUTDIR/cases.txt for tests/local/lcheck.c, one case a line:

  logits MODEL TOL EXPECTED N TOK...   every position's logits, |diff| <= TOL
  deq MODEL TENSOR EXPECTED            a tensor dequantized, exactly
  tok MODEL TEXTFILE N TOK...          the tokenizer's ids for a text, exactly

For F16 and Q8_0 models PyTorch runs with the weights as the file holds them
(rounded or dequantized), so the bound measures the engine alone; for Q8_0
the engine also rounds activations to 8 bits (as llama.cpp does), hence the
looser bound. `--fixture PATH` writes only the small committed test model.
"""
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "model"))
from gguf_export import export, q8_0_dequantize, q8_0_quantize  # noqa: E402
from llama import Llama  # noqa: E402
from pretok import bpe_encode, train_merges  # noqa: E402

CORPUS = [
    "The invoice total is 1234.50 EUR, due on 2024-03-01.",
    "Hello world! It's a small model; we'll test it.",
    "Names: Zoë, José, Łukasz and 日本語 text.\n\nNew paragraph\twith tabs.",
    '{"vendor": "ACME", "amount": 42, "currency": "USD"}',
    "the quick brown fox jumps over the lazy dog " * 3,
]
TEXTS = [
    "", " ", "  leading spaces", "trailing   ", "a\n\n\nb", "x<|endoftext|>y",
    "don't DON'T I'm we've they'll she'd", "1234567 89", "!!!???...", "\u00e9\u00e8\u00ea",
    "\u3000ideographic space", "emoji \U0001F600 ok",
    "\u201cHello,\u201d she said \u2014 it\u2019s 42\u20ac or \u00bd \u00d7 \u00b3; \u2460\u2461 ok!",
    "Zo\u00eb \u65e5\u672c\u8a9e\u3002\u30c6\u30b9\u30c8 \uff08\uff11\uff12\uff09 e\u0301t\u00e9 \u0661\u0662\u0663",
]
SPECIAL = b"<|endoftext|>"


def random_texts(n, seed=5):
    """Texts drawn from a mix of the classes' edges: letters, digits, spaces
    of every kind, newlines, quotes, contractions, non-ASCII signs, emoji."""
    import random
    r = random.Random(seed)
    atoms = ["a", "Z", "the", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "0", "12",
             "345", "'s", "'LL", "'", "!", "?.", "\u201c", "\u2019", "\u2014", "\u20ac",
             "\u00bd", "\u00b2", "\u00e9", "e\u0301", "\u65e5", "\u3002", "\uff11",
             "\U0001F600", "<|endoftext|>", "\u0661", "_", "-", "\x00", "\x1f"]
    return ["".join(r.choice(atoms) for _ in range(r.randint(1, 30))) for _ in range(n)]


def tokenizer():
    vocab, merges = train_merges(CORPUS, 60)
    vocab.append(SPECIAL)
    return vocab, merges


def perturb_norms(model, g):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))


def train_briefly(model, ids, steps=60):
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    ids = ids[:model.cfg["max_seq"] + 1]
    x = torch.tensor(ids[:-1])
    y = torch.tensor(ids[1:])
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(loss)


def as_stored(sd, ttype, cfg):
    """The state dict as the file holds it (F16-rounded or Q8_0 round-tripped)."""
    out = {}
    for k, v in sd.items():
        a = v.detach().float().numpy()
        if a.ndim == 2 and (ttype == "f16" or (ttype == "q8_0" and a.shape[-1] % 32)):
            a = a.astype(np.float16).astype(np.float32)
        elif a.ndim == 2 and ttype == "q8_0":
            a = q8_0_dequantize(q8_0_quantize(a), a.size).reshape(a.shape)
        out[k] = torch.from_numpy(np.ascontiguousarray(a))
    return out


def write_f32(path, a):
    np.ascontiguousarray(a, dtype="<f4").tofile(path)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--fixture":
        return fixture(sys.argv[2])
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    g = torch.Generator().manual_seed(99)
    vocab, merges = tokenizer()
    eos = len(vocab) - 1
    corpus_ids = bpe_encode(" ".join(CORPUS), vocab, merges)
    base = dict(vocab=len(vocab), dim=64, n_layers=2, n_heads=4, n_kv_heads=2, ffn_dim=160,
                max_seq=96, rope_theta=10000.0, norm_eps=1e-5, tied=False)
    tied = dict(base, dim=48, n_heads=3, n_kv_heads=3, ffn_dim=128, rope_theta=500000.0,
                norm_eps=1e-6, tied=True)
    prompts = [[5], corpus_ids[:7], corpus_ids[:45], [eos] + corpus_ids[10:30]]
    lines = []
    models = []
    m = Llama(base)
    perturb_norms(m, g)
    models.append(("rand_gqa", base, m, ["f32", "f16", "q8_0"]))
    m = Llama(tied)
    perturb_norms(m, g)
    models.append(("rand_tied", tied, m, ["f32", "q8_0"]))
    m = Llama(base)
    loss = train_briefly(m, corpus_ids)
    print("trained model: loss %.3f after 60 steps" % loss)
    models.append(("trained", base, m, ["f32", "f16", "q8_0"]))
    for name, cfg, model, ttypes in models:
        sd = model.state_dict()
        for tt in ttypes:
            fn = "%s_%s.gguf" % (name, tt)
            export(os.path.join(out, fn), cfg, sd, vocab, merges, ttype=tt, eos_id=eos)
            ref = Llama(cfg)
            ref.load_state_dict(as_stored(sd, tt, cfg))
            for i, p in enumerate(prompts):
                with torch.no_grad():
                    lo = ref(torch.tensor(p)).numpy()
                ef = "%s_%s_%d.f32" % (name, tt, i)
                write_f32(os.path.join(out, ef), lo)
                tol = 1e-4 if tt != "q8_0" else 0.01 * float(np.abs(lo).max()) + 0.05
                lines.append("logits %s %g %s %d %s" % (fn, tol, ef, len(p),
                                                         " ".join(map(str, p))))
        # Q8_0 dequantization: the numpy reference of one weight, exactly
        q = as_stored(sd, "q8_0", cfg)["layers.0.w_down.weight"].numpy()
        write_f32(os.path.join(out, name + "_deq.f32"), q)
        lines.append("deq %s_q8_0.gguf blk.0.ffn_down.weight %s_deq.f32" % (name, name))
    texts = CORPUS + TEXTS + random_texts(40)
    for i, t in enumerate(texts):
        tf = "text_%d.txt" % i
        with open(os.path.join(out, tf), "wb") as f:
            f.write(t.encode("utf-8"))
    sd = models[0][2].state_dict()
    for pre in ("gpt-2", "smollm", "llama-bpe", "qwen2"):
        fn = "tok_%s.gguf" % pre
        export(os.path.join(out, fn), base, sd, vocab, merges, eos_id=eos, pre=pre)
        for i, t in enumerate(texts):
            ids = bpe_encode(t, vocab, merges, pre=pre, special=[eos])
            lines.append("tok %s text_%d.txt %d %s" % (fn, i, len(ids), " ".join(map(str, ids))))
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("%d cases in %s" % (len(lines), out))


def fixture(path):
    """tests/local/tiny.gguf (F32, tied) and tiny.logits: the expected logits of
    the corpus' first 12 tokens, so the unit tests run without Python."""
    torch.manual_seed(7)
    vocab, merges = tokenizer()
    cfg = dict(vocab=len(vocab), dim=32, n_layers=2, n_heads=4, n_kv_heads=2, ffn_dim=64,
               max_seq=64, rope_theta=10000.0, norm_eps=1e-5, tied=True)
    m = Llama(cfg)
    perturb_norms(m, torch.Generator().manual_seed(3))
    with torch.no_grad():   # small embeddings: near-flat logits, so seeds matter
        m.tok_embd.weight.mul_(0.1)
    export(path, cfg, m.state_dict(), vocab, merges, ttype="f32", eos_id=len(vocab) - 1)
    ids = bpe_encode(CORPUS[0], vocab, merges)[:12]
    with torch.no_grad():
        lo = m(torch.tensor(ids)).numpy()
    with open(os.path.splitext(path)[0] + ".logits", "wb") as f:
        f.write(struct.pack("<II", len(ids), cfg["vocab"]))
        f.write(struct.pack("<%di" % len(ids), *ids))
        f.write(np.ascontiguousarray(lo, dtype="<f4").tobytes())
    print("%s: %d bytes, %d tokens of reference logits" % (path, os.path.getsize(path), len(ids)))


if __name__ == "__main__":
    main()
