# The desk around the queue: the SLA column (time left, warn and breach
# colours, paused), the "Breaching next" tab and the status bar's breaching
# count; the ticket screen's Response / Resolution lines; who is on call in
# the status bar; the shift handover screen (note, acknowledgement, help);
# the background escalation run; a vendor escalation to an unknown vendor
# and vendor name completion.
#
# The clock is fixed (PICKET_NOW): to let time pass, the interface is
# started again with a later PICKET_NOW; the stored due times are read from
# the ticket rows, as the queue does.
. "$TESTS_DIR/tui/lib.sh"
# picket under a name of its own, as the other TUI scripts run it
ln -s "$PICKET" "$T/picket-tui" && PICKET="$T/picket-tui"

T0=1772355600 # 2026-03-01T09:00:00Z, a Sunday
at() { local when=$1; shift; PICKET_NOW=$when "$@"; }

# cell_attr REGEX COL: "fg=F bg=B bold=0|1 reverse=0|1" of the character at
# screen column COL (from 0) of the first screen line matching REGEX.  tmux's
# capture-pane -e writes only the changes of the SGR state and carries it
# from one line to the next, so the codes are replayed from the top.
# Colours: 0 black 1 red 2 green 3 yellow 4 blue 5 magenta 6 cyan 7 white.
cell_attr() {
	screen_raw | LC_ALL=C awk -v re="$1" -v col="$2" '
	function reset() { fg = "default"; bg = "default"; bold = 0; rev = 0 }
	function sgr(p,   n, a, i, c) {
		if (p == "") p = "0"
		n = split(p, a, ";")
		for (i = 1; i <= n; i++) {
			c = a[i] + 0
			if (c == 0) reset()
			else if (c == 1) bold = 1
			else if (c == 22) bold = 0
			else if (c == 7) rev = 1
			else if (c == 27) rev = 0
			else if (c >= 30 && c <= 37) fg = c - 30
			else if (c == 39) fg = "default"
			else if (c >= 40 && c <= 47) bg = c - 40
			else if (c == 49) bg = "default"
			else if (c >= 90 && c <= 97) fg = c - 90 + 8
			else if (c >= 100 && c <= 107) bg = c - 100 + 8
			else if ((c == 38 || c == 48) && a[i + 1] == 5) {
				if (c == 38) fg = a[i + 2]; else bg = a[i + 2]
				i += 2
			}
		}
	}
	BEGIN { reset(); esc = sprintf("%c", 27) }
	{
		line = $0; plain = line
		gsub(esc "\\[[0-9;]*[A-Za-z]", "", plain)
		want = !done && plain ~ re
		x = 0
		while (length(line) > 0) {
			if (substr(line, 1, 2) == esc "[" && match(line, "^" esc "\\[[0-9;]*[A-Za-z]")) {
				if (substr(line, RLENGTH, 1) == "m")
					sgr(substr(line, 3, RLENGTH - 3))
				line = substr(line, RLENGTH + 1)
				continue
			}
			ch = substr(line, 1, 1)
			line = substr(line, 2)
			if (ch >= "\200" && ch < "\300")
				continue # a UTF-8 continuation byte: same column
			if (want && x == col) {
				printf "fg=%s bg=%s bold=%d reverse=%d\n", fg, bg, bold, rev
				done = 1
				want = 0
			}
			x++
		}
	}'
}
# the default theme's roles, as tmux reports them
NORMAL="fg=default bg=default bold=0 reverse=0"
WARN="fg=3 bg=default bold=0 reverse=0"   # warn = yellow, default
BREACH="fg=7 bg=1 bold=1 reverse=0"       # breach = white, red, bold
TAB_ACTIVE="fg=0 bg=3 bold=1 reverse=0"   # tab-active = black, yellow, bold
SELECTED="fg=0 bg=6 bold=0 reverse=0"     # selected = black, cyan
# the queue's SLA column starts at column 14 (REF 11, P 3); the ticket
# screen's values of Response / Resolution at column 15 (after "Resolution ")
SLA_COL=14
VALUE_COL=15

