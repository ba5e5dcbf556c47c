# Bad input of every kind: fields, transitions, bytes, sizes, databases,
# configuration, classification, locks and terminal escapes.  Each is
# refused with its own exit code and a clear message, and writes nothing.
. "$TESTS_DIR/cli/lib.sh"

pk init >/dev/null || fail "init"
pk new --title "A good ticket" --body "fine" >/dev/null	# LUX1-1
pk take LUX1-1 >/dev/null

# --- unknown fields and refused transitions ---------------------------------
before=$(db_state)
expect_rc 4 pk set LUX1-1 colour=red
expect_match "^picket: unknown field 'colour' \(fields: type title" "$ERR" "unknown field is named"
expect_rc 4 pk set LUX1-1 title=ok colour=red
expect_rc 5 pk move LUX1-1 closed
expect_match 'cannot move from assigned to closed' "$ERR" "refused transition message"
expect_rc 5 pk reopen LUX1-1
expect_rc 4 pk move LUX1-1 nowhere
expect_rc 3 pk set LUX1-404 title=x
expect_match 'no ticket LUX1-404' "$ERR" "missing ticket named"
expect_rc 3 pk show NOPE-1
expect_rc 3 pk show 01a205d6-0000-7000-8000-000000000000
expect_unchanged "$before" "unknown fields and refused transitions"

# --- bytes that are not text ---------------------------------------------------
expect_rc 4 pk new --title "$(printf 'bad \xff byte')"
expect_match '^picket: title: invalid UTF-8.* 5' "$ERR" "invalid UTF-8 in --title: field and position"
expect_rc 4 pk new --title "$(printf '\xc0\xaf overlong')"
expect_rc 4 pk new --title "$(printf '\xed\xa0\x80 surrogate')"
expect_rc 4 pk new --title "$(printf 'cut \xe2\x82')"
expect_rc 4 pk new --title ok --body "$(printf 'x\xfey')"
expect_match 'description: invalid UTF-8' "$ERR" "invalid UTF-8 in --body"
expect_rc 4 pk new --title ok --group "$(printf '\xff')"
expect_rc 4 pk set LUX1-1 "title=$(printf '\xff')"
expect_rc 4 pk comment LUX1-1 "$(printf 'x\xff')"
expect_match 'comment: invalid UTF-8' "$ERR" "invalid UTF-8 in a comment"
printf 'ab\xff\n' >"$T/bad-utf8.txt"
expect_rc 4 pk comment LUX1-1 - <"$T/bad-utf8.txt"
expect_rc 4 pk new --title ok --body - <"$T/bad-utf8.txt"
expect_rc 4 pk new --title "two
lines"
expect_match 'single line' "$ERR" "a title is one line"
expect_rc 4 pk new --title ok --group "$(printf 'a\tb')"
expect_match 'control characters' "$ERR" "control characters in a short field"
printf 'before\0after' >"$T/nul.txt"
expect_rc 4 pk new --title "NUL body" --body - <"$T/nul.txt"
expect_match 'NUL' "$ERR" "NUL byte in --body - is named"
expect_rc 4 pk comment LUX1-1 - <"$T/nul.txt"
expect_match 'NUL' "$ERR" "NUL byte in a comment from stdin"
expect_rc 4 pk move LUX1-1 in_progress --note - <"$T/nul.txt"
expect_rc 4 pk resolve LUX1-1 --resolution - <"$T/nul.txt"
expect_unchanged "$before" "invalid bytes"

# --- sizes ---------------------------------------------------------------------
head -c 10485760 /dev/zero | tr '\0' 'a' >"$T/10mb.txt"
t0=$(now_ms)
expect_rc 4 pk new --title "Huge" --body - <"$T/10mb.txt"
t1=$(now_ms)
expect_match 'description.*10485760.*1048576' "$ERR" \
	"a 10 MB description: clear message with the size and the limit"
