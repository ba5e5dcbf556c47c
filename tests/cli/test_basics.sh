# init, --version, --help, unknown commands, new, show, list, bare picket.
. "$TESTS_DIR/cli/lib.sh"

# --- no database yet --------------------------------------------------------
expect_rc 3 pk list
expect_match 'no database at .*picket init' "$ERR" "list without a database"
expect_eq no "$([ -e "$PICKET_DB" ] && echo yes || echo no)" "a read command creates no database"

# --- init: a new directory gets 0700, the file 0600, whatever the umask ------
export PICKET_DB="$T/new/sub/picket.db"
old_umask=$(umask)
umask 000
expect_rc 0 pk init
umask "$old_umask"
expect_eq "700 700 600" \
	"$(stat -c %a "$T/new" "$T/new/sub" "$PICKET_DB" | tr '\n' ' ' | sed 's/ $//')" \
	"modes of the new directories and the database"
expect_rc 0 pk init
expect_eq "picket database ready at $PICKET_DB (node LUX1)" "$OUT" "init message"
expect_eq "7" "$(sql 'PRAGMA user_version')" "schema version after init"
# a database of schema 1 (as an older picket left it) is migrated by the
# first command, even a read-only one
sql "DROP INDEX tickets_sla; DROP INDEX tickets_sla_next; DROP INDEX tickets_followup;
	DROP INDEX tickets_open;
	CREATE INDEX tickets_open ON tickets(priority, id) WHERE status NOT IN ('resolved', 'closed');
	ALTER TABLE tickets DROP COLUMN responded_at; ALTER TABLE tickets DROP COLUMN sla_due;
	ALTER TABLE tickets DROP COLUMN sla_next; ALTER TABLE tickets DROP COLUMN sla_response;
	ALTER TABLE tickets DROP COLUMN sla_resolve; ALTER TABLE tickets DROP COLUMN followup_at;
	DROP TABLE vendors; DROP TABLE escalations; DROP TABLE notifications;
	DROP TABLE oncall_overrides; DROP TABLE handover_notes;
	DROP INDEX oplog_field; DROP TABLE conflicts; DROP TRIGGER oplog_only_pushed;
	ALTER TABLE oplog DROP COLUMN base;
	DELETE FROM ticket_fts_config WHERE k = 'hashsize';
	PRAGMA writable_schema = ON;
	UPDATE sqlite_schema SET sql = replace(sql,
	  'kind = ''public'' OR kind = ''internal'' OR kind = ''worklog''',
	  'kind IN (''public'', ''internal'', ''worklog'')') WHERE name = 'comments';
	PRAGMA writable_schema = OFF;
	CREATE TRIGGER oplog_only_pushed BEFORE UPDATE OF
	  id, event_uuid, entity, entity_uuid, op, field, value, hlc, origin, actor, at
	  ON oplog BEGIN SELECT RAISE(ABORT, 'oplog is append-only'); END;
	PRAGMA user_version = 1"
expect_rc 0 pk list
expect_eq "7" "$(sql 'PRAGMA user_version')" "list migrated a schema 1 database"
expect_match "CHECK \(kind = 'public' OR kind = 'internal' OR kind = 'worklog'\)" \
	"$(sql "SELECT sql FROM sqlite_master WHERE name = 'comments'")" \
	"the migrations wrote the comments' CHECK as comparisons"
expect_eq "ok" "$(sql 'PRAGMA integrity_check')" "the migrated database is sound"
CHECKS=$((CHECKS + 1))
if sql "INSERT INTO comments(uuid, ticket_id, kind, author, body, created_at)
	VALUES ('c-bad', 1, 'bogus', 'a', 'b', 1)" 2>"$T/check.err"; then
	fail "a comment of an unknown kind was stored after the migration"
else
	grep -q 'CHECK constraint failed' "$T/check.err" ||
		fail "an unknown kind: $(cat "$T/check.err")"
fi
expect_eq "1" "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'tickets_sla'")" \
	"the migrations added the index"
expect_eq "16777216" "$(sql "SELECT v FROM ticket_fts_config WHERE k = 'hashsize'")" \
	"the migrations set the search index's memory"
