/* The sync protocol's messages.  Encoders write JSON text straight into a
 * buffer (events come from our own oplog, whose values are JSON already);
 * decoders go through jansson and refuse anything not exactly as
 * documented in picketd(8). */
#include "picket/protocol.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "picket/i18n.h"
#include "picket/status.h"
#include "picket/text.h"

#define MAX_NAME 64 /* origin, actor, entity, field */

void pk_events_free(struct pk_events *evs)
{
	for (size_t i = 0; i < evs->n; i++)
		pk_event_clear(&evs->v[i]);
	free(evs->v);
	memset(evs, 0, sizeof(*evs));
}

void pk_events_add(struct pk_events *evs, const struct pk_event *ev)
{
	if (evs->n == evs->cap) {
		evs->cap = evs->cap ? evs->cap * 2 : 64;
		evs->v = pk_xrealloc(evs->v, evs->cap * sizeof(*evs->v));
	}
	struct pk_event *e = &evs->v[evs->n++];
	*e = *ev;
	e->field = pk_xstrdup(ev->field);
	e->value = pk_xstrdup(ev->value);
	e->origin = pk_xstrdup(ev->origin);
	e->actor = pk_xstrdup(ev->actor);
}

static void event_encode(struct pk_buf *out, const struct pk_event *ev, int with_seq)
{
	pk_buf_puts(out, "{");
	if (with_seq)
		pk_buf_printf(out, "\"seq\":%lld,", (long long)ev->seq);
	pk_buf_printf(out, "\"uuid\":\"%s\",\"entity\":", ev->uuid);
	pk_json_quote(out, ev->entity);
	pk_buf_printf(out, ",\"entity_uuid\":\"%s\",\"op\":\"%s\"", ev->entity_uuid,
		      ev->create ? "create" : "set");
	if (!ev->create) {
		pk_buf_puts(out, ",\"field\":");
		pk_json_quote(out, ev->field ? ev->field : "");
	}
	pk_buf_puts(out, ",\"value\":");
	pk_buf_puts(out, ev->value && *ev->value ? ev->value : "null");
	pk_buf_printf(out, ",\"hlc\":%lld", (long long)ev->hlc);
	if (!ev->create)
		pk_buf_printf(out, ",\"base\":%lld", (long long)ev->base);
	pk_buf_puts(out, ",\"origin\":");
	pk_json_quote(out, ev->origin ? ev->origin : "");
	pk_buf_puts(out, ",\"actor\":");
	pk_json_quote(out, ev->actor ? ev->actor : "");
	pk_buf_printf(out, ",\"at\":%lld}", (long long)ev->at);
}

void pk_proto_push_encode(struct pk_buf *out, const char *node, const struct pk_event *ev, size_t n)
{
	pk_buf_printf(out, "{\"protocol\":%d,\"node\":", PK_PROTOCOL_VERSION);
	pk_json_quote(out, node);
	pk_buf_puts(out, ",\"events\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			pk_buf_putc(out, ',');
		event_encode(out, &ev[i], 0);
	}
	pk_buf_puts(out, "]}");
}

/* --- decoding --- */

struct member {
	const char *name;
	json_type type; /* JSON_INTEGER, JSON_STRING, JSON_ARRAY, ...; JSON_NULL = any */
	int required;
};

/* Checks that obj has exactly the allowed members, of the right types. */
static int check_members(json_t *obj, const char *what, const struct member *m, size_t n,
			 struct pk_error *err)
{
	if (!json_is_object(obj))
		return pk_error_set(err, PK_EINVAL, _("%s is not a JSON object"), what);
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		size_t i;
		for (i = 0; i < n; i++)
			if (strcmp(m[i].name, key) == 0)
				break;
		if (i == n)
			return pk_error_set(err, PK_EINVAL, _("%s: unknown member \"%.64s\""), what,
					    key);
		if (m[i].type == JSON_NULL)
			continue;
		int ok = m[i].type == JSON_TRUE ? json_is_boolean(v) : json_typeof(v) == m[i].type;
		if (!ok)
			return pk_error_set(err, PK_EINVAL,
					    _("%s: member \"%s\" has the wrong type"), what, key);
	}
	for (size_t i = 0; i < n; i++)
		if (m[i].required && !json_object_get(obj, m[i].name))
			return pk_error_set(err, PK_EINVAL, _("%s: member \"%s\" is missing"), what,
					    m[i].name);
	return PK_OK;
}

