/* Service levels and the desk around tickets: sla, escalate, vendor,
 * oncall, handover. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "picket/calendar.h"
#include "picket/clock.h"
#include "picket/desk.h"
#include "picket/escalate.h"
#include "picket/handover.h"
#include "picket/i18n.h"
#include "picket/io.h"
#include "picket/policy.h"
#include "picket/sla.h"
#include "picket/status.h"
#include "picket/text.h"

/* A time argument: a date and time (local time unless it names a zone),
 * or a duration from now: "-2h" is two hours ago, "2h" or "+2h" in two
 * hours, unless `ago` makes a bare duration count back (--since 12h). */
static int when_arg(const char *opt, const char *s, int ago, int64_t *out)
{
	int64_t d;
	int sign = ago ? -1 : 1;
	const char *p = s;
	if (*p == '-' || *p == '+')
		sign = *p++ == '-' ? -1 : 1;
	if (pk_duration_parse(p, &d) == 0) {
		*out = pk_clock_now() + sign * d;
		return PK_OK;
	}
	if (strcmp(s, "now") == 0) {
		*out = pk_clock_now();
		return PK_OK;
	}
	if (pk_zone_time_parse(NULL, s, out) == 0)
		return PK_OK;
	return cli_failf(PK_EUSAGE, _("%s: '%s' is not a time (2026-03-01T08:00, now, -2h, +1d)"),
			 opt, s);
}

/* 1d4h30m: exact enough to explain a clock.  Working time on a business
 * calendar is counted in hours (a "day" there is the working day). */
static int hours_only;

static char *dur(int64_t s, char *buf, size_t len)
{
	const char *sign = s < 0 ? "-" : "";
	if (s < 0)
		s = -s;
	long long d = hours_only ? 0 : s / 86400, h = hours_only ? s / 3600 : s / 3600 % 24,
		  m = s / 60 % 60;
	if (d)
		snprintf(buf, len, "%s%lldd%lldh%02lldm", sign, d, h, m);
	else if (h)
		snprintf(buf, len, "%s%lldh%02lldm", sign, h, m);
	else
		snprintf(buf, len, "%s%lldm", sign, m);
	return buf;
}

static json_t *time_json(int64_t t)
{
	char buf[32];
	return t ? json_string(pk_time_format(t, buf, sizeof(buf))) : json_null();
}

/* picket sla ---------------------------------------------------------- */

static json_t *clock_json(const struct pk_sla_clock *c)
{
	json_t *o = json_object();
	static const char *const states[] = { "none", "running", "paused", "met", "breached" };
	json_object_set_new(o, "state", json_string(states[c->state]));
	if (c->state == PK_SLA_NONE)
		return o;
	json_object_set_new(o, "target_seconds", json_integer(c->target));
	json_object_set_new(o, "elapsed_seconds", json_integer(c->elapsed));
	json_object_set_new(o, "left_seconds", json_integer(c->target - c->elapsed));
	json_object_set_new(o, "due", time_json(c->due));
	json_object_set_new(o, "stopped", time_json(c->stopped));
	json_object_set_new(o, "breached_at", time_json(c->breached_at));
	return o;
}

static void clock_text(const struct pk_config *cfg, const struct pk_sla *s, const char *label,
		       const struct pk_sla_clock *c)
{
	char a[32], b[32], e[32], t[32];
	printf("%-10s ", label);
	if (c->state == PK_SLA_NONE) {
		printf("%s\n", _("no target"));
		return;
	}
	printf(_("target %s, elapsed %s, "), dur(c->target, a, sizeof(a)),
	       dur(c->elapsed, e, sizeof(e)));
	if (c->elapsed > c->target)
		printf(_("over by %s"), dur(c->elapsed - c->target, b, sizeof(b)));
	else
		printf(_("left %s"), dur(c->target - c->elapsed, b, sizeof(b)));
	printf(", %s", pk_sla_state_name(c->state));
	if (c->state == PK_SLA_RUNNING && c->due)
		printf(_(", due %s"), pk_time_format(c->due, t, sizeof(t)));
	if (c->stopped)
		printf(_(", stopped %s"), pk_time_format(c->stopped, t, sizeof(t)));
	if (c->breached_at)
		printf(_(", breached %s"), pk_time_format(c->breached_at, t, sizeof(t)));
	putchar('\n');
	const int *levels;
	int nl = pk_sla_warn_levels(cfg, &levels);
	for (int i = 0; i < nl && (c->state == PK_SLA_RUNNING || c->state == PK_SLA_PAUSED); i++) {
		int64_t m = pk_sla_crossing(cfg, s, c, levels[i]);
		if (m)
			printf(_("           warning at %d%%: %s\n"), levels[i],
			       pk_time_format(m, t, sizeof(t)));
	}
}