# sla_cell REF: the text of the SLA column on REF's queue row
sla_cell() { screen | awk -v r="$1" '$1 == r { print $3; exit }'; }
# breaching: the status bar's count
breaching() { screen | grep -oE 'breaching [0-9]+' | head -1 | cut -d' ' -f2; }
# col_of TEXT: the column (from 0) of TEXT on the first screen line with it
col_of() { screen | awk -v s="$1" 'i = index($0, s) { print i - 1; exit }'; }
# queue_refs: the refs of the queue's rows, top to bottom
queue_refs() { screen | grep -oE '^LUX1-[0-9]+' | tr '\n' ' '; }

# wait_val WANT WHAT CMD...: until CMD prints WANT (5 s at most); the screen
# may not be redrawn yet when a check starts
wait_val() {
	local want=$1 what=$2 got i
	shift 2
	CHECKS=$((CHECKS + 1))
	for i in $(seq 1 50); do
		got=$("$@")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	fail "$what: expected '$want', got '$got'; the screen:
$(screen)"
	return 1
}
# select_row REF: the queue's cursor on REF's row (a selected row shows in
# the selection colour, not its SLA colour)
select_row() {
	local n
	n=$(queue_refs | tr ' ' '\n' | grep -nx "$1" | cut -d: -f1)
	keys g
	[ -n "$n" ] && [ "$n" -gt 1 ] && keys -N $((n - 1)) j
	wait_val "$SELECTED" "the cursor on $1" cell_attr "^$1 " 0
}

# open_ticket REF TITLE: from the queue
open_ticket() {
	select_row "$1"
	keys Enter
	wait_screen "^$1  $2" "$1 opened"
}
# back_to_queue: q from a ticket
back_to_queue() {
	keys q
	wait_screen 'Unassigned +Open P1/P2' "back to the queue"
}

# stop_wait: stop_tui; the next start gets a tmux server of its own (on a
# new socket), since a killed server takes a moment to go
NSERVER=0
stop_wait() {
	stop_tui
	NSERVER=$((NSERVER + 1))
	SOCK="$T/tmux.$NSERVER.sock"
}
# quit_all: q until picket exits; checks the exit status
quit_all() {
	local i
	for i in 1 2 3 4; do
		[ "$(tm display-message -p -t pk '#{pane_dead}' 2>/dev/null)" = 0 ] || break
		tm send-keys -t pk q
		sleep 0.2
	done
	CHECKS=$((CHECKS + 1))
	pane_dead || fail "${1:-q} did not quit"
	expect_eq "0" "${DEAD_STATUS:-}" "${1:-q}: exit status"
}

# ---- the desk: a network group with a weekly rota ---------------------------------
# The rota's first shift starts Monday 2026-02-23T08:00 UTC and lasts a week,
# so shift k runs from 2026-02-23T08:00Z + k weeks: shift 0 (alice) until
# 2026-03-02T08:00Z, shift 1 (bob) from then.  2026-03-01T09:00Z, a Sunday,
# is still in shift 0 (6 days 1 hour after the start): alice is on call;
# bob takes over on Monday 2026-03-02 at 08:00.
cat >>"$PICKET_CONFIG" <<'EOF'
[users]
alice = technician, network
[rota.network]
people = alice, bob
start = 2026-02-23T08:00
length = 1w
timezone = UTC
[vendors]
globex = support@globex.example
EOF
pk init >/dev/null
pk vendor add Cisco --contact tac@cisco.example >/dev/null
# all at 09:00; the default targets: P1 respond 15m, resolve 4h; P2 respond
# 30m, resolve 8h; both on the 24x7 calendar; warn at 75% and 90%
pk new --title "Core switch down" --impact 1 --urgency 1 --group network >/dev/null # due 09:15
pk new --title "Waiting on customer" --impact 2 --urgency 2 >/dev/null                # paused
pk move LUX1-2 pending_customer >/dev/null
pk new --title "VPN slow" --impact 2 --urgency 2 >/dev/null # responded: due 17:00
pk take LUX1-3 >/dev/null
pk new --title "Mail delayed" --impact 2 --urgency 2 >/dev/null # due 09:30
expect_eq "LUX1-1|1772356500|new
LUX1-2||pending_customer
LUX1-3|1772384400|assigned
LUX1-4|1772357400|new" "$(sql "SELECT ref || '|' || ifnull(sla_due, '') || '|' || status FROM tickets ORDER BY id")" \
	"the stored due times: 09:15, none (paused), 17:00, 09:30"

