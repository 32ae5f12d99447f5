#!/usr/bin/env python3
"""Trains the demo model: a tiny llama that extracts invoice fields as JSON.

    python3 scripts/model/train.py                    # defaults: seed 9, ~20 min on 2 CPU cores
    python3 scripts/model/train.py --minutes 2 --out /tmp/m.gguf   # a quick try
    python3 scripts/model/train.py --init models/demo.gguf --steps 0 --eval-docs 0
                                                      # export again (new exporter), same weights

The task and its data come from scripts/model/data.py (generated from the
seed, never downloaded); the tokenizer is trained by scripts/model/bpe.py
on the same corpus; the model is scripts/model/llama.py; the weights are
written with scripts/model/gguf_export.py. Each example is

    <|bos|> INSTRUCTION \\n Invoice:\\n DOCUMENT \\n JSON: ANSWER <|eos|>

and the loss counts only the answer and <|eos|>. The run is --steps
optimizer steps of --batch invoices (learning rate: linear warm-up, then a
cosine by step), so the seed and the arguments fix the data, the initial
weights and the schedule. --minutes is a safety cap on CPU time (all
threads together): a run cut short by it says so. It runs on
CUDA when torch sees a GPU, else on --threads CPU threads.

The model is meant to be imperfect: a few minutes of training leave it
right on most fields, wrong on some, which is what the demo needs to show
checks and loops at work. It prints its field accuracy on held-out
invoices (greedy decoding) at the end.
"""
import argparse
import json
import math
import os
import random
import sys
import time

# Idle OpenMP threads sleep instead of spinning: on a shared machine a
# spinning thread burns the CPU budget without training anything.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import bpe  # noqa: E402
import data  # noqa: E402
from gguf_export import _names, export  # noqa: E402
from llama import Llama  # noqa: E402


def example(tok, document, answer=None):
    """(ids, index where the answer starts)."""
    ids = [tok.bos] + tok.encode(data.prompt_text(document))
    start = len(ids)
    if answer is not None:
        ids += tok.encode(" " + answer) + [tok.eos]
    return ids, start


def answer_logits(model, x, start):
    """Llama.forward's logits for positions start.. only: the same modules in
    the same order, but the vocabulary projection (the largest product in a
    model this small) is skipped where the loss does not look."""
    T = x.shape[0]
    h = model.tok_embd(x)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), 1)
    for layer in model.layers:
        h = layer(h, model.rope_cos, model.rope_sin, mask)
    h = model.norm(h[start:])
    return h @ model.tok_embd.weight.t() if model.output is None else model.output(h)


def init_weights(model, n_layers):
    """GPT-2's initialisation: N(0, 0.02), the residual projections scaled
    down by sqrt(2 * layers); nn.Embedding's N(0, 1) would give a tied
    output layer logits in the hundreds."""
    for name, p in model.named_parameters():
        if p.dim() == 2:
            std = 0.02 / math.sqrt(2 * n_layers) if name.endswith(("wo.weight", "w_down.weight")) else 0.02
            torch.nn.init.normal_(p, 0.0, std)


def read_gguf_f32(path, cfg):
    """The state_dict of an F32 GGUF file that gguf_export wrote for cfg
    (to continue training from an exported model)."""
    import numpy as np
    import struct
    with open(path, "rb") as f:
        raw = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, raw, pos)
        pos += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def string():
        nonlocal pos
        n = take("<Q")
        pos += n
        return raw[pos - n:pos].decode("utf-8")

    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def skip(t):
        nonlocal pos
        if t == 8:
            string()
        elif t == 9:
            et, n = take("<IQ")
            for _ in range(n):
                skip(et)
        else:
            pos += sizes[t]

    magic, _, n_t, n_kv = take("<IIQQ")
    if magic != 0x46554747:
        raise ValueError("%s: not a GGUF file" % path)
    for _ in range(n_kv):
        string()
        skip(take("<I"))
    infos = []
    for _ in range(n_t):
        name = string()
        dims = [take("<Q") for _ in range(take("<I"))]
        gtype, off = take("<IQ")
        if gtype != 0:
            raise ValueError("%s: tensor %s is not F32" % (path, name))
        infos.append((name, dims, off))
    base = (pos + 31) // 32 * 32
    by_name = {}
    for name, dims, off in infos:
        n = int(np.prod(dims))
        a = np.frombuffer(raw, dtype="<f4", count=n, offset=base + off)
        by_name[name] = torch.tensor(a.reshape(list(reversed(dims))).copy())
    return {src: by_name[dst] for src, dst in _names(cfg)}


def batch_loss(model, batch, device):
    total, count = 0.0, 0
    for ids, start in batch:
        x = torch.tensor(ids[:-1], device=device)
        y = torch.tensor(ids[1:], device=device)
        logits = answer_logits(model, x, start - 1)
        total = total + F.cross_entropy(logits, y[start - 1:], reduction="sum")
        count += len(ids) - start
    return total / count


@torch.no_grad()
def greedy(model, tok, document, device, max_new=96):
    ids, _ = example(tok, document)
    out = []
    for _ in range(max_new):
        nxt = int(model(torch.tensor(ids + out, device=device))[-1].argmax())
        if nxt == tok.eos:
            break
        out.append(nxt)
    return tok.decode(out).strip()