int cmd_sla(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("sla");
	int c, rc, recompute = 0;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		if (c == 'R')
			recompute = 1;
		else
			return PK_EUSAGE;
	}
	if (recompute ? argc != optind : argc - optind != 1)
		return cli_usage(cmd);
	if ((rc = cli_open(cli, recompute ? cmd->flags & ~CLI_READONLY : cmd->flags)) != PK_OK)
		return rc;
	if (recompute) {
		long n = 0;
		if ((rc = pk_sla_recompute(cli->db, &n)) != PK_OK)
			return cli_fail(cli, rc);
		if (cli->out == CLI_OUT_JSON) {
			json_t *o = json_object();
			json_object_set_new(o, "recomputed", json_integer(n));
			cli_json_print(o);
		} else {
			printf(P_("recomputed the SLA clocks of %ld ticket\n",
				  "recomputed the SLA clocks of %ld tickets\n", n),
			       n);
		}
		return PK_OK;
	}
	struct pk_ticket *t;
	if ((rc = pk_ticket_get(cli->db, argv[optind], &t)) != PK_OK)
		return cli_fail(cli, rc);
	struct pk_sla s;
	if ((rc = pk_sla_compute(cli->db, t, pk_clock_now(), &s)) != PK_OK) {
		pk_ticket_free(&t);
		return cli_fail(cli, rc);
	}
	if (cli->out == CLI_OUT_JSON) {
		json_t *o = json_object(), *spans = json_array();
		json_object_set_new(o, "ref", json_string(t->ref));
		json_object_set_new(o, "policy", json_string(s.policy));
		json_object_set_new(o, "calendar", json_string(s.calendar));
		json_object_set_new(o, "now", time_json(s.now));
		json_object_set_new(o, "response", clock_json(&s.response));
		json_object_set_new(o, "resolve", clock_json(&s.resolve));
		for (size_t i = 0; i < s.nspans; i++) {
			json_t *j = json_object();
			json_object_set_new(j, "from", time_json(s.spans[i].from));
			json_object_set_new(j, "to", time_json(s.spans[i].to));
			json_object_set_new(j, "status", json_string(s.spans[i].status));
			json_object_set_new(j, "counting", json_boolean(s.spans[i].running));
			json_array_append_new(spans, j);
		}
		json_object_set_new(o, "intervals", spans);
		cli_json_print(o);
	} else {
		char a[32], b[32], d[32];
		struct pk_calendar *cal = pk_sla_calendar(cli->cfg, s.calendar);
		hours_only = cal && !pk_calendar_always(cal);
		cli_print_safe(stdout, t->ref, 0);
		printf(_(" P%d %s: targets from %s, calendar %s\n"), t->priority, t->type, s.policy,
		       s.calendar);
		clock_text(cli->cfg, &s, _("Response"), &s.response);
		clock_text(cli->cfg, &s, _("Resolve"), &s.resolve);
		printf("%s\n", _("Intervals:"));
		for (size_t i = 0; i < s.nspans; i++) {
			const struct pk_sla_span *sp = &s.spans[i];
			int last = i + 1 == s.nspans;
			printf("  %s  %-20s  %-8s  %-18s %s\n",
			       pk_time_format(sp->from, a, sizeof(a)),
			       last && !pk_wf_is_closed(&cli->cfg->wf, sp->status)
				       ? _("now")
				       : pk_time_format(sp->to, b, sizeof(b)),
			       (hours_only = 0, dur(sp->to - sp->from, d, sizeof(d))), sp->status,
			       sp->running ? _("counting") : _("paused or stopped"));
		}
	}
	pk_sla_free(&s);
	pk_ticket_free(&t);
	return PK_OK;
}

