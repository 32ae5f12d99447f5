# Signing: Ed25519 keys, signed ledger entries and in-toto attestations,
# each signature also checked by the openssl command line, independently of
# warrant.
. "$WR_ROOT/tests/lib.sh"

# --- keys ---
expect_exit 0 "keygen makes a key" -- "$WARRANT" keygen -o k.pem
expect_out "key id +[0-9a-f]{64}" "prints the key id"
printed=$(sed -n 's/^key id *//p' last.out)
[ "$(stat -c %a k.pem)" = 600 ] && ok "the private key is mode 0600" || fail "k.pem is $(stat -c %a k.pem)"
before=$(sha256sum k.pem)
expect_exit 2 "keygen never overwrites a key" -- "$WARRANT" keygen -o k.pem
[ "$(sha256sum k.pem)" = "$before" ] && ok "the key is unchanged" || fail "the key changed"
# The key id is the SHA-256 of the raw public key: the last 32 bytes of
# the DER SubjectPublicKeyInfo, computed here by openssl.
id=$(openssl pkey -pubin -in k.pem.pub -outform DER | tail -c 32 | sha256sum | cut -c1-64)
[ "$printed" = "$id" ] && ok "the key id is the raw public key's SHA-256" || fail "key id $printed, openssl: $id"
expect_exit 0 "openssl reads the private key" -- openssl pkey -in k.pem -noout

# --- signed runs ---
script_model m.yaml "'{\"total\": 1}'"
cat > f.yaml <<'YAML'
name: signed
contract: {purpose: be signed}
models: {m: {provider: script, file: m.yaml}}
steps:
  - {id: draft, kind: generate, model: m, prompt: "go"}
  - {id: verify, kind: check, of: draft, checks: [{json: true}]}
  - {id: out, kind: ship, of: draft, to: out.json}
YAML
expect_exit 0 "a signed run" -- env WARRANT_SIGNING_KEY=k.pem "$WARRANT" run f.yaml -q
n=$(sql "SELECT count(*) FROM ledger")
[ "$(sql "SELECT count(*) FROM signatures")" = "$n" ] && ok "every entry is signed ($n)" ||
	fail "$(sql "SELECT count(*) FROM signatures") signatures for $n entries"
[ "$(sql "SELECT key_id FROM keys")" = "$id" ] && ok "the store records the key by its id" ||
	fail "key id in store: $(sql "SELECT key_id FROM keys"), openssl says $id"
expect_exit 0 "verifies against the public key" -- "$WARRANT" ledger verify --key k.pem.pub --require-signed
expect_out "$n entries \($n signed\)" "counts the signed entries"

# openssl checks one signature: Ed25519 over the entry's hash in hex.
sql "SELECT hash FROM ledger WHERE seq = 3" | tr -d '\n' > msg
sql "SELECT sig FROM signatures WHERE seq = 3" | base64 -d > sig.bin
expect_exit 0 "openssl verifies an entry's signature" -- \
	openssl pkeyutl -verify -pubin -inkey k.pem.pub -rawin -in msg -sigfile sig.bin
printf 'x' >> msg
expect_exit 1 "openssl refuses it for other bytes" -- \
	openssl pkeyutl -verify -pubin -inkey k.pem.pub -rawin -in msg -sigfile sig.bin

