# Signed bundles between sites with no network: keys made at init and
# shown for trusting elsewhere; export of what is new since the last
# export, held back above the receiving site's level; import refusing an
# untrusted, altered, truncated, forged or over-classified bundle with its
# own exit code and nothing changed; importing twice is a no-op; events
# merge as a sync does, conflicts included.
. "$TESTS_DIR/cli/lib.sh"

need sqlite3 stat

# site A is the default database of lib.sh (node LUX1); B and C have their own
printf '[users]\nalice = supervisor\n[sites]\nGVA2 = RESTRICTED\n' >>"$PICKET_CONFIG"
mkdir -p "$T/b" "$T/c"
printf '[core]\nnode = GVA2\n' >"$T/b/picket.conf"
printf '[core]\nnode = ZRH3\n' >"$T/c/picket.conf"
pb() { "$PICKET" --db "$T/b/picket.db" --config "$T/b/picket.conf" "$@"; }
pcc() { "$PICKET" --db "$T/c/picket.db" --config "$T/c/picket.conf" "$@"; }
bsql() { sqlite3 -batch -noheader "$T/b/picket.db" "$1"; }
b_state() { PICKET_DB="$T/b/picket.db" db_state; }
tickets_of() { sqlite3 -batch -noheader "$1" "SELECT uuid, ref, title, status, assignee, classification FROM tickets ORDER BY uuid"; }

expect_rc 0 pk init
expect_rc 0 pb init
expect_rc 0 pcc init

# --- keys --------------------------------------------------------------------------

expect_eq 600 "$(stat -c %a "$PICKET_DB.key")" "init made the signing key, 0600"
expect_match '^picket-ed25519-secret [A-Za-z0-9+/=]+ LUX1$' "$(cat "$PICKET_DB.key")" "the key file's line"
expect_rc 0 pk key show
expect_match '^picket-ed25519 [A-Za-z0-9+/]{43}= LUX1$' "$(head -1 <<<"$OUT")" "key show: the public key line"
expect_match '^fingerprint SHA256:[A-Za-z0-9+/]{43}$' "$(tail -1 <<<"$OUT")" "key show: the fingerprint"
head -1 <<<"$OUT" >"$T/a.pub"
FPR=$(tail -1 <<<"$OUT" | cut -d' ' -f2)
FPR_RE=$(printf '%s' "$FPR" | sed 's/[+/]/\\&/g')
expect_rc 0 pk key show --json
expect_eq "LUX1 $FPR" "$(jget "$OUT" '$.name') $(jget "$OUT" '$.fingerprint')" "key show --json"
CHECKS=$((CHECKS + 1))
grep -q "$(cut -d' ' -f2 "$T/a.pub")" "$PICKET_DB.key" && fail "the public line shows the secret key"

# --- the first bundle ------------------------------------------------------------------------

U1=$(pk new --title "Printer jam on floor 3")
S1=$(pk new --title "Suspicious login" --class SECRET)
R1=$(pk new --title "Badge reader" --class RESTRICTED)
pk comment "$U1" "Toner replaced" >/dev/null
pk comment "$S1" "Account locked" >/dev/null
NA=$(sql "SELECT count(*) FROM oplog")
expect_rc 0 pk bundle export "$T/b1.pkb"
expect_match "^exported $NA events to .*b1.pkb \(classification SECRET; next export continues after $NA\)" \
	"$OUT" "export: what and where"
expect_eq "picket-bundle 1" "$(head -1 "$T/b1.pkb")" "the bundle's first line"
expect_match '^signature [A-Za-z0-9+/]{86}==$' "$(tail -1 "$T/b1.pkb")" "the bundle's last line"
expect_eq "$((NA + 3))" "$(wc -l <"$T/b1.pkb")" "magic, header, one line an event, signature"

# --- refused: untrusted, altered, cut short, forged, not a bundle ------------------------------------

before=$(b_state)
expect_rc 18 pb bundle import "$T/b1.pkb"
expect_match "signed by a key this installation does not trust: $FPR_RE \(site LUX1\)" "$ERR" \
	"an untrusted key is named by its fingerprint"