# =================================== 09:00 ===================================
start_tui || { done_testing; exit 1; }
# ---- the status bar: counts and who is on call --------------------------------
wait_screen 'alice \(technician\)@LUX1  picket\.db  open 4  breaching 0  on call: alice \(network\)  sync: off' \
	"status bar at 09:00: nothing breaching; alice on call for her group (shift 0 of the rota)"

# ---- the SLA column -------------------------------------------------------------
keys Tab Tab Tab Tab
wait_val "LUX1-1 LUX1-2 LUX1-3 LUX1-4 " "All open, most urgent first" queue_refs
expect_eq "15m" "$(sla_cell LUX1-1)" "P1 created at 09:00: 15m to its response target"
expect_eq "30m" "$(sla_cell LUX1-4)" "P2 created at 09:00: 30m to its response target"
expect_eq "8h" "$(sla_cell LUX1-3)" "P2 responded: 8h to its resolution target"
expect_eq "||" "$(sla_cell LUX1-2)" "pending_customer: the clocks pause, the cell shows ||"
select_row LUX1-4
expect_eq "$NORMAL" "$(cell_attr '^LUX1-1 ' $SLA_COL)" "09:00: the P1's SLA cell in the normal colour"

# ---- Breaching next: by SLA due, the tickets without one last ---------------------
keys Tab Tab
wait_val "LUX1-1 LUX1-4 LUX1-3 LUX1-2 " "Breaching next: due 09:15, 09:30, 17:00, then the paused one" queue_refs
c=$(col_of ' Breaching')
expect_eq "$TAB_ACTIVE" "$(cell_attr 'Unassigned +Open' "$((${c:-0} + 1))")" "the Breaching next tab is the active one"
# on the smallest screen picket accepts, the active tab must still show
tm resize-window -t pk -x 80 -y 24
wait_screen '^REF +P +SLA ' "the queue at 80x24"
wait_screen '^LUX1-1 ' "the list at 80x24"
expect_match 'Breaching' "$(screen | sed -n 2p)" "at 80x24 the tab bar scrolls to show the active tab (Breaching next)"
tm resize-window -t pk -x "$COLS" -y "$ROWS"
wait_screen 'Breaching nex' "the tab bar at ${COLS}x$ROWS"

# ---- the ticket screen: Response and Resolution ------------------------------------
open_ticket LUX1-1 'Core switch down'
wait_screen '^Response +due 2026-03-01T09:15:00Z \(in 15m\)$' "LUX1-1: response due"
wait_screen '^Resolution +due 2026-03-01T13:00:00Z \(in 4h\)$' "LUX1-1: resolution due"
expect_eq "$NORMAL" "$(cell_attr '^Response ' $VALUE_COL)" "09:00: the response line in the normal colour"
back_to_queue
open_ticket LUX1-3 'VPN slow'
wait_screen '^Response +met at 2026-03-01T09:00:00Z$' "LUX1-3: taken at 09:00, response met"
wait_screen '^Resolution +due 2026-03-01T17:00:00Z \(in 8h\)$' "LUX1-3: resolution due"
back_to_queue
open_ticket LUX1-2 'Waiting on customer'
wait_screen '^Response +paused, 30m left$' "LUX1-2: response paused"
wait_screen '^Resolution +paused, 8h left$' "LUX1-2: resolution paused"
back_to_queue

