# Crash consistency: picket killed with SIGKILL (KILLS times, default 200)
# in the middle of an import, an edit, a sync or a bundle import (on an
# air-gapped workstation's database of its own), after a random delay of
# 0-80 ms (from $RANDOM with a fixed seed, STRESS_SEED, so a run can be
# repeated); and picketd killed with SIGKILL in the middle of pushes
# (PD_KILLS times, default 20), restarted on the same store and port.
# After each kill: the database is sound, its hash chain intact, what
# finished is all there, what was cut is all there or not at all, every
# record has its event, and every event marked pushed is on the server;
# after each picketd kill the store is sound and a sync converges.
. "$TESTS_DIR/stress/lib.sh"

KILLS=${KILLS:-200}
PD_KILLS=${PD_KILLS:-20}
RANDOM=${STRESS_SEED:-4242}
M=25 # tickets of an import
stress_setup "batch = 20
retries = 0
timeout = 5" || {
	done_testing
	exit 1
}
ED=10 # tickets the edits work on
for i in $(seq 1 $ED); do expect_rc 0 pc c new --title "edited $i" >/dev/null; done
sync_ok c

DB=$(cdb c)
# syncs push one event a request, so that the kills land mid-push
sed 's/^batch = .*/batch = 1/' "$T/c/picket.conf" >"$T/c/small.conf"
declare -A KILLED=([import]=0 [edit]=0 [sync]=0 [bundle]=0) FINISHED=([import]=0 [edit]=0 [sync]=0 [bundle]=0)
PD_KILLED=0
PD_CUT=0

# the air-gapped sites: G makes bundles of MB tickets, D imports them
MB=200
mkdir -p "$T/g" "$T/d"
printf '[core]\nnode = GVA2\n' >"$T/g/picket.conf"
printf '[core]\nnode = ZRH3\n' >"$T/d/picket.conf"
pg() { "$PICKET" --db "$T/g/picket.db" --config "$T/g/picket.conf" "$@"; }
pd() { "$PICKET" --db "$T/d/picket.db" --config "$T/d/picket.conf" "$@"; }
expect_rc 0 pg init
expect_rc 0 pd init
pg key show | head -1 >"$T/g.pub"
expect_rc 0 pd key trust "$T/g.pub"
# d_sound WHAT: D's database after a kill, and the bundle's tickets in $EXTRA
d_sound() {
	local out
	out=$(sqlite3 -batch -noheader "$T/d/picket.db" "PRAGMA integrity_check;
	  SELECT $CONSISTENT_SQL;
	  SELECT count(*) FROM tickets WHERE title GLOB 'bimp-$n-*'")
	EXTRA=${out##*$'\n'}
	expect_eq "ok
$CONSISTENT_OK" "${out%$'\n'*}" "$1: integrity | $CONSISTENT_WHAT"
	CHECKS=$((CHECKS + 1))
	out=$(pd audit verify 2>&1) || fail "$1: picket audit verify: $out"
}

# import_file N FILE: M tickets imp-N-J, as JSON lines with a comment
# ic-N-J each when N is even, as CSV when odd
import_file() {
	local j
	if [ $(($1 % 2)) = 0 ]; then
		for ((j = 1; j <= M; j++)); do
			printf '{"title": "imp-%s-%s", "priority": "P%s", "comments": [{"body": "ic-%s-%s"}]}\n' \
				"$1" $j $((j % 4 + 1)) "$1" $j
		done >"$2"
	else
		{
			echo "title,category,impact"
			for ((j = 1; j <= M; j++)); do echo "imp-$1-$j,cat$((j % 5)),$((j % 4 + 1))"; done
		} >"$2"
	fi
}

# check_sound WHAT [SQL]: one look at the whole database after a kill:
# integrity, CONSISTENT_SQL (tests/cli/lib.sh), every event marked pushed
# in the store;
# then the hash chain.  SQL, a query of one more line, is run in the same
# look; its answer is left in $EXTRA.
check_sound() {
	local out
	out=$(csql c "PRAGMA integrity_check;
	  ATTACH '$T/srv/store.db' AS s;
	  SELECT $CONSISTENT_SQL,
	         (SELECT count(*) FROM oplog WHERE pushed = 1 AND origin = 'LUX1'
	           AND event_uuid NOT IN (SELECT uuid FROM s.events));
	  ${2:-SELECT 0}")
	EXTRA=${out##*$'\n'}
	expect_eq "ok
$CONSISTENT_OK|0" "${out%$'\n'*}" \
		"$1: integrity | $CONSISTENT_WHAT | pushed events missing on the server"
	CHECKS=$((CHECKS + 1))
	out=$(pc c audit verify 2>&1) || fail "$1: picket audit verify: $out"
}

# sleeps MS milliseconds without starting a process (the rounds are many)
mkfifo "$T/sleep.fifo"
nap() {
	local t
	[ "$1" -gt 0 ] || return 0
	printf -v t '0.%03d' "$1"
	read -r -t "$t" <>"$T/sleep.fifo"
}

# the server has more events than BEFORE, or the sync ended already
test_server_grew() { [ "$(srv_events srv)" -gt "$1" ] || ! kill -0 "$pid" 2>/dev/null; }

n=0
START=$SECONDS
while [ $((KILLED[import] + KILLED[edit] + KILLED[sync] + KILLED[bundle])) -lt "$KILLS" ] && [ $n -lt $((KILLS * 3)) ]; do
	n=$((n + 1))
	delay=$((RANDOM % 81))
	k=$((RANDOM % 4))
	# the rounds not killed (one in 10) take the kinds in turn, so that
	# each kind also finishes however few the rounds (a short run)
	[ $((n % 10)) != 0 ] || k=$(((n / 10) % 4))
	case $k in
	0)
		kind=import
		import_file $n "$T/imp.$((n % 2))"
		cmd=(import "$T/imp.$((n % 2))")
		;;
	1)
		kind=edit
		ref="LUX1-$((RANDOM % ED + 1))"
		if [ $((RANDOM % 2)) = 0 ]; then
			cmd=(comment "$ref" "k-$n")
		else
			cmd=(set "$ref" "category=ed-$n" "vendor_ref=edr-$n")
		fi
		;;
	2)
		kind=sync
		cmd=(--config "$T/c/small.conf" sync --quiet)
		;;
	3)
		kind=bundle
		{
			echo "title,category"
			for ((j = 1; j <= MB; j++)); do echo "bimp-$n-$j,cat$((j % 5))"; done
		} >"$T/bimp.csv"
		pg import "$T/bimp.csv" >/dev/null || fail "#$n: G's import"
		pg bundle export "$T/b.pkb" >/dev/null || fail "#$n: G's export"
		cmd=(--db "$T/d/picket.db" --config "$T/d/picket.conf" bundle import "$T/b.pkb")
		;;
	esac
	"$PICKET" --db "$DB" --config "$T/c/picket.conf" "${cmd[@]}" >/dev/null 2>"$T/cmd.err" &
	pid=$!
	# one round in 10 is not killed, so that every kind also finishes
	if [ $((n % 10)) = 0 ]; then
		what="#$n $kind (${cmd[*]}), not killed"
	else
		what="#$n $kind (${cmd[*]}) after $delay ms"
		nap $delay
		kill -KILL $pid 2>/dev/null
	fi
	{ wait $pid; } 2>/dev/null
	rc=$?
	if [ $rc = 137 ]; then
		KILLED[$kind]=$((KILLED[$kind] + 1))
	else
		FINISHED[$kind]=$((FINISHED[$kind] + 1))
		CHECKS=$((CHECKS + 1))
		[ $rc = 0 ] || fail "$what: finished with exit $rc: $(cat "$T/cmd.err")