expect_eq "0" "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'tickets_due'")" \
	"the migrations replaced the old index"
expect_match 'sla_due, status' "$(sql "SELECT sql FROM sqlite_master WHERE name = 'tickets_open'")" \
	"the migrations widened the open queue's index"
expect_eq "LUX1" "$(sql "SELECT value FROM meta WHERE key = 'node'")" "node recorded in meta"
expect_eq "2026-03-01T09:00:00Z" "$(sql "SELECT value FROM meta WHERE key = 'created_at'")" \
	"creation time recorded from the fixed clock"
expect_rc 0 pk init
expect_eq "0 0 0 0" "$(counts)" "init twice: still empty"

# an existing directory keeps its mode; the file is still 0600
mkdir -m 755 "$T/shared"
umask 000
expect_rc 0 env PICKET_DB="$T/shared/p.db" "$PICKET" init
umask "$old_umask"
expect_eq "755 600" "$(stat -c %a "$T/shared" "$T/shared/p.db" | tr '\n' ' ' | sed 's/ $//')" \
	"init leaves an existing directory alone, the file is 0600 even with umask 000"

# --- --version, --help, usage errors ----------------------------------------
expect_rc 0 pk --version
expect_match '^picket [0-9]+\.[0-9]+(\.[0-9]+)?' "$OUT" "--version"
expect_eq 1 "$(printf '%s\n' "$OUT" | wc -l)" "--version is one line"
expect_rc 0 pk --help
HELP=$OUT
expect_match '^usage: picket ' "$HELP" "--help on stdout"
expect_eq "" "$ERR" "--help writes nothing to stderr"
for c in init new list search show set assign take move comment resolve close reopen \
	history import export audit config; do
	expect_match "^  $c " "$HELP" "--help lists $c"
done
for c in new list show; do
	expect_rc 0 pk "$c" --help
	expect_match "^usage: picket $c" "$OUT" "$c --help"
done
expect_match 'Exit codes: 0 ok,.* 13 invalid query' "$(pk --help | tr '\n' ' ')" "--help lists the exit codes"
expect_rc 2 pk frobnicate
expect_match "unknown command 'frobnicate'" "$ERR" "unknown command message"
expect_eq "" "$OUT" "unknown command writes nothing to stdout"
expect_rc 2 pk --no-such-option
expect_rc 2 pk list --no-such-option
expect_rc 2 pk show
expect_rc 2 pk show LUX1-1 LUX1-2
expect_rc 2 pk new
expect_match 'needs --title' "$ERR" "new without --title"
expect_rc 2 pk new --title x --csv
expect_match 'no such output format' "$ERR" "new --csv"
expect_rc 2 pk list --limit -1
expect_rc 2 pk list --limit many

# --- new ---------------------------------------------------------------------
expect_rc 0 pk new --title "Printer on fire" --impact 1 --urgency 2 --body "smoke everywhere"
expect_eq "LUX1-1" "$OUT" "first ref"
expect_rc 0 pk new --title "Second ticket"
expect_eq "LUX1-2" "$OUT" "second ref"
expect_rc 0 pk new --title "Full" --type request --priority P2 --category hardware \
	--service mail --ci srv-01 --requester carol --assign bob --group desk \
	--class RESTRICTED --body - <<<"from stdin"
expect_eq "LUX1-3" "$OUT" "third ref"
expect_eq "3 0 3 3" "$(counts)" "three tickets, each with its history and oplog row"
expect_eq "incident|new|1|2|1|UNCLASSIFIED|smoke everywhere|||||||1772355600|1772355600" \
	"$(sql "SELECT type, status, impact, urgency, priority, classification, description,
	        category, service, ci, requester, assignee, group_name, created_at, updated_at
	        FROM tickets WHERE ref = 'LUX1-1'")" "LUX1-1 row: defaults, priority from the matrix"
expect_eq "incident|3|3|3|" \
	"$(sql "SELECT type, impact, urgency, priority, description FROM tickets WHERE ref = 'LUX1-2'")" \
	"LUX1-2 row: default type, impact, urgency; P3 from the matrix"
