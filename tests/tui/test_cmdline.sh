# The `:` command line: :assign, :move, :comment, :set, :q, an unknown
# command and a refused one, each checked on the screen and in the database.
. "$TESTS_DIR/tui/lib.sh"
# picket under a name of its own: test_queue.sh's SIGTERM check signals
# every process named picket, and ctest -j runs the scripts side by side
ln -s "$PICKET" "$T/picket-tui" && PICKET="$T/picket-tui"

pk init >/dev/null
pk new --title "Core switch down" --impact 2 --urgency 2 --group network >/dev/null
pk new --title "Printer jam" --impact 4 --urgency 4 >/dev/null

field() { sql "SELECT $1 FROM tickets WHERE ref = 'LUX1-1'"; }
nhistory() { sql "SELECT count(*) FROM history"; }
noplog() { sql "SELECT count(*) FROM oplog"; }


start_tui || { done_testing; exit 1; }
keys Tab Tab Tab Tab
wait_screen '^LUX1-1 +P2 .*Core switch down' "All open, LUX1-1 first"

# ---- :assign on the ticket under the queue's cursor ---------------------------------
h0=$(nhistory) o0=$(noplog)
keys :
wait_screen '^:$' ": opens the command line"
keys 'assign bob' Enter
wait_screen 'LUX1-1: assigned' ":assign: the message"
wait_screen '^LUX1-1 +P2 +[-0-9a-z|]+ +[0-9a-z]+ +assigned +bob ' ":assign: the queue shows it"
expect_eq "bob|assigned" "$(field "assignee || '|' || status")" ":assign: database"
expect_eq "$((h0 + 2))" "$(nhistory)" ":assign: history rows (assignee, status)"
expect_eq "$((o0 + 2))" "$(noplog)" ":assign: oplog events"
expect_eq "|new" "$(sql "SELECT ifnull(assignee, '') || '|' || status FROM tickets WHERE ref = 'LUX1-2'")" ":assign touched only the selected ticket"

# Tab completes a command name
keys : as Tab
wait_screen '^:assign' ":as + Tab completes to assign"
keys C-g
wait_gone '^:assign' "C-g cancels the command line"

# ---- in the ticket view --------------------------------------------------------------
keys l
wait_screen '^LUX1-1  Core switch down' "LUX1-1 opened"
keys : 'move in_progress' Enter
wait_screen 'LUX1-1: moved' ":move: the message"
wait_screen 'Status +in_progress' ":move: the status on screen"
expect_eq "in_progress" "$(field status)" ":move: database"
expect_eq "1" "$(sql "SELECT count(*) FROM history WHERE field = 'status' AND old_value = 'assigned' AND new_value = 'in_progress'")" ":move: the history row"

n=$(sql "SELECT count(*) FROM comments")
keys : 'comment The switch is back after a reboot' Enter
wait_screen 'LUX1-1: comment added' ":comment: the message"
wait_screen '^    The switch is back after a reboot$' ":comment: in the timeline"
expect_eq "$((n + 1))" "$(sql "SELECT count(*) FROM comments")" ":comment: one more comment"
expect_eq "public|alice|The switch is back after a reboot" \
	"$(sql "SELECT kind || '|' || author || '|' || body FROM comments ORDER BY id DESC LIMIT 1")" ":comment: database"

keys g : 'set priority=P1' Enter
wait_screen 'LUX1-1: (priority )?updated' ":set: the message"
wait_screen 'Priority +P1 ' ":set: the priority on screen"
expect_eq "1" "$(field priority)" ":set priority=P1: database"
expect_eq "1" "$(sql "SELECT count(*) FROM history WHERE field = 'priority' AND old_value = '2' AND new_value = '1'")" ":set: the history row"

keys : 'set group=storage category=disk' Enter
wait_screen 'Group +storage' ":set of two fields: on screen"
expect_eq "storage|disk" "$(field "group_name || '|' || category")" ":set of two fields: database"

# ---- refusals: an unknown command, a move the workflow forbids, a bad field -------
before=$(db_state)
keys : frobnicate Enter
wait_screen "^unknown command 'frobnicate' \\(take, assign, move" "an unknown command is named, with the known ones"
keys : 'move closed' Enter
wait_screen 'LUX1-1 cannot move from in_progress to closed' ":move to a status not allowed: the engine's message"
keys : 'set colour=blue' Enter
wait_screen "^unknown field 'colour' \\(fields: type title" ":set of an unknown field: the engine's message"
keys : 'set priority=P9' Enter
wait_screen "^priority: 'P9' is not P1, P2, P3 or P4" ":set of a bad value: the engine's message"
keys : assign Enter
wait_screen '^usage: :assign USER' ":assign without a user: usage"
keys : move Enter
wait_screen '^usage: :move STATUS' ":move without a status: usage"
expect_unchanged "$before" "refused commands"

# ---- :q goes back, then quits ------------------------------------------------------
keys : q Enter
wait_screen 'My tickets +Unassigned' ":q in the ticket view goes back to the queue"
wait_screen '^LUX1-1 +P1 +[-0-9a-z|]+ +[0-9a-z]+ +in_progress +bob ' "the queue shows the changes"
expect_consistent "after the command line"
keys : q Enter
CHECKS=$((CHECKS + 1))
pane_dead || fail ":q in the queue did not quit"
expect_eq "0" "${DEAD_STATUS:-}" "exit status after :q"

done_testing
