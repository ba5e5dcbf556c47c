# The tmux side of the TUI tests (lib.sh sources it after the CLI helpers;
# a script with helpers of its own, such as the sync tests', sources this
# alone after them).
need tmux
SOCK="$T/tmux.sock"
COLS=${COLS:-100}
ROWS=${ROWS:-30}
unset VISUAL EDITOR
# the waits below are 5 s; under valgrind (PICKET_VALGRIND) picket is far
# slower, so they are multiplied by TUI_WAIT_SCALE (default 6)
WAITS=50
if [ -n "${PICKET_VALGRIND:-}" ] && [ "$PICKET_VALGRIND" != 0 ]; then
	WAITS=$((50 * ${TUI_WAIT_SCALE:-6}))
fi

# the server keeps a pane whose program ended, so its exit status can be read
printf 'set -g remain-on-exit on\nset -g default-terminal screen-256color\nset -g status off\n' >"$T/tmux.conf"
tm() { tmux -S "$SOCK" -f "$T/tmux.conf" "$@"; }

# start_tui [ENV=VALUE...]: picket with no arguments in an 100x30 pane
start_tui() {
	tm new-session -d -s pk -x "$COLS" -y "$ROWS" \
		env TERM=screen-256color PICKET_DB="${PICKET_DB:-}" PICKET_CONFIG="${PICKET_CONFIG:-}" \
		PICKET_NOW="${PICKET_NOW:-}" PICKET_USER="$PICKET_USER" LC_ALL=C.UTF-8 HOME="$HOME" \
		"$@" sh -c '"$0"; echo $? >"$1"' "$PICKET" "$T/exit-status"
	wait_screen 'open [0-9]+' "the status bar"
}

# stop_tui: ends the server and waits until it is gone, so the next
# start_tui does not reach a dying one
stop_tui() {
	local i
	tm kill-server 2>/dev/null
	for i in $(seq 1 $WAITS); do
		tm has-session 2>/dev/null || return 0
		sleep 0.1
	done
}

screen() { tm capture-pane -p -t pk; }

# screen_raw: with escape sequences, to check colours and attributes
screen_raw() { tm capture-pane -p -e -t pk; }

# alive: picket still runs; when it does not, the checks after this one
# cannot tell anything: fail once and stop here
alive() {
	if [ "$(tm display-message -p -t pk '#{pane_dead}' 2>/dev/null)" != 0 ]; then
		fail "picket is no longer running (exit status $(cat "$T/exit-status" 2>/dev/null)); the screen:
$(screen)"
		done_testing
		exit 1
	fi
}

# keys: sends keys, after making sure picket still runs, so a crash fails
# once instead of making every later check wait out its time
keys() {
	alive
	tm send-keys -t pk "$@"
}

# wait_screen REGEX [what]: until the screen matches (5 s at most, unscaled)
wait_screen() {
	local i
	CHECKS=$((CHECKS + 1))
	for i in $(seq 1 $WAITS); do
		if screen | grep -Eq -- "$1"; then
			return 0
		fi
		sleep 0.1
	done
	fail "${2:-screen}: no /$1/ on the screen:
$(screen)"
	return 1
}

# wait_gone REGEX [what]
wait_gone() {
	local i
	CHECKS=$((CHECKS + 1))
	for i in $(seq 1 $WAITS); do
		if ! screen | grep -Eq -- "$1"; then
			return 0
		fi
		sleep 0.1
	done
	fail "${2:-screen}: /$1/ stays on the screen:
$(screen)"
	return 1
}

# pane_dead: picket exited; its exit status in $DEAD_STATUS
pane_dead() {
	local i
	for i in $(seq 1 $WAITS); do
		if [ "$(tm display-message -p -t pk '#{pane_dead}')" = 1 ] && [ -s "$T/exit-status" ]; then
			DEAD_STATUS=$(cat "$T/exit-status")
			rm -f "$T/exit-status"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

trap 'stop_tui; rm -rf "$T"' EXIT