/* picket escalate ----------------------------------------------------- */

static void log_stderr(const char *msg, void *data)
{
	(void)data;
	fputs("picket: ", stderr);
	cli_print_safe(stderr, msg, 0);
	fputc('\n', stderr);
}

static int print_notification(const struct pk_notification *n, void *data)
{
	json_t *a = data;
	if (a) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(n->id));
		json_object_set_new(o, "rule", json_string(n->rule));
		json_object_set_new(o, "ticket", json_string(n->ticket_ref));
		json_object_set_new(o, "condition", json_string(n->condition));
		json_object_set_new(o, "state", json_string(n->state));
		json_object_set_new(o, "attempts", json_integer(n->attempts));
		json_object_set_new(o, "next_at", time_json(n->next_at));
		json_object_set_new(o, "last_error",
				    n->last_error ? json_string(n->last_error) : json_null());
		json_array_append_new(a, o);
		return 0;
	}
	char t[32];
	printf("  %-8s %-14s ", n->state, n->rule);
	cli_print_safe(stdout, n->ticket_ref, 0);
	printf(" %-20s %d %s", n->condition, n->attempts, pk_time_format(n->next_at, t, sizeof(t)));
	if (n->last_error) {
		fputs("  ", stdout);
		cli_print_safe(stdout, n->last_error, 0);
	}
	putchar('\n');
	return 0;
}

int cmd_escalate(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("escalate");
	int c, rc, run = 0, quiet = 0;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		if (c == 'r')
			run = 1;
		else if (c == 'q')
			quiet = 1;
		else
			return PK_EUSAGE;
	}
	if (argc != optind || (quiet && !run))
		return cli_usage(cmd);
	if ((rc = cli_open(cli, run ? cmd->flags : cmd->flags | CLI_READONLY)) != PK_OK)
		return rc;
	if (run) {
		struct pk_escalate_stats st;
		rc = pk_escalate_run(cli->db, &st, quiet ? NULL : log_stderr, NULL);
		if (rc != PK_OK)
			return cli_fail(cli, rc);
		if (cli->out == CLI_OUT_JSON) {
			json_t *o = json_object();
			json_object_set_new(o, "examined", json_integer(st.examined));
			json_object_set_new(o, "fired", json_integer(st.fired));
			json_object_set_new(o, "notified", json_integer(st.notified));
			json_object_set_new(o, "failed", json_integer(st.failed));
			json_object_set_new(o, "abandoned", json_integer(st.abandoned));
			json_object_set_new(o, "recomputed", json_integer(st.recomputed));
			json_object_set_new(o, "errors", json_integer(st.errors));
			cli_json_print(o);
		} else if (!quiet) {
			printf(_("escalation: %ld examined, %ld fired, %ld notified, %ld failed "
				 "(retried later), %ld given up, %ld not actionable, %ld clocks "
				 "recomputed\n"),
			       st.examined, st.fired, st.notified, st.failed, st.abandoned,
			       st.errors, st.recomputed);
		}
		return PK_OK;
	}
	struct pk_rule_info rules[64];
	int n = pk_escalate_rules(cli->cfg, rules, 64);
	json_t *queue = cli->out == CLI_OUT_JSON ? json_array() : NULL;
	if (queue) {
		json_t *o = json_object(), *a = json_array();
		for (int i = 0; i < n && i < 64; i++) {
			json_t *r = json_object();
			json_object_set_new(r, "name", json_string(rules[i].name));
			json_object_set_new(r, "when", json_string(rules[i].when));
			json_object_set_new(r, "clock", json_string(rules[i].clock));
			if (rules[i].threshold)
				json_object_set_new(r, "threshold",
						    json_integer(rules[i].threshold));
			const char *k[] = { "query", "priority", "group", "note", "notify" };
			const char *v[] = { rules[i].query, rules[i].priority, rules[i].group,
					    rules[i].note, rules[i].notify };
			for (int j = 0; j < 5; j++)
				if (v[j])
					json_object_set_new(r, k[j], json_string(v[j]));
			json_array_append_new(a, r);
		}
		json_object_set_new(o, "rules", a);
		rc = pk_notification_list(cli->db, print_notification, queue);
		json_object_set_new(o, "notifications", queue);
		if (rc != PK_OK) {
			json_decref(o);
			return cli_fail(cli, rc);
		}
		cli_json_print(o);
		return PK_OK;
	}
	if (!n)
		printf("%s\n", _("no escalation rules (see [escalate.RULE] in picket.conf(5))"));
	for (int i = 0; i < n && i < 64; i++) {
		printf("%-14s %s", rules[i].name, rules[i].when);
		if (strcmp(rules[i].when, "match"))
			printf(" %s", rules[i].clock);
		if (rules[i].threshold)
			printf(" %d%%", rules[i].threshold);
		if (rules[i].query)
			printf(" [%s]", rules[i].query);
		if (rules[i].priority)
			printf(_(" priority %s"), rules[i].priority);
		if (rules[i].group)
			printf(_(" group %s"), rules[i].group);
		if (rules[i].note)
			printf(_(" note"));
		if (rules[i].notify)
			printf(_(" notify %s"), rules[i].notify);
		putchar('\n');
	}
	printf("%s\n", _("Notifications (newest first):"));
	return (rc = pk_notification_list(cli->db, print_notification, NULL)) == PK_OK
		       ? PK_OK
		       : cli_fail(cli, rc);
}

