# A first sync into an empty database builds its search index on a second
# thread and installs it at the end.  B's index must pass FTS5's own check
# against the tickets' text and find what A's finds, including documents
# that changed after the thread had them; later writes must keep it
# sound; a build cut short (the process killed) is redone by the next
# sync; and one whose index another program wrote meanwhile is not put in
# place.
. "$TESTS_DIR/sync/lib.sh"

make_pki
srv_up srv alice technician bob technician carol technician dave technician
client_new a srv alice A
# small pages and transactions: the thread gets documents many times
client_new b srv bob B "batch = 40
commit_events = 100"

# T1 first, then enough tickets for several transactions, then T1 gets a
# comment and a new title: B's thread has T1's first document by then
T1=$(pc a new --title "Kerberos ticket expired" --body "klist shows nothing")
{
	echo "title,description"
	for ((i = 1; i <= 300; i++)); do echo "Bulk $i printer,toner number n$i"; done
} >"$T/bulk.csv"
expect_rc 0 pc a import "$T/bulk.csv"
expect_rc 0 pc a comment "$T1" --public "kinit fixed it, zebra"
expect_rc 0 pc a set "$T1" title="Kerberos realm renamed"
T2=$(pc a new --title "Café résumé" --body "naïve")
expect_rc 0 pc a comment "$T2" --internal "second café"

# hits NAME WORD: the refs `picket search WORD` finds on a client, sorted
hits() {
	pc "$1" search "$2" --limit 1000 | awk 'NF { print $1 }' | sort | tr '\n' ' '
}

sync_ok a
sync_ok b
expect_same_db "$(cdb a)" "$(cdb b)" "B after its first pull"
expect_eq "" "$(csql b "SELECT value FROM meta WHERE key = 'fts_build'")" \
	"no build is left marked on B"
expect_eq 302 "$(csql b "SELECT count(*) FROM ticket_fts_docsize")" \
	"B's index holds a document for every ticket"
for w in kerberos renamed zebra kinit klist printer toner n300 cafe naive résumé; do
	expect_eq "$(hits a "$w")" "$(hits b "$w")" "search '$w': B finds what A finds"
done
expect_eq "$T1 " "$(hits b zebra)" "T1's comment, merged after its first document"
expect_eq "" "$(hits b expired)" "T1's old title is out of B's index"
expect_eq 300 "$(hits b printer | wc -w)" "the imported tickets"

# the installed index takes later writes, on B and from A
expect_rc 0 pc b comment "$T2" --public "a quokka was seen"
expect_rc 0 pc a set "$T1" title="Kerberos keytab rotated"
sync_ok a
sync_ok b
sync_ok a
expect_eq "$T2 " "$(hits b quokka)" "B's own comment is found"
expect_eq "$T1 " "$(hits b keytab)" "A's later title is found on B"
expect_eq "" "$(hits b renamed)" "and the one before it is gone"
expect_same_db "$(cdb a)" "$(cdb b)" "B after local and pulled changes"

# a build cut short: the mark stays and the index lacks documents; the
# next sync rebuilds it before it pulls
csql b "INSERT INTO ticket_fts(ticket_fts) VALUES ('delete-all');
        INSERT INTO meta(key, value) VALUES ('fts_build', '1')"
expect_eq "" "$(hits b printer)" "(B's index emptied)"
sync_ok b
expect_eq "$(hits a printer)" "$(hits b printer)" "the next sync rebuilt B's index"
expect_eq "" "$(csql b "SELECT value FROM meta WHERE key = 'fts_build'")" \
	"and took the mark away"
expect_same_db "$(cdb a)" "$(cdb b)" "B after the rebuild"

# first_pull_running NAME USER NODE: a new client's first sync in the
# background ($BG_PID), one event a page and a commit each, 20 events in
# (or over already)
has_events() { [ "$(cevents "$1")" -ge "$2" ] || ! kill -0 "$BG_PID" 2>/dev/null; }
first_pull_running() {
	client_new "$1" srv "$2" "$3" "batch = 1
commit_events = 1"
	bg_pc "$1" sync
	wait_until 60 has_events "$1" 20 || fail "$3's pull did not start within 60 s"
}

# the same for real: C's first pull killed part way
first_pull_running c carol C
kill -KILL "$BG_PID" 2>/dev/null
wait_bg "$BG_PID" c
GOT=$(cevents c)
echo "# C killed after pulling $GOT events"
if [ "$GOT" -lt "$(cevents a)" ]; then
	expect_eq 1 "$(csql c "SELECT value FROM meta WHERE key = 'fts_build'")" \
		"a killed first pull leaves its build marked"
fi
sync_ok c
expect_eq "" "$(csql c "SELECT value FROM meta WHERE key = 'fts_build'")" \
	"the next sync of C finished the index"
expect_eq "$(hits a printer)" "$(hits c printer)" "C finds what A finds"
expect_same_db "$(cdb a)" "$(cdb c)" "C after the resumed pull"

# another program writes D's index while D's first pull runs: the build
# is not put in place over it, the index is rebuilt
first_pull_running d dave D
expect_rc 0 pc d comment "$T1" --internal "a wombat meanwhile"
RUNNING=0
kill -0 "$BG_PID" 2>/dev/null && RUNNING=1
wait_bg "$BG_PID" d
expect_eq 0 "$RC" "D's first pull (stderr: $ERR)"
echo "# D's pull still ran after the comment: $RUNNING"
expect_eq "$T1 " "$(hits d wombat)" "D's own comment, made during the pull, is found"
expect_eq "$(hits a printer)" "$(hits d printer)" "D finds what A finds"
expect_eq "" "$(csql d "SELECT value FROM meta WHERE key = 'fts_build'")" \
	"no build is left marked on D"
expect_eq ok "$(fts_check "$(cdb d)")" "D's index after the concurrent write"

done_testing
