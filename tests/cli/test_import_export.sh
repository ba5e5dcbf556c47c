# import (CSV, JSON lines; all or nothing) and export (JSON lines, --output
# written atomically); an export imported into a new database round-trips.
. "$TESTS_DIR/cli/lib.sh"

pk init >/dev/null || fail "init"

# --- CSV ---------------------------------------------------------------------
cat >"$T/good.csv" <<'EOF'
title,type,impact,urgency,group,assignee,description
Printer jam,incident,2,2,desk,,"paper, everywhere"
"Quoted ""title""",request,3,3,,bob,"two
lines"
Plain,,,,,,
EOF
expect_rc 0 pk import "$T/good.csv"
expect_eq "imported 3 tickets, 0 comments" "$OUT" "CSV import summary"
expect_eq "LUX1-1|Printer jam|incident|2|2|2|desk||paper, everywhere
LUX1-2|Quoted \"title\"|request|3|3|3||bob|two
lines
LUX1-3|Plain|incident|3|3|3|||" \
	"$(sql "SELECT ref, title, type, impact, urgency, priority, ifnull(group_name, ''),
	        ifnull(assignee, ''), description FROM tickets ORDER BY id")" \
	"CSV: quoted commas, doubled quotes, newlines, empty cells take the defaults"
expect_eq "3 0 3 3" "$(counts)" "CSV import: each ticket with its history and oplog row"
expect_consistent "after a CSV import"

# a bad row: its line number (a quoted newline counts), exit 4, nothing kept
printf 'title,description,impact\nfirst,a,1\nsecond,"two\nlines",2\nthird,b,7\nfourth,c,1\n' >"$T/bad.csv"
before=$(db_state)
expect_rc 4 pk import "$T/bad.csv"
expect_match '^picket: line 5: impact' "$ERR" "CSV: the bad row's line number"
expect_match 'nothing was imported' "$ERR" "CSV: says that nothing was imported"
expect_eq "" "$OUT" "failed import prints nothing on stdout"
expect_unchanged "$before" "failed CSV import"

# --- into an empty database: ZERO tickets afterwards -------------------------
export PICKET_DB="$T/empty.db"
pk init >/dev/null
{
	echo "title,description"
	for i in $(seq 1 300); do echo "Ticket $i,body $i"; done
	echo "Bad one,x,extra"
	echo "After,y"
} >"$T/long.csv"
expect_rc 4 pk import "$T/long.csv"
expect_match 'line 302: 3 fields where the header has 2' "$ERR" "CSV: field count error with its line"
expect_eq "0 0 0 0" "$(counts)" "failed CSV import into an empty database: zero tickets, history, oplog"
expect_eq "0" "$(sql 'SELECT count(*) FROM counters')" "failed import used no refs"
expect_eq "0" "$(sql "SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH 'body'")" \
	"failed import left nothing in the search index"
{
	for i in $(seq 1 300); do printf '{"title":"J%d","description":"jbody"}\n' "$i"; done
	echo '{"title":"bad","impact":0}'
} >"$T/long.jsonl"
expect_rc 4 pk import "$T/long.jsonl"
expect_match '^picket: line 301: impact' "$ERR" "JSONL: the bad line's number"
expect_eq "0 0 0 0" "$(counts)" "failed JSONL import of 301 lines: zero tickets"
expect_eq "0" "$(sql "SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH 'jbody'")" \
	"failed JSONL import left nothing in the search index"
expect_rc 0 pk new --title "first after the failures"
expect_eq "LUX1-1" "$OUT" "refs start at 1 after failed imports"
export PICKET_DB="$T/picket.db"

# more bad input, each refused whole
before=$(db_state)
printf 'title,colour\nx,red\n' >"$T/col.csv"
expect_rc 4 pk import "$T/col.csv"
expect_match "line 1: unknown column 'colour' in the header" "$ERR" "CSV: unknown column, found at the header"
printf 'title,title\nx,y\n' >"$T/dup.csv"
expect_rc 4 pk import "$T/dup.csv"
expect_match "line 1: column 'title' appears twice" "$ERR" "CSV: duplicate column"
printf 'title\nok\n"unterminated\n' >"$T/q.csv"
expect_rc 4 pk import "$T/q.csv"
expect_match 'line 3: unterminated quote' "$ERR" "CSV: unterminated quote"
printf 'title\nok\nx\0y\n' >"$T/nul.csv"
expect_rc 4 pk import "$T/nul.csv"
expect_match 'line 3: .*NUL' "$ERR" "CSV: NUL byte"
printf 'title,description\nok,"x\xffy"\n' >"$T/utf8.csv"
expect_rc 4 pk import "$T/utf8.csv"
expect_match 'line 2: description: invalid UTF-8' "$ERR" "CSV: invalid UTF-8"
printf 'title,ref\nx,LUX1-1\n' >"$T/ref.csv"
expect_rc 4 pk import "$T/ref.csv"
expect_match 'line 2: .*LUX1-1.*exists already' "$ERR" "CSV: a ref that exists"
printf '{"title":"ok"}\n\n{"title":"x","bogus":1}\n' >"$T/f.jsonl"
expect_rc 4 pk import "$T/f.jsonl"
expect_match "line 3: unknown field 'bogus'" "$ERR" "JSONL: unknown field (blank lines count)"
printf '{"title":"ok"}\n{"title":\n' >"$T/j.jsonl"
expect_rc 4 pk import "$T/j.jsonl"
expect_match 'line 2: invalid JSON' "$ERR" "JSONL: invalid JSON"
printf '{"title":"ok"}\n["title"]\n' >"$T/a.jsonl"
expect_rc 4 pk import "$T/a.jsonl"
expect_match 'line 2: .*object' "$ERR" "JSONL: not an object"
printf '{"title":"ok","comments":[{"body":"b","colour":1}]}\n' >"$T/c.jsonl"
expect_rc 4 pk import "$T/c.jsonl"
expect_match "line 1: unknown comment field 'colour'" "$ERR" "JSONL: unknown comment field"
printf '{"title":"a\\u0000b"}\n' >"$T/n.jsonl"
expect_rc 4 pk import "$T/n.jsonl"
expect_match 'line 1: .*NUL' "$ERR" "JSONL: an escaped NUL"
printf '{"title":"x","status":"nonsense"}\n' >"$T/s.jsonl"
expect_rc 4 pk import "$T/s.jsonl"
expect_unchanged "$before" "every refused import"
expect_rc 11 pk import "$T/no-such-file.csv"
expect_match 'cannot open' "$ERR" "import of a missing file"
expect_rc 2 pk import "$T/good.csv" --format xml
expect_rc 2 pk import
expect_unchanged "$before" "usage errors"

# --- JSON lines, comments, stdin ------------------------------------------------
cat >"$T/good.jsonl" <<'EOF'
{"title":"Disk full","impact":1,"urgency":1,"group":"storage","comments":[{"body":"cleaned /tmp","kind":"worklog","minutes":30,"author":"dave","created_at":"2026-02-01T10:00:00Z"},{"body":"public answer"}]}

{"title":"From JSON","type":"problem","priority":"P2","requester":"erin","description":"with \"quotes\" and \u00e9"}
EOF
n0=$(sql 'SELECT count(*) FROM tickets')
expect_rc 0 pk import - --json <"$T/good.jsonl"
expect_eq "2|2|3" "$(jget "$OUT" '$.tickets')|$(jget "$OUT" '$.comments')|$(jget "$OUT" '$.lines')" \
	"import --json summary (from stdin, format detected)"
expect_eq "$((n0 + 2))" "$(sql 'SELECT count(*) FROM tickets')" "two tickets from JSONL"
expect_eq "Disk full|1|storage
From JSON|2|" "$(sql "SELECT title, priority, ifnull(group_name, '') FROM tickets ORDER BY id DESC LIMIT 2" | sort)" \
	"JSONL fields"
expect_eq "with \"quotes\" and é|erin|problem" \
	"$(sql "SELECT description, requester, type FROM tickets WHERE title = 'From JSON'")" "JSONL escapes"
expect_eq "worklog|dave|30|1769940000|cleaned /tmp
public|alice|0|1772355600|public answer" \
	"$(sql "SELECT kind, author, minutes, created_at, body FROM comments ORDER BY id")" \
	"JSONL comments: kind, author, minutes and time kept; defaults otherwise"
expect_consistent "after a JSONL import"
printf 'title,group\nfrom stdin,ops\n' | pk import - >/dev/null || fail "CSV from stdin"
expect_eq "ops" "$(sql "SELECT group_name FROM tickets WHERE title = 'from stdin'")" "CSV detected on stdin"
printf '{"title":"forced"}\n' >"$T/forced.txt"
expect_rc 0 pk import "$T/forced.txt" --format jsonl
expect_eq 1 "$(sql "SELECT count(*) FROM tickets WHERE title = 'forced'")" "--format jsonl"

# --- export ------------------------------------------------------------------------
pk take LUX1-1 >/dev/null
pk comment LUX1-1 --internal "internal ünïcode note" >/dev/null
pk resolve LUX1-2 --resolution "done" >/dev/null
pk close LUX1-2 >/dev/null
PICKET_NOW=2026-03-02T08:00:00Z pk set LUX1-3 vendor=acme vendor_ref=V-9 classification=RESTRICTED >/dev/null
expect_rc 0 pk export
ntickets=$(sql 'SELECT count(*) FROM tickets')
expect_eq "$ntickets" "$(printf '%s\n' "$OUT" | wc -l)" "export: one line per ticket"
expect_eq "" "$ERR" "export to stdout is quiet"
line1=$(printf '%s\n' "$OUT" | head -1)
expect_eq "LUX1-1|assigned|alice|internal|internal ünïcode note" \
	"$(jget "$line1" '$.ref')|$(jget "$line1" '$.status')|$(jget "$line1" '$.assignee')|$(jget "$line1" '$.comments[0].kind')|$(jget "$line1" '$.comments[0].body')" \
	"export: the first ticket with its comment"
line4=$(printf '%s\n' "$OUT" | sed -n 4p)
expect_eq "LUX1-4|worklog|dave|30|2026-02-01T10:00:00Z|public" \
	"$(jget "$line4" '$.ref')|$(jget "$line4" '$.comments[0].kind')|$(jget "$line4" '$.comments[0].author')|$(jget "$line4" '$.comments[0].minutes')|$(jget "$line4" '$.comments[0].created_at')|$(jget "$line4" '$.comments[1].kind')" \
	"export: comments in order, with their fields"
expect_eq "" "$(printf '%s\n' "$OUT" | LC_ALL=C grep -n '[^ -~]')" "export is plain ASCII (\\u escapes)"
expect_rc 0 pk export status:closed
expect_eq "LUX1-2" "$(jget "$OUT" '$.ref')" "export with a query"
expect_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "export with a query: one ticket"
# shellcheck disable=SC2016
expect_rc 11 sh -c '"$PICKET" export >/dev/full'
expect_match 'No space left' "$ERR" "export to a full device fails with exit 11"

# --- round trip: export, import into a new database, export again ---------------------
expect_rc 0 pk export --output "$T/ex1.jsonl"
expect_eq "" "$OUT" "export --output: nothing on stdout"
expect_match "exported $ntickets tickets to $T/ex1.jsonl" "$ERR" "export --output reports the count"
export PICKET_DB="$T/copy.db"
pk init >/dev/null
expect_rc 0 pk import "$T/ex1.jsonl"
expect_match "^imported $ntickets tickets" "$OUT" "import of the export"
expect_rc 0 pk export --output "$T/ex2.jsonl"
CHECKS=$((CHECKS + 1))
cmp -s "$T/ex1.jsonl" "$T/ex2.jsonl" ||
	fail "export -> import -> export differs: $(diff "$T/ex1.jsonl" "$T/ex2.jsonl" | head -5)"
expect_eq "$(sqlite3 "$T/picket.db" 'SELECT uuid, ref, status, priority, resolution, created_at, updated_at, resolved_at, closed_at, classification, vendor FROM tickets ORDER BY id')" \
	"$(sql 'SELECT uuid, ref, status, priority, resolution, created_at, updated_at, resolved_at, closed_at, classification, vendor FROM tickets ORDER BY id')" \
	"the copy has the same rows"
expect_eq "$(sqlite3 "$T/picket.db" 'SELECT uuid, kind, author, body, minutes, created_at FROM comments ORDER BY uuid')" \
	"$(sql 'SELECT uuid, kind, author, body, minutes, created_at FROM comments ORDER BY uuid')" \
	"the copy has the same comments"
expect_rc 0 pk new --title "new in the copy"
expect_eq "LUX1-$((ntickets + 1))" "$OUT" "the copy's next ref follows the imported ones"
expect_consistent "the copy"
expect_rc 0 pk audit verify
expect_rc 4 pk import "$T/ex1.jsonl"
expect_match 'line 1: .*exists already' "$ERR" "importing the same export twice"
export PICKET_DB="$T/picket.db"

# the output of list --csv is an import file too
pk list --csv >"$T/list.csv" || fail "list --csv"
PICKET_DB="$T/fromcsv.db" "$PICKET" init >/dev/null
expect_rc 0 env PICKET_DB="$T/fromcsv.db" "$PICKET" import "$T/list.csv"
expect_match "^imported $ntickets tickets" "$OUT" "import of list --csv"
expect_eq "$(cat "$T/list.csv")" "$(PICKET_DB="$T/fromcsv.db" "$PICKET" list --csv)" \
	"list --csv -> import -> list --csv round-trips"

# --- export --output is atomic ----------------------------------------------------------
printf 'old contents\n' >"$T/out.jsonl"
ln "$T/out.jsonl" "$T/out-link.jsonl"
expect_rc 0 pk export --output "$T/out.jsonl"
expect_eq "$ntickets" "$(wc -l <"$T/out.jsonl")" "export --output replaced the file"
expect_eq "old contents" "$(cat "$T/out-link.jsonl")" \
	"the old file was replaced by a rename, not rewritten in place"
expect_eq "" "$(find "$T" -maxdepth 1 -name '*.tmp')" "no temporary file left behind"
sum=$(file_sum "$T/out.jsonl")
expect_rc 13 pk export status:bogus --output "$T/out.jsonl"
expect_eq "$sum" "$(file_sum "$T/out.jsonl")" "a failed export leaves the old file alone"
expect_rc 11 pk export --output "$T/no/such/dir/x.jsonl"
expect_eq "no" "$([ -e "$T/no" ] && echo yes || echo no)" "export into a missing directory creates nothing"
mkdir "$T/adir"
expect_rc 11 pk export --output "$T/adir"
expect_eq "" "$(find "$T" -maxdepth 1 -name '*.tmp')" "a failed rename leaves no temporary file"
# the temporary file is the export's own: a symlink planted at FILE.tmp is
# not followed (picket often runs as root on shared machines)
printf 'precious\n' >"$T/victim"
ln -s "$T/victim" "$T/trap.jsonl.tmp"
pk export --output "$T/trap.jsonl" 2>/dev/null
expect_eq "precious" "$(cat "$T/victim")" "export --output does not write through a symlink at FILE.tmp"
chmod 600 "$T/out.jsonl"
pk export --output "$T/out.jsonl" 2>/dev/null
expect_eq "600" "$(stat -c %a "$T/out.jsonl")" "export --output keeps the mode of the file it replaces"

done_testing
