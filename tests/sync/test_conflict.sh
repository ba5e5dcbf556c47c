# The same-field conflict over a real picketd: alice and bob change the
# same field of a ticket offline, both sync, both see the conflict (show,
# show --json, conflicts, sync --json); one of them resolves it; after the
# next syncs it is gone everywhere and every node holds the same value.
# Also: the same person on two nodes, and an edit made after seeing the
# other's value, are not conflicts.
. "$TESTS_DIR/sync/lib.sh"

make_pki
srv_new srv
srv_adduser srv alice technician
srv_adduser srv bob technician
srv_adduser srv carol technician
srv_start srv || {
	done_testing
	exit 1
}
client_new a srv alice A1
client_new b srv bob B1
client_new c srv carol C1
client_new a2 srv alice A2

# --- a ticket everyone has --------------------------------------------------------

REF=$(pc a new --title "Printer on fire" --category hardware)
expect_eq A1-1 "$REF" "first ref of node A1"
for n in a b c a2; do sync_ok $n; done
UUID=$(csql a "SELECT uuid FROM tickets WHERE ref = '$REF'")
for n in b c a2; do
	expect_eq "$UUID" "$(csql $n "SELECT uuid FROM tickets WHERE ref = '$REF'")" "$n has $REF"
done

# --- alice and bob set the category offline --------------------------------------

expect_rc 0 pc a set "$REF" category=network
expect_rc 0 pc b set "$REF" category=facilities
expect_rc 0 pc a sync --json
expect_eq 0 "$(jget "$OUT" '$.conflicts')" "alice's first sync: bob has not pushed yet"
expect_eq 1 "$(jget "$OUT" '$.pushed')" "alice pushed her change"
expect_rc 0 pc b sync --json
expect_eq 1 "$(jget "$OUT" '$.ok')" "bob's sync ok (JSON true)"
expect_eq 1 "$(jget "$OUT" '$.conflicts')" "bob's sync reports the conflict"
expect_eq 1 "$(jget "$OUT" '$.pulled')" "bob pulled alice's change"
expect_eq 1 "$(jget "$OUT" '$.pushed')" "bob pushed his change"
expect_eq 0 "$(jget "$OUT" '$.pending')" "bob has nothing left to push"
expect_rc 0 pc a sync --json
expect_eq 1 "$(jget "$OUT" '$.conflicts')" "alice's second sync reports the conflict"

# both values agree on both sides (the higher clock, bob's later edit)
VA=$(csql a "SELECT category FROM tickets WHERE ref = '$REF'")
VB=$(csql b "SELECT category FROM tickets WHERE ref = '$REF'")
expect_eq "$VA" "$VB" "the value in conflict is the same on both nodes"
expect_eq facilities "$VA" "the later edit holds the field meanwhile"

for n in a b; do
	expect_rc 0 pc $n show "$REF"
	expect_match "Conflict on category of $REF" "$OUT" "$n: show names the conflict"
	expect_match "1\) facilities  set by bob@B1 " "$OUT" "$n: show lists bob's value first"
	expect_match "2\) network  set by alice@A1 " "$OUT" "$n: show lists alice's value"
	expect_match "picket resolve-conflict $REF category N" "$OUT" "$n: show says how to choose"
	expect_rc 0 pc $n show "$REF" --json
	expect_eq 1 "$(jlen "$OUT" '$.conflicts')" "$n: show --json has one conflict"
	expect_eq category "$(jget "$OUT" '$.conflicts[0].field')" "$n: the conflict's field"
	expect_eq 2 "$(jlen "$OUT" '$.conflicts[0].values')" "$n: the conflict has two values"
	expect_eq "facilities bob B1 1" "$(jget "$OUT" '$.conflicts[0].values[0].value') $(jget "$OUT" '$.conflicts[0].values[0].actor') $(jget "$OUT" '$.conflicts[0].values[0].origin') $(jget "$OUT" '$.conflicts[0].values[0].current')" \
		"$n: first value, its author and node, current"
	expect_eq "network alice A1 0" "$(jget "$OUT" '$.conflicts[0].values[1].value') $(jget "$OUT" '$.conflicts[0].values[1].actor') $(jget "$OUT" '$.conflicts[0].values[1].origin') $(jget "$OUT" '$.conflicts[0].values[1].current')" \
		"$n: second value, its author and node, not current"
	expect_rc 0 pc $n conflicts
	expect_match "Conflict on category of $REF" "$OUT" "$n: picket conflicts lists it"
	expect_rc 0 pc $n conflicts "$REF" --json
	expect_eq 1 "$(jlen "$OUT" '$')" "$n: conflicts REF --json"
	expect_eq "$UUID" "$(jget "$OUT" '$[0].uuid')" "$n: conflicts --json names the ticket"
