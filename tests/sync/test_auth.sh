# Authentication, roles and input checks of picketd: a bad token is
# refused (picket exits 15, picketd logs the failure but never a token);
# forged actors, viewers pushing and technicians moving tickets across
# groups get 403; bodies over max_body 413; malformed JSON, unknown
# members, wrong types and other protocol versions 400; events that do not
# fit the data 422; cursors out of range 400.  Nothing refused is stored.
. "$TESTS_DIR/sync/lib.sh"

make_pki
srv_new srv server "max_body = 64k"
srv_adduser srv alice technician ops
srv_adduser srv bob technician ops
srv_adduser srv sam supervisor
srv_adduser srv vic viewer
srv_start srv || {
	done_testing
	exit 1
}
SRV=srv
ALICE=$(srv_token srv alice)
BOB=$(srv_token srv bob)
VIC=$(srv_token srv vic)

# the server's whole state, to show a refusal stored nothing
srv_state() { srv_store_state srv; }
# jedit IN OUT EXPR: OUT is EXPR over the JSON text j of file IN
jedit() {
	sqlite3 -batch -noheader :memory: \
		"WITH x(j) AS (SELECT CAST(readfile('$1') AS TEXT)) SELECT $3 FROM x" >"$2"
}
# refused STATUS CODE WHAT: $STATUS/$BODY are that refusal and nothing changed
refused() {
	expect_http "$1" "$2" "$3"
	expect_match . "$(jget "$BODY" '$.message')" "$3: a message says why"
	expect_eq "$STATE" "$(srv_state)" "$3: nothing stored"
}

# something on the server to begin with
client_new a srv alice A
REF=$(pc a new --title "Switch 4 down" --group ops)
expect_rc 0 pc a sync --quiet
STATE=$(srv_state)
UUID=$(csql a "SELECT uuid FROM tickets WHERE ref = '$REF'")

# --- tokens ---------------------------------------------------------------------

http_req GET /health ""
expect_http 200 "" "health needs no token"
expect_eq "ok 1" "$(jget "$BODY" '$.status') $(jget "$BODY" '$.head')" "health: status and head"
BAD="pkt_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
client_new bad srv alice BAD "retries = 5"
echo "$BAD" >"$T/bad/token"
expect_rc 0 pc bad new --title "must not arrive"
t0=$(now_ms)
expect_rc 15 pc bad sync
CHECKS=$((CHECKS + 1))
[ $(($(now_ms) - t0)) -lt 3000 ] || fail "a refused token was retried"
expect_match "401 auth" "$ERR" "bad token: picket says the server refused it"
expect_nomatch "$BAD" "$ERR" "bad token: picket does not print the token"
expect_eq 1 "$(csql bad "SELECT count(*) FROM oplog WHERE pushed = 0")" "bad token: still to push"
expect_eq "$STATE" "$(srv_state)" "bad token: nothing stored"
expect_match "authentication failed from 127\.0\.0\.1: unknown token" "$(srv_log srv)" \
	"picketd logs the authentication failure"
http_req GET "/v1/pull?after=0" ""
refused 401 auth "no Authorization header"
expect_match "no Authorization header" "$(srv_log srv)" "picketd logs a missing header"
http_req GET "/v1/pull?after=0" "" "" -H "Authorization: Basic $(printf 'alice:%s' "$ALICE" | base64 -w0)"
refused 401 auth "basic authentication"
http_req GET "/v1/pull?after=0" "${ALICE}x"
refused 401 auth "a token with a byte more"
http_req GET "/v1/pull?after=0" "${ALICE%?}"
refused 401 auth "a token with a byte less"
: >"$T/nothing.json"
http_req POST /v1/push "$BAD" "$T/nothing.json"
refused 401 auth "push with a bad token"
# no token, good or bad, ever reaches the log
for tok in "$BAD" "$ALICE" "$BOB" "$VIC" "$(srv_token srv sam)" "${ALICE}x"; do
	expect_nomatch "${tok:4:24}" "$(srv_log srv)" "picketd's log shows no token"
done

