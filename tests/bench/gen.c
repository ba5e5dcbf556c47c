/* picket-gen: deterministic synthetic service-desk data for the benchmark.
 *
 *   picket-gen [--seed S] [--comments-per-ticket C] [--open-pct P] [--quiet]
 *              --format jsonl|floor N OUTDIR-or-FILE
 *
 * --format jsonl FILE   one ticket a line with its comments, the picket
 *                       import format ("-" = standard output).
 * --format floor OUTDIR the same rows as OUTDIR/tickets.csv and
 *                       OUTDIR/comments.csv, columns exactly those of the
 *                       `tickets` and `comments` tables of src/core/schema.c,
 *                       ids 1..N, times in Unix seconds, NULL = empty field,
 *                       RFC 4180 quoting (fields with a comma, quote, CR or
 *                       LF are quoted, quotes doubled), LF line ends, no
 *                       header line.  The sqlite3 shell's `.import --csv`
 *                       reads them directly.
 *
 * Determinism: each ticket is generated from its own PRNG stream, seeded
 * from (seed, ticket number) with splitmix64, and is then written in either
 * format, so the same seed gives the same content in both formats and the
 * first K tickets of a run of N are the same as those of a run of K, except
 * for their times: those spread the N tickets over the whole period, see
 * below.  No rand(), no locale, no time of day: only libc.
 *
 * Controlled word frequencies (FTS5 tokens, unicode61 tokenizer, so case
 * does not matter):
 *
 *   "kerberos"  exactly one ticket in each block of 100 consecutive tickets
 *               (1-100, 101-200, ...; the slot in the block is drawn from
 *               the seed), so exactly N/100 tickets when 100 divides N,
 *               i.e. 1% of tickets.
 *   "printer"   the same with blocks of 10: exactly one ticket in 10, 10%.
 *
 * The two choices are independent (about 1 kerberos ticket in 10 also
 * mentions the printer).  A chosen ticket carries the word once in one
 * place: in its title (about 50%), its description (about 35%) or one of
 * its comments (about 15%; description when it has none).  No other
 * generated text contains either word, not even as part of a longer word
 * ("printers", "PrinterPort"): self_check() verifies every other text table
 * at start-up, and the generator counts what it wrote.  Printing tickets
 * that are not chosen say "imprimante", "MFP", "copier", "print queue",
 * "spooler", ...
 *
 * The other words come from topic tables below (VPN, Outlook, disk full,
 * SAN, patching, Citrix, badge readers, ...), English for about 65% of
 * tickets and French for the rest, comments mostly in the ticket's
 * language; their frequencies follow from the table sizes and are not
 * otherwise controlled.
 *
 * Other distributions (all from the per-ticket stream):
 *   type        incident 60%, request 25%, change 10%, problem 5%
 *   status      open 30% (new 5, assigned 6, in_progress 8,
 *               pending_customer 4, pending_vendor 3, pending_change 2,
 *               reopened 2), resolved 15%, closed 55%.  --open-pct P
 *               (0-100, default 30) makes P% open instead, in the same
 *               proportions among the open statuses and among resolved
 *               and closed (1 gives the issue's desk: about 10,000 open
 *               tickets in 1,000,000).  With P = 30 the output is the
 *               default one, byte for byte; with another P the tickets
 *               whose status changes draw their times and comments
 *               differently, the controlled words stay where they were.
 *   impact      1: 4%, 2: 16%, 3: 45%, 4: 35%
 *   urgency     1: 6%, 2: 24%, 3: 45%, 4: 25%
 *   priority    from the impact x urgency matrix `prio_matrix`
 *   class.      UNCLASSIFIED 85%, RESTRICTED 12%, CONFIDENTIAL 3%
 *   assignee    absent for status new, otherwise a technician of the group
 *   comments    uniform in 0..2C (mean C, default 3); public 50%,
 *               internal 25%, worklog 25% (minutes 5..240, multiple of 5;
 *               0 for the other kinds)
 *   sizes       description 100-600 bytes, comment 40-300 bytes, title
 *               under 120 bytes
 *   times       created_at spreads the tickets evenly, in ticket order, over
 *               2025-06-01 .. 2026-09-17 (the end minus 45 days); then
 *               created <= comments <= resolved <= closed <= updated <=
 *               2026-11-01 (updated_at is the last activity, so it is not
 *               before the resolution or closure).  Open and reopened
 *               tickets have no resolved_at/closed_at, resolved tickets no
 *               closed_at.
 *   uuids       version 7: the first 48 bits are the record's creation
 *               time in milliseconds (strictly increasing with the ticket
 *               number for tickets), version nibble 7, variant 10, the rest
 *               from the stream.
 *   vendor, vendor_ref, resolution and the derived SLA columns
 *               (response_due, resolve_due, responded_at, sla_due, sla_next,
 *               sla_response, sla_resolve, followup_at: picket computes them
 *               on import): not generated (absent in JSON, NULL in the
 *               floor).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64, one stream a ticket.                              */

struct rng {
	uint64_t x;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
	r->x += UINT64_C(0x9e3779b97f4a7c15);
	return mix64(r->x);
}

/* Uniform in [0, n), n > 0.  The modulo bias is below 2^-40 for the small
 * n used here. */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo + 1));
}

/* 1 with probability pct/100. */
static int rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

/* Index drawn from integer weights (percentages or any total). */
static size_t rng_weighted(struct rng *r, const unsigned *w, size_t n)
{
	unsigned total = 0;
	for (size_t i = 0; i < n; i++)
		total += w[i];
	uint64_t x = rng_below(r, total);
	for (size_t i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* A stream derived from the seed and up to two labels. */
static struct rng rng_for(uint64_t seed, uint64_t a, uint64_t b)
{
	struct rng r;
	r.x = mix64(seed ^ mix64(a * UINT64_C(0x9e3779b97f4a7c15) ^ mix64(b + 0x5bd1e995)));
	return r;
}

/* ------------------------------------------------------------------ */
/* Output buffers.                                                     */

struct out {
	FILE *f;
	const char *name;
	char *buf;
	size_t len, cap;
	uint64_t total;
};

_Noreturn static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("picket-gen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void out_flush(struct out *o)
{
	if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
		die("%s: write error: %s", o->name, strerror(errno));
	o->total += o->len;
	o->len = 0;
}

static void out_open(struct out *o, const char *path)
{
	o->name = path;
	if (strcmp(path, "-") == 0)
		o->f = stdout;
	else if (!(o->f = fopen(path, "wb")))
		die("%s: %s", path, strerror(errno));
	o->cap = 4u << 20;
	o->len = 0;
	o->total = 0;
	if (!(o->buf = malloc(o->cap)))
		die("out of memory");
}

static void out_close(struct out *o)
{
	out_flush(o);
	if (o->f != stdout) {
		if (fclose(o->f) != 0)
			die("%s: %s", o->name, strerror(errno));
	} else if (fflush(o->f) != 0) {
		die("%s: %s", o->name, strerror(errno));
	}
	free(o->buf);
	o->buf = NULL;
}

/* Makes room for n more bytes (n is at most a few KB). */
static char *out_room(struct out *o, size_t n)
{
	if (o->len + n > o->cap)
		out_flush(o);
	if (n > o->cap)
		die("internal error: record too large");
	return o->buf + o->len;
}

static void out_mem(struct out *o, const char *s, size_t n)
{
	memcpy(out_room(o, n), s, n);
	o->len += n;
}

static void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_chr(struct out *o, char c)
{
	*out_room(o, 1) = c;
	o->len++;
}

static void out_int(struct out *o, int64_t v)
{
	char tmp[24];
	size_t n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	char *p = out_room(o, n + 1);
	size_t k = 0;
	if (v < 0)
		p[k++] = '-';
	while (n)
		p[k++] = tmp[--n];
	o->len += k;
}

/* A JSON string, quotes included.  Input is UTF-8 (kept as is). */
static void out_json_str(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s);
	char *p = out_room(o, n * 6 + 2);
	size_t k = 0;
	p[k++] = '"';
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"':
			p[k++] = '\\';
			p[k++] = '"';
			break;
		case '\\':
			p[k++] = '\\';
			p[k++] = '\\';
			break;
		case '\n':
			p[k++] = '\\';
			p[k++] = 'n';
			break;
		case '\r':
			p[k++] = '\\';
			p[k++] = 'r';
			break;
		case '\t':
			p[k++] = '\\';
			p[k++] = 't';
			break;
		default:
			if (*c < 0x20) {
				memcpy(p + k, "\\u00", 4);
				k += 4;
				p[k++] = hex[*c >> 4];
				p[k++] = hex[*c & 15];
			} else {
				p[k++] = (char)*c;
			}
		}
	}
	p[k++] = '"';
	o->len += k;
}

/* A CSV field (RFC 4180): quoted only when it must be.  NULL = empty. */
static void out_csv_str(struct out *o, const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	if (!strpbrk(s, ",\"\r\n")) {
		out_mem(o, s, n);
		return;
	}
	char *p = out_room(o, n * 2 + 2);
	size_t k = 0;
	p[k++] = '"';
	for (const char *c = s; *c; c++) {
		if (*c == '"')
			p[k++] = '"';
		p[k++] = *c;
	}
	p[k++] = '"';
	o->len += k;
}

