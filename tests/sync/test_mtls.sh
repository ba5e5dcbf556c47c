# Client certificates (mutual TLS): picketd with tls.client_ca asks for a
# client certificate and, under auth.method certificate, either or both,
# maps its subject to a user of the users file.  A good certificate syncs;
# a missing, untrusted, expired, revoked (CRL), wrongly purposed or
# unbound one is refused with a 401 that says why (picket exits 15),
# logged, nothing stored; a certificate and a token of two users are
# refused; a CRL revoked while picketd runs applies after SIGHUP.  And the
# settings that make no sense are refused at start (exit 9).
. "$TESTS_DIR/sync/lib.sh"

make_pki
make_client_pki
CA_LINES="client_ca = $PKI/client-ca.pem
client_crl = $PKI/client-ca.crl"
srv_new cert server "" "$CA_LINES" "method = certificate"
srv_new either server "" "$CA_LINES" "method = either"
srv_new both server "" "$CA_LINES" "method = both"
srv_new tok server
for s in cert either both; do
	for u in alice bob carol dave; do
		srv_adduser $s $u technician "" --cert "$PKI/$u.pem"
	done
done
srv_adduser either tina technician
srv_adduser tok alice technician
for s in cert either both tok; do
	srv_start $s || {
		done_testing
		exit 1
	}
done

# --- users bound to certificates --------------------------------------------------

expect_eq "" "$(cat "$T/cert/tokens/alice")" "method certificate: adduser issues no token"
expect_match . "$(cat "$T/either/tokens/alice")" "method either: adduser issues a token"
expect_match "signs in with the client certificate 'CN=alice,O=Picket Test'" \
	"$(cat "$T/cert/adduser.log")" "adduser --cert says which subject it bound"
expect_rc 0 "$PICKETD" users --config "$T/either/picketd.conf"
expect_match "^alice +technician +- +token +CN=alice,O=Picket Test$" "$OUT" \
	"picketd users shows the subject"
expect_match "^tina +technician +- +token +-$" "$OUT" "a user without a certificate"
expect_rc 1 "$PICKETD" adduser mallory --role admin --subject "CN=alice,O=Picket Test" \
	--config "$T/either/picketd.conf"
expect_match "bound to alice already" "$ERR" "a subject is bound to one user only"
expect_rc 2 "$PICKETD" adduser mallory --role admin --config "$T/cert/picketd.conf"
expect_match "subject or --cert is needed" "$ERR" "method certificate: a subject is needed"
expect_rc 2 "$PICKETD" adduser mallory --role admin --subject "alice" \
	--config "$T/cert/picketd.conf"
expect_match "not a certificate subject" "$ERR" "a subject without = is refused"
expect_rc 2 "$PICKETD" adduser mallory --role admin --subject "CN=m" --cert "$PKI/eve.pem" \
	--config "$T/cert/picketd.conf"

# --- on the wire --------------------------------------------------------------------

# asks for a client certificate, naming the client authority; not by default
ca_names() {
	openssl s_client -connect "127.0.0.1:$(srv_port "$1")" -CAfile "$PKI/ca.pem" </dev/null 2>&1 |
		sed -n '/client certificate CA names/,/^---/p'
}
expect_match "CN ?= ?picket client-ca test" "$(ca_names cert)" \
	"picketd names the client authority in its certificate request"
expect_match "No client certificate CA names sent" "$(ca_names tok)" \
	"method token: no client certificate is asked for"
SRV=cert
http_req GET /health ""
expect_http 200 "" "health needs no certificate"
http_req GET "/v1/pull?after=0" "" "" -D "$T/headers"
expect_http 401 auth "curl without a certificate"
expect_match "needs a client certificate" "$(jget "$BODY" '$.message')" "no certificate: why"
expect_nomatch "WWW-Authenticate" "$(cat "$T/headers")" \
	"method certificate: no Bearer challenge"
http_req GET "/v1/pull?after=0" "" "" --cert "$PKI/alice.pem" --key "$PKI/alice.key"
expect_http 200 "" "curl with alice's certificate"
SRV=either
http_req GET "/v1/pull?after=0" "" "" -D "$T/headers"
expect_http 401 auth "method either, curl with nothing"
expect_match "a client certificate or a bearer token is needed" "$(jget "$BODY" '$.message')" \
	"method either, nothing: why"
expect_match "WWW-Authenticate: Bearer" "$(cat "$T/headers")" "method either: Bearer challenge"

# --- syncs ------------------------------------------------------------------------------