/* picket vendor ------------------------------------------------------- */

static int print_vendor(const struct pk_vendor *v, void *data)
{
	json_t *a = data;
	if (a) {
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(v->name));
		json_object_set_new(o, "contact",
				    v->contact ? json_string(v->contact) : json_null());
		json_object_set_new(o, "contract",
				    v->contract ? json_string(v->contract) : json_null());
		json_object_set_new(o, "configured", json_boolean(v->configured));
		json_array_append_new(a, o);
		return 0;
	}
	cli_print_safe(stdout, v->name, 0);
	fputs("\t", stdout);
	cli_print_safe(stdout, v->contact ? v->contact : "-", 0);
	fputs("\t", stdout);
	cli_print_safe(stdout, v->contract ? v->contract : "-", 0);
	putchar('\n');
	return 0;
}

int cmd_vendor(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("vendor");
	const char *contact = NULL, *contract = NULL, *their = NULL, *follow = NULL;
	char *note = NULL;
	int c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		switch (c) {
		case 'c': contact = optarg; break;
		case 'k': contract = optarg; break;
		case 'r': their = optarg; break;
		case 'f': follow = optarg; break;
		case 'm':
			free(note);
			if ((rc = cli_text_arg(optarg, &note)) != PK_OK)
				return rc;
			break;
		default: free(note); return PK_EUSAGE;
		}
	}
	int nargs = argc - optind;
	const char *a0 = nargs > 0 ? argv[optind] : NULL;
	rc = PK_OK;
	if (a0 && strcmp(a0, "list") == 0 && nargs == 1) {
		if ((rc = cli_open(cli, cmd->flags | CLI_READONLY)) != PK_OK)
			goto out;
		json_t *a = cli->out == CLI_OUT_JSON ? json_array() : NULL;
		if ((rc = pk_vendor_list(cli->db, print_vendor, a)) != PK_OK) {
			json_decref(a);
			rc = cli_fail(cli, rc);
		} else if (a) {
			cli_json_print(a);
		}
	} else if (a0 && strcmp(a0, "add") == 0 && nargs == 2) {
		if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
			goto out;
		struct pk_vendor v;
		if ((rc = pk_vendor_add(cli->db, argv[optind + 1], contact, contract)) != PK_OK) {
			rc = cli_fail(cli, rc);
		} else if (cli->out == CLI_OUT_JSON) {
			json_t *a = json_array();
			if (pk_vendor_find(cli->db, argv[optind + 1], &v) == PK_OK) {
				print_vendor(&v, a);
				pk_vendor_clear(&v);
			}
			cli_json_print(json_incref(json_array_get(a, 0)));
			json_decref(a);
		} else {
			char *name = pk_sanitize_dup(argv[optind + 1], cli_san_flags(0));
			printf(_("vendor %s added\n"), name);
			free(name);
		}
	} else if (nargs == 2) {
		int64_t at = 0;
		if (follow && (rc = when_arg("--follow-up", follow, 0, &at)) != PK_OK)
			goto out;
		if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
			goto out;
		struct pk_ticket *t;
		if ((rc = pk_ticket_get(cli->db, argv[optind], &t)) != PK_OK) {
			rc = cli_fail(cli, rc);
			goto out;
		}
		rc = pk_vendor_escalate(cli->db, t, argv[optind + 1], their, at, note);
		pk_ticket_free(&t);
		if (rc != PK_OK) {
			rc = cli_fail(cli, rc);
			goto out;
		}
		if ((rc = pk_ticket_get(cli->db, argv[optind], &t)) != PK_OK) {
			rc = cli_fail(cli, rc);
			goto out;
		}
		if (cli->out == CLI_OUT_JSON) {
			cli_json_print(pk_ticket_to_json(t));
		} else {
			char buf[32];
			cli_print_safe(stdout, t->ref, 0);
			printf(" %s ", t->status);
			cli_print_safe(stdout, t->vendor, 0);
			if (t->vendor_ref) {
				putchar(' ');
				cli_print_safe(stdout, t->vendor_ref, 0);
			}
			printf(_(", follow up %s\n"),
			       pk_time_format(t->followup_at, buf, sizeof(buf)));
		}
		pk_ticket_free(&t);
	} else {
		rc = cli_usage(cmd);
	}
