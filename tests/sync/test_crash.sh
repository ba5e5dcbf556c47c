# picketd killed with SIGKILL in the middle of a large push and in the
# middle of a large pull (the connection drops), then restarted on the same
# port: the interrupted sync fails (or, with retries left, retries and
# completes), a rerun completes, and nothing is lost or stored twice.  The
# same when picket itself is killed, when picketd stops on SIGTERM, when
# its store is lost and when it is restored from an older backup.
. "$TESTS_DIR/sync/lib.sh"

N=1500 # tickets of the big history
make_pki
srv_new srv
for u in alice bob carol dave erin; do srv_adduser srv $u technician; done
srv_start srv || {
	done_testing
	exit 1
}

# small batches make many requests, so the kill lands in the middle
client_new a srv alice A "batch = 10
retries = 1"
{
	echo "title,description,category,impact,urgency"
	for ((i = 1; i <= N; i++)); do
		echo "Imported ticket $i,\"Line one of $i
line two, with a comma\",cat$((i % 7)),$((i % 4 + 1)),$((i % 3 + 1))"
	done
} >"$T/big.csv"
expect_rc 0 pc a import "$T/big.csv"
# and a few changes and comments on top (a priority already P1 makes no event)
for i in 1 2 3 4 5; do
	expect_rc 0 pc a set "A-$i" priority=P1 category=urgent
	expect_rc 0 pc a comment "A-$i" "worked on A-$i"
done
TOTAL=$(cevents a)
CHECKS=$((CHECKS + 1))
[ "$TOTAL" -ge $((N + 10)) ] || fail "expected at least $((N + 10)) events on A, got $TOTAL"

srv_at_least() { [ "$(srv_events srv)" -ge "$1" ] || ! kill -0 "$BG_PID" 2>/dev/null; }
client_at_least() { [ "$(cevents "$1")" -ge "$2" ] || ! kill -0 "$BG_PID" 2>/dev/null; }

echo "# $(date +%T) setup done"
# --- 1. SIGKILL in the middle of a push; the client gives up -----------------------

bg_pc a sync --json
wait_until 60 srv_at_least 200 || fail "the push did not start within 60 s"
srv_kill srv KILL
wait_bg "$BG_PID" a
expect_eq 14 "$RC" "sync cut by a killed server: exit code (stderr: $ERR)"
expect_match "$(srv_url srv)" "$ERR" "the interrupted sync names the server"
expect_eq 0 "$(jget "$OUT" '$.ok')" "--json: ok is false"
expect_eq 14 "$(jget "$OUT" '$.exit')" "--json: exit"
expect_match "$(srv_url srv)" "$(jget "$OUT" '$.error')" "--json: error"
PUSHED=$(jget "$OUT" '$.pushed')
ON_SERVER=$(srv_events srv)
echo "# killed after $ON_SERVER of $TOTAL events reached the server ($PUSHED acknowledged)"
CHECKS=$((CHECKS + 1))
[ "$ON_SERVER" -gt 0 ] && [ "$ON_SERVER" -lt "$TOTAL" ] ||
	fail "the kill was not in the middle of the push: $ON_SERVER of $TOTAL on the server"
expect_eq "$((TOTAL - $(csql a "SELECT count(*) FROM oplog WHERE pushed = 1")))" \
	"$(jget "$OUT" '$.pending')" "--json: pending is what is not marked pushed"
# every event the server acknowledged survived the kill
expect_eq 0 "$(csql a "ATTACH '$(srv_uuid_db srv)' AS s;
  SELECT count(*) FROM oplog WHERE pushed = 1
     AND event_uuid NOT IN (SELECT event_uuid FROM s.oplog)")" \
	"events acknowledged before the kill are in the store after it"
expect_eq "$PUSHED" "$(csql a "SELECT count(*) FROM oplog WHERE pushed = 1")" \
	"the client marked exactly the acknowledged events as pushed"
expect_eq ok "$(srv_check srv)" "the store survived SIGKILL"
expect_eq "$ON_SERVER" "$(srv_sql srv "SELECT count(DISTINCT event_uuid) FROM oplog")" \
	"no event twice in the store"

srv_restart srv || {
	done_testing
	exit 1
}
expect_rc 0 pc a sync --json
expect_eq "0 $TOTAL" "$(jget "$OUT" '$.pending') $(srv_events srv)" \
	"the rerun pushed the rest: nothing pending, every event on the server"
expect_eq "$TOTAL" "$(srv_sql srv "SELECT count(DISTINCT event_uuid) FROM oplog")" \
	"no event twice on the server"
