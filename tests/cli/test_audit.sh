# audit verify: the hash chain of the history holds on an intact database
# and breaks, naming the first bad entry, after any tampering.
. "$TESTS_DIR/cli/lib.sh"

pk init >/dev/null || fail "init"
expect_rc 0 pk audit verify
expect_eq "history intact: 0 entries verified" "$OUT" "an empty history verifies"

pk new --title "First" >/dev/null		# history 1
pk take LUX1-1 >/dev/null			# 2 status, 3 assignee
pk comment LUX1-1 "a comment" >/dev/null	# 4
pk new --title "Second" >/dev/null		# 5
pk set LUX1-2 impact=1 urgency=1 >/dev/null	# 6, 7, 8
pk resolve LUX1-1 --resolution "done" >/dev/null	# 9, 10, 11
n=$(sql 'SELECT count(*) FROM history')
expect_eq 11 "$n" "eleven history entries"
expect_eq "1|11|11" "$(sql 'SELECT min(id), max(id), count(DISTINCT hash) FROM history')" \
	"history ids 1..11, each with its own hash"
expect_eq 32 "$(sql 'SELECT min(length(hash)) FROM history')" "hashes are 32 bytes"

expect_rc 0 pk audit verify
expect_eq "history intact: 11 entries verified" "$OUT" "audit verify on an intact database"
expect_rc 0 pk audit verify --json
expect_eq "true|11|null" "$(jtype "$OUT" '$.intact')|$(jget "$OUT" '$.checked')|$(jtype "$OUT" '$.first_bad')" \
	"audit verify --json on an intact database"
expect_rc 2 pk audit
expect_rc 2 pk audit check

# the history and the oplog refuse edits while their triggers stand
state=$(db_state)
expect_match 'append-only' "$(sql "UPDATE history SET actor = 'mallory' WHERE id = 2" 2>&1)" \
	"history refuses UPDATE"
expect_match 'append-only' "$(sql "DELETE FROM history WHERE id = 2" 2>&1)" "history refuses DELETE"
expect_match 'append-only' "$(sql "DELETE FROM oplog WHERE id = 2" 2>&1)" "oplog refuses DELETE"
expect_match 'append-only' "$(sql "UPDATE oplog SET value = '1' WHERE id = 2" 2>&1)" "oplog refuses UPDATE"
expect_rc 0 pk audit verify

# tampered copies; each: exit 12, the first broken entry named
# tamper NAME SQL: a copy of the database with SQL applied
tamper() {
	cp "$PICKET_DB" "$T/$1.db"
	[ -e "$PICKET_DB-wal" ] && cp "$PICKET_DB-wal" "$T/$1.db-wal"
	sqlite3 "$T/$1.db" "$2" || fail "tampering $1"
}
# expect_broken NAME ID [json]: audit of copy NAME fails at entry ID (checked
# with --json too if asked)
expect_broken() {
	local sum
	sum=$(file_sum "$T/$1.db")
	expect_rc 12 pk --db "$T/$1.db" audit verify
	expect_match "^picket: history entry $2 is broken" "$ERR" "$1: the first broken entry is named"
	expect_eq "" "$OUT" "$1: nothing on stdout"
	if [ "${3:-}" = json ]; then
		expect_rc 12 pk --db "$T/$1.db" audit verify --json
		expect_eq "false|$2|$(($2 - 1))" "$(jtype "$OUT" '$.intact')|$(jget "$OUT" '$.first_bad')|$(jget "$OUT" '$.checked')" \
			"$1: audit verify --json"
	fi
	expect_eq "$sum" "$(file_sum "$T/$1.db")" "$1: audit verify does not write"
}
tamper new_value "DROP TRIGGER history_no_update; UPDATE history SET new_value = 'mallory' WHERE id = 3"
expect_broken new_value 3 json
tamper actor "DROP TRIGGER history_no_update; UPDATE history SET actor = 'mallory' WHERE id = 6"
expect_broken actor 6
tamper at "DROP TRIGGER history_no_update; UPDATE history SET at = at - 3600 WHERE id = 9"
expect_broken at 9
tamper old_null "DROP TRIGGER history_no_update; UPDATE history SET old_value = NULL WHERE id = 2"
expect_broken old_null 2
tamper empty_old "DROP TRIGGER history_no_update; UPDATE history SET old_value = '' WHERE id = 3"
expect_broken empty_old 3
tamper first "DROP TRIGGER history_no_update; UPDATE history SET entity_uuid = 'x' WHERE id = 1"
expect_broken first 1
tamper last "DROP TRIGGER history_no_update; UPDATE history SET field = 'title' WHERE id = 11"
expect_broken last 11
tamper hash "DROP TRIGGER history_no_update; UPDATE history SET hash = zeroblob(32) WHERE id = 5"
expect_broken hash 5
tamper swap "DROP TRIGGER history_no_update;
	UPDATE history SET id = 100 WHERE id = 6; UPDATE history SET id = 6 WHERE id = 7;
	UPDATE history SET id = 7 WHERE id = 100"
expect_broken swap 6 json
tamper forged "INSERT INTO history(id, at, actor, entity, entity_uuid, field, old_value, new_value, hash)
	SELECT 12, at, actor, entity, entity_uuid, 'status', 'resolved', 'closed', hash FROM history WHERE id = 11"
expect_broken forged 12 json

# removals: the entry that is missing is named
tamper deleted "DROP TRIGGER history_no_delete; DELETE FROM history WHERE id = 4"
expect_rc 12 pk --db "$T/deleted.db" audit verify
expect_match '^picket: history entry [0-9]+ is broken: .*\b4\b.*missing|entry 4 is (broken|missing)' "$ERR" \
	"a deleted entry in the middle is named"
tamper deleted_first "DROP TRIGGER history_no_delete; DELETE FROM history WHERE id = 1"
expect_rc 12 pk --db "$T/deleted_first.db" audit verify
expect_match '\b1\b' "$ERR" "a deleted first entry is named"
# dropping the newest entries leaves an unbroken chain behind: the audit must
# still notice (the oplog, the tickets and the head of the chain disagree)
tamper truncated "DROP TRIGGER history_no_delete; DELETE FROM history WHERE id >= 10"
expect_rc 12 pk --db "$T/truncated.db" audit verify
expect_match '\b10\b' "$ERR" "truncated history: the first missing entry is named"
# ...and a new change on top of the truncated history must not hide it
PICKET_DB="$T/truncated.db" "$PICKET" comment LUX1-2 "covering the tracks" >/dev/null 2>&1
expect_rc 12 pk --db "$T/truncated.db" audit verify

# the original was never touched
expect_unchanged "$state" "the real database, by the tampering of copies"
expect_rc 0 pk audit verify

# a longer history verifies quickly
for i in $(seq 1 40); do echo "{\"title\":\"Bulk $i\",\"comments\":[{\"body\":\"c$i\"}]}"; done >"$T/bulk.jsonl"
pk import "$T/bulk.jsonl" >/dev/null || fail "bulk import"
for i in $(seq 1 5); do pk set "LUX1-$((i + 2))" "group=g$i" >/dev/null; done
expect_rc 0 pk audit verify
expect_eq "history intact: $(sql 'SELECT count(*) FROM history') entries verified" "$OUT" \
	"every entry verified after imports and edits"
expect_eq "$(sql 'SELECT count(*) FROM history')" "$(sql 'SELECT count(*) FROM oplog')" \
	"one oplog event for each history entry"

done_testing
