#!/usr/bin/env bash
# The local engine's speed: tokens/s for a 128-token prompt and 64 generated
# tokens, 2 threads, on the demo model (models/demo.gguf, when present) and on
# a ~135M-parameter random model of SmolLM-135M's shape written at bench time
# (Q8_0 and F16; build/bench/, not committed). Each figure is the median of
# RUNS runs (default 3).
#
# Against llama.cpp in the same run when LLAMA_CPP_LIB names its libllama.so
# (a build from its public source: cmake -B b -DBUILD_SHARED_LIBS=ON && cmake
# --build b; then LLAMA_CPP_LIB=b/bin/libllama.so), or when
# bench/local/get_llamacpp.sh has fetched a release build from npm into
# build/llamacpp. Both engines then also run one prompt on each file and the
# largest difference of their logits is printed, a check that they read it
# the same way.
#
# Usage: bench/local/run.sh [BUILD]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/${1:-build}
runs=${RUNS:-3}
threads=${THREADS:-2}
cd "$root"
make --no-print-directory -s -j2 BUILD="${1:-build}" "$build/bench_local" >/dev/null
py=""
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import numpy' 2>/dev/null; then py=$p; break; fi
done
lib=${LLAMA_CPP_LIB:-}
if [ -z "$lib" ]; then
	lib=$(ls "$build"/llamacpp/package/bins/*/libllama.so "$build"/llamacpp/package/bins/*/libllama.v*.so \
	      2>/dev/null | head -1 || true)
fi
if [ -n "$lib" ]; then
	cc -O2 -std=c17 -D_GNU_SOURCE -o "$build/bench_llamacpp" bench/local/llamacpp.c -ldl
	echo "llama.cpp: $lib"
else
	echo "llama.cpp: not found (set LLAMA_CPP_LIB, or run bench/local/get_llamacpp.sh)"
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

models=()
[ -f models/demo.gguf ] && models+=(models/demo.gguf)
mkdir -p "$build/bench"
if [ -n "$py" ]; then
	for t in q8_0 f16; do
		f=$build/bench/random-135m-$t.gguf
		[ -f "$f" ] || "$py" bench/local/make_model.py "$f" $t
		models+=("$f")
	done
else
	echo "skipped the 135M model: python3 with numpy is needed to write it"
fi

for f in "${models[@]}"; do
	echo "== $(basename "$f") ($(du -m "$f" | cut -f1) MB), $threads threads =="
	"$build/bench_local" "$f" "$threads" 128 64 "$runs"
	if [ -n "$lib" ]; then
		"$build/bench_llamacpp" "$lib" "$f" "$threads" 128 64 "$runs" || echo "llama.cpp failed"
		if [ -n "$py" ] && "$build/bench_llamacpp" "$lib" "$f" 1 32 0 0 > "$build/bench/lc.f32" &&
		   "$build/bench_local" "$f" 1 32 0 0 > "$build/bench/wr.f32"; then
			"$py" - "$build/bench/lc.f32" "$build/bench/wr.f32" <<'PY'
import sys
import numpy as np
a, b = (np.fromfile(p, np.float32) for p in sys.argv[1:3])
print("cross-check: last-token logits of a 32-token prompt, max |diff| %.2e "
      "(largest |logit| %.2f)" % (np.abs(a - b).max(), np.abs(a).max()))
PY
		fi
	fi
done