expect_eq "$N" "$(srv_view_sql srv "SELECT count(*) FROM tickets")" "the server's view has every ticket"
expect_eq 0 "$(csql a "ATTACH '$(srv_uuid_db srv)' AS s;
  SELECT count(*) FROM oplog WHERE event_uuid NOT IN (SELECT event_uuid FROM s.oplog)")" \
	"every event of A is on the server"
expect_same_db "$(cdb a)" "$(srv_view srv)" "A and picketd's view after the resumed push"

# a second client gets everything
client_new b srv bob B "batch = 500"
expect_rc 0 pc b sync --json
expect_eq "$TOTAL 0" "$(jget "$OUT" '$.pulled') $(jget "$OUT" '$.pushed')" "B pulled every event"
expect_same_db "$(cdb a)" "$(cdb b)" "A and B after the resumed push"

echo "# $(date +%T) 1 done"
# --- 2. SIGKILL in the middle of a pull: the connection drops ----------------------

# (each page committed on its own, to see where the kill lands; small
# pages, so that it lands in the middle however fast the pull)
client_new c srv carol C "batch = 5
commit_events = 1
retries = 1"
bg_pc c sync
wait_until 60 client_at_least c 400 || fail "the pull did not start within 60 s"
srv_kill srv KILL
wait_bg "$BG_PID" c
expect_eq 14 "$RC" "pull cut by a killed server: exit code (stderr: $ERR)"
expect_match "stopped after pushing 0 and pulling [1-9][0-9]* events; run picket sync again" \
	"$ERR" "the interrupted sync says how far it got and how to resume"
expect_eq "" "$OUT" "nothing on standard output when the sync failed"
GOT=$(cevents c)
echo "# killed after C pulled $GOT of $TOTAL events"
CHECKS=$((CHECKS + 1))
[ "$GOT" -gt 0 ] && [ "$GOT" -lt "$TOTAL" ] || fail "the kill was not in the middle of the pull: $GOT of $TOTAL"
# what C kept is consistent: whole pages, the cursor after the last one
expect_eq "$GOT" "$(csql c "SELECT value FROM meta WHERE key = 'sync_cursor'")" \
	"C's cursor is the number of events it merged"
expect_eq 0 "$(csql c "SELECT count(*) FROM comments c WHERE NOT EXISTS
  (SELECT 1 FROM tickets t WHERE t.id = c.ticket_id)")" "no comment without its ticket on C"
expect_eq ok "$(csql c "PRAGMA integrity_check")" "C's database is sound"
expect_rc 0 pc c audit verify
srv_restart srv || {
	done_testing
	exit 1
}
expect_rc 0 pc c sync --json
expect_eq "$((TOTAL - GOT))" "$(jget "$OUT" '$.pulled')" "the rerun pulled the rest, once"
expect_eq 0 "$(jget "$OUT" '$.duplicates')" "the rerun pulled nothing twice"
expect_same_db "$(cdb a)" "$(cdb c)" "A and C after the resumed pull"

echo "# $(date +%T) 2 done"
# --- 3. the same with retries left: the sync itself rides out the restart ------------

# small pages, so the kill lands in the middle however fast the machine
client_new d srv dave D "batch = 5
commit_events = 1
retries = 5"
bg_pc d sync --json
wait_until 60 client_at_least d 100 || fail "D's pull did not start within 60 s"
srv_kill srv KILL
AT_KILL=$(cevents d)
srv_restart srv
wait_bg "$BG_PID" d
CHECKS=$((CHECKS + 1))
[ "$AT_KILL" -lt "$TOTAL" ] || fail "D's pull was not cut: $AT_KILL of $TOTAL"
expect_eq 0 "$RC" "a pull retried across a restart completes (stderr: $ERR)"
expect_eq "$TOTAL" "$(jget "$OUT" '$.pulled')" "D pulled every event once"
expect_same_db "$(cdb a)" "$(cdb d)" "A and D after a retried pull"