# ---- vendor escalation: an unknown vendor, and completion of a known one -----------
open_ticket LUX1-3 'VPN slow'
before=$(db_state)
keys e
wait_screen '^Vendor:' "escalate: asks for the vendor"
keys Acme Enter
# the vendor is only checked when the escalation is saved, after the
# reference and follow-up prompts: Enter through those
for i in 1 2 3 4 5 6; do
	sleep 0.2
	if screen | grep -qE '^(Vendor ref|Follow up in)'; then keys Enter; fi
	screen | grep -q "no vendor" && break
done
wait_screen "no vendor 'Acme' \(add one with: picket vendor add NAME\)" "escalate to an unknown vendor: the error names it"
expect_unchanged "$before" "escalate to an unknown vendor"
wait_screen 'Status +assigned' "the ticket screen still shows status assigned"
expect_nomatch '^Vendor ' "$(screen)" "no vendor field on the ticket screen"
keys e
wait_screen '^Vendor:' "escalate again: the vendor prompt"
keys ci Tab
wait_screen '^Vendor: Cisco' "Tab completes a vendor from the database (any case)"
keys C-u gl Tab
wait_screen '^Vendor: globex' "Tab completes a vendor from the configuration"
keys Escape
wait_gone '^Vendor:' "Esc leaves the prompt"
expect_unchanged "$before" "a cancelled escalation"
back_to_queue

# ---- the shift handover ---------------------------------------------------------------
keys H
wait_screen '^Shift handover$' "H opens the shift handover"
s=$(screen)
expect_match '^Shift 2026-02-28T21:00:00Z -> 2026-03-01T09:00:00Z$' "$s" "handover: the last 12 hours"
expect_match '^On call$' "$s" "handover: the on-call section"
expect_match '^  network +alice until 2026-03-02T08:00:00Z$' "$s" "handover: alice until the next shift"
expect_match '^Opened this shift \(4\)$' "$s" "handover: four tickets opened"
expect_match '^Resolved this shift \(0\)$' "$s" "handover: none resolved"
expect_match '^Open P1/P2 \(4\)$' "$s" "handover: four open P1/P2"
expect_match '^  LUX1-1 +P1 +new .*due in 15m  Core switch down$' "$s" "handover: the P1 with its due time"
expect_match '^SLA breached \(0\)$' "$s" "handover: nothing breached"
keys G
wait_screen '^Handover notes \(0\)$' "handover: no notes yet (G: the end of the report)"
wait_screen '^Vendor follow-ups overdue \(0\)$' "handover: no vendor follow-up overdue"
# a note of two lines, through the built-in editor
keys i
wait_screen '^handover note - Ctrl-D: save  Esc: cancel' "i opens the editor for a note"
keys 'Core switch RMA arrives at 14:00' Enter 'Call Cisco TAC if it is late'
wait_screen '^Call Cisco TAC if it is late$' "the note's text in the editor"
keys C-d
wait_screen 'handover note added' "the note: the message"
expect_eq "alice|Core switch RMA arrives at 14:00
Call Cisco TAC if it is late|$T0||" \
	"$(sql "SELECT author || '|' || body || '|' || created_at || '|' || ifnull(acked_by, '') || '|' || ifnull(acked_at, '') FROM handover_notes")" \
	"the note: database"
keys G
wait_screen '^Handover notes \(1\)$' "the note: counted on screen"
wait_screen '^  alice  2026-03-01T09:00:00Z \(not acknowledged\)$' "the note: author, time, not acknowledged"
wait_screen '^    Core switch RMA arrives at 14:00$' "the note: its first line"
wait_screen '^    Call Cisco TAC if it is late$' "the note: its second line, indented under the note like the first"
# A: the author cannot acknowledge her own note
keys A
wait_screen 'acknowledged 0 handover notes' "A by the author acknowledges nothing"
expect_eq "" "$(sql "SELECT ifnull(acked_by, '') FROM handover_notes")" "A by the author: database"
# the keys of this screen
keys '?'
wait_screen 'Keys of the shift handover' "? shows the handover's keys"
wait_screen '^  i +note +write a note for the next shift' "help: i writes a note"
wait_screen '^  A +acknowledge ' "help: A acknowledges"
keys q
wait_screen '^Handover notes \(1\)$' "q leaves the help for the handover"
keys q
wait_screen 'Unassigned +Open P1/P2' "q goes back to the queue from the handover"
quit_all "q from the queue (09:00)"
stop_wait

