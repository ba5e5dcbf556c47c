# Full-text search: what it finds, how it ranks, --limit, and that the index
# follows every change.
. "$TESTS_DIR/cli/lib.sh"

pk init >/dev/null || fail "init"
pk new --title "Mail server slow" --body "Users report that the mail client hangs when \
they open large folders; the printer queue on the same host may be involved, or the \
antivirus, or the backup that runs at noon, nobody knows yet what else is going on" >/dev/null	# 1
pk new --title "Printer printer printer jammed" --body "printer on floor 3" >/dev/null	# 2
pk new --title "Badge reader broken" --type request >/dev/null	# 3
pk comment LUX1-3 "the printer next to the badge reader works" >/dev/null
pk new --title "Café résumé naïve" >/dev/null	# 4
pk new --title "Plain ticket" --body "nothing to see here" >/dev/null	# 5

# expect_hits "WANT" ARGS...: `picket search ARGS` exits 0 and prints these refs
expect_hits() {
	local want=$1 got rc
	shift
	"$PICKET" search "$@" >"$T/sout" 2>"$T/serr"
	rc=$?
	got=$(awk 'NF { printf "%s%s", sep, $1; sep = " " }' "$T/sout")
	expect_eq "$want" "$got" "search $*"
	[ "$rc" = 0 ] || fail "search $* exited $rc: $(cat "$T/serr")"
}

# what it finds: titles, descriptions, comments
expect_hits "LUX1-2 LUX1-3 LUX1-1" printer
expect_hits "LUX1-2" floor
expect_hits "LUX1-3" works
expect_hits "LUX1-1" antivirus
expect_hits "LUX1-2 LUX1-3 LUX1-1" PRINTER
expect_hits "LUX1-2 LUX1-3 LUX1-1" 'print*'
expect_hits "LUX1-2" '"printer jammed"'
expect_hits "LUX1-2" printer jammed
expect_hits "" zebra
expect_hits "LUX1-4" cafe
expect_hits "LUX1-4" resume
expect_hits "LUX1-4" naive
expect_hits "LUX1-4" café
# with query terms
expect_hits "LUX1-3" printer type:request
expect_hits "LUX1-2 LUX1-1" printer -- -badge
expect_hits "LUX1-1 LUX1-2 LUX1-3" printer sort:created

# ranking: the best match first, then by relevance
expect_hits "LUX1-2" printer --limit 1
expect_hits "LUX1-2 LUX1-3" printer --limit 2
pk new --title "Zebra crossing light out" >/dev/null	# 6: the word in a short title
PICKET_NOW=2026-03-01T09:05:00Z pk new --title "Street lights" --body "The lights along the road are out from the \
roundabout to the school; one of them is next to the zebra crossing, the others are \
further away along the river and near the old bridge by the station" >/dev/null	# 7
expect_hits "LUX1-6 LUX1-7" zebra
expect_hits "LUX1-7 LUX1-6" zebra sort:-created
expect_hits "LUX1-6 LUX1-7" zebra sort:rank

# --limit: default 50, any given number
{
	echo "title,description"
	for i in $(seq 1 60); do echo "Bulk ticket $i,routine bulkword"; done
} >"$T/bulk.csv"
pk import "$T/bulk.csv" >/dev/null || fail "import of 60 tickets"
"$PICKET" search bulkword >"$T/sout" || fail "search bulkword"
expect_eq 50 "$(wc -l <"$T/sout")" "search shows 50 by default"
"$PICKET" search bulkword --limit 55 >"$T/sout" || fail "search --limit 55"
expect_eq 55 "$(wc -l <"$T/sout")" "search --limit 55"
"$PICKET" search --limit 3 bulkword >"$T/sout" || fail "search --limit 3"
expect_eq 3 "$(wc -l <"$T/sout")" "search --limit before the words"
expect_hits "" bulkword --limit 0
expect_rc 2 pk search bulkword --limit x
expect_rc 2 pk search
expect_match '^usage: picket search' "$ERR" "search without words"

# output formats
expect_rc 0 pk search printer --json
expect_eq "LUX1-2|LUX1-3|LUX1-1|Printer printer printer jammed" \
	"$(jget "$OUT" '$[0].ref')|$(jget "$OUT" '$[1].ref')|$(jget "$OUT" '$[2].ref')|$(jget "$OUT" '$[0].title')" \
	"search --json in rank order"
expect_rc 0 pk search printer --csv
expect_eq "ref" "$(printf '%s\n' "$OUT" | head -1 | cut -d, -f1)" "search --csv header"
expect_eq "LUX1-2 LUX1-3 LUX1-1" "$(printf '%s\n' "$OUT" | sed 1d | cut -d, -f1 | tr '\n' ' ' | sed 's/ $//')" \
	"search --csv rows"

# the index follows changes: title, description, comments, import
pk set LUX1-3 "title=Badge reader replaced" >/dev/null
expect_hits "" broken
expect_hits "LUX1-3" replaced
pk set LUX1-5 "description=the fax machine smokes" >/dev/null
expect_hits "" nothing
expect_hits "LUX1-5" fax
pk comment LUX1-5 --internal "ordered a new toner cartridge" >/dev/null
expect_hits "LUX1-5" cartridge
expect_hits "LUX1-5" fax cartridge
pk comment LUX1-4 --worklog 10 "called the helpdesk about the cartridge" >/dev/null
expect_hits "LUX1-4 LUX1-5" cartridge sort:-priority,ref
printf '%s\n' '{"title":"Imported one","description":"kettle","comments":[{"body":"descaled the kettle"}]}' |
	pk import - --format jsonl >/dev/null || fail "jsonl import"
expect_hits "LUX1-68" descaled
# the index and the tickets agree
expect_eq "$(sql 'SELECT count(*) FROM tickets')" \
	"$(sql "SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH 'ticket OR printer OR zebra OR lights OR bulkword OR cafe OR fax OR mail OR kettle OR badge'")" \
	"every ticket is in the search index once"
expect_eq "ok" "$(sql "INSERT INTO ticket_fts(ticket_fts, rank) VALUES ('integrity-check', 1); SELECT 'ok'" 2>&1)" \
	"the search index matches its content"

done_testing