# a push retried across a restart
client_new e srv erin E "batch = 5
retries = 5"
expect_rc 0 pc e sync --quiet
# the first half of the tickets again (two lines a ticket), as Erin's own
sed "s/Imported ticket/Erin's ticket/" "$T/big.csv" | head -n $((N + 1)) >"$T/erin.csv"
expect_rc 0 pc e import "$T/erin.csv"
BEFORE=$(srv_events srv)
E_NEW=$(csql e "SELECT count(*) FROM oplog WHERE pushed = 0")
bg_pc e sync --json
wait_until 60 srv_at_least $((BEFORE + 50)) || fail "E's push did not start within 60 s"
srv_kill srv KILL
AT_KILL=$(srv_events srv)
srv_restart srv
wait_bg "$BG_PID" e
CHECKS=$((CHECKS + 1))
[ "$AT_KILL" -lt $((BEFORE + E_NEW)) ] || fail "E's push was not cut: $AT_KILL of $((BEFORE + E_NEW))"
expect_eq 0 "$RC" "a push retried across a restart completes (stderr: $ERR)"
expect_eq 0 "$(jget "$OUT" '$.pending')" "E has nothing left to push"
expect_eq "$((BEFORE + E_NEW))" "$(srv_events srv)" "every event of E on the server, once"
expect_eq "$((BEFORE + E_NEW))" "$(srv_sql srv "SELECT count(DISTINCT event_uuid) FROM oplog")" \
	"no event twice on the server"
for n in a b c d e; do sync_ok $n; done
for n in b c d e; do expect_same_db "$(cdb a)" "$(cdb $n)" "A and $n at the end"; done
expect_same_db "$(cdb a)" "$(srv_view srv)" "A and picketd's view at the end"
expect_eq "$((N + N / 2))" "$(csql c "SELECT count(*) FROM tickets")" "every ticket everywhere"

echo "# $(date +%T) 3 done"
# --- 3b. picket itself killed (SIGKILL) in the middle of a pull and of a push --------

client_new k srv carol K "batch = 5
commit_events = 1"
bg_pc k sync
wait_until 60 client_at_least k 100 || fail "K's pull did not start within 60 s"
kill -KILL "$BG_PID"
wait "$BG_PID" 2>/dev/null
GOT=$(cevents k)
CHECKS=$((CHECKS + 1))
[ "$GOT" -lt "$(srv_events srv)" ] || fail "picket was not killed in the middle of its pull"
expect_eq "$GOT" "$(csql k "SELECT value FROM meta WHERE key = 'sync_cursor'")" \
	"a killed pull: the cursor matches the events kept"
expect_eq ok "$(csql k "PRAGMA integrity_check")" "a killed pull: the database is sound"
expect_rc 0 pc k sync --json
expect_eq 0 "$(jget "$OUT" '$.duplicates')" "a killed pull resumed: nothing pulled twice"
expect_same_db "$(cdb a)" "$(cdb k)" "A and K after a killed pull"

client_new h srv dave H "batch = 5
retries = 5"
expect_rc 0 pc h sync --quiet
sed "s/Imported ticket/H's ticket/" "$T/big.csv" | head -n $((N + 1)) >"$T/h.csv"
expect_rc 0 pc h import "$T/h.csv"
BEFORE=$(srv_events srv)
H_NEW=$(csql h "SELECT count(*) FROM oplog WHERE pushed = 0")
bg_pc h sync
wait_until 60 srv_at_least $((BEFORE + 50)) || fail "H's push did not start within 60 s"
kill -KILL "$BG_PID"
wait "$BG_PID" 2>/dev/null
CHECKS=$((CHECKS + 1))
[ "$(srv_events srv)" -lt $((BEFORE + H_NEW)) ] || fail "picket was not killed in the middle of its push"
expect_eq 0 "$(csql h "ATTACH '$(srv_uuid_db srv)' AS s;
  SELECT count(*) FROM oplog WHERE pushed = 1
     AND event_uuid NOT IN (SELECT event_uuid FROM s.oplog)")" \
	"a killed push: what the client marked pushed is on the server"
expect_rc 0 pc h sync --json
expect_eq 0 "$(jget "$OUT" '$.pending')" "a killed push resumed: nothing left"
expect_eq "$((BEFORE + H_NEW))" "$(srv_events srv)" "a killed push resumed: every event once"
for n in a h k; do sync_ok $n; done
expect_same_db "$(cdb a)" "$(cdb h)" "A and H after a killed push"

echo "# $(date +%T) 3b done"
# --- 4. SIGTERM in the middle of a push: the request in flight is finished ----------

