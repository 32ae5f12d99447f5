#!/usr/bin/env python3
"""A small byte-level BPE tokenizer, trained on the demo task's corpus.

The tokenizer is GPT-2's kind (GGUF `tokenizer.ggml.model = gpt2`), so the
engine's byte-level BPE reads it as it reads any such model:

* Pre-tokenization: GPT-2's pattern, written out by hand below (`pieces`):
      's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
  with \\p{L}/\\p{N} as Unicode categories L*/N* and \\s as str.isspace().
* Merges never touch a digit: every digit stays a token of its own, so a
  number is copied digit by digit, and a tokenizer that splits digit runs
  differently (Llama-3's \\p{N}{1,3}, Qwen's \\p{N}) still gives the same ids.
* Vocabulary: ids 0..255 are the single bytes 0x00..0xFF in order, then one
  token per merge in rank order, then the control tokens <|bos|> and <|eos|>.
* Tokens and merges are stored in GGUF in GPT-2's byte-to-unicode form
  (`to_unicode`): a space is "Ġ", a newline "Ċ"; a merge is "left right".

    python3 scripts/model/bpe.py --merges 1000 -o build/model/tokenizer.json
"""
import argparse
import collections
import json
import os
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

BOS, EOS = "<|bos|>", "<|eos|>"


def byte_unicode():
    """GPT-2's reversible map from the 256 bytes to printable characters."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + \
        list(range(0xAE, 0xFF + 1))
    chars, n = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + n)
            n += 1
    return chars


BYTE_CHAR = byte_unicode()


def to_unicode(b):
    return "".join(BYTE_CHAR[x] for x in b)


def _cat(c):
    k = unicodedata.category(c)[0]
    return "L" if k == "L" else "N" if k == "N" else "S" if c.isspace() else "P"


def pieces(s):
    """Splits text as GPT-2's pre-tokenization pattern does."""
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if c == "'":
            t = next((t for t in ("s", "t", "re", "ve", "m", "ll", "d")
                      if s.startswith(t, i + 1)), None)
            if t is not None:
                out.append("'" + t)
                i += 1 + len(t)
                continue
        k = _cat(c)
        start = i
        if c == " " and i + 1 < n and _cat(s[i + 1]) != "S":
            i += 1
            k = _cat(s[i])
        if k in "LNP":
            j = i + 1
            while j < n and _cat(s[j]) == k:
                j += 1
            out.append(s[start:j])
            i = j
            continue
        j = i
        while j < n and s[j].isspace():
            j += 1
        if j < n and j - i > 1:  # \s+(?!\S): leave the last one for what follows
            j -= 1
        out.append(s[i:j])
        i = j
    return out


def _has_digit(b):
    return any(0x30 <= x <= 0x39 for x in b)


def train(texts, n_merges):
    """Returns the merges as (left bytes, right bytes) in rank order."""
    words = collections.Counter()
    for t in texts:
        for p in pieces(t):
            words[p.encode("utf-8")] += 1
    seqs = {w: [bytes([x]) for x in w] for w in words}
    merges = []
    while len(merges) < n_merges:
        pairs = collections.Counter()
        for w, f in words.items():
            s = seqs[w]
            for a, b in zip(s, s[1:]):
                if not _has_digit(a) and not _has_digit(b):
                    pairs[(a, b)] += f
        if not pairs:
            break
        (a, b), f = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if f < 2:
            break
        merges.append((a, b))
        for w in words:
            s, i, r = seqs[w], 0, []
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    r.append(a + b)
                    i += 2
                else:
                    r.append(s[i])
                    i += 1
            seqs[w] = r
    return merges


class Tokenizer:
    """Encodes text with a trained merge list (ranks = list order)."""

    def __init__(self, merges):
        self.merges = merges
        self.rank = {m: i for i, m in enumerate(merges)}
        self.tokens = [bytes([b]) for b in range(256)] + [a + b for a, b in merges]
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.bos = len(self.tokens)
        self.eos = self.bos + 1
        self.cache = {}

    def vocab(self):
        """Tokens as bytes (control tokens as their UTF-8 names)."""
        return self.tokens + [BOS.encode(), EOS.encode()]

    def gguf_merges(self):
        return [to_unicode(a) + " " + to_unicode(b) for a, b in self.merges]

    def _word(self, w):
        s = [bytes([x]) for x in w]
        while len(s) > 1:
            best = min(range(len(s) - 1),
                       key=lambda i: self.rank.get((s[i], s[i + 1]), 1 << 30))
            if (s[best], s[best + 1]) not in self.rank:
                break
            s[best:best + 2] = [s[best] + s[best + 1]]
        return [self.ids[t] for t in s]

    def encode(self, text):
        out = []
        for p in pieces(text):
            ids = self.cache.get(p)
            if ids is None:
                ids = self.cache[p] = self._word(p.encode("utf-8"))
            out += ids
        return out

    def decode(self, ids):
        v = self.vocab()
        return b"".join(v[i] for i in ids).decode("utf-8", errors="replace")

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"pretokenizer": "gpt2, digits never merged",
                       "merges": self.gguf_merges(), "bos": self.bos, "eos": self.eos}, f, indent=0)

    @staticmethod
    def load(path):
        un = {c: b for b, c in BYTE_CHAR.items()}
        with open(path, encoding="utf-8") as f:
            j = json.load(f)
        back = lambda s: bytes(un[c] for c in s)
        return Tokenizer([tuple(back(x) for x in m.split(" ")) for m in j["merges"]])


def corpus(seed, n):
    """The training text: prompts and answers of the train split."""
    return [data.prompt_text(d) + " " + data.answer_json(a) + "\n"
            for d, a in data.split(seed, "train", n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--docs", type=int, default=2000, help="train documents to learn from")
    ap.add_argument("--merges", type=int, default=1000)
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args()
    tok = Tokenizer(train(corpus(a.seed, a.docs), a.merges))
    tok.save(a.out)
    n = sum(len(tok.encode(t)) for t in corpus(a.seed, 200))
    print("bpe: %d merges, vocabulary %d, %.1f tokens per example" %
          (len(tok.merges), len(tok.vocab()), n / 200))


if __name__ == "__main__":
    main()
