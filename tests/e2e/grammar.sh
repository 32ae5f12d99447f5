#!/usr/bin/env bash
# warrant grammar: a schema's GBNF, --strict, --check of grammar files with
# line:col errors, and exit codes.
. "$WR_ROOT/tests/lib.sh"

cat > s.json <<'JSON'
{"type": "object", "required": ["id"], "additionalProperties": false,
 "properties": {"id": {"type": "integer"}, "tag": {"enum": ["a", "b"]},
                "code": {"type": "string", "pattern": "^[A-Z]+$"}}}
JSON
expect_exit 0 "schema to grammar" -- "$WARRANT" grammar s.json
expect_out '^root ::= j-ws root-1$' "the root rule comes first (leading whitespace allowed)"
expect_out '"\\"tag\\"" j-ws ":" j-ws \("\\"a\\"" \| "\\"b\\""\)' "the enum as literals"
expect_out '^j-int ::= ' "integers from the building blocks"
"$WARRANT" grammar s.json > s.gbnf
expect_exit 0 "the printed grammar checks" -- "$WARRANT" grammar --check s.gbnf
expect_out '^s.gbnf: ok$' "ok line"
expect_exit 2 "--strict refuses pattern" -- "$WARRANT" grammar --strict s.json
expect_out "s.json: schema /properties/code: 'pattern' cannot be enforced by a grammar" \
	"--strict names the keyword and where"

expect_exit 0 "the example JSON grammar checks" -- "$WARRANT" grammar --check "$WR_ROOT/examples/grammars/json.gbnf"
printf 'root ::= "a" item\nitem ::= [0-9\n' > bad.gbnf
expect_exit 2 "a bad grammar" -- "$WARRANT" grammar --check bad.gbnf
expect_out '^warrant grammar: bad.gbnf:2:10: unclosed character class$' "file:line:col"
printf 'root ::= "{" valeu "}"\nvalue ::= [0-9]+\n' > undef.gbnf
expect_exit 2 "an undefined rule" -- "$WARRANT" grammar --check s.gbnf undef.gbnf
expect_out "undef.gbnf:1:14: undefined rule 'valeu'" "names the rule and place"

echo '{"type": ' > broken.json
expect_exit 2 "bad JSON" -- "$WARRANT" grammar broken.json
expect_out 'broken.json:2:0: ' "JSON error with line and column"
echo '{"$defs": {"n": {"type": "object", "required": ["k"], "properties": {"k": {"$ref": "#/$defs/n"}}}}, "$ref": "#/$defs/n"}' > forever.json
expect_exit 2 "a schema no finite document fits" -- "$WARRANT" grammar forever.json
expect_out 'forever.json: no finite document fits: grammar:[0-9]+:[0-9]+: rule .* can never finish' \
	"says why"
expect_exit 2 "missing file" -- "$WARRANT" grammar nope.json
expect_exit 2 "no arguments" -- "$WARRANT" grammar
expect_exit 0 "--help" -- "$WARRANT" grammar --help
expect_out '^usage: warrant grammar' "usage"
finish