client_new g srv alice G "retries = 0"
expect_rc 0 pc g sync --quiet
# small batches of every ticket again, so the signal lands mid-push
client_sync_set g batch 5
sed "s/Imported ticket/G's ticket/" "$T/big.csv" >"$T/g.csv"
expect_rc 0 pc g import "$T/g.csv"
BEFORE=$(srv_events srv)
bg_pc g sync --json
wait_until 60 srv_at_least $((BEFORE + 100)) || fail "G's push did not start within 60 s"
srv_kill srv TERM
expect_eq 0 "$SRV_RC" "picketd exits 0 on SIGTERM"
expect_match "stopped" "$(tail -2 "$T/srv/log")" "picketd logs its stop"
wait_bg "$BG_PID" g
# picketd logs each request when it ends: after the signal's line, only
# those that were in flight may follow, not new ones on kept-alive
# connections (then the client, retries = 0, stops too)
INFLIGHT=$(sed -n 's/.*signal 15: no new connections; finishing \([0-9]*\) requests.*/\1/p' "$T/srv/log" | tail -1)
AFTER=$(awk '/signal 15: no new connections/ {n = 0; on = 1; next} on && / POST \/v1\/push 200 / {n++} END {print n + 0}' "$T/srv/log")
CHECKS=$((CHECKS + 1))
[ -n "$INFLIGHT" ] && [ "$AFTER" -le "$INFLIGHT" ] ||
	fail "after SIGTERM picketd answered $AFTER pushes; ${INFLIGHT:-?} were in flight"
expect_eq 14 "$RC" "a push cut by a stopping server (stderr: $ERR)"
# every batch the server stored was answered, so the client knows it
expect_eq "$(($(srv_events srv) - BEFORE))" "$(csql g "SELECT count(*) FROM oplog WHERE origin = 'G' AND pushed = 1")" \
	"after SIGTERM the server holds exactly the events it acknowledged"
srv_restart srv
client_sync_set g batch 1000 # small batches would meet the rate limit
expect_rc 0 pc g sync --quiet
expect_eq 0 "$(csql g "SELECT count(*) FROM oplog WHERE pushed = 0")" "G pushed the rest"

echo "# $(date +%T) 4 done"
# --- 5. the store lost (restored empty): clients offer their events again -----------

# big batches from here on (small ones meet picketd's rate limit)
for n in a b c d e g h k; do
	client_sync_set $n batch 1000
	client_sync_set $n retries 5
done
for n in a b c d e g h k; do sync_ok $n; done
ALL=$(srv_events srv)
srv_stop srv
srv_wipe srv
srv_restart srv
expect_eq 0 "$(srv_events srv)" "the new store is empty"
# a reader first: its cursor is past the new server's head
for n in c a e g h b d k; do sync_ok $n; done
for n in c a e g h b d k; do sync_ok $n; done
expect_eq "$ALL" "$(srv_events srv)" "the clients gave the new store every event back"
for n in b c d e g h k; do expect_same_db "$(cdb a)" "$(cdb $n)" "A and $n after the store was replaced"; done
expect_same_db "$(cdb a)" "$(srv_view srv)" "A and the new picketd's view"
expect_eq 0 "$(csql c "SELECT count(*) - count(DISTINCT event_uuid) FROM oplog")" "no event twice on C"

# --- 6. the store restored from an older backup --------------------------------------

# A's newest changes were acknowledged after the backup, so the restored
# store lacks them and B's next changes take their sequence numbers.  The
# restore keeps the server id, so nothing but A's anchor (the event it knows
# the server holds at its highest sequence) tells: A must see it, offer its
# own events again and pull everything, neither missing B's changes nor
# keeping its own from everyone else
srv_backup srv "$T/backup.db"
for i in 1 2 3; do expect_rc 0 pc a new --title "After the backup $i"; done
sync_ok a
srv_stop srv
srv_restore srv "$T/backup.db"
if [ "$PICKET_STORE" = sqlite ]; then
	# (the sqlite3 shell made the backup with the umask's mode: picketd
	# refuses a store others may read)
	timeout 10 "$PICKETD" --config "$T/srv/picketd.conf" >/dev/null 2>"$T/mode.err"
	rc=$?
	CHECKS=$((CHECKS + 1))
	[ $rc != 0 ] && [ $rc != 124 ] || fail "picketd started on a store others may read (exit $rc)"
	expect_match "may be read by group or others.*chmod 600" "$(cat "$T/mode.err")" \
		"picketd says why it will not open the restored store"
	chmod 600 "$T/srv/store.db"
fi
srv_restart srv
for i in 1 2 3 4; do expect_rc 0 pc b new --title "After the restore $i"; done
for n in b a b a; do sync_ok $n; done
expect_eq 4 "$(csql a "SELECT count(*) FROM tickets WHERE title LIKE 'After the restore %'")" \
	"A got B's changes made after the restore"
expect_eq 3 "$(csql b "SELECT count(*) FROM tickets WHERE title LIKE 'After the backup %'")" \
	"B got A's changes the restore lost (A offers them again)"
expect_same_db "$(cdb a)" "$(cdb b)" "A and B after the store was restored from a backup"
srv_stop srv
done_testing