/* ------------------------------------------------------------------ */
/* Time.                                                               */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *yy, int *mm, int *dd)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t y = (int64_t)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	const unsigned d = doy - (153 * mp + 2) / 5 + 1;
	const unsigned m = mp < 10 ? mp + 3 : mp - 9;
	*yy = (int)(y + (m <= 2));
	*mm = (int)m;
	*dd = (int)d;
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* "2026-01-05T09:12:00Z" with quotes, into a JSON document. */
static void out_json_time(struct out *o, int64_t t)
{
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	char *p = out_room(o, 22);
	p[0] = '"';
	p[1] = (char)('0' + y / 1000 % 10);
	p[2] = (char)('0' + y / 100 % 10);
	p[3] = (char)('0' + y / 10 % 10);
	p[4] = (char)('0' + y % 10);
	p[5] = '-';
	put2(p + 6, m);
	p[8] = '-';
	put2(p + 9, d);
	p[11] = 'T';
	put2(p + 12, (int)(secs / 3600));
	p[14] = ':';
	put2(p + 15, (int)(secs / 60 % 60));
	p[17] = ':';
	put2(p + 18, (int)(secs % 60));
	p[20] = 'Z';
	p[21] = '"';
	o->len += 22;
}

/* ------------------------------------------------------------------ */
/* Vocabulary.                                                         */

/* Templates: $C the CI, $S site code, $T site town, $F floor, $U the
 * requester's login, $H a host name, $N a number 2..99, $E an error code,
 * $V a version, $K a KB article, $P a percentage 85..100, $A an
 * application, $G the group, $Q a print queue, $W a weekday (language of
 * the text), $M a time of day.  '#' in CI and host patterns is a digit. */

struct topic {
	const char *name;
	const char *category, *service, *group;
	const char *ci_pattern;
	const char *const *title_en, *const *title_fr;
	const char *const *desc_en, *const *desc_fr;
	const char *const *com_en, *const *com_fr;
};

