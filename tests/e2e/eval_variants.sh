# warrant eval with variants: the same cases under other model settings,
# per-variant rates and thresholds, and variants compared pair by pair
# (exact McNemar, checked here against awk).
. "$WR_ROOT/tests/lib.sh"

cat > bad.yaml <<'YAML'
pick: random
responses:
  - {text: "{\"ok\": 1}"}
  - {text: "not json"}
  - {text: "{\"ok\": broken"}
YAML
cat > good.yaml <<'YAML'
pick: random
responses:
  - {text: "{\"ok\": 1}"}
  - {text: "{\"ok\": 2}"}
YAML
cat > f.yaml <<'YAML'
name: coin
contract: {purpose: be right sometimes}
inputs: {q: {description: a question}}
models: {m: {provider: script, file: good.yaml, temperature: 0.5}}
steps:
  - {id: a, kind: generate, model: m, prompt: "{{inputs.q}}"}
  - {id: c, kind: check, of: a, checks: [{json: true}]}
  - {id: out, kind: ship, of: a, append: answers.jsonl}
YAML
suite() {  # suite THRESHOLD_OF_WORSE
	echo "name: v"; echo "workflow: f.yaml"; echo "repeats: 4"; echo "concurrency: 2"
	echo "variants:"
	echo "  - {name: base, models: {}}"
	echo "  - {name: cooler, models: {m: {temperature: 0.1}}}"
	echo "  - name: worse"
	echo "    models: {m: {file: bad.yaml, temperature: 0.9}}"
	echo "    threshold: $1"
	echo "cases:"
	for i in $(seq 1 10); do echo "  - {name: q$i, inputs: {q: \"question $i\"}}"; done
}
suite 0.1 > s.yaml
expect_exit 0 "three variants, each meets its threshold" -- "$WARRANT" eval s.yaml
expect_out "^base +40/40 +100.0%" "the file as written passes every run"
expect_out "^worse +[0-9]+/40 .*0.10 met +schema_invalid" "the worse variant, its threshold and its failures"
expect_out "^cooler vs base: \+0.0 points .*p = 1$" "the same quality: no difference, p = 1"
expect_out "^worse vs base: -[0-9.]+ points .*\(significant\)" "the worse variant is significantly worse"
expect_out "^\[worse\]" "cases listed per variant"
[ ! -e answers.jsonl ] && ok "no effects" || fail "answers.jsonl was written"

"$WARRANT" eval s.yaml --json > r.json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('r.json') AS TEXT), '$1')"; }
[ "$(j '$.runs')" = 120 ] && [ "$(j '$.variants[2].name')" = worse ] && ok "120 runs, three variants" || fail "$(cat r.json)"
hb=$(j '$.variants[0].flow_hash'); hw=$(j '$.variants[2].flow_hash'); hc=$(j '$.variants[1].flow_hash')
[ "$hb" != "$hw" ] && [ "$hb" != "$hc" ] && ok "each variant is its own workflow version" || fail "hashes $hb $hc $hw"
db=.warrant/eval.db
[ "$(sqlite3 $db "SELECT count(*) FROM runs WHERE flow_hash = '$hw'")" = 80 ] && ok "runs record the variant's version (two evals)" || fail "$(sqlite3 $db "SELECT flow_hash, count(*) FROM runs GROUP BY 1")"
src=$(sqlite3 $db "SELECT CAST(b.bytes AS TEXT) FROM runs r JOIN blobs b ON b.hash = r.flow_blob WHERE r.flow_hash = '$hw' LIMIT 1")
printf '%s' "$src" | grep -q 'bad.yaml' && printf '%s' "$src" | grep -q 'temperature: 0.9' &&
	ok "the bytes kept with a variant's run are the merged workflow" || fail "kept: $src"
# The comparison again from the store: pairs are (case, repeat) = seed.
read -r bo co <<EOF2
$(sqlite3 -separator ' ' $db "SELECT sum(a.status = 'running' AND w.status <> 'running'), sum(a.status <> 'running' AND w.status = 'running') FROM runs a JOIN runs w ON a.seed = w.seed WHERE a.flow_hash = '$hb' AND w.flow_hash = '$hw' AND a.created_ms = (SELECT max(created_ms) FROM runs WHERE flow_hash = '$hb' AND seed = a.seed) AND w.created_ms = (SELECT max(created_ms) FROM runs WHERE flow_hash = '$hw' AND seed = w.seed)")
EOF2
[ "$(j '$.compares[1].a_only')" = "$bo" ] && [ "$(j '$.compares[1].b_only')" = "$co" ] &&
	ok "discordant pairs agree with the store ($bo, $co)" || fail "compares $(j '$.compares') vs $bo $co"
p=$(awk -v b="$bo" -v c="$co" 'BEGIN { n = b + c; m = b < c ? b : c; t = 0; q = 1;
	for (i = 0; i <= n; i++) { if (i <= m) t += q; q = q * (n - i) / (i + 1) }
	t = 2 * t / 2^n; if (t > 1) t = 1; printf "%.6g", t }')
[ "$(printf '%.6g' "$(j '$.compares[1].p_value')")" = "$p" ] && ok "McNemar p agrees with awk ($p)" || fail "p $(j '$.compares[1].p_value') vs $p"
d=$(awk -v a="$(j '$.variants[0].passed')" -v b="$(j '$.variants[2].passed')" 'BEGIN { printf "%.4f", (b - a) / 40 }')
[ "$(printf '%.4f' "$(j '$.compares[1].diff')")" = "$d" ] && ok "the effect is the difference in rates ($d)" || fail "diff $(j '$.compares[1].diff') vs $d"

suite 0.9 > s2.yaml
expect_exit 3 "a variant below its threshold fails the suite" -- "$WARRANT" eval s2.yaml
expect_out "^worse .*0.90 NOT" "names the variant"