expect_eq "" "$OUT" "a refused ticket prints no ref"
CHECKS=$((CHECKS + 1))
[ $((t1 - t0)) -lt 10000 ] || fail "a 10 MB description took $((t1 - t0)) ms to refuse"
expect_rc 4 pk comment LUX1-1 - <"$T/10mb.txt"
head -c 20000000 /dev/zero | tr '\0' 'b' >"$T/20mb.txt"
expect_rc 4 pk new --title "Huger" --body - <"$T/20mb.txt"
expect_match 'standard input.*1048576' "$ERR" "stdin far above the limit is refused while reading, with the limit"
expect_rc 4 pk new --title "$(head -c 501 "$T/10mb.txt")"
expect_match 'title.*501.*500' "$ERR" "title length limit"
expect_rc 4 pk new --title ok --group "$(head -c 201 "$T/10mb.txt")"
expect_unchanged "$before" "oversized input"
expect_rc 0 pk new --title "$(head -c 500 "$T/10mb.txt")" --body - < <(head -c 1048576 "$T/10mb.txt")
expect_eq "500|1048576" "$(sql "SELECT length(title), length(description) FROM tickets WHERE ref = '$OUT'")" \
	"exactly at the limits is accepted"
before=$(db_state)

# --- databases that cannot be used ------------------------------------------------
# one of ours that others may read: refused, and left as it was
cp "$PICKET_DB" "$T/open.db"
chmod 644 "$T/open.db"
sum=$(file_sum "$T/open.db")
for cmd in list "new --title x"; do
	# shellcheck disable=SC2086
	expect_rc 9 pk --db "$T/open.db" $cmd
	expect_match "open.db may be read by group or others \(mode 0644\); make it private: chmod 600" \
		"$ERR" "a database others may read: $cmd"
done
expect_eq "$sum" "$(file_sum "$T/open.db")" "the readable database is left as it was"
chmod 600 "$T/open.db"
expect_rc 0 pk --db "$T/open.db" list
# garbage
head -c 8192 /dev/urandom >"$T/garbage.db"
sum=$(file_sum "$T/garbage.db")
for cmd in list "show LUX1-1" "new --title x" "audit verify"; do
	# shellcheck disable=SC2086
	expect_rc 7 pk --db "$T/garbage.db" $cmd
	expect_match 'garbage.db.*(corrupt|not a picket)' "$ERR" "garbage database: $cmd"
done
expect_eq "$sum" "$(file_sum "$T/garbage.db")" "the garbage file is left as it was"
expect_eq "" "$(find "$T" -maxdepth 1 -name 'garbage.db-*')" "no -wal or -shm next to the garbage"
# text
yes 'this is not a database' | head -c 65536 >"$T/text.db"
expect_rc 7 pk --db "$T/text.db" list
# a picket database with its pages overwritten
cp "$PICKET_DB" "$T/broken.db"
sqlite3 "$T/broken.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
size=$(stat -c %s "$T/broken.db")
dd if=/dev/urandom of="$T/broken.db" bs=4096 seek=1 count=$((size / 4096 - 1)) conv=notrunc 2>/dev/null
expect_rc 7 pk --db "$T/broken.db" list
expect_rc 7 pk --db "$T/broken.db" new --title x
expect_match 'corrupt' "$ERR" "a corrupt picket database says so"
# a directory
mkdir "$T/dir.db"
expect_rc 7 pk --db "$T/dir.db" list
expect_match 'is a directory' "$ERR" "a directory as database"
# a symbolic link in place of the database
ln -s "$PICKET_DB" "$T/link.db"
expect_rc 7 pk --db "$T/link.db" new --title "through a link"
expect_match 'symbolic link' "$ERR" "a symlinked database is refused"
# an SQLite database of someone else
sqlite3 "$T/other.db" 'CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts(name) VALUES ("x")'
sum=$(file_sum "$T/other.db")
expect_rc 7 pk --db "$T/other.db" list
expect_match 'other.db.*not a picket' "$ERR" "not a picket database"
expect_rc 7 pk --db "$T/other.db" new --title x
expect_rc 7 pk --db "$T/other.db" init
expect_eq "$sum" "$(file_sum "$T/other.db")" "the other application's database is left alone"
expect_eq "accounts" "$(sqlite3 "$T/other.db" "SELECT group_concat(name) FROM sqlite_master")" \
	"no picket tables added to the other database"
# a schema newer than this picket
cp "$PICKET_DB" "$T/future.db"
sqlite3 "$T/future.db" 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA user_version = 99' >/dev/null
sum=$(file_sum "$T/future.db")
expect_rc 8 pk --db "$T/future.db" list
expect_match 'version 99.* 7\b' "$ERR" "schema too new: both versions named"
expect_rc 8 pk --db "$T/future.db" new --title x
expect_rc 8 pk --db "$T/future.db" init
expect_eq "$sum" "$(file_sum "$T/future.db")" "a newer database is left alone"

