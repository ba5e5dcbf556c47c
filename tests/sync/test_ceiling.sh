# Classification ceilings over sync: the server announces the level it is
# accredited for; a client holds back the changes of tickets above it (and
# says so), and sends them once a supervisor lowers the ticket; picketd
# refuses a push that would leave a record above its ceiling, and a
# technician's lowering; a workstation below the server's ceiling, or with
# a lower sync.ceiling, is handled as documented.
. "$TESTS_DIR/sync/lib.sh"

make_pki
srv_new srv server $'[classification]\nceiling = RESTRICTED'
srv_adduser srv alice supervisor
srv_adduser srv bob technician
srv_adduser srv carol technician
srv_start srv || {
	done_testing
	exit 1
}
SRV=srv
ALICE=$(srv_token srv alice)

# the health answer and every pull page name the ceiling
http_req GET /health ""
expect_eq RESTRICTED "$(jget "$BODY" '$.ceiling')" "health names the ceiling"
http_req GET "/v1/pull?after=0" "$ALICE"
expect_eq RESTRICTED "$(jget "$BODY" '$.ceiling')" "a pull page names the ceiling"

# --- held back, then released by a supervisor's lowering -----------------------------------

client_new a srv alice A
printf '[users]\nalice = supervisor\n' >>"$T/a/picket.conf"
R1=$(pc a new --title "Printer jam")
R2=$(pc a new --title "Compromised account" --class SECRET)
R3=$(pc a new --title "Badge audit" --class RESTRICTED)
expect_rc 0 pc a comment "$R2" "Password reset, sessions revoked"
U2=$(csql a "SELECT uuid FROM tickets WHERE ref = '$R2'")
HELD=$(csql a "SELECT count(*) FROM oplog o WHERE o.entity_uuid = '$U2' OR o.entity_uuid IN
  (SELECT c.uuid FROM comments c JOIN tickets t ON t.id = c.ticket_id WHERE t.uuid = '$U2')")

expect_rc 0 pc a sync --json
expect_eq "$HELD RESTRICTED" "$(jget "$OUT" '$.held') $(jget "$OUT" '$.ceiling')" \
	"the SECRET ticket's events are held back, with the ceiling"
expect_eq "$HELD" "$(jget "$OUT" '$.pending')" "held events stay pending"
expect_rc 0 pc a sync
expect_match "$HELD changes held back: their tickets are above the server's ceiling RESTRICTED" \
	"$ERR" "picket sync says how many were held back and why"
expect_eq 0 "$(srv_sql srv "SELECT count(*) FROM oplog WHERE entity_uuid = '$U2' OR value LIKE '%Password reset%'")" \
	"nothing of the SECRET ticket reached the server"
expect_eq "2 0" "$(srv_view_sql srv "SELECT count(*) FROM tickets") $(srv_view_sql srv "SELECT count(*) FROM comments")" \
	"the server holds the two tickets within its ceiling"
expect_eq "$HELD" "$(csql a "SELECT count(*) FROM oplog WHERE pushed = 0")" "held events unpushed"

# a technician may not lower it, a supervisor may
TOM_ENV=(env PICKET_USER=tom "$PICKET" --db "$(cdb a)" --config "$T/a/picket.conf")
expect_rc 17 "${TOM_ENV[@]}" set "$R2" classification=RESTRICTED
expect_match "is for supervisors" "$ERR" "a technician's lowering: the reason"
expect_eq SECRET "$(csql a "SELECT classification FROM tickets WHERE ref = '$R2'")" \
	"the refused lowering changed nothing"
expect_rc 0 pc a set "$R2" classification=RESTRICTED
expect_eq 1 "$(csql a "SELECT count(*) FROM comments c JOIN tickets t ON t.id = c.ticket_id
  WHERE t.ref = '$R2' AND c.kind = 'internal' AND c.body LIKE 'Classification lowered from SECRET to RESTRICTED by alice%'")" \
	"the lowering leaves a note on the timeline"
expect_eq 1 "$(csql a "SELECT count(*) FROM history h JOIN tickets t ON t.uuid = h.entity_uuid
  WHERE t.ref = '$R2' AND h.field = 'classification' AND h.old_value LIKE '%SECRET%'")" \
	"and a history entry"
expect_rc 0 pc a audit verify

expect_rc 0 pc a sync --json
expect_eq 0 "$(jget "$OUT" '$.held')" "nothing held after the lowering"
expect_eq RESTRICTED "$(srv_view_sql srv "SELECT classification FROM tickets WHERE uuid = '$U2'")" \
	"the lowered ticket reached the server"
expect_eq 1 "$(srv_view_sql srv "SELECT count(*) FROM comments WHERE body LIKE '%Password reset%'")" \
	"with the comment it had while SECRET"
expect_eq 0 "$(csql a "SELECT count(*) FROM oplog WHERE pushed = 0")" "nothing pending on A"

# --- a lowering split from its ticket's create by a full batch -----------------------------------

R4=$(pc a new --title "Leak investigation" --class SECRET)
for i in 1 2 3 4 5 6; do pc a new --title "Filler $i" >/dev/null; done
expect_rc 0 pc a set "$R4" classification=RESTRICTED
client_sync_set a batch 3
expect_rc 0 pc a sync --json
expect_eq "0 0" "$(jget "$OUT" '$.held') $(jget "$OUT" '$.pending')" \
	"batches of 3: the lowering travels with the old create"
expect_eq RESTRICTED "$(srv_view_sql srv "SELECT classification FROM tickets WHERE ref = '$R4'")" \
	"the ticket created SECRET arrived lowered"

# --- picketd refuses what a client should have held ------------------------------------------------

client_new b srv bob B
R5=$(pc b new --title "Crypto key loss" --class CONFIDENTIAL)
BOB=$(srv_token srv bob)
N=$(srv_events srv)
push_body b "$T/above.json"
http_req POST /v1/push "$BOB" "$T/above.json"
expect_http 403 above_ceiling "a push above the ceiling"
expect_match "above this server's ceiling RESTRICTED" "$(jget "$BODY" '$.message')" \
	"the refusal names the ceiling"
expect_eq "$N" "$(srv_events srv)" "a refused push stores nothing"
expect_eq 0 "$(srv_view_sql srv "SELECT count(*) FROM tickets WHERE ref = '$R5'")" "no such ticket on the server"

# --- picketd refuses a technician's lowering ----------------------------------------------

client_new c srv carol C
printf '[users]\ncarol = supervisor\n' >>"$T/c/picket.conf" # says this workstation
R6=$(pc c new --title "Visitor log" --class RESTRICTED)
sync_ok c
expect_rc 0 pc c set "$R6" classification=UNCLASSIFIED
expect_rc 15 pc c sync
expect_match "only supervisors lower a ticket's classification" "$ERR" "the server's reason"
expect_eq RESTRICTED "$(csql c "SELECT classification FROM tickets WHERE ref = '$R6'")" \
	"the refused lowering is undone on the client"
expect_eq RESTRICTED "$(srv_view_sql srv "SELECT classification FROM tickets WHERE ref = '$R6'")" \
	"and never happened on the server"

# --- a workstation accredited below the server -------------------------------------------------

client_new d srv bob D
printf '[classification]\nsystem_high = UNCLASSIFIED\n' >>"$T/d/picket.conf"
expect_rc 10 pc d sync
expect_match "accredited up to RESTRICTED, above this workstation's system-high UNCLASSIFIED" \
	"$ERR" "a server above the system-high is refused"
expect_eq 0 "$(csql d "SELECT count(*) FROM tickets")" "and nothing was pulled"

# --- sync.ceiling below the server's ---------------------------------------------------------

client_new e srv bob E "ceiling = UNCLASSIFIED"
expect_rc 0 pc e sync --quiet
R7=$(pc e new --title "Door sensor" --class RESTRICTED)
expect_rc 0 pc e sync --json
expect_eq "UNCLASSIFIED 1" "$(jget "$OUT" '$.ceiling') $(jget "$OUT" '$.held')" \
	"sync.ceiling holds back a RESTRICTED ticket the server would take"
expect_eq 0 "$(srv_view_sql srv "SELECT count(*) FROM tickets WHERE ref = '$R7'")" "it stayed home"
client_sync_set e ceiling SECRET
expect_rc 0 pc e sync --json
expect_eq "RESTRICTED 0" "$(jget "$OUT" '$.ceiling') $(jget "$OUT" '$.held')" \
	"a sync.ceiling above the server's: the server's counts"

srv_stop srv
done_testing
