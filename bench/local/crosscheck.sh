#!/usr/bin/env bash
# warrant's engine against llama.cpp on the reference suite's files
# (tests/local/ref_logits.py): the tokenizer's ids for every text under every
# tokenizer (gpt-2, smollm, llama-bpe, qwen2 pre-tokenizers and SentencePiece),
# and the last token's logits of a 40-token prompt on each F32/F16/Q8_0 model.
# Needs python3-torch and a llama.cpp libllama.so (LLAMA_CPP_LIB, or
# bench/local/get_llamacpp.sh). Usage: bench/local/crosscheck.sh [BUILD]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/${1:-build}
cd "$root"
lib=${LLAMA_CPP_LIB:-$(ls "$build"/llamacpp/package/bins/*/libllama.v*.so 2>/dev/null | head -1)}
[ -n "$lib" ] || { echo "no llama.cpp: set LLAMA_CPP_LIB or run bench/local/get_llamacpp.sh"; exit 1; }
py=python3
"$py" -c 'import torch' 2>/dev/null || py=/usr/bin/python3
make --no-print-directory -s -j2 BUILD="${1:-build}" "${1:-build}/bench_local" "${1:-build}/lcheck" >/dev/null
cc -O2 -std=c17 -D_GNU_SOURCE -o "$build/bench_llamacpp" bench/local/llamacpp.c -ldl
ref=$build/bench/crosscheck
"$py" tests/local/ref_logits.py "$ref" >/dev/null
# warrant's ids come from the cases file (lcheck checks the C engine gives them)
"$build/lcheck" "$ref" 2 | tail -1
for model in tok_gpt-2 tok_smollm tok_llama-bpe tok_qwen2 spm_f32; do
	same=0 differ=0
	while read -r kind file text n ids; do
		[ "$kind" = tok ] && [ "$file" = "$model.gguf" ] || continue
		got=$("$build/bench_llamacpp" "$lib" "$ref/$file" tok "$ref/$text")
		if [ "$got" = "$ids" ]; then same=$((same + 1)); else
			differ=$((differ + 1)); echo "  $model $text: llama.cpp [$got], warrant [$ids]"; fi
	done < "$ref/cases.txt"
	echo "tokenizer $model: $same texts the same, $differ differ"
done
for f in "$ref"/*_f32.gguf "$ref"/*_f16.gguf "$ref"/*_q8_0.gguf; do
	"$build/bench_llamacpp" "$lib" "$f" 1 40 0 0 > "$ref/lc.f32"
	"$build/bench_local" "$f" 1 40 0 0 > "$ref/wr.f32"
	"$py" - "$ref/lc.f32" "$ref/wr.f32" "$(basename "$f")" <<'PY'
import sys
import numpy as np
a, b = (np.fromfile(p, np.float32) for p in sys.argv[1:3])
print("logits %-22s max |diff| %.2e, largest |logit| %6.2f, argmax %s" % (
    sys.argv[3], np.abs(a - b).max(), np.abs(a).max(),
    "same" if a.argmax() == b.argmax() else "differs"))
PY
done