# mtls_client NAME SERVER USER CERT [TOKEN_USER]: a client signing in with
# $PKI/CERT.pem ("" for none) and TOKEN_USER's token (none by default), with
# one change to push
n_clients=0
mtls_client() {
	n_clients=$((n_clients + 1))
	client_new "$1" "$2" "$3" "N$n_clients"
	if [ -n "$4" ]; then
		client_sync_set "$1" cert_file "$PKI/$4.pem"
		client_sync_set "$1" key_file "$PKI/$4.key"
	fi
	if [ -n "${5:-}" ]; then
		cp "$T/$2/tokens/$5" "$T/$1/token"
	else
		client_sync_set "$1" token_file
	fi
	pc "$1" new --title "from $1" >/dev/null || fail "picket new on $1"
}

# refused CLIENT SERVER PATTERN WHAT: the sync is refused with 401 and a
# message matching PATTERN, not retried, and nothing is stored
refused() {
	local before t0
	before=$(srv_events "$2")
	t0=$(now_ms)
	expect_rc 15 pc "$1" sync
	CHECKS=$((CHECKS + 1))
	[ $(($(now_ms) - t0)) -lt 3000 ] || fail "$4: a refused certificate was retried"
	expect_match "401 auth" "$ERR" "$4: picket says the server refused it"
	expect_match "$3" "$ERR" "$4: picket says why"
	expect_eq "$before" "$(srv_events "$2")" "$4: nothing stored"
	expect_eq 1 "$(csql "$1" "SELECT count(*) FROM oplog WHERE pushed = 0")" \
		"$4: the change is still to push"
}

synced() {
	local before
	before=$(srv_events "$2")
	sync_ok "$1"
	expect_eq $((before + 1)) "$(srv_events "$2")" "$3: the change reached the server"
}

UNTRUSTED="not signed by an authority this server trusts"
mtls_client c_alice cert alice alice
synced c_alice cert "method certificate, alice's certificate"
expect_match "alice POST /v1/push 200" "$(srv_log cert)" "picketd logs the push as alice's"
mtls_client c_none cert alice "" alice
echo "pkt_ignored" >"$T/c_none/token"
refused c_none cert "needs a client certificate" "method certificate, no certificate"
mtls_client c_rogue cert alice rogue
refused c_rogue cert "$UNTRUSTED" "method certificate, alice's subject from another CA"
mtls_client c_dave cert dave dave
refused c_dave cert "expired on 2021-01-01" "method certificate, expired"
mtls_client c_carol cert carol carol
refused c_carol cert "has been revoked" "method certificate, revoked"
mtls_client c_eve cert eve eve
refused c_eve cert "CN=eve,O=Picket Test' is bound to no user" "method certificate, unbound"
mtls_client c_purpose cert alice alice-server
refused c_purpose cert "not meant for TLS client authentication" \
	"method certificate, a server certificate"
log=$(srv_log cert)
expect_match "authentication failed from 127\.0\.0\.1: no client certificate" "$log" \
	"picketd logs a missing certificate"
expect_match "client certificate 'CN=alice,O=Picket Test' \(serial [0-9A-F]+\) refused: it is not signed" "$log" \
	"picketd logs an untrusted certificate with its subject"
carol_serial=$(openssl x509 -noout -serial -in "$PKI/carol.pem" | sed 's/^serial=//')
expect_match "client certificate 'CN=carol,O=Picket Test' \(serial $carol_serial\) refused: it has been revoked" \
	"$log" "picketd logs a revoked certificate with its serial"

mtls_client e_cert either alice alice
synced e_cert either "method either, certificate alone"
mtls_client e_token either tina "" tina
synced e_token either "method either, token alone"
mtls_client e_both either alice alice alice
synced e_both either "method either, certificate and token of alice"
mtls_client e_mix either alice alice bob
refused e_mix either "belong to different users" "method either, alice's certificate, bob's token"
mtls_client e_rogue either alice rogue alice
refused e_rogue either "$UNTRUSTED" "method either, untrusted certificate with a good token"
mtls_client e_carol either carol carol carol
refused e_carol either "has been revoked" "method either, revoked certificate with its token"
mtls_client e_dave either dave dave
refused e_dave either "expired" "method either, expired"
mtls_client e_eve either eve eve
refused e_eve either "bound to no user" "method either, unbound"
expect_match "the client certificate is alice's but the token is bob's" "$(srv_log either)" \
	"picketd logs whose certificate and whose token"

mtls_client b_ok both alice alice alice
synced b_ok both "method both, alice's certificate and token"
mtls_client b_nocert both alice "" alice
refused b_nocert both "needs a client certificate .* and a bearer token" \
	"method both, token alone"
mtls_client b_notoken both alice alice
refused b_notoken both "needs a bearer token" "method both, certificate alone"
mtls_client b_mix both alice alice bob
refused b_mix both "belong to different users" "method both, alice's certificate, bob's token"
mtls_client b_rogue both alice rogue alice
refused b_rogue both "$UNTRUSTED" "method both, untrusted certificate"
mtls_client b_dave both dave dave dave
refused b_dave both "expired" "method both, expired"
mtls_client b_carol both carol carol carol
refused b_carol both "has been revoked" "method both, revoked"
mtls_client b_eve both eve eve bob
refused b_eve both "bound to no user" "method both, unbound"