picketd $(kill -0 "$(srv_pid srv)" 2>/dev/null && echo running || echo "NOT running"); its log ends: $(tail -3 "$T/srv/log")"
	fi
	err=""
	[ -s "$T/cmd.err" ] && read -r -d '' err <"$T/cmd.err"
	CHECKS=$((CHECKS + 1))
	! [[ $err =~ [Ll]ocked|SQLITE_BUSY ]] || fail "$what: $err"
	case $kind in
	bundle)
		d_sound "$what"
		if [ $rc = 0 ]; then
			expect_eq "$MB" "$EXTRA" "$what: a finished bundle import is all there"
		else
			[ "$EXTRA" = 0 ] || expect_eq "$MB" "$EXTRA" "$what: a killed bundle import is all there or not at all"
			expect_rc 0 pd bundle import "$T/b.pkb"
			d_sound "$what, imported again"
			expect_eq "$MB" "$EXTRA" "$what: imported again, it is all there"
		fi
		;;
	import)
		check_sound "$what" "SELECT (SELECT count(*) FROM tickets WHERE title GLOB 'imp-$n-*')
		  || ' ' || (SELECT count(*) FROM comments WHERE body GLOB 'ic-$n-*')"
		if [ $((n % 2)) = 0 ]; then all="$M $M"; else all="$M 0"; fi
		if [ $rc = 0 ]; then
			expect_eq "$all" "$EXTRA" "$what: a finished import is all there (tickets comments)"
		elif [ "$EXTRA" != "0 0" ]; then
			expect_eq "$all" "$EXTRA" "$what: a killed import is all there or not at all (tickets comments)"
		fi
		;;
	edit)
		if [ "${cmd[0]}" = comment ]; then
			check_sound "$what" "SELECT count(*) FROM comments c JOIN tickets t ON t.id = c.ticket_id
			  WHERE c.body = 'k-$n' AND t.ref = '$ref'"
		else
			# 0: nothing of it; 4: both fields and their two history rows
			check_sound "$what" "SELECT CASE (SELECT count(*) FROM tickets WHERE ref = '$ref'
			    AND category = 'ed-$n' AND vendor_ref = 'edr-$n')
			  + (SELECT count(*) FROM tickets WHERE ref = '$ref'
			    AND (category = 'ed-$n' OR vendor_ref = 'edr-$n'))
			  + (SELECT count(*) FROM history WHERE new_value IN ('ed-$n', 'edr-$n'))
			  WHEN 4 THEN 1 WHEN 0 THEN 0 ELSE 'part' END"
		fi
		if [ $rc = 0 ]; then
			expect_eq 1 "$EXTRA" "$what: a finished edit is there"
		elif [ "$EXTRA" != 0 ]; then
			expect_eq 1 "$EXTRA" "$what: a killed edit is there whole or not at all"
		fi
		;;
	sync) check_sound "$what" ;;
	esac

	# now and then, picketd killed in the middle of a push
	if [ $((n % 10)) = 0 ] && [ $PD_KILLED -lt "$PD_KILLS" ]; then
		# enough to push for a dozen batches
		for ((j = 1; j <= 50; j++)); do
			printf '{"title": "pd-%s-%s", "comments": [{"body": "pdc-%s-%s"}]}\n' $n $j $n $j
		done >"$T/pd.jsonl"
		expect_rc 0 pc c import "$T/pd.jsonl"
		before=$(srv_events srv)
		"$PICKET" --db "$DB" --config "$T/c/small.conf" sync --quiet >/dev/null 2>"$T/sync.err" &
		pid=$!
		wait_until 20 test_server_grew "$before" || true
		nap $((RANDOM % 10))
		srv_kill srv KILL
		PD_KILLED=$((PD_KILLED + 1))
		{ wait $pid; } 2>/dev/null
		rc=$?
		what="picketd kill $PD_KILLED (after #$n)"
		case $rc in
		14) PD_CUT=$((PD_CUT + 1)) ;;
		0) ;;
		*) fail "$what: the sync exited $rc: $(cat "$T/sync.err")" ;;
		esac
		srv_restart srv || break
		expect_eq ok "$(srv_sql srv "PRAGMA integrity_check")" "$what: the store's integrity"
		expect_eq 0 "$(srv_sql srv "SELECT count(*) - count(DISTINCT event_uuid) FROM oplog")" \
			"$what: no event twice in the store"
		check_sound "$what"
		sync_ok c
		expect_same_events "$what: after the next sync"
	fi