# --- tampering with signatures ---
cp .warrant/warrant.db pristine.db
restore() { rm -f .warrant/warrant.db-wal .warrant/warrant.db-shm; cp pristine.db .warrant/warrant.db; }
sql "UPDATE signatures SET sig = (SELECT sig FROM signatures WHERE seq = 1) WHERE seq = 2"
expect_exit 3 "a moved signature is caught" -- "$WARRANT" ledger verify
expect_out "entry 2 .*signature does not verify" "names the entry"
restore
sql "DELETE FROM signatures WHERE seq = 4"
expect_exit 0 "a missing signature is allowed by default" -- "$WARRANT" ledger verify
expect_exit 3 "but not with --require-signed" -- "$WARRANT" ledger verify --require-signed
expect_out "entry 4 .*is not signed" "names the unsigned entry"
restore
"$WARRANT" keygen -o other.pem >/dev/null
expect_exit 3 "another key is not trusted" -- "$WARRANT" ledger verify --key other.pem.pub
expect_out "not trusted" "says so"
sql "UPDATE keys SET public_pem = CAST(readfile('other.pem.pub') AS TEXT)"
expect_exit 3 "a swapped key in the store is caught" -- "$WARRANT" ledger verify
expect_out "not the key its id names" "says so"
restore
# Rewriting an entry and re-signing needs the private key; with another
# key, the trusted public key still refuses it.
sed 's/out.json/out2.json/' f.yaml > f2.yaml
expect_exit 0 "a run signed with another key" -- env WARRANT_SIGNING_KEY=other.pem "$WARRANT" run f2.yaml -q
expect_exit 3 "entries by another key fail against the trusted key" -- \
	"$WARRANT" ledger verify --key k.pem.pub
expect_exit 0 "and pass against the keys the store records" -- "$WARRANT" ledger verify
restore
expect_exit 0 "an unsigned run" -- "$WARRANT" run f2.yaml -q
expect_exit 3 "unsigned entries fail --require-signed" -- "$WARRANT" ledger verify --require-signed
restore

# --- bad keys ---
expect_exit 2 "a missing key file is bad input" -- env WARRANT_SIGNING_KEY=nope.pem "$WARRANT" run f.yaml -q
expect_out "WARRANT_SIGNING_KEY: .*nope.pem" "names the file"
expect_exit 2 "a public key is not a signing key" -- env WARRANT_SIGNING_KEY=k.pem.pub "$WARRANT" run f.yaml -q
expect_out "not an Ed25519 private key" "says what is wrong"

# --- attestations ---
expect_exit 2 "attest needs a key" -- "$WARRANT" attest last
expect_exit 0 "attest a run" -- env WARRANT_SIGNING_KEY=k.pem "$WARRANT" attest last -o att.json
j() { sqlite3 :memory: "SELECT json_extract(CAST(readfile('$1') AS TEXT), '$2')"; }
[ "$(j att.json '$.payloadType')" = "application/vnd.in-toto+json" ] && ok "a DSSE envelope" || fail "payloadType $(j att.json '$.payloadType')"
[ "$(j att.json '$.signatures[0].keyid')" = "$id" ] && ok "signed by the key's id" || fail "keyid"
j att.json '$.payload' | base64 -d > payload.json
[ "$(j payload.json '$._type')" = "https://in-toto.io/Statement/v1" ] && ok "an in-toto Statement v1" || fail "_type"
[ "$(j payload.json '$.subject[0].name')" = out.json ] && ok "the subject is the shipped file" || fail "subject $(j payload.json '$.subject')"
[ "$(j payload.json '$.subject[0].digest.sha256')" = "$(sha256sum < out.json | cut -c1-64)" ] &&
	ok "the subject's digest is the shipped bytes' SHA-256" || fail "digest"
[ "$(j payload.json '$.predicate.checks[0].passed')" = 1 ] && ok "the predicate holds the checks" || fail "checks"
[ "$(j payload.json "\$.predicate.ledger[#-1].action")" = run_finished ] && ok "and the run's ledger entries" || fail "ledger: $(j payload.json "\$.predicate.ledger[#-1]")"
# DSSE v1: the signature is over PAE(type, payload), checked by openssl.
type=application/vnd.in-toto+json
printf 'DSSEv1 %d %s %d ' ${#type} "$type" "$(stat -c %s payload.json)" > pae
cat payload.json >> pae
j att.json '$.signatures[0].sig' | base64 -d > att.sig
expect_exit 0 "openssl verifies the attestation" -- \
	openssl pkeyutl -verify -pubin -inkey k.pem.pub -rawin -in pae -sigfile att.sig
sed -i 's/"passed":true/"passed":false/' pae
expect_exit 1 "and refuses an edited payload" -- \
	openssl pkeyutl -verify -pubin -inkey k.pem.pub -rawin -in pae -sigfile att.sig
finish
