# Transport security: HTTPS with full certificate and host-name checks is
# the only default.  A server whose certificate comes from another CA, has
# expired or names another host is refused (exit 14, a message about the
# certificate, no pointless retries, nothing sent); a plain http:// URL is
# refused (exit 9) unless allow_insecure_http = true; secrets in files
# others may read are refused (exit 9); a server that does not speak the
# protocol gives exit 16.
. "$TESTS_DIR/sync/lib.sh"

make_pki
srv_new good server
srv_new expired expired
srv_new wronghost wronghost
srv_new plain ""
for s in good expired wronghost plain; do
	srv_adduser $s alice technician
	srv_start $s || {
		done_testing
		exit 1
	}
done

# requests the server logged (one line per request)
requests() { grep -c ' /v1/\| /health' "$T/$1/log"; }

# refused_tls CLIENT SERVER PATTERN WHAT: the sync fails with exit 14 and a
# message matching PATTERN, at once (a certificate is not retried), and
# the server took no request
refused_tls() {
	local before t0 elapsed
	before=$(requests "$2")
	t0=$(now_ms)
	expect_rc 14 pc "$1" sync
	elapsed=$(($(now_ms) - t0))
	expect_match "$3" "$ERR" "$4: the message"
	expect_eq "" "$OUT" "$4: nothing on standard output"
	CHECKS=$((CHECKS + 1))
	[ $elapsed -lt 3000 ] || fail "$4: took $elapsed ms: a certificate failure was retried"
	expect_eq "$before" "$(requests "$2")" "$4: no request reached the server"
	expect_eq 0 "$(srv_events "$2")" "$4: nothing stored on the server"
	expect_eq 1 "$(csql "$1" "SELECT count(*) FROM oplog WHERE pushed = 0")" \
		"$4: the client's change is still to push"
}

# --- the good server works, by address and by name ---------------------------------

client_new ok good alice OK "retries = 5"
expect_rc 0 pc ok new --title "over TLS"
expect_rc 0 pc ok sync
expect_match "^synced: pushed 1, pulled 0, conflicts 0$" "$OUT" "the one-line summary"
expect_eq 1 "$(srv_events good)" "the event reached the server"
client_new byname good alice NAME "retries = 5"
client_sync_set byname url "https://localhost:$(srv_port good)"
expect_rc 0 pc byname sync --quiet
expect_eq "" "$OUT" "--quiet prints nothing"
expect_eq 1 "$(csql byname "SELECT count(*) FROM tickets")" "sync by host name (SAN DNS:localhost)"

# the good server, but from the point of view of a client trusting another CA
client_new otherca good alice OCA "retries = 5
ca_file = $PKI/other-ca.pem"
expect_rc 0 pc otherca new --title "must not leave"
before=$(srv_events good)
t0=$(now_ms)
expect_rc 14 pc otherca sync
CHECKS=$((CHECKS + 1))
[ $(($(now_ms) - t0)) -lt 3000 ] || fail "an untrusted certificate was retried"
expect_match "certificate" "$ERR" "wrong CA: the message is about the certificate"
expect_match "not trusted" "$ERR" "wrong CA: the message says it is not trusted"
expect_eq "$before" "$(srv_events good)" "wrong CA: nothing stored"
expect_eq 1 "$(csql otherca "SELECT count(*) FROM oplog WHERE pushed = 0")" \
	"wrong CA: the change is still to push"
expect_eq 0 "$(csql otherca "SELECT count(*) FROM tickets WHERE title = 'over TLS'")" \
	"wrong CA: nothing pulled"

# no ca_file: the system's CAs do not know the test CA either
client_new sysca good alice SYS "retries = 5"
client_sync_set sysca ca_file
expect_rc 0 pc sysca new --title "must not leave"
expect_rc 14 pc sysca sync
expect_match "certificate" "$ERR" "system CAs: the message is about the certificate"
expect_eq "$before" "$(srv_events good)" "system CAs: nothing stored"

# --- expired certificate ------------------------------------------------------------

client_new exp expired alice EXP "retries = 5"
expect_rc 0 pc exp new --title "must not leave"
refused_tls exp expired "certificate.*expired|expired.*certificate" "expired certificate"

# --- wrong host name -------------------------------------------------------------------

client_new wh wronghost alice WH "retries = 5"
expect_rc 0 pc wh new --title "must not leave"
refused_tls wh wronghost "certificate|host name" "certificate for another host (by address)"
expect_match "127\.0\.0\.1" "$ERR" "wrong host: the message names the host"
client_sync_set wh url "https://localhost:$(srv_port wronghost)"
refused_tls wh wronghost "certificate|host name" "certificate for another host (by name)"

# --- plain http ----------------------------------------------------------------------

