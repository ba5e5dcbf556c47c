# The query language of `picket list` on a known data set, and its errors.
. "$TESTS_DIR/cli/lib.sh"

pk init >/dev/null || fail "init"
# created four weeks, four days, one day ago and now (the clock is 2026-03-01T09:00Z)
PICKET_NOW=2026-02-01T09:00:00Z pk new --title "Old disk full on db01" --type incident \
	--impact 1 --urgency 1 --group storage --body "the volume ran out of space" >/dev/null
PICKET_NOW=2026-02-25T09:00:00Z pk new --title "VPN drops every hour" --type incident \
	--impact 2 --urgency 2 --group network --assign alice >/dev/null
PICKET_NOW=2026-02-28T09:00:00Z pk new --title "New laptop for Bob" --type request \
	--group desk --assign bob --requester bob >/dev/null
pk new --title "Disk full again" --type problem --impact 2 --urgency 3 --group storage >/dev/null
pk new --title "Upgrade core switch" --type change --impact 4 --urgency 4 --group network \
	--body "needs a maintenance window" >/dev/null
pk new --title "Mail queue stuck" --type incident --impact 1 --urgency 3 --assign alice \
	--group mail --body "the disk of the relay is fine" >/dev/null
pk new --title "Backup rotation" --type request --group storage \
	--body "the tape is full, the disk is slow" >/dev/null
pk comment LUX1-3 "the docking station is missing" >/dev/null
pk resolve LUX1-2 --resolution "replaced the router" >/dev/null
expect_eq "1:1:incident:new
2:2:incident:resolved
3:3:request:assigned
4:3:problem:new
5:4:change:new
6:2:incident:assigned
7:3:request:new" "$(sql "SELECT id || ':' || priority || ':' || type || ':' || status FROM tickets ORDER BY id")" \
	"the data set"

# expect_refs "WANT" QUERY...: `picket list QUERY...` exits 0 and prints
# these refs, in this order
expect_refs() {
	local want=$1 got rc
	shift
	"$PICKET" list "$@" >"$T/qout" 2>"$T/qerr"
	rc=$?
	got=$(awk 'NF { printf "%s%s", sep, $1; sep = " " }' "$T/qout")
	expect_eq "$want" "$got" "list $*"
	[ "$rc" = 0 ] || fail "list $* exited $rc: $(cat "$T/qerr")"
}

expect_refs "LUX1-1 LUX1-2 LUX1-6 LUX1-3 LUX1-4 LUX1-7 LUX1-5"	# all, priority then id
expect_refs "LUX1-1 LUX1-6 LUX1-3 LUX1-4 LUX1-7 LUX1-5" status:open
expect_refs "LUX1-2" status:resolved
expect_refs "LUX1-6 LUX1-3" status:assigned
expect_refs "LUX1-1 LUX1-4 LUX1-7 LUX1-5" status:new
expect_refs "LUX1-6 LUX1-3" -- status:assigned,resolved -status:resolved
expect_refs "LUX1-1 LUX1-2 LUX1-6" 'priority:<=P2'
expect_refs "LUX1-1 LUX1-2 LUX1-6" 'priority:<P3'
expect_refs "LUX1-5" 'priority:>P3'
expect_refs "LUX1-3 LUX1-4 LUX1-7 LUX1-5" 'priority:>=P3'
expect_refs "LUX1-1 LUX1-5" priority:P1,P4
expect_refs "LUX1-1 LUX1-6" status:open 'priority:<=P2'
expect_refs "LUX1-1 LUX1-6" impact:1
expect_refs "LUX1-2 LUX1-6" assignee:me
expect_refs "LUX1-2" assignee:me status:resolved
expect_refs "LUX1-3" assignee:bob
expect_refs "LUX1-1 LUX1-4 LUX1-7 LUX1-5" assignee:none
expect_refs "LUX1-3" requester:bob
expect_refs "LUX1-3 LUX1-7" type:request
expect_refs "LUX1-1 LUX1-2 LUX1-6 LUX1-4" type:incident,problem
expect_refs "LUX1-2 LUX1-5" group:network
expect_refs "LUX1-1 LUX1-4 LUX1-7" group:storage
expect_refs "LUX1-1 LUX1-6 LUX1-3 LUX1-4 LUX1-7" -- -group:network
expect_refs "LUX1-1 LUX1-6 LUX1-3 LUX1-4 LUX1-7" -group:network
expect_refs "LUX1-1 LUX1-4 LUX1-7 LUX1-5" status:open -assignee:alice -assignee:bob
expect_refs "LUX1-1 LUX1-4 LUX1-7" 'group:stor*'
expect_refs "LUX1-2 LUX1-6 LUX1-3 LUX1-4 LUX1-7 LUX1-5" 'created:>-7d'
expect_refs "LUX1-2 LUX1-6 LUX1-3 LUX1-4 LUX1-7 LUX1-5" created:-7d
expect_refs "LUX1-6 LUX1-3 LUX1-4 LUX1-7 LUX1-5" 'created:>-2d'
expect_refs "LUX1-1" 'created:<-7d'
expect_refs "LUX1-2" created:2026-02-25
expect_refs "LUX1-1 LUX1-2" 'created:<=2026-02-25'
expect_refs "LUX1-6 LUX1-3 LUX1-4 LUX1-7 LUX1-5" 'created:>2026-02-25'
expect_refs "LUX1-6 LUX1-4 LUX1-7 LUX1-5" created:today
expect_refs "LUX1-3" created:yesterday
expect_refs "LUX1-2" resolved:today
expect_refs "LUX1-1" ref:LUX1-1
# text: words anywhere (title, description, comments), phrases in order
expect_refs "LUX1-7 LUX1-6 LUX1-4 LUX1-1" disk
expect_refs "LUX1-7 LUX1-4 LUX1-1" disk full
expect_refs "LUX1-4 LUX1-1" '"disk full"'
expect_refs "LUX1-4 LUX1-1" 'title:disk'
expect_refs "LUX1-3" docking
expect_refs "LUX1-3" 'comments:docking'
expect_refs "" 'title:docking'
expect_refs "LUX1-1" space
expect_refs "LUX1-7 LUX1-6 LUX1-4" disk status:open -- -space
expect_refs "LUX1-1 LUX1-4 LUX1-7" 'disk group:storage sort:-priority'
expect_refs "" zebra
# sort
expect_refs "LUX1-1 LUX1-2 LUX1-6 LUX1-3 LUX1-4 LUX1-7 LUX1-5" sort:-priority
expect_refs "LUX1-5 LUX1-3 LUX1-4 LUX1-7 LUX1-2 LUX1-6 LUX1-1" sort:priority
expect_refs "LUX1-4 LUX1-5 LUX1-6 LUX1-7 LUX1-3 LUX1-2 LUX1-1" sort:-created
expect_refs "LUX1-1 LUX1-2 LUX1-3 LUX1-4 LUX1-5 LUX1-6 LUX1-7" sort:created
expect_refs "LUX1-1 LUX1-6 LUX1-3 LUX1-4 LUX1-7 LUX1-5" status:open sort:-priority,created
expect_refs "LUX1-4 LUX1-5 LUX1-6 LUX1-7 LUX1-3 LUX1-2 LUX1-1" sort:-created,ref
expect_refs "LUX1-1 LUX1-4" status:open group:storage type:incident,problem sort:-priority
# --limit applies after sorting
expect_refs "LUX1-1 LUX1-6" status:open --limit 2
expect_refs "" status:open --limit 0
# the query may be one argument or several
expect_refs "LUX1-1 LUX1-6" "status:open priority:<=P2"
# --json and --csv take the same query
expect_rc 0 pk list --json status:open 'priority:<=P2'
expect_eq "LUX1-1 LUX1-6 " "$(jget "$OUT" '$[0].ref') $(jget "$OUT" '$[1].ref') $(jget "$OUT" '$[2].ref')" \
	"list --json with a query"