# users added and removed while picketd runs take effect on SIGHUP
srv_adduser srv newbie technician
client_new nb srv newbie NB
expect_rc 0 pc nb sync --quiet
expect_match "reloaded 5 users" "$(srv_log srv)" "picketd reloads its users on SIGHUP"
"$PICKETD" deluser newbie --config "$T/srv/picketd.conf" 2>/dev/null
expect_rc 0 pc nb sync --quiet
n=$(grep -c reloaded "$T/srv/log")
kill -HUP "$(srv_pid srv)"
wait_until 5 eval '[ "$(grep -c reloaded "$T/srv/log")" -gt $n ]' || fail "no reload after SIGHUP"
expect_rc 15 pc nb sync
expect_match "401 auth" "$ERR" "a removed user's token stops working after SIGHUP"
# a broken users file keeps the old list
cp "$T/srv/users" "$T/users.good"
echo "garbage line" >>"$T/srv/users"
n=$(grep -c "users not reloaded" "$T/srv/log")
kill -HUP "$(srv_pid srv)"
wait_until 5 eval '[ "$(grep -c "users not reloaded" "$T/srv/log")" -gt $n ]' ||
	fail "a broken users file: picketd did not say it kept the old list"
expect_rc 0 pc a sync --quiet
cp "$T/users.good" "$T/srv/users"
STATE=$(srv_state)

# --- roles and identities ------------------------------------------------------------

# bob replays alice's events as his own push: forged actor
expect_rc 0 pc a comment "$REF" "alice was here"
expect_rc 0 pc a set "$REF" priority=P1
push_body a "$T/alice.json" "pushed = 0"
http_req POST /v1/push "$BOB" "$T/alice.json"
refused 403 forged_actor "bob pushing alice's events"
expect_match "refused \(forged_actor\)" "$(srv_log srv)" "picketd logs the forged actor"
# one honest event of bob's with a forged one: all or nothing
client_new b srv bob B
expect_rc 0 pc b sync --quiet
expect_rc 0 pc b set "$REF" ci=sw-4
push_body b "$T/bob.json" "pushed = 0"
jedit "$T/bob.json" "$T/mixed.json" \
	"json_insert(j, '\$.events[#]', json_extract(CAST(readfile('$T/alice.json') AS TEXT), '\$.events[0]'))"
expect_eq 2 "$(jlen "$(cat "$T/mixed.json")" '$.events')" "the mixed body"
http_req POST /v1/push "$BOB" "$T/mixed.json"
refused 403 forged_actor "an honest event with a forged one"
# bob's own events, pushed by hand, are taken
http_req POST /v1/push "$BOB" "$T/bob.json"
expect_http 200 "" "bob's own event"
expect_eq 1 "$(jget "$BODY" '$.accepted')" "bob's own event is accepted"
expect_rc 0 pc b sync --quiet
expect_rc 0 pc a sync --quiet
STATE=$(srv_state)

# a viewer may pull, not push
client_new v srv vic V
expect_rc 0 pc v sync --json
expect_eq "$(srv_events srv)" "$(jget "$OUT" '$.pulled')" "a viewer pulls everything"
expect_rc 0 pc v set "$REF" category=viewer-was-here
expect_rc 15 pc v sync
expect_match "403 forbidden" "$ERR" "a viewer's push: picket says it was forbidden"
expect_match "vic is a viewer and may only pull" "$ERR" "a viewer's push: says why"
expect_eq "$STATE" "$(srv_state)" "a viewer's push: nothing stored"
push_body v "$T/vic.json" "pushed = 0"
http_req POST /v1/push "$VIC" "$T/vic.json"
refused 403 forbidden "a viewer pushing with curl"

# only supervisors move tickets across groups: a technician's move is left
# out (the rest of the push is stored) and taken back on the technician's node
client_new t srv bob T
expect_rc 0 pc t sync --quiet
expect_rc 0 pc t set "$REF" group=network ci=sw-5
expect_rc 15 pc t sync
expect_match "^synced: pushed 1, pulled 0, conflicts 0, refused 1$" "$OUT" \
	"a technician's group change: the summary counts it refused"
