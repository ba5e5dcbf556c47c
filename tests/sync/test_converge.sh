# Convergence, as a randomised property test: two, then three clients
# make random changes offline (new tickets; title, category, assignee,
# group, priority, status; comments; picking a value of a conflict) and
# sync in random orders (the three clients also all at once, a few
# times); then every client syncs twice and every database
# (and picketd's own view) must hold the same tickets, field by field, the
# same comments, the same conflict records and the same set of events.
#
# The seeds are fixed, so a failure is reproducible: SYNC_SEED=N overrides
# the first scenario's seed (the second uses N+1) to explore others.
. "$TESTS_DIR/sync/lib.sh"

SEED=${SYNC_SEED:-20260301}
USERS=(alice bob carol)
make_pki
for s in srv2 srv3; do
	srv_new $s
	# group changes are the supervisors' call on the server
	for u in "${USERS[@]}"; do srv_adduser $s "$u" supervisor; done
	srv_start $s || {
		done_testing
		exit 1
	}
done

TITLES=("Disk full on srv-%d" "Café « Wi-Fi » en panne %d" 'Quote "%d" and \back\slash'
	"Pipe | and 'apostrophe' %d" "日本語のチケット %d" "Emoji 🔥 %d" "  spaces  %d  ")
CATEGORIES=(network hardware "software/licence" réseau "a'b|c" "x\"y" "")
GROUPS=(ops network desk "service desk")
ASSIGNEES=(alice bob carol "")
STATUSES=(assigned in_progress pending_customer pending_vendor resolved closed reopened new)
BODIES=("Rebooted the box" "Appelé l'utilisateur" 'JSON {"a":[1,2]} \n not a newline'
	"Line one
line two" "<script>alert(1)</script>")

NOPS=0
MAXCONF=0
REFUSED=0

# rnd N: a number from 0 to N-1 in $R (the main shell's seeded RANDOM)
rnd() { R=$((RANDOM % $1)); }

# random_ref CLIENT: a ticket CLIENT has, in $REF (empty when none); the
# list is read again after the client's syncs and new tickets
declare -A REFS=()
random_ref() {
	if [ -z "${REFS[$1]+set}" ]; then
		REFS[$1]=$(csql "$1" "SELECT ref FROM tickets ORDER BY ref")
	fi
	local refs
	read -r -d '' -a refs <<<"${REFS[$1]}"
	REF=""
	[ ${#refs[@]} -gt 0 ] || return 0
	rnd ${#refs[@]}
	REF=${refs[$R]}
}

# op_rc WHAT RC OK...: RC must be one of OK
op_rc() {
	local what=$1 rc=$2 ok
	shift 2
	CHECKS=$((CHECKS + 1))
	for ok in "$@"; do
		[ "$rc" = "$ok" ] && return 0
	done
	fail "$what exited $rc (expected $*): $(cat "$T/op.err")"
}

op_sync() {
	local out rc
	unset "REFS[$1]"
	out=$(pc "$1" sync --json 2>"$T/op.err")
	rc=$?
	op_rc "sync of $1" $rc 0
	local conf pending
	conf=$(jget "$out" '$.conflicts')
	pending=$(jget "$out" '$.pending')
	[ "${conf:-0}" -gt "$MAXCONF" ] && MAXCONF=$conf
	expect_eq 0 "$pending" "$1: nothing left to push after a sync"
}

# one random operation on a random client
random_op() {
	local c rc field value
	rnd $#
	c=${*:$((R + 1)):1}
	NOPS=$((NOPS + 1))
	rnd 100
	local kind=$R
	random_ref "$c"
	[ -n "$REF" ] || kind=0
	if [ $kind -lt 12 ]; then
		rnd ${#TITLES[@]}
		local title=${TITLES[$R]//%d/$NOPS}
		rnd ${#CATEGORIES[@]}
		pc "$c" new --title "$title" --category "${CATEGORIES[$R]}" >/dev/null 2>"$T/op.err"
		op_rc "$c: new" $? 0
		unset "REFS[$c]"
	elif [ $kind -lt 68 ]; then
		local args=() n
		rnd 3
		for n in $(seq $((R == 2 ? 2 : 1))); do
			rnd 6
			case $R in
			0)
				rnd ${#TITLES[@]}
				args+=("title=${TITLES[$R]//%d/$NOPS}")
				;;
			1)
				rnd ${#CATEGORIES[@]}
				args+=("category=${CATEGORIES[$R]}")
				;;
			2)
				rnd ${#ASSIGNEES[@]}
				args+=("assignee=${ASSIGNEES[$R]}")
				;;
			3)
				rnd ${#GROUPS[@]}
				args+=("group=${GROUPS[$R]}")
				;;
			4)
				rnd 4
				args+=("priority=P$((R + 1))")
				;;
			5)
				rnd ${#STATUSES[@]}
				args+=("status=${STATUSES[$R]}")
				[ "${STATUSES[$R]}" = resolved ] && args+=("resolution=Fixed by $c at op $NOPS")
				;;
			esac
		done
		pc "$c" set "$REF" "${args[@]}" >/dev/null 2>"$T/op.err"
		rc=$?
		case "${args[*]}" in
		# the workflow may refuse a move (5) or want an assignee (4)
		*status=*) op_rc "$c: set $REF ${args[*]}" $rc 0 4 5 ;;
		*) op_rc "$c: set $REF ${args[*]}" $rc 0 ;;
		esac
		[ $rc = 0 ] || REFUSED=$((REFUSED + 1))
	elif [ $kind -lt 82 ]; then
		rnd ${#BODIES[@]}
		local body=${BODIES[$R]}
		rnd 3
		case $R in
		0) pc "$c" comment "$REF" "$body" >/dev/null 2>"$T/op.err" ;;
		1) pc "$c" comment "$REF" --internal "$body" >/dev/null 2>"$T/op.err" ;;
		2) pc "$c" comment "$REF" --worklog $((NOPS % 90 + 1)) "$body" >/dev/null 2>"$T/op.err" ;;
		esac
		op_rc "$c: comment $REF" $? 0
	elif [ $kind -lt 86 ]; then
		# pick a value of a conflict this client sees, if any
		local pick
		pick=$(csql "$c" "SELECT t.ref || ' ' || f.field FROM conflicts f
		  JOIN tickets t ON t.uuid = f.entity_uuid ORDER BY 1 LIMIT 1")
		if [ -n "$pick" ]; then
			rnd 2
			# shellcheck disable=SC2086
			pc "$c" resolve-conflict $pick $((R + 1)) >/dev/null 2>"$T/op.err"
			op_rc "$c: resolve-conflict $pick" $? 0
		else
			op_sync "$c"
		fi
	else
		op_sync "$c"
	fi
}

# converge SERVER CLIENT...: each client syncs twice, in a random order
# each round; then all must agree with each other and with the server
converge() {
	local srv=$1 round c order
	shift
	for round in 1 2; do
		order=("$@")
		local i j tmp
		for ((i = ${#order[@]} - 1; i > 0; i--)); do
			rnd $((i + 1))
			j=$R
			tmp=${order[$i]}
			order[i]=${order[j]}
			order[j]=$tmp
		done
		for c in "${order[@]}"; do op_sync "$c"; done
	done
	local first=$1 total
	total=$(srv_events "$srv")
	for c in "$@"; do
		expect_eq "$total" "$(cevents "$c")" "$c holds every event the server has"
		expect_eq 0 "$(csql "$c" "SELECT count(*) FROM oplog WHERE pushed = 0")" \
			"$c has nothing unpushed"
		expect_rc 0 pc "$c" audit verify
		[ "$c" = "$first" ] && continue
		expect_same_db "$(cdb "$first")" "$(cdb "$c")" "$first and $c after converging"
	done
	expect_same_db "$(cdb "$first")" "$(srv_view "$srv")" "$first and picketd's view"
	expect_eq 0 "$(srv_sql "$srv" "SELECT count(*) - count(DISTINCT event_uuid) FROM oplog")" \
		"no event twice on the server"
	# a second sync of each has nothing to do
	for c in "$@"; do
		expect_rc 0 pc "$c" sync --json
		expect_eq "0 0 0" "$(jget "$OUT" '$.pushed') $(jget "$OUT" '$.pulled') $(jget "$OUT" '$.pending')" \
			"$c: a sync after converging moves nothing"
	done
}

# scenario SERVER SEED OPS CLIENT...
scenario() {
	local srv=$1 seed=$2 ops=$3 i
	shift 3
	RANDOM=$seed
	NOPS=0
	MAXCONF=0
	REFUSED=0
	for ((i = 0; i < ops; i++)); do random_op "$@"; done
	# then a few rounds of changes with every client syncing at the same time
	local round c pids
	for ((round = 0; round < ${ROUNDS:-0}; round++)); do
		for ((i = 0; i < 15; i++)); do random_op "$@"; done
		pids=""
		for c in "$@"; do
			unset "REFS[$c]"
			bg_pc "$c" sync --quiet
			pids="$pids $BG_PID:$c"
		done
		for c in $pids; do
			wait_bg "${c%%:*}" "${c#*:}"
			expect_eq 0 "$RC" "concurrent sync of ${c#*:} (stderr: $ERR)"
		done
	done
	converge "$srv" "$@"
	local tickets comments
	tickets=$(csql "$1" "SELECT count(*) FROM tickets")
	comments=$(csql "$1" "SELECT count(*) FROM comments")
	echo "# seed $seed, $# clients: $NOPS operations, $tickets tickets, $comments comments," \
		"$(cevents "$1") events, $REFUSED refused, at most $MAXCONF conflicts at once," \
		"$(csql "$1" "SELECT count(*) FROM conflicts") left"
	# the run exercised what it is meant to
	CHECKS=$((CHECKS + 1))
	[ "$MAXCONF" -gt 0 ] || fail "seed $seed: no concurrent edit ever made a conflict"
	CHECKS=$((CHECKS + 1))
	[ "$tickets" -ge 5 ] && [ "$comments" -ge 5 ] || fail "seed $seed: too few tickets or comments"
}

# two clients
client_new a srv2 alice A
client_new b srv2 bob B
scenario srv2 "$SEED" 125 a b

# three clients
client_new x srv3 alice X
client_new y srv3 bob Y
client_new z srv3 carol Z
ROUNDS=3 scenario srv3 $((SEED + 1)) 140 x y z

srv_stop srv2
srv_stop srv3
done_testing
