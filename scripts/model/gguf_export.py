"""gguf_export.py: writes a llama.py model as a GGUF v3 file (numpy + struct only).

    from gguf_export import export
    export("model.gguf", cfg, model.state_dict(), tokens, merges, ttype="q8_0",
           bos_id=1, eos_id=2)

The file has llama.cpp's standard keys and tensor names for
general.architecture = llama, so both src/local/ and llama.cpp load it.

tokens: the vocabulary, id order. Each entry is either
  - bytes: the token's raw bytes (b" the", b"\\xe2\\x82"); written in GPT-2's
    byte-to-unicode form, as GGUF's "gpt2" tokenizer expects, or
  - str: already in that form ("Ġthe"), written as it is.
  A bytes entry of the form b"<|...|>" is a control (special) token, written
  literally with token_type 3; so are the ids in control_ids.
merges: ranked, best first; each either a str "A B" with A and B in GPT-2
  unicode form (as in GGUF and HF tokenizer.json), or a pair (bytes, bytes).
ttype: "f32", "f16" or "q8_0" for the 2-D weights; norms stay F32, and a
  matrix whose rows are not a multiple of 32 wide falls back to F16 under q8_0.
pre: tokenizer.ggml.pre, the pre-tokenizer, by llama.cpp's names: "gpt-2" (the
  default), "smollm", "llama-bpe" or "qwen2"; scripts/model/pretok.py splits
  text exactly as the C engine does for each.
"""
import struct

import numpy as np

GGUF_MAGIC = 0x46554747
ALIGN = 32
T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64 = 4, 5, 6, 7, 8, 9, 10
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
QK8_0 = 32
TOKEN_NORMAL, TOKEN_CONTROL = 1, 3


def bytes_to_unicode():
    """GPT-2's reversible map from the 256 byte values to printable characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + \
        list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_ENC = bytes_to_unicode()
BYTE_DEC = {c: b for b, c in BYTE_ENC.items()}


def token_str(b):
    """bytes -> GPT-2 unicode form."""
    return "".join(BYTE_ENC[x] for x in b)


def token_bytes(s):
    """GPT-2 unicode form -> bytes (the inverse of token_str)."""
    return bytes(BYTE_DEC[c] for c in s)


def q8_0_quantize(a):
    """float32 [..., n*32] -> bytes of Q8_0 blocks, as ggml's quantize_row_q8_0_ref."""
    x = np.ascontiguousarray(a, dtype=np.float32).reshape(-1, QK8_0)
    amax = np.abs(x).max(axis=1)
    d = (amax / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        idv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = (x * idv[:, None]).astype(np.float32)
    q = (np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))).astype(np.int8)  # roundf
    blocks = np.zeros(x.shape[0], dtype=[("d", "<f2"), ("qs", "i1", (QK8_0,))])
    blocks["d"] = d.astype(np.float16)
    blocks["qs"] = q
    return blocks.tobytes()


def q8_0_dequantize(raw, n):
    """bytes of Q8_0 blocks -> float32 [n], as ggml's dequantize_row_q8_0."""
    blocks = np.frombuffer(raw, dtype=[("d", "<f2"), ("qs", "i1", (QK8_0,))])
    d = blocks["d"].astype(np.float32)
    return (blocks["qs"].astype(np.float32) * d[:, None]).reshape(-1)[:n]


class _Writer:
    def __init__(self):
        self.kv = []

    @staticmethod
    def s(text):
        b = text.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def add(self, key, vtype, value):
        out = self.s(key) + struct.pack("<I", vtype)
        if vtype == T_STR:
            out += self.s(value)
        elif vtype == T_ARR:
            etype, items = value
            out += struct.pack("<IQ", etype, len(items))
            if etype == T_STR:
                out += b"".join(self.s(x) for x in items)
            else:
                fmt = {T_I32: "<i", T_U32: "<I", T_F32: "<f"}[etype]
                out += b"".join(struct.pack(fmt, x) for x in items)
        else:
            fmt = {T_U32: "<I", T_I32: "<i", T_F32: "<f", T_BOOL: "<?", T_U64: "<Q"}[vtype]
            out += struct.pack(fmt, value)
        self.kv.append(out)


def _np(t):
    if hasattr(t, "detach"):
        t = t.detach().cpu().float().numpy()
    return np.ascontiguousarray(t, dtype=np.float32)