/* NULL-terminated lists keep the tables readable. */
#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct topic topics[] = {
	{ "vpn", "Network", "Remote access", "network", "VPN-GW-0#",
	  L("VPN disconnects every $N minutes", "Cannot connect to VPN from home",
	    "VPN client stuck on \"Connecting...\"", "GlobalProtect portal unreachable from $T",
	    "VPN very slow since this morning", "Split tunnel not working for $A",
	    "VPN token rejected after phone change"),
	  L("VPN coupe toutes les $N minutes", "Impossible de se connecter au VPN en télétravail",
	    "Le client VPN reste bloqué sur « Connexion en cours »", "Lenteurs VPN depuis ce matin",
	    "VPN : jeton refusé après changement de téléphone", "Accès à $A impossible via le VPN"),
	  L("The VPN client shows error $E right after authentication.",
	    "It started after the last client update to version $V.",
	    "I am working from home today and cannot reach any internal site.",
	    "The tunnel comes up, then drops after a few minutes; my home connection works fine.",
	    "Gateway $C answers ping but the login page times out.",
	    "Colleagues in $T report the same behaviour since $W.",
	    "I tried both Wi-Fi and cable, same result.",
	    "Log excerpt:\n\tIKE SA negotiation failed, peer $C, code $E"),
	  L("Le client VPN affiche l'erreur $E juste après l'authentification.",
	    "Le problème est apparu après la mise à jour du client en version $V.",
	    "Je suis en télétravail et je n'accède à aucun site interne.",
	    "Le tunnel monte puis tombe au bout de quelques minutes, ma box fonctionne bien.",
	    "La passerelle $C répond au ping mais la page de login expire.",
	    "Des collègues de $T ont le même souci depuis $W.",
	    "J'ai essayé en Wi-Fi et en filaire, même résultat."),
	  L("Reset the VPN profile and pushed the config again.",
	    "Gateway $C shows $P% session usage, added capacity.",
	    "MTU lowered to 1380 on the client, tunnel stable since.",
	    "User's certificate was expired, renewed it."),
	  L("Profil VPN réinitialisé et configuration repoussée.",
	    "La passerelle $C est à $P% de sessions, capacité ajoutée.",
	    "MTU abaissé à 1380 sur le poste, tunnel stable depuis.",
	    "Certificat utilisateur expiré, renouvelé.") },

	{ "lan", "Network", "LAN / Wi-Fi", "network", "SW-$S-0##",
	  L("No network on desk $N, floor $F", "Wi-Fi drops in meeting room $F.$N",
	    "Port down on switch $C", "DHCP: no IP address on $H",
	    "DNS resolution fails for internal names", "Proxy blocks $A"),
	  L("Plus de réseau au bureau $N, étage $F", "Wi-Fi instable en salle de réunion $F.$N",
	    "Port désactivé sur le switch $C", "Pas d'adresse IP (DHCP) sur $H",
	    "Le proxy bloque $A", "Résolution DNS en échec pour les noms internes"),
	  L("The network icon shows \"No Internet access\" since I plugged the dock in.",
	    "Several people on floor $F are affected.", "The wall socket is labelled $S-$F-$N.",
	    "ipconfig shows a 169.254 address.", "The access point in the corridor blinks orange.",
	    "We moved desks on $W and nothing works since."),
	  L("L'icône réseau indique « Pas d'accès Internet » depuis le branchement du dock.",
	    "Plusieurs personnes de l'étage $F sont touchées.",
	    "La prise murale porte l'étiquette $S-$F-$N.", "ipconfig donne une adresse en 169.254.",
	    "La borne du couloir clignote en orange.",
	    "Nous avons déménagé $W et plus rien ne marche."),
	  L("Port $N on $C was err-disabled (BPDU guard), re-enabled.",
	    "VLAN corrected on the port, PC gets an address now.",
	    "Replaced the patch cable between socket and switch."),
	  L("Port $N de $C en err-disabled (BPDU guard), réactivé.",
	    "VLAN corrigé sur le port, le poste obtient une adresse.",
	    "Cordon de brassage remplacé entre la prise et le switch.") },

	{ "print", "Hardware", "Printing", "servicedesk", "PRN-$S-###",
	  L("Cannot print to $Q", "MFP on floor $F jams on every job", "Toner empty on $C",
	    "Print jobs stuck in the queue $Q", "Scan to email does not arrive from $C",
	    "Badge release not working at the copier, floor $F"),
	  L("Impossible d'imprimer sur $Q", "Le copieur de l'étage $F bourre à chaque impression",
	    "Plus de toner sur $C", "Impressions bloquées dans la file $Q",
	    "Le scan vers mail n'arrive pas depuis $C",
	    "L'imprimante multifonction du $Fe étage n'imprime qu'en noir"),
	  L("Jobs sent to $Q stay in \"Spooling\" forever.",
	    "The MFP display says \"Paper jam in tray 2\" but there is no paper stuck.",
	    "Colour prints come out with stripes.",
	    "I need to print the contract for a signature at $M.",
	    "The device $C shows offline in the print server.", "Scans arrive as empty PDF files."),
	  L("Les travaux envoyés sur $Q restent en « Spouling ».",
	    "L'écran du copieur indique « Bourrage bac 2 » mais rien n'est coincé.",
	    "Les impressions couleur sortent avec des traits.",
	    "Je dois imprimer le contrat pour une signature à $M.",
	    "L'imprimante $C apparaît hors ligne sur le serveur d'impression.",
	    "Les scans arrivent en PDF vides."),
	  L("Restarted the spooler on the print server, queue $Q flowing again.",
	    "Vendor technician booked for the MFP, part ordered.",
	    "Replaced the toner and the drum, test page OK.",
	    "Driver reinstalled on the user's PC."),
	  L("Spouleur redémarré sur le serveur d'impression, la file $Q repart.",
	    "Technicien du fournisseur planifié pour le copieur, pièce commandée.",
	    "Toner et tambour remplacés, page de test OK.",
	    "Pilote réinstallé sur le poste de l'utilisateur.") },

	{ "mail", "Messaging", "Email", "windows", "EXCH-MBX-0#",
	  L("Outlook keeps asking for my password", "Mailbox full ($P%), cannot send",
	    "Shared mailbox not visible in Outlook", "Outlook crashes at startup",
	    "Calendar invitations not received", "Cannot open attachments in Outlook",
	    "Out-of-office message does not work"),
	  L("Outlook redemande sans arrêt le mot de passe",
	    "Boîte aux lettres pleine ($P%), envoi impossible",
	    "Boîte partagée invisible dans Outlook", "Outlook plante au démarrage",
	    "Je ne reçois plus les invitations du calendrier",
	    "Impossible d'ouvrir les pièces jointes dans Outlook"),
	  L("Outlook shows \"Disconnected\" in the status bar.",
	    "The mailbox quota warning says I am at $P% of 50 GB.",
	    "The error message is \"Cannot start Microsoft Outlook. The set of folders cannot be "
	    "opened.\"",
	    "My PST file is on C:\\Users\\$U\\Documents\\Outlook Files\\archive.pst.",
	    "Webmail works, only the desktop client fails.",
	    "I need access to the shared mailbox of the $T office."),
	  L("Outlook affiche « Déconnecté » dans la barre d'état.",
	    "L'alerte de quota indique $P% sur 50 Go.",
	    "Le message est « Impossible de démarrer Microsoft Outlook ».",
	    "Mon fichier PST est dans C:\\Users\\$U\\Documents\\Fichiers Outlook.",
	    "Le webmail fonctionne, seul le client lourd pose problème.",
	    "J'ai besoin d'accéder à la boîte partagée du site de $T."),
	  L("Recreated the Outlook profile, OST resynchronised.",
	    "Archive policy applied, mailbox now at 61%.",
	    "Full access granted on the shared mailbox, wait for automapping.",
	    "Disabled the faulty add-in, Outlook starts."),
	  L("Profil Outlook recréé, OST resynchronisé.",
	    "Stratégie d'archivage appliquée, boîte à 61%.",
	    "Accès complet donné sur la boîte partagée, attendre l'automapping.",
	    "Complément défectueux désactivé, Outlook démarre.") },

	{ "identity", "Identity", "Directory", "security", "DC-$S-0#",
	  L("Account locked out", "Password reset for $U", "MFA token lost",
	    "Cannot log on to $H: trust relationship failed", "New starter needs an account",
	    "Add $U to group GG-$S-$A", "SSO fails for $A"),
	  L("Compte verrouillé", "Réinitialisation du mot de passe de $U", "Jeton MFA perdu",
	    "Ouverture de session impossible sur $H : relation d'approbation",
	    "Création de compte pour un nouvel arrivant", "Ajouter $U au groupe GG-$S-$A"),
	  L("My account gets locked every morning around $M.",
	    "I changed my password on $W and since then the account is locked.",
	    "Event ID 4740 on $C for user $U.", "The new colleague starts on $W in $T.",
	    "LDAP bind from $A fails with invalid credentials.",
	    "The smart card is not recognised anymore."),
	  L("Mon compte se verrouille tous les matins vers $M.",
	    "J'ai changé mon mot de passe $W et depuis le compte se bloque.",
	    "Événement 4740 sur $C pour l'utilisateur $U.", "Le nouveau collègue arrive $W à $T.",
	    "Le bind LDAP depuis $A échoue (identifiants invalides).",
	    "La carte à puce n'est plus reconnue."),
	  L("Account unlocked, old password cached on the phone, removed.",
	    "Password reset, user must change it at next logon.",
	    "Computer account reset on $C, rejoined the domain.",
	    "Group membership added, effective after next logon."),
	  L("Compte déverrouillé, ancien mot de passe mémorisé sur le téléphone, supprimé.",
	    "Mot de passe réinitialisé, changement forcé à la prochaine connexion.",
	    "Compte ordinateur réinitialisé sur $C, poste remis dans le domaine.",
	    "Appartenance au groupe ajoutée, effective à la prochaine connexion.") },

	{ "storage", "Storage", "SAN / NAS", "storage", "SAN-ARRAY-0#",
	  L("Disk full on $H", "Volume /data at $P% on $H", "LUN latency high on $C",
	    "NFS share not mounted on $H", "Restore a deleted folder from backup",
	    "Quota exceeded on the team share", "Snapshot failed on $C"),
	  L("Disque plein sur $H", "Volume /data à $P% sur $H", "Latence élevée sur les LUN de $C",
	    "Partage NFS non monté sur $H", "Restauration d'un dossier supprimé",
	    "Quota dépassé sur le partage d'équipe"),
	  L("Monitoring alert: filesystem usage $P% on $H.",
	    "The application stopped writing logs because the disk is full.",
	    "Latency on the SAN went above 40 ms during the night batch.",
	    "I deleted \\\\fs-$S-01\\projects\\2025 by mistake on $W.",
	    "The backup job for $H has been failing since $W.",
	    "The team share is at 100% of its quota."),
	  L("Alerte supervision : remplissage $P% sur $H.",
	    "L'application n'écrit plus ses logs car le disque est plein.",
	    "La latence SAN a dépassé 40 ms pendant le batch de nuit.",
	    "J'ai supprimé \\\\fs-$S-01\\projets\\2025 par erreur $W.",
	    "La sauvegarde de $H échoue depuis $W.", "Le partage d'équipe est à 100% du quota."),
	  L("Extended the volume by 200 GB, usage back to 70%.",
	    "Old logs compressed and purged, see the cron fix.",
	    "Restore started from the last snapshot, $N GB to copy.",
	    "Path failover on the array, vendor case opened."),
	  L("Volume étendu de 200 Go, remplissage revenu à 70%.",
	    "Anciens logs compressés et purgés, voir correctif cron.",
	    "Restauration lancée depuis le dernier snapshot, $N Go à copier.",
	    "Bascule de chemin sur la baie, dossier ouvert chez le fournisseur.") },

	{ "patch", "Workstation", "Patching", "windows", "WKS-#####",
	  L("PC stuck in reboot loop after updates", "Monthly patching: $K failed on $H",
	    "Blue screen after the last Windows update", "Patch window for the $T servers",
	    "WSUS: $N machines not reporting", "Update $K breaks $A"),
	  L("Le PC redémarre en boucle après les mises à jour",
	    "Patch mensuel : échec de $K sur $H",
	    "Écran bleu après la dernière mise à jour Windows",
	    "Fenêtre de patch pour les serveurs de $T", "WSUS : $N postes ne remontent plus"),
	  L("After the updates last night the PC shows \"Undoing changes\" in a loop.",
	    "Installation of $K fails with $E.", "BSOD: STOP 0x0000007E after the reboot.",
	    "We need a window on $W evening to patch the cluster.",
	    "The GPO for updates does not apply on the $T OU.",
	    "$A does not start since $K was installed."),
	  L("Depuis les mises à jour de cette nuit le PC affiche « Annulation des modifications » "
	    "en boucle.",
	    "L'installation de $K échoue avec $E.",
	    "Écran bleu STOP 0x0000007E après le redémarrage.",
	    "Il faut une fenêtre $W soir pour patcher le cluster.",
	    "La GPO de mises à jour ne s'applique pas sur l'OU de $T.",
	    "$A ne démarre plus depuis l'installation de $K."),
	  L("Booted in safe mode, uninstalled $K, machine stable.",
	    "Patched and rebooted $H, all services up.",
	    "WSUS client reset (SoftwareDistribution renamed), reporting again.",
	    "Change approved by the CAB for $W."),
	  L("Démarrage en mode sans échec, $K désinstallé, poste stable.",
	    "$H patché et redémarré, tous les services sont up.",
	    "Client WSUS réinitialisé (SoftwareDistribution renommé), remonte à nouveau.",
	    "Changement validé en CAB pour $W.") },

	{ "unix", "Servers", "Linux", "unix", "srv-lnx-###",
	  L("Cron job not running on $H", "SSH key access for $U on $H", "High load average on $H",
	    "/var full on $H", "Service failed to start after reboot on $H",
	    "Kernel update on the $T cluster"),
	  L("Tâche cron non exécutée sur $H", "Accès SSH par clé pour $U sur $H",
	    "Charge très élevée sur $H", "/var plein sur $H",
	    "Service en échec après redémarrage de $H"),
	  L("systemctl status shows the unit in failed state with exit code 203.",
	    "Load average is above 40 on a 16-core box.", "/var/log/journal takes $N GB.",
	    "Please add my public key for the deploy account.",
	    "The nightly export did not run, nothing in /var/log/cron.",
	    "Output:\n\tsshd[1234]: Connection closed by authenticating user $U port 51514"),
	  L("systemctl status indique l'unité en échec, code de sortie 203.",
	    "La charge dépasse 40 sur une machine à 16 cœurs.", "/var/log/journal occupe $N Go.",
	    "Merci d'ajouter ma clé publique sur le compte de déploiement.",
	    "L'export de nuit n'a pas tourné, rien dans /var/log/cron."),
	  L("Journal vacuumed to 2 GB, logrotate fixed.",
	    "Crontab had a stray % character, escaped it.",
	    "Key added to authorized_keys, access tested with the user.",
	    "Runaway java process killed, app team informed."),
	  L("Journal purgé à 2 Go, logrotate corrigé.",
	    "La crontab contenait un % non échappé, corrigé.",
	    "Clé ajoutée dans authorized_keys, accès testé avec l'utilisateur.",
	    "Processus java emballé tué, équipe applicative prévenue.") },

	{ "citrix", "Applications", "Citrix", "windows", "CTX-VDA-##",
	  L("Citrix session frozen", "Published app $A does not launch in Citrix",
	    "StoreFront shows no resources", "Citrix Workspace asks to update",
	    "Very slow Citrix desktop in $T"),
	  L("Session Citrix figée", "L'application publiée $A ne se lance pas",
	    "StoreFront n'affiche aucune ressource", "Bureau Citrix très lent à $T"),
	  L("The session freezes every time I open $A.",
	    "Clicking the icon does nothing, then \"Cannot start app\".",
	    "The store is empty after login, yesterday it was fine.",
	    "Receiver version $V, Windows 11.", "Session host $C seems overloaded."),
	  L("La session se fige dès que j'ouvre $A.",
	    "Un clic sur l'icône ne fait rien puis « Impossible de démarrer l'application ».",
	    "Le magasin est vide après connexion, hier tout allait bien.",
	    "Version de Workspace $V, Windows 11.", "Le serveur $C semble saturé."),
	  L("Session reset from Director, user reconnected.",
	    "VDA $C put in maintenance mode and rebooted.", "Profile cleaned, app launches."),
	  L("Session réinitialisée depuis Director, utilisateur reconnecté.",
	    "VDA $C mis en maintenance et redémarré.", "Profil nettoyé, l'application se lance.") },

	{ "badge", "Facilities", "Access control", "security", "BDG-$S-##",
	  L("Badge reader at the entrance of building $S does not respond",
	    "My badge does not open door $F.$N", "Turnstile blocked at $T reception",
	    "New badge needed for $U", "Badge reader of the server room beeps red"),
	  L("Le lecteur de badge de l'entrée du bâtiment $S ne répond plus",
	    "Mon badge n'ouvre plus la porte $F.$N", "Tourniquet bloqué à l'accueil de $T",
	    "Nouveau badge pour $U", "Le lecteur de la salle serveurs bipe rouge"),
	  L("The reader LED stays red and nothing happens.",
	    "Security had to open the door manually at $M.", "My badge works on the other floors.",
	    "The controller $C appears offline in the access system."),
	  L("Le voyant du lecteur reste rouge et rien ne se passe.",
	    "La sécurité a dû ouvrir la porte à la main à $M.",
	    "Mon badge fonctionne aux autres étages.",
	    "Le contrôleur $C apparaît hors ligne dans le système d'accès."),
	  L("Reader rebooted from the controller, works.",
	    "Access rights re-synchronised for the badge.", "Locksmith and vendor on site on $W."),
	  L("Lecteur redémarré depuis le contrôleur, fonctionne.",
	    "Droits d'accès resynchronisés pour le badge.",
	    "Serrurier et fournisseur sur site $W.") },

	{ "laptop", "Hardware", "Workstation", "servicedesk", "LAP-#####",
	  L("Laptop does not boot", "Docking station: external screens stay black",
	    "Keyboard keys not working", "Battery drains in one hour", "New laptop for $U",
	    "Webcam not detected in Teams"),
	  L("Le portable ne démarre plus", "Station d'accueil : écrans externes noirs",
	    "Touches du clavier inopérantes", "La batterie se vide en une heure",
	    "Nouveau portable pour $U"),
	  L("Power LED blinks but the screen stays black.",
	    "The screens flicker when connected to the dock.",
	    "I spilled coffee on the keyboard this morning.", "Asset tag $C.",
	    "BitLocker asks for the recovery key at every start."),
	  L("Le voyant clignote mais l'écran reste noir.",
	    "Les écrans scintillent quand le portable est sur la station.",
	    "J'ai renversé du café sur le clavier ce matin.", "Numéro d'inventaire $C.",
	    "BitLocker demande la clé de récupération à chaque démarrage."),
	  L("Dock firmware updated to $V, screens OK.",
	    "Loan laptop given, repair request sent to the vendor.",
	    "Recovery key provided, TPM cleared and re-sealed."),
	  L("Firmware du dock mis à jour en $V, écrans OK.",
	    "Portable de prêt remis, demande de réparation envoyée au fournisseur.",
	    "Clé de récupération fournie, TPM réinitialisé.") },

	{ "app", "Applications", "Business apps", "servicedesk", "APP-$S-0#",
	  L("$A: error $E when saving", "Install $A on $H", "$A licence expired",
	    "Access request for $A", "SharePoint site of the $T team is read-only",
	    "Teams meetings drop after $N minutes"),
	  L("$A : erreur $E à l'enregistrement", "Installer $A sur $H", "Licence $A expirée",
	    "Demande d'accès à $A", "Le site SharePoint de l'équipe de $T est en lecture seule"),
	  L("The error appears as soon as I click Save.",
	    "I need $A version $V for the project starting $W.",
	    "The licence server says \"no seats available\".",
	    "My manager approved the request by email.", "It worked last week."),
	  L("L'erreur apparaît dès que je clique sur Enregistrer.",
	    "J'ai besoin de $A en version $V pour le projet qui démarre $W.",
	    "Le serveur de licences répond « aucune licence disponible ».",
	    "Mon responsable a validé la demande par mail.",
	    "Ça fonctionnait la semaine dernière."),
	  L("Package deployed through the software centre.", "Licence pool extended by 10 seats.",
	    "Permissions restored on the site collection."),
	  L("Paquet déployé via le centre logiciel.", "Pool de licences étendu de 10 postes.",
	    "Permissions restaurées sur la collection de sites.") },

	{ "security", "Security", "SOC", "security", "FW-$S-0#",
	  L("Phishing email received", "Antivirus alert on $H",
	    "Certificate expires in $N days on $H", "Suspicious login on account $U",
	    "USB storage blocked, need exception", "Firewall rule request: $H to $C"),
	  L("Mail d'hameçonnage reçu", "Alerte antivirus sur $H",
	    "Le certificat de $H expire dans $N jours", "Connexion suspecte sur le compte $U",
	    "Demande d'ouverture de flux : $H vers $C"),
	  L("I received an email asking me to \"verify my mailbox\" with a link.",
	    "The antivirus quarantined a file in C:\\Users\\$U\\Downloads.",
	    "The TLS certificate of the portal expires soon.",
	    "I did not log in from that country.", "Please open TCP 443 and 8443 from $H to $C."),
	  L("J'ai reçu un mail me demandant de « vérifier ma boîte » avec un lien.",
	    "L'antivirus a mis en quarantaine un fichier dans C:\\Users\\$U\\Downloads.",
	    "Le certificat TLS du portail expire bientôt.",
	    "Je ne me suis pas connecté depuis ce pays.",
	    "Merci d'ouvrir TCP 443 et 8443 de $H vers $C."),
	  L("Mail purged from all mailboxes, sender blocked.",
	    "Full scan clean, false positive reported to the vendor.",
	    "Certificate renewed and deployed, expiry in 1 year.",
	    "Rule added on $C after security review."),
	  L("Mail purgé de toutes les boîtes, expéditeur bloqué.",
	    "Analyse complète propre, faux positif signalé à l'éditeur.",
	    "Certificat renouvelé et déployé, expiration dans 1 an.",
	    "Règle ajoutée sur $C après revue sécurité.") },
};