done
expect_eq "ticket|category" "$(srv_view_sql srv "SELECT entity || '|' || field FROM conflicts")" \
	"the server's view has the conflict too"

# carol was offline: she pulls both edits and sees the conflict as well
expect_rc 0 pc c sync --json
expect_eq 1 "$(jget "$OUT" '$.conflicts')" "carol sees the conflict after pulling"
expect_eq facilities "$(csql c "SELECT category FROM tickets WHERE ref = '$REF'")" "carol's value"

# --- resolving on one side ----------------------------------------------------------

expect_rc 2 pc b resolve-conflict "$REF" category 0
expect_rc 2 pc b resolve-conflict "$REF" category 3
expect_rc 3 pc b resolve-conflict "$REF" title 1
expect_match "no conflict on title" "$ERR" "resolving a field not in conflict"
expect_rc 0 pc b resolve-conflict "$REF" category 2
expect_match "category is now network" "$OUT" "resolve-conflict says what it kept"
expect_eq network "$(csql b "SELECT category FROM tickets WHERE ref = '$REF'")" \
	"bob's node holds the chosen value at once"
expect_rc 0 pc b conflicts
expect_eq "no conflicts" "$OUT" "bob's conflict is gone locally"
# a still has it until it syncs
expect_eq 1 "$(csql a "SELECT count(*) FROM conflicts")" "alice still has the conflict before syncing"

sync_ok b
for n in a c a2 b; do sync_ok $n; done
for n in a b c a2; do
	expect_eq network "$(csql $n "SELECT category FROM tickets WHERE ref = '$REF'")" \
		"$n: the chosen value"
	expect_eq 0 "$(csql $n "SELECT count(*) FROM conflicts")" "$n: no conflict record left"
	expect_rc 0 pc $n conflicts --json
	expect_eq 0 "$(jlen "$OUT" '$')" "$n: conflicts --json is empty"
	expect_rc 0 pc $n show "$REF"
	expect_nomatch "Conflict on" "$OUT" "$n: show has no conflict"
done
expect_eq 0 "$(srv_view_sql srv "SELECT count(*) FROM conflicts")" "the server's view has no conflict"
expect_same_db "$(cdb a)" "$(cdb b)" "alice and bob after the resolution"
expect_same_db "$(cdb a)" "$(cdb c)" "alice and carol after the resolution"
expect_same_db "$(cdb a)" "$(cdb a2)" "alice's two nodes after the resolution"

# --- not conflicts ------------------------------------------------------------------------

# the same person on two nodes: the later edit wins, silently
expect_rc 0 pc a set "$REF" service=mail
sleep 0.01
expect_rc 0 pc a2 set "$REF" service=web
for n in a a2 a b c; do sync_ok $n; done
for n in a a2 b c; do
	expect_eq web "$(csql $n "SELECT service FROM tickets WHERE ref = '$REF'")" \
		"$n: one person's later edit wins"
	expect_eq 0 "$(csql $n "SELECT count(*) FROM conflicts")" \
		"$n: one person on two nodes is no conflict"
done

# bob edits after seeing alice's value: a later edit, not a concurrent one
expect_rc 0 pc a set "$REF" priority=P2
sync_ok a
sync_ok b
expect_eq 2 "$(csql b "SELECT priority FROM tickets WHERE ref = '$REF'")" "bob sees P2"
expect_rc 0 pc b set "$REF" priority=P1
for n in b a c a2; do sync_ok $n; done
for n in a b c a2; do
	expect_eq 1 "$(csql $n "SELECT priority FROM tickets WHERE ref = '$REF'")" "$n: P1"
	expect_eq 0 "$(csql $n "SELECT count(*) FROM conflicts")" "$n: an edit after seeing is no conflict"
done

# clocks that disagree: alice's node runs a day ahead, carol's a year
# behind; an edit made after seeing the other's value still wins and is no
# conflict, whoever's clock is ahead (the hybrid clock moves past what it saw)
AHEAD=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
BEHIND=$(date -u -d '-1 year' +%Y-%m-%dT%H:%M:%SZ)
expect_rc 0 env PICKET_NOW="$AHEAD" PICKET_USER=alice "$PICKET" --db "$(cdb a)" \
	--config "$T/a/picket.conf" set "$REF" impact=2
sync_ok a
expect_rc 0 env PICKET_NOW="$BEHIND" PICKET_USER=carol "$PICKET" --db "$(cdb c)" \
	--config "$T/c/picket.conf" sync --quiet
