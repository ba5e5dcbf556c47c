# picketd serving a site with no network by removable media: picketd
# bundle export of the store's events for that site (held back above its
# level), imported there; the site's own bundle imported into the store as
# one push by the site, judged as any push (its ceiling) and then pulled
# by the networked clients; bad bundles refused with nothing stored.
. "$TESTS_DIR/sync/lib.sh"

make_pki
SD="$T/srv"
srv_new srv server "$(printf '[classification]\nceiling = CONFIDENTIAL\n[bundle]\nkey = %s\ntrusted = %s\n[sites]\nGVA2 = RESTRICTED' "$SD/bundle.key" "$SD/trusted_keys")"
srv_adduser srv alice technician
srv_start srv || {
	done_testing
	exit 1
}
pd() { "$PICKETD" --config "$SD/picketd.conf" "$@"; }

client_new a srv alice LUX1
U1=$(pc a new --title "Mail relay down")
C1=$(pc a new --title "Payroll export" --class CONFIDENTIAL)
pc a comment "$U1" "Restarted postfix" >/dev/null
sync_ok a
HEAD=$(srv_events srv)

# --- the server's key ------------------------------------------------------------------

expect_rc 0 pd key show
expect_match '^picket-ed25519 [A-Za-z0-9+/]{43}= picketd$' "$(head -1 <<<"$OUT")" "picketd key show"
expect_match "made the bundle signing key $SD/bundle.key" "$ERR" "made on first use"
expect_eq 600 "$(stat -c %a "$SD/bundle.key")" "the server's key is 0600"
head -1 <<<"$OUT" >"$T/srv.pub"

# --- out to the air-gapped site ----------------------------------------------------------

expect_rc 0 pd bundle export "$T/out.pkb" --to GVA2
expect_match "exported 2 events to .*out.pkb \(classification UNCLASSIFIED; sequences 0 to $HEAD" \
	"$OUT" "picketd bundle export"
expect_match "1 change held back: its ticket is above RESTRICTED" "$ERR" "the CONFIDENTIAL ticket stays"
mkdir -p "$T/g"
printf '[core]\nnode = GVA2\n' >"$T/g/picket.conf"
pg() { PICKET_USER=gina "$PICKET" --db "$T/g/picket.db" --config "$T/g/picket.conf" "$@"; }
pg init >/dev/null
expect_rc 0 pg key trust "$T/srv.pub"
expect_rc 0 pg bundle import "$T/out.pkb"
expect_eq "1 0 1" "$(sqlite3 "$T/g/picket.db" "SELECT count(*) FROM tickets WHERE ref = '$U1'") $(sqlite3 "$T/g/picket.db" "SELECT count(*) FROM tickets WHERE ref = '$C1'") $(sqlite3 "$T/g/picket.db" "SELECT count(*) FROM comments")" \
	"the site got the ticket within its level, with its comment"
expect_rc 0 pd bundle inspect "$T/out.pkb"
expect_match "signed by: +SHA256:" "$OUT" "picketd bundle inspect"

# --- in from the site ------------------------------------------------------------------

G1=$(pg new --title "Tape library jammed")
pg comment "$U1" "Also seen in Geneva" >/dev/null
expect_rc 0 pg bundle export "$T/in.pkb"
NIN=$(sqlite3 "$T/g/picket.db" "SELECT count(*) FROM oplog WHERE origin = 'GVA2'")
expect_rc 18 pd bundle import "$T/in.pkb"
expect_match "does not trust" "$ERR" "picketd refuses an untrusted site"
expect_eq "$HEAD" "$(srv_events srv)" "nothing stored from an untrusted site"
pg key show | head -1 >"$T/g.pub"
expect_rc 0 pd key trust "$T/g.pub"
expect_match "as GVA2" "$OUT" "picketd key trust"
sed 's/Tape library jammed/Tape library fine/' "$T/in.pkb" >"$T/bad.pkb"
expect_rc 18 pd bundle import "$T/bad.pkb"
expect_eq "$HEAD" "$(srv_events srv)" "nothing stored from an altered bundle"
expect_rc 0 pd bundle import "$T/in.pkb"
expect_match "^imported $NIN events from GVA2 \(signed by GVA2\), [0-9]+ already here" "$OUT" "picketd bundle import"
expect_eq "$((HEAD + NIN))" "$(srv_events srv)" "the site's events are in the store"
expect_rc 0 pd bundle import "$T/in.pkb"
expect_match "^imported 0 events" "$OUT" "the same bundle twice: a no-op"
expect_eq "$((HEAD + NIN))" "$(srv_events srv)" "nothing stored twice"
sync_ok a
expect_eq 1 "$(csql a "SELECT count(*) FROM tickets WHERE ref = '$G1'")" "a networked client pulls the site's ticket"
expect_eq 1 "$(csql a "SELECT count(*) FROM comments WHERE body = 'Also seen in Geneva'")" "and its comment"

# --- above the server's ceiling ----------------------------------------------------------------

pg new --title "Cipher room access" --class SECRET >/dev/null
expect_rc 0 pg bundle export "$T/secret.pkb"
N=$(srv_events srv)
expect_rc 10 pd bundle import "$T/secret.pkb"
expect_match "is classified SECRET, above this server's ceiling CONFIDENTIAL" "$ERR" "a bundle above the ceiling"
expect_eq "$N" "$(srv_events srv)" "nothing stored from it"

expect_rc 2 pd bundle import "$T/in.pkb" --to GVA2
expect_rc 2 pd key trust
expect_rc 9 pd bundle export "$T/x.pkb" --to OSL9
expect_rc 2 pd bundle export "$T/x.pkb" --since 999999

srv_stop srv
done_testing
