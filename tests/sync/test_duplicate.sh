# Pushing is idempotent by event uuid: the same push body replayed (by
# hand, with curl) is answered with duplicates and stores nothing; a
# client whose events the server already has pushes nothing new; a replay
# with a changed value does not change the stored event; two clients
# racing with the same events store each once; pulls can be repeated.
. "$TESTS_DIR/sync/lib.sh"

make_pki
srv_up srv alice technician bob technician
SRV=srv
ALICE=$(srv_token srv alice)

client_new a srv alice A
R1=$(pc a new --title "Mail queue stuck" --category mail)
R2=$(pc a new --title "Badge reader broken")
expect_rc 0 pc a set "$R1" priority=P1 assignee=bob
expect_rc 0 pc a comment "$R2" "Called facilities"
N=$(cevents a)
CHECKS=$((CHECKS + 1))
[ "$N" -ge 5 ] || fail "expected at least 5 events on A, got $N"

# --- the same body twice ------------------------------------------------------------

push_body a "$T/push1.json"
expect_eq "$N" "$(jlen "$(cat "$T/push1.json")" '$.events')" "the push body has every event"
http_req POST /v1/push "$ALICE" "$T/push1.json"
expect_http 200 "" "first push"
expect_eq "1 $N 0 0" "$(jget "$BODY" '$.protocol') $(jget "$BODY" '$.accepted') $(jget "$BODY" '$.duplicates') $(jget "$BODY" '$.conflicts')" \
	"first push: protocol accepted duplicates conflicts"
expect_eq "0 $N" "$(jget "$BODY" '$.from') $(jget "$BODY" '$.seq')" "first push: from and seq"
expect_eq "$N" "$(srv_events srv)" "first push: stored"
STORED=$(srv_sql srv "SELECT event_uuid, value, hlc FROM oplog ORDER BY id")

http_req POST /v1/push "$ALICE" "$T/push1.json"
expect_http 200 "" "the same push again"
expect_eq "0 $N 0" "$(jget "$BODY" '$.accepted') $(jget "$BODY" '$.duplicates') $(jget "$BODY" '$.conflicts')" \
	"replay: nothing accepted, every event a duplicate"
expect_eq "$(jget "$BODY" '$.from')" "$(jget "$BODY" '$.seq')" "replay: from = seq, nothing stored between"
expect_eq "$N" "$(srv_events srv)" "replay: the server's event count is unchanged"
expect_eq "$STORED" "$(srv_sql srv "SELECT event_uuid, value, hlc FROM oplog ORDER BY id")" \
	"replay: the stored events are unchanged"
expect_eq 2 "$(srv_view_sql srv "SELECT count(*) FROM tickets")" "replay: two tickets, not four"
expect_eq 1 "$(srv_view_sql srv "SELECT count(*) FROM comments")" "replay: one comment, not two"

# a third time, with one new event in front of the old ones
expect_rc 0 pc a set "$R2" category=facilities
push_body a "$T/push2.json" 1 "id DESC"
http_req POST /v1/push "$ALICE" "$T/push2.json"
expect_http 200 "" "old events with a new one"
expect_eq "1 $N" "$(jget "$BODY" '$.accepted') $(jget "$BODY" '$.duplicates')" \
	"old events with a new one: one accepted, the rest duplicates"
expect_eq "$((N + 1))" "$(srv_events srv)" "old events with a new one: one more stored"
N=$((N + 1))

# the client itself: the server has all of its events already
expect_eq "$N" "$(csql a "SELECT count(*) FROM oplog WHERE pushed = 0")" "A has not synced yet"
expect_rc 0 pc a sync --json
expect_eq "0 0 0" "$(jget "$OUT" '$.pushed') $(jget "$OUT" '$.pulled') $(jget "$OUT" '$.pending')" \
	"A's sync: nothing new pushed or pulled, nothing pending"
CHECKS=$((CHECKS + 1))
[ "$(jget "$OUT" '$.duplicates')" -ge "$N" ] || fail "A's sync counts its events as duplicates: $OUT"
expect_eq "$N" "$(srv_events srv)" "A's sync stored nothing twice"
expect_eq "$N" "$(cevents a)" "A's own events did not come back twice"
expect_same_db "$(cdb a)" "$(srv_view srv)" "A and picketd's view"

# --- a replay with a changed value ---------------------------------------------------------

