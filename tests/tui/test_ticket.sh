# The ticket view: header, description and timeline; take, move (only the
# moves the workflow allows), a refused move, comment/note/worklog through
# the built-in editor and through $EDITOR, resolve, reopen, escalate, set
# with completion, the classification banner, scrolling, back to the queue.
. "$TESTS_DIR/tui/lib.sh"
# picket under a name of its own: test_queue.sh's SIGTERM check signals
# every process named picket, and ctest -j runs the scripts side by side
ln -s "$PICKET" "$T/picket-tui" && PICKET="$T/picket-tui"

pk init >/dev/null
pk vendor add Cisco --contact tac@cisco.example >/dev/null
pk new --title "Core switch down" --impact 1 --urgency 1 --group network --requester carol \
	--category hardware --service lan --ci sw-core-01 \
	--body "The core switch in rack 4 is down." >/dev/null
pk new --title "Secret thing" --impact 4 --urgency 4 --class SECRET >/dev/null
pk new --title "Long story" --impact 3 --urgency 3 --class CONFIDENTIAL >/dev/null
pk set LUX1-3 "description=$(seq -f 'Description line %g' 1 60)" >/dev/null
PICKET_USER=bob pk comment LUX1-1 --public "Customer called again" >/dev/null
PICKET_USER=carol pk comment LUX1-1 --internal "Looks like the PSU" >/dev/null
pk comment LUX1-1 --worklog 30 "Checked the rack" >/dev/null

# last_comment: kind|author|minutes|body of the newest comment of LUX1-1
last_comment() {
	sql "SELECT kind || '|' || author || '|' || minutes || '|' || body FROM comments
	     WHERE ticket_id = (SELECT id FROM tickets WHERE ref = 'LUX1-1') ORDER BY id DESC LIMIT 1"
}
ncomments() { sql "SELECT count(*) FROM comments"; }
nhistory() { sql "SELECT count(*) FROM history"; }
noplog() { sql "SELECT count(*) FROM oplog"; }
# line_of REGEX: the number of the first screen line matching, or 0
line_of() { screen | grep -nE -- "$1" | head -1 | cut -d: -f1 | grep . || echo 0; }
# expect_next REGEX1 REGEX2 what: a screen line matches REGEX1 and the
# line after it REGEX2
expect_next() {
	CHECKS=$((CHECKS + 1))
	if ! screen | A="$1" B="$2" awk 'prev && $0 ~ ENVIRON["B"] { ok = 1 }
	    { prev = $0 ~ ENVIRON["A"] } END { exit !ok }'; then
		fail "$3: no line /$1/ followed by /$2/:
$(screen)"
	fi
}
# stop_wait: stop_tui; the next start gets a tmux server of its own (on a
# new socket), since a killed server takes a second or two to exit and a
# new session could reach it on its way out
NSERVER=0
stop_wait() {
	stop_tui
	NSERVER=$((NSERVER + 1))
	SOCK="$T/tmux.$NSERVER.sock"
}


start_tui || { done_testing; exit 1; }
keys Tab Tab Tab Tab
wait_screen 'LUX1-1 +P1 .*Core switch down' "All open lists LUX1-1 first"
expect_eq "SECRET" "$(screen | head -1 | tr -d ' ')" "the queue's banner: the SECRET ticket is on screen"

# ---- Enter opens the ticket under the cursor --------------------------------
keys Enter
if ! wait_screen '^LUX1-1  Core switch down' "Enter in the queue opens the selected ticket"; then
	# the failure is counted; open with the other default key so the rest
	# of the view is still tested
	keys l
	wait_screen '^LUX1-1  Core switch down' "l opens the selected ticket"
fi