expect_match "$REF group: only supervisors reassign tickets across groups \(undone here\)" \
	"$ERR" "a technician's group change: says which change and why"
expect_eq "ops|sw-5" "$(srv_view_sql srv "SELECT group_name || '|' || ci FROM tickets WHERE uuid = '$UUID'")" \
	"the group is unchanged on the server, the other change is stored"
expect_eq "ops|sw-5" "$(csql t "SELECT group_name || '|' || ci FROM tickets WHERE uuid = '$UUID'")" \
	"the refused change is undone on the technician's node"
expect_eq 0 "$(csql t "SELECT count(*) FROM oplog WHERE pushed = 0")" "nothing left to push"
expect_rc 0 pc t sync --json
expect_eq "0 0" "$(jget "$OUT" '$.refused') $(jget "$OUT" '$.pending')" "the next sync is clean"
expect_eq "$(srv_events srv)" "$(csql t "SELECT count(*) FROM oplog WHERE pushed <> 2")" \
	"every event of the server on T (and the refused one kept aside, pushed = 2)"
expect_match "event .* left out \(forbidden\)" "$(srv_log srv)" "picketd logs the refused change"
# a ticket without a group may be given one by anybody
REF3=$(pc t new --title "No group yet")
expect_rc 0 pc t set "$REF3" group=ops
expect_rc 0 pc t sync --json
expect_eq "0 0" "$(jget "$OUT" '$.refused') $(jget "$OUT" '$.pending')" \
	"a technician gives a ticket its first group"
expect_eq ops "$(srv_view_sql srv "SELECT group_name FROM tickets WHERE ref = '$REF3'")" \
	"the first group is on the server"
# by hand: the answer names the event left out
expect_rc 0 pc t set "$REF" group=desk
push_body t "$T/move.json" "pushed = 0"
MOVE=$(jget "$(cat "$T/move.json")" '$.events[0].uuid')
BEFORE=$(srv_state)
http_req POST /v1/push "$BOB" "$T/move.json"
expect_http 200 "" "a push with a group move by a technician"
expect_eq "0 1 $MOVE forbidden" "$(jget "$BODY" '$.accepted') $(jlen "$BODY" '$.rejected') $(jget "$BODY" '$.rejected[0].uuid') $(jget "$BODY" '$.rejected[0].error')" \
	"the answer: nothing accepted, the event named as rejected"
expect_eq "$BEFORE" "$(srv_state)" "the rejected event is not stored"
expect_rc 15 pc t sync
expect_eq ops "$(csql t "SELECT group_name FROM tickets WHERE uuid = '$UUID'")" "undone on T again"

# a supervisor may
client_new s srv sam S
expect_rc 0 pc s sync --quiet
expect_rc 0 pc s set "$REF" group=network
expect_rc 0 pc s sync --json
expect_eq "1 0" "$(jget "$OUT" '$.pushed') $(jget "$OUT" '$.refused')" "a supervisor moves the ticket"
expect_eq network "$(srv_view_sql srv "SELECT group_name FROM tickets WHERE uuid = '$UUID'")" \
	"the supervisor's group change is on the server"
expect_rc 0 pc a sync --quiet
expect_eq network "$(csql a "SELECT group_name FROM tickets WHERE uuid = '$UUID'")" \
	"and reaches the other clients"
expect_rc 0 pc t sync --quiet
expect_eq network "$(csql t "SELECT group_name FROM tickets WHERE uuid = '$UUID'")" \
	"and the technician's node"

# a refused move racing a supervisor's: sam moves the ticket offline, then
# bob (later, so with the higher clock) tries to move it too and is
# refused; once sam syncs, every node must hold sam's group, bob's too
expect_rc 0 pc s set "$REF" group=desk
sleep 0.01
expect_rc 0 pc t set "$REF" group=ops
expect_rc 15 pc t sync
expect_eq network "$(csql t "SELECT group_name FROM tickets WHERE uuid = '$UUID'")" "bob's move undone"
expect_rc 0 pc s sync --quiet
for n in t a s t; do expect_rc 0 pc $n sync --quiet; done
for n in t a s; do
	expect_eq "desk|0" "$(csql $n "SELECT group_name || '|' || (SELECT count(*) FROM conflicts)
	  FROM tickets WHERE uuid = '$UUID'")" "$n: the supervisor's move stands, no conflict"