# read-only: root ignores file modes, so the test runs picket as nobody
mkdir "$T/ro"
cp "$PICKET_DB" "$T/ro/picket.db"
sqlite3 "$T/ro/picket.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
rm -f "$T/ro/picket.db-wal" "$T/ro/picket.db-shm"
cp "$PICKET_CONFIG" "$T/ro/picket.conf"
cp "$PICKET" "$T/ro/picket"	# the build tree may be private to root
chmod 755 "$T/ro/picket"
chmod 644 "$T/ro/picket.db" "$T/ro/picket.conf"
chmod 755 "$T/ro"
chmod 711 "$T"
sum=$(file_sum "$T/ro/picket.db")
as_other() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			env PICKET_DB="$T/ro/picket.db" PICKET_CONFIG="$T/ro/picket.conf" HOME="$T/ro" "$@"
	else
		env PICKET_DB="$T/ro/picket.db" PICKET_CONFIG="$T/ro/picket.conf" "$@"
	fi
}
if [ "$(id -u)" = 0 ]; then
	need setpriv
	CHECKS=$((CHECKS + 1))
	as_other sh -c "test ! -w '$T/ro/picket.db' && test -r '$T/ro/picket.db'" ||
		fail "setpriv did not give a user who can read but not write the copy"
else
	chmod 444 "$T/ro/picket.db"
fi
expect_rc 7 as_other "$T/ro/picket" new --title "written?"
expect_match 'read-only' "$ERR" "read-only database: new says so"
expect_rc 7 as_other "$T/ro/picket" set LUX1-1 title=changed
expect_rc 7 as_other "$T/ro/picket" comment LUX1-1 "a note"
expect_rc 7 as_other "$T/ro/picket" import "$T/ro/picket.conf"
# ...but reading works, as from read-only media: the directory is not
# writable either, so SQLite cannot make its WAL index there
expect_rc 0 as_other "$T/ro/picket" list
expect_match 'LUX1-1' "$OUT" "a read-only database in a read-only directory can be listed"
expect_rc 0 as_other "$T/ro/picket" show LUX1-1
expect_match '^LUX1-1 ' "$OUT" "and shown"
expect_eq "" "$(ls "$T/ro" | grep -E 'db-(wal|shm)$')" "reading left no WAL files behind"
expect_eq "$sum" "$(file_sum "$T/ro/picket.db")" "the read-only database is unchanged"
chmod 700 "$T"

# --- configuration -----------------------------------------------------------------
expect_rc 9 pk --config "$T/no-such.conf" list
expect_match "no-such.conf" "$ERR" "a missing --config file is named"
expect_rc 9 env PICKET_CONFIG="$T/no-such.conf" "$PICKET" list
printf '[core]\nnode = LUX1\ncolour = blue\n' >"$T/unknown.conf"
expect_rc 9 pk --config "$T/unknown.conf" list
expect_match "core\\.colour" "$ERR" "an unknown key is named with its section"
printf '[core]\nnode = LUX1\n[paint]\nshade = 1\n' >"$T/section.conf"
expect_rc 9 pk --config "$T/section.conf" list
expect_match "paint.shade" "$ERR" "a key of an unknown section is named"
printf '[db]\nbusy_timeout = soon\n' >"$T/value.conf"
expect_rc 9 pk --config "$T/value.conf" list
expect_match "busy_timeout.*soon" "$ERR" "a bad value is named"
printf '[core]\nnode = LUX-ONE\n' >"$T/node.conf"
expect_rc 9 pk --config "$T/node.conf" new --title x
printf '[core\nnode = LUX1\n' >"$T/syntax.conf"
expect_rc 9 pk --config "$T/syntax.conf" list
# iniparser would read [users:x] as a key of [users] with no value
printf '[core]\nnode = LUX1\n[users:classification]\nsystem_high = SECRET\n[users]\nalice = supervisor\n' >"$T/colon.conf"
expect_rc 9 pk --config "$T/colon.conf" list
expect_match "'users:classification': a section or key name cannot contain ':'" "$ERR" "a ':' in a section name is refused"
expect_unchanged "$before" "configuration errors"

# --- classification ceiling -----------------------------------------------------------
printf '[core]\nnode = LUX1\n[classification]\nsystem_high = RESTRICTED\n' >"$T/high.conf"
expect_rc 10 pk --config "$T/high.conf" new --title "Secret plans" --class SECRET
expect_match 'SECRET.*RESTRICTED' "$ERR" \
	"above the ceiling: both levels named"