expect_eq "request|assigned|2|hardware|mail|srv-01|carol|bob|desk|RESTRICTED|from stdin" \
	"$(sql "SELECT type, status, priority, category, service, ci, requester, assignee,
	        group_name, classification, description FROM tickets WHERE ref = 'LUX1-3'")" \
	"LUX1-3 row: every option stored, --assign makes it assigned, one newline of stdin dropped"
expect_eq 2 "$(sql "SELECT count(DISTINCT uuid) FROM tickets WHERE ref IN ('LUX1-1','LUX1-2')")" \
	"distinct uuids"
expect_match '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
	"$(sql "SELECT uuid FROM tickets WHERE ref = 'LUX1-1'")" "uuid is a UUIDv7"
expect_rc 4 pk new --title "x" --impact 5
expect_rc 4 pk new --title "x" --type bogus
expect_rc 4 pk new --title "x" --priority P7
expect_rc 4 pk new --title "   "
expect_rc 4 pk new --title "x" --class NOPE
expect_eq "3 0 3 3" "$(counts)" "refused new commands wrote nothing"
expect_rc 0 pk new --title "Fourth" --json
expect_eq "LUX1-4" "$(jget "$OUT" '$.ref')" "new --json gives the ticket"
expect_eq "new" "$(jget "$OUT" '$.status')" "new --json status"

# --- show --------------------------------------------------------------------
uuid1=$(sql "SELECT uuid FROM tickets WHERE ref = 'LUX1-1'")
expect_rc 0 pk show LUX1-1
expect_eq "LUX1-1  Printer on fire

Type            incident
Status          new
Priority        P1 (impact 1, urgency 2)
Assignee        -
Group           -
Requester       -
Category        -
Service         -
CI              -
Classification  UNCLASSIFIED
Created         2026-03-01T09:00:00Z
Updated         2026-03-01T09:00:00Z
Response        due 2026-03-01T09:15:00Z (in 15m)
Resolution      due 2026-03-01T13:00:00Z (in 4h)
UUID            $uuid1

smoke everywhere

Timeline:
2026-03-01T09:00:00Z  alice  created LUX1-1" "$OUT" "show LUX1-1"
expect_rc 0 pk show 1
expect_match '^LUX1-1  Printer on fire' "$OUT" "show by number"
expect_rc 0 pk show "$uuid1"
expect_match '^LUX1-1  Printer on fire' "$OUT" "show by uuid"
expect_rc 0 pk show lux1-1
expect_match '^LUX1-1  ' "$OUT" "refs are case-insensitive"
expect_rc 3 pk show LUX1-99
expect_match 'no ticket LUX1-99' "$ERR" "show of a missing ticket"
expect_rc 3 pk show 99

expect_rc 0 pk show LUX1-3 --json
J=$OUT
expect_eq object "$(jtype "$J")" "show --json is one object"
for f in ref uuid type title description status priority impact urgency category service ci \
	requester assignee group classification vendor vendor_ref resolution created_at \
	updated_at resolved_at closed_at comments; do
	CHECKS=$((CHECKS + 1))
	[ -n "$(jtype "$J" "\$.$f")" ] || fail "show --json has no field '$f'"
done
vals=
for f in ref type title description status priority impact urgency category service ci \
	requester assignee group classification created_at updated_at; do
	vals="$vals|$(jget "$J" "\$.$f")"
done
expect_eq "|LUX1-3|request|Full|from stdin|assigned|P2|3|3|hardware|mail|srv-01|carol|bob|desk|RESTRICTED|2026-03-01T09:00:00Z|2026-03-01T09:00:00Z" \
	"$vals" "show --json values"
expect_eq "integer integer text null null array" \
	"$(jtype "$J" '$.impact') $(jtype "$J" '$.urgency') $(jtype "$J" '$.priority') $(jtype "$J" '$.resolved_at') $(jtype "$J" '$.vendor') $(jtype "$J" '$.comments')" \
	"show --json types"
expect_eq "$(sql "SELECT uuid FROM tickets WHERE ref = 'LUX1-3'")" "$(jget "$J" '$.uuid')" "show --json uuid"

