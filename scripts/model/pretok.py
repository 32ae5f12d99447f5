"""pretok.py: the byte-level BPE encoder of src/local/tokenizer.c, in Python.

    from pretok import split, bpe_encode
    pieces = split("Hello world", "gpt2")        # ["Hello", " world"]
    ids = bpe_encode(text, vocab, merges)        # vocab: list[bytes]

It is the reference the C tokenizer is tested against (tests/local), and
what a tokenizer trainer should use to split its corpus, so that training
and the engine agree. The classes are the C ones: spaces are the code points
in SPACE, digits 0-9 and RANGES' "N", punctuation and symbols ASCII's and
RANGES' "O", and every other code point a letter. (GPT-2's own regex uses
Unicode's \\p{L} and \\p{N}; this table covers the signs text mostly holds.)
"""
import re

SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# Non-ASCII ranges that are punctuation/symbols ("O") or digits ("N"); every
# other non-space code point is a letter. The same table as cp_ranges in
# src/local/tokenizer.c.
RANGES = [
    (0x00a1, 0x00a9, "O"), (0x00ab, 0x00b1, "O"), (0x00b2, 0x00b3, "N"), (0x00b4, 0x00b4, "O"),
    (0x00b6, 0x00b8, "O"), (0x00b9, 0x00b9, "N"), (0x00bb, 0x00bb, "O"), (0x00bc, 0x00be, "N"),
    (0x00bf, 0x00bf, "O"), (0x00d7, 0x00d7, "O"), (0x00f7, 0x00f7, "O"), (0x0300, 0x036f, "O"),
    (0x0660, 0x0669, "N"), (0x06f0, 0x06f9, "N"), (0x0966, 0x096f, "N"), (0x200b, 0x2027, "O"),
    (0x202a, 0x202e, "O"), (0x2030, 0x205e, "O"), (0x2060, 0x206f, "O"), (0x2070, 0x2070, "N"),
    (0x2074, 0x2079, "N"), (0x207a, 0x207e, "O"), (0x2080, 0x2089, "N"), (0x208a, 0x208e, "O"),
    (0x20a0, 0x20cf, "O"), (0x2150, 0x2189, "N"), (0x2190, 0x245f, "O"), (0x2460, 0x249b, "N"),
    (0x249c, 0x24e9, "O"), (0x24ea, 0x24ff, "N"), (0x2500, 0x2775, "O"), (0x2776, 0x2793, "N"),
    (0x2794, 0x2bff, "O"), (0x2e00, 0x2e7f, "O"), (0x3001, 0x3004, "O"), (0x3007, 0x3007, "N"),
    (0x3008, 0x3020, "O"), (0x3021, 0x3029, "N"), (0x3030, 0x3030, "O"), (0x3036, 0x3037, "O"),
    (0x3038, 0x303a, "N"), (0x303d, 0x303f, "O"), (0xfe30, 0xfe6f, "O"), (0xff01, 0xff0f, "O"),
    (0xff10, 0xff19, "N"), (0xff1a, 0xff20, "O"), (0xff3b, 0xff40, "O"), (0xff5b, 0xff65, "O"),
    (0x1f000, 0x1faff, "O"),
]


def _cls(kind):
    return "".join("\\U%08x-\\U%08x" % (lo, hi) for lo, hi, k in RANGES if k == kind)


DIGITS = "0-9" + _cls("N")
OTHERS = "\\x00-\\x08\\x0e-\\x1f\\x21-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f" + _cls("O")
S = "[%s]" % SPACE
N = "[%s]" % DIGITS
NOT_SLN = "[%s]" % OTHERS
L = "[^%s%s%s]" % (SPACE, DIGITS, OTHERS)

