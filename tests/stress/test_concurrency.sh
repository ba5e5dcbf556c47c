# Eight processes on ONE database for STRESS_SECONDS (default 60): four
# loops of command-line edits, the full-screen interface in tmux adding
# comments, a loop of picket sync against a picketd over TLS, a loop of
# picket escalate --run (with a new P1 now and then) and a loop of reads.
# Afterwards: no "database is locked" reached anyone, every edit reported
# as done is in the database once, in order, with its history, the
# database and its hash chain are sound, and after a last sync the server
# holds the same events as the client.
. "$TESTS_DIR/stress/lib.sh"
. "$TESTS_DIR/tui/tmux.sh"
trap 'stop_tui; sync_cleanup' EXIT

SECS=${STRESS_SECONDS:-60}
NCLI=4
stress_setup "batch = 50" || {
	done_testing
	exit 1
}
# escalation rules with work to do: the old imported tickets breach, each
# new P1 matches; the interface runs them too, every 5 s
cat >>"$T/c/picket.conf" <<EOF
[escalate]
interval = 5
[escalate.late]
when = breach
clock = response
note = response target passed
[escalate.newp1]
when = match
query = priority:1 status:new
note = new P1 seen
EOF

# tickets 1-4 are the loops' own, 5-8 shared, 9 the interface's; then 40
# old ones for the escalation
for i in $(seq 1 9); do
	expect_rc 0 pc c new --title "stress ticket $i" --impact 3 --urgency 3
done
{
	echo "title,priority,created_at"
	for i in $(seq 1 40); do echo "old ticket $i,P$((i % 4 + 1)),2026-01-0$((i % 9 + 1))T08:00:00Z"; done
} >"$T/old.csv"
expect_rc 0 pc c import "$T/old.csv"
sync_ok c

START=$SECONDS
END=$((SECONDS + SECS))

# run NAME WHAT CMD...: runs picket CMD as client c; exit 0 appends WHAT to
# $T/NAME.ok, 6 (busy) appends it with the message to NAME.busy, anything
# else to NAME.fail; every stderr goes to NAME.err
run() {
	local name=$1 what=$2 rc
	shift 2
	pc c "$@" >/dev/null 2>"$T/$name.e1"
	rc=$?
	cat "$T/$name.e1" >>"$T/$name.err"
	case $rc in
	0) echo "$what" >>"$T/$name.ok" ;;
	6) echo "$what: $(tr '\n' ' ' <"$T/$name.e1")" >>"$T/$name.busy" ;;
	*) echo "$what: exit $rc: $(tr '\n' ' ' <"$T/$name.e1")" >>"$T/$name.fail" ;;
	esac
	return $rc
}

# loop p: comments on the shared tickets, two fields of ticket p, and the
# service of ticket 5, which every loop sets
cli_loop() {
	local p=$1 i=0 t
	while [ $SECONDS -lt $END ]; do
		i=$((i + 1))
		case $((i % 3)) in
		0)
			t="LUX1-$((5 + i % 4))"
			run "cli$p" "comment $t c-$p-$i" comment "$t" "c-$p-$i"
			;;
		1) run "cli$p" "own cat-$p-$i vr-$p-$i" set "LUX1-$p" "category=cat-$p-$i" "vendor_ref=vr-$p-$i" ;;
		2) run "cli$p" "svc svc-$p-$i" set LUX1-5 "service=svc-$p-$i" ;;
		esac
	done
}

sync_loop() {
	while [ $SECONDS -lt $END ]; do
		run sync sync sync --quiet
		sleep 0.1
	done
}

esc_loop() {
	local i=0
	while [ $SECONDS -lt $END ]; do
		i=$((i + 1))
		[ $((i % 3)) = 1 ] && run esc "new esc-new-$i" new --title "esc-new-$i" --priority P1
		run esc escalate escalate --run --quiet
	done
}

read_loop() {
	local i=0
	while [ $SECONDS -lt $END ]; do
		i=$((i + 1))
		case $((i % 5)) in
		0) run reader list list 'status:open sort:-updated' ;;
		1) run reader search search c-1 ;;
		2) run reader show show LUX1-5 --json ;;
		3) run reader history history LUX1-6 ;;
		4) run reader list-csv list 'priority:<=P2' --csv ;;
		esac
	done
}

PIDS=()
for p in $(seq 1 $NCLI); do
	cli_loop "$p" &
	PIDS+=($!)
