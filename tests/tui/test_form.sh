# The new-ticket form: n opens it, the priority follows impact x urgency
# as they change, an invalid value is reported beside its field and nothing
# is created, a valid form creates the ticket (every field as entered) and
# opens it; leaving a typed form asks first.
. "$TESTS_DIR/tui/lib.sh"
# picket under a name of its own: test_queue.sh's SIGTERM check signals
# every process named picket, and ctest -j runs the scripts side by side
ln -s "$PICKET" "$T/picket-tui" && PICKET="$T/picket-tui"

pk init >/dev/null
ntickets() { sql "SELECT count(*) FROM tickets"; }
# pick WORD: in an open menu, the digit in front of WORD
pick() { screen | grep -oE "[1-9] $1( |\$)" | head -1 | cut -c1; }
# field N: the cursor to the Nth field (0: type, 1: title, ... 10: description)
field() {
	local i
	keys g
	for i in $(seq 1 "$1"); do keys Down; done
}


start_tui || { done_testing; exit 1; }
wait_screen 'My tickets +Unassigned' "the queue"
keys n
wait_screen '^ New ticket$' "n opens the form"
wait_screen '^  Title +\(required\)' "the title is required"
wait_screen '^  Type +incident$' "the default type"
wait_screen '^  Impact +3$' "the default impact"
wait_screen '^  Urgency +3$' "the default urgency"
wait_screen '^  Priority +P3 +from impact and urgency' "the priority from the defaults (3 x 3)"

# ---- the priority follows impact x urgency as they change ------------------------
keys Down 1
wait_screen '^  Impact +1$' "impact 1"
wait_screen '^  Priority +P2 ' "impact 1 x urgency 3 gives P2"
keys Down 1
wait_screen '^  Urgency +1$' "urgency 1"
wait_screen '^  Priority +P1 ' "impact 1 x urgency 1 gives P1"
keys 4
wait_screen '^  Urgency +4$' "urgency 4"
wait_screen '^  Priority +P3 ' "impact 1 x urgency 4 gives P3"

# ---- an invalid value: reported beside its field, nothing created ----------------
before=$(db_state)
keys Up Enter
wait_screen '^Impact \(1-4\): 1$' "Enter on impact: a prompt with the value"
keys C-u 9 Enter
wait_screen "^  Impact +9 +impact: '9' is not a number from 1" "the engine's error beside the field"
wait_screen '^  Priority +P\? ' "no priority from an invalid impact"
keys G Enter
wait_screen '^  Title +\(required\) +a ticket needs a title' "Create with no title: said beside the title"
expect_eq "0" "$(ntickets)" "nothing created without a title"
keys Enter
wait_screen '^Title:' "the cursor went to the title: Enter edits it"
keys 'Disk full on db01' Enter
wait_screen '^  Title +Disk full on db01$' "the title entered; its error gone"
keys G Enter
wait_screen "impact: '9' is not a number from 1" "Create with an invalid impact: refused"
wait_screen "^  Impact +9 +impact: '9'" "the error is still beside the impact"
expect_eq "0" "$(ntickets)" "nothing created with an invalid impact"
expect_unchanged "$before" "a refused form"

# ---- a valid form creates the ticket ------------------------------------------------
# Create put the cursor on the bad field: a digit fixes it
keys 2
wait_screen '^  Impact +2$' "impact fixed"
expect_nomatch 'is not a number' "$(screen | grep -E '^  Impact')" "the error beside impact is gone"
keys Down 2
wait_screen '^  Urgency +2$' "urgency 2"
wait_screen '^  Priority +P2 ' "impact 2 x urgency 2 gives P2"
keys g Enter
wait_screen 'problem' "Enter on type: a menu of the types"
keys "$(pick problem)"
wait_screen '^  Type +problem$' "type chosen from the menu"
field 4
keys Enter
wait_screen '^Category:' "the category prompt"
keys storage Enter
wait_screen '^  Category +storage$' "category entered"
field 8
keys Enter
wait_screen '^Group:' "the group prompt"
keys dba Enter
wait_screen '^  Group +dba$' "group entered"
# a good value moves the cursor on, to the classification
keys Enter
wait_screen 'RESTRICTED' "Enter on classification: a menu of the levels"
keys "$(pick RESTRICTED)"
wait_screen '^  Classification +RESTRICTED$' "classification chosen"
expect_eq "RESTRICTED" "$(screen | head -1 | tr -d ' ')" "the form's banner follows its classification"
keys Enter
wait_screen '^Description - Ctrl-D' "Enter on description: the editor"
keys 'Disk at 100%' Enter 'second line'
wait_screen '^second line$' "description typed"
keys C-d
wait_screen '^  Description +Disk at 100%  \(\+1 line\)' "the description by its first line"
expect_eq "0" "$(ntickets)" "nothing created before Create"
keys G Enter
wait_screen '^LUX1-1  Disk full on db01' "Create opens the new ticket"
wait_screen 'Created LUX1-1' "the message names the new ref"
expect_eq "RESTRICTED" "$(screen | head -1 | tr -d ' ')" "the new ticket's banner"
expect_eq "1" "$(ntickets)" "one ticket created"
expect_eq "problem|Disk full on db01|2|2|2|dba|RESTRICTED|storage|new|alice" \
	"$(sql "SELECT type || '|' || title || '|' || impact || '|' || urgency || '|' || priority
	        || '|' || group_name || '|' || classification || '|' || category || '|' || status
	        || '|' || (SELECT actor FROM history WHERE field = 'created') FROM tickets WHERE ref = 'LUX1-1'")" \
	"the row: type, title, impact, urgency, priority, group, classification, category, status, creator"
expect_eq "Disk at 100%
second line" "$(sql "SELECT description FROM tickets WHERE ref = 'LUX1-1'")" "the description"
expect_consistent "after the form"

# ---- leaving a typed form asks first -------------------------------------------------
keys q
wait_screen 'My tickets +Unassigned' "back to the queue"
keys n
wait_screen '^ New ticket$' "a second form"
keys Enter
wait_screen '^Title:' "title prompt"
keys 'Half typed' Enter
wait_screen '^  Title +Half typed$' "title entered"
keys q
wait_screen 'Discard this ticket\?' "q on a typed form asks"
keys "$(pick 'Keep editing')"
wait_gone 'Discard this ticket\?' "keep editing"
wait_screen '^  Title +Half typed$' "still in the form"
keys Escape
wait_screen 'Discard this ticket\?' "Esc asks too"
keys "$(pick Discard)"
wait_screen 'My tickets +Unassigned' "discarded: back to the queue"
expect_eq "1" "$(ntickets)" "a discarded form creates nothing"
keys n
wait_screen '^ New ticket$' "an untouched form"
keys Escape
wait_screen 'My tickets +Unassigned' "Esc leaves an untouched form at once"
keys q
CHECKS=$((CHECKS + 1))
pane_dead || fail "q did not quit"
expect_eq "0" "${DEAD_STATUS:-}" "exit status"

done_testing