expect_eq 2 "$(csql c "SELECT impact FROM tickets WHERE ref = '$REF'")" "carol sees impact 2"
expect_rc 0 env PICKET_NOW="$BEHIND" PICKET_USER=carol "$PICKET" --db "$(cdb c)" \
	--config "$T/c/picket.conf" set "$REF" impact=4
expect_rc 0 env PICKET_NOW="$BEHIND" PICKET_USER=carol "$PICKET" --db "$(cdb c)" \
	--config "$T/c/picket.conf" sync --quiet
for n in a b c a2; do sync_ok $n; done
for n in a b c a2; do
	expect_eq "4|0" "$(csql $n "SELECT impact || '|' || (SELECT count(*) FROM conflicts)
	  FROM tickets WHERE ref = '$REF'")" \
		"$n: a later edit from a node whose clock is behind wins, no conflict"
done

# different fields edited concurrently by different people merge cleanly
expect_rc 0 pc a set "$REF" ci=printer-7
expect_rc 0 pc c set "$REF" requester=dave
for n in a c a b; do sync_ok $n; done
for n in a b c; do
	expect_eq "printer-7|dave|0" "$(csql $n "SELECT ci || '|' || requester || '|' ||
	  (SELECT count(*) FROM conflicts) FROM tickets WHERE ref = '$REF'")" \
		"$n: different fields both kept"
done

# --- three people, one field -------------------------------------------------------

REF2=$(pc c new --title "VPN down")
for n in c a b; do sync_ok $n; done
expect_rc 0 pc a set "$REF2" assignee=alice
expect_rc 0 pc b set "$REF2" assignee=bob
expect_rc 0 pc c set "$REF2" assignee=carol
for n in a b c a b c; do sync_ok $n; done
for n in a b c; do
	expect_rc 0 pc $n show "$REF2" --json
	expect_eq 3 "$(jlen "$OUT" '$.conflicts[0].values')" "$n: three values in conflict"
	expect_eq carol "$(jget "$OUT" '$.assignee')" "$n: the latest value holds meanwhile"
done
expect_rc 0 pc a resolve-conflict "$REF2" assignee 3
expect_match "assignee is now alice" "$OUT" "alice keeps her own value (the oldest, number 3)"
for n in a b c a b c; do sync_ok $n; done
for n in a b c; do
	expect_eq "alice|0" "$(csql $n "SELECT assignee || '|' || (SELECT count(*) FROM conflicts)
	  FROM tickets WHERE ref = '$REF2'")" "$n: resolved to alice, no conflict left"
done
# keeping the value that holds already (number 1) is a decision too: it
# must reach every node and end the conflict there as well
expect_rc 0 pc a set "$REF2" urgency=1
expect_rc 0 pc b set "$REF2" urgency=2
for n in a b a b c; do sync_ok $n; done
for n in a b c; do
	expect_eq 1 "$(csql $n "SELECT count(*) FROM conflicts")" "$n: a new conflict on urgency"
done
expect_rc 0 pc c show "$REF2" --json
CUR=$(jget "$OUT" '$.conflicts[0].values[0].value')
expect_eq 1 "$(jget "$OUT" '$.conflicts[0].values[0].current')" "value 1 is the current one"
expect_rc 0 pc c resolve-conflict "$REF2" urgency 1
for n in c a b; do sync_ok $n; done
for n in a b c; do
	expect_eq "$CUR|0" "$(csql $n "SELECT urgency || '|' || (SELECT count(*) FROM conflicts)
	  FROM tickets WHERE ref = '$REF2'")" "$n: keeping the current value ends the conflict"
done

expect_same_db "$(cdb a)" "$(cdb b)" "alice and bob at the end"
expect_same_db "$(cdb a)" "$(cdb c)" "alice and carol at the end"
expect_eq "$(cevents a)" "$(srv_events srv)" "the server has every event once"

# two installations with the same node name: the second one's NODE-1 cannot
# be merged; picket says why instead of mixing up the two tickets
srv_adduser srv dave technician
client_new d1 srv dave SAME
client_new d2 srv dave SAME
expect_eq SAME-1 "$(pc d1 new --title "first SAME-1")" "d1's ticket"
expect_eq SAME-1 "$(pc d2 new --title "second SAME-1")" "d2's ticket"
sync_ok d1
expect_rc 4 pc d2 sync
expect_match "two installations use node name SAME" "$ERR" "the same node name twice: says so"
expect_eq "first SAME-1" "$(srv_view_sql srv "SELECT title FROM tickets WHERE ref = 'SAME-1'")" \
	"the server kept the first SAME-1"
expect_eq "second SAME-1" "$(csql d2 "SELECT title FROM tickets WHERE ref = 'SAME-1'")" \
	"the second installation kept its own ticket"

srv_stop srv
done_testing