client_new http plain alice HTTP "retries = 5"
expect_rc 0 pc http new --title "plain"
expect_match "^http://" "$(srv_url plain)" "the plain server's URL"
before=$(requests plain)
expect_rc 9 pc http sync
expect_match "plain http" "$ERR" "http refused: says why"
expect_match "allow_insecure_http = true" "$ERR" "http refused: says how to accept it"
expect_eq "$before" "$(requests plain)" "http refused: no request was made"
client_sync_set http allow_insecure_http false
expect_rc 9 pc http sync
client_sync_set http allow_insecure_http yes-please
expect_rc 9 pc http sync
expect_eq "$before" "$(requests plain)" "http refused: still no request"
expect_eq 0 "$(srv_events plain)" "http refused: nothing stored"
client_sync_set http allow_insecure_http true
expect_rc 0 pc http sync --json
expect_eq 1 "$(jget "$OUT" '$.pushed')" "allow_insecure_http = true: the sync goes through"
expect_eq 1 "$(srv_events plain)" "allow_insecure_http = true: stored"
# https to a plain server is no downgrade: it fails
client_new tlsplain plain alice TP "retries = 0"
client_sync_set tlsplain url "https://127.0.0.1:$(srv_port plain)"
expect_rc 14 pc tlsplain sync
# an https server's clients never talk http, even with the setting
client_new down good alice DOWN "retries = 0
allow_insecure_http = true"
expect_rc 0 pc down sync --quiet

# --- configuration refusals --------------------------------------------------------------

client_new conf good alice CONF "retries = 0"
expect_rc 0 pc conf sync --quiet
chmod 644 "$T/conf/token"
expect_rc 9 pc conf sync
expect_match "chmod 600" "$ERR" "a token file others may read is refused"
expect_nomatch "$(cat "$T/conf/token")" "$ERR" "the refusal does not show the token"
chmod 600 "$T/conf/token"
expect_rc 0 pc conf sync --quiet
# the token in picket.conf itself: then picket.conf is the secret
client_sync_set conf token_file
client_sync_set conf token "$(srv_token good alice)"
chmod 644 "$T/conf/picket.conf"
expect_rc 9 pc conf sync
expect_match "chmod 600" "$ERR" "a token in a picket.conf others may read is refused"
chmod 600 "$T/conf/picket.conf"
expect_rc 0 pc conf sync --quiet
client_sync_set conf url "ftp://127.0.0.1:$(srv_port good)"
expect_rc 9 pc conf sync
expect_match "https://" "$ERR" "an ftp URL is refused"
client_sync_set conf url
expect_rc 9 pc conf sync
expect_match "url" "$ERR" "no URL: says which setting is missing"
client_sync_set conf url "$(srv_url good)"
client_sync_set conf ca_file "$T/no-such-ca.pem"
expect_rc 9 pc conf sync
expect_match "ca_file" "$ERR" "a missing ca_file is refused"

# --- not picketd: protocol mismatch ----------------------------------------------------

# openssl's test server answers every GET with 200 and no Picket-Protocol
mkdir -p "$T/fake"
for try in 1 2 3 4 5; do
	FAKE_PORT=$(_free_port)
	openssl s_server -quiet -www -cert "$PKI/server.pem" -key "$PKI/server.key" \
		-accept "127.0.0.1:$FAKE_PORT" >"$T/fake/log" 2>&1 &
	FAKE_PID=$!
	track $FAKE_PID
	wait_until 5 curl -s -o /dev/null --cacert "$PKI/ca.pem" "https://127.0.0.1:$FAKE_PORT/" && break
	kill "$FAKE_PID" 2>/dev/null
done
client_new fake good alice FAKE "retries = 0"
client_sync_set fake url "https://127.0.0.1:$FAKE_PORT"
expect_rc 16 pc fake sync
expect_match "does not speak picket sync protocol 1" "$ERR" "protocol mismatch: says so"
kill "$FAKE_PID" 2>/dev/null

# a server that takes the connection and never answers: the request times
# out, is retried (sync.retries) with backoff, and picket gives up with 14
mkfifo "$T/fake/stdin"
for try in 1 2 3 4 5; do
	MUTE_PORT=$(_free_port)
	# s_server reads what to send from its standard input: nothing, ever
	openssl s_server -quiet -cert "$PKI/server.pem" -key "$PKI/server.key" \
		-accept "127.0.0.1:$MUTE_PORT" <>"$T/fake/stdin" >"$T/fake/mute.log" 2>&1 &
	MUTE_PID=$!
	track $MUTE_PID
	wait_until 5 bash -c "(: </dev/tcp/127.0.0.1/$MUTE_PORT) 2>/dev/null" && break
	kill "$MUTE_PID" 2>/dev/null
done
client_new mute good alice MUTE "retries = 1
timeout = 1"
client_sync_set mute url "https://127.0.0.1:$MUTE_PORT"
t0=$(now_ms)
expect_rc 14 pc mute sync
elapsed=$(($(now_ms) - t0))
expect_match "[Tt]imeout|timed out" "$ERR" "a mute server: the message says it timed out"
CHECKS=$((CHECKS + 1))
# two attempts of 1 s and a 250 ms pause between them
[ $elapsed -ge 2000 ] && [ $elapsed -lt 10000 ] ||
	fail "a mute server: gave up after $elapsed ms (expected two 1 s attempts and a pause)"
kill "$MUTE_PID" 2>/dev/null

for s in good expired wronghost plain; do srv_stop $s; done
done_testing