done
sync_loop &
PIDS+=($!)
esc_loop &
PIDS+=($!)
read_loop &
PIDS+=($!)
for pid in "${PIDS[@]}"; do track "$pid"; done

# the interface: open ticket 9, comment through the command line, back to
# the queue, move around, switch views, refresh; a comment counts as made
# once it is in the database
# shellcheck disable=SC2119 # no extra environment
PICKET_DB=$(cdb c) PICKET_CONFIG="$T/c/picket.conf" start_tui
has_comment() { [ "$(csql c "SELECT count(*) FROM comments WHERE body = '$1'")" != 0 ]; }
k=0
: >"$T/tui.ok"
: >"$T/tui.screens"
while [ $SECONDS -lt $END ]; do
	k=$((k + 1))
	keys : "open LUX1-9" Enter
	wait_screen '^LUX1-9  stress ticket 9' "the interface opens LUX1-9 (round $k)" || break
	keys : "comment t-$k" Enter
	if wait_until 10 has_comment "t-$k"; then
		echo "t-$k" >>"$T/tui.ok"
	fi
	screen >>"$T/tui.screens"
	keys q
	wait_screen '^REF +P +SLA' "back on the queue (round $k)" || break
	keys j j k G g Tab Tab BackTab C-l
	sleep 0.2
	screen >>"$T/tui.screens"
done
alive
keys q
pane_dead || fail "the interface did not quit on q"
expect_eq 0 "${DEAD_STATUS:-?}" "the interface's exit status"

for pid in "${PIDS[@]}"; do wait "$pid"; done
ELAPSED=$((SECONDS - START))
[ "$ELAPSED" -gt 0 ] || ELAPSED=1

# --- figures ---------------------------------------------------------------------------
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
TOTAL_OK=0
TOTAL_BUSY=0
TOTAL_ALL=0
for name in cli1 cli2 cli3 cli4 sync esc reader; do
	ok=$(lines "$T/$name.ok")
	busy=$(lines "$T/$name.busy")
	bad=$(lines "$T/$name.fail")
	TOTAL_OK=$((TOTAL_OK + ok))
	TOTAL_BUSY=$((TOTAL_BUSY + busy))
	TOTAL_ALL=$((TOTAL_ALL + ok + busy + bad))
	echo "# $name: $ok ok, $busy busy (exit 6), $bad failed; $((ok / ELAPSED)).$(((ok * 10 / ELAPSED) % 10)) commands/s"
done
echo "# tui: $k rounds, $(lines "$T/tui.ok") comments made"
echo "# all: $TOTAL_OK commands ok in ${ELAPSED} s ($((TOTAL_OK / ELAPSED)) /s), $TOTAL_BUSY busy"