static json_t *parse(const char *json, size_t len, const char *what, struct pk_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		pk_error_set(err, PK_EINVAL, _("%s: malformed JSON at line %d: %s"), what,
			     jerr.line, jerr.text);
	return root;
}

static int check_version(json_t *root, const char *what, struct pk_error *err)
{
	json_t *v = json_object_get(root, "protocol");
	if (json_integer_value(v) != PK_PROTOCOL_VERSION)
		return pk_error_set(err, PK_EPROTO,
				    _("%s: protocol version %lld, this program speaks %d"), what,
				    (long long)json_integer_value(v), PK_PROTOCOL_VERSION);
	return PK_OK;
}

static int get_name(json_t *obj, const char *key, char **out, struct pk_error *err)
{
	const char *s = json_string_value(json_object_get(obj, key));
	size_t len = json_string_length(json_object_get(obj, key));
	if (!s || !*s || len > MAX_NAME || strlen(s) != len)
		return pk_error_set(err, PK_EINVAL, _("event: \"%s\" must be 1 to %d characters"),
				    key, MAX_NAME);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return pk_error_set(err, PK_EINVAL,
					    _("event: \"%s\" contains a control character"), key);
	*out = pk_xstrdup(s);
	return PK_OK;
}

static int get_uuid(json_t *obj, const char *key, char *out, struct pk_error *err)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (!s || !pk_uuid_valid(s))
		return pk_error_set(err, PK_EINVAL, _("event: \"%s\" is not a UUID"), key);
	memcpy(out, s, PK_UUID_LEN + 1);
	return PK_OK;
}

static int event_decode(json_t *obj, int with_seq, struct pk_event *ev, struct pk_error *err)
{
	static const struct member members[] = {
		{ "seq", JSON_INTEGER, 0 },   { "uuid", JSON_STRING, 1 },
		{ "entity", JSON_STRING, 1 }, { "entity_uuid", JSON_STRING, 1 },
		{ "op", JSON_STRING, 1 },     { "field", JSON_STRING, 0 },
		{ "value", JSON_NULL, 1 },    { "hlc", JSON_INTEGER, 1 },
		{ "base", JSON_INTEGER, 0 },  { "origin", JSON_STRING, 1 },
		{ "actor", JSON_STRING, 1 },  { "at", JSON_INTEGER, 1 },
	};
	memset(ev, 0, sizeof(*ev));
	int rc = check_members(obj, _("event"), members, PK_ARRAY_LEN(members), err);
	if (rc != PK_OK)
		return rc;
	json_t *seq = json_object_get(obj, "seq");
	if (with_seq != (seq != NULL))
		return pk_error_set(err, PK_EINVAL,
				    with_seq ? _("event: member \"seq\" is missing")
					     : _("event: unexpected member \"seq\""));
	ev->seq = seq ? json_integer_value(seq) : 0;
	if (with_seq && ev->seq <= 0)
		return pk_error_set(err, PK_EINVAL, _("event: \"seq\" must be positive"));
	char *entity = NULL;
	if ((rc = get_uuid(obj, "uuid", ev->uuid, err)) != PK_OK ||
	    (rc = get_uuid(obj, "entity_uuid", ev->entity_uuid, err)) != PK_OK ||
	    (rc = get_name(obj, "entity", &entity, err)) != PK_OK)
		return rc;
	size_t elen = strlen(entity);
	if (elen >= sizeof(ev->entity)) {
		free(entity);
		return pk_error_set(err, PK_EINVAL, _("event: unknown entity"));
	}
	memcpy(ev->entity, entity, elen + 1);
	free(entity);

	const char *op = json_string_value(json_object_get(obj, "op"));
	if (strcmp(op, "create") == 0)
		ev->create = 1;
	else if (strcmp(op, "set") != 0)
		return pk_error_set(err, PK_EINVAL,
				    _("event: \"op\" must be \"create\" or \"set\""));
	json_t *field = json_object_get(obj, "field");
	json_t *base = json_object_get(obj, "base");
	if (ev->create && (field || base))
		return pk_error_set(err, PK_EINVAL,
				    _("event: a create has no \"field\" or \"base\""));
	if (!ev->create) {
		if (!field || !base)
			return pk_error_set(err, PK_EINVAL,
					    _("event: a set needs \"field\" and \"base\""));
		if ((rc = get_name(obj, "field", &ev->field, err)) != PK_OK)
			return rc;
		ev->base = json_integer_value(base);
	}
	ev->hlc = json_integer_value(json_object_get(obj, "hlc"));
	ev->at = json_integer_value(json_object_get(obj, "at"));
	if (ev->hlc <= 0 || ev->base < 0 || ev->at < 0 || (!ev->create && ev->base >= ev->hlc))
		return pk_error_set(err, PK_EINVAL, _("event %s: clock values out of range"),
				    ev->uuid);
	json_t *value = json_object_get(obj, "value");
	if (ev->create && !json_is_object(value))
		return pk_error_set(err, PK_EINVAL, _("event %s: a create's value is an object"),
				    ev->uuid);
	if (!ev->create && !json_is_string(value) && !json_is_integer(value) &&
	    !json_is_null(value))
		return pk_error_set(err, PK_EINVAL,
				    _("event %s: a value is a string, an integer or null"),
				    ev->uuid);
	ev->value = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!ev->value)
		return pk_error_set(err, PK_EINVAL, _("event %s: value cannot be encoded"),
				    ev->uuid);
	if ((rc = get_name(obj, "origin", &ev->origin, err)) != PK_OK ||
	    (rc = get_name(obj, "actor", &ev->actor, err)) != PK_OK)
		return rc;
	return PK_OK;
}