expect_rc 10 pk --config "$T/high.conf" set LUX1-1 classification=SECRET
expect_rc 10 pk --config "$T/high.conf" new --title "Top" --class "TOP SECRET"
printf '{"title":"Secret import","classification":"SECRET"}\n' >"$T/secret.jsonl"
expect_rc 10 pk --config "$T/high.conf" import "$T/secret.jsonl"
expect_unchanged "$before" "nothing above the ceiling was written"
# a ticket above the ceiling that is already in the database (made on a
# higher workstation) cannot be changed here either
pk new --title "Made elsewhere" --class SECRET >/dev/null || fail "a SECRET ticket without a ceiling"
sref=$(sql "SELECT ref FROM tickets WHERE title = 'Made elsewhere'")
before=$(db_state)
expect_rc 10 pk --config "$T/high.conf" set "$sref" "title=Changed below"
expect_rc 10 pk --config "$T/high.conf" move "$sref" in_progress
expect_unchanged "$before" "a ticket above the ceiling is not changed"
expect_rc 0 pk --config "$T/high.conf" new --title "Restricted" --class RESTRICTED
expect_eq "RESTRICTED" "$(sql "SELECT classification FROM tickets WHERE ref = '$OUT'")" "at the ceiling is fine"
expect_rc 4 pk new --title x --class "SECRET-ish"
expect_match 'unknown level' "$ERR" "an unknown level is invalid data, not a ceiling"
before=$(db_state)

# --- a locked database -----------------------------------------------------------------
printf '[core]\nnode = LUX1\n[db]\nbusy_timeout = 200\n' >"$T/busy.conf"
mkfifo "$T/lock.fifo"
sqlite3 "$PICKET_DB" <"$T/lock.fifo" >"$T/lock.out" 2>&1 &
lock_pid=$!
exec 9<>"$T/lock.fifo"	# read-write: the open cannot block
echo "BEGIN IMMEDIATE; SELECT 'locked';" >&9
for _ in $(seq 1 100); do
	grep -q locked "$T/lock.out" 2>/dev/null && break
	sleep 0.05
done
expect_eq "locked" "$(cat "$T/lock.out")" "another process holds the write lock"
t0=$(now_ms)
expect_rc 6 pk --config "$T/busy.conf" new --title "while locked"
t1=$(now_ms)
expect_match 'busy' "$ERR" "a locked database says it is busy"
CHECKS=$((CHECKS + 1))
# (under valgrind the process itself takes seconds to start)
LIMIT_MS=5000
[ "${PICKET_VALGRIND:-0}" = 0 ] || LIMIT_MS=30000
[ $((t1 - t0)) -lt $LIMIT_MS ] || fail "waiting for the lock took $((t1 - t0)) ms with busy_timeout 200"
CHECKS=$((CHECKS + 1))
[ $((t1 - t0)) -ge 150 ] || fail "picket gave up after $((t1 - t0)) ms, before busy_timeout 200"
expect_rc 6 pk --config "$T/busy.conf" set LUX1-1 title=changed
expect_rc 6 pk --config "$T/busy.conf" comment LUX1-1 "a note"
expect_rc 6 pk --config "$T/busy.conf" import "$T/secret.jsonl"
expect_rc 0 pk --config "$T/busy.conf" list
expect_match 'A good ticket' "$OUT" "readers are not blocked by a writer"
echo "ROLLBACK;" >&9
exec 9>&-
wait "$lock_pid"
expect_unchanged "$before" "commands refused while locked"
expect_rc 0 pk --config "$T/busy.conf" new --title "after the lock"