/* Topic weights, in topics[] order. */
static const unsigned topic_weight[] = { 12, 9, 10, 12, 11, 7, 9, 7, 6, 4, 6, 5, 5 };
_Static_assert(ARRAY_LEN(topic_weight) == ARRAY_LEN(topics), "one weight a topic");

/* The controlled words.  Only these tables may contain them. */
static const char *const printer_title_en[] = { "Printer $C offline on floor $F",
						"Printer on floor $F prints blank pages",
						"Cannot add the printer $Q",
						"Printer driver missing after migration",
						"Printer in room $F.$N jams constantly",
						NULL };
static const char *const printer_title_fr[] = { "Le printer du $Fe étage ne répond plus",
						"Printer $C hors ligne",
						"Impossible d'ajouter le printer $Q",
						"Pilote du printer absent après migration", NULL };
static const char *const printer_sent_en[] = {
	"The printer $C shows an error on its panel.",
	"Everything else works, only the printer is a problem.",
	"The printer next to the coffee machine is the one.",
	"Since the printer driver update, printing hangs.", NULL
};
static const char *const printer_sent_fr[] = {
	"Le printer $C affiche une erreur sur son panneau.",
	"Tout le reste fonctionne, seul le printer pose souci.",
	"C'est le printer à côté de la machine à café.",
	"Depuis la mise à jour du pilote du printer, l'impression se bloque.", NULL
};
static const char *const kerberos_title_en[] = {
	"Kerberos authentication fails on $H", "Kerberos ticket not renewed after logon",
	"Clock skew breaks Kerberos on $H", "SPN missing: Kerberos falls back to NTLM for $A", NULL
};
static const char *const kerberos_title_fr[] = { "Échec d'authentification Kerberos sur $H",
						 "Ticket Kerberos non renouvelé",
						 "Décalage d'horloge : Kerberos en échec sur $H",
						 NULL };
static const char *const kerberos_sent_en[] = {
	"klist shows no Kerberos ticket for the user.",
	"Event 4771 (Kerberos pre-authentication failed) on $C.",
	"The keytab for the Kerberos service principal was regenerated on $H.",
	"Time on $H was off by 7 minutes, more than Kerberos tolerates.", NULL
};
static const char *const kerberos_sent_fr[] = {
	"klist n'affiche aucun ticket Kerberos pour l'utilisateur.",
	"Événement 4771 (pré-authentification Kerberos en échec) sur $C.",
	"Le keytab du principal Kerberos a été régénéré sur $H.",
	"L'horloge de $H avait 7 minutes d'écart, trop pour Kerberos.", NULL
};

static const char *const greet_en[] = { "Hello,", "Hi,", "Hi team,", "Good morning,", NULL };
static const char *const greet_fr[] = { "Bonjour,", "Bonjour à tous,", "Salut,", NULL };
static const char *const filler_en[] = { "This is blocking my work.",
					 "It is quite urgent, I have a deadline on $W.",
					 "I already restarted the PC twice.",
					 "My extension is $N$N.",
					 "Could someone call me back before $M?",
					 "A colleague on floor $F has the same issue.",
					 "It happens randomly, maybe once an hour.",
					 "No change on my side as far as I know.",
					 "Screenshot attached.",
					 "I am in $T this week.",
					 "Thanks in advance.",
					 NULL };
static const char *const filler_fr[] = {
	"Ça bloque mon travail.",
	"C'est assez urgent, j'ai une échéance $W.",
	"J'ai déjà redémarré le PC deux fois.",
	"Mon poste est le $N$N.",
	"Quelqu'un peut-il me rappeler avant $M ?",
	"Une collègue de l'étage $F a le même problème.",
	"Cela arrive de façon aléatoire, environ une fois par heure.",
	"Aucun changement de mon côté à ma connaissance.",
	"Capture d'écran jointe.",
	"Je suis à $T cette semaine.",
	"Merci d'avance.",
	NULL
};
static const char *const public_en[] = {
	"Could you please restart your computer and tell us if the problem persists?",
	"We are looking into it.",
	"Can you send us a screenshot of the error?",
	"The issue should be fixed now, please confirm.",
	"We have escalated your request to the $G team.",
	"Still happening this morning.",
	"Thanks, it works again.",
	"When are you available for a remote session?",
	NULL
};
static const char *const public_fr[] = {
	"Pouvez-vous redémarrer votre poste et nous dire si le problème persiste ?",
	"Nous regardons.",
	"Pouvez-vous nous envoyer une capture de l'erreur ?",
	"Le problème devrait être corrigé, merci de confirmer.",
	"Votre demande a été transmise à l'équipe $G.",
	"Toujours le cas ce matin.",
	"Merci, ça remarche.",
	"Quand êtes-vous disponible pour une prise en main à distance ?",
	NULL
};
static const char *const internal_en[] = { "Escalated to level 2 ($G).",
					   "Same root cause as last week, see the problem record.",
					   "User is VIP, keep the manager informed.",
					   "Waiting for the vendor's answer.",
					   "Do not close before the user confirms.",
					   "Known error, workaround documented in the KB.",
					   NULL };
static const char *const internal_fr[] = { "Escaladé au niveau 2 ($G).",
					   "Même cause que la semaine dernière, voir le problème.",
					   "Utilisateur VIP, tenir son responsable informé.",
					   "En attente de la réponse du fournisseur.",
					   "Ne pas clôturer avant confirmation de l'utilisateur.",
					   "Erreur connue, contournement documenté dans la base.",
					   NULL };