# =================================== 09:12 ===================================
# past 75% of the P1's 15 minutes (09:11:15): the warn colour
start_tui PICKET_NOW=2026-03-01T09:12:00Z || { done_testing; exit 1; }
wait_screen 'open 4  breaching 0  on call: alice \(network\)' "status bar at 09:12"
keys Tab Tab Tab Tab
wait_val "LUX1-1 LUX1-2 LUX1-3 LUX1-4 " "All open at 09:12" queue_refs
select_row LUX1-2
expect_eq "3m" "$(sla_cell LUX1-1)" "09:12: 3m left"
expect_eq "$WARN" "$(cell_attr '^LUX1-1 ' $SLA_COL)" "09:12: the SLA cell in the warn colour"
expect_eq "$NORMAL" "$(cell_attr '^LUX1-4 ' $SLA_COL)" "09:12: the P2 (12 of its 30 minutes) in the normal colour"
open_ticket LUX1-1 'Core switch down'
wait_screen '^Response +due 2026-03-01T09:15:00Z \(in 3m\)$' "09:12: response due in 3m"
expect_eq "$WARN" "$(cell_attr '^Response ' $VALUE_COL)" "09:12: the response line in the warn colour"
expect_eq "$NORMAL" "$(cell_attr '^Resolution ' $VALUE_COL)" "09:12: the resolution line in the normal colour"
quit_all "q (09:12)"
stop_wait

# =================================== 09:15:00 ===================================
# exactly on the response target: the queue, the status bar and the ticket
# screen must tell the same story.  The SLA module says "exactly on target
# is met, not breached"; sla:breached and the breaching count use
# sla_due < now.
start_tui PICKET_NOW=2026-03-01T09:15:00Z || { done_testing; exit 1; }
keys Tab Tab Tab Tab
wait_val "LUX1-1 LUX1-2 LUX1-3 LUX1-4 " "All open at 09:15" queue_refs
select_row LUX1-2
cell=$(cell_attr '^LUX1-1 ' $SLA_COL)
bar=$(breaching)
expect_eq "$(at 2026-03-01T09:15:00Z pk list sla:breached | grep -c '^LUX1-1 ')" "$bar" \
	"09:15:00: the status bar's breaching count agrees with sla:breached"
open_ticket LUX1-1 'Core switch down'
resp=$(screen | sed -n 's/^Response  *//p')
[ "$cell" = "$BREACH" ] && cell=breach || cell="not breach ($cell)"
CHECKS=$((CHECKS + 1))
case "$cell|$bar|$resp" in
"breach|1|breached "*) ;;
"not breach"*"|0|due "*) ;;
*) fail "at 09:15:00, exactly on LUX1-1's response target, the queue's SLA cell is $cell, the status bar says 'breaching $bar', the ticket screen says 'Response $resp'" ;;
esac
quit_all "q (09:15)"
stop_wait

# =================================== 09:20 ===================================
start_tui PICKET_NOW=2026-03-01T09:20:00Z || { done_testing; exit 1; }
wait_screen 'open 4  breaching 1  on call: alice \(network\)' "09:20: the status bar counts the breached P1"
keys Tab Tab Tab Tab
wait_val "LUX1-1 LUX1-2 LUX1-3 LUX1-4 " "All open at 09:20" queue_refs
select_row LUX1-2
expect_eq "-5m" "$(sla_cell LUX1-1)" "09:20: breached 5m ago"
expect_eq "$BREACH" "$(cell_attr '^LUX1-1 ' $SLA_COL)" "09:20: the SLA cell in the breach colour"
expect_eq "$NORMAL" "$(cell_attr '^LUX1-4 ' $SLA_COL)" "09:20: the P2 (20 of its 30 minutes, under 75%) in the normal colour"
expect_eq "||" "$(sla_cell LUX1-2)" "09:20: the paused ticket still ||"
open_ticket LUX1-1 'Core switch down'
wait_screen '^Response +breached 5m ago$' "09:20: response breached 5m ago"
expect_eq "$BREACH" "$(cell_attr '^Response ' $VALUE_COL)" "09:20: the response line in the breach colour"
wait_screen '^Resolution +due 2026-03-01T13:00:00Z \(in 3h\)$' "09:20: resolution still due"
# taking it is the (late) first response: the response clock stops, breached
keys t
wait_screen 'LUX1-1: (taken|assigned to alice)' "take at 09:20"
wait_screen '^Response +breached at 2026-03-01T09:20:00Z$' "the response stopped late: breached at"
expect_eq "$BREACH" "$(cell_attr '^Response ' $VALUE_COL)" "a late response in the breach colour"
expect_eq "1772356800|breached|1772370000" "$(sql "SELECT responded_at || '|' || sla_response || '|' || sla_due FROM tickets WHERE ref = 'LUX1-1'")" \
	"take at 09:20: database (responded late; next due: the resolution at 13:00)"