# --- terminal escapes in ticket text -------------------------------------------------------
osc=$'\e]0;pwned\a'
clr=$'\e[2J'
csi8=$(printf '\xc2\x9b')	# U+009B, the 8-bit CSI
rlo=$(printf '\xe2\x80\xae')	# U+202E, right-to-left override
# one-line fields refuse control characters on the way in
expect_rc 4 pk new --title "evil ${osc}title"
expect_match 'title.*control' "$ERR" "a title with an escape is refused"
expect_rc 4 pk new --title ok --assign "bob${clr}"
expect_rc 4 pk set LUX1-1 "title=x${clr}"
# multi-line text keeps them, and the database may hold anything (a synced
# record, another tool): what picket prints must be harmless either way
expect_rc 0 pk new --title "Escapes" --body "line ${clr}one${osc}
line two ${csi8}31m ${rlo}txt"
eref=$OUT
printf 'comment %s and %s\n' "$osc" "$clr" >"$T/esc.txt"
pk comment "$eref" - <"$T/esc.txt" >/dev/null || fail "comment with escapes"
pk resolve "$eref" --resolution "fixed ${osc}" >/dev/null || fail "resolution with escapes"
sqlite3 "$PICKET_DB" "UPDATE tickets SET title = 'evil ' || char(27) || ']0;pwned' || char(7)
	|| 'title ' || char(27) || '[2J ' || char(155) || '2J ' || char(8238) || 'txt',
	assignee = 'bob' || char(27) || '[31m', group_name = 'ops' || char(7),
	requester = char(27) || 'c' WHERE ref = '$eref'"
expect_eq 1 "$(sql "SELECT count(*) FROM tickets WHERE ref = '$eref' AND instr(description, char(27)) > 0
	AND instr(title, char(27)) > 0")" "the text is in the database as given"
# no_ctrl WHAT FILE: the output holds no ESC, BEL, C1 control or bidi override
no_ctrl() {
	CHECKS=$((CHECKS + 1))
	if LC_ALL=C grep -q $'[\x1b\x07]' "$2" || grep -q "$csi8\\|$rlo" "$2"; then
		fail "$1 prints raw control characters: $(od -c "$2" | grep -m3 '033\|007\|302 233\|342 200 256')"
	fi
	[ -s "$2" ] || fail "$1 printed nothing"
}
pk show "$eref" >"$T/o.txt"; no_ctrl "show" "$T/o.txt"
expect_match '\^\[\]0;pwned\^G' "$(cat "$T/o.txt")" "show makes the escape visible"
pk list >"$T/o.txt"; no_ctrl "list" "$T/o.txt"
pk >"$T/o.txt"; no_ctrl "bare picket" "$T/o.txt"
pk search escapes >"$T/o.txt"; no_ctrl "search" "$T/o.txt"
pk history "$eref" >"$T/o.txt"; no_ctrl "history" "$T/o.txt"
pk set "$eref" type=request >"$T/o.txt"; no_ctrl "the line after a change" "$T/o.txt"
pk show "bad${osc}ref" 2>"$T/o.txt"
expect_match 'no ticket' "$(cat "$T/o.txt")" "error for a ref with escapes"
no_ctrl "an error message echoing its argument" "$T/o.txt"
pk list -- "status:open,${clr}x" 2>"$T/o.txt"
no_ctrl "a query error echoing the query" "$T/o.txt"
LC_ALL=C "$PICKET" show "$eref" >"$T/o.txt"
no_ctrl "show in the C locale" "$T/o.txt"
pk comment "$eref" "ěšč ${csi8} ø" >/dev/null
LC_ALL=C "$PICKET" show "$eref" >"$T/o.txt"
expect_eq "" "$(LC_ALL=C grep -n '[^ -~]' "$T/o.txt")" \
	"show in the C locale is plain ASCII, comments included"
# JSON escapes instead
expect_rc 0 pk show "$eref" --json
J=$OUT
CHECKS=$((CHECKS + 1))
if printf '%s' "$J" | LC_ALL=C grep -q $'[\x1b\x07]'; then fail "show --json holds a raw ESC or BEL"; fi
expect_match '\\u001[bB]\[2J' "$J" "show --json escapes ESC as \\u001b"
expect_match '\\u0007' "$J" "show --json escapes BEL as \\u0007"
expect_eq "line ${clr}one${osc}
line two ${csi8}31m ${rlo}txt" "$(jget "$J" '$.description')" "show --json round-trips the exact text"
expect_eq "comment ${osc} and ${clr}" "$(jget "$J" '$.comments[0].body')" "show --json comment text exact"
expect_eq "bob${clr:0:1}[31m" "$(jget "$J" '$.assignee')" "show --json assignee exact"
for cmd in "list --json" "history $eref --json" "search escapes --json"; do
	# shellcheck disable=SC2086
	pk $cmd >"$T/o.txt"
	CHECKS=$((CHECKS + 1))
	if LC_ALL=C grep -q $'[\x1b\x07]' "$T/o.txt"; then fail "$cmd holds a raw ESC or BEL"; fi
	[ -s "$T/o.txt" ] || fail "$cmd printed nothing"
done

done_testing