expect_rc 0 pk list --csv type:change
expect_match '^LUX1-5,' "$(printf '%s\n' "$OUT" | sed -n 2p)" "list --csv with a query"

# --- bad queries: exit 13, the token named, a caret under it ------------------
# expect_caret COLUMN MESSAGE-REGEX QUERY: the query's error points at COLUMN
# (1-based, in characters as a terminal shows them)
expect_caret() {
	local col=$1 msg=$2 query=$3
	expect_rc 13 pk list -- "$query"
	expect_eq "" "$OUT" "bad query $query: nothing on stdout"
	expect_match "^picket: .*$msg" "$(printf '%s\n' "$ERR" | sed -n 1p)" "bad query $query: message"
	expect_eq "  $query" "$(printf '%s\n' "$ERR" | sed -n 2p)" "bad query $query: the query is echoed"
	expect_eq "  $(printf "%$((col - 1))s" '')^" "$(printf '%s\n' "$ERR" | sed -n 3p)" \
		"bad query $query: caret under column $col"
	expect_eq 3 "$(printf '%s\n' "$ERR" | wc -l)" "bad query $query: three lines on stderr"
}
expect_caret 1 "unknown field 'bogus'" 'bogus:1'
expect_caret 13 "unknown field 'colour'" 'status:open colour:red'
expect_caret 8 "unknown status 'nope'" 'status:nope'
expect_caret 13 "unknown status 'nope'" 'status:open,nope'
expect_caret 14 "unknown status 'nope'" 'disk  status:nope'
expect_caret 10 "'P9' is not a priority" 'priority:P9'
expect_caret 10 "'<=P7' is not a priority" 'priority:<=P7'
expect_caret 8 "'P1' is not a level from 1 to 4" 'impact:P1'
expect_caret 5 'unterminated quote' 'foo "bar'
expect_caret 6 "cannot sort by 'zzz'" 'sort:zzz'
expect_caret 15 "cannot sort by 'zzz'" 'sort:priority,zzz'
expect_caret 6 "'sort:' needs a field to sort by" 'sort:,'
expect_caret 9 "'xx' is not a date" 'created:xx'
expect_caret 6 "unknown type 'bug'" 'type:bug,incident'
expect_caret 15 "unknown type 'bug'" 'type:incident,bug'
expect_caret 1 "'status:' needs a value" 'status:'
expect_caret 13 "empty value" 'status:open,'
expect_caret 1 "'sort' cannot be negated" '-sort:priority'
expect_caret 1 'sort:rank needs words' 'sort:rank'
expect_caret 7 "unknown classification level 'SECRETISH'" 'class:SECRETISH'
# several arguments are one query: the column counts from the first
expect_rc 13 pk list status:open bogus:1
expect_eq "  status:open bogus:1" "$(printf '%s\n' "$ERR" | sed -n 2p)" "query of several arguments echoed"
expect_eq "              ^" "$(printf '%s\n' "$ERR" | sed -n 3p)" "caret in a query of several arguments"
# a multi-byte character before the token is one column on the terminal
expect_caret 13 "unknown status 'nope'" 'café status:nope'
expect_caret 8 "unknown field 'bogus'" 'naïve→ bogus:1'
# a bad query is refused by search and export too
expect_rc 13 pk search disk status:nope
expect_rc 13 pk export status:nope
expect_eq "" "$OUT" "export of a bad query writes nothing"

done_testing