out:
	free(note);
	return rc;
}

/* picket oncall ------------------------------------------------------- */

static json_t *duty_json(const struct pk_duty *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "group", json_string(d->group));
	json_object_set_new(o, "person", json_string(d->person));
	json_object_set_new(o, "from", time_json(d->from));
	json_object_set_new(o, "until", time_json(d->until));
	json_object_set_new(o, "override", json_boolean(d->override));
	json_object_set_new(o, "reason", d->reason ? json_string(d->reason) : json_null());
	json_object_set_new(o, "next", d->next_person ? json_string(d->next_person) : json_null());
	return o;
}

static void duty_text(const struct pk_duty *d)
{
	char a[32];
	cli_print_safe(stdout, d->group, 0);
	fputs(": ", stdout);
	cli_print_safe(stdout, d->person, 0);
	if (d->until)
		printf(_(" until %s"), pk_time_format(d->until, a, sizeof(a)));
	if (d->next_person) {
		printf(_(", then "));
		cli_print_safe(stdout, d->next_person, 0);
	}
	if (d->override) {
		printf(" (%s", _("override"));
		if (d->reason) {
			fputs(": ", stdout);
			cli_print_safe(stdout, d->reason, 0);
		}
		putchar(')');
	}
	putchar('\n');
}

int cmd_oncall(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("oncall");
	const char *group = NULL, *at_s = NULL, *from_s = NULL, *until_s = NULL, *reason = NULL;
	int c, rc;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		switch (c) {
		case 'g': group = optarg; break;
		case 'a': at_s = optarg; break;
		case 'f': from_s = optarg; break;
		case 'u': until_s = optarg; break;
		case 'm': reason = optarg; break;
		default: return PK_EUSAGE;
		}
	}
	int nargs = argc - optind;
	int64_t at = pk_clock_now(), from = 0, until = 0;
	if (nargs > 0 && strcmp(argv[optind], "override") == 0) {
		if (nargs != 3 || !from_s || !until_s)
			return cli_usage(cmd);
		if ((rc = when_arg("--from", from_s, 0, &from)) != PK_OK ||
		    (rc = when_arg("--until", until_s, 0, &until)) != PK_OK)
			return rc;
		if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
			return rc;
		const char *who = cli_user_arg(cli, argv[optind + 2]);
		if ((rc = pk_oncall_override(cli->db, argv[optind + 1], who, from, until,
					     reason)) != PK_OK)
			return cli_fail(cli, rc);
		if (cli->out == CLI_OUT_JSON) {
			struct pk_duty d = { .group = argv[optind + 1],
					     .person = (char *)who,
					     .from = from,
					     .until = until,
					     .override = 1,
					     .reason = (char *)reason };
			cli_json_print(duty_json(&d));
		} else {
			char a[32], b[32];
			char *p = pk_sanitize_dup(who, cli_san_flags(0));
			char *g = pk_sanitize_dup(argv[optind + 1], cli_san_flags(0));
			printf(_("%s is on call for %s from %s until %s\n"), p, g,
			       pk_time_format(from, a, sizeof(a)),
			       pk_time_format(until, b, sizeof(b)));
			free(p);
			free(g);
		}
		return PK_OK;
	}
	if (nargs != 0)
		return cli_usage(cmd);
	if (at_s && (rc = when_arg("--at", at_s, 0, &at)) != PK_OK)
		return rc;
	if ((rc = cli_open(cli, cmd->flags | CLI_READONLY)) != PK_OK)
		return rc;
	const char **groups, *one[1];
	int n = pk_rota_groups(cli->cfg, &groups);
	if (group) {
		one[0] = group;
		groups = one;
		n = 1;
	} else if (!n) {
		return cli_failf(PK_ENOTFOUND,
				 _("no on-call rota is configured (see [rota.NAME] in "
				   "picket.conf(5))"));
	}
	json_t *a = cli->out == CLI_OUT_JSON ? json_array() : NULL;
	for (int i = 0; i < n; i++) {
		struct pk_duty d;
		if ((rc = pk_oncall(cli->db, groups[i], at, &d)) != PK_OK) {
			json_decref(a);
			return cli_fail(cli, rc);
		}
		if (a)
			json_array_append_new(a, duty_json(&d));
		else
			duty_text(&d);
		pk_duty_clear(&d);
	}
	if (a)
		cli_json_print(a);
	return PK_OK;
}

