# The interface's settings in picket.conf: [keys] rebinding and its
# refusals, [views] as the tabs, themes (high-contrast, monochrome, a
# missing one), NO_COLOR, and ui.mouse (click, wheel).
. "$TESTS_DIR/tui/lib.sh"
# picket under a name of its own: test_queue.sh's SIGTERM check signals
# every process named picket, and ctest -j runs the scripts side by side
ln -s "$PICKET" "$T/picket-tui" && PICKET="$T/picket-tui"

pk init >/dev/null
pk new --title "Core switch down" --impact 1 --urgency 1 --group network >/dev/null
pk new --title "VPN slow" --impact 2 --urgency 2 --group network >/dev/null
pk new --title "Printer jam" --impact 3 --urgency 3 --group desk >/dev/null

conf() { printf '[core]\nnode = LUX1\n%s\n' "$1" >"$PICKET_CONFIG"; }

# stop_wait: stop_tui; the next start gets a tmux server of its own (on a
# new socket), since a killed server takes a second or two to exit and a
# new session could reach it on its way out
NSERVER=0
stop_wait() {
	stop_tui
	NSERVER=$((NSERVER + 1))
	SOCK="$T/tmux.$NSERVER.sock"
}

# start_refused: picket in a pane, for a start that must fail.  The pane
# stays open a while after picket exits (a pty closed at once can lose its
# last output), so its text and picket's exit status ($DEAD_STATUS) can be
# read.  Returns 1 if picket is still running after 5 s.
start_refused() {
	local i
	rm -f "$T/exit-status"
	tm new-session -d -s pk -x "$COLS" -y "$ROWS" \
		env TERM=screen-256color PICKET_DB="$PICKET_DB" PICKET_CONFIG="$PICKET_CONFIG" \
		PICKET_NOW="$PICKET_NOW" PICKET_USER="$PICKET_USER" LC_ALL=C.UTF-8 HOME="$HOME" \
		XDG_CONFIG_HOME="$T/xdg" sh -c '"$0"; echo $? >"$1.tmp"; mv "$1.tmp" "$1"; sleep 30' "$PICKET" "$T/exit-status"
	DEAD_STATUS=
	for i in $(seq 1 50); do
		if [ -s "$T/exit-status" ]; then
			DEAD_STATUS=$(cat "$T/exit-status")
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# expect_clean_refusal REGEX what: exit status 9, the pane's text is the
# one message (wrapped at the pane's width) matching REGEX, and the
# terminal is left as it was: no alternate screen, no escape sequences
expect_clean_refusal() {
	CHECKS=$((CHECKS + 1))
	if ! start_refused; then
		fail "$2: picket started instead of refusing the configuration; the screen:
$(screen)"
		stop_wait
		return
	fi
	expect_eq "9" "$DEAD_STATUS" "$2: exit status"
	wait_screen "^picket: " "$2: the message"
	expect_match "$1" "$(screen | grep . | tr -d '\n')" "$2: the pane's text"
	expect_eq "picket: " "$(screen | grep . | head -1 | cut -c1-8)" "$2: the message is the first text in the pane"
	expect_eq "1" "$(screen | grep -c '^picket: ')" "$2: one message"
	expect_eq "0" "$(tm display-message -p -t pk '#{alternate_on}')" "$2: the alternate screen is not left on"
	expect_nomatch $'\e' "$(screen_raw)" "$2: no escape sequences left on the screen"
	stop_wait
}

# has_colour: the screen (with escapes) sets a foreground or background
# colour: SGR 30-38, 40-48, 90-97 or 100-107 (39/49, the defaults, are not
# colours)
has_colour() {
	screen_raw | grep -aoE $'\e\\[[0-9;]*m' | tr -d '\033[m' | tr ';' '\n' |
		grep -qxE '3[0-8]|4[0-8]|9[0-7]|10[0-7]'
}

# selected: the ref on the row drawn in the default theme's "selected"
# colours (black on cyan)
selected() {
	screen_raw | grep -a 'LUX1-' | grep -aE $'\e\\[([0-9]+;)*46m' | grep -oE 'LUX1-[0-9]+' | head -1
}

# mouse BUTTON X Y: an xterm (X10) mouse report, the way a terminal sends
# one to the program: ESC [ M, then 32 + button, 33 + column, 33 + row.
# Buttons: 0 press, 3 release, 64 wheel up, 65 wheel down.  tmux's
# send-keys has no mouse event of its own for a detached client, so the
# bytes go in literally.
mouse() {
	local b x y
	b=$(printf "\\$(printf %o $((32 + $1)))")
	x=$(printf "\\$(printf %o $((33 + $2)))")
	y=$(printf "\\$(printf %o $((33 + $3)))")
	tm send-keys -t pk -l $'\e'"[M$b$x$y"
}
click() { mouse 0 "$1" "$2"; mouse 3 "$1" "$2"; }
# row_of REGEX: the screen row (from 0) of the first line matching
row_of() { screen | grep -nE -- "$1" | head -1 | cut -d: -f1 | awk '{ print $1 - 1 }'; }


# ---- [keys]: take = T --------------------------------------------------------------
conf $'[keys]\ntake = T'
start_tui || { done_testing; exit 1; }
keys Tab Tab Tab Tab
wait_screen '^LUX1-1 +P1 .*new +- ' "All open, LUX1-1 unassigned"
wait_screen 'T:take' "the hint line shows the new key"
expect_nomatch '(^| )t:take' "$(screen)" "the hint line no longer shows t"
keys l
wait_screen '^LUX1-1  Core switch down' "LUX1-1 opened"
before=$(db_state)
keys t
# the command line as a barrier: once it shows, t has been read
keys :
wait_screen '^:$' "the key after t was read"
keys C-g
wait_gone '^:$' "the command line closed"
expect_unchanged "$before" "t no longer takes"
expect_match 'Assignee +- ' "$(screen)" "t no longer takes: the screen"
keys T
wait_screen 'Assignee +alice' "T takes"
expect_eq "alice|assigned" "$(sql "SELECT assignee || '|' || status FROM tickets WHERE ref = 'LUX1-1'")" "T takes: database"
keys q
wait_screen 'My tickets +Unassigned' "back to the queue"
stop_wait

# ---- [keys]: an unknown action or key name is refused cleanly, status 9 ------------
conf $'[keys]\ntkae = T'
expect_clean_refusal "^picket: .*unknown action 'tkae'" "an unknown action in [keys]"
# picket.conf(5): a key picket does not know stops it "with the file's name"
CHECKS=$((CHECKS + 1))
start_refused || fail "an unknown action in [keys]: picket started"
expect_match "$PICKET_CONFIG" "$(screen)" "an unknown action in [keys]: the message names the file"
stop_wait
conf $'[keys]\ntake = Ctrl-T'
expect_clean_refusal "^picket: .*'Ctrl-T' is not a key name" "a bad key name in [keys]"

# ---- [views]: the saved views become the tabs, in the order written ---------------
conf $'[views]\nnetwork_queue = status:open group:network sort:-priority\nall_mine = status:open assignee:me\ndesk = group:desk'
start_tui || { done_testing; exit 1; }
wait_screen '^ Network queue +All mine +Desk *$' "the tabs are the configured views, in order"
expect_nomatch 'My tickets|Unassigned|Recently closed' "$(screen)" "the default views are gone"
wait_screen '^LUX1-1 +P1 .*Core switch down' "Network queue: the network tickets"
wait_screen '^LUX1-2 +P2 .*VPN slow' "Network queue: the second network ticket"
expect_nomatch 'Printer jam' "$(screen)" "Network queue: not the desk ticket"
keys Tab
wait_screen '^LUX1-1 +P1 .*assigned +alice ' "All mine: the ticket alice took"
expect_nomatch 'VPN slow|Printer jam' "$(screen)" "All mine: only alice's"
keys Tab
wait_screen '^LUX1-3 +P3 .*Printer jam' "Desk: the desk ticket"
expect_nomatch 'VPN slow' "$(screen)" "Desk: not the network tickets"
keys q
CHECKS=$((CHECKS + 1))
pane_dead || fail "q did not quit"
stop_wait
conf $'[views]\nbroken = stauts:open'
expect_clean_refusal "^picket: views: Broken: unknown field 'stauts'" "a view whose query does not compile"

# ---- themes and NO_COLOR -------------------------------------------------------------
conf ''
start_tui || { done_testing; exit 1; }
CHECKS=$((CHECKS + 1))
has_colour || fail "the default theme draws in colour: $(screen_raw | head -3 | cat -v)"
expect_match $'\e\\[42m' "$(screen_raw | head -1)" "default theme: the UNCLASSIFIED banner on green (banner-0 = black, green)"
stop_wait

start_tui NO_COLOR=1 || { done_testing; exit 1; }
CHECKS=$((CHECKS + 1))
has_colour && fail "NO_COLOR=1: colour escapes on the screen: $(screen_raw | head -3 | cat -v)"
expect_match $'\e\\[7m' "$(screen_raw | head -1)" "NO_COLOR=1: the banner in reverse video"
wait_screen 'My tickets +Unassigned' "NO_COLOR=1: the queue is drawn"
stop_wait

conf $'[ui]\ntheme = high-contrast'
start_tui || { done_testing; exit 1; }
wait_screen 'My tickets +Unassigned' "high-contrast: the queue is drawn"
CHECKS=$((CHECKS + 1))
has_colour || fail "high-contrast draws in colour: $(screen_raw | head -3 | cat -v)"
expect_match $'\e\\[102m' "$(screen_raw | head -1)" "high-contrast: its banner-0 (black on bright green), not the default's"
stop_wait

conf $'[ui]\ntheme = monochrome'
start_tui || { done_testing; exit 1; }
wait_screen 'My tickets +Unassigned' "monochrome: the queue is drawn"
CHECKS=$((CHECKS + 1))
has_colour && fail "monochrome: colour escapes on the screen: $(screen_raw | head -3 | cat -v)"
expect_match $'\e\\[7m' "$(screen_raw | head -1)" "monochrome: the banner in reverse video"
stop_wait

conf $'[ui]\ntheme = no-such-theme'
expect_clean_refusal "^picket: ui.theme: no theme 'no-such-theme'" "a missing theme"
mkdir -p "$T/xdg/picket/themes"
printf '[colors\nselected = white, blue\n' >"$T/xdg/picket/themes/broken.ini"
conf $'[ui]\ntheme = broken'
expect_clean_refusal "^picket: .*/xdg/picket/themes/broken.ini: " "a theme that does not parse"
printf '[colors:dark]\nselected = white, blue\n' >"$T/xdg/picket/themes/broken.ini"
expect_clean_refusal "broken.ini: 'colors:dark': a section or key name cannot contain" "a theme with a ':' in a section name"

# ---- ui.mouse ---------------------------------------------------------------------------
# enough tickets to scroll, in one import (one process, not 37)
{
	echo 'title,impact,urgency'
	for i in $(seq 4 40); do echo "Filler ticket $i,4,4"; done
} >"$T/filler.csv"
pk import "$T/filler.csv" >/dev/null
long=$(pk new --title "Long story" --impact 1 --urgency 2 --body "$(seq -f 'Description line %g' 1 60)")

conf ''
start_tui || { done_testing; exit 1; }
expect_eq "000" "$(tm display-message -p -t pk '#{mouse_any_flag}#{mouse_standard_flag}#{mouse_button_flag}')" "ui.mouse off by default: no mouse reporting asked of the terminal"
stop_wait

conf $'[ui]\nmouse = true'
start_tui || { done_testing; exit 1; }
keys Tab Tab Tab Tab
wait_screen '^LUX1-1 +P1 ' "All open"
expect_eq "1" "$(tm display-message -p -t pk '#{mouse_standard_flag}')" "ui.mouse = true: mouse reporting is on"
expect_eq "LUX1-1" "$(selected)" "the cursor starts on the first row"
y=$(row_of '^LUX1-3 ')
click 20 "$y"
for i in $(seq 1 50); do [ "$(selected)" = LUX1-3 ] && break; sleep 0.1; done
expect_eq "LUX1-3" "$(selected)" "a click selects the row clicked"
expect_match 'My tickets +Unassigned' "$(screen)" "one click does not open"
# the wheel moves the cursor three rows a notch
mouse 65 20 "$y"
for i in $(seq 1 50); do [ "$(selected)" = LUX1-6 ] && break; sleep 0.1; done
expect_eq "LUX1-6" "$(selected)" "wheel down: three rows on"
mouse 64 20 "$y"
for i in $(seq 1 50); do [ "$(selected)" = LUX1-3 ] && break; sleep 0.1; done
expect_eq "LUX1-3" "$(selected)" "wheel up: three rows back"
# a second click on the selected row opens it
click 20 "$y"
wait_screen '^LUX1-3  Printer jam' "a click on the selected row opens it"
keys q
wait_screen 'My tickets +Unassigned' "back to the queue"
# the wheel scrolls the ticket view
keys : "open $long" Enter
wait_screen "^$long  Long story" "the long ticket"
mouse 65 20 10
wait_gone "^$long  Long story" "wheel down scrolls the ticket"
expect_match '^Assignee ' "$(screen | sed -n 2p)" "wheel down: three lines scrolled"
mouse 65 20 10
mouse 65 20 10
wait_screen '^  Description line [0-9]' "more wheel: the description"
mouse 64 20 10
mouse 64 20 10
mouse 64 20 10
wait_screen "^$long  Long story" "wheel up scrolls back to the top"
keys q q
CHECKS=$((CHECKS + 1))
pane_dead || fail "q did not quit"
expect_eq "0" "${DEAD_STATUS:-}" "exit status"
stop_wait

# picket.conf(5): an invalid value is refused with status 9
conf $'[ui]\nmouse = maybe'
expect_clean_refusal "^picket: .*ui.mouse" "ui.mouse = maybe"

done_testing