/* Decodes an array of events into evs (appending); the events own their
 * strings (json_dumps uses malloc, as pk_event_clear's free expects). */
static int events_decode(json_t *arr, int with_seq, struct pk_events *evs, struct pk_error *err)
{
	if (json_array_size(arr) > PK_PROTOCOL_MAX_BATCH)
		return pk_error_set(err, PK_EINVAL, _("more than %d events in one message"),
				    PK_PROTOCOL_MAX_BATCH);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		struct pk_event ev;
		int rc = event_decode(v, with_seq, &ev, err);
		if (rc != PK_OK) {
			pk_event_clear(&ev);
			return rc;
		}
		if (evs->n == evs->cap) {
			evs->cap = evs->cap ? evs->cap * 2 : 64;
			evs->v = pk_xrealloc(evs->v, evs->cap * sizeof(*evs->v));
		}
		evs->v[evs->n++] = ev;
	}
	return PK_OK;
}

int pk_proto_push_decode(const char *json, size_t len, char **node, struct pk_events *evs,
			 struct pk_error *err)
{
	static const struct member members[] = {
		{ "protocol", JSON_INTEGER, 1 },
		{ "node", JSON_STRING, 1 },
		{ "events", JSON_ARRAY, 1 },
	};
	*node = NULL;
	json_t *root = parse(json, len, _("push"), err);
	if (!root)
		return PK_EINVAL;
	int rc = check_members(root, _("push"), members, PK_ARRAY_LEN(members), err);
	if (rc == PK_OK)
		rc = check_version(root, _("push"), err);
	if (rc == PK_OK)
		rc = get_name(root, "node", node, err);
	if (rc == PK_OK)
		rc = events_decode(json_object_get(root, "events"), 0, evs, err);
	json_decref(root);
	if (rc != PK_OK) {
		pk_freep(node);
		pk_events_free(evs);
	}
	return rc;
}

void pk_push_result_reject(struct pk_push_result *r, const char *uuid, const char *code,
			   const char *message)
{
	r->rejected = pk_xrealloc(r->rejected, (r->nrejected + 1) * sizeof(*r->rejected));
	struct pk_rejection *x = &r->rejected[r->nrejected++];
	snprintf(x->uuid, sizeof(x->uuid), "%s", uuid);
	snprintf(x->code, sizeof(x->code), "%s", code);
	x->message = pk_xstrdup(message);
}