done
expect_eq desk "$(srv_view_sql srv "SELECT group_name FROM tickets WHERE uuid = '$UUID'")" \
	"the supervisor's move stands on the server"
expect_same_db "$(cdb t)" "$(cdb s)" "the technician's and the supervisor's nodes"
STATE=$(srv_state)

# --- sizes -----------------------------------------------------------------------------

# a push bigger than max_body (64 KiB): 413, with and without Content-Length
expect_rc 0 pc a set "$REF" description="$(head -c 20000 /dev/zero | tr '\0' 'x')"
push_body a "$T/one.json" "pushed = 0"
jedit "$T/one.json" "$T/big.json" \
	"json_set(j, '\$.events', json_array(json_extract(j, '\$.events[0]'), json_extract(j, '\$.events[0]'), json_extract(j, '\$.events[0]'), json_extract(j, '\$.events[0]')))"
SIZE=$(wc -c <"$T/big.json")
CHECKS=$((CHECKS + 1))
[ "$SIZE" -gt 65536 ] || fail "the big body is only $SIZE bytes"
# (with Expect: 100-continue, so the 413 always arrives: without it picketd
# closes the connection while the body is still coming, and now and then
# the client sees a reset instead of the 413; see the report)
http_req POST /v1/push "$ALICE" "$T/big.json" -H "Expect: 100-continue"
refused 413 too_large "a body over max_body"
http_req POST /v1/push "$ALICE" "$T/big.json" -H "Transfer-Encoding: chunked"
refused 413 too_large "a chunked body over max_body"
head -c 5000000 /dev/zero | tr '\0' ' ' >"$T/huge.json"
http_req POST /v1/push "$ALICE" "$T/huge.json"
refused 413 too_large "a 5 MB body"
for i in 1 2 3 4 5; do
	http_req POST /v1/push "$ALICE" "$T/big.json"
	CHECKS=$((CHECKS + 1))
	case $STATUS in
	413 | 000) ;;
	*) fail "a body over max_body without Expect: HTTP $STATUS" ;;
	esac
done
expect_eq "$STATE" "$(srv_state)" "bodies over max_body: nothing stored"
# picket itself: a batch over max_body is split until it fits
client_new big srv alice BIG "batch = 1000
retries = 3"
LONG=$(printf 'd%.0s' $(seq 300))
{
	echo "title,description"
	for ((i = 1; i <= 400; i++)); do echo "Big $i,$LONG"; done
} >"$T/big.csv"
expect_rc 0 pc big import "$T/big.csv"
expect_rc 0 pc big sync --json
expect_eq "400 0" "$(jget "$OUT" '$.pushed') $(jget "$OUT" '$.pending')" \
	"a batch over max_body goes through in smaller ones"
expect_match '413' "$(srv_log srv | grep ' BIG\| big\|POST /v1/push 413' | tail -3)" \
	"after the server refused the large one"
expect_eq 400 "$(srv_sql srv "SELECT count(*) FROM oplog WHERE origin = 'BIG'")" \
	"every event stored once"
# the body just within the limit is read and judged on its content
http_req POST /v1/push "$ALICE" "$T/one.json"
expect_http 200 "" "the same event alone fits"
expect_rc 0 pc a sync --quiet
STATE=$(srv_state)

# --- malformed bodies -----------------------------------------------------------------

