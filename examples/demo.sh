#!/usr/bin/env bash
# The demo behind `make demo`. By default (DEMO=local) the demo model this
# project trains (models/demo.gguf) extracts 40 invoices inside warrant, and
# the demo prints its raw accuracy, what warrant shipped and what it held
# for review (examples/local-invoices/demo.py). DEMO=scripted runs the
# invoice workflow with a scripted stand-in for a model, and a reviewer.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)

if [ "${DEMO:-local}" = local ]; then
	py=$(command -v /usr/bin/python3 python3 | head -1)
	if [ -n "$py" ] && [ -f "$root/models/demo.gguf" ]; then
		exec "$py" "$root/examples/local-invoices/demo.py" --build "$build" -n "${DEMO_N:-40}"
	fi
	echo "demo: no python3 or no models/demo.gguf; running the scripted demo instead"
	echo
fi

# The scripted demo: runs the invoice workflow over every invoice in
# examples/invoices/invoices, offline, and shows what the checks and a
# person decided. The model here is a scripted stand-in (labelled as such).
warrant="$root/$build/warrant"
flow="$root/examples/invoices/flow.yaml"
store="$root/$build/demo/warrant.db"
queue="$root/examples/invoices/out/payment-queue.jsonl"

rm -rf "$root/$build/demo" "$root/examples/invoices/out"
mkdir -p "$root/$build/demo"
export WARRANT_STORE="$store"

bold="" plain=""
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true); fi
echo "${bold}warrant demo: models generate, checks decide${plain}"
echo "workflow: examples/invoices/flow.yaml"
echo "model:    a SCRIPTED stand-in (examples/invoices/scripted-model.yaml), not a real model;"
echo "          some of its answers are wrong on purpose, as a real model's sometimes are."
echo

# The reviewer in this demo: approves an extraction only when its total
# appears in the invoice itself (what a person checking the document does).
review() {  # run-id invoice-file
	local total
	total=$("$warrant" show "$1" --artifacts | sed -n 's/.*"total": *\([0-9.]*\).*/\1/p' | head -1)
	if [ -n "$total" ] && tr -d , < "$2" | grep -qF "TOTAL DUE: $total"; then
		"$warrant" approve "$1" review --as demo-reviewer --note "total matches the invoice" -q >/dev/null
	else
		"$warrant" reject "$1" review --as demo-reviewer \
			--reason "total $total is not on the invoice" >/dev/null
	fi
}

printf '%-10s %-10s %-18s %s\n' INVOICE OUTCOME "FAILURE CLASS" "WHY"
shipped=0 held=0
for inv in "$root"/examples/invoices/invoices/*.txt; do
	name=$(basename "$inv" .txt)
	"$warrant" run "$flow" --input invoice=@"$inv" --seed 1 -q >/dev/null 2>&1
	code=$?
	run=$("$warrant" runs -n 1 | awk 'NR == 2 { print $1 }')
	if [ "$code" -eq 4 ]; then
		review "$run" "$inv"
	fi
	json=$("$warrant" show "$run" --json)
	status=$(echo "$json" | sed -n 's/^  "status": "\(.*\)",$/\1/p')
	failure=$(echo "$json" | sed -n 's/^  "failure": "\(.*\)",$/\1/p')
	message=$(echo "$json" | sed -n 's/^  "message": "\(.*\)",$/\1/p' | cut -c1-60)
	if [ "$status" = done ]; then
		shipped=$((shipped + 1)); outcome=shipped; failure=-; message="approved, queued for payment"
	else
		held=$((held + 1)); outcome=held
	fi
	printf '%-10s %-10s %-18s %s\n' "$name" "$outcome" "$failure" "$message"
done
echo
echo "${bold}$shipped shipped, $held held back${plain} (nothing reaches the payment queue unless"
echo "its checks passed and a person approved it)."
echo "payment queue: examples/invoices/out/payment-queue.jsonl ($(wc -l < "$queue" 2>/dev/null || echo 0) lines)"
"$warrant" ledger verify
echo
echo "try:  WARRANT_STORE=$build/demo/warrant.db $build/warrant runs"
echo "      WARRANT_STORE=$build/demo/warrant.db $build/warrant show last"
echo "      WARRANT_STORE=$build/demo/warrant.db $build/warrant serve    (the review desk, in a browser)"