static const char *const worklog_en[] = { "Remote session with the user.",
					  "Checked the logs on $H, nothing relevant.",
					  "Tested from another PC, same behaviour.",
					  "Called the user, no answer, left a voicemail.",
					  "Went on site, floor $F.",
					  "Documentation updated.",
					  NULL };
static const char *const worklog_fr[] = { "Prise en main à distance avec l'utilisateur.",
					  "Logs vérifiés sur $H, rien de pertinent.",
					  "Test depuis un autre poste, même comportement.",
					  "Appel de l'utilisateur, pas de réponse, message laissé.",
					  "Déplacement sur site, étage $F.",
					  "Documentation mise à jour.",
					  NULL };

static const char *const sites[] = { "LUX", "BRU", "PAR", "STR", "MET", "NCY" };
static const char *const towns[] = { "Luxembourg", "Bruxelles", "Paris",
				     "Strasbourg", "Metz",	"Nancy" };
static const char *const apps[] = { "SAP GUI",	  "Teams",	"SharePoint", "Excel",
				    "Word",	  "Firefox",	"Chrome",     "Oracle client",
				    "Jira",	  "Confluence", "AutoCAD",    "Acrobat",
				    "ServiceNow", "Power BI",	"KeePass",    "Zoom" };
static const char *const errors[] = { "0x800CCC0E",	"0x80070005", "0x80004005",
				      "0x8024402C",	"ORA-12541",  "809",
				      "HTTP 503",	"0xC004F074", "ERR_CONNECTION_RESET",
				      "E_ACCESSDENIED", "1603",	      "0x80190001" };
static const char *const host_patterns[] = { "srv-$S-###", "wks-#####", "srv-lnx-###",
					     "app-$S-0#" };
static const char *const days_en[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday" };
static const char *const days_fr[] = { "lundi", "mardi", "mercredi", "jeudi", "vendredi" };
static const char *const first_names[] = {
	"jean",	  "marie",    "pierre", "sophie",   "luc",     "anne",	  "paul",    "claire",
	"marc",	  "julie",    "david",	"laura",    "thomas",  "emma",	  "nicolas", "sarah",
	"michel", "nathalie", "eric",	"isabelle", "olivier", "camille", "john",    "mary",
	"peter",  "susan",    "mark",	"linda",    "james",   "karen",	  "alain",   "chantal",
	"yves",	  "lea",      "hugo",	"ines",	    "louis",   "chloe",	  "victor",  "zoe"
};
static const char *const last_names[] = {
	"dupont", "martin",   "bernard",  "thomas",   "petit",	  "robert",   "richard",
	"durand", "dubois",   "moreau",	  "laurent",  "simon",	  "michel",   "lefebvre",
	"leroy",  "roux",     "david",	  "bertrand", "morel",	  "fournier", "girard",
	"bonnet", "dupuis",   "lambert",  "fontaine", "rousseau", "vincent",  "muller",
	"schmit", "weber",    "wagner",	  "hoffmann", "klein",	  "meyer",    "schneider",
	"smith",  "jones",    "taylor",	  "brown",    "wilson",	  "evans",    "walker",
	"wright", "peeters",  "janssens", "maes",     "jacobs",	  "mertens",  "willems",
	"claes",  "goossens", "wouters",  "reuter",   "kieffer",  "thill",    "hansen",
	"becker", "faber",    "kremer",	  "weis"
};

static const char *const groups[] = { "network", "servicedesk", "unix",
				      "windows", "storage",	"security" };
#define TECHS_PER_GROUP 8

static const char *const types[] = { "incident", "request", "change", "problem" };
static const unsigned type_weight[] = { 60, 25, 10, 5 };

enum {
	ST_NEW,
	ST_ASSIGNED,
	ST_IN_PROGRESS,
	ST_PEND_CUST,
	ST_PEND_VENDOR,
	ST_PEND_CHANGE,
	ST_REOPENED,
	ST_RESOLVED,
	ST_CLOSED
};
static const char *const statuses[] = { "new",
					"assigned",
					"in_progress",
					"pending_customer",
					"pending_vendor",
					"pending_change",
					"reopened",
					"resolved",
					"closed" };
static const unsigned status_weight[] = { 5, 6, 8, 4, 3, 2, 2, 15, 55 };

static const unsigned impact_weight[] = { 4, 16, 45, 35 };
static const unsigned urgency_weight[] = { 6, 24, 45, 25 };
static const int prio_matrix[4][4] = {
	/* urgency 1  2  3  4 */
	{ 1, 1, 2, 3 }, /* impact 1 */
	{ 1, 2, 3, 3 }, /* impact 2 */
	{ 2, 3, 3, 4 }, /* impact 3 */
	{ 3, 3, 4, 4 }, /* impact 4 */
};

static const char *const classifications[] = { "UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL" };
static const unsigned class_weight[] = { 85, 12, 3 };

static const char *const kinds[] = { "public", "internal", "worklog" };
static const unsigned kind_weight[] = { 50, 25, 25 };

/* Resolution time range in seconds by priority. */
static const int64_t resolve_lo[4] = { 15 * 60, 3600, 2 * 3600, 4 * 3600 };
static const int64_t resolve_hi[4] = { 8 * 3600, 3 * 86400, 10 * 86400, 30 * 86400 };

/* ------------------------------------------------------------------ */
/* One ticket.                                                         */

#define TEXT_MAX     1024 /* more than any generated text */
#define MAX_COMMENTS 64

struct comment {
	char uuid[37];
	int kind;
	char author[32];
	char body[TEXT_MAX];
	int minutes;
	int64_t created_at;
};

struct ticket {
	long n;
	char uuid[37];
	char ref[24];
	const char *type;
	char title[TEXT_MAX];
	char description[TEXT_MAX];
	int status;
	int priority, impact, urgency;
	const struct topic *topic;
	char ci[32];
	char requester[32];
	char assignee[32]; /* "" = none */
	const char *group;
	const char *classification;
	int64_t created_at, updated_at, resolved_at, closed_at; /* 0 = none */
	int ncomments;
	struct comment comments[MAX_COMMENTS];
	int has_kerberos, has_printer;
};

/* Context for template expansion. */
struct ctx {
	struct rng *r;
	const struct ticket *t;
	int fr;
	int site;
	char host[32];
	char queue[32];
};

/* A text being built, never longer than cap - 1. */
struct text {
	char *s;
	size_t len, cap;
};

static void text_put(struct text *x, const char *s, size_t n)
{
	if (x->len + n >= x->cap)
		n = x->cap - 1 - x->len;
	memcpy(x->s + x->len, s, n);
	x->len += n;
	x->s[x->len] = '\0';
}

static void text_puts(struct text *x, const char *s)
{
	text_put(x, s, strlen(s));
}

static void text_putn(struct text *x, long v)
{
	char tmp[24];
	int k = snprintf(tmp, sizeof tmp, "%ld", v);
	text_put(x, tmp, (size_t)k);
}

static size_t list_len(const char *const *l)
{
	size_t n = 0;
	while (l[n])
		n++;
	return n;
}

static const char *pick(struct rng *r, const char *const *l)
{
	return l[rng_below(r, list_len(l))];
}

#define PICK(r, a) ((a)[rng_below((r), ARRAY_LEN(a))])

/* Fills a CI/host pattern: '#' is a digit, $S the site code. */
static void fill_pattern(char *dst, size_t cap, const char *pat, struct rng *r, int site)
{
	struct text x = { dst, 0, cap };
	dst[0] = '\0';
	for (const char *p = pat; *p; p++) {
		if (*p == '#') {
			char d = (char)('0' + rng_below(r, 10));
			text_put(&x, &d, 1);
		} else if (p[0] == '$' && p[1] == 'S') {
			text_puts(&x, sites[site]);
			p++;
		} else {
			text_put(&x, p, 1);
		}
	}
}

static void expand(struct text *x, const char *tpl, struct ctx *c)
{
	struct rng *r = c->r;
	for (const char *p = tpl; *p; p++) {
		if (*p != '$' || !p[1]) {
			const char *q = p;
			while (q[1] && q[1] != '$')
				q++;
			text_put(x, p, (size_t)(q - p + 1));
			p = q;
			continue;
		}
		switch (*++p) {
		case 'C': text_puts(x, c->t->ci); break;
		case 'S': text_puts(x, sites[c->site]); break;
		case 'T': text_puts(x, towns[c->site]); break;
		case 'F': text_putn(x, (long)rng_range(r, 0, 9)); break;
		case 'U': text_puts(x, c->t->requester); break;
		case 'H': text_puts(x, c->host); break;
		case 'N': text_putn(x, (long)rng_range(r, 2, 99)); break;
		case 'E': text_puts(x, PICK(r, errors)); break;
		case 'V': {
			char v[24];
			snprintf(v, sizeof v, "%d.%d.%d", (int)rng_range(r, 1, 24),
				 (int)rng_range(r, 0, 12), (int)rng_range(r, 0, 40));
			text_puts(x, v);
			break;
		}
		case 'K':
			text_puts(x, "KB50");
			text_putn(x, (long)rng_range(r, 10000, 99999));
			break;
		case 'P': text_putn(x, (long)rng_range(r, 85, 100)); break;
		case 'A': text_puts(x, PICK(r, apps)); break;
		case 'G': text_puts(x, c->t->group); break;
		case 'Q': text_puts(x, c->queue); break;
		case 'W': text_puts(x, c->fr ? PICK(r, days_fr) : PICK(r, days_en)); break;
		case 'M': {
			char m[8];
			int h = (int)rng_range(r, 8, 17), mi = (int)rng_range(r, 0, 3) * 15;
			if (c->fr)
				snprintf(m, sizeof m, "%dh%02d", h, mi);
			else
				snprintf(m, sizeof m, "%d:%02d", h, mi);
			text_puts(x, m);
			break;
		}
		default: text_put(x, p - 1, 2); break;
		}
	}
}

/* Appends sentences to x until its length reaches a target drawn in
 * [lo, hi], never going over hi.  `forced` sentences come first. */
static void compose(struct text *x, struct ctx *c, size_t lo, size_t hi, const char *const *forced,
		    size_t nforced, const char *const *pools[], const unsigned *pool_weight,
		    size_t npools)
{
	struct rng *r = c->r;
	size_t target = (size_t)rng_range(r, (int64_t)lo, (int64_t)hi);
	char sbuf[TEXT_MAX];
	uint64_t used[8] = { 0 };

	for (size_t i = 0; i < nforced; i++) {
		if (x->len)
			text_puts(x, " ");
		expand(x, forced[i], c);
	}
	for (int tries = 0; x->len < target && tries < 64; tries++) {
		size_t pi = rng_weighted(r, pool_weight, npools);
		size_t n = list_len(pools[pi]);
		size_t si = rng_below(r, n);
		if (pi < 8 && si < 64 && (used[pi] >> si & 1))
			continue;
		struct text s = { sbuf, 0, sizeof sbuf };
		sbuf[0] = '\0';
		expand(&s, pools[pi][si], c);
		/* Now and then a paragraph break. */
		const char *sep = !x->len ? "" : rng_pct(r, 12) ? "\n\n" : " ";
		if (x->len + strlen(sep) + s.len > hi)
			continue;
		if (pi < 8 && si < 64)
			used[pi] |= UINT64_C(1) << si;
		text_puts(x, sep);
		text_put(x, s.s, s.len);
	}
	/* Short of the minimum (rare): pad with a closing sentence. */
	while (x->len < lo) {
		const char *pad = c->fr ? " Merci." : " Thanks.";
		text_puts(x, x->len ? pad : pad + 1);
	}
}

static void make_login(char *dst, size_t cap, size_t first, size_t last, int digit)
{
	if (digit)
		snprintf(dst, cap, "%c%s%d", first_names[first][0], last_names[last], digit);
	else
		snprintf(dst, cap, "%c%s", first_names[first][0], last_names[last]);
}

/* Technician k (0..TECHS_PER_GROUP-1) of group g: a fixed login. */
static void tech_login(char *dst, size_t cap, size_t g, size_t k)
{
	size_t i = g * TECHS_PER_GROUP + k;
	make_login(dst, cap, (i * 7 + 3) % ARRAY_LEN(first_names),
		   (i * 13 + 5) % ARRAY_LEN(last_names), 0);
}

static size_t group_index(const char *g)
{
	for (size_t i = 0; i < ARRAY_LEN(groups); i++)
		if (strcmp(groups[i], g) == 0)
			return i;
	return 0;
}

static void make_uuid7(char *dst, int64_t ms, struct rng *r)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[16];
	uint64_t a = rng_next(r), c = rng_next(r);
	for (int i = 0; i < 6; i++)
		b[i] = (uint8_t)((uint64_t)ms >> (40 - 8 * i));
	for (int i = 6; i < 16; i++)
		b[i] = (uint8_t)((i < 11 ? a : c) >> (8 * (i % 8)));
	b[6] = (uint8_t)(0x70 | (b[6] & 0x0f));
	b[8] = (uint8_t)(0x80 | (b[8] & 0x3f));
	size_t k = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			dst[k++] = '-';
		dst[k++] = hex[b[i] >> 4];
		dst[k++] = hex[b[i] & 15];
	}
	dst[k] = '\0';
}

