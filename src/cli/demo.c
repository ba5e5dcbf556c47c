/* Demo data for `picket init --demo`: a believable morning on a service
 * desk, written through the engine like any other change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "picket/clock.h"
#include "picket/status.h"

struct demo_note {
	const char *kind, *author, *body;
	int minutes;
};

struct demo_ticket {
	const char *type, *title, *description;
	int impact, urgency;
	const char *category, *service, *ci, *requester, *group, *classification;
	int age_hours;
	const char *assignee, *status, *resolution;
	struct demo_note notes[3];
};

static const struct demo_ticket demo[] = {
	{ "incident",
	  "Core switch LUX-CORE-01 dropping packets on uplink",
	  "Monitoring shows 4% packet loss on Te1/0/1 since 02:10. Users in building B "
	  "report slow file shares.",
	  1,
	  1,
	  "network",
	  "LAN",
	  "LUX-CORE-01",
	  "noc",
	  "network",
	  "UNCLASSIFIED",
	  3,
	  "mdupont",
	  "in_progress",
	  NULL,
	  { { "worklog", "mdupont", "Checked optics, Rx power -14 dBm, replacing SFP.", 35 },
	    { "internal", "mdupont", "Spare SFP taken from cabinet 3.", 0 } } },
	{ "incident",
	  "VPN concentrator refuses new sessions",
	  "Remote staff get 'maximum sessions reached' since the 06:00 patch window.",
	  1,
	  2,
	  "network",
	  "Remote access",
	  "VPN-GW-02",
	  "jschmit",
	  "network",
	  "UNCLASSIFIED",
	  2,
	  NULL,
	  "new",
	  NULL,
	  { { "public", "jschmit", "Affects about 200 remote users.", 0 } } },
	{ "incident",
	  "Imprimante du 3e étage bloque tous les travaux",
	  "L'imprimante PRN-3F-02 affiche « erreur de fusion ». Les travaux restent en file.",
	  3,
	  3,
	  "printing",
	  "Printing",
	  "PRN-3F-02",
	  "cweber",
	  "servicedesk",
	  "UNCLASSIFIED",
	  20,
	  "lmuller",
	  "pending_vendor",
	  NULL,
	  { { "internal", "lmuller", "Ticket ouvert chez le fournisseur, réf. HPQ-88213.", 0 } } },
	{ "request",
	  "New starter: accounts and laptop for A. Rossi",
	  "Starts Monday in Finance. Needs AD account, mailbox, laptop, badge.",
	  3,
	  3,
	  "accounts",
	  "Identity",
	  NULL,
	  "hr-team",
	  "servicedesk",
	  "RESTRICTED",
	  50,
	  "lmuller",
	  "assigned",
	  NULL,
	  { { "public", "lmuller", "Laptop imaged, waiting for badge.", 0 } } },
	{ "incident",
	  "Mailbox quota exceeded for finance shared mailbox",
	  "finance@ cannot receive mail; quota 50 GB reached.",
	  2,
	  2,
	  "email",
	  "Email",
	  "EXCH-DAG-01",
	  "pkrier",
	  "windows",
	  "UNCLASSIFIED",
	  6,
	  "svogel",
	  "in_progress",
	  NULL,
	  { { "worklog", "svogel", "Archived 2019-2021 items, 12 GB freed.", 20 } } },
	{ "problem",
	  "Recurring disk full on log server after rotation failures",
	  "logrotate fails weekly on LOG-01; /var fills and rsyslog stops.",
	  2,
	  3,
	  "unix",
	  "Logging",
	  "LOG-01",
	  "ops",
	  "unix",
	  "UNCLASSIFIED",
	  120,
	  "agarcia",
	  "in_progress",
	  NULL,
	  { { "internal", "agarcia", "Root cause: postrotate script exits 1 on missing pid.",
	      0 } } },
	{ "change",
	  "Patch Tuesday: apply November updates to Windows servers",
	  "Wave 1 (test) Tuesday 20:00, wave 2 (production) Thursday 20:00.",
	  2,
	  3,
	  "patching",
	  "Windows servers",
	  "WSUS-01",
	  "cab",
	  "windows",
	  "UNCLASSIFIED",
	  72,
	  "svogel",
	  "pending_change",
	  NULL,
	  { { "public", "svogel", "Approved by CAB.", 0 } } },
	{ "incident",
	  "Badge readers at Capellen entrance offline",
	  "All three readers at the main entrance show offline in the access control system.",
	  2,
	  1,
	  "facilities",
	  "Physical access",
	  "ACS-CAP-01",
	  "security",
	  "security",
	  "CONFIDENTIAL",
	  1,
	  NULL,
	  "new",
	  NULL,
	  { { NULL, NULL, NULL, 0 } } },
	{ "incident",
	  "Citrix sessions freeze for accounting users",
	  "Sessions freeze for 30 s every few minutes on the XA-ACC delivery group.",
	  2,
	  2,
	  "virtualisation",
	  "Citrix",
	  "XA-ACC",
	  "pkrier",
	  "windows",
	  "UNCLASSIFIED",
	  26,
	  "svogel",
	  "pending_customer",
	  NULL,
	  { { "public", "svogel", "Could you tell us when it happens next, with the time?", 0 } } },
	{ "request",
	  "Demande d'accès au partage \\\\fs01\\projets\\DELTA",
	  "Accès en lecture pour l'équipe projet DELTA, validé par le chef de projet.",
	  4,
	  3,
	  "access",
	  "File services",
	  "FS01",
	  "mleclerc",
	  "servicedesk",
	  "RESTRICTED",
	  30,
	  "lmuller",
	  "resolved",
	  "Groupe GG-DELTA-R créé, utilisateurs ajoutés.",
	  { { "public", "lmuller", "Accès accordé, merci de vous reconnecter.", 0 } } },
	{ "incident",
	  "SAN array controller B reports degraded battery",
	  "Storage array STO-A reports controller B cache battery degraded; write cache off.",
	  2,
	  3,
	  "storage",
	  "SAN",
	  "STO-A",
	  "noc",
	  "storage",
	  "UNCLASSIFIED",
	  40,
	  "agarcia",
	  "pending_vendor",
	  NULL,
	  { { "internal", "agarcia", "Vendor case 5521-XK opened, part shipping.", 0 } } },
	{ "incident",
	  "Suspicious login attempts on jump host",
	  "Fail2ban shows 3,000 failed SSH logins from one address in an hour.",
	  2,
	  1,
	  "security",
	  "Remote access",
	  "JUMP-01",
	  "soc",
	  "security",
	  "SECRET",
	  4,
	  "kbauer",
	  "in_progress",
	  NULL,
	  { { "internal", "kbauer", "Source blocked at the perimeter.", 0 } } },
	{ "request",
	  "Install Wireshark on network team laptops",
	  NULL,
	  4,
	  4,
	  "software",
	  "Workstations",
	  NULL,
	  "mdupont",
	  "servicedesk",
	  "UNCLASSIFIED",
	  90,
	  NULL,
	  "new",
	  NULL,
	  { { NULL, NULL, NULL, 0 } } },
	{ "incident",
	  "Outlook crashes when opening calendar",
	  "Outlook 365 closes without error when the user opens a shared calendar.",
	  3,
	  3,
	  "email",
	  "Email",
	  NULL,
	  "tnguyen",
	  "servicedesk",
	  "UNCLASSIFIED",
	  150,
	  "lmuller",
	  "closed",
	  "Corrupt OST rebuilt.",
	  { { "worklog", "lmuller", "Rebuilt OST, tested with user.", 25 } } },
	{ "incident",
	  "Wi-Fi guest network captive portal not loading",
	  "Guests in the conference centre cannot reach the portal page.",
	  3,
	  2,
	  "network",
	  "Wi-Fi",
	  "WLC-01",
	  "events",
	  "network",
	  "UNCLASSIFIED",
	  8,
	  NULL,
	  "new",
	  NULL,
	  { { NULL, NULL, NULL, 0 } } },
	{ "incident",
	  "Backup job failed for database cluster",
	  "Nightly backup of PGSQL-CL1 failed: snapshot timeout.",
	  2,
	  2,
	  "backup",
	  "Backup",
	  "PGSQL-CL1",
	  "ops",
	  "unix",
	  "RESTRICTED",
	  10,
	  "agarcia",
	  "assigned",
	  NULL,
	  { { NULL, NULL, NULL, 0 } } },
};

static int add_demo(struct pk_db *db, const struct demo_ticket *d)
{
	char when[32];
	struct pk_change *ch = pk_ticket_draft(db);
	int rc = PK_OK;
	const struct {
		const char *field, *value;
	} fields[] = {
		{ "type", d->type },
		{ "title", d->title },
		{ "description", d->description },
		{ "category", d->category },
		{ "service", d->service },
		{ "ci", d->ci },
		{ "requester", d->requester },
		{ "group", d->group },
		{ "classification", d->classification },
	};
	for (size_t i = 0; i < PK_ARRAY_LEN(fields) && rc == PK_OK; i++)
		if (fields[i].value)
			rc = pk_ticket_put(db, ch, fields[i].field, fields[i].value, 0);
	if (rc == PK_OK)
		rc = pk_change_int(ch, "impact", d->impact);
	if (rc == PK_OK)
		rc = pk_change_int(ch, "urgency", d->urgency);
	pk_time_format(pk_clock_now() - d->age_hours * 3600, when, sizeof(when));
	if (rc == PK_OK)
		rc = pk_ticket_put(db, ch, "created_at", when, 1);
	if (rc == PK_OK)
		rc = pk_ticket_insert(db, ch, NULL);
	struct pk_ticket *t = NULL;
	char uuid[40];
	snprintf(uuid, sizeof(uuid), "%s", pk_change_uuid(ch));
	pk_change_free(&ch);
	if (rc == PK_OK)
		rc = pk_ticket_get(db, uuid, &t);

	/* walk the workflow as the desk would have */
	static const char *const path[] = { "assigned", "in_progress", "resolved", "closed" };
	for (size_t i = 0; rc == PK_OK && d->assignee && i < PK_ARRAY_LEN(path); i++) {
		const char *to = path[i];
		if (i == 2 && strncmp(d->status, "pending_", 8) == 0)
			to = d->status;
		ch = pk_change_update(&pk_ticket_entity, uuid);
		if (i == 0)
			pk_change_text(ch, "assignee", d->assignee);
		if (strcmp(to, "resolved") == 0 && d->resolution)
			pk_change_text(ch, "resolution", d->resolution);
		pk_change_text(ch, "status", to);
		rc = pk_ticket_save(db, t, ch, NULL);
		pk_change_free(&ch);
		pk_ticket_free(&t);
		if (rc == PK_OK)
			rc = pk_ticket_get(db, uuid, &t);
		if (strcmp(to, d->status) == 0)
			break;
	}
	for (size_t i = 0; rc == PK_OK && i < PK_ARRAY_LEN(d->notes) && d->notes[i].kind; i++)
		rc = pk_comment_add(db, t, d->notes[i].kind, d->notes[i].body, d->notes[i].minutes,
				    d->notes[i].author, 0, NULL);
	pk_ticket_free(&t);
	return rc;
}

int cli_demo_load(struct pk_db *db)
{
	int rc = pk_db_begin(db);
	for (size_t i = 0; rc == PK_OK && i < PK_ARRAY_LEN(demo); i++)
		rc = add_demo(db, &demo[i]);
	if (rc != PK_OK) {
		pk_db_rollback(db);
		return rc;
	}
	return pk_db_commit(db);
}
