# Cost from the price table: each call's usage times the model's price,
# from the built-in table, a user's file (--prices or $WARRANT_PRICES) or
# the workflow's explicit price; 'show' prints it; a run that goes over its
# cost budget stops with budget_exceeded and exit 5.
. "$WR_ROOT/tests/lib.sh"
build=$(dirname "$WARRANT")
unset OPENAI_API_KEY OPENAI_BASE_URL WARRANT_STORE WARRANT_PRICES

"$build/mockllm" > port &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat port)/v1"

flow() {  # file model extra-model-settings budget
	cat > "$1" <<EOF2
name: priced
contract: {purpose: cost}
models:
  m: {provider: openai, model: $2, base_url: "$base"$3}
budget: {cost_usd: $4}
steps:
  - {id: a, kind: generate, model: m, prompt: "one two three four five six seven"}
  - {id: b, kind: generate, model: m, prompt: "again {{steps.a.output}}"}
  - {id: verify, kind: check, of: b, checks: [{contains: "again"}]}
EOF2
}
# cost_of RUN IN OUT: checks each call's cost against usage x (IN, OUT) per million.
cost_of() {
	"$WARRANT" show "$1" --json > show.json || { fail "show --json $1"; return; }
	python3 - show.json "$2" "$3" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); pin, pout = float(sys.argv[2]), float(sys.argv[3])
total = 0
for c in r["model_calls"]:
    want = (c["tokens_in"] * pin + c["tokens_out"] * pout) / 1e6
    assert c["tokens_in"] > 0 and c["tokens_out"] > 0, c
    assert abs(c["cost_usd"] - want) < 1e-9, (c["cost_usd"], want)
    total += want
assert abs(r["cost_usd"] - total) < 1e-6, (r["cost_usd"], total)
PY
}
last_run() { sql "SELECT id FROM runs ORDER BY created_ms DESC, rowid DESC LIMIT 1"; }

flow a.yaml gpt-4o-mini "" 10
expect_exit 0 "priced by the built-in table" -- "$WARRANT" run a.yaml
cost_of "$(last_run)" 0.15 0.60 && ok "cost = usage x gpt-4o-mini's built-in price" || fail "built-in cost"
expect_exit 0 "show" -- "$WARRANT" show last
expect_out 'usage +2 calls, [0-9]+ tokens in, [0-9]+ out, \$0\.0000[0-9]+' "show prints the run's cost"
expect_out '#0 +a +openai/m.*\$0\.0000[0-9]+' "show prints each call's cost"

flow b.yaml gpt-4o-mini-2024-07-18 "" 10
expect_exit 0 "a dated model id" -- "$WARRANT" run b.yaml
cost_of "$(last_run)" 0.15 0.60 && ok "priced by its family's entry" || fail "prefix price"

printf 'models:\n  my-local-model: { in: 1000, out: 2000 }\n' > my-prices.yaml
flow c.yaml my-local-model "" 10
expect_exit 0 "an unpriced model" -- "$WARRANT" run c.yaml
cost_of "$(last_run)" 0 0 && ok "a model nobody priced is free" || fail "unpriced"
expect_exit 0 "--prices FILE" -- "$WARRANT" run c.yaml --prices my-prices.yaml
cost_of "$(last_run)" 1000 2000 && ok "priced from the user's file" || fail "--prices"
WARRANT_PRICES=my-prices.yaml expect_exit 0 "\$WARRANT_PRICES" -- "$WARRANT" run c.yaml
cost_of "$(last_run)" 1000 2000 && ok "priced from \$WARRANT_PRICES" || fail "WARRANT_PRICES"
flow d.yaml my-local-model ", price: {input: 3, output: 4}" 10
expect_exit 0 "explicit price" -- "$WARRANT" run d.yaml --prices my-prices.yaml
cost_of "$(last_run)" 3 4 && ok "the workflow's price wins over the table" || fail "explicit price"
printf 'models:\n  x: { in: -1, out: 2 }\n' > bad-prices.yaml
expect_exit 2 "a bad price file" -- "$WARRANT" run c.yaml --prices bad-prices.yaml
expect_out 'bad-prices.yaml:2:.*non-negative' "names the file and line"

# The budget: 0.01 USD, and this model costs a dollar a token.
flow e.yaml my-local-model "" 0.01
expect_exit 5 "over the cost budget: exit 5" -- "$WARRANT" run e.yaml --prices my-prices.yaml
expect_out "budget_exceeded" "classed budget_exceeded"
run=$(last_run)
[ "$(sql "SELECT failure || ' ' || failed_step FROM runs WHERE id = '$run'")" = "budget_exceeded a" ] &&
	ok "stopped after the first call" || fail "$(sql "SELECT failure, failed_step, message FROM runs WHERE id = '$run'")"
[ "$(sql "SELECT count(*) FROM calls WHERE run_id = '$run'")" = 1 ] && ok "no second call" ||
	fail "calls made: $(sql "SELECT count(*) FROM calls WHERE run_id = '$run'")"
expect_exit 0 "show the stopped run" -- "$WARRANT" show "$run"
expect_out 'over the limit of \$0\.010000' "show says which limit"
expect_exit 0 "the same run at the built-in (zero) price" -- "$WARRANT" run e.yaml
finish
