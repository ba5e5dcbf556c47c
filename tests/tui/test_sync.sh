# Sync in the full-screen interface, against a real picketd over TLS: the
# status bar's sync state (never, running, how long ago, changes to push,
# conflicts), S to sync now, the queue refreshed with what was pulled, a
# conflict on the ticket screen and :resolve-conflict, a failed sync's
# reason on the message line, and the automatic sync of sync.interval.
. "$TESTS_DIR/sync/lib.sh"
. "$TESTS_DIR/tui/tmux.sh"
# both halves clean up: the interface, then picketd and the scratch files
trap 'stop_tui; sync_cleanup' EXIT

make_pki
srv_new s
srv_adduser s alice technician
srv_adduser s bob technician
srv_start s
client_new a s alice A
client_new b s bob B

# tui_as CLIENT: the interface of that installation
tui_as() {
	PICKET_USER=${CLIENT_USER[$1]} start_tui PICKET_DB="$T/$1/picket.db" \
		PICKET_CONFIG="$T/$1/picket.conf"
}

expect_rc 0 pc a new --title "VPN down at Capellen"
expect_rc 0 pc a sync --quiet

# --- S pulls, and the status bar follows ---------------------------------------
tui_as b
wait_screen 'open 0 .*sync: never' "a database that never synced says so"
keys S
wait_screen 'synced' "S syncs and says so"
wait_screen 'sync: [0-9]+s ago' "the status bar shows the last sync"
keys Tab
wait_screen 'A-1 .*VPN down at Capellen' "the queue (Unassigned) shows the pulled ticket"
wait_screen 'open 1 ' "and counts it"
stop_tui

# --- a conflict on the ticket screen, resolved with the : line ----------------
expect_rc 0 pc a set A-1 category=network
expect_rc 0 pc b set A-1 category=vpn
expect_rc 0 pc a sync --quiet
expect_rc 0 pc b sync --quiet
expect_rc 0 pc a sync --quiet
tui_as b
wait_screen 'sync: [0-9]+s ago, 1 conflict' "the status bar counts the conflict"
keys Tab
wait_screen 'A-1 ' "the ticket in the Unassigned view"
keys Enter
wait_screen 'Conflict on category: keep one with :resolve-conflict category N' \
	"the ticket screen names the field in conflict"
wait_screen '1\) vpn +set by bob@B .*\(current\)' "the value the ticket holds, first"
wait_screen '2\) network +set by alice@A' "the other value, with who set it"
keys ':resolve-conflict category 2' Enter
wait_screen 'A-1: conflict on category resolved' "the choice is confirmed"
wait_gone 'Conflict on category' "the conflict leaves the ticket screen"
wait_screen 'Category +network' "the ticket holds the chosen value"
wait_screen '1 to push' "the choice waits to be pushed"
keys ':resolve-conflict category x' Enter
wait_screen 'usage: :resolve-conflict FIELD N' "a bad choice gets the usage"
keys ':sync' Enter
wait_screen 'synced' ":sync syncs too"
wait_gone 'to push|conflict' "nothing left to push, no conflict"
stop_tui
expect_rc 0 pc a sync --quiet
expect_eq network "$(csql a "SELECT category FROM tickets WHERE ref = 'A-1'")" \
	"the choice reached the other installation"
expect_eq 0 "$(csql a "SELECT count(*) FROM conflicts")" "and its conflict is gone there too"

# --- a failed sync says why; the interface goes on -----------------------------
srv_stop s
tui_as b
keys S
wait_screen 'sync failed: .*127\.0\.0\.1' "a failed sync shows its reason"
alive
keys j
alive
stop_tui

# --- sync.interval: the interface syncs by itself -------------------------------
srv_start s
expect_rc 0 pc a new --title "Printer jam"
expect_rc 0 pc a sync --quiet
client_sync_set b interval 30
tui_as b
keys Tab
wait_screen 'A-2 .*Printer jam' "the automatic sync pulls without a key"
wait_screen 'sync: [0-9]+s ago' "and the status bar shows it"
stop_tui

done_testing
