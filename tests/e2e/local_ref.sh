#!/usr/bin/env bash
# The local engine (src/local) against PyTorch: random and trained llama
# models in F32, F16 and Q8_0 (tests/local/ref_logits.py), every position's
# logits within 1e-4 for F32/F16 weights and a looser bound for Q8_0; Q8_0
# dequantization exactly as numpy's; the tokenizer's ids as the Python
# reference's (three pre-tokenizers) and round trips. Needs python3-torch and
# python3-numpy (scripts/deps.sh with WITH_TORCH=1); prints SKIP without them.
set -u
. "$WR_ROOT/tests/lib.sh"
build=$(dirname "$WARRANT")
py=""
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import torch, numpy' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
	echo "SKIP: no python3 with torch and numpy (apt-get install python3-torch python3-numpy)"
	exit 0
fi
expect_exit 0 "reference models and logits from PyTorch" -- "$py" "$WR_ROOT/tests/local/ref_logits.py" ref
expect_exit 0 "the C engine matches them (2 threads)" -- "$build/lcheck" ref 2
grep -E 'logits|deq' last.out | head -40
expect_out 'lcheck: [0-9]+ cases, 0 failed' "every case passed"
expect_exit 0 "the same on 1 thread" -- "$build/lcheck" ref 1
# each kernel family the CPU allows: AVX-512 VNNI, AVX2 (+VNNI), portable C
expect_exit 0 "without AVX-512" -- env WR_LOCAL_NO_AVX512=1 "$build/lcheck" ref 2
expect_exit 0 "without AVX-VNNI and AVX-512" -- env WR_LOCAL_NO_AVX512=1 WR_LOCAL_NO_VNNI=1 "$build/lcheck" ref 2
expect_exit 0 "portable C only" -- env WR_LOCAL_NO_SIMD=1 "$build/lcheck" ref 2
finish
