#!/usr/bin/env bash
# The local provider end to end: a workflow whose model is the committed
# random fixture (tests/local/tiny.gguf) runs offline, records tokens and the
# sampler's seed, gives the same output for the same seed and another for
# another seed, and a missing path or a damaged file fails clearly.
. "$WR_ROOT/tests/lib.sh"
cp "$WR_ROOT/tests/local/tiny.gguf" tiny.gguf

flow() {  # file seed extra-model-keys
	cat > "$1" <<EOF2
name: local-gen
contract: {purpose: say something}
models:
  m: {provider: local, path: tiny.gguf, threads: 2, temperature: 1.0, top_k: 0, top_p: 1,
      max_tokens: 12, seed: $2$3}
steps:
  - {id: draft, kind: generate, model: m, prompt: "The invoice total"}
  - {id: verify, kind: check, of: draft, checks: [{not_contains: "<|endoftext|>"}]}
  - {id: out, kind: ship, of: draft, to: out.txt}
EOF2
}
last_run() { sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1"; }

flow a.yaml 5 ""
expect_exit 0 "validate accepts a local model" -- "$WARRANT" check a.yaml
expect_exit 0 "a run on the local model succeeds" -- "$WARRANT" run a.yaml
[ -s out.txt ] && ok "the output shipped" || fail "no output"
mv out.txt a1.txt
expect_exit 0 "show --json" -- "$WARRANT" show "$(last_run)" --json
python3 - last.out <<'PY' && ok "the call records tokens, finish and the seed" || fail "call record"
import json, sys
c = json.load(open(sys.argv[1]))["model_calls"]
assert len(c) == 1, c
c = c[0]
assert c["tokens_in"] >= 3 and 1 <= c["tokens_out"] <= 12, c
assert c["system_fingerprint"] == "seed=5", c
assert c["finish"] in ("length", "stop"), c
PY
rm -f out.txt
expect_exit 0 "the same seed again" -- "$WARRANT" run a.yaml
cmp -s out.txt a1.txt && ok "same seed, same bytes" || fail "same seed gave other output"
differ=0
for s in 6 7 8 9; do
	flow b.yaml $s ""
	rm -f out.txt
	"$WARRANT" run b.yaml >/dev/null 2>&1
	cmp -s out.txt a1.txt || differ=1
done
[ $differ = 1 ] && ok "other seeds, other output" || fail "every seed gave the same output"

# the seed from the run: no seed key, so the run's seed decides
sed 's/, seed: 5//' a.yaml > c.yaml
rm -f out.txt
expect_exit 0 "a run with the run's seed" -- "$WARRANT" run c.yaml
expect_exit 0 "show" -- "$WARRANT" show "$(last_run)" --json
expect_out '"system_fingerprint": *"seed=[0-9]+"' "a derived seed is recorded"

# a prompt format with a control token; greedy decoding is deterministic
flow d.yaml 1 ", prompt_format: \"<|endoftext|>{prompt}\""
sed -i "s/temperature: 1.0/temperature: 0/" d.yaml
rm -f out.txt
expect_exit 0 "prompt_format and greedy decoding" -- "$WARRANT" run d.yaml

cat > nopath.yaml <<'EOF2'
name: bad
contract: {purpose: x}
models:
  m: {provider: local, threads: 0}
steps:
  - {id: draft, kind: generate, model: m, prompt: hi}
EOF2
expect_exit 2 "a local model without path is invalid" -- "$WARRANT" check nopath.yaml
expect_out "nopath.yaml:[0-9]+:[0-9]+: .*missing 'path'" "the error names the place"
expect_out "'threads' must be" "threads: 0 is refused"

head -c 3000 tiny.gguf > cut.gguf
sed 's/tiny.gguf/cut.gguf/' a.yaml > cut.yaml
"$WARRANT" run cut.yaml >last.out 2>&1
[ $? -ne 0 ] && ok "a damaged model file fails the run" || fail "damaged file accepted"
expect_out "cut.gguf" "the error names the file"
finish
