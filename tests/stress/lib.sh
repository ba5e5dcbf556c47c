# Shared helpers for the stress tests: one picket installation (client
# "c", node LUX1, user alice) syncing with a picketd of its own over TLS on
# 127.0.0.1, as the sync tests set them up.  Source it first thing:
#   . "$TESTS_DIR/stress/lib.sh"
# It sources the sync tests' helpers (and through them the CLI tests'):
# expect_*, fail, done_testing, make_pki, srv_*, client_new, pc, csql, ...
# and adds:
#   stress_setup [SYNC_LINES]   PKI, server "srv" (user alice), client "c"
#   ms_sleep MS                 sleeps MS milliseconds
#   expect_same_events WHAT     client c and the store hold the same event set
#   expect_pushed_on_server WHAT  every event c marked pushed is in the store
#   expect_db_sound WHAT        integrity_check ok and audit verify exits 0
. "$TESTS_DIR/sync/lib.sh"

# picketd takes only events whose actor is the token's user (forged_actor,
# picketd(8)), so everything written to the synced database is alice's
# shellcheck disable=SC2031 # set once, here
export PICKET_USER=alice

stress_setup() {
	make_pki
	# no rate limit: the loops sync as fast as they can
	srv_new srv server "rate = 0"
	srv_adduser srv alice technician || return 1
	srv_start srv || return 1
	client_new c srv alice LUX1 "${1:-}"
}

ms_sleep() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# the event uuids of client c (but for refused ones, pushed = 2) and of
# the store, one a line, sorted
c_event_set() { csql c "SELECT event_uuid FROM oplog WHERE pushed <> 2 ORDER BY 1"; }
srv_event_set() { srv_sql srv "SELECT event_uuid FROM oplog ORDER BY 1"; }

expect_same_events() {
	CHECKS=$((CHECKS + 1))
	local a b
	a=$(c_event_set)
	b=$(srv_event_set)
	if [ -z "$a" ]; then
		fail "$1: no events on the client"
	elif [ "$a" != "$b" ]; then
		fail "$1: client and server hold different events ($(diff <(printf '%s\n' "$a") \
			<(printf '%s\n' "$b") | grep -c '^[<>]') differ; < client, > server):
$(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | grep '^[<>]' | head -10)"
	fi
}

expect_pushed_on_server() {
	expect_eq 0 "$(csql c "ATTACH '$T/srv/store.db' AS s;
	  SELECT count(*) FROM oplog WHERE pushed = 1 AND origin = 'LUX1'
	     AND event_uuid NOT IN (SELECT uuid FROM s.events)")" \
		"$1: events marked pushed that the server lacks"
}

expect_db_sound() {
	expect_eq ok "$(csql c "PRAGMA integrity_check")" "$1: integrity_check"
	CHECKS=$((CHECKS + 1))
	local out
	if ! out=$(pc c audit verify 2>&1); then
		fail "$1: picket audit verify: $out"
	fi
}