back_to_queue
wait_screen 'breaching 0' "the status bar: nothing breaching now (the next target is 13:00)"
wait_val "3h" "the SLA cell now counts to the resolution at 13:00" sla_cell LUX1-1
quit_all "q (09:20)"
stop_wait
# LUX1-4 breaches its response target at 09:30, then waits on the customer
at 2026-03-01T09:40:00Z pk move LUX1-4 pending_customer >/dev/null

# =================================== 20:00, bob ===================================
start_tui PICKET_NOW=2026-03-01T20:00:00Z PICKET_USER=bob || { done_testing; exit 1; }
# bob has no group: the first rota's person; LUX1-1 (13:00), LUX1-3 (17:00)
# and the paused LUX1-4 (09:30) are past a target
wait_screen 'bob \(technician\)@LUX1  picket\.db  open 4  breaching 3  on call: alice \(network\)' \
	"20:00: bob's status bar, three breaching"
keys Tab Tab Tab Tab
wait_val "LUX1-1 LUX1-2 LUX1-3 LUX1-4 " "All open at 20:00" queue_refs
select_row LUX1-2
expect_eq "-10h" "$(sla_cell LUX1-4)" "a ticket that breached, then paused, shows how long ago it breached"
expect_eq "$BREACH" "$(cell_attr '^LUX1-4 ' $SLA_COL)" "20:00: the paused, breached ticket in the breach colour"
expect_eq "||" "$(sla_cell LUX1-2)" "20:00: the ticket paused before its target still ||"
open_ticket LUX1-1 'Core switch down'
wait_screen '^Response +breached at 2026-03-01T09:20:00Z$' "20:00: the stopped response clock"
wait_screen '^Resolution +breached 7h ago$' "20:00: resolution breached 7h ago"
back_to_queue
open_ticket LUX1-4 'Mail delayed'
wait_screen '^Response +breached 10h ago, paused$' "20:00: LUX1-4's response breached, then paused"
back_to_queue
# bob acknowledges alice's note
keys H
wait_screen '^Shift handover$' "bob's handover"
keys G
wait_screen '^  alice  2026-03-01T09:00:00Z \(not acknowledged\)$' "bob sees alice's note, not acknowledged"
keys A
wait_screen 'acknowledged 1 handover note$' "A by bob: the message"
expect_eq "bob|1772395200" "$(sql "SELECT ifnull(acked_by, '') || '|' || ifnull(acked_at, '') FROM handover_notes")" \
	"A by bob: acked_by and acked_at in the database"
wait_screen '^  alice  2026-03-01T09:00:00Z \(acknowledged by bob\)$' "the note shows it was acknowledged by bob"
keys A
wait_screen 'acknowledged 0 handover notes' "A again: nothing left to acknowledge"
expect_eq "bob|1772395200" "$(sql "SELECT ifnull(acked_by, '') || '|' || ifnull(acked_at, '') FROM handover_notes")" \
	"A again: database unchanged"
keys q
wait_screen 'Unassigned +Open P1/P2' "q: back to the queue"
quit_all "q (20:00)"
stop_wait

