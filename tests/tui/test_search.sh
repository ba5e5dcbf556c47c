# Full-text search: / opens it, results follow the typing without Enter,
# a query error shows in place, Enter opens the selected ticket, Esc goes
# back, and a change made elsewhere shows up by itself.
. "$TESTS_DIR/tui/lib.sh"
# picket under a name of its own: test_queue.sh's SIGTERM check signals
# every process named picket, and ctest -j runs the scripts side by side
ln -s "$PICKET" "$T/picket-tui" && PICKET="$T/picket-tui"

pk init >/dev/null
pk new --title "Printer jam on floor 3" --impact 3 --urgency 3 >/dev/null
pk new --title "Core switch down" --impact 1 --urgency 1 --body "The printer server is fine" >/dev/null
pk new --title "VPN slow" --impact 2 --urgency 2 >/dev/null


start_tui || { done_testing; exit 1; }
wait_screen 'My tickets +Unassigned' "the queue"
before=$(db_state)

keys /
wait_screen '^Search:' "/ opens the search"
wait_screen '^Type words' "the search explains itself"

# results come while a word is typed, letter by letter, no Enter
typed=""
for c in p r i n t e r; do
	typed="$typed$c"
	keys "$c"
	wait_screen "^Search: $typed\$" "the query line shows '$typed'"
	if [ "${#typed}" -eq 3 ]; then
		wait_screen '^LUX1-1 +P3 +new .*Printer jam on floor 3' "results appear while typing ('pri')"
	fi
done
wait_screen '^2 tickets' "'printer': two tickets"
wait_screen '^LUX1-1 .*Printer jam on floor 3' "a title match"
wait_screen '^LUX1-2 .*Core switch down' "a description match"
expect_nomatch 'VPN slow' "$(screen)" "a ticket without the word is not listed"
for c in ' ' j a m; do
	typed="$typed$c"
	keys "$c"
done
wait_screen '^Search: printer jam$' "the query line"
wait_screen '^1 ticket' "'printer jam': one ticket"
wait_gone '^LUX1-2 ' "the results narrow as typing goes on"
wait_screen '^LUX1-1 .*Printer jam' "the ticket with both words stays"

# a query-language error shows in place, on the line under the query
keys C-u
wait_screen '^Search:$' "C-u empties the query"
keys 'stauts:new'
wait_screen "^unknown field 'stauts'" "a query error shows in place"
expect_match "^unknown field 'stauts'" "$(screen | sed -n 3p)" "the error is on the line under the query"
expect_match '^Search: stauts:new$' "$(screen | sed -n 2p)" "the query stays as typed"
keys C-w 'status:new vpn'
wait_gone "unknown field" "the error goes once the query is right"
wait_screen '^1 ticket' "the corrected query finds one ticket"
wait_screen '^LUX1-3 +P2 .*VPN slow' "the corrected query's result"

# Enter opens the selected ticket; q comes back to the search
keys Enter
wait_screen '^LUX1-3  VPN slow' "Enter opens the selected ticket"
wait_screen 'Type +incident +Status +new' "the ticket view"
keys q
wait_screen '^Search: status:new vpn$' "q comes back to the search, query kept"

# Down moves the selection; Enter opens that one
keys C-u printer
wait_screen '^2 tickets' "two results again"
second=$(screen | grep -E '^LUX1-[0-9]+ ' | sed -n 2p | awk '{print $1}')
title=$(sql "SELECT title FROM tickets WHERE ref = '$second'")
keys Down Enter
wait_screen "^$second  $title" "Down then Enter opens the second result ($second)"
keys q
wait_screen '^Search: printer$' "back to the search"

# Esc goes back to the queue
keys Escape
wait_gone '^Search:' "Esc leaves the search"
wait_screen 'My tickets +Unassigned' "Esc goes back to the queue"
expect_unchanged "$before" "searching changes nothing"

# a ticket created elsewhere shows up in the results by itself
keys /
wait_screen '^Search:' "/ again"
keys printer
wait_screen '^2 tickets' "two results"
pk new --title "Printer on fire" --impact 1 --urgency 1 >/dev/null
wait_screen '^LUX1-4 .*Printer on fire' "a new matching ticket appears without a key"
wait_screen '^3 tickets' "the count follows"
keys Escape
wait_screen 'My tickets +Unassigned' "back to the queue"
keys q
CHECKS=$((CHECKS + 1))
pane_dead || fail "q did not quit"
expect_eq "0" "${DEAD_STATUS:-}" "exit status"

done_testing
