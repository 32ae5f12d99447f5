#!/usr/bin/env bash
# The demo model (models/demo.gguf) and its demo: the committed file is
# small enough to commit and loads; the committed demo cases are what the
# seeded generator writes; the C tokenizer gives the ids the model was
# trained on (scripts/model/bpe.py) for every demo invoice, prompt and
# answer; and the demo workflow, run on a few invoices, ships only answers
# that pass its checks, holds the rest for review, and counts both right.
# Needs python3 (no torch); prints SKIP for those parts without it.
set -u
. "$WR_ROOT/tests/lib.sh"
build=$(cd "$(dirname "$WARRANT")" && pwd)
model="$WR_ROOT/models/demo.gguf"
ex="$WR_ROOT/examples/local-invoices"

size=$(stat -c %s "$model" 2>/dev/null || echo 0)
if [ "$size" -gt 0 ] && [ "$size" -le $((30 * 1024 * 1024)) ]; then
	ok "models/demo.gguf is there and at most 30 MB ($size bytes)"
else
	fail "models/demo.gguf missing or over 30 MB ($size bytes)"
fi

py=""
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import json, sqlite3' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
	echo "SKIP: no python3 for the generator, tokenizer and demo checks"
	finish
	exit $?
fi

# 1. The demo's cases are the generator's output for its seed, byte for byte.
expect_exit 0 "data.py writes the demo cases" -- "$py" "$WR_ROOT/scripts/model/data.py" --demo gen -n 40
if cmp -s gen/cases.jsonl "$ex/cases.jsonl" && cmp -s gen/expected.jsonl "$ex/expected.jsonl"; then
	ok "committed cases.jsonl and expected.jsonl are the generator's (seed 9)"
else
	fail "examples/local-invoices/cases.jsonl or expected.jsonl differ from data.py's output"
fi
"$py" "$WR_ROOT/scripts/model/data.py" --demo gen2 -n 40 --seed 10 >/dev/null
if cmp -s gen/cases.jsonl gen2/cases.jsonl; then fail "another seed gave the same invoices"; else
	ok "another seed gives other invoices"; fi

# 2. The C tokenizer against the Python one the model was trained with.
mkdir -p tok/t
ln -sf "$model" tok/demo.gguf
"$py" - "$WR_ROOT" <<'EOF' > tok/cases.txt
import json, sys
sys.path.insert(0, sys.argv[1] + "/scripts/model")
import bpe, data
tok = bpe.Tokenizer.load(sys.argv[1] + "/models/demo.tokenizer.json")
texts = [(data.prompt_text(d), data.answer_json(a)) for d, a in data.split(9, "test", 40)]
texts += [("Odd text: café €5, tabs\tand  spaces\n\n", "don't {\"x\": [1,2]}")]
for i, (p, a) in enumerate(texts):
    with open("tok/t/%d.txt" % i, "w", encoding="utf-8") as f:
        f.write("<|bos|>" + p + " " + a + "<|eos|>")
    ids = [tok.bos] + tok.encode(p) + tok.encode(" " + a) + [tok.eos]
    print("tok demo.gguf t/%d.txt %d %s" % (i, len(ids), " ".join(map(str, ids))))
EOF
expect_exit 0 "the engine tokenizes 41 texts as bpe.py does, and round-trips them" -- "$build/lcheck" tok 1
expect_out 'lcheck: 41 cases, 0 failed' "all 41 token sequences equal"

# 3. The demo workflow on a few invoices, in a copy of the example.
mkdir -p ex/examples
cp -r "$ex" ex/examples/local-invoices
rm -rf ex/examples/local-invoices/out
ln -s "$WR_ROOT/models" ex/models
expect_exit 0 "the demo runs over 6 invoices" -- \
	"$py" ex/examples/local-invoices/demo.py --build "$build" --work "$PWD/work" -n 6 -v
cp last.out demo.out
expect_out '^raw model \(greedy, no checks\): +[0-9]+/6 invoices' "it prints the raw model's accuracy"
expect_out '^  shipped +[0-9]+: [0-9]+ right, [0-9]+ wrong' "and what warrant shipped"
expect_out '^  held for human review +[0-9]+' "and what it held for review"
shipped=$(sed -n 's/^  shipped *\([0-9]*\):.*/\1/p' demo.out)
held=$(sed -n 's/^  held for human review *\([0-9]*\):.*/\1/p' demo.out)
out=ex/examples/local-invoices/out
if [ $((shipped + held)) -eq 6 ]; then ok "shipped + held = 6"; else fail "shipped $shipped + held $held != 6"; fi
n=$(cat "$out/extracted.jsonl" 2>/dev/null | wc -l)
if [ "$n" -eq "$shipped" ]; then ok "extracted.jsonl holds the $shipped shipped records"; else
	fail "extracted.jsonl has $n records, $shipped shipped"; fi
n=$(wc -l < "$out/review-queue.jsonl")
if [ "$n" -eq "$held" ]; then ok "review-queue.jsonl lists the $held held runs"; else
	fail "review-queue.jsonl has $n runs, $held held"; fi
# Judged from outside: every shipped record is valid under the schema and
# quotes its vendor from one of the demo invoices.
i=0 bad=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '%s\n' "$line" > "rec$i.json"
	"$WARRANT" validate "$ex/schema.json" "rec$i.json" >/dev/null 2>&1 || bad=$((bad + 1))
	v=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["vendor"])' "rec$i.json")
	grep -qF "$v" "$ex/cases.jsonl" || bad=$((bad + 1))
done < <(cat "$out/extracted.jsonl" 2>/dev/null)
if [ "$bad" -eq 0 ]; then ok "every shipped record is schema-valid and quotes a real vendor"; else
	fail "$bad problems in shipped records"; fi
finish
