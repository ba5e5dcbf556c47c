# assign, take, move, resolve, close, reopen, comment, history and set:
# what each does to the row, the history and the oplog, and what is refused.
. "$TESTS_DIR/cli/lib.sh"

pk init >/dev/null || fail "init"
pk new --title "Network cable cut" >/dev/null	# LUX1-1
pk new --title "Second" >/dev/null		# LUX1-2
pk new --title "Third" >/dev/null		# LUX1-3
expect_eq "3 0 3 3" "$(counts)" "three new tickets"
t1=$(sql "SELECT uuid FROM tickets WHERE ref = 'LUX1-1'")

# row: status|assignee|resolution|resolved_at|closed_at of a ticket
row() { sql "SELECT status, ifnull(assignee, '-'), ifnull(resolution, '-'),
	ifnull(resolved_at, '-'), ifnull(closed_at, '-') FROM tickets WHERE ref = '$1'"; }
# last_history N: the newest N history rows, oldest first
last_history() { sql "SELECT field, ifnull(old_value, '-'), ifnull(new_value, '-'), actor, at
	FROM (SELECT * FROM history ORDER BY id DESC LIMIT $1) ORDER BY id"; }

# --- assign / take ---------------------------------------------------------
expect_rc 0 pk assign LUX1-1 bob
expect_eq "LUX1-1 P3 assigned bob" "$OUT" "assign reports where the ticket stands"
expect_eq "assigned|bob|-|-|-" "$(row LUX1-1)" "assign a new ticket: assigned to bob"
expect_eq "status|new|assigned|alice|1772355600
assignee|-|bob|alice|1772355600" "$(last_history 2)" "assign: two history rows"
expect_eq "3 0 5 5" "$(counts)" "assign: two history rows, two oplog events"
expect_eq "set|assignee|\"bob\"|LUX1|alice" \
	"$(sql "SELECT op, field, value, origin, actor FROM oplog WHERE field = 'assignee' ORDER BY id DESC LIMIT 1")" \
	"assign: the oplog event"
expect_rc 0 pk assign LUX1-1 none
expect_eq "new|-|-|-|-" "$(row LUX1-1)" "assign none: back to the queue"
expect_eq "3 0 7 7" "$(counts)" "assign none: two more rows"
expect_rc 0 pk assign LUX1-1 me
expect_eq "assigned|alice|-|-|-" "$(row LUX1-1)" "assign me"
expect_rc 0 pk take LUX1-2
expect_eq "LUX1-2 P3 assigned alice" "$OUT" "take"
expect_eq "assigned|alice|-|-|-" "$(row LUX1-2)" "take: assigned to the user"
expect_rc 0 env PICKET_USER=bob "$PICKET" take LUX1-2
expect_eq "assigned|bob|-|-|-" "$(row LUX1-2)" "take as another user"
expect_eq "assignee|alice|bob|bob|1772355600" "$(last_history 1)" "take: the actor is bob"
expect_rc 3 pk take LUX1-99
expect_rc 3 pk assign LUX1-99 bob
expect_rc 2 pk assign LUX1-1
expect_consistent "after assign/take"

# --- refused transitions change nothing ------------------------------------
before=$(db_state)
expect_rc 5 pk move LUX1-1 closed
expect_match 'LUX1-1 cannot move from assigned to closed \(allowed: .*in_progress' "$ERR" \
	"refused move names both statuses and what is allowed"
expect_eq "" "$OUT" "refused move prints nothing on stdout"
expect_unchanged "$before" "refused move"
expect_rc 5 pk move LUX1-1 closed --note "should not be kept"
expect_unchanged "$before" "refused move with --note: no comment, no history"
expect_rc 5 pk move LUX1-1 assigned
expect_match 'already.*assigned' "$ERR" "move to the current status"
expect_rc 4 pk move LUX1-1 bogus
expect_match "unknown status 'bogus'" "$ERR" "move to an unknown status"
expect_rc 4 pk move LUX1-3 assigned
expect_match 'assignee' "$ERR" "assigned needs an assignee"
expect_rc 5 pk close LUX1-1
expect_rc 5 pk reopen LUX1-1
expect_rc 5 pk set LUX1-1 status=closed
expect_rc 2 pk resolve LUX1-1
expect_match 'needs --resolution' "$ERR" "resolve without --resolution"
expect_rc 4 pk move LUX1-1 resolved
expect_match 'needs a resolution' "$ERR" "move to resolved without a resolution"
expect_rc 4 pk resolve LUX1-1 --resolution ""
expect_rc 3 pk move LUX1-99 in_progress
expect_rc 2 pk move LUX1-1
expect_unchanged "$before" "every refused command"

# --- move with a note ----------------------------------------------------------
expect_rc 0 pk move LUX1-1 in_progress --note "checking the cables"
expect_eq "LUX1-1 P3 in_progress alice" "$OUT" "move"
expect_eq "in_progress|-|-|-" "$(row LUX1-1 | cut -d'|' -f1,3-)" "moved to in_progress"
expect_eq "internal|alice|checking the cables|0|1772355600" \
	"$(sql "SELECT c.kind, c.author, c.body, c.minutes, c.created_at FROM comments c
	        JOIN tickets t ON t.id = c.ticket_id WHERE t.ref = 'LUX1-1'")" \
	"move --note adds an internal comment"
cuuid=$(sql "SELECT c.uuid FROM comments c JOIN tickets t ON t.id = c.ticket_id WHERE t.ref = 'LUX1-1'")
expect_eq "status|assigned|in_progress|alice|1772355600
comment|-|$cuuid|alice|1772355600" "$(last_history 2)" "move --note: status and comment in the history"
expect_eq "1|1" "$(sql "SELECT count(*), sum(entity = 'comment') FROM oplog WHERE op = 'create' AND entity_uuid = '$cuuid'")" \
	"move --note: the comment's create event"
expect_rc 0 pk move LUX1-1 pending_vendor
expect_rc 0 pk move LUX1-1 in_progress
expect_consistent "after moves"

# --- resolve, close, reopen ------------------------------------------------------
n0=$(sql 'SELECT count(*) FROM oplog')
expect_rc 0 env PICKET_NOW=2026-03-01T10:00:00Z "$PICKET" resolve LUX1-1 --resolution "replaced the cable"
expect_eq "LUX1-1 P3 resolved alice" "$OUT" "resolve"
expect_eq "resolved|alice|replaced the cable|1772359200|-" "$(row LUX1-1)" \
	"resolve: status, resolution, resolved_at from the clock"
expect_eq "$((n0 + 3))" "$(sql 'SELECT count(*) FROM oplog')" \
	"resolve: status, resolution and resolved_at each logged"
expect_eq 1772359200 "$(sql "SELECT updated_at FROM tickets WHERE ref = 'LUX1-1'")" "resolve updates updated_at"
expect_rc 5 pk resolve LUX1-1 --resolution "again"
expect_match 'already.*resolved' "$ERR" "resolve twice"
expect_eq "replaced the cable" "$(sql "SELECT resolution FROM tickets WHERE ref = 'LUX1-1'")" \
	"a refused resolve keeps the old resolution"
expect_rc 0 env PICKET_NOW=2026-03-01T11:00:00Z "$PICKET" reopen LUX1-1
expect_eq "reopened|alice|-|-|-" "$(row LUX1-1)" "reopen clears resolved_at and the old resolution"
expect_match 'resolution: replaced the cable -> -' "$(pk history LUX1-1)" "the old resolution stays in the history"
expect_rc 0 pk resolve LUX1-1 --resolution "replaced the switch too"
expect_rc 0 env PICKET_NOW=2026-03-02T09:00:00Z "$PICKET" close LUX1-1
expect_eq "LUX1-1 P3 closed alice" "$OUT" "close"
expect_eq "closed|alice|replaced the switch too|1772355600|1772442000" "$(row LUX1-1)" \
	"close: closed_at from the clock, resolved_at kept"
before=$(db_state)
expect_rc 5 pk reopen LUX1-1
expect_match 'cannot move from closed to reopened' "$ERR" "closed is final"
expect_rc 5 pk move LUX1-1 in_progress
expect_rc 5 pk close LUX1-1
expect_unchanged "$before" "moves out of closed"
# the default workflow lets a fresh ticket be closed, not one in progress
expect_rc 0 pk close LUX1-3
expect_eq "closed" "$(sql "SELECT status FROM tickets WHERE ref = 'LUX1-3'")" "close a new ticket"
expect_rc 0 pk move LUX1-2 in_progress
expect_rc 5 pk close LUX1-2
expect_consistent "after resolve/close/reopen"

# --- comments ------------------------------------------------------------------
c0=$(counts)
expect_rc 0 env PICKET_NOW=2026-03-01T12:00:00Z "$PICKET" comment LUX1-2 "a public reply"
expect_eq "LUX1-2 P3 in_progress bob" "$OUT" "comment reports the ticket"
expect_rc 0 pk comment LUX1-2 --internal "an internal note"
expect_rc 0 pk comment LUX1-2 --worklog 45 "rebooted the switch"
printf 'line one\nline two\n' | pk comment LUX1-2 - >/dev/null || fail "comment from stdin"
expect_eq "public|alice|a public reply|0|1772366400
internal|alice|an internal note|0|1772355600
worklog|alice|rebooted the switch|45|1772355600
public|alice|line one
line two|0|1772355600" \
	"$(sql "SELECT c.kind, c.author, c.body, c.minutes, c.created_at FROM comments c
	        JOIN tickets t ON t.id = c.ticket_id WHERE t.ref = 'LUX1-2' ORDER BY c.id")" \
	"comment kinds, worklog minutes, stdin with its last newline dropped"
expect_eq "3 5 $(($(echo "$c0" | cut -d' ' -f3) + 4)) $(($(echo "$c0" | cut -d' ' -f4) + 4))" "$(counts)" \
	"four comments: four history rows, four create events"
expect_rc 2 pk comment LUX1-2 --worklog abc "x"
expect_rc 2 pk comment LUX1-2 --worklog -5 "x"
expect_rc 4 pk comment LUX1-2 "   "
expect_match 'must not be empty' "$ERR" "empty comment"
expect_rc 3 pk comment LUX1-99 "x"
expect_rc 2 pk comment LUX1-2
expect_eq 4 "$(sql "SELECT count(*) FROM comments c JOIN tickets t ON t.id = c.ticket_id WHERE t.ref = 'LUX1-2'")" \
	"refused comments add nothing"
expect_rc 0 pk show LUX1-2
expect_match '2026-03-01T12:00:00Z  alice  comment
    a public reply' "$OUT" "show: public comment in the timeline"
expect_match 'alice  internal note
    an internal note' "$OUT" "show: internal note in the timeline"
expect_match 'alice  worklog 45 min
    rebooted the switch' "$OUT" "show: worklog in the timeline"
expect_match '    line one
    line two' "$OUT" "show: multi-line comment indented"
expect_rc 0 pk show LUX1-2 --json
expect_eq "public|internal|worklog|45|public" \
	"$(jget "$OUT" '$.comments[0].kind')|$(jget "$OUT" '$.comments[1].kind')|$(jget "$OUT" '$.comments[2].kind')|$(jget "$OUT" '$.comments[2].minutes')|$(jget "$OUT" '$.comments[3].kind')" \
	"show --json comments"
expect_consistent "after comments"

# --- history ---------------------------------------------------------------------
pk new --title "History" >/dev/null	# LUX1-4
PICKET_NOW=2026-03-01T09:30:00Z PICKET_USER=bob "$PICKET" take LUX1-4 >/dev/null
PICKET_NOW=2026-03-01T10:00:00Z "$PICKET" set LUX1-4 group=network "title=History, renamed" >/dev/null
PICKET_NOW=2026-03-01T10:15:00Z "$PICKET" move LUX1-4 pending_customer >/dev/null
expect_rc 0 pk history LUX1-4
expect_eq "2026-03-01T09:00:00Z  alice  created LUX1-4
2026-03-01T09:30:00Z  bob  status: new -> assigned
2026-03-01T09:30:00Z  bob  assignee: - -> bob
2026-03-01T10:00:00Z  alice  title: History -> History, renamed
2026-03-01T10:00:00Z  alice  group: - -> network
2026-03-01T10:15:00Z  alice  status: assigned -> pending_customer" "$OUT" "history"
expect_rc 0 pk history LUX1-4 --json
expect_eq "created||LUX1-4|alice|2026-03-01T09:00:00Z" \
	"$(jget "$OUT" '$[0].field')|$(jget "$OUT" '$[0].old')|$(jget "$OUT" '$[0].new')|$(jget "$OUT" '$[0].actor')|$(jget "$OUT" '$[0].at')" \
	"history --json first entry"
expect_eq "null|status|assigned|pending_customer" \
	"$(jtype "$OUT" '$[0].old')|$(jget "$OUT" '$[5].field')|$(jget "$OUT" '$[5].old')|$(jget "$OUT" '$[5].new')" \
	"history --json: null old value, last entry"
expect_eq "$(sql "SELECT id FROM history WHERE entity_uuid = (SELECT uuid FROM tickets WHERE ref = 'LUX1-4') ORDER BY id LIMIT 1")" \
	"$(jget "$OUT" '$[0].id')" "history --json ids are the history ids"
expect_rc 0 pk history LUX1-4 --csv
expect_eq "id,at,actor,field,old,new" "$(printf '%s\n' "$OUT" | head -1)" "history --csv header"
expect_match ',2026-03-01T10:00:00Z,alice,title,History,"History, renamed"' "$OUT" \
	"history --csv quotes a cell with a comma"
expect_rc 3 pk history LUX1-99
# times in the history read like every other time picket prints
expect_rc 0 pk history LUX1-1
expect_match 'resolved_at: - -> 2026-03-01T10:00:00Z' "$OUT" \
	"history shows resolved_at as a time, not seconds since 1970"
expect_match 'closed_at: - -> 2026-03-02T09:00:00Z' "$OUT" \
	"history shows closed_at as a time, not seconds since 1970"

# --- set ---------------------------------------------------------------------------
pk new --title "Set me" >/dev/null	# LUX1-5, impact 3 urgency 3 = P3
c0=$(counts)
h0=$(sql 'SELECT count(*) FROM history')
expect_rc 0 env PICKET_NOW=2026-03-01T13:00:00Z "$PICKET" set LUX1-5 impact=1 urgency=1
expect_eq "LUX1-5 P1 new" "$OUT" "set reports the new priority"
expect_eq "1|1|1|1772370000" "$(sql "SELECT impact, urgency, priority, updated_at FROM tickets WHERE ref = 'LUX1-5'")" \
	"set impact/urgency recomputes the priority and updates updated_at"
expect_eq "impact|3|1|alice|1772370000
priority|3|1|alice|1772370000
urgency|3|1|alice|1772370000" "$(last_history 3 | sort)" "set: one history row per changed field"
expect_eq "$((h0 + 3))" "$(sql 'SELECT count(*) FROM history')" "set: three history rows"
expect_rc 0 pk set LUX1-5 priority=P4
expect_eq "1|1|4" "$(sql "SELECT impact, urgency, priority FROM tickets WHERE ref = 'LUX1-5'")" \
	"an explicit priority wins"
expect_rc 0 pk set LUX1-5 impact=2
expect_eq "2|1|1" "$(sql "SELECT impact, urgency, priority FROM tickets WHERE ref = 'LUX1-5'")" \
	"impact 2 x urgency 1 = P1 by the matrix"
expect_rc 0 pk set LUX1-5 impact=4 urgency=4
expect_eq "4" "$(sql "SELECT priority FROM tickets WHERE ref = 'LUX1-5'")" "impact 4 x urgency 4 = P4"
expect_rc 0 pk set LUX1-5 impact=3 priority=P2
expect_eq "3|4|2" "$(sql "SELECT impact, urgency, priority FROM tickets WHERE ref = 'LUX1-5'")" \
	"impact and an explicit priority in one set"
expect_rc 0 pk set LUX1-5 group=network category=hardware type=request "description=two
lines" vendor=acme vendor_ref=V-1 requester=carol service=mail ci=sw-01 classification=RESTRICTED
expect_eq "network|hardware|request|two
lines|acme|V-1|carol|mail|sw-01|RESTRICTED" \
	"$(sql "SELECT group_name, category, type, description, vendor, vendor_ref, requester,
	        service, ci, classification FROM tickets WHERE ref = 'LUX1-5'")" "set many fields"
snap=$(db_state)
expect_rc 0 env PICKET_NOW=2026-03-05T00:00:00Z "$PICKET" set LUX1-5 group=network ci=sw-01
expect_unchanged "$snap" "setting fields to their current values: no history, no oplog, no updated_at"
expect_rc 0 pk set LUX1-5 group=
expect_eq "-" "$(sql "SELECT ifnull(group_name, '-') FROM tickets WHERE ref = 'LUX1-5'")" "an empty value clears"
expect_eq "group|network|-|alice|1772355600" "$(last_history 1)" "clearing is logged"
expect_consistent "after set"

before=$(db_state)
expect_rc 4 pk set LUX1-5 bogus=1
expect_match "unknown field 'bogus'" "$ERR" "set of an unknown field"
expect_rc 4 pk set LUX1-5 group=ops bogus=1
expect_rc 4 pk set LUX1-5 bogus=1 group=ops
expect_rc 4 pk set LUX1-5 impact=9
expect_match "impact: '9' is not a number from 1" "$ERR" "impact out of range"
expect_rc 4 pk set LUX1-5 priority=P0
expect_rc 4 pk set LUX1-5 type=bug
expect_rc 4 pk set LUX1-5 title=
expect_rc 4 pk set LUX1-5 ref=LUX1-77
expect_match 'kept by picket' "$ERR" "ref cannot be set"
expect_rc 4 pk set LUX1-5 uuid=00000000-0000-7000-8000-000000000000
expect_rc 4 pk set LUX1-5 created_at=2020-01-01T00:00:00Z
expect_rc 4 pk set LUX1-5 classification=NOPE
expect_rc 4 pk set LUX1-5 "group=a
b"
expect_rc 5 pk set LUX1-5 status=pending_vendor
expect_rc 2 pk set LUX1-5 group
expect_match "'group' is not FIELD=VALUE" "$ERR" "set without ="
expect_rc 2 pk set LUX1-5 =x
expect_rc 2 pk set LUX1-5
expect_rc 3 pk set LUX1-99 group=x
expect_unchanged "$before" "refused set commands, including a good field next to a bad one"

expect_rc 0 pk set LUX1-5 --json group=ops
expect_eq "ops|LUX1-5" "$(jget "$OUT" '$.group')|$(jget "$OUT" '$.ref')" "set --json"

# --- each mutation adds to the history and the oplog alike -----------------------
# step CMD...: runs a picket command that must change something, one minute
# after the last, and checks that the history and the oplog grew together
# and that the ticket's updated_at moved to the clock.
minute=0
step() {
	local h0 o0 h1 o1 when
	minute=$((minute + 1))
	when=$(printf '2026-03-10T10:%02d:00Z' "$minute")
	h0=$(sql 'SELECT count(*) FROM history')
	o0=$(sql 'SELECT count(*) FROM oplog')
	expect_rc 0 env PICKET_NOW="$when" "$PICKET" "$@"
	h1=$(sql 'SELECT count(*) FROM history')
	o1=$(sql 'SELECT count(*) FROM oplog')
	CHECKS=$((CHECKS + 1))
	if [ "$o1" -le "$o0" ] || [ $((h1 - h0)) -ne $((o1 - o0)) ]; then
		fail "$*: history $h0 -> $h1, oplog $o0 -> $o1"
	fi
	expect_eq "$when" "$(sql "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, 'unixepoch')
		FROM tickets WHERE ref = 'LUX1-6'")" "$*: updated_at"
}
expect_rc 0 env PICKET_NOW=2026-03-10T10:00:00Z "$PICKET" new --title "Steps"
expect_eq "LUX1-6" "$OUT" "the ticket for the steps"
step set LUX1-6 group=ops
step set LUX1-6 impact=1
step assign LUX1-6 bob
step take LUX1-6
step move LUX1-6 in_progress
step move LUX1-6 pending_customer --note "asked for logs"
step comment LUX1-6 "public"
step comment LUX1-6 --internal "internal"
step comment LUX1-6 --worklog 5 "worklog"
step resolve LUX1-6 --resolution "fixed"
step reopen LUX1-6
step assign LUX1-6 none
step resolve LUX1-6 --resolution "fixed again"
step close LUX1-6
expect_consistent "after the steps"

# --- every change went through the one path ---------------------------------------
expect_consistent "at the end"
expect_eq "0" "$(sql "SELECT count(*) FROM history h WHERE h.entity = 'ticket' AND NOT EXISTS
	(SELECT 1 FROM tickets t WHERE t.uuid = h.entity_uuid)")" "no history for unknown tickets"
expect_eq "$(sql 'SELECT count(*) FROM oplog')" "$(sql 'SELECT count(DISTINCT event_uuid) FROM oplog')" \
	"oplog event ids are unique"
expect_eq "1" "$(sql 'SELECT min(a.hlc < b.hlc) FROM oplog a JOIN oplog b ON b.id = a.id + 1')" \
	"oplog hlc strictly increases"
expect_rc 0 pk audit verify

done_testing