# ---- header fields, description, timeline -----------------------------------
s=$(screen)
expect_match 'Type +incident +Status +new' "$s" "header: type and status"
expect_match 'Priority +P1 \(impact 1, urgency 1\) +Classification +UNCLASSIFIED' "$s" "header: priority, classification"
expect_match 'Assignee +- +Group +network' "$s" "header: assignee, group"
expect_match 'Requester +carol +Category +hardware' "$s" "header: requester, category"
expect_match 'Service +lan +CI +sw-core-01' "$s" "header: service, CI"
expect_match 'Created +2026-03-01T09:00:00Z +Updated +2026-03-01T09:00:00Z' "$s" "header: times"
expect_next '^Description$' '^  The core switch in rack 4 is down\.$' "the description under its label"
expect_match '^Timeline$' "$s" "the timeline label"
l_created=$(line_of '  alice  created LUX1-1$')
l_pub=$(line_of '  bob  comment$')
l_int=$(line_of '  carol  internal note$')
l_work=$(line_of '  alice  worklog 30 min$')
expect_eq "1 1 1 1" "$([ "$l_created" -gt 0 ] && echo 1) $([ "$l_pub" -gt "$l_created" ] && echo 1) $([ "$l_int" -gt "$l_pub" ] && echo 1) $([ "$l_work" -gt "$l_int" ] && echo 1)" \
	"timeline in order: created ($l_created), bob's comment ($l_pub), carol's note ($l_int), alice's worklog ($l_work)"
expect_next '  bob  comment$' '^    Customer called again$' "a public comment: author and body"
expect_next '  carol  internal note$' '^    Looks like the PSU$' "an internal note: author and body"
expect_next '  alice  worklog 30 min$' '^    Checked the rack$' "a worklog: author, minutes and body"
# the banner is this ticket's level, not the SECRET one left in the queue
expect_eq "UNCLASSIFIED" "$(screen | head -1 | tr -d ' ')" "ticket banner, top"
expect_eq "UNCLASSIFIED" "$(screen | tail -1 | tr -d ' ')" "ticket banner, bottom"

# ---- a refused transition shows the engine's message, changes nothing --------
before=$(db_state)
keys R
wait_screen 'LUX1-1 cannot move from new to reopened \(allowed: assigned in_progress' "reopen of a new ticket: the engine's refusal"
expect_unchanged "$before" "a refused reopen"

# ---- take --------------------------------------------------------------------
h0=$(nhistory) o0=$(noplog)
keys t
wait_screen 'LUX1-1: (taken|assigned to alice)' "take: the message"
wait_screen 'Type +incident +Status +assigned' "take: the status on screen"
wait_screen 'Assignee +alice' "take: the assignee on screen"
expect_eq "alice|assigned" "$(sql "SELECT assignee || '|' || status FROM tickets WHERE ref = 'LUX1-1'")" "take: database"
expect_eq "$((h0 + 2))" "$(nhistory)" "take: two history rows (assignee, status)"
expect_eq "$((o0 + 2))" "$(noplog)" "take: two oplog events"
wait_screen 'alice  status: new -> assigned' "take: the timeline shows the status change"
wait_screen 'alice  assignee: - -> alice' "take: the timeline shows the assignee change"

# ---- move: only the statuses the workflow allows from assigned ---------------
keys m
wait_screen 'Move LUX1-1 from assigned to' "move: the menu"
# the menu's rows: from its title to its "Enter: choose" line
menu=$(screen | sed -n '/Move LUX1-1 from assigned to/,/Enter: choose/p' | grep -oE ' [1-9] [a-z_]+$' | sed 's/^ [1-9] //' | tr '\n' ' ')
expect_eq "new in_progress pending_customer pending_vendor pending_change resolved " "$menu" "move: the statuses allowed from assigned"
expect_nomatch '[1-9] (closed|reopened|assigned)$' "$(screen)" "move: closed, reopened and the current status are not offered"
digit=$(screen | sed -n '/Move LUX1-1 from/,/Enter: choose/p' | grep -oE '[1-9] in_progress$' | cut -c1)
keys "${digit:-2}"
wait_screen '^Note \(optional\):' "move: the note prompt"
keys 'Working on it' Enter
wait_screen 'LUX1-1: moved to in_progress' "move: the message"
keys g
wait_screen 'Status +in_progress' "move: the status on screen"
expect_eq "in_progress" "$(sql "SELECT status FROM tickets WHERE ref = 'LUX1-1'")" "move: database status"
expect_eq "internal|alice|0|Working on it" "$(last_comment)" "move: the note is kept as an internal note"
expect_eq "1" "$(sql "SELECT count(*) FROM history h JOIN tickets t ON t.uuid = h.entity_uuid
	WHERE t.ref = 'LUX1-1' AND h.field = 'status' AND h.old_value = 'assigned' AND h.new_value = 'in_progress'")" \
	"move: the history row"