# --- list --------------------------------------------------------------------
expect_rc 0 pk list
expect_eq "LUX1-1      P1  new               -          0s    Printer on fire
LUX1-3      P2  assigned          bob        0s    Full
LUX1-2      P3  new               -          0s    Second ticket
LUX1-4      P3  new               -          0s    Fourth" "$OUT" "list: priority then id, no header off a terminal"
expect_rc 0 pk list --limit 2
expect_eq 2 "$(printf '%s\n' "$OUT" | wc -l)" "list --limit 2"
expect_rc 0 pk list --json
expect_eq "LUX1-1 LUX1-3 LUX1-2 LUX1-4" \
	"$(jget "$OUT" '$[0].ref') $(jget "$OUT" '$[1].ref') $(jget "$OUT" '$[2].ref') $(jget "$OUT" '$[3].ref')" \
	"list --json: array in list order"
expect_eq "4" "$(printf '%s' "$OUT" >"$T/l.json"; sqlite3 :memory: "SELECT json_array_length(CAST(readfile('$T/l.json') AS TEXT))")" \
	"list --json length"
expect_eq "Printer on fire|P1|1|2" \
	"$(jget "$OUT" '$[0].title')|$(jget "$OUT" '$[0].priority')|$(jget "$OUT" '$[0].impact')|$(jget "$OUT" '$[0].urgency')" \
	"list --json fields"
expect_rc 0 pk list --csv
expect_eq "ref,uuid,type,title,status,priority,impact,urgency,category,service,ci,requester,assignee,group,classification,vendor,vendor_ref,created_at,updated_at,resolved_at,closed_at,followup" \
	"$(printf '%s\n' "$OUT" | head -1)" "list --csv header"
expect_eq 5 "$(printf '%s\n' "$OUT" | wc -l)" "list --csv: header and 4 rows"
expect_eq "LUX1-1,$uuid1,incident,Printer on fire,new,P1,1,2,,,,,,,UNCLASSIFIED,,,2026-03-01T09:00:00Z,2026-03-01T09:00:00Z,,," \
	"$(printf '%s\n' "$OUT" | sed -n 2p)" "list --csv row"
pk set LUX1-2 'title=Comma, and "quotes"' >/dev/null
expect_match '^LUX1-2,[^,]*,incident,"Comma, and ""quotes""",new,' "$(pk list --csv)" \
	"list --csv quotes a cell with a comma and doubles its quotes"
expect_rc 0 pk list status:closed
expect_eq "" "$OUT" "an empty listing prints nothing off a terminal"

# --- the bare command: counts and the open queue ------------------------------
pk take LUX1-4 >/dev/null
expect_rc 0 pk
expect_eq "picket  alice@LUX1  open 4 | mine 1 | unassigned 2 | P1/P2 2

LUX1-1      P1  new               -          0s    Printer on fire
LUX1-3      P2  assigned          bob        0s    Full
LUX1-2      P3  new               -          0s    Comma, and \"quotes\"
LUX1-4      P3  assigned          alice      0s    Fourth

More: picket list QUERY, picket show REF, picket --help" "$OUT" "bare picket"
# ages follow the fixed clock
expect_rc 0 env PICKET_NOW=2026-03-03T10:00:00Z "$PICKET" list priority:P1
expect_eq "LUX1-1      P1  new               -          2d    Printer on fire" "$OUT" \
	"age under a later clock"

# --- init --demo ---------------------------------------------------------------
expect_rc 4 pk init --demo
expect_match 'already holds 4 tickets' "$ERR" "demo data only into an empty database"
expect_eq 4 "$(sql 'SELECT count(*) FROM tickets')" "init --demo refused: nothing added"
export PICKET_DB="$T/demo.db"
expect_rc 0 pk init --demo
expect_match "^picket database ready at $T/demo.db" "$OUT" "init --demo message"
n=$(sql 'SELECT count(*) FROM tickets')
CHECKS=$((CHECKS + 1))
[ "$n" -ge 5 ] || fail "init --demo made only $n tickets"
expect_consistent "demo database"
expect_rc 0 pk audit verify

done_testing