def _names(cfg):
    """(state_dict name, GGUF name) for every tensor, in file order."""
    yield "tok_embd.weight", "token_embd.weight"
    parts = [("attn_norm", "attn_norm"), ("wq", "attn_q"), ("wk", "attn_k"),
             ("wv", "attn_v"), ("wo", "attn_output"), ("ffn_norm", "ffn_norm"),
             ("w_gate", "ffn_gate"), ("w_up", "ffn_up"), ("w_down", "ffn_down")]
    for i in range(cfg["n_layers"]):
        for src, dst in parts:
            yield "layers.%d.%s.weight" % (i, src), "blk.%d.%s.weight" % (i, dst)
    yield "norm.weight", "output_norm.weight"
    if not cfg["tied"]:
        yield "output.weight", "output.weight"


def _encode(a, ttype):
    """(ggml type, bytes) for a float32 array."""
    if a.ndim == 1 or ttype == "f32":
        return GGML_F32, a.astype("<f4").tobytes()
    if ttype == "q8_0" and a.shape[-1] % QK8_0 == 0:
        return GGML_Q8_0, q8_0_quantize(a)
    if ttype in ("f16", "q8_0"):
        return GGML_F16, a.astype("<f2").tobytes()
    raise ValueError("ttype must be f32, f16 or q8_0")


def export(path, cfg, state_dict, tokens, merges, ttype="f32", bos_id=None,
           eos_id=None, control_ids=(), pre="gpt-2", name="warrant-tiny"):
    if len(tokens) != cfg["vocab"]:
        raise ValueError("%d tokens for a vocab of %d" % (len(tokens), cfg["vocab"]))
    w = _Writer()
    w.add("general.architecture", T_STR, "llama")
    w.add("general.name", T_STR, name)
    w.add("general.alignment", T_U32, ALIGN)
    w.add("general.file_type", T_U32, {"f32": 0, "f16": 1, "q8_0": 7}[ttype])
    w.add("llama.context_length", T_U32, cfg["max_seq"])
    w.add("llama.embedding_length", T_U32, cfg["dim"])
    w.add("llama.block_count", T_U32, cfg["n_layers"])
    w.add("llama.feed_forward_length", T_U32, cfg["ffn_dim"])
    w.add("llama.attention.head_count", T_U32, cfg["n_heads"])
    w.add("llama.attention.head_count_kv", T_U32, cfg["n_kv_heads"])
    w.add("llama.rope.freq_base", T_F32, float(cfg["rope_theta"]))
    w.add("llama.rope.dimension_count", T_U32, cfg["dim"] // cfg["n_heads"])
    w.add("llama.attention.layer_norm_rms_epsilon", T_F32, float(cfg["norm_eps"]))
    w.add("llama.vocab_size", T_U32, cfg["vocab"])
    w.add("tokenizer.ggml.model", T_STR, "gpt2")
    w.add("tokenizer.ggml.pre", T_STR, pre)
    strs, types = [], []
    control = set(control_ids)
    for i, t in enumerate(tokens):
        if isinstance(t, str):
            strs.append(t)
            types.append(TOKEN_CONTROL if i in control else TOKEN_NORMAL)
        elif i in control or (t.startswith(b"<|") and t.endswith(b"|>") and len(t) > 4):
            strs.append(t.decode("utf-8"))
            types.append(TOKEN_CONTROL)
        else:
            strs.append(token_str(t))
            types.append(TOKEN_NORMAL)
    mstrs = [m if isinstance(m, str) else token_str(m[0]) + " " + token_str(m[1])
             for m in merges]
    w.add("tokenizer.ggml.tokens", T_ARR, (T_STR, strs))
    w.add("tokenizer.ggml.token_type", T_ARR, (T_I32, types))
    w.add("tokenizer.ggml.merges", T_ARR, (T_STR, mstrs))
    if bos_id is not None:
        w.add("tokenizer.ggml.bos_token_id", T_U32, bos_id)
    if eos_id is not None:
        w.add("tokenizer.ggml.eos_token_id", T_U32, eos_id)
    w.add("tokenizer.ggml.add_bos_token", T_BOOL, False)

    infos, blobs, off = [], [], 0
    for src, dst in _names(cfg):
        a = _np(state_dict[src])
        gtype, raw = _encode(a, ttype)
        dims = list(reversed(a.shape))  # ne[0] is the fastest-varying
        infos.append(w.s(dst) + struct.pack("<I", len(dims)) +
                     b"".join(struct.pack("<Q", d) for d in dims) +
                     struct.pack("<IQ", gtype, off))
        pad = (-len(raw)) % ALIGN
        blobs.append(raw + b"\0" * pad)
        off += len(raw) + pad

    head = struct.pack("<IIQQ", GGUF_MAGIC, 3, len(infos), len(w.kv))
    head += b"".join(w.kv) + b"".join(infos)
    head += b"\0" * ((-len(head)) % ALIGN)
    with open(path, "wb") as f:
        f.write(head)
        for b in blobs:
            f.write(b)
