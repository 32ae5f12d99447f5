# Baselines and drift: a report kept by name, a later eval compared with it
# run by run. A scripted model whose quality drops by a known amount is
# flagged; one of the same quality is not; a model that answers under
# another name or fingerprint is listed.
. "$WR_ROOT/tests/lib.sh"

model() {  # model FILE FINGERPRINT BAD_INDEXES...: ten answers, those bad
	local f=$1 fp=$2; shift 2
	{ echo "pick: random"; echo "served_model: m-0613"; echo "system_fingerprint: $fp"
	  echo "responses:"
	  for i in 0 1 2 3 4 5 6 7 8 9; do
		case " $* " in
		*" $i "*) echo "  - {text: \"not json $i\"}" ;;
		*) echo "  - {text: \"{\\\"ok\\\": $i}\"}" ;;
		esac
	  done; } > "$f"
}
cat > f.yaml <<'YAML'
name: drift
contract: {purpose: answer in JSON}
inputs: {q: {description: a question}}
models: {m: {provider: script, file: m.yaml}}
steps:
  - {id: a, kind: generate, model: m, prompt: "{{inputs.q}}"}
  - {id: c, kind: check, of: a, checks: [{json: true}]}
YAML
{ echo "name: drift"; echo "workflow: f.yaml"; echo "repeats: 5"; echo "concurrency: 2"
  echo "cases:"; for i in $(seq 1 20); do echo "  - {name: q$i, inputs: {q: \"question $i\"}}"; done; } > s.yaml

model m.yaml fp_a 0            # 90% right
expect_exit 3 "the baseline eval (some runs miss)" -- "$WARRANT" eval s.yaml --save-baseline v1
expect_out "baseline 'v1' kept" "the baseline is kept"
before=$(sqlite3 .warrant/eval.db "SELECT count(*) FROM runs WHERE status IN ('running', 'done')")

# The same model again: nothing changed, nothing flagged.
expect_exit 3 "the same model" -- "$WARRANT" eval s.yaml --against v1
expect_out "0 lost, 0 gained.*p = 1: no significant regression" "identical outcomes"
if grep -q "changed" last.out; then fail "nothing changed, yet: $(grep changed last.out)"; else ok "no model change reported"; fi

# Same quality (one bad answer in ten, another one), another fingerprint.
model m.yaml fp_b 7
echo "threshold: 0.5" >> s.yaml
expect_exit 0 "the same quality is not a regression" -- "$WARRANT" eval s.yaml --against v1 --json
cp last.out same.json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('$1') AS TEXT), '$2')"; }
[ "$(j same.json '$.drift.regressed')" = 0 ] && ok "not flagged (lost $(j same.json '$.drift.variants[0].lost'), gained $(j same.json '$.drift.variants[0].gained'), p $(j same.json '$.drift.variants[0].p_value'))" || fail "flagged: $(j same.json '$.drift')"
[ "$(j same.json '$.drift.variants[0].lost')" -gt 0 ] && [ "$(j same.json '$.drift.variants[0].gained')" -gt 0 ] &&
	ok "outcomes moved both ways" || fail "$(j same.json '$.drift.variants[0]')"
sl=$(j same.json '$.drift.variants[0].lost'); sg=$(j same.json '$.drift.variants[0].gained')
p=$(awk -v b="$sl" -v c="$sg" 'BEGIN { n = b + c; m = b < c ? b : c; t = 0; q = 1;
	for (i = 0; i <= n; i++) { if (i <= m) t += q; q = q * (n - i) / (i + 1) }
	t = 2 * t / 2^n; if (t > 1) t = 1; printf "%.6g", t }')
[ "$(printf '%.6g' "$(j same.json '$.drift.variants[0].p_value')")" = "$p" ] && ok "McNemar p agrees with awk ($sl vs $sg: $p)" || fail "p $(j same.json '$.drift.variants[0].p_value') vs $p"
[ "$(j same.json '$.drift.models_changed')" = 1 ] && grep -q "fingerprint 'fp_a' then, 'fp_b' now" same.json &&
	ok "the fingerprint change is flagged" || fail "models: $(j same.json '$.drift')"
[ "$(j same.json '$.drift.variants[0].version_changed')" = 1 ] && ok "the workflow version change is listed" || fail "version"

# Quality drops by a known amount: three more answers in ten go bad.
model m.yaml fp_a 0 2 5 8
expect_exit 3 "a drop in quality is a regression" -- "$WARRANT" eval s.yaml --against v1
expect_out "REGRESSED" "flagged"
expect_out "lost [0-9]+ of 5 runs' passes" "the cases that lost passes are listed"
"$WARRANT" eval s.yaml --against v1 --json > drop.json
lost=$(j drop.json '$.drift.variants[0].lost'); gained=$(j drop.json '$.drift.variants[0].gained')
[ "$gained" = 0 ] && [ "$lost" -gt 15 ] && [ "$lost" -lt 50 ] && ok "about 30% of runs lost ($lost of 100), none gained" || fail "lost $lost gained $gained"
p=$(awk -v b="$lost" 'BEGIN { x = 2 / 2^b; if (x > 1) x = 1; printf "%.6g", x }')
[ "$(printf '%.6g' "$(j drop.json '$.drift.variants[0].p_value')")" = "$p" ] && ok "p = 2 / 2^lost ($p)" || fail "p $(j drop.json '$.drift.variants[0].p_value') vs $p"
after=$(awk -v l="$lost" -v b="$before" 'BEGIN { printf "%.6f", (b - l) / 100 }')
[ "$(j drop.json '$.drift.variants[0].rate_now')" = "$(j drop.json '$.pass_rate')" ] &&
	[ "$(printf '%.6f' "$(j drop.json '$.pass_rate')")" = "$after" ] && ok "rates then and now agree with the store" || fail "rates $(j drop.json '$.drift.variants[0]') vs $after"

expect_exit 2 "an unknown baseline" -- "$WARRANT" eval s.yaml --against nosuch
expect_out "no baseline 'nosuch'" "says so"
finish