done
ELAPSED=$((SECONDS - START))

TOTAL=$((KILLED[import] + KILLED[edit] + KILLED[sync] + KILLED[bundle] + PD_KILLED))
echo "# kills: $TOTAL (import ${KILLED[import]}, edit ${KILLED[edit]}, sync ${KILLED[sync]}, bundle import ${KILLED[bundle]}, picketd $PD_KILLED)"
echo "# finished before the kill: import ${FINISHED[import]}, edit ${FINISHED[edit]}, sync ${FINISHED[sync]}, bundle import ${FINISHED[bundle]}; picketd kills that cut a sync: $PD_CUT"
echo "# $n rounds in $ELAPSED s; $(csql c "SELECT count(*) FROM tickets") tickets, $(cevents c) events"
CHECKS=$((CHECKS + 1))
[ $((TOTAL - PD_KILLED)) -ge "$KILLS" ] || fail "only $((TOTAL - PD_KILLED)) of $KILLS kills landed on a running picket"
CHECKS=$((CHECKS + 1))
[ "$PD_KILLED" -ge "$PD_KILLS" ] || fail "picketd was killed $PD_KILLED times, not $PD_KILLS"
CHECKS=$((CHECKS + 1))
[ $PD_CUT -ge $((PD_KILLS / 2)) ] || fail "only $PD_CUT of $PD_KILLED picketd kills cut a sync"
for k in import edit sync bundle; do
	CHECKS=$((CHECKS + 1))
	if [ "${KILLED[$k]}" = 0 ] || [ "${FINISHED[$k]}" = 0 ]; then
		fail "$k: ${KILLED[$k]} killed, ${FINISHED[$k]} finished: not both"
	fi
done

# --- at the end: one more sync converges, and everything is sound ----------------------
sync_ok c
expect_eq 0 "$(csql c "SELECT count(*) FROM oplog WHERE pushed = 0")" "nothing left to push"
expect_same_events "at the end"
check_sound "at the end"
expect_eq ok "$(srv_sql srv "PRAGMA integrity_check")" "the store at the end"
srv_stop srv
done_testing
