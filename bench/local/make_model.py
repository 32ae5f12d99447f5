#!/usr/bin/env python3
"""make_model.py OUT.gguf TTYPE [SHAPE]: a random-weight llama in GGUF for
the benchmark (not committed). SHAPE "135m" (default) is SmolLM-135M's:
vocab 49152, dim 576, 30 layers, 9 heads, 3 kv heads, ffn 1536, tied
embeddings (134.5M parameters); "tiny" is a quick check. The vocabulary is
the 256 bytes and made-up multi-byte tokens, with no merges."""
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts", "model"))
from gguf_export import export  # noqa: E402

SHAPES = {
    "135m": dict(vocab=49152, dim=576, n_layers=30, n_heads=9, n_kv_heads=3, ffn_dim=1536,
                 max_seq=2048, rope_theta=10000.0, norm_eps=1e-5, tied=True),
    "tiny": dict(vocab=1024, dim=128, n_layers=2, n_heads=4, n_kv_heads=2, ffn_dim=256,
                 max_seq=512, rope_theta=10000.0, norm_eps=1e-5, tied=True),
}


def main():
    out, ttype = sys.argv[1], sys.argv[2]
    cfg = SHAPES[sys.argv[3] if len(sys.argv) > 3 else "135m"]
    rng = np.random.default_rng(1)
    d, f, hd = cfg["dim"], cfg["ffn_dim"], cfg["dim"] // cfg["n_heads"]
    kv = cfg["n_kv_heads"] * hd

    def w(rows, cols):
        return (rng.standard_normal((rows, cols), dtype=np.float32) / np.sqrt(cols)).astype(np.float32)

    sd = {"tok_embd.weight": w(cfg["vocab"], d), "norm.weight": np.ones(d, np.float32)}
    for i in range(cfg["n_layers"]):
        p = "layers.%d." % i
        sd[p + "attn_norm.weight"] = np.ones(d, np.float32)
        sd[p + "ffn_norm.weight"] = np.ones(d, np.float32)
        sd[p + "wq.weight"] = w(d, d)
        sd[p + "wk.weight"] = w(kv, d)
        sd[p + "wv.weight"] = w(kv, d)
        sd[p + "wo.weight"] = w(d, d)
        sd[p + "w_gate.weight"] = w(f, d)
        sd[p + "w_up.weight"] = w(f, d)
        sd[p + "w_down.weight"] = w(d, f)
    toks = [bytes([i]) for i in range(256)]
    seen = set(toks)
    r = random.Random(2)
    letters = b"abcdefghijklmnopqrstuvwxyz"
    while len(toks) < cfg["vocab"] - 1:
        t = (b" " if r.random() < 0.5 else b"") + bytes(r.choice(letters) for _ in range(r.randint(2, 7)))
        if t not in seen:
            seen.add(t)
            toks.append(t)
    toks.append(b"<|endoftext|>")
    export(out, cfg, sd, toks, [], ttype=ttype, eos_id=len(toks) - 1, name="random-135m")
    n = sum(v.size for v in sd.values())
    print("%s: %s, %.1fM parameters, %.1f MB" % (out, ttype, n / 1e6, os.path.getsize(out) / 1e6))


if __name__ == "__main__":
    main()