struct params {
	uint64_t seed;
	long n;
	int comments_per_ticket;
	int open_pct;	    /* share of open tickets, 30 by default */
	int64_t start, end; /* the period, Unix seconds */
	int64_t span_ms;    /* creation times spread over [start, start + span) */
};

/* 1 if ticket n (1-based) is the chosen one of its block of `block`. */
static int chosen(const struct params *p, long n, long block, uint64_t label)
{
	long b = (n - 1) / block;
	struct rng r = rng_for(p->seed, (uint64_t)b, label);
	return (long)rng_below(&r, (uint64_t)block) == (n - 1) % block;
}

static int64_t skewed(struct rng *r, int64_t lo, int64_t hi)
{
	/* Product of two uniforms: many short durations, a long tail. */
	double u = (double)(rng_next(r) >> 11) / 9007199254740992.0;
	double v = (double)(rng_next(r) >> 11) / 9007199254740992.0;
	return lo + (int64_t)((double)(hi - lo) * u * v);
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

enum where { IN_TITLE, IN_DESC, IN_COMMENT };

static void gen_ticket(const struct params *p, long n, struct ticket *t)
{
	struct rng rs = rng_for(p->seed, (uint64_t)n, 1);
	struct rng *r = &rs;
	struct ctx c;

	memset(&c, 0, sizeof c);
	c.r = r;
	c.t = t;
	t->n = n;
	snprintf(t->ref, sizeof t->ref, "GEN-%ld", n);
	t->has_kerberos = chosen(p, n, 100, 2);
	t->has_printer = chosen(p, n, 10, 3);

	/* Topic: a printing topic for most printer tickets, identity for
	 * most kerberos ones. */
	size_t ti = rng_weighted(r, topic_weight, ARRAY_LEN(topics));
	if (t->has_printer && rng_pct(r, 80))
		ti = 2;
	if (t->has_kerberos && rng_pct(r, 60))
		ti = 4;
	t->topic = &topics[ti];
	c.fr = rng_pct(r, 35);
	c.site = (int)rng_below(r, ARRAY_LEN(sites));
	t->type = types[rng_weighted(r, type_weight, ARRAY_LEN(types))];
	if (p->open_pct == 30) {
		t->status = (int)rng_weighted(r, status_weight, ARRAY_LEN(statuses));
	} else {
		/* the open statuses (30 in all) scaled to P, resolved and closed
		 * (70) to 100 - P; still one draw */
		unsigned w[ARRAY_LEN(statuses)];
		for (size_t i = 0; i < ARRAY_LEN(statuses); i++)
			w[i] = status_weight[i] * (i < ST_RESOLVED
							   ? 7u * (unsigned)p->open_pct
							   : 3u * (unsigned)(100 - p->open_pct));
		t->status = (int)rng_weighted(r, w, ARRAY_LEN(statuses));
	}
	t->impact = (int)rng_weighted(r, impact_weight, 4) + 1;
	t->urgency = (int)rng_weighted(r, urgency_weight, 4) + 1;
	t->priority = prio_matrix[t->impact - 1][t->urgency - 1];
	t->classification =
		classifications[rng_weighted(r, class_weight, ARRAY_LEN(classifications))];
	t->group = rng_pct(r, 90) ? t->topic->group : PICK(r, groups);
	fill_pattern(t->ci, sizeof t->ci, t->topic->ci_pattern, r, c.site);
	{
		fill_pattern(c.host, sizeof c.host, PICK(r, host_patterns), r, c.site);
		for (char *h = c.host; *h; h++)
			*h = (char)tolower((unsigned char)*h);
		snprintf(c.queue, sizeof c.queue, "PQ-%s-%02d", sites[c.site],
			 (int)rng_range(r, 1, 40));
	}
	make_login(t->requester, sizeof t->requester, rng_below(r, ARRAY_LEN(first_names)),
		   rng_below(r, ARRAY_LEN(last_names)),
		   rng_pct(r, 10) ? (int)rng_range(r, 2, 9) : 0);
	size_t gi = group_index(t->group);
	if (t->status == ST_NEW)
		t->assignee[0] = '\0';
	else
		tech_login(t->assignee, sizeof t->assignee, gi, rng_below(r, TECHS_PER_GROUP));

	/* Times. */
	/* floor((n - 1) * span / N) without overflow, plus a jitter below the
	 * step: strictly increasing with n. */
	int64_t step = p->span_ms / p->n;
	int64_t ms = p->start * 1000 + step * (n - 1) + (p->span_ms % p->n) * (n - 1) / p->n;
	ms += (int64_t)rng_below(r, (uint64_t)step);
	t->created_at = ms / 1000;
	make_uuid7(t->uuid, ms, r);
	int64_t last; /* end of the ticket's activity */
	int pi = t->priority - 1;
	t->resolved_at = t->closed_at = 0;
	if (t->status == ST_RESOLVED || t->status == ST_CLOSED) {
		t->resolved_at =
			min64(t->created_at + skewed(r, resolve_lo[pi], resolve_hi[pi]), p->end);
		last = t->resolved_at;
		if (t->status == ST_CLOSED)
			t->closed_at =
				min64(t->resolved_at + rng_range(r, 3600, 7 * 86400), p->end);
	} else {
		last = min64(t->created_at + skewed(r, 600, 2 * resolve_hi[pi]), p->end);
	}

	/* Comments: count, kinds, authors and times first. */
	int maxc = 2 * p->comments_per_ticket;
	t->ncomments = maxc > 0 ? (int)rng_range(r, 0, maxc) : 0;
	if (t->ncomments > MAX_COMMENTS)
		t->ncomments = MAX_COMMENTS;
	int64_t times[MAX_COMMENTS];
	for (int i = 0; i < t->ncomments; i++)
		times[i] = last > t->created_at ? rng_range(r, t->created_at + 1, last)
						: t->created_at;
	for (int i = 1; i < t->ncomments; i++) /* insertion sort, small n */
		for (int j = i; j > 0 && times[j - 1] > times[j]; j--) {
			int64_t tmp = times[j];
			times[j] = times[j - 1];
			times[j - 1] = tmp;
		}
	int64_t updated = last;
	if (t->closed_at)
		updated = t->closed_at;
	if (t->ncomments && times[t->ncomments - 1] > updated)
		updated = times[t->ncomments - 1];
	t->updated_at = updated;

	/* Where the controlled words go. */
	int kw = -1, pw = -1;
	if (t->has_kerberos) {
		uint64_t x = rng_below(r, 100);
		kw = x < 50 ? IN_TITLE : x < 85 || !t->ncomments ? IN_DESC : IN_COMMENT;
	}
	if (t->has_printer) {
		uint64_t x = rng_below(r, 100);
		pw = x < 50 ? IN_TITLE : x < 85 || !t->ncomments ? IN_DESC : IN_COMMENT;
		if (pw == IN_TITLE && kw == IN_TITLE)
			pw = IN_DESC;
	}
	int kc = kw == IN_COMMENT ? (int)rng_below(r, (uint64_t)t->ncomments) : -1;
	int pc = pw == IN_COMMENT ? (int)rng_below(r, (uint64_t)t->ncomments) : -1;

	/* Title. */
	{
		struct text x = { t->title, 0, sizeof t->title };
		t->title[0] = '\0';
		const char *tpl;
		if (kw == IN_TITLE)
			tpl = pick(r, c.fr ? kerberos_title_fr : kerberos_title_en);
		else if (pw == IN_TITLE)
			tpl = pick(r, c.fr ? printer_title_fr : printer_title_en);
		else
			tpl = pick(r, c.fr ? t->topic->title_fr : t->topic->title_en);
		expand(&x, tpl, &c);
	}

	/* Description. */
	{
		struct text x = { t->description, 0, sizeof t->description };
		const char *forced[3];
		size_t nf = 0;
		t->description[0] = '\0';
		if (rng_pct(r, 30))
			forced[nf++] = pick(r, c.fr ? greet_fr : greet_en);
		if (kw == IN_DESC)
			forced[nf++] = pick(r, c.fr ? kerberos_sent_fr : kerberos_sent_en);
		if (pw == IN_DESC)
			forced[nf++] = pick(r, c.fr ? printer_sent_fr : printer_sent_en);
		const char *const *pools[2] = { c.fr ? t->topic->desc_fr : t->topic->desc_en,
						c.fr ? filler_fr : filler_en };
		static const unsigned w[2] = { 70, 30 };
		compose(&x, &c, 100, 600, forced, nf, pools, w, 2);
	}

	/* Comments. */
	char techs[2][32];
	tech_login(techs[0], sizeof techs[0], gi, rng_below(r, TECHS_PER_GROUP));
	tech_login(techs[1], sizeof techs[1], rng_below(r, ARRAY_LEN(groups)),
		   rng_below(r, TECHS_PER_GROUP));
	int lang = c.fr;
	for (int i = 0; i < t->ncomments; i++) {
		struct comment *cm = &t->comments[i];
		cm->kind = (int)rng_weighted(r, kind_weight, ARRAY_LEN(kinds));
		cm->created_at = times[i];
		make_uuid7(cm->uuid, times[i] * 1000 + (int64_t)rng_below(r, 1000), r);
		const char *tech = t->assignee[0] ? t->assignee : techs[0];
		if (rng_pct(r, 15))
			tech = techs[1];
		if (cm->kind == 0 && rng_pct(r, 40))
			snprintf(cm->author, sizeof cm->author, "%s", t->requester);
		else
			snprintf(cm->author, sizeof cm->author, "%s", tech);
		cm->minutes = cm->kind == 2 ? (int)rng_range(r, 1, 48) * 5 : 0;
		c.fr = rng_pct(r, 15) ? !lang : lang;
		const char *forced[2];
		size_t nf = 0;
		if (kc == i)
			forced[nf++] = pick(r, c.fr ? kerberos_sent_fr : kerberos_sent_en);
		if (pc == i)
			forced[nf++] = pick(r, c.fr ? printer_sent_fr : printer_sent_en);
		const char *const *kind_pool = cm->kind == 0   ? (c.fr ? public_fr : public_en)
					       : cm->kind == 1 ? (c.fr ? internal_fr : internal_en)
							       : (c.fr ? worklog_fr : worklog_en);
		const char *const *pools[2] = { kind_pool,
						c.fr ? t->topic->com_fr : t->topic->com_en };
		static const unsigned w[2] = { 60, 40 };
		struct text x = { cm->body, 0, sizeof cm->body };
		cm->body[0] = '\0';
		compose(&x, &c, 40, 300, forced, nf, pools, w, 2);
	}
	c.fr = lang;
}

/* ------------------------------------------------------------------ */
/* Writers.                                                            */

static void write_jsonl(struct out *o, const struct ticket *t)
{
	const struct topic *tp = t->topic;
	out_str(o, "{\"uuid\":\"");
	out_str(o, t->uuid);
	out_str(o, "\",\"ref\":\"");
	out_str(o, t->ref);
	out_str(o, "\",\"type\":\"");
	out_str(o, t->type);
	out_str(o, "\",\"title\":");
	out_json_str(o, t->title);
	out_str(o, ",\"description\":");
	out_json_str(o, t->description);
	out_str(o, ",\"status\":\"");
	out_str(o, statuses[t->status]);
	out_str(o, "\",\"priority\":\"P");
	out_int(o, t->priority);
	out_str(o, "\",\"impact\":");
	out_int(o, t->impact);
	out_str(o, ",\"urgency\":");
	out_int(o, t->urgency);
	out_str(o, ",\"category\":");
	out_json_str(o, tp->category);
	out_str(o, ",\"service\":");
	out_json_str(o, tp->service);
	out_str(o, ",\"ci\":");
	out_json_str(o, t->ci);
	out_str(o, ",\"requester\":");
	out_json_str(o, t->requester);
	if (t->assignee[0]) {
		out_str(o, ",\"assignee\":");
		out_json_str(o, t->assignee);
	}
	out_str(o, ",\"group\":\"");
	out_str(o, t->group);
	out_str(o, "\",\"classification\":\"");
	out_str(o, t->classification);
	out_str(o, "\",\"created_at\":");
	out_json_time(o, t->created_at);
	out_str(o, ",\"updated_at\":");
	out_json_time(o, t->updated_at);
	if (t->resolved_at) {
		out_str(o, ",\"resolved_at\":");
		out_json_time(o, t->resolved_at);
	}
	if (t->closed_at) {
		out_str(o, ",\"closed_at\":");
		out_json_time(o, t->closed_at);
	}
	out_str(o, ",\"comments\":[");
	for (int i = 0; i < t->ncomments; i++) {
		const struct comment *cm = &t->comments[i];
		out_str(o, i ? ",{\"uuid\":\"" : "{\"uuid\":\"");
		out_str(o, cm->uuid);
		out_str(o, "\",\"kind\":\"");
		out_str(o, kinds[cm->kind]);
		out_str(o, "\",\"author\":");
		out_json_str(o, cm->author);
		out_str(o, ",\"body\":");
		out_json_str(o, cm->body);
		out_str(o, ",\"minutes\":");
		out_int(o, cm->minutes);
		out_str(o, ",\"created_at\":");
		out_json_time(o, cm->created_at);
		out_chr(o, '}');
	}
	out_str(o, "]}\n");
}

static void csv_int_or_null(struct out *o, int64_t v)
{
	if (v)
		out_int(o, v);
}

/* tickets: id,uuid,ref,type,title,description,status,priority,impact,
 * urgency,category,service,ci,requester,assignee,group_name,
 * classification,vendor,vendor_ref,resolution,created_at,updated_at,
 * resolved_at,closed_at,response_due,resolve_due,responded_at,sla_due,
 * sla_next,sla_response,sla_resolve,followup_at (schema version 3) */
static void write_floor_ticket(struct out *o, const struct ticket *t)
{
	out_int(o, t->n);
	out_chr(o, ',');
	out_str(o, t->uuid);
	out_chr(o, ',');
	out_csv_str(o, t->ref);
	out_chr(o, ',');
	out_csv_str(o, t->type);
	out_chr(o, ',');
	out_csv_str(o, t->title);
	out_chr(o, ',');
	out_csv_str(o, t->description);
	out_chr(o, ',');
	out_csv_str(o, statuses[t->status]);
	out_chr(o, ',');
	out_int(o, t->priority);
	out_chr(o, ',');
	out_int(o, t->impact);
	out_chr(o, ',');
	out_int(o, t->urgency);
	out_chr(o, ',');
	out_csv_str(o, t->topic->category);
	out_chr(o, ',');
	out_csv_str(o, t->topic->service);
	out_chr(o, ',');
	out_csv_str(o, t->ci);
	out_chr(o, ',');
	out_csv_str(o, t->requester);
	out_chr(o, ',');
	out_csv_str(o, t->assignee[0] ? t->assignee : NULL);
	out_chr(o, ',');
	out_csv_str(o, t->group);
	out_chr(o, ',');
	out_csv_str(o, t->classification);
	out_str(o, ",,,,"); /* vendor, vendor_ref, resolution: NULL */
	out_int(o, t->created_at);
	out_chr(o, ',');
	out_int(o, t->updated_at);
	out_chr(o, ',');
	csv_int_or_null(o, t->resolved_at);
	out_chr(o, ',');
	csv_int_or_null(o, t->closed_at);
	/* response_due, resolve_due, responded_at, sla_due, sla_next,
	 * sla_response, sla_resolve, followup_at: NULL */
	out_str(o, ",,,,,,,,\n");
}

/* comments: id,uuid,ticket_id,kind,author,body,minutes,created_at */
static void write_floor_comments(struct out *o, const struct ticket *t, int64_t *next_id)
{
	for (int i = 0; i < t->ncomments; i++) {
		const struct comment *cm = &t->comments[i];
		out_int(o, (*next_id)++);
		out_chr(o, ',');
		out_str(o, cm->uuid);
		out_chr(o, ',');
		out_int(o, t->n);
		out_chr(o, ',');
		out_str(o, kinds[cm->kind]);
		out_chr(o, ',');
		out_csv_str(o, cm->author);
		out_chr(o, ',');
		out_csv_str(o, cm->body);
		out_chr(o, ',');
		out_int(o, cm->minutes);
		out_chr(o, ',');
		out_int(o, cm->created_at);
		out_chr(o, '\n');
	}
}

/* ------------------------------------------------------------------ */
/* Checks.                                                             */

/* 1 if `s` contains `w` (lower case ASCII), ignoring case. */
static int has_word(const char *s, const char *w)
{
	size_t n = strlen(w);
	const char first[3] = { w[0], (char)toupper((unsigned char)w[0]), '\0' };
	while ((s = strpbrk(s, first)) != NULL) {
		size_t i = 1;
		while (i < n && s[i] && tolower((unsigned char)s[i]) == w[i])
			i++;
		if (i == n)
			return 1;
		s++;
	}
	return 0;
}

static int check_list(const char *const *l, const char *what)
{
	int bad = 0;
	for (; *l; l++)
		if (has_word(*l, "printer") || has_word(*l, "kerberos")) {
			fprintf(stderr, "picket-gen: %s: controlled word in \"%s\"\n", what, *l);
			bad = 1;
		}
	return bad;
}

static int check_array(const char *const *a, size_t n, const char *what)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		const char *one[2] = { a[i], NULL };
		bad |= check_list(one, what);
	}
	return bad;
}

