# Structured output: a generate step's output_schema goes to a provider that
# supports it (openai: response_format json_schema, against the mock server
# on 127.0.0.1, which answers {"ok":true} only when it gets one) and is
# always checked after.
. "$WR_ROOT/tests/lib.sh"
build=$(dirname "$WARRANT")
unset OPENAI_API_KEY OPENAI_BASE_URL

"$build/mockllm" --log mock.log > port &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat port)/v1"

flow() {  # name output-schema
	cat > "$1.yaml" <<YAML
name: $1
contract: {purpose: structured output}
models:
  gpt: {provider: openai, model: gpt-4o-mini, base_url: "$base"}
steps:
  - id: draft
    kind: generate
    model: gpt
    prompt: Say ok.
    output_schema: $2
  - id: verify
    kind: check
    of: draft
    checks:
      - expr: 'ok == true'
YAML
}

flow sent '{type: object, required: [ok], additionalProperties: false, properties: {ok: {type: boolean}}}'
expect_exit 0 "the schema reaches the provider, which answers to it" -- "$WARRANT" run sent.yaml
"$WARRANT" show last --json > last.out
expect_out '"step": "draft", "index": 0, "kind": "schema", "passed": true' "and the answer is checked against it"

# Checked after even when the provider followed it: a schema the answer
# breaks rejects it.
flow strict '{type: object, required: [ok, total], properties: {ok: {type: boolean}, total: {type: number}}}'
expect_exit 3 "an answer that breaks the schema is rejected" -- "$WARRANT" run strict.yaml
expect_out "output_schema: at the root: .*total" "the reason names what is missing"
finish
