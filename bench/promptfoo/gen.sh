#!/bin/sh
# bench/promptfoo/gen.sh DIR BASE_URL [N]: writes the same N-case suite
# (default 1000) twice into DIR, for the mock server at BASE_URL (.../v1):
#   DIR/warrant/suite.yaml, flow.yaml, cases.jsonl   for warrant eval
#   DIR/promptfoo/promptfooconfig.yaml               for promptfoo eval
# Case i asks "Case i: WORD"; mockllm --json-echo answers {"echo":"Case i: WORD"}.
# Each case carries what its answer must echo (the var `expected`). Four
# checks, the same in both: the answer is JSON; it contains '"echo":"Case ';
# it matches ^\{"echo":"Case [0-9]+: [a-z]+"\}$; it carries the case's
# expectation (promptfoo: equals {"echo":"EXPECTED"}; warrant, which has no
# per-case equals: cites echo in the input `expected`). Every tenth case
# expects another word and every tenth (offset 5) asks with a capitalised
# word the regex rejects, so both tools must report N - N/5 passed.
set -eu
dir=$1 base=$2 n=${3:-1000}
mkdir -p "$dir/warrant" "$dir/promptfoo"

cat > "$dir/warrant/flow.yaml" <<EOF2
name: echo
contract: {purpose: repeat the case back as JSON}
inputs: {id: {description: the case number}, word: {description: a word},
         expected: {description: the echo the answer must carry}}
models: {m: {provider: openai, model: mock-1, base_url: "$base"}}
steps:
  - {id: a, kind: generate, model: m, prompt: "Case {{inputs.id}}: {{inputs.word}}"}
  - id: c
    kind: check
    of: a
    checks:
      - json: true
      - contains: '"echo":"Case '
      - regex: '^\{"echo":"Case [0-9]+: [a-z]+"\}$'
      - {cites: echo, input: expected}
EOF2
cat > "$dir/warrant/suite.yaml" <<EOF2
name: echo-$n
workflow: flow.yaml
cases: cases.jsonl
repeats: 1
EOF2
cat > "$dir/promptfoo/promptfooconfig.yaml" <<EOF2
description: echo-$n
prompts: ["Case {{id}}: {{word}}"]
providers:
  - id: openai:chat:mock-1
    config: {apiBaseUrl: "$base", apiKey: mock}
defaultTest:
  assert:
    - {type: is-json}
    - {type: contains, value: '"echo":"Case '}
    - {type: regex, value: '^\{"echo":"Case [0-9]+: [a-z]+"\}$'}
    - {type: equals, value: '{"echo":"{{expected}}"}'}
tests:
EOF2
awk -v n="$n" -v cases="$dir/warrant/cases.jsonl" -v pf="$dir/promptfoo/promptfooconfig.yaml" 'BEGIN {
	split("apple birch cedar delta ember fjord grape heron iris juniper kelp lemon " \
	      "maple nectar olive pearl quartz raven sage thistle", w, " ")
	printf "" > cases
	for (i = 1; i <= n; i++) {
		word = w[(i - 1) % 20 + 1]
		if (i % 10 == 5)
			word = toupper(substr(word, 1, 1)) substr(word, 2)
		want = "Case " i ": " word
		if (i % 10 == 0)
			want = "Case " i ": " w[i % 20 + 1]
		printf "{\"name\":\"case-%d\",\"inputs\":{\"id\":\"%d\",\"word\":\"%s\",\"expected\":\"%s\"}}\n", \
			i, i, word, want >> cases
		printf "  - {description: case-%d, vars: {id: \"%d\", word: %s, expected: \"%s\"}}\n", \
			i, i, word, want >> pf
	}
}'