expect_rc 0 pc a set "$REF" service=lan
push_body a "$T/good.json" "pushed = 0"
printf '{"protocol":1,"node":"A","events":[' >"$T/truncated.json"
http_req POST /v1/push "$ALICE" "$T/truncated.json"
refused 400 bad_request "truncated JSON"
expect_match "malformed JSON" "$(jget "$BODY" '$.message')" "truncated JSON: the message"
printf 'hello' >"$T/text.json"
http_req POST /v1/push "$ALICE" "$T/text.json"
refused 400 bad_request "not JSON"
: >"$T/empty.json"
http_req POST /v1/push "$ALICE" "$T/empty.json"
refused 400 bad_request "an empty body"
printf '[1,2,3]' >"$T/array.json"
http_req POST /v1/push "$ALICE" "$T/array.json"
refused 400 bad_request "an array body"
jedit "$T/good.json" "$T/extra.json" "json_set(j, '\$.extra', 1)"
http_req POST /v1/push "$ALICE" "$T/extra.json"
refused 400 bad_request "an unknown member"
expect_match "extra" "$(jget "$BODY" '$.message')" "an unknown member: named in the message"
jedit "$T/good.json" "$T/evextra.json" "json_set(j, '\$.events[0].evil', 'yes')"
http_req POST /v1/push "$ALICE" "$T/evextra.json"
refused 400 bad_request "an unknown member of an event"
expect_match "evil" "$(jget "$BODY" '$.message')" "an unknown member of an event: named"
jedit "$T/good.json" "$T/type.json" "json_set(j, '\$.events[0].hlc', 'soon')"
http_req POST /v1/push "$ALICE" "$T/type.json"
refused 400 bad_request "a member of the wrong type"
jedit "$T/good.json" "$T/missing.json" "json_remove(j, '\$.events[0].uuid')"
http_req POST /v1/push "$ALICE" "$T/missing.json"
refused 400 bad_request "a missing member"
jedit "$T/good.json" "$T/badop.json" "json_set(j, '\$.events[0].op', 'delete')"
http_req POST /v1/push "$ALICE" "$T/badop.json"
refused 400 bad_request "an unknown op"
jedit "$T/good.json" "$T/baduuid.json" "json_set(j, '\$.events[0].uuid', 'not-a-uuid')"
http_req POST /v1/push "$ALICE" "$T/baduuid.json"
refused 400 bad_request "an event uuid that is no UUID"
sed 's/^{"protocol":1,/{"protocol":1,"protocol":1,/' "$T/good.json" >"$T/dupkey.json"
http_req POST /v1/push "$ALICE" "$T/dupkey.json"
refused 400 bad_request "a member twice"
jedit "$T/good.json" "$T/ctl.json" "json_set(j, '\$.events[0].actor', 'ali' || char(27) || '[31mce')"
http_req POST /v1/push "$ALICE" "$T/ctl.json"
refused 400 bad_request "an actor with an escape sequence"

# other protocol versions: in the body, in the header, or no header
jedit "$T/good.json" "$T/v2.json" "json_set(j, '\$.protocol', 2)"
http_req POST /v1/push "$ALICE" "$T/v2.json"
refused 400 protocol "protocol 2 in the body"
jedit "$T/good.json" "$T/v0.json" "json_remove(j, '\$.protocol')"
http_req POST /v1/push "$ALICE" "$T/v0.json"
refused 400 bad_request "no protocol member"
PROTO=2 http_req POST /v1/push "$ALICE" "$T/good.json"
refused 400 protocol "protocol 2 in the header"
expect_match "upgrade" "$(jget "$BODY" '$.message')" "another version: the message says what to do"
PROTO='' http_req POST /v1/push "$ALICE" "$T/good.json"
refused 400 protocol "no protocol header"
PROTO=0 http_req GET "/v1/pull?after=0" "$ALICE"
refused 400 protocol "a pull with protocol 0"

# events that are well formed but do not fit
jedit "$T/good.json" "$T/field.json" "json_set(j, '\$.events[0].field', 'bogus')"
http_req POST /v1/push "$ALICE" "$T/field.json"
refused 422 unprocessable "a set of an unknown field"
jedit "$T/good.json" "$T/orphan.json" \
	"json_set(j, '\$.events[0].entity_uuid', '01234567-89ab-7def-8123-456789abcdef')"