# --- the CRL, reloaded on SIGHUP ------------------------------------------------------------

mtls_client c_bob cert bob bob
synced c_bob cert "bob before his certificate is revoked"
reloads() { grep -c "reloaded the client certificate authorities" "$T/cert/log"; }
client_revoke bob
n=$(reloads)
kill -HUP "$(srv_pid cert)"
wait_until 5 eval '[ "$(reloads)" -gt $n ]' || fail "no CRL reload after SIGHUP"
expect_rc 0 pc c_bob new --title "after revocation"
refused c_bob cert "has been revoked" "a certificate revoked while picketd runs, after SIGHUP"
# a broken CRL keeps the old one
cp "$PKI/client-ca.crl" "$T/crl.good"
echo "not a CRL" >"$PKI/client-ca.crl"
n=$(grep -c "CRLs not reloaded" "$T/cert/log")
kill -HUP "$(srv_pid cert)"
wait_until 5 eval '[ "$(grep -c "CRLs not reloaded" "$T/cert/log")" -gt $n ]' ||
	fail "a broken CRL: picketd did not say it kept the old one"
expect_match "CRLs not reloaded, the old ones stay: tls.client_crl: .* holds no PEM CRL" \
	"$(srv_log cert)" "a broken CRL: the log says why"
refused c_bob cert "has been revoked" "a broken CRL: bob stays revoked"
expect_rc 0 pc c_alice new --title "still in"
synced c_alice cert "a broken CRL: alice still syncs"
cp "$T/crl.good" "$PKI/client-ca.crl"

# --- the client's files -------------------------------------------------------------------

cp "$PKI/alice.key" "$T/open.key"
chmod 644 "$T/open.key"
client_sync_set c_alice key_file "$T/open.key"
expect_rc 9 pc c_alice sync
expect_match "key_file.*may be read by group or others" "$ERR" "a key others may read is refused"
cat "$PKI/alice.pem" "$PKI/alice.key" >"$T/alice-both.pem"
chmod 600 "$T/alice-both.pem"
client_sync_set c_alice cert_file "$T/alice-both.pem"
client_sync_set c_alice key_file
expect_rc 0 pc c_alice sync --quiet
chmod 640 "$T/alice-both.pem"
expect_rc 9 pc c_alice sync
expect_match "cert_file \(which holds the key\).*may be read by group" "$ERR" \
	"a certificate file holding the key must be private too"
client_sync_set c_alice cert_file "$PKI/alice.pem"
client_sync_set c_alice key_file "$PKI/bob.key"
expect_rc 9 pc c_alice sync
expect_match "not a usable client certificate and key" "$ERR" "a key of another certificate"
client_sync_set c_alice cert_file
expect_rc 9 pc c_alice sync
expect_match "key_file is set but sync.cert_file is not" "$ERR" "a key without a certificate"
client_sync_set c_alice key_file
expect_rc 9 pc c_alice sync
expect_match "no sync token: set token_file \(or cert_file" "$ERR" "neither token nor certificate"

# --- settings refused at start ------------------------------------------------------------------

# bad_conf WHAT PATTERN TLS_LINES AUTH_LINES [CERT]: picketd refuses to start
bad_conf() {
	srv_new bad "${5-server}" "" "$3" "$4"
	install -m 600 /dev/null "$T/bad/users"
	expect_rc 9 "$PICKETD" --config "$T/bad/picketd.conf"
	expect_match "$2" "$ERR" "$1"
}
bad_conf "certificates without client_ca" "method = certificate needs tls.client_ca" "" \
	"method = certificate"
bad_conf "certificates over plain HTTP" "cannot see with server.plain_http" "" \
	"method = either" ""
bad_conf "client_ca with method token" "client_ca is set but auth.method = token" \
	"client_ca = $PKI/client-ca.pem" ""
bad_conf "an unknown method" "'cert' is not token, certificate, either or both" \
	"client_ca = $PKI/client-ca.pem" "method = cert"
openssl ca -config "$PKI/openssl.cnf" -name clientca -batch -gencrl -cert "$PKI/other-ca.pem" \
	-keyfile "$PKI/other-ca.key" -out "$T/other.crl" >>"$PKI/openssl.log" 2>&1
bad_conf "a CRL of another authority" "the CRL of 'CN=picket other-ca test' .* is not signed" \
	"client_ca = $PKI/client-ca.pem
client_crl = $T/other.crl" "method = certificate"
bad_conf "a client_ca that is no authority" "is not a certificate authority" \
	"client_ca = $PKI/alice.pem" "method = certificate"
bad_conf "a client_crl that is not there" "tls.client_crl: cannot read" \
	"client_ca = $PKI/client-ca.pem
client_crl = $T/nothing.crl" "method = certificate"

done_testing
