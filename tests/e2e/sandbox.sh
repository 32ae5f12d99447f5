#!/usr/bin/env bash
# warrant sandbox: each layer stops what it should, checked from outside
# (files on disk, a real TCP listener, exit codes), not from warrant's word.
# Runs as root in CI; where the kernel lacks a layer the test says so and
# checks that the sandbox refuses to run without --allow-weaker.
. "$WR_ROOT/tests/lib.sh"
esc=$(dirname "$WARRANT")/sbx_escape
[ -x "$esc" ] || { echo "FAIL: $esc is not built (make test builds it)"; exit 1; }
here=$(pwd)
sb() { "$WARRANT" sandbox --read "$esc" "$@"; }

mkdir -p secret work ro
echo "the-planted-secret" > secret/key.txt
echo "read me" > ro/notes.txt
chmod 777 work          # as root the program runs as nobody
chmod 755 . secret ro 2>/dev/null

# --- what this kernel gives ---
"$WARRANT" sandbox --probe > probe.out; probe_rc=$?
sed 's/^/    /' probe.out
has() { grep -Eq "^$1 +yes" probe.out; }
if [ $probe_rc -ne 0 ]; then
	# Some layer is missing: without --allow-weaker nothing may run.
	expect_exit 125 "refuses without --allow-weaker when a layer is missing" -- \
		sb -- "$esc" env
	expect_out "cannot give: .*refusing" "the refusal names the missing layers"
	expect_exit 0 "runs with --allow-weaker" -- sb --allow-weaker -- "$esc" env
	expect_out "ran WITHOUT" "and says what it ran without"
	weak=--allow-weaker
else
	weak=
fi
sbw() { sb $weak "$@"; }

# --- files (Landlock) ---
if has landlock-fs; then
	expect_exit 1 "a planted secret outside the paths cannot be read" -- \
		sbw --write "$here/work" -- "$esc" read "$here/secret/key.txt"
	expect_out "Permission denied" "  (denied by the kernel)"
	expect_exit 1 "/etc/hostname cannot be read" -- sbw -- "$esc" read /etc/hostname
	expect_exit 1 "/proc/1/environ cannot be read" -- sbw -- "$esc" read /proc/1/environ
	expect_exit 0 "a read path can be read" -- sbw --read "$here/ro" -- "$esc" read "$here/ro/notes.txt"
	expect_exit 1 "a read path cannot be written" -- \
		sbw --read "$here/ro" -- "$esc" write "$here/ro/notes.txt"
	grep -qx "read me" ro/notes.txt || fail "ro/notes.txt was changed"
	expect_exit 1 "nothing can be created beside the write path" -- \
		sbw --write "$here/work" -- "$esc" write "$here/escaped.txt"
	[ -e escaped.txt ] && fail "escaped.txt exists"
	expect_exit 0 "the write path can be written" -- \
		sbw --write "$here/work" -- "$esc" write "$here/work/out.txt"
	grep -qx escaped work/out.txt && ok "  (work/out.txt holds what it wrote)" ||
		fail "work/out.txt was not written"
	ln -sf "$here/secret/key.txt" work/link
	expect_exit 1 "a symlink in the write path does not lead out" -- \
		sbw --write "$here/work" -- "$esc" read "$here/work/link"
	expect_exit 1 "a hard link to the secret cannot be made from inside" -- \
		sbw --write "$here/work" -- /bin/ln "$here/secret/key.txt" "$here/work/hard"
	[ -e work/hard ] && fail "work/hard exists"
	expect_exit 0 "a shell works with the system paths" -- \
		sbw --write "$here/work" -- /bin/sh -c 'echo hi > made.txt && cat made.txt'
	expect_out "^hi$" "  (and its cwd is the write path)"
else
	echo "SKIP: file rules: this kernel has no Landlock"
fi

# --- network (netns and Landlock TCP) ---
"$esc" listen port.txt & listener=$!
trap 'kill $listener 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s port.txt ] && break; sleep 0.1; done
port=$(cat port.txt)
if has netns || has landlock-net; then
	expect_exit 1 "TCP connect to a 127.0.0.1 listener fails without --net" -- \
		sbw -- "$esc" connect "$port"
	expect_exit 1 "listening on a TCP port fails without --net" -- sbw -- "$esc" bind
else
	echo "SKIP: no network layer on this kernel"