def accuracy(model, tok, docs, device):
    """(field accuracy, documents all right, JSON parse failures)."""
    model.eval()
    right = fields = whole = bad = 0
    for d, ans in docs:
        try:
            got = json.loads(greedy(model, tok, d, device))
        except ValueError:
            got, bad = None, bad + 1
        m = data.field_matches(json.loads(data.answer_json(ans)), got)
        right += sum(m.values())
        fields += len(m)
        whole += all(m.values())
    model.train()
    return right / fields, whole, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--minutes", type=float, default=25.0,
                    help="safety cap on CPU time (all threads; on CUDA, wall-clock)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=384)
    ap.add_argument("--merges", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-docs", type=int, default=40,
                    help="validation invoices decoded at the end (0: none)")
    ap.add_argument("--ttype", default="f32", choices=["f32", "f16", "q8_0"])
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "models", "demo.gguf"))
    ap.add_argument("--log", help="also write the loss log (JSON) here")
    ap.add_argument("--init", help="start from this F32 GGUF (an earlier run's output) "
                    "instead of random weights; the data stream then starts at --skip")
    ap.add_argument("--pre", default="gpt-2",
                    help="tokenizer.ggml.pre to write (llama.cpp's name for GPT-2's pattern)")
    ap.add_argument("--skip", type=int, default=0,
                    help="train invoices to skip first (to continue a run: its steps x batch)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    t0 = time.time()
    tok = bpe.Tokenizer(bpe.train(bpe.corpus(a.seed, 2000), a.merges))
    vocab = tok.vocab()
    cfg = dict(vocab=len(vocab), dim=a.dim, n_layers=a.layers, n_heads=a.heads,
               n_kv_heads=a.kv_heads, ffn_dim=a.ffn, max_seq=512, rope_theta=10000.0,
               norm_eps=1e-5, tied=True)
    model = Llama(cfg)
    init_weights(model, cfg["n_layers"])
    if a.init:
        model.load_state_dict(read_gguf_f32(a.init, cfg), strict=False)
    model = model.to(device)
    nparams = sum(p.numel() for p in model.parameters())
    print("train: tokenizer %d tokens (%.0f s); model %d parameters on %s, %d threads"
          % (len(vocab), time.time() - t0, nparams, device, a.threads), flush=True)

    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=0.1)
    rng = random.Random(a.seed * 1000 + 1)  # the train split's stream (data.split)
    for _ in range(a.skip):
        data.make_invoice(rng)
    warm = 30
    clock = time.time if device == "cuda" else time.process_time
    log, t1, c1, step = [], time.time(), clock(), 0
    ema = None
    while step < a.steps and clock() - c1 < a.minutes * 60:
        frac = step / a.steps
        lr = a.lr * min(1.0, (step + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        batch = [example(tok, d, data.answer_json(ans))
                 for d, ans in (data.make_invoice(rng) for _ in range(a.batch))]
        loss = batch_loss(model, batch, device)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if step % 25 == 0 or step == 1:
            log.append({"step": step, "loss": round(ema, 4), "lr": round(lr, 6),
                        "s": round(time.time() - t1, 1), "cpu_s": round(clock() - c1, 1)})
            print("step %5d  loss %.4f  lr %.2e  %6.0f s  %6.0f cpu s"
                  % (step, ema, lr, time.time() - t1, clock() - c1), flush=True)
    train_s, cpu_s = time.time() - t1, clock() - c1
    if step < a.steps:
        print("train: stopped by the --minutes cap at step %d of %d" % (step, a.steps))

    print("train: %d steps in %.0f s (%.0f s CPU); final loss %s"
          % (step, train_s, cpu_s, "%.4f" % ema if ema is not None else "-"), flush=True)
    docs = data.split(a.seed, "val", a.eval_docs)
    acc = whole = bad = None
    if docs:
        acc, whole, bad = accuracy(model, tok, docs, device)
        print("train: validation (%d invoices, greedy): field accuracy %.1f%%, %d all right, "
              "%d not JSON" % (len(docs), 100 * acc, whole, bad), flush=True)

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    sd = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    export(a.out, cfg, sd, vocab, tok.gguf_merges(), ttype=a.ttype,
           bos_id=tok.bos, eos_id=tok.eos, pre=a.pre, name="warrant-demo-invoices")
    tok.save(os.path.splitext(a.out)[0] + ".tokenizer.json")
    print("train: wrote %s (%.1f MB) and its tokenizer's merges beside it"
          % (a.out, os.path.getsize(a.out) / 1e6))
    if a.log:
        with open(a.log, "w") as f:
            json.dump({"args": vars(a), "cfg": cfg, "params": nparams, "steps": step,
                       "train_seconds": round(train_s),
                       "cpu_seconds": round(cpu_s), "device": device,
                       "val_field_accuracy": acc, "val_all_right": whole,
                       "val_docs": len(docs), "val_not_json": bad, "log": log}, f, indent=1)


if __name__ == "__main__":
    main()