http_req POST /v1/push "$ALICE" "$T/orphan.json"
refused 422 unprocessable "a set of a ticket nobody created"
jedit "$T/good.json" "$T/entity.json" "json_set(j, '\$.events[0].entity', 'user')"
http_req POST /v1/push "$ALICE" "$T/entity.json"
expect_match "^4(00|22)$" "$STATUS" "an unknown entity: 400 or 422"
expect_eq "$STATE" "$(srv_state)" "an unknown entity: nothing stored"
jedit "$T/good.json" "$T/prio.json" \
	"json_set(j, '\$.events[0].field', 'priority', '\$.events[0].value', 9)"
http_req POST /v1/push "$ALICE" "$T/prio.json"
refused 422 unprocessable "priority 9"
# the good body still goes through after all that
http_req POST /v1/push "$ALICE" "$T/good.json"
expect_http 200 "" "the untouched body"
expect_eq 1 "$(jget "$BODY" '$.accepted')" "the untouched body is accepted"
STATE=$(srv_state)

# --- cursors, arguments, routes ----------------------------------------------------

HEAD=$(srv_events srv)
http_req GET "/v1/pull?after=$((HEAD + 1))" "$ALICE"
refused 400 bad_cursor "a cursor past the head"
http_req GET "/v1/pull?after=999999999999" "$ALICE"
refused 400 bad_cursor "a cursor far past the head"
http_req GET "/v1/pull?after=-1" "$ALICE"
refused 400 bad_cursor "a negative cursor"
http_req GET "/v1/pull?after=abc" "$ALICE"
refused 400 bad_cursor "a cursor that is no number"
http_req GET "/v1/pull?after=99999999999999999999999" "$ALICE"
refused 400 bad_cursor "a cursor beyond 64 bits"
http_req GET "/v1/pull?after=0&limit=0" "$ALICE"
refused 400 bad_request "limit 0"
http_req GET "/v1/pull?after=0&limit=5001" "$ALICE"
refused 400 bad_request "limit over the batch maximum"
http_req GET "/v1/pull?after=0&colour=red" "$ALICE"
refused 400 bad_request "an unknown argument"
http_req GET "/v1/pull?after=$HEAD" "$ALICE"
expect_http 200 "" "the head itself is a fine cursor"
# the anchor: the event a client saw at a sequence
AT1=$(srv_sql srv "SELECT event_uuid FROM oplog WHERE id = 1")
http_req GET "/v1/pull?after=$HEAD&anchor=1:$AT1" "$ALICE"
expect_http 200 "" "an anchor the store holds"
http_req GET "/v1/pull?after=$HEAD&anchor=1:0190a000-0000-7000-8000-000000000001" "$ALICE"
refused 400 bad_cursor "an anchor naming another event"
expect_match "restored from a backup" "$(jget "$BODY" '$.message')" "the anchor's refusal says why"
http_req GET "/v1/pull?after=0&anchor=$((HEAD + 1)):$AT1" "$ALICE"
refused 400 bad_cursor "an anchor past the head"
for bad in "1" "x:$AT1" "0:$AT1" "1:not-a-uuid" ":$AT1"; do
	http_req GET "/v1/pull?after=0&anchor=$bad" "$ALICE"
	refused 400 bad_request "anchor '$bad'"
done
http_req GET /v1/push "$ALICE"
refused 405 method "GET of the push endpoint"
http_req POST /v1/pull "$ALICE" "$T/good.json"
refused 405 method "POST to the pull endpoint"
http_req GET /v1/nothing "$ALICE"
refused 404 not_found "an unknown endpoint"

# a client whose cursor is past the server's head (say, a restored server)
# starts over instead of failing
expect_rc 0 pc a sync --quiet
sqlite3 "$(cdb a)" "UPDATE meta SET value = '999999' WHERE key = 'sync_cursor'"
expect_rc 0 pc a sync --json
expect_eq "$(srv_events srv)" "$(jget "$OUT" '$.cursor')" "a cursor past the head: back to the head"
expect_eq "$(srv_events srv)" "$(cevents a)" "a cursor past the head: nothing lost or doubled"

expect_eq ok "$(srv_check srv)" "the store is sound"
srv_stop srv
done_testing