# The HTML report: one file, SVG charts, every name escaped.
{ suite 0.1 | sed 's/name: worse/name: "worse <b>\&"/'; echo '  - {name: "<script>alert(1)</script>", inputs: {q: z}}'; } > h.yaml
expect_exit 0 "an HTML report" -- "$WARRANT" eval h.yaml --html r.html
[ "$(grep -c '<svg ' r.html)" = 4 ] && ok "four inline SVG charts" || fail "svg: $(grep -c '<svg ' r.html)"
grep -q 'aria-label="latency per run"' r.html && grep -q 'aria-label="cost per run"' r.html &&
	ok "latency and cost distributions" || fail "no distribution charts"
# the base variant's latency median and p95, computed again from the store
want=$(sqlite3 $db "SELECT seconds FROM runs WHERE flow_hash = '$hb' ORDER BY created_ms DESC, rowid DESC LIMIT 44" | python3 -c '
import sys
v = sorted(float(x) * 1000 for x in sys.stdin)
def q(p):
    pos = p * (len(v) - 1); i = int(pos)
    return v[i] + (pos - i) * (v[i + 1] - v[i]) if i + 1 < len(v) else v[-1]
print("median %.3g, p95 %.3g ms" % (q(0.5), q(0.95)))')
grep -A30 'aria-label="latency per run"' r.html | grep -q ">$want<" && ok "the latency quantiles agree with the store ($want)" ||
	fail "latency: want '$want', chart: $(grep -A30 'aria-label="latency per run"' r.html | grep -o 'median [^<]*' | head -3)"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' r.html && ! grep -q '<script' r.html && ok "a case's name is escaped" || fail "script in r.html"
grep -q 'worse &lt;b&gt;&amp;' r.html && ! grep -q '<b>' r.html && ok "a variant's name is escaped" || fail "variant name"
[ -z "$(grep -o '\(src\|href\)=' r.html)" ] && [ -z "$(grep -o 'https\?://[^"]*' r.html | grep -v '^http://www.w3.org/2000/svg$')" ] &&
	ok "self-contained: nothing fetched" || fail "external refs: $(grep -o 'https\?://[^"]*' r.html)"
python3 -c 'import html.parser,sys; p=html.parser.HTMLParser(); p.feed(open("r.html").read()); p.close()' && ok "parses as HTML" || fail "html parser"
grep -q "title>.*95% interval" r.html && grep -q "exact McNemar" r.html && ok "intervals and the comparison are in it" || fail "content"

printf 'workflow: f.yaml\nvariants:\n  - {name: x, models: {nosuch: {temperature: 1}}}\ncases:\n  - {name: a, inputs: {q: x}}\n' > bad1.yaml
expect_exit 2 "a variant naming no model of the workflow" -- "$WARRANT" eval bad1.yaml
expect_out "variant 'x': .*no model 'nosuch'" "says which"
printf 'workflow: f.yaml\nvariants:\n  - {name: x, models: {m: {temperature: hot}}}\ncases:\n  - {name: a, inputs: {q: x}}\n' > bad2.yaml
expect_exit 2 "a variant with a bad value" -- "$WARRANT" eval bad2.yaml
expect_out "variant 'x': .*temperature" "the workflow's own check applies"
printf 'workflow: f.yaml\nvariants:\n  - {models: {}}\ncases:\n  - {name: a, inputs: {q: x}}\n' > bad3.yaml
expect_exit 2 "a variant without a name" -- "$WARRANT" eval bad3.yaml
expect_out "bad3.yaml:3:.*a variant has a name" "at file:line:col"

# --- a variant may change prompts: inline, or from a file beside the suite ---
cat > echo.yaml <<'YAML'
pick: match
responses:
  - {match: "TERSE", text: "{\"ok\": 1}"}
  - {match: "FILE PROMPT", text: "{\"ok\": 2}"}
  - {text: "not json"}
YAML
sed 's/file: good.yaml/file: echo.yaml/' f.yaml > pf.yaml
echo 'FILE PROMPT {{inputs.q}}' > alt.txt
cat > ps.yaml <<'YAML'
name: prompts
workflow: pf.yaml
variants:
  - {name: base, models: {}}
  - {name: terse, prompts: {a: "TERSE {{inputs.q}}"}}
  - {name: filed, prompt_files: {a: alt.txt}}
cases:
  - {name: one, inputs: {q: hello}}
YAML
expect_exit 3 "prompt variants (the base fails its threshold)" -- "$WARRANT" eval ps.yaml --json
pj() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('last.out') AS TEXT), '$1')"; }
[ "$(pj '$.variants[0].passed')" = 0 ] && [ "$(pj '$.variants[1].passed')" = 1 ] && [ "$(pj '$.variants[2].passed')" = 1 ] &&
	ok "each variant's prompt is the one the model saw" || fail "variants: $(pj '$.variants')"
ht=$(pj '$.variants[1].flow_hash')
src=$(sqlite3 $db "SELECT CAST(b.bytes AS TEXT) FROM runs r JOIN blobs b ON b.hash = r.flow_blob WHERE r.flow_hash = '$ht' LIMIT 1")
printf '%s' "$src" | grep -q 'TERSE {{inputs.q}}' && ok "the run keeps the variant's prompt in its workflow bytes" || fail "kept: $src"
printf 'name: bad\nworkflow: pf.yaml\nvariants:\n  - {name: x, prompts: {nosuch: "hi"}}\ncases:\n  - {name: one, inputs: {q: hello}}\n' > bad-ps.yaml
expect_exit 2 "a prompt for a step that does not exist" -- "$WARRANT" eval bad-ps.yaml
expect_out "no step 'nosuch'" "is named"
finish