void pk_push_result_free(struct pk_push_result *r)
{
	for (size_t i = 0; i < r->nrejected; i++)
		free(r->rejected[i].message);
	free(r->rejected);
	r->rejected = NULL;
	r->nrejected = 0;
}

void pk_proto_push_result_encode(struct pk_buf *out, const struct pk_push_result *r)
{
	pk_buf_printf(out,
		      "{\"protocol\":%d,\"accepted\":%lld,\"duplicates\":%lld,\"conflicts\":%lld,"
		      "\"from\":%lld,\"seq\":%lld,\"rejected\":[",
		      PK_PROTOCOL_VERSION, (long long)r->accepted, (long long)r->duplicates,
		      (long long)r->conflicts, (long long)r->from, (long long)r->seq);
	for (size_t i = 0; i < r->nrejected; i++) {
		pk_buf_printf(out, "%s{\"uuid\":\"%s\",\"error\":", i ? "," : "",
			      r->rejected[i].uuid);
		pk_json_quote(out, r->rejected[i].code);
		pk_buf_puts(out, ",\"message\":");
		pk_json_quote(out, r->rejected[i].message ? r->rejected[i].message : "");
		pk_buf_putc(out, '}');
	}
	pk_buf_puts(out, "]}");
}

static int64_t get_count(json_t *obj, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(obj, key));
	return v < 0 ? -1 : v;
}

static int rejections_decode(json_t *arr, struct pk_push_result *r, struct pk_error *err)
{
	static const struct member members[] = {
		{ "uuid", JSON_STRING, 1 },
		{ "error", JSON_STRING, 1 },
		{ "message", JSON_STRING, 1 },
	};
	if (json_array_size(arr) > PK_PROTOCOL_MAX_BATCH)
		return pk_error_set(err, PK_EINVAL, _("push answer: too many rejections"));
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		int rc = check_members(v, _("rejection"), members, PK_ARRAY_LEN(members), err);
		if (rc != PK_OK)
			return rc;
		const char *uuid = json_string_value(json_object_get(v, "uuid"));
		const char *code = json_string_value(json_object_get(v, "error"));
		if (!pk_uuid_valid(uuid) || strlen(code) >= sizeof(r->rejected[0].code))
			return pk_error_set(err, PK_EINVAL, _("push answer: bad rejection"));
		pk_push_result_reject(r, uuid, code,
				      json_string_value(json_object_get(v, "message")));
	}
	return PK_OK;
}

int pk_proto_push_result_decode(const char *json, size_t len, struct pk_push_result *r,
				struct pk_error *err)
{
	static const struct member members[] = {
		{ "protocol", JSON_INTEGER, 1 },   { "accepted", JSON_INTEGER, 1 },
		{ "duplicates", JSON_INTEGER, 1 }, { "conflicts", JSON_INTEGER, 1 },
		{ "from", JSON_INTEGER, 1 },	   { "seq", JSON_INTEGER, 1 },
		{ "rejected", JSON_ARRAY, 1 },
	};
	memset(r, 0, sizeof(*r));
	json_t *root = parse(json, len, _("push answer"), err);
	if (!root)
		return PK_EINVAL;
	int rc = check_members(root, _("push answer"), members, PK_ARRAY_LEN(members), err);
	if (rc == PK_OK)
		rc = check_version(root, _("push answer"), err);
	if (rc == PK_OK) {
		r->accepted = get_count(root, "accepted");
		r->duplicates = get_count(root, "duplicates");
		r->conflicts = get_count(root, "conflicts");
		r->from = get_count(root, "from");
		r->seq = get_count(root, "seq");
		if (r->accepted < 0 || r->duplicates < 0 || r->conflicts < 0 || r->from < 0 ||
		    r->seq < r->from)
			rc = pk_error_set(err, PK_EINVAL, _("push answer: counts out of range"));
	}
	if (rc == PK_OK)
		rc = rejections_decode(json_object_get(root, "rejected"), r, err);
	json_decref(root);
	if (rc != PK_OK)
		pk_push_result_free(r);
	return rc;
}