# Esc leaves the menu without a change
before=$(db_state)
keys m
wait_screen 'Move LUX1-1 from in_progress to' "move again: the menu"
keys Escape
wait_gone 'Move LUX1-1 from' "Esc closes the menu"
expect_unchanged "$before" "a cancelled move"

# ---- comment, note, worklog through the built-in editor ----------------------
keys c
wait_screen '^Public comment on LUX1-1 - Ctrl-D: save  Esc: cancel' "comment: the built-in editor"
keys 'First line of my comment' Enter 'second line'
wait_screen '^second line$' "comment: typed text shows in the editor"
keys C-d
wait_screen 'LUX1-1: comment added' "comment: the message"
expect_eq "public|alice|0|First line of my comment
second line" "$(last_comment)" "comment: database"
wait_screen 'alice  comment$' "comment: in the timeline"
wait_screen '^    second line$' "comment: its body in the timeline"

keys i
wait_screen '^Internal note on LUX1-1 - Ctrl-D' "note: the built-in editor"
keys 'Spare PSU ordered'
wait_screen '^Spare PSU ordered$' "note: typed text"
keys C-d
wait_screen 'LUX1-1: note added' "note: the message"
expect_eq "internal|alice|0|Spare PSU ordered" "$(last_comment)" "note: database"

n=$(ncomments)
keys w
wait_screen '^Minutes spent:' "worklog: asks for minutes"
keys abc Enter
wait_screen "'abc' is not a number of minutes" "worklog: bad minutes refused"
expect_eq "$n" "$(ncomments)" "worklog: nothing saved for bad minutes"
keys w
wait_screen '^Minutes spent:' "worklog: asks again"
keys 45 Enter
wait_screen '^Work log on LUX1-1 \(45 min\) - Ctrl-D' "worklog: the built-in editor"
keys 'Replaced the PSU'
wait_screen '^Replaced the PSU$' "worklog: typed text"
keys C-d
wait_screen 'LUX1-1: 45 min logged' "worklog: the message"
expect_eq "worklog|alice|45|Replaced the PSU" "$(last_comment)" "worklog: database"
wait_screen 'alice  worklog 45 min' "worklog: in the timeline"

# Esc in the editor saves nothing
n=$(ncomments)
keys c
wait_screen '^Public comment on LUX1-1' "comment: editor again"
keys 'never mind'
wait_screen '^never mind$' "comment: typed"
keys Escape
wait_gone '^Public comment on LUX1-1' "Esc leaves the editor"
expect_eq "$n" "$(ncomments)" "Esc in the editor saves nothing"

# ---- escalate to a vendor -----------------------------------------------------
keys e
wait_screen '^Vendor:' "escalate: asks for the vendor"
keys Cisco Enter
wait_screen '^Vendor ref:' "escalate: asks for the vendor's reference"
keys TAC-123 Enter
wait_screen '^Follow up in' "escalate: asks when to follow up, offering the default"
wait_screen 'Follow up in .*: 2d' "escalate: the default delay is offered"
keys Enter
wait_screen 'LUX1-1: escalated to Cisco' "escalate: the message"
keys g
wait_screen 'Status +pending_vendor' "escalate: the status on screen"
wait_screen 'Vendor +Cisco +Vendor ref +TAC-123' "escalate: vendor fields on screen"
expect_eq "Cisco|TAC-123|pending_vendor|$((1772355600 + 2 * 86400))" "$(sql "SELECT vendor || '|' || vendor_ref || '|' || status || '|' || followup_at FROM tickets WHERE ref = 'LUX1-1'")" "escalate: database, with the follow-up date"