expect_rc 18 pb bundle inspect "$T/b1.pkb"
expect_match "^origin: +LUX1" "$OUT" "inspect shows an untrusted bundle's header"
expect_rc 0 pb key trust "$T/a.pub"
expect_match "^trusted $FPR_RE as LUX1" "$OUT" "key trust"
expect_rc 4 pb key trust "$T/a.pub" --name OTHER
expect_match "trusted already, as LUX1" "$ERR" "a key trusted twice"
expect_rc 0 pb key list --json
expect_eq "LUX1 " "$(jget "$OUT" '$[0].name') $(jget "$OUT" '$[1].name')" "key list"
expect_rc 0 pb bundle inspect "$T/b1.pkb" --json
expect_eq "1 LUX1 $NA SECRET 0 $NA" \
	"$(jget "$OUT" '$.verified') $(jget "$OUT" '$.signer') $(jget "$OUT" '$.events') $(jget "$OUT" '$.classification') $(jget "$OUT" '$.from') $(jget "$OUT" '$.upto')" \
	"inspect: verified, signer, events, classification, cursors"
expect_eq 3 "$(jget "$OUT" '$.kinds."ticket create"')" "inspect counts the kinds of events"

sed 's/Printer jam on floor 3/Printer jam on floor 4/' "$T/b1.pkb" >"$T/altered.pkb"
expect_rc 18 pb bundle import "$T/altered.pkb"
expect_match "the signature does not match its content" "$ERR" "an altered event"
sed '2s/"SECRET"/"UNCLASSIFIED"/' "$T/b1.pkb" >"$T/relabelled.pkb"
expect_rc 18 pb bundle import "$T/relabelled.pkb"
expect_match "does not match" "$ERR" "a relabelled header"
head -n -1 "$T/b1.pkb" >"$T/nosig.pkb"
expect_rc 18 pb bundle import "$T/nosig.pkb"
expect_match "is cut short: it ends after $NA of its $NA events, without its signature" "$ERR" "no signature"
head -c "$(($(stat -c %s "$T/b1.pkb") / 2))" "$T/b1.pkb" >"$T/half.pkb"
expect_rc 18 pb bundle import "$T/half.pkb"
expect_match "is cut short" "$ERR" "cut in the middle"
{ cat "$T/b1.pkb"; echo '{"more":1}'; } >"$T/tail.pkb"
expect_rc 18 pb bundle import "$T/tail.pkb"
expect_match "something follows the signature" "$ERR" "a line after the signature"
{ head -n -2 "$T/b1.pkb"; tail -1 "$T/b1.pkb"; } >"$T/dropped.pkb"
expect_rc 18 pb bundle import "$T/dropped.pkb"
expect_match "does not match" "$ERR" "an event left out"
# signed by C's own key but naming A's: the signature is not A's
pcc new --title "Forged change" >/dev/null
expect_rc 0 pcc bundle export "$T/c.pkb"
AKEY=$(cut -d' ' -f2 "$T/a.pub")
CKEY=$(sqlite3 :memory: "SELECT json_extract('$(sed -n 2p "$T/c.pkb")', '\$.key')")
sed "2s|$CKEY|$AKEY|; 2s|ZRH3|LUX1|" "$T/c.pkb" >"$T/forged.pkb"
expect_rc 18 pb bundle import "$T/forged.pkb"
expect_match "does not match" "$ERR" "a bundle forged under A's key"
expect_rc 18 pb bundle import "$T/c.pkb"
expect_match "does not trust" "$ERR" "C's own bundle: C is not trusted"
printf 'hello\n' >"$T/text.txt"
expect_rc 4 pb bundle import "$T/text.txt"
expect_match "is not a picket bundle" "$ERR" "not a bundle"
sed '1s/1$/9/' "$T/b1.pkb" >"$T/future.pkb"
expect_rc 4 pb bundle import "$T/future.pkb"
sed '2s/"SECRET"/"SEC\\u001b[2JRET"/' "$T/b1.pkb" >"$T/escape.pkb"
expect_rc 4 pb bundle inspect "$T/escape.pkb"
expect_match "header is malformed" "$ERR" "a level holding a terminal escape is refused"
CHECKS=$((CHECKS + 1))
case "$OUT$ERR" in *$'\033'*) fail "an escape from a bundle reached the terminal" ;; esac
expect_rc 11 pb bundle import "$T/missing.pkb"
expect_unchanged_b() { CHECKS=$((CHECKS + 1)); [ "$before" = "$(b_state)" ] || fail "$1: B changed"; }
expect_unchanged_b "refused bundles"