fi
if has netns; then
	# The namespace on its own, apart from Landlock: no interface is up.
	expect_exit 0 "the program sees a new network namespace" -- sbw -- "$esc" ifaces
	grep -q ' up$' last.out && fail "an interface is up inside: $(cat last.out)" ||
		ok "  (no interface up: $(tr '\n' ' ' < last.out))"
	"$esc" ifaces | grep -q '^lo up$' || fail "control: loopback is not up outside"
fi
expect_exit 0 "TCP connect works with --net" -- sbw --net -- "$esc" connect "$port"

# --- system calls (seccomp), as root inside so only the filter stops them ---
if [ "$(id -u)" = 0 ]; then
	"$esc" syscalls > control.out
	allowed=$(grep -c '^ALLOWED' control.out)
	[ "$allowed" -ge 20 ] && ok "control: outside, $allowed calls are not EPERM" ||
		fail "control: only $allowed calls get past EPERM outside the sandbox"
fi
if has seccomp; then
	expect_exit 0 "ptrace, mount, bpf, kexec, keyctl, modules, unshare ... get EPERM (as root)" -- \
		sbw --user root --procs 0 -- "$esc" syscalls
	expect_out "^0 of [0-9]+ allowed" "  (none allowed)"
	expect_exit 0 "and as nobody" -- sbw -- "$esc" syscalls
	# A 32-bit system call would go around a filter written for x86-64.
	if "$esc" int80 > /dev/null 2>&1; then
		expect_exit 159 "a 32-bit system call (int 0x80) kills it with SIGSYS" -- \
			sbw -- "$esc" int80
	else
		echo "SKIP: int 0x80: no 32-bit system calls on this machine"
	fi
else
	echo "SKIP: seccomp filters are refused here"
fi

# --- limits ---
expect_exit 0 "a fork bomb is contained by --procs" -- \
	sbw --procs 20 --timeout 20 -- "$esc" forkbomb
expect_out "contained after [0-9]+ processes" "  (fork refused)"
# The limit is this sandbox's own count, not its user's across the machine
# (a user namespace of its own), so other processes of nobody do not eat it.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U true 2>/dev/null; then
	others=""
	for _ in 1 2 3; do
		setpriv --reuid=65534 --regid=65534 --clear-groups sleep 60 & others="$others $!"
	done
	expect_exit 0 "--procs counts only the sandbox's processes" -- \
		sbw --procs 4 --timeout 20 -- "$esc" forkbomb
	expect_out "contained after 3 processes" "  (itself and 3 children, with 3 of nobody's outside)"
	kill $others 2>/dev/null
else
	echo "SKIP: per-sandbox process count: needs root (to start nobody's processes) and unprivileged user namespaces"
fi
expect_exit 0 "a memory hog is contained by --memory" -- \
	sbw --memory 256 --timeout 20 -- "$esc" hog 4096
expect_out "contained after" "  (allocation refused)"
start=$(date +%s)
expect_exit 124 "an infinite loop is killed at --timeout" -- sbw --timeout 1 -- "$esc" spin
[ $(( $(date +%s) - start )) -le 5 ] || fail "the timeout took over 5 s"
expect_exit 124 "and so is a sleeping shell with children" -- \
	sbw --timeout 1 -- /bin/sh -c 'sleep 100 & sleep 100'
expect_exit 0 "a background child does not hold the run open" -- \
	sbw --timeout 20 -- /bin/sh -c 'sleep 7777 & echo started'
sleep 0.2
pgrep -x sleep -a | grep -q 'sleep 7777' && fail "its background child outlived the run" ||
	ok "  (and does not outlive it)"
expect_exit 152 "the CPU limit ends it with SIGXCPU (128+24)" -- sbw --cpu 1 -- "$esc" spin
sbw --max-output 1000 -- "$esc" spew 10000000 > big.out 2> big.err; rc=$?
[ $rc -eq 0 ] && [ "$(wc -c < big.out)" -eq 1000 ] && grep -q "truncated at 1000" big.err &&
	ok "large output is capped at --max-output and says so" ||
	fail "output cap: rc $rc, $(wc -c < big.out) bytes, $(cat big.err)"

# --- environment ---
OPENAI_API_KEY=sk-warrant-test ANTHROPIC_API_KEY=sk-ant-test GITHUB_TOKEN=ghp_test \
AWS_SECRET_ACCESS_KEY=aws-test MY_PASSWORD=hunter2 HARMLESS=1 \
	expect_exit 0 "the program gets a clean environment" -- sbw --env LC_ALL=C -- "$esc" env