void pk_proto_pull_encode_begin(struct pk_buf *out, const char *server)
{
	pk_buf_printf(out, "{\"protocol\":%d,\"server\":", PK_PROTOCOL_VERSION);
	pk_json_quote(out, server);
	pk_buf_puts(out, ",\"events\":[");
}

void pk_proto_pull_encode_event(struct pk_buf *out, const struct pk_event *ev, int first)
{
	if (!first)
		pk_buf_putc(out, ',');
	event_encode(out, ev, 1);
}

void pk_proto_pull_encode_end(struct pk_buf *out, int64_t next, int64_t head, int more)
{
	pk_buf_printf(out, "],\"next\":%lld,\"head\":%lld,\"more\":%s}", (long long)next,
		      (long long)head, more ? "true" : "false");
}

int pk_proto_pull_decode(const char *json, size_t len, struct pk_pull_page *page,
			 struct pk_error *err)
{
	static const struct member members[] = {
		{ "protocol", JSON_INTEGER, 1 }, { "server", JSON_STRING, 1 },
		{ "events", JSON_ARRAY, 1 },	 { "next", JSON_INTEGER, 1 },
		{ "head", JSON_INTEGER, 1 },	 { "more", JSON_TRUE, 1 },
	};
	memset(page, 0, sizeof(*page));
	json_t *root = parse(json, len, _("pull answer"), err);
	if (!root)
		return PK_EINVAL;
	int rc = check_members(root, _("pull answer"), members, PK_ARRAY_LEN(members), err);
	if (rc == PK_OK)
		rc = check_version(root, _("pull answer"), err);
	if (rc == PK_OK) {
		const char *server = json_string_value(json_object_get(root, "server"));
		if (!*server || strlen(server) >= sizeof(page->server))
			rc = pk_error_set(err, PK_EINVAL, _("pull answer: bad server id"));
		else
			strcpy(page->server, server);
	}
	if (rc == PK_OK) {
		page->next = get_count(root, "next");
		page->head = get_count(root, "head");
		page->more = json_is_true(json_object_get(root, "more"));
		if (page->next < 0 || page->head < 0 || page->next > page->head)
			rc = pk_error_set(err, PK_EINVAL, _("pull answer: cursor out of range"));
	}
	if (rc == PK_OK)
		rc = events_decode(json_object_get(root, "events"), 1, &page->events, err);
	if (rc == PK_OK) {
		/* sequences strictly increase and end at next */
		int64_t prev = 0;
		for (size_t i = 0; i < page->events.n && rc == PK_OK; i++) {
			if (page->events.v[i].seq <= prev || page->events.v[i].seq > page->next)
				rc = pk_error_set(err, PK_EINVAL,
						  _("pull answer: event sequence out of order"));
			prev = page->events.v[i].seq;
		}
	}
	json_decref(root);
	if (rc != PK_OK)
		pk_pull_page_free(page);
	return rc;
}

void pk_pull_page_free(struct pk_pull_page *page)
{
	pk_events_free(&page->events);
}

void pk_proto_error_encode(struct pk_buf *out, const char *code, const char *message)
{
	pk_buf_printf(out, "{\"protocol\":%d,\"error\":", PK_PROTOCOL_VERSION);
	pk_json_quote(out, code);
	pk_buf_puts(out, ",\"message\":");
	pk_json_quote(out, message);
	pk_buf_puts(out, "}");
}

int pk_proto_error_decode(const char *json, size_t len, char *code, size_t codelen, char *message,
			  size_t msglen)
{
	json_t *root = json_loadb(json, len, 0, NULL);
	const char *c = json_string_value(json_object_get(root, "error"));
	const char *m = json_string_value(json_object_get(root, "message"));
	int rc = c ? PK_OK : PK_EINVAL;
	if (c) {
		snprintf(code, codelen, "%s", c);
		snprintf(message, msglen, "%s", m ? m : "");
	}
	json_decref(root);
	return rc;
}

void pk_proto_health_encode(struct pk_buf *out, const char *server, int64_t head)
{
	pk_buf_printf(out, "{\"protocol\":%d,\"status\":\"ok\",\"server\":", PK_PROTOCOL_VERSION);
	pk_json_quote(out, server);
	pk_buf_printf(out, ",\"head\":%lld}", (long long)head);
}
