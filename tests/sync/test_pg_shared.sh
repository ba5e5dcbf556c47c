# Two picketd on one PostgreSQL database, as behind a load balancer:
# they share one server id, clients pushing and pulling through either
# (and moving from one to the other) converge, and a push that commits
# late is never skipped by a pull made meanwhile (the push lock: see
# store_pg.c).  Registered for PICKET_STORE=postgresql only.
. "$TESTS_DIR/sync/lib.sh"

if [ "$PICKET_STORE" != postgresql ]; then
	fail "test_pg_shared runs with PICKET_STORE=postgresql"
	done_testing
	exit 1
fi
make_pki
srv_new one
srv_new two
srv_share_db two one
for u in alice bob carol; do srv_adduser one $u technician; done
# one users file for both, as the instances of one service share it
cp -p "$T/one/users" "$T/two/users"
rm -rf "$T/two/tokens"
ln -s "$T/one/tokens" "$T/two/tokens"
srv_start one && srv_start two || {
	done_testing
	exit 1
}
DB=$(srv_pgdb one)

health_id() { jget "$(curl -s --cacert "$PKI/ca.pem" "$(srv_url "$1")/health")" '$.server'; }
ID=$(health_id one)
expect_match '^[0-9a-f-]{36}$' "$ID" "the first instance has a server id"
expect_eq "$ID" "$(health_id two)" "both instances give the same server id"

client_new a one alice A "batch = 40"
client_new b two bob B "batch = 40"
client_new c one carol C

# --- both instances at once ---------------------------------------------------

for n in a b; do
	{
		echo "title,description,category"
		for ((i = 1; i <= 200; i++)); do echo "$n ticket $i,from $n,cat$((i % 5))"; done
	} >"$T/$n.csv"
	expect_rc 0 pc $n import "$T/$n.csv"
done
expect_rc 0 pc c new --title "C's ticket"
bg_pc a sync --quiet
PA=$BG_PID
bg_pc b sync --quiet
PB=$BG_PID
expect_rc 0 pc c sync --quiet
wait_bg $PA a
expect_eq 0 "$RC" "A's sync through one, beside B's through two ($ERR)"
wait_bg $PB b
expect_eq 0 "$RC" "B's sync through two, beside A's through one ($ERR)"
# and edits of the same tickets through both
for n in a b; do sync_ok $n; done
expect_rc 0 pc a set A-1 category=alpha
expect_rc 0 pc b set A-2 category=beta
client_sync_set c url "$(srv_url two)"
for n in a b c a b c; do sync_ok $n; done
expect_eq ok "$(srv_check one)" "sequences 1..head, no gap, every event on a record"
expect_eq "$(cevents a)" "$(srv_events one)" "every event once in the shared store"
expect_same_db "$(cdb a)" "$(cdb b)" "A (through one) and B (through two)"
expect_same_db "$(cdb a)" "$(cdb c)" "A and C (which moved from one to two)"
expect_same_db "$(cdb a)" "$(srv_view one)" "A and the store's view"

# --- a push that commits late -----------------------------------------------------

# A push takes the push lock, numbers its events and then reads the
# records: holding the records table makes it wait there, in the middle of
# its transaction, as a slow push would.  A second push (through the other
# instance) must wait for it rather than take and commit later sequences,
# and a pull meanwhile must not move any cursor past the first one.
HEAD=$(srv_events one)
mkfifo "$T/psql.in"
psql_db "$DB" <"$T/psql.in" >"$T/psql.out" 2>&1 &
PSQL=$!
track $PSQL
exec 7>"$T/psql.in"
echo "BEGIN; LOCK TABLE records IN ACCESS EXCLUSIVE MODE;" >&7
locks() {
	psql_db "$DB" -At -c "SELECT count(*) FROM pg_locks WHERE $1" 2>/dev/null
}
held() { [ "$(locks "relation = 'records'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ]; }
records_wait() { [ "$(locks "relation = 'records'::regclass AND NOT granted")" -ge 1 ]; }
push_wait() { [ "$(locks "locktype = 'advisory' AND NOT granted")" -ge 1 ]; }
wait_until 10 held || fail "the records table was not locked"

expect_rc 0 pc a set A-3 category=first
expect_rc 0 pc a comment A-3 "first push"
bg_pc a sync --json
PA=$BG_PID
wait_until 10 records_wait || fail "A's push did not reach the records"
expect_rc 0 pc b set A-4 category=second
bg_pc b sync --json
PB=$BG_PID
wait_until 10 push_wait || fail "B's push did not wait for the push lock"

# pulls through both instances meanwhile see the old head, nothing more
SRV=two
http_req GET "/v1/pull?after=$HEAD" "$(srv_token one carol)"
expect_http 200 "" "a pull while two pushes are in flight"
expect_eq "0 $HEAD $HEAD" "$(jlen "$BODY" '$.events') $(jget "$BODY" '$.next') $(jget "$BODY" '$.head')" \
	"the pull through two: no event, the cursor stays at the head"
expect_rc 0 pc c sync --json
expect_eq "0 $HEAD" "$(jget "$OUT" '$.pulled') $(jget "$OUT" '$.cursor')" \
	"C's sync meanwhile: nothing pulled, its cursor stays"
CHECKS=$((CHECKS + 1))
kill -0 $PA 2>/dev/null && kill -0 $PB 2>/dev/null || fail "a push ended while the first one waited"

echo "COMMIT;" >&7
exec 7>&-
wait $PSQL
wait_bg $PA a
expect_eq 0 "$RC" "A's late push completes ($ERR)"
wait_bg $PB b
expect_eq 0 "$RC" "B's push completes after it ($ERR)"
expect_eq 1 "$(srv_psql one "SELECT ((SELECT max(seq) FROM events WHERE origin = 'A')
  < (SELECT min(seq) FROM events WHERE origin = 'B' AND seq > $HEAD))::int")" \
	"B's events come after A's: pushes commit in sequence order"
expect_rc 0 pc c sync --json
expect_eq "3 $(srv_events one)" "$(jget "$OUT" '$.pulled') $(jget "$OUT" '$.cursor')" \
	"C pulls both pushes, none skipped"
for n in a b c; do sync_ok $n; done
expect_eq ok "$(srv_check one)" "no gap after the late push"
expect_same_db "$(cdb a)" "$(cdb c)" "A and C after the late push"
expect_same_db "$(cdb b)" "$(cdb c)" "B and C after the late push"

srv_stop one
srv_stop two
done_testing