grep -Eq 'sk-warrant-test|sk-ant-test|ghp_test|aws-test|hunter2|HARMLESS' last.out &&
	fail "a variable from our environment reached the program: $(cat last.out)" ||
	ok "  (no API key, token, secret or password reached it)"
expect_out "^LC_ALL=C$" "  (an --env variable does)"
expect_out "^HOME=/$" "  (HOME is the work dir)"
OPENAI_API_KEY=sk-warrant-test expect_exit 125 "--env refuses a credential" -- \
	sbw --env OPENAI_API_KEY -- "$esc" env
expect_out "looks like a credential" "  (and says why)"

# --- refusing: keeping root leaves the process limit unenforced ---
if [ "$(id -u)" = 0 ]; then
	expect_exit 125 "--user root with a process limit is refused" -- \
		sb --user root -- /bin/true
	expect_out "cannot give: .*nproc" "  (naming the layer)"
	expect_exit 0 "and runs with --allow-weaker" -- sb --allow-weaker --user root -- /bin/true
	expect_out "ran WITHOUT: .*nproc" "  (saying what it ran without)"
fi

# --- a layer that is really missing: inside the sandbox, as nobody, with
# unshare denied, no user (and so no network) namespace can be made ---
nest=(--read "$WARRANT")
if grep -qa __asan_init "$WARRANT"; then
	# A sanitizer build of warrant inside needs its shadow memory, /proc/self/maps,
	# and no leak checker (which ptraces its own threads).
	nest+=(--memory 0 --read /proc --env ASAN_OPTIONS=detect_leaks=0)
fi
sbn() { sb "${nest[@]}" -- "$WARRANT" sandbox --read "$esc" "$@"; }
expect_exit 1 "nested: --probe reports what is missing" -- \
	sb "${nest[@]}" -- "$WARRANT" sandbox --probe
expect_out "^netns +no" "  (netns: no)"
expect_out "^missing: netns: .*user namespaces" "  (and why)"
expect_exit 125 "nested: refuses to run without --allow-weaker" -- sbn -- "$esc" env
expect_out "user namespace: .*refusing to run without allow_weaker" "  (naming the step)"
expect_exit 0 "nested: runs with --allow-weaker" -- sbn --allow-weaker -- "$esc" env
expect_out "ran WITHOUT: netns nproc" "  (and says what it ran without)"
expect_exit 1 "nested, weaker: Landlock still denies the secret" -- \
	sbn --allow-weaker -- "$esc" read "$here/secret/key.txt"

# --- the command line ---
expect_exit 127 "a missing program exits 127" -- sbw -- /nonexistent/prog
expect_exit 3 "the program's exit status is passed on" -- sbw -- /bin/sh -c 'exit 3'
expect_exit 125 "an unknown option exits 125" -- "$WARRANT" sandbox --bogus -- /bin/true
expect_exit 125 "a --read path that does not exist exits 125" -- \
	sbw --read /nonexistent -- /bin/true
printf 'from stdin\n' > in.txt
expect_exit 0 "--stdin feeds the program" -- sbw --stdin in.txt -- /bin/cat
expect_out "^from stdin$" "  (cat echoed it)"
expect_exit 3 "--json: one JSON object, the same exit status" -- \
	sbw --json -- /bin/sh -c 'printf "a\"b\n\377"; echo err >&2; exit 3'
cp last.out result.json
jq_() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('result.json') AS TEXT), '$1')"; }
[ "$(sqlite3 :memory: "SELECT json_valid(CAST(readfile('result.json') AS TEXT))")" = 1 ] &&
[ "$(jq_ '$.status')" = 3 ] && [ "$(jq_ '$.stderr')" = err ] &&
[ "$(jq_ '$.stdout')" = "$(printf 'a"b\n\357\277\275')" ] &&
[ "$(jq_ '$.timed_out')" = 0 ] && [ -n "$(jq_ '$.applied[0]')" ] &&
	ok "  (valid JSON: status, stdout with bad UTF-8 replaced, stderr, layers)" ||
	fail "--json: $(cat result.json)"
expect_exit 0 "--help" -- "$WARRANT" sandbox --help
expect_out "124 timed out" "  (documents the exit codes)"
finish
