# Shared helpers for the CLI tests.  Source it first thing:
#   . "$TESTS_DIR/cli/lib.sh"
# Gives a scratch directory ($T), a fresh database ($PICKET_DB), a fixed
# clock and user, and assertions that print what differed.
set -u
: "${PICKET:?PICKET must name the picket binary}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export PICKET_DB="$T/picket.db"
export PICKET_NOW=2026-03-01T09:00:00Z
export PICKET_USER=alice
export PICKET_CONFIG="$T/picket.conf"
export HOME="$T" XDG_CONFIG_HOME="$T/config" XDG_DATA_HOME="$T/data"
printf '[core]\nnode = LUX1\n' >"$PICKET_CONFIG"
export LC_ALL="${LC_ALL:-C.UTF-8}"
unset NO_COLOR COLUMNS
# In a sanitizer build, reports go to files that done_testing shows: one in
# a command whose exit code a script does not check still fails the script.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/sanitizer"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/sanitizer:print_stacktrace=1"
FAILS=0
CHECKS=0

# PICKET_VALGRIND=1 (tests/valgrind.sh sets it): every picket the script
# runs, through pk, "$PICKET" or a copy of it, runs under valgrind; each
# process writes $T/vg/valgrind.PID and done_testing fails on any that is
# not empty.  $T/vg is world-writable and holds a copy of the binary, for
# the checks that run picket as another user.
if [ -n "${PICKET_VALGRIND:-}" ] && [ "$PICKET_VALGRIND" != 0 ]; then
	: "${TESTS_DIR:?TESTS_DIR must name the tests directory (for valgrind.supp)}"
	need_vg=$(command -v valgrind) || { echo "FAIL: PICKET_VALGRIND is set but valgrind is not installed" >&2; exit 1; }
	mkdir -m 1777 "$T/vg"
	cp "$PICKET" "$T/vg/picket.bin" && chmod 755 "$T/vg/picket.bin"
	cat >"$T/vg/picket" <<-EOF
		#!/bin/sh
		exec "$need_vg" --quiet --error-exitcode=99 --leak-check=full \\
		  --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \\
		  --num-callers=30 --suppressions="$TESTS_DIR/valgrind.supp" \\
		  --log-file="$T/vg/valgrind.%p" "$T/vg/picket.bin" "\$@"
	EOF
	chmod 755 "$T/vg/picket"
	export PICKET="$T/vg/picket"
	unset need_vg
fi

