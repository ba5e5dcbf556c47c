# The queue: tabs, navigation, filter, sort, live refresh, banner,
# sanitized text, resize and a clean exit.
. "$TESTS_DIR/tui/lib.sh"

pk init >/dev/null
pk new --title "Core switch down" --impact 1 --urgency 1 --group network >/dev/null
pk new --title "Printer jam" --impact 3 --urgency 3 --group desk >/dev/null
pk new --title "VPN slow" --impact 2 --urgency 2 --group network --assign alice >/dev/null
pk new --title "Secret thing" --impact 4 --urgency 4 --class SECRET >/dev/null

start_tui
# the first tab is "My tickets": alice has LUX1-3
wait_screen 'My tickets +Unassigned' "the saved views as tabs"
wait_screen 'LUX1-3 +P2 .*assigned +alice' "my ticket in My tickets"
expect_nomatch 'LUX1-1 ' "$(screen)" "My tickets shows only mine"
wait_screen 'alice \(technician\)@LUX1 .*open 4' "the status bar: user, role, node, open count"

# All open (fifth tab), most urgent first
keys Tab Tab Tab Tab
wait_screen 'LUX1-1 +P1' "All open lists the P1"
first=$(screen | grep -E '^LUX1-' | head -1 | awk '{print $1}')
expect_eq "LUX1-1" "$first" "All open: most urgent first"
# the banner is the highest classification on screen, top and bottom
expect_eq "SECRET" "$(screen | head -1 | tr -d ' ')" "top banner"
expect_eq "SECRET" "$(screen | tail -1 | tr -d ' ')" "bottom banner"

# a bad filter shows its error in place and keeps the list
keys f 'stauts:x' Enter
wait_screen "filter: unknown field 'stauts'" "the filter's error in place"
wait_screen 'LUX1-1 +P1' "the list stays"
keys f C-u 'group:network' Enter
wait_screen 'filter: group:network +\(2\)' "a filter counts its tickets"
wait_gone 'Printer jam' "the filter hides other groups"
expect_eq "UNCLASSIFIED" "$(screen | head -1 | tr -d ' ')" "the banner follows what is shown"

# changes made by another process appear without a key press
pk new --title "Fire in the server room" --impact 1 --urgency 1 --group network >/dev/null
wait_screen 'Fire in the server room' "a ticket created by the CLI appears by itself"

# sort by the next column, then reverse
keys f C-u Enter
keys o
wait_screen 'REF(▼|v)' "the sort column is marked"
order=$(screen | grep -E '^LUX1-' | awk '{print $1}' | tr '\n' ' ')
expect_eq "LUX1-1 LUX1-2 LUX1-3 LUX1-4 LUX1-5 " "$order" "sorted by ref"
keys O
wait_screen 'REF(▲|\^)' "reversed"
order=$(screen | grep -E '^LUX1-' | awk '{print $1}' | tr '\n' ' ')
expect_eq "LUX1-5 LUX1-4 LUX1-3 LUX1-2 LUX1-1 " "$order" "reverse order"

# text from the database cannot drive the terminal
sql "UPDATE tickets SET title = 'evil ' || char(27) || ']2;pwned' || char(7) || ' ' || char(27) || '[2J end' WHERE id = 2"
keys C-l
wait_screen 'evil \^\[\]2;pwned\^G \^\[\[2J end' "escape sequences shown, not run"
expect_nomatch 'pwned' "$(tm display-message -p -t pk '#{pane_title}')" "the pane title is untouched"

# too small a terminal gets a message, and comes back
tm resize-window -t pk -x 70 -y 20
wait_screen 'needs at least 80x24; this terminal is 70x20' "a clear message when too small"
tm resize-window -t pk -x "$COLS" -y "$ROWS"
wait_screen 'LUX1-1 +P1' "the queue comes back after the resize"

# q quits from the queue, exit status 0
keys q
CHECKS=$((CHECKS + 1))
pane_dead || fail "q did not quit"
expect_eq "0" "${DEAD_STATUS:-}" "exit status after q"
stop_tui

# SIGTERM (and SIGHUP, a dropped SSH link) restore the terminal and exit
start_tui
# only this pane's picket: the pane runs sh, picket is its child
pkill -TERM -P "$(tm display-message -p -t pk '#{pane_pid}')"
CHECKS=$((CHECKS + 1))
pane_dead || fail "SIGTERM did not end picket"
expect_eq "0" "${DEAD_STATUS:-}" "exit status after SIGTERM"
expect_nomatch 'LUX1-' "$(screen)" "the screen was restored (alternate screen left)"
stop_tui

done_testing