# --- imported, once -----------------------------------------------------------------------

expect_rc 0 pb bundle import "$T/b1.pkb"
expect_match "^imported $NA events from LUX1 \(signed by LUX1\), 0 already here" "$OUT" "import"
expect_eq "$(tickets_of "$PICKET_DB")" "$(tickets_of "$T/b/picket.db")" "B holds A's tickets"
expect_eq 2 "$(bsql "SELECT count(*) FROM comments")" "and their comments"
before=$(b_state)
expect_rc 0 pb bundle import "$T/b1.pkb" --json
expect_eq "0 $NA" "$(jget "$OUT" '$.imported') $(jget "$OUT" '$.duplicates')" "the same bundle again: nothing new"
expect_unchanged_b "importing twice"
expect_rc 0 pb audit verify

# --- the next export starts where the last ended --------------------------------------------

pk set "$U1" status=in_progress assignee=alice >/dev/null
NB=$(($(sql "SELECT count(*) FROM oplog") - NA))
expect_rc 0 pk bundle export "$T/b2.pkb" --json
expect_eq "$NB $NA" "$(jget "$OUT" '$.events') $(jget "$OUT" '$.from')" "the second bundle: only what is new"
expect_rc 0 pb bundle import "$T/b2.pkb"
expect_eq "in_progress alice" "$(bsql "SELECT status || ' ' || assignee FROM tickets WHERE ref = '$U1'")" \
	"the edit arrived"
expect_rc 0 pk bundle export "$T/b3.pkb" --json
expect_eq 0 "$(jget "$OUT" '$.events')" "nothing new: an empty bundle"
expect_rc 0 pb bundle import "$T/b3.pkb"
expect_rc 0 pk bundle export "$T/all.pkb" --all --json
expect_eq "$((NA + NB)) 0" "$(jget "$OUT" '$.events') $(jget "$OUT" '$.from')" "--all"
expect_rc 0 pb bundle import "$T/all.pkb" --json
expect_eq "0 $((NA + NB))" "$(jget "$OUT" '$.imported') $(jget "$OUT" '$.duplicates')" "--all again: duplicates"
pk bundle export - --since "$NA" >"$T/stdout.pkb"
expect_eq 0 "$?" "export to standard output"
expect_rc 0 pb bundle inspect "$T/stdout.pkb" --json
expect_eq "$NB $NA" "$(jget "$OUT" '$.events') $(jget "$OUT" '$.from')" "--since to standard output"

# --- for one site: held back above its level, released when lowered ----------------------------

S2=$(pk new --title "Intrusion on DMZ" --class SECRET)
pk comment "$S2" "Firewall logs kept" >/dev/null
U2=$(pk new --title "Projector broken")
expect_rc 0 pk bundle export "$T/g1.pkb" --to GVA2 --json
expect_eq "GVA2 RESTRICTED 4 RESTRICTED" \
	"$(jget "$OUT" '$.to') $(jget "$OUT" '$.ceiling') $(jget "$OUT" '$.held') $(jget "$OUT" '$.classification')" \
	"--to GVA2: its level, the SECRET tickets held back"
expect_match "4 changes held back: their tickets are above RESTRICTED" "$ERR" "export says what it held back"
expect_rc 0 pb bundle import "$T/g1.pkb"
expect_eq "0 1" "$(bsql "SELECT count(*) FROM tickets WHERE ref = '$S2'") $(bsql "SELECT count(*) FROM tickets WHERE ref = '$U2'")" \
	"GVA2 got the ticket within its level only"