# vg_reports: after every valgrind'ed picket has ended (a report is written
# as the process exits), each non-empty report fails the script, its first
# lines shown
vg_reports() {
	local f pid i
	for f in "$T"/vg/valgrind.*; do
		[ -e "$f" ] || continue
		pid=${f##*.}
		for i in $(seq 1 600); do
			kill -0 "$pid" 2>/dev/null || break
			[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
			sleep 0.1
		done
	done
	for f in "$T"/vg/valgrind.*; do
		[ -s "$f" ] || continue
		CHECKS=$((CHECKS + 1))
		fail "valgrind report in $f:"
		head -n 60 "$f" >&2
	done
}

pk() { "$PICKET" "$@"; }

fail() {
	local msg="$*"
	[ "${#msg}" -le 1500 ] || msg="${msg:0:1500}... (cut)"
	echo "FAIL: $msg" >&2
	FAILS=$((FAILS + 1))
}

# expect_rc CODE CMD...: runs CMD, checks its exit code; output in $OUT/$ERR
expect_rc() {
	local want=$1
	shift
	CHECKS=$((CHECKS + 1))
	OUT=$("$@" 2>"$T/stderr")
	RC=$?
	ERR=$(cat "$T/stderr")
	if [ "$RC" != "$want" ]; then
		fail "'$*' exited $RC, expected $want; stderr: $ERR"
	fi
}

# expect_eq WANT GOT [what]
expect_eq() {
	CHECKS=$((CHECKS + 1))
	if [ "$1" != "$2" ]; then
		fail "${3:-value}: expected '$1', got '$2'"
	fi
}

# expect_match REGEX TEXT [what]
expect_match() {
	CHECKS=$((CHECKS + 1))
	if ! printf '%s' "$2" | grep -Eq -- "$1"; then
		fail "${3:-text} does not match /$1/: $2"
	fi
}

expect_nomatch() {
	CHECKS=$((CHECKS + 1))
	if printf '%s' "$2" | grep -Eq -- "$1"; then
		fail "${3:-text} matches /$1/ but should not: $2"
	fi
}

# sql QUERY: reads the database directly
sql() { sqlite3 -batch -noheader "$PICKET_DB" "$1"; }

# done_testing: prints the plain summary line and sets the exit code
done_testing() {
	local f
	for f in "$T"/sanitizer.*; do
		[ -e "$f" ] || continue
		CHECKS=$((CHECKS + 1))
		fail "sanitizer report in $f:"
		cat "$f" >&2
	done
	if [ -d "$T/vg" ]; then
		# a TUI script: end the tmux server first, so a picket still in
		# its pane exits and writes its report
		! declare -F stop_tui >/dev/null || stop_tui
		vg_reports
	fi
	echo "$((CHECKS - FAILS)) passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}

# --- added helpers ---------------------------------------------------------

# need TOOL...: a tool the script cannot do without; missing is a failure,
# never a silent skip.
need() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			fail "required tool '$t' is not installed"
			done_testing
			exit 1
		fi
	done
}

# jget JSON PATH: the value at PATH ('$.ref', '$[0].title') of a JSON text,
# read with sqlite3's JSON functions (no python3 or jq needed); a JSON null
# and a missing key both print nothing; use jtype to tell them apart.
jget() {
	printf '%s' "$1" >"$T/.json"
	sqlite3 -batch -noheader :memory: \
		"SELECT json_extract(CAST(readfile('$T/.json') AS TEXT), '$2')"
}

# jtype JSON [PATH]: null, text, integer, real, true, false, object, array;
# nothing if PATH is missing; "invalid" if the text is not JSON at all.
jtype() {
	printf '%s' "$1" >"$T/.json"
	sqlite3 -batch -noheader :memory: \
		"SELECT CASE WHEN json_valid(CAST(readfile('$T/.json') AS TEXT))
		 THEN json_type(CAST(readfile('$T/.json') AS TEXT), '${2:-\$}')
		 ELSE 'invalid' END"
}

# counts: "tickets comments history oplog" of the database
counts() {
	sql "SELECT (SELECT count(*) FROM tickets) || ' ' || (SELECT count(*) FROM comments)
	     || ' ' || (SELECT count(*) FROM history) || ' ' || (SELECT count(*) FROM oplog)"
}

# db_state: every engine row as text, to show that a refused command
# changed nothing at all.
db_state() {
	sql "SELECT * FROM tickets ORDER BY id;
	     SELECT * FROM comments ORDER BY id;
	     SELECT id, at, actor, entity, entity_uuid, field, old_value, new_value,
	            hex(hash) FROM history ORDER BY id;
	     SELECT * FROM oplog ORDER BY id;
	     SELECT * FROM counters ORDER BY node;"
}

# expect_unchanged BEFORE what: db_state is still BEFORE
expect_unchanged() {
	CHECKS=$((CHECKS + 1))
	local now
	now=$(db_state)
	if [ "$1" != "$now" ]; then
		fail "${2:-database} changed:"
		diff <(printf '%s\n' "$1") <(printf '%s\n' "$now") | head -20 >&2
	fi
}

# CONSISTENT_SQL: every logged change left its row, history and oplog
# together (see DESIGN.md: one mutation path); the columns of a SELECT
# that answers CONSISTENT_OK on a sound database
CONSISTENT_SQL="(SELECT count(*) FROM history) = (SELECT count(*) FROM oplog),
	  (SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM history h
	     WHERE h.entity_uuid = t.uuid AND h.field = 'created')),
	  (SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM oplog o
	     WHERE o.entity_uuid = t.uuid AND o.op = 'create')),
	  (SELECT count(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM oplog o
	     WHERE o.entity_uuid = c.uuid AND o.op = 'create')),
	  (SELECT count(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM history h
	     WHERE h.field = 'comment' AND h.new_value = c.uuid)),
	  (SELECT count(*) FROM oplog o WHERE o.op = 'set' AND NOT EXISTS (SELECT 1
	     FROM history h WHERE h.entity_uuid = o.entity_uuid AND h.field = o.field))"
CONSISTENT_OK="1|0|0|0|0|0"
CONSISTENT_WHAT="history = oplog | tickets without created history | tickets without create event | comments without create event | comments without history | set events without history"

# expect_consistent [WHAT]: the database passes CONSISTENT_SQL
expect_consistent() {
	expect_eq "$CONSISTENT_OK" "$(sql "SELECT $CONSISTENT_SQL")" \
		"${1:-database}: $CONSISTENT_WHAT"
}

# file_sum FILE: a checksum, to show that a file was not touched
file_sum() { cksum <"$1" 2>/dev/null || echo missing; }

# now_ms: wall clock in milliseconds, for "fails quickly" checks
now_ms() { echo $(($(date +%s%N) / 1000000)); }