# --- nobody saw a lock error; busy exits rare and clear; nothing else failed ------------
CHECKS=$((CHECKS + 1))
LOCKED=$(cat "$T"/*.err "$T/tui.screens" "$T/srv/log" 2>/dev/null |
	grep -i -E 'database is locked|database table is locked|SQLITE_BUSY|SQLITE_LOCKED' | sort | uniq -c)
[ -z "$LOCKED" ] || fail "a lock error reached the user: $LOCKED"
for f in "$T"/*.fail; do
	[ -e "$f" ] || continue
	CHECKS=$((CHECKS + 1))
	fail "$(basename "$f" .fail): $(wc -l <"$f") commands failed: $(head -5 "$f")"
done
for f in "$T"/*.busy; do
	[ -e "$f" ] || continue
	CHECKS=$((CHECKS + 1))
	grep -v -i 'busy' "$f" >"$T/unclear" && fail "busy exits without a clear message: $(head -3 "$T/unclear")"
done
CHECKS=$((CHECKS + 1))
[ $((TOTAL_BUSY * 100)) -le "$TOTAL_ALL" ] ||
	fail "busy exits are not rare: $TOTAL_BUSY of $TOTAL_ALL commands"
for name in cli1 cli2 cli3 cli4 sync esc reader; do
	CHECKS=$((CHECKS + 1))
	[ "$(lines "$T/$name.ok")" -ge 3 ] || fail "$name made almost no progress: $(lines "$T/$name.ok") commands"
done

# --- every comment reported made is there once, on its ticket, with its history --------
WANT=$(cat "$T"/cli*.ok | awk '$1 == "comment" {print $2, $3}' | sort)
GOT=$(csql c "SELECT t.ref || ' ' || c.body FROM comments c JOIN tickets t ON t.id = c.ticket_id
	WHERE c.body GLOB 'c-*'" | sort)
CHECKS=$((CHECKS + 1))
if [ "$WANT" != "$GOT" ]; then
	fail "the comments reported made differ from those in the database (< reported, > database):
$(diff <(printf '%s\n' "$WANT") <(printf '%s\n' "$GOT") | grep '^[<>]' | head -10)"
fi
expect_eq "$(printf '%s\n' "$WANT" | grep -c .)" \
	"$(csql c "SELECT count(*) FROM history h JOIN comments c ON h.field = 'comment'
	  AND h.new_value = c.uuid WHERE c.body GLOB 'c-*'")" "one history row per comment made"

# --- the fields: each value set is in the history once, in each loop's order ------------
# hist REF FIELD: the values the history recorded for a field, oldest first
hist() {
	csql c "SELECT h.new_value FROM history h JOIN tickets t ON t.uuid = h.entity_uuid
	  WHERE t.ref = '$1' AND h.field = '$2' ORDER BY h.id"
}
for p in $(seq 1 $NCLI); do
	for f in category:2 vendor_ref:3; do
		field=${f%:*}
		col=${f#*:}
		want=$(awk -v c="$col" '$1 == "own" {print $c}' "$T/cli$p.ok")
		expect_eq "$want" "$(hist "LUX1-$p" "$field")" \
			"LUX1-$p $field: the history holds each value set, once, in order"
		expect_eq "$(printf '%s\n' "$want" | tail -1)" \
			"$(csql c "SELECT $field FROM tickets WHERE ref = 'LUX1-$p'")" \
			"LUX1-$p $field: the last value set is the ticket's"
	done
	expect_eq "$(awk '$1 == "svc" {print $2}' "$T/cli$p.ok")" \
		"$(hist LUX1-5 service | grep "^svc-$p-")" "LUX1-5 service: loop $p's values, once, in order"
done
SVC=$(hist LUX1-5 service)
expect_eq "$(cat "$T"/cli*.ok | awk '$1 == "svc" {print $2}' | sort)" "$(printf '%s\n' "$SVC" | sort)" \
	"LUX1-5 service: the history holds every value set and no other"
expect_eq "$(printf '%s\n' "$SVC" | tail -1)" "$(csql c "SELECT service FROM tickets WHERE ref = 'LUX1-5'")" \
	"LUX1-5 service: the ticket holds the value set last"

# --- the tickets the escalation loop created, the interface's comments ------------------
expect_eq "$(awk '$1 == "new" {print $2}' "$T/esc.ok" | sort)" \
	"$(csql c "SELECT title FROM tickets WHERE title GLOB 'esc-new-*'" | sort)" \
	"the tickets created by the escalation loop, once each"
CHECKS=$((CHECKS + 1))
[ -s "$T/tui.ok" ] || fail "the interface made no comment"
expect_eq "$(sort "$T/tui.ok")" \
	"$(csql c "SELECT c.body FROM comments c JOIN tickets t ON t.id = c.ticket_id
	  WHERE t.ref = 'LUX1-9' AND c.body GLOB 't-*'" | sort)" \
	"the interface's comments, once each, on LUX1-9"
expect_eq "$(csql c "SELECT count(*) FROM comments WHERE body GLOB 't-*'")" \
	"$(grep -c . "$T/tui.ok")" "no interface comment beyond those seen made"
# the escalation ran from two processes at once (the loop and the
# interface): each rule acted once on each ticket
expect_eq "40|40" "$(csql c "SELECT count(*), count(DISTINCT ticket_id) FROM comments
	WHERE body = 'Escalation rule late (breach:response): response target passed'")" \
	"one breach note on each of the 40 old tickets"
expect_eq "0" "$(csql c "SELECT count(*) FROM (SELECT ticket_id FROM comments
	WHERE body = 'Escalation rule newp1 (match): new P1 seen' GROUP BY ticket_id HAVING count(*) > 1)")" \
	"at most one match note a ticket"

# --- the database as a whole; then a last sync converges ---------------------------------
expect_db_sound "after the stress"
PICKET_DB=$(cdb c) expect_consistent "after the stress"
expect_pushed_on_server "after the stress"
sync_ok c
sync_ok c
expect_eq 0 "$(csql c "SELECT count(*) FROM oplog WHERE pushed = 0")" "nothing left to push"
expect_same_events "after the last sync"
expect_eq ok "$(srv_sql srv "PRAGMA integrity_check")" "the server's store"
srv_stop srv
done_testing