expect_rc 4 pcc bundle import "$T/g1.pkb"
expect_match "was made for site GVA2; this installation is ZRH3" "$ERR" "a bundle for another site"
expect_rc 9 pk bundle export "$T/x.pkb" --to OSL9
expect_match 'the level of site OSL9 is not known: add "OSL9 = LEVEL" to \[sites\]' "$ERR" "an unknown site"

expect_rc 17 env PICKET_USER=tom "$PICKET" set "$S2" classification=RESTRICTED
expect_rc 0 pk set "$S2" classification=RESTRICTED
expect_rc 0 pk bundle export "$T/g2.pkb" --to GVA2 --json
expect_eq 0 "$(jget "$OUT" '$.held')" "after the lowering nothing is held"
expect_rc 0 pb bundle import "$T/g2.pkb"
expect_eq "RESTRICTED 2" \
	"$(bsql "SELECT classification FROM tickets WHERE ref = '$S2'") $(bsql "SELECT count(*) FROM comments c JOIN tickets t ON t.id = c.ticket_id WHERE t.ref = '$S2'")" \
	"the lowered ticket went out whole: the comment it had while SECRET and the lowering note"

# --- a workstation below the bundle's classification ------------------------------------------

printf '[classification]\nsystem_high = RESTRICTED\n' >>"$T/c/picket.conf"
expect_rc 0 pcc key trust "$T/a.pub"
before_c=$(PICKET_DB="$T/c/picket.db" db_state)
expect_rc 10 pcc bundle import "$T/b1.pkb"
expect_match "is classified SECRET, above this workstation's system-high RESTRICTED" "$ERR" \
	"a bundle above the system-high"
CHECKS=$((CHECKS + 1))
[ "$before_c" = "$(PICKET_DB="$T/c/picket.db" db_state)" ] || fail "C changed"

# --- merging as a sync does: a conflict seen on both sides ---------------------------------------

expect_rc 0 pk key show
pb key show | head -1 >"$T/b.pub"
expect_rc 0 pk key trust "$T/b.pub"
pk set "$U2" category=av >/dev/null
PICKET_USER=bob pb set "$U2" category=facilities >/dev/null
expect_rc 0 pk bundle export "$T/a-to-b.pkb"
expect_rc 0 pb bundle export "$T/b-to-a.pkb"
expect_rc 0 pb bundle import "$T/a-to-b.pkb" --json
expect_eq 1 "$(jget "$OUT" '$.conflicts')" "B sees the concurrent edit as a conflict"
expect_rc 0 pk bundle import "$T/b-to-a.pkb" --json
expect_eq 1 "$(jget "$OUT" '$.conflicts')" "and so does A"
expect_eq "$(tickets_of "$PICKET_DB")" "$(tickets_of "$T/b/picket.db")" "A and B agree"
expect_eq "$(sql "SELECT category FROM tickets WHERE ref = '$U2'")" \
	"$(bsql "SELECT category FROM tickets WHERE ref = '$U2'")" "on the winning value too"
expect_rc 0 pk audit verify
expect_rc 0 pb audit verify

# --- secrets and trust files that others may touch -------------------------------------------------

chmod 644 "$PICKET_DB.key"
expect_rc 9 pk bundle export "$T/x.pkb"
expect_match "may be read by group or others" "$ERR" "a readable key is refused"
chmod 600 "$PICKET_DB.key"
chmod 666 "$T/b/picket.db.trusted"
expect_rc 9 pb bundle import "$T/b1.pkb"
expect_match "may be changed by group or others" "$ERR" "a writable trusted-keys file is refused"
chmod 644 "$T/b/picket.db.trusted"
expect_rc 2 pk bundle import "$T/b1.pkb" --to GVA2
expect_rc 2 pk bundle export "$T/x.pkb" --all --since 3
expect_rc 2 pk bundle send "$T/x.pkb"

done_testing