# =============================== Monday 08:00 ===============================
start_tui PICKET_NOW=2026-03-02T08:00:00Z || { done_testing; exit 1; }
wait_screen 'on call: bob \(network\)  sync: off' "Monday 08:00: shift 1 of the rota, bob on call"
quit_all "q (Monday)"
stop_wait

# ======================== background escalation ========================
# a desk of its own: a rule that pages on every P1, run every second
export PICKET_DB="$T/esc.db" PICKET_CONFIG="$T/esc.conf"
cat >"$PICKET_CONFIG" <<'EOF2'
[core]
node = LUX1
[escalate]
interval = 1
[escalate.newp1]
when = match
query = priority:1
note = paged
EOF2
pk init >/dev/null
start_tui || { done_testing; exit 1; }
pid=$(pgrep -P "$(tm display-message -p -t pk '#{pane_pid}')" | head -1)
pk new --title "Datacenter power loss" --impact 1 --urgency 1 >/dev/null
wait_screen 'open 1  breaching 0' "the new P1 counts in the status bar"
# wait_db SQL WANT: until the query gives WANT (10 s at most)
wait_db() {
	local i
	for i in $(seq 1 100); do
		[ "$(sql "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
fired="SELECT count(*) FROM escalations WHERE rule = 'newp1' AND condition = 'match'"
CHECKS=$((CHECKS + 1))
if ! wait_db "$fired" 1; then
	fail "the interface's background escalation did not fire within 10 s on a fresh database: escalations has $(sql "$fired") rows; 'picket escalate --run' on it says: $(pk escalate --run 2>&1) (exit $?)"
	# what the CLI test does: seed the digest row the first run reads, so
	# the rest of the background run can still be tested
	sql "INSERT OR IGNORE INTO meta(key, value) VALUES ('escalate_digest', 'unset')"
	CHECKS=$((CHECKS + 1))
	wait_db "$fired" 1 || fail "the background escalation did not fire within 10 s with the digest row seeded either"
fi
expect_eq "internal|alice|Escalation rule newp1 (match): paged" \
	"$(sql "SELECT kind || '|' || author || '|' || body FROM comments")" "the escalation's internal note"
# the interface answers keys at once while the runs go on
t0=$(now_ms)
keys Tab Tab Tab Tab
wait_screen '^LUX1-1 +P1 .*Datacenter power loss' "All open lists the P1"
dt=$(($(now_ms) - t0))
CHECKS=$((CHECKS + 1))
[ "$dt" -lt 2500 ] || fail "keys took ${dt} ms to show while the background runs went on"
keys Enter
wait_screen '^LUX1-1  Datacenter power loss' "the P1 opened"
wait_screen 'alice  internal note$' "the escalation's note in the timeline"
wait_screen '^    Escalation rule newp1 \(match\): paged$' "the escalation's note text in the timeline"
# one run at a time, each reaped: never a pile of children
maxkids=0
for i in $(seq 1 12); do
	n=$(pgrep -P "$pid" | wc -l)
	[ "$n" -gt "$maxkids" ] && maxkids=$n
	sleep 0.2
done
CHECKS=$((CHECKS + 1))
[ "$maxkids" -le 1 ] || fail "$maxkids background escalation runs at once"
expect_eq "1|1" "$(sql "SELECT ($fired) || '|' || (SELECT count(*) FROM comments)")" \
	"the rule fired once, however many runs went by"
# nothing the runs print reaches the screen: a full redraw changes nothing
s1=$(screen)
expect_nomatch 'picket:|examined|fired|digest' "$s1" "no output of the runs on the screen"
keys C-l
sleep 0.5
expect_eq "$s1" "$(screen)" "the screen before a full redraw (C-l) is the screen after it"
expect_eq "UNCLASSIFIED" "$(screen | head -1 | tr -d ' ')" "the banner is intact"
expect_match 'alice \(technician\)@LUX1  esc\.db  open 1' "$(screen)" "the status bar is intact"
quit_all "q (escalation)"
stop_tui

done_testing