sed 's/Mail queue stuck/Mail queue HIJACKED/' "$T/push1.json" >"$T/tampered.json"
CHECKS=$((CHECKS + 1))
cmp -s "$T/push1.json" "$T/tampered.json" && fail "the tampered body is the same"
http_req POST /v1/push "$ALICE" "$T/tampered.json"
expect_eq 0 "$(jget "$BODY" '$.accepted')" "a replayed uuid with another value is not accepted (HTTP $STATUS)"
expect_eq 0 "$(srv_view_sql srv "SELECT count(*) FROM tickets WHERE title LIKE '%HIJACKED%'")" \
	"a replayed uuid does not change the ticket"
expect_eq 0 "$(srv_sql srv "SELECT count(*) FROM oplog WHERE value LIKE '%HIJACKED%'")" \
	"a replayed uuid does not change the stored event"
expect_eq "$N" "$(srv_events srv)" "nothing stored by the tampered replay"

# --- the same event twice in one body -------------------------------------------------------

expect_rc 0 pc a set "$R1" ci=mx-01
push_body a "$T/one.json" "pushed = 0"
sqlite3 :memory: "SELECT json_set(CAST(readfile('$T/one.json') AS TEXT), '\$.events[1]',
  json_extract(CAST(readfile('$T/one.json') AS TEXT), '\$.events[0]'))" >"$T/twice.json"
expect_eq 2 "$(jlen "$(cat "$T/twice.json")" '$.events')" "one event twice in the body"
http_req POST /v1/push "$ALICE" "$T/twice.json"
if [ "$STATUS" = 200 ]; then
	expect_eq "1 1" "$(jget "$BODY" '$.accepted') $(jget "$BODY" '$.duplicates')" \
		"an event twice in one body: once accepted, once a duplicate"
	N=$((N + 1))
else
	expect_match "^4" "$STATUS" "an event twice in one body: 200 or a clear refusal"
fi
expect_eq "$N" "$(srv_events srv)" "an event twice in one body is stored at most once"
expect_rc 0 pc a sync --quiet
N=$(srv_events srv)
expect_eq "$N" "$(cevents a)" "A and the server hold the same number of events"

# --- libcurl is opened by a sync only ---------------------------------------------------------

# the libcurl a command loads (LD_DEBUG lists each library as it opens)
curl_loaded() {
	LD_DEBUG=libs "$@" 2>&1 >/dev/null | grep -o 'libcurl[a-z-]*\.so\.[0-9]*' | head -n 1
}
if [ -z "${PICKET_VALGRIND:-}" ]; then
	expect_eq "" "$(curl_loaded pc a list)" "picket list does not load libcurl"
	expect_eq "" "$(curl_loaded pc a show "$R1")" "picket show does not load libcurl"
	expect_match '^libcurl' "$(curl_loaded pc a sync --quiet)" "picket sync opens libcurl"
fi
# a libcurl older than 7.85 (which has the https-only option) is refused,
# saying so: here a stand-in that reports 7.84.0
mkdir -p "$T/oldcurl"
cat >"$T/oldcurl/v.c" <<'EOF'
/* the first members of curl_version_info_data */
static struct { int age; const char *version; unsigned version_num; } info = { 10, "7.84.0", 0x075400 };
void *curl_version_info(int age) { (void)age; return &info; }
EOF
if ${CC:-cc} -shared -fPIC -o "$T/oldcurl/libcurl.so.4" "$T/oldcurl/v.c" 2>"$T/oldcurl/cc.err"; then
	LD_LIBRARY_PATH=$T/oldcurl expect_rc 1 pc a sync --quiet
	expect_match 'libcurl 7\.84\.0: picket sync needs libcurl 7\.85 or later' "$ERR" \
		"an older libcurl is refused"
else
	fail "cannot build the stand-in libcurl: $(cat "$T/oldcurl/cc.err")"
fi

# --- two clients racing with the same events ---------------------------------------------------

for i in 1 2 3 4 5 6 7 8; do pc a new --title "Race $i" >/dev/null; done
push_body a "$T/race.json" "pushed = 0"
NEW=$(jlen "$(cat "$T/race.json")" '$.events')
for k in 1 2 3 4; do
	curl -s --cacert "$PKI/ca.pem" -H 'Picket-Protocol: 1' -H "Authorization: Bearer $ALICE" \
		-H 'Content-Type: application/json' --data-binary "@$T/race.json" \
		-o "$T/race$k.out" "$(srv_url srv)/v1/push" &
	RACERS="${RACERS:-} $!"
	track $!