/* Every table but the controlled ones is free of "printer" and "kerberos". */
static void self_check(void)
{
	int bad = 0;
	for (size_t i = 0; i < ARRAY_LEN(topics); i++) {
		const struct topic *t = &topics[i];
		const char *const fields[] = { t->name,	 t->category,	t->service,
					       t->group, t->ci_pattern, NULL };
		bad |= check_list(fields, t->name);
		bad |= check_list(t->title_en, t->name) | check_list(t->title_fr, t->name);
		bad |= check_list(t->desc_en, t->name) | check_list(t->desc_fr, t->name);
		bad |= check_list(t->com_en, t->name) | check_list(t->com_fr, t->name);
	}
	bad |= check_list(greet_en, "greet") | check_list(greet_fr, "greet");
	bad |= check_list(filler_en, "filler") | check_list(filler_fr, "filler");
	bad |= check_list(public_en, "public") | check_list(public_fr, "public");
	bad |= check_list(internal_en, "internal") | check_list(internal_fr, "internal");
	bad |= check_list(worklog_en, "worklog") | check_list(worklog_fr, "worklog");
	bad |= check_array(host_patterns, ARRAY_LEN(host_patterns), "hosts");
	bad |= check_array(sites, ARRAY_LEN(sites), "sites");
	bad |= check_array(towns, ARRAY_LEN(towns), "towns");
	bad |= check_array(apps, ARRAY_LEN(apps), "apps");
	bad |= check_array(errors, ARRAY_LEN(errors), "errors");
	bad |= check_array(days_en, ARRAY_LEN(days_en), "days");
	bad |= check_array(days_fr, ARRAY_LEN(days_fr), "days");
	bad |= check_array(first_names, ARRAY_LEN(first_names), "names");
	bad |= check_array(last_names, ARRAY_LEN(last_names), "names");
	bad |= check_array(groups, ARRAY_LEN(groups), "groups");
	for (const char *const *l = printer_title_en; *l; l++)
		bad |= !has_word(*l, "printer");
	for (const char *const *l = printer_title_fr; *l; l++)
		bad |= !has_word(*l, "printer");
	for (const char *const *l = printer_sent_en; *l; l++)
		bad |= !has_word(*l, "printer");
	for (const char *const *l = printer_sent_fr; *l; l++)
		bad |= !has_word(*l, "printer");
	for (const char *const *l = kerberos_title_en; *l; l++)
		bad |= !has_word(*l, "kerberos");
	for (const char *const *l = kerberos_title_fr; *l; l++)
		bad |= !has_word(*l, "kerberos");
	for (const char *const *l = kerberos_sent_en; *l; l++)
		bad |= !has_word(*l, "kerberos");
	for (const char *const *l = kerberos_sent_fr; *l; l++)
		bad |= !has_word(*l, "kerberos");
	if (bad)
		die("vocabulary self-check failed");
}