# ---- resolve asks for a resolution ----------------------------------------------
keys r
wait_screen '^Resolution of LUX1-1 - Ctrl-D' "resolve: asks for the resolution"
keys C-d
wait_screen 'empty text: nothing was saved' "resolve: an empty resolution is not saved"
expect_eq "pending_vendor" "$(sql "SELECT status FROM tickets WHERE ref = 'LUX1-1'")" "resolve: still pending after an empty resolution"
keys r
wait_screen '^Resolution of LUX1-1 - Ctrl-D' "resolve: asks again"
keys 'Replaced the power supply'
wait_screen '^Replaced the power supply$' "resolve: typed resolution"
keys C-d
wait_screen 'LUX1-1: resolved' "resolve: the message"
keys g
wait_screen 'Status +resolved' "resolve: the status on screen"
wait_screen '^Resolution$' "resolve: the resolution section"
wait_screen '^  Replaced the power supply$' "resolve: the resolution text"
expect_eq "resolved|Replaced the power supply|1" "$(sql "SELECT status || '|' || resolution || '|' || (resolved_at IS NOT NULL) FROM tickets WHERE ref = 'LUX1-1'")" "resolve: database"

# ---- reopen ----------------------------------------------------------------------
keys R
wait_screen 'LUX1-1: reopened' "reopen: the message"
wait_screen 'Status +reopened' "reopen: the status on screen"
expect_eq "reopened|1" "$(sql "SELECT status || '|' || (resolved_at IS NULL) FROM tickets WHERE ref = 'LUX1-1'")" "reopen: database (resolved time cleared)"

# ---- set a field, with completion -----------------------------------------------
keys s
wait_screen '^Set \(field=value\):' "set: the prompt"
keys ass Tab
wait_screen '^Set \(field=value\): assignee=$' "set: Tab completes a field name"
keys bo Tab
wait_screen '^Set \(field=value\): assignee=bob' "set: Tab then completes the value (a known user)"
keys Enter
wait_screen 'LUX1-1: assignee updated' "set: the message"
expect_eq "bob" "$(sql "SELECT assignee FROM tickets WHERE ref = 'LUX1-1'")" "set assignee: database"
keys s
wait_screen '^Set \(field=value\):' "set: the prompt again"
keys status=in Tab
wait_screen '^Set \(field=value\): status=in_progress' "set: Tab completes a status the workflow allows"
keys Enter
wait_screen 'LUX1-1: status updated' "set status: the message"
expect_eq "in_progress" "$(sql "SELECT status FROM tickets WHERE ref = 'LUX1-1'")" "set status: database"
# an ambiguous prefix lists what it could be
keys s
wait_screen '^Set \(field=value\):' "set: the prompt a third time"
keys c Tab
wait_screen 'category=.*classification=' "set: Tab on an ambiguous prefix shows the candidates"
keys C-g
wait_gone '^Set \(field=value\)' "C-g cancels the prompt"

# ---- q goes back to the queue ----------------------------------------------------------
keys q
wait_screen 'My tickets +Unassigned' "q: back to the queue"
wait_screen 'LUX1-1 +P1 +[-0-9a-z|]+ +[0-9a-z]+ +in_progress ' "the queue shows the changes"