PATTERNS = {
    "gpt2": re.compile(
        r"'s|'t|'re|'ve|'m|'ll|'d| ?%s+| ?%s+| ?%s+|%s+(?!%s)|%s+"
        % (L, N, NOT_SLN, S, "[^%s]" % SPACE, S)),
    "llama3": re.compile(
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|(?:(?![\r\n])(?:%s|%s))?%s+|%s{1,3}| ?%s+[\r\n]*|%s*[\r\n]+|%s+(?!%s)|%s+"
        % (S, NOT_SLN, L, N, NOT_SLN, S, S, "[^%s]" % SPACE, S)),
}
PATTERNS["qwen2"] = re.compile(PATTERNS["llama3"].pattern.replace("{1,3}", "", 1))
PRE_NAMES = {"gpt2": "gpt2", "gpt-2": "gpt2", "smollm": "smollm", "llama-bpe": "llama3", "llama3": "llama3",
             "smaug-bpe": "llama3", "qwen2": "qwen2", "deepseek-r1-qwen": "qwen2"}


def split(text, pre="gpt-2"):
    """The pre-tokenizer's pieces of text (a str), in order. pre is GGUF's
    tokenizer.ggml.pre: gpt-2 (the default), smollm, llama-bpe, qwen2."""
    kind = PRE_NAMES.get(pre, "gpt2")
    if kind == "smollm":   # every digit a piece, then gpt-2 on the rest
        out = []
        for part in re.split(r"([0-9])", text):
            if part:
                out.extend([part] if part.isdigit() else PATTERNS["gpt2"].findall(part))
        return out
    return PATTERNS[kind].findall(text)


def bpe_encode(text, vocab, merges, pre="gpt-2", special=()):
    """Token ids of text. vocab: list[bytes] (raw bytes, id order); merges:
    list of (bytes, bytes), best first; special: ids matched as literal text
    first (longest first)."""
    ids = {}
    for i, b in enumerate(vocab):
        if i not in special:
            ids.setdefault(b, i)
    rank = {}
    for r, (a, b) in enumerate(merges):
        if a in ids and b in ids and a + b in ids:
            rank.setdefault((ids[a], ids[b]), (r, ids[a + b]))
    out = []
    specials = sorted(special, key=lambda i: -len(vocab[i]))
    raw = text.encode("utf-8")
    chunks = [raw]
    if specials:
        alt = b"|".join(re.escape(vocab[i]) for i in specials)
        chunks = re.split(b"(" + alt + b")", raw)
    for ch in chunks:
        if not ch:
            continue
        sp = [i for i in specials if vocab[i] == ch]
        if sp:
            out.append(sp[0])
            continue
        for piece in split(ch.decode("utf-8"), pre):
            sym = [ids[bytes([c])] for c in piece.encode("utf-8") if bytes([c]) in ids]
            if PRE_NAMES.get(pre, "gpt2") == "llama3" and piece.encode("utf-8") in ids:
                out.append(ids[piece.encode("utf-8")])
                continue
            while len(sym) > 1:
                best = None
                for i in range(len(sym) - 1):
                    m = rank.get((sym[i], sym[i + 1]))
                    if m and (best is None or m[0] < best[1][0]):
                        best = (i, m)
                if best is None:
                    break
                i, (_, new) = best
                sym[i:i + 2] = [new]
            out.extend(sym)
    return out


def train_merges(texts, n_merges, pre="gpt-2"):
    """A small BPE trainer: the n_merges most frequent adjacent pairs, merged
    greedily over the pieces of texts. Returns (vocab, merges): vocab is the
    256 single bytes followed by one token per merge."""
    words = {}
    for t in texts:
        for p in split(t, pre):
            k = tuple(bytes([c]) for c in p.encode("utf-8"))
            words[k] = words.get(k, 0) + 1
    vocab = [bytes([i]) for i in range(256)]
    merges = []
    for _ in range(n_merges):
        pairs = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append((a, b))
        vocab.append(a + b)
        nw = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            nw[tuple(out)] = nw.get(tuple(out), 0) + c
        words = nw
    return vocab, merges