/* Counts what was really written, to report and to catch mistakes. */
static int ticket_has(const struct ticket *t, const char *w)
{
	if (has_word(t->title, w) || has_word(t->description, w))
		return 1;
	for (int i = 0; i < t->ncomments; i++)
		if (has_word(t->comments[i].body, w))
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fputs("usage: picket-gen [--seed S] [--comments-per-ticket C] [--open-pct P] [--quiet]\n"
	      "                  --format jsonl|floor N OUTDIR-or-FILE\n"
	      "  jsonl FILE    one ticket a line, the picket import format (- = stdout)\n"
	      "  floor OUTDIR  OUTDIR/tickets.csv and OUTDIR/comments.csv, the same rows\n"
	      "                in the columns of the tickets and comments tables\n"
	      "  --open-pct P  P% of the tickets open (default 30)\n",
	      f);
}

static long parse_long(const char *s, const char *what, long lo, long hi)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		die("bad %s: %s (expected %ld..%ld)", what, s, lo, hi);
	return (long)v;
}

int main(int argc, char **argv)
{
	struct params p;
	const char *format = NULL, *args[2] = { NULL, NULL };
	int nargs = 0, quiet = 0;

	memset(&p, 0, sizeof p);
	p.seed = 42;
	p.comments_per_ticket = 3;
	p.open_pct = 30;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			quiet = 1;
		} else if (strncmp(a, "--seed", 6) == 0 && (a[6] == '=' || !a[6])) {
			val = a[6] ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
			if (!val)
				die("--seed needs a value");
			char *end;
			errno = 0;
			p.seed = strtoull(val, &end, 0);
			if (errno || end == val || *end)
				die("bad seed: %s", val);
		} else if (strncmp(a, "--comments-per-ticket", 21) == 0 &&
			   (a[21] == '=' || !a[21])) {
			val = a[21] ? a + 22 : (i + 1 < argc ? argv[++i] : NULL);
			if (!val)
				die("--comments-per-ticket needs a value");
			p.comments_per_ticket =
				(int)parse_long(val, "comments per ticket", 0, MAX_COMMENTS / 2);
		} else if (strncmp(a, "--open-pct", 10) == 0 && (a[10] == '=' || !a[10])) {
			val = a[10] ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);
			if (!val)
				die("--open-pct needs a value");
			p.open_pct = (int)parse_long(val, "open percentage", 0, 100);
		} else if (strncmp(a, "--format", 8) == 0 && (a[8] == '=' || !a[8])) {
			format = a[8] ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!format)
				die("--format needs a value");
		} else if (a[0] == '-' && a[1]) {
			usage(stderr);
			die("unknown option: %s", a);
		} else if (nargs < 2) {
			args[nargs++] = a;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!format || nargs != 2) {
		usage(stderr);
		return 2;
	}
	int floor_fmt = 0;
	if (strcmp(format, "jsonl") == 0)
		floor_fmt = 0;
	else if (strcmp(format, "floor") == 0)
		floor_fmt = 1;
	else
		die("unknown format: %s (jsonl or floor)", format);
	p.n = parse_long(args[0], "ticket count", 1, 100000000L);
	p.start = days_from_civil(2025, 6, 1) * 86400;
	p.end = days_from_civil(2026, 11, 1) * 86400;
	p.span_ms = (p.end - 45 * 86400 - p.start) * 1000;

	self_check();

	struct out o1, o2;
	char *path1 = NULL, *path2 = NULL;
	if (floor_fmt) {
		const char *dir = args[1];
		if (mkdir(dir, 0777) != 0 && errno != EEXIST)
			die("%s: %s", dir, strerror(errno));
		size_t dl = strlen(dir) + 32;
		path1 = malloc(dl);
		path2 = malloc(dl);
		if (!path1 || !path2)
			die("out of memory");
		snprintf(path1, dl, "%s/tickets.csv", dir);
		snprintf(path2, dl, "%s/comments.csv", dir);
		out_open(&o1, path1);
		out_open(&o2, path2);
	} else {
		out_open(&o1, args[1]);
	}

	struct ticket *t = malloc(sizeof *t);
	if (!t)
		die("out of memory");
	clock_t t0 = clock();
	int64_t next_comment = 1;
	long kerb = 0, prin = 0, open = 0;
	for (long n = 1; n <= p.n; n++) {
		gen_ticket(&p, n, t);
		int hk = ticket_has(t, "kerberos"), hp = ticket_has(t, "printer");
		if (hk != t->has_kerberos || hp != t->has_printer)
			die("internal error: controlled word mismatch in %s", t->ref);
		kerb += hk;
		prin += hp;
		open += t->status < ST_RESOLVED;
		if (floor_fmt) {
			write_floor_ticket(&o1, t);
			write_floor_comments(&o2, t, &next_comment);
		} else {
			next_comment += t->ncomments;
			write_jsonl(&o1, t);
		}
	}
	out_close(&o1);
	if (floor_fmt)
		out_close(&o2);
	free(t);
	free(path1);
	free(path2);
	if (!quiet)
		fprintf(stderr,
			"picket-gen: %ld tickets, %" PRId64 " comments (seed %" PRIu64
			"), kerberos in %ld, printer in %ld; %ld open; %.1f MB in %.2f s CPU\n",
			p.n, next_comment - 1, p.seed, kerb, prin, open,
			(double)(o1.total + (floor_fmt ? o2.total : 0)) / 1e6,
			(double)(clock() - t0) / CLOCKS_PER_SEC);
	return 0;
}