done
for pid in $RACERS; do wait "$pid"; done
ACC=0
for k in 1 2 3 4; do
	a=$(jget "$(cat "$T/race$k.out")" '$.accepted')
	d=$(jget "$(cat "$T/race$k.out")" '$.duplicates')
	expect_eq "$NEW" "$((a + d))" "racing push $k: every event accepted or a duplicate"
	ACC=$((ACC + a))
done
expect_eq "$NEW" "$ACC" "racing pushes: each event accepted exactly once"
expect_eq "$((N + NEW))" "$(srv_events srv)" "racing pushes: each event stored once"
N=$((N + NEW))

# --- pulls can be repeated ------------------------------------------------------------------

http_req GET "/v1/pull?after=0&limit=3" "$ALICE"
expect_http 200 "" "pull"
FIRST=$BODY
expect_eq "3 3 $N 1" "$(jlen "$BODY" '$.events') $(jget "$BODY" '$.next') $(jget "$BODY" '$.head') $(jget "$BODY" '$.more')" \
	"pull page: events next head more"
http_req GET "/v1/pull?after=0&limit=3" "$ALICE"
expect_eq "$FIRST" "$BODY" "the same pull twice gives the same page"
http_req GET "/v1/pull?after=$N" "$ALICE"
expect_eq "0 $N $N 0" "$(jlen "$BODY" '$.events') $(jget "$BODY" '$.next') $(jget "$BODY" '$.head') $(jget "$BODY" '$.more')" \
	"pull at the head: nothing, more false"

# exclude_origin leaves one node's events out and still moves the cursor on
http_req GET "/v1/pull?after=0&exclude_origin=A" "$ALICE"
expect_http 200 "" "pull without A's events"
expect_eq "0 $N" "$(jlen "$BODY" '$.events') $(jget "$BODY" '$.next')" \
	"pull without A's events: none left, the cursor at the head"

# a second client gets every event once
client_new b srv bob B
expect_rc 0 pc b sync --json
expect_eq "$N 0" "$(jget "$OUT" '$.pulled') $(jget "$OUT" '$.duplicates')" "B pulled every event once"
expect_rc 0 pc a sync --quiet
expect_same_db "$(cdb a)" "$(cdb b)" "A and B"
expect_same_db "$(cdb a)" "$(srv_view srv)" "A and picketd's view at the end"
expect_eq "$N" "$(srv_sql srv "SELECT count(DISTINCT event_uuid) FROM oplog")" "no event twice"

# --- a value laid out on several lines -----------------------------------------------------

# Another client may lay its JSON out on lines; every node keeps each
# event on one line, as a bundle holds one event a line.
R3=$(pc a new --title "Laid out on lines" --body "a, b")
U3=$(csql a "SELECT uuid FROM tickets WHERE ref = '$R3'")
push_body a "$T/lines.json" "pushed = 0"
sed 's/,"/,\n  "/g' "$T/lines.json" >"$T/lines2.json"
CHECKS=$((CHECKS + 1))
[ "$(wc -l <"$T/lines2.json")" -gt 5 ] || fail "the pushed body is laid out on lines"
http_req POST /v1/push "$ALICE" "$T/lines2.json"
expect_http 200 "" "a push laid out on lines"
expect_eq 1 "$(srv_sql srv "SELECT value FROM oplog WHERE entity_uuid = '$U3'" | wc -l)" \
	"picketd keeps the create on one line"
expect_rc 0 pc b sync --quiet
expect_eq 1 "$(csql b "SELECT value FROM oplog WHERE entity_uuid = '$U3'" | wc -l)" \
	"B keeps the create on one line"
expect_eq "a, b" "$(csql b "SELECT description FROM tickets WHERE uuid = '$U3'")" \
	"the value's own text is kept"
expect_rc 0 pc b bundle export "$T/b.pkb" --all
expect_rc 0 pc b key show
head -n 1 <<<"$OUT" >"$T/b.pub"
client_new c srv alice C
expect_rc 0 pc c key trust "$T/b.pub"
expect_rc 0 pc c bundle import "$T/b.pkb"
expect_eq "Laid out on lines" "$(csql c "SELECT title FROM tickets WHERE uuid = '$U3'")" \
	"a bundle of B's events carries the ticket to another site"

srv_stop srv
done_testing