# ---- a long description scrolls; the banner shows the ticket's level ---------------
keys j l
wait_screen '^LUX1-3  Long story' "LUX1-3 opened"
expect_eq "CONFIDENTIAL" "$(screen | head -1 | tr -d ' ')" "the banner is the ticket's level"
wait_screen '^  Description line 1$' "the description's start"
expect_nomatch 'Description line 60' "$(screen)" "the end of a long description is below"
keys j
wait_screen '^Type +incident' "j scrolls one line: the fields are at the top"
expect_nomatch '^LUX1-3  Long story' "$(screen)" "j: the title line left the screen"
keys C-f
wait_gone '^  Description line 1$' "page down"
wait_screen '^  Description line 3[0-9]$' "page down shows later lines"
keys G
wait_screen '^  Description line 60$' "G: the end of the description"
wait_screen 'alice  created LUX1-3' "G: the timeline at the bottom"
keys g
wait_screen '^LUX1-3  Long story' "g: back to the top"
keys q
wait_screen 'My tickets +Unassigned' "back in the queue"
keys q
CHECKS=$((CHECKS + 1))
pane_dead || fail "q did not quit"
expect_eq "0" "${DEAD_STATUS:-}" "exit status"
stop_wait

# ---- $EDITOR: comment, note and resolution written by an external program ---------
cat >"$T/editor.sh" <<EOF
#!/bin/sh
# a stand-in for vi: records its arguments and what it was given (the
# file comes last), writes fixed text
[ -e "$T/editor-fails" ] && exit 1
printf '%s\n' "\$@" >"$T/editor-args"
for f; do :; done
cp "\$f" "$T/editor-got"
printf 'Text from the external editor\n' >"\$f"
EOF
chmod +x "$T/editor.sh"
# words after the program are its arguments; nothing passes through a
# shell (a shell would run the touch)
start_tui EDITOR="$T/editor.sh --wait \$(touch $T/pwned)" || { done_testing; exit 1; }
keys Tab Tab Tab Tab
wait_screen 'LUX1-1 +P1' "All open"
keys l
wait_screen '^LUX1-1  Core switch down' "LUX1-1 opened"
keys c
wait_screen 'LUX1-1: comment added' "\$EDITOR comment: the message"
expect_eq "public|alice|0|Text from the external editor" "$(last_comment)" "\$EDITOR comment: database (final newline dropped)"
expect_eq "" "$(cat "$T/editor-got" 2>/dev/null)" "\$EDITOR got an empty file for a new comment"
expect_eq "--wait|\$(touch|$T/pwned)" "$(head -3 "$T/editor-args" | paste -sd '|')" \
	"\$EDITOR's words are its arguments, as written"
CHECKS=$((CHECKS + 1))
[ ! -e "$T/pwned" ] || fail "\$EDITOR went through a shell"
expect_match "/picket-[^/]*\.txt\$" "$(sed -n 4p "$T/editor-args")" "the file comes last"
keys i
wait_screen 'LUX1-1: note added' "\$EDITOR note: the message"
expect_eq "internal|alice|0|Text from the external editor" "$(last_comment)" "\$EDITOR note: database"
keys w
wait_screen '^Minutes spent:' "\$EDITOR worklog: minutes"
keys 15 Enter
wait_screen 'LUX1-1: 15 min logged' "\$EDITOR worklog: the message"
expect_eq "worklog|alice|15|Text from the external editor" "$(last_comment)" "\$EDITOR worklog: database"
# a failing editor saves nothing and says so
touch "$T/editor-fails"
n=$(ncomments)
keys c
wait_screen 'the editor \(.*editor.sh --wait' "a failing editor: the message"
expect_eq "$n" "$(ncomments)" "a failing editor: no comment"
rm -f "$T/editor-fails"
keys r
wait_screen 'LUX1-1: resolved' "\$EDITOR resolution: the message"
expect_eq "resolved|Text from the external editor" "$(sql "SELECT status || '|' || resolution FROM tickets WHERE ref = 'LUX1-1'")" "\$EDITOR resolution: database"
expect_consistent "after the TUI's changes"
keys q
wait_screen 'My tickets +Unassigned' "back to the queue"
keys q
CHECKS=$((CHECKS + 1))
pane_dead || fail "q did not quit"
expect_eq "0" "${DEAD_STATUS:-}" "exit status"
stop_tui

done_testing