/* picket handover ----------------------------------------------------- */

int cmd_handover(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_cmd_find("handover");
	const char *since_s = NULL;
	int c, rc, markdown = 0;
	while ((c = cli_getopt(cli, cmd, argc, argv)) != -1) {
		if (c == 's')
			since_s = optarg;
		else if (c == 'M')
			markdown = 1;
		else
			return PK_EUSAGE;
	}
	int nargs = argc - optind;
	if (nargs >= 1 && strcmp(argv[optind], "note") == 0) {
		if (nargs != 2)
			return cli_usage(cmd);
		char *text;
		if ((rc = cli_text_arg(argv[optind + 1], &text)) != PK_OK)
			return rc;
		if ((rc = cli_open(cli, cmd->flags)) == PK_OK &&
		    (rc = pk_note_add(cli->db, text)) != PK_OK) {
			rc = cli_fail(cli, rc);
		} else if (rc == PK_OK && cli->out == CLI_OUT_JSON) {
			json_t *o = json_object();
			json_object_set_new(o, "author", json_string(cli->user));
			json_object_set_new(o, "body", json_string(text));
			json_object_set_new(o, "created_at", time_json(pk_clock_now()));
			cli_json_print(o);
		} else if (rc == PK_OK) {
			printf("%s\n", _("handover note added"));
		}
		free(text);
		return rc;
	}
	if (nargs == 1 && strcmp(argv[optind], "ack") == 0) {
		long n;
		if ((rc = cli_open(cli, cmd->flags)) != PK_OK)
			return rc;
		if ((rc = pk_note_ack_all(cli->db, &n)) != PK_OK)
			return cli_fail(cli, rc);
		if (cli->out == CLI_OUT_JSON) {
			json_t *o = json_object();
			json_object_set_new(o, "acknowledged", json_integer(n));
			cli_json_print(o);
		} else {
			printf(P_("acknowledged %ld handover note\n",
				  "acknowledged %ld handover notes\n", n),
			       n);
		}
		return PK_OK;
	}
	if (nargs != 0)
		return cli_usage(cmd);
	int64_t since = pk_clock_now() - 12 * 3600;
	if (since_s && (rc = when_arg("--since", since_s, 1, &since)) != PK_OK)
		return rc;
	if ((rc = cli_open(cli, cmd->flags | CLI_READONLY)) != PK_OK)
		return rc;
	struct pk_handover h;
	if ((rc = pk_handover_build(cli->db, since, &h)) != PK_OK) {
		pk_handover_free(&h);
		return cli_fail(cli, rc);
	}
	if (cli->out == CLI_OUT_JSON) {
		cli_json_print(pk_handover_json(&h));
	} else {
		char *text = pk_handover_text(&h, markdown);
		cli_print_safe(stdout, text, 1);
		free(text);
	}
	pk_handover_free(&h);
	return PK_OK;
}
