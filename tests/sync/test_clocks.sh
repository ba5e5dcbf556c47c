# A pull keeps the SLA clocks of the tickets it brings as the node that
# made them keeps them.  A pull computes a new ticket's clocks once, at
# its commit: the first response from its earliest public comment or a
# take, the status history read only for a ticket whose status moved.
# The tickets' events are dated in the past (PICKET_NOW) so that their
# clocks have run out, met or breached.
. "$TESTS_DIR/sync/lib.sh"

make_pki
srv_up srv alice technician bob technician
client_new a srv alice A
client_new b srv bob B

NOW=$(date +%s)
D0=$((NOW - 5 * 86400))
# on_a SECONDS COMMAND...: a command on A, SECONDS after D0
on_a() {
	local t=$1
	shift
	PICKET_NOW=@$((D0 + t)) pc a "$@"
}
# clocks NAME: each ticket's derived SLA columns, by uuid
clocks() {
	csql "$1" "SELECT uuid, responded_at, response_due, resolve_due, sla_due, sla_next,
	             sla_response, sla_resolve FROM tickets ORDER BY uuid"
}

# T1: two public answers, the later one first in the oplog's order of
# tickets; T2: only an internal note; T3: taken, then answered; T4: its
# status moves and it pauses; T5: resolved and closed; T6: untouched.
T1=$(on_a 0 new --title "Printer jam" --priority P2)
T2=$(on_a 60 new --title "Disk full" --priority P1)
T3=$(on_a 120 new --title "VPN drops" --priority P3)
T4=$(on_a 180 new --title "New laptop" --type request)
T5=$(on_a 240 new --title "Badge reader" --priority P2)
T6=$(on_a 300 new --title "Nothing yet" --priority P4)
expect_rc 0 on_a 4000 comment "$T1" --public "Looking at it"
expect_rc 0 on_a 2000 comment "$T1" --internal "Toner?"
expect_rc 0 on_a 9000 comment "$T1" --public "Fixed"
expect_rc 0 on_a 700 comment "$T2" --internal "Checking the volume"
expect_rc 0 on_a 1500 take "$T3"
expect_rc 0 on_a 5000 comment "$T3" --public "Reproduced"
expect_rc 0 on_a 900 set "$T4" status=in_progress
expect_rc 0 on_a 1800 set "$T4" status=pending_customer
expect_rc 0 on_a 90000 set "$T4" status=in_progress
expect_rc 0 on_a 3000 comment "$T5" --public "Replaced"
expect_rc 0 on_a 3100 set "$T5" status=resolved resolution=Replaced
expect_rc 0 on_a 200000 set "$T5" status=closed

CHECKS=$((CHECKS + 1))
[ "$(csql a "SELECT count(*) FROM tickets WHERE responded_at IS NOT NULL")" = 3 ] ||
	fail "A: three tickets have a first response: $(clocks a)"
CHECKS=$((CHECKS + 1))
[ "$(csql a "SELECT count(*) FROM tickets WHERE sla_response IS NOT NULL")" -ge 3 ] ||
	fail "A: the clocks have outcomes: $(clocks a)"

sync_ok a
sync_ok b
expect_eq "$(clocks a)" "$(clocks b)" "B's clocks after its first pull are A's"
expect_eq "$((D0 + 4000))" "$(csql b "SELECT responded_at FROM tickets WHERE ref = '$T1'")" \
	"the earliest public answer is the first response"
expect_eq "$((D0 + 1500))" "$(csql b "SELECT responded_at FROM tickets WHERE ref = '$T3'")" \
	"a take before the answer is the first response"

# a pull that brings both new tickets and events on tickets B holds
T7=$(on_a 400 new --title "Projector" --priority P2)
expect_rc 0 on_a 6000 comment "$T7" --public "On my way"
expect_rc 0 on_a 10000 comment "$T2" --public "Cleaned up"
expect_rc 0 on_a 10100 set "$T6" status=in_progress
sync_ok a
sync_ok b
expect_eq "$(clocks a)" "$(clocks b)" "B's clocks after a pull of old and new tickets are A's"
expect_eq "$((D0 + 10000))" "$(csql b "SELECT responded_at FROM tickets WHERE ref = '$T2'")" \
	"an answer on a ticket B held is its first response"

# what a recompute from the history finds is what the pull stored
cp "$(cdb b)" "$T/b2.db"
expect_rc 0 env PICKET_USER=bob "$PICKET" --db "$T/b2.db" --config "$T/b/picket.conf" sla --recompute
expect_eq "$(clocks b)" "$(sqlite3 -batch -noheader "$T/b2.db" "SELECT uuid, responded_at,
	response_due, resolve_due, sla_due, sla_next, sla_response, sla_resolve FROM tickets
	ORDER BY uuid")" "B's clocks are those a recompute finds"

srv_stop srv
done_testing
