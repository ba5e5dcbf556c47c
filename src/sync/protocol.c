/* The sync protocol's messages.  Encoders write JSON text straight into a
 * buffer (events come from our own oplog, whose values are JSON already);
 * decoders go through jansson and refuse anything not exactly as
 * documented in picketd(8). */
#include "picket/protocol.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "picket/i18n.h"
#include "picket/json.h"
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

void pk_proto_event_encode(struct pk_buf *out, const struct pk_event *ev)
{
	event_encode(out, ev, 0);
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

/* --- the event bodies, read without a tree (picket/json.h) --- */

enum mtype { M_INT, M_STRING, M_BOOL, M_ARRAY, M_ANY };

struct field_spec {
	const char *name;
	enum mtype type;
	int required;
};

/* One member as read: a string's text, an integer, a boolean, or for an
 * array or any value its JSON text. */
struct slot {
	int present;
	int64_t i;
	int b;
	struct pk_buf s;
	const char *text;
	size_t len;
};

static void slots_free(struct slot *sl, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pk_buf_free(&sl[i].s);
}

static int malformed(struct pk_json *j, const char *what, struct pk_error *err)
{
	return pk_error_set(err, PK_EINVAL, _("%s: malformed JSON: %s"), what, pk_json_error(j));
}

/* Reads an object with exactly the members of spec, each of its type,
 * into sl (one slot per member, reused: strings keep their buffers). */
static int read_object(struct pk_json *j, const char *what, const struct field_spec *spec, size_t n,
		       struct slot *sl, struct pk_buf *key, struct pk_error *err)
{
	for (size_t i = 0; i < n; i++)
		sl[i].present = 0;
	if (pk_json_peek(j) != PK_JSON_OBJECT) {
		if (j->err || pk_json_skip(j, NULL, NULL) != 0)
			return malformed(j, what, err);
		return pk_error_set(err, PK_EINVAL, _("%s is not a JSON object"), what);
	}
	int more;
	pk_json_object(j);
	while ((more = pk_json_member(j, key)) > 0) {
		size_t i;
		for (i = 0; i < n; i++)
			if (strcmp(spec[i].name, key->data) == 0)
				break;
		if (i == n)
			return pk_error_set(err, PK_EINVAL, _("%s: unknown member \"%.64s\""), what,
					    key->data);
		if (sl[i].present)
			return pk_error_set(err, PK_EINVAL, _("%s: member \"%s\" appears twice"),
					    what, spec[i].name);
		sl[i].present = 1;
		enum pk_json_type t = pk_json_peek(j);
		static const enum pk_json_type want[] = {
			[M_INT] = PK_JSON_NUMBER,
			[M_STRING] = PK_JSON_STRING,
			[M_BOOL] = PK_JSON_BOOL,
			[M_ARRAY] = PK_JSON_ARRAY,
		};
		if (spec[i].type != M_ANY && t != want[spec[i].type]) {
			if (t == PK_JSON_NONE)
				return malformed(j, what, err);
			return pk_error_set(err, PK_EINVAL,
					    _("%s: member \"%s\" has the wrong type"), what,
					    spec[i].name);
		}
		int bad = 0;
		switch (spec[i].type) {
		case M_INT:
			if (pk_json_int(j, &sl[i].i) != 0)
				return pk_error_set(err, PK_EINVAL,
						    _("%s: member \"%s\" has the wrong type"), what,
						    spec[i].name);
			break;
		case M_STRING: bad = pk_json_string(j, &sl[i].s); break;
		case M_BOOL: bad = pk_json_bool(j, &sl[i].b); break;
		case M_ARRAY:
		case M_ANY: bad = pk_json_skip(j, &sl[i].text, &sl[i].len); break;
		}
		if (bad)
			return malformed(j, what, err);
	}
	if (more < 0)
		return malformed(j, what, err);
	for (size_t i = 0; i < n; i++)
		if (spec[i].required && !sl[i].present)
			return pk_error_set(err, PK_EINVAL, _("%s: member \"%s\" is missing"), what,
					    spec[i].name);
	return PK_OK;
}

/* A whole message: one object, nothing after it. */
static int read_message(const char *json, size_t len, const char *what,
			const struct field_spec *spec, size_t n, struct slot *sl,
			struct pk_error *err)
{
	struct pk_json j;
	struct pk_buf key = { 0 };
	pk_json_init(&j, json, len);
	int rc = read_object(&j, what, spec, n, sl, &key, err);
	if (rc == PK_OK && pk_json_end(&j) != 0)
		rc = malformed(&j, what, err);
	pk_buf_free(&key);
	return rc;
}

static int message_version(int64_t v, const char *what, struct pk_error *err)
{
	if (v != PK_PROTOCOL_VERSION)
		return pk_error_set(err, PK_EPROTO,
				    _("%s: protocol version %lld, this program speaks %d"), what,
				    (long long)v, PK_PROTOCOL_VERSION);
	return PK_OK;
}

/* An origin, actor, entity, field or node name. */
static int name_ok(const struct pk_buf *b, const char *key, struct pk_error *err)
{
	if (b->len == 0 || b->len > MAX_NAME)
		return pk_error_set(err, PK_EINVAL, _("event: \"%s\" must be 1 to %d characters"),
				    key, MAX_NAME);
	for (const unsigned char *p = (const unsigned char *)b->data; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return pk_error_set(err, PK_EINVAL,
					    _("event: \"%s\" contains a control character"), key);
	return PK_OK;
}

static int uuid_ok(const struct pk_buf *b, const char *key, char *out, struct pk_error *err)
{
	if (b->len != PK_UUID_LEN || !pk_uuid_valid(b->data))
		return pk_error_set(err, PK_EINVAL, _("event: \"%s\" is not a UUID"), key);
	memcpy(out, b->data, PK_UUID_LEN + 1);
	return PK_OK;
}

enum {
	E_SEQ,
	E_UUID,
	E_ENTITY,
	E_ENTITY_UUID,
	E_OP,
	E_FIELD,
	E_VALUE,
	E_HLC,
	E_BASE,
	E_ORIGIN,
	E_ACTOR,
	E_AT,
	E_COUNT
};

static const struct field_spec event_spec[E_COUNT] = {
	[E_SEQ] = { "seq", M_INT, 0 },		[E_UUID] = { "uuid", M_STRING, 1 },
	[E_ENTITY] = { "entity", M_STRING, 1 }, [E_ENTITY_UUID] = { "entity_uuid", M_STRING, 1 },
	[E_OP] = { "op", M_STRING, 1 },		[E_FIELD] = { "field", M_STRING, 0 },
	[E_VALUE] = { "value", M_ANY, 1 },	[E_HLC] = { "hlc", M_INT, 1 },
	[E_BASE] = { "base", M_INT, 0 },	[E_ORIGIN] = { "origin", M_STRING, 1 },
	[E_ACTOR] = { "actor", M_STRING, 1 },	[E_AT] = { "at", M_INT, 1 },
};

/* Checks the event read into sl and fills ev. */
static int event_build(struct slot *sl, int with_seq, struct pk_event *ev, struct pk_error *err)
{
	int rc;
	memset(ev, 0, sizeof(*ev));
	if (with_seq != sl[E_SEQ].present)
		return pk_error_set(err, PK_EINVAL,
				    with_seq ? _("event: member \"seq\" is missing")
					     : _("event: unexpected member \"seq\""));
	ev->seq = sl[E_SEQ].present ? sl[E_SEQ].i : 0;
	if (with_seq && ev->seq <= 0)
		return pk_error_set(err, PK_EINVAL, _("event: \"seq\" must be positive"));
	if ((rc = uuid_ok(&sl[E_UUID].s, "uuid", ev->uuid, err)) != PK_OK ||
	    (rc = uuid_ok(&sl[E_ENTITY_UUID].s, "entity_uuid", ev->entity_uuid, err)) != PK_OK ||
	    (rc = name_ok(&sl[E_ENTITY].s, "entity", err)) != PK_OK)
		return rc;
	if (sl[E_ENTITY].s.len >= sizeof(ev->entity))
		return pk_error_set(err, PK_EINVAL, _("event: unknown entity"));
	memcpy(ev->entity, sl[E_ENTITY].s.data, sl[E_ENTITY].s.len + 1);

	const char *op = sl[E_OP].s.data;
	if (strcmp(op, "create") == 0)
		ev->create = 1;
	else if (strcmp(op, "set") != 0)
		return pk_error_set(err, PK_EINVAL,
				    _("event: \"op\" must be \"create\" or \"set\""));
	if (ev->create && (sl[E_FIELD].present || sl[E_BASE].present))
		return pk_error_set(err, PK_EINVAL,
				    _("event: a create has no \"field\" or \"base\""));
	if (!ev->create) {
		if (!sl[E_FIELD].present || !sl[E_BASE].present)
			return pk_error_set(err, PK_EINVAL,
					    _("event: a set needs \"field\" and \"base\""));
		if ((rc = name_ok(&sl[E_FIELD].s, "field", err)) != PK_OK)
			return rc;
		ev->base = sl[E_BASE].i;
	}
	ev->hlc = sl[E_HLC].i;
	ev->at = sl[E_AT].i;
	if (ev->hlc <= 0 || ev->base < 0 || ev->at < 0 || (!ev->create && ev->base >= ev->hlc))
		return pk_error_set(err, PK_EINVAL, _("event %s: clock values out of range"),
				    ev->uuid);
	/* the value was checked as JSON when read; here its kind */
	struct pk_json v;
	pk_json_init(&v, sl[E_VALUE].text, sl[E_VALUE].len);
	enum pk_json_type t = pk_json_peek(&v);
	int64_t num;
	if (ev->create && t != PK_JSON_OBJECT)
		return pk_error_set(err, PK_EINVAL, _("event %s: a create's value is an object"),
				    ev->uuid);
	if (!ev->create && t != PK_JSON_STRING && t != PK_JSON_NULL &&
	    (t != PK_JSON_NUMBER || pk_json_int(&v, &num) != 0))
		return pk_error_set(err, PK_EINVAL,
				    _("event %s: a value is a string, an integer or null"),
				    ev->uuid);
	if ((rc = name_ok(&sl[E_ORIGIN].s, "origin", err)) != PK_OK ||
	    (rc = name_ok(&sl[E_ACTOR].s, "actor", err)) != PK_OK)
		return rc;
	if (!ev->create)
		ev->field = pk_xstrdup(sl[E_FIELD].s.data);
	/* stored and passed on as it came, but on one line */
	ev->value = pk_json_one_line(sl[E_VALUE].text, sl[E_VALUE].len, &ev->value_len);
	ev->origin = pk_xstrdup(sl[E_ORIGIN].s.data);
	ev->actor = pk_xstrdup(sl[E_ACTOR].s.data);
	return PK_OK;
}

int pk_proto_event_decode(const char *json, size_t len, struct pk_event *ev, struct pk_error *err)
{
	struct slot sl[E_COUNT] = { 0 };
	memset(ev, 0, sizeof(*ev));
	int rc = read_message(json, len, _("event"), event_spec, E_COUNT, sl, err);
	if (rc == PK_OK)
		rc = event_build(sl, 0, ev, err);
	if (rc != PK_OK)
		pk_event_clear(ev);
	slots_free(sl, E_COUNT);
	return rc;
}

/* Decodes an array of events (its JSON text) into evs, appending. */
static int events_decode(const char *text, size_t len, int with_seq, struct pk_events *evs,
			 struct pk_error *err)
{
	struct pk_json j;
	struct pk_buf key = { 0 };
	struct slot sl[E_COUNT] = { 0 };
	int rc = PK_OK, more;
	pk_json_init(&j, text, len);
	pk_json_array(&j);
	while (rc == PK_OK && (more = pk_json_element(&j)) > 0) {
		if (evs->n == PK_PROTOCOL_MAX_BATCH) {
			rc = pk_error_set(err, PK_EINVAL, _("more than %d events in one message"),
					  PK_PROTOCOL_MAX_BATCH);
			break;
		}
		struct pk_event ev = { 0 };
		rc = read_object(&j, _("event"), event_spec, E_COUNT, sl, &key, err);
		if (rc == PK_OK)
			rc = event_build(sl, with_seq, &ev, err);
		if (rc != PK_OK) {
			pk_event_clear(&ev);
			break;
		}
		if (evs->n == evs->cap) {
			evs->cap = evs->cap ? evs->cap * 2 : 64;
			evs->v = pk_xrealloc(evs->v, evs->cap * sizeof(*evs->v));
		}
		evs->v[evs->n++] = ev;
	}
	if (rc == PK_OK && more < 0)
		rc = malformed(&j, _("event"), err);
	slots_free(sl, E_COUNT);
	pk_buf_free(&key);
	return rc;
}

int pk_proto_push_decode(const char *json, size_t len, char **node, struct pk_events *evs,
			 struct pk_error *err)
{
	enum { PROTOCOL, NODE, EVENTS, N };
	static const struct field_spec spec[N] = {
		[PROTOCOL] = { "protocol", M_INT, 1 },
		[NODE] = { "node", M_STRING, 1 },
		[EVENTS] = { "events", M_ARRAY, 1 },
	};
	struct slot sl[N] = { 0 };
	*node = NULL;
	int rc = read_message(json, len, _("push"), spec, N, sl, err);
	if (rc == PK_OK)
		rc = message_version(sl[PROTOCOL].i, _("push"), err);
	if (rc == PK_OK)
		rc = name_ok(&sl[NODE].s, "node", err);
	if (rc == PK_OK)
		rc = events_decode(sl[EVENTS].text, sl[EVENTS].len, 0, evs, err);
	if (rc == PK_OK)
		*node = pk_xstrdup(sl[NODE].s.data);
	else
		pk_events_free(evs);
	slots_free(sl, N);
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

void pk_proto_pull_encode_begin(struct pk_buf *out, const char *server, const char *ceiling)
{
	pk_buf_printf(out, "{\"protocol\":%d,\"server\":", PK_PROTOCOL_VERSION);
	pk_json_quote(out, server);
	pk_buf_puts(out, ",\"ceiling\":");
	pk_json_quote(out, ceiling);
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
	enum { PROTOCOL, SERVER, CEILING, EVENTS, NEXT, HEAD, MORE, N };
	static const struct field_spec spec[N] = {
		[PROTOCOL] = { "protocol", M_INT, 1 },	[SERVER] = { "server", M_STRING, 1 },
		[CEILING] = { "ceiling", M_STRING, 1 }, [EVENTS] = { "events", M_ARRAY, 1 },
		[NEXT] = { "next", M_INT, 1 },		[HEAD] = { "head", M_INT, 1 },
		[MORE] = { "more", M_BOOL, 1 },
	};
	struct slot sl[N] = { 0 };
	memset(page, 0, sizeof(*page));
	int rc = read_message(json, len, _("pull answer"), spec, N, sl, err);
	if (rc == PK_OK)
		rc = message_version(sl[PROTOCOL].i, _("pull answer"), err);
	if (rc == PK_OK) {
		if (sl[SERVER].s.len == 0 || sl[SERVER].s.len >= sizeof(page->server))
			rc = pk_error_set(err, PK_EINVAL, _("pull answer: bad server id"));
		else
			memcpy(page->server, sl[SERVER].s.data, sl[SERVER].s.len + 1);
	}
	if (rc == PK_OK) {
		if (sl[CEILING].s.len == 0 || sl[CEILING].s.len >= sizeof(page->ceiling) ||
		    !pk_text_clean(sl[CEILING].s.data))
			rc = pk_error_set(err, PK_EINVAL, _("pull answer: bad ceiling"));
		else
			memcpy(page->ceiling, sl[CEILING].s.data, sl[CEILING].s.len + 1);
	}
	if (rc == PK_OK) {
		page->next = sl[NEXT].i;
		page->head = sl[HEAD].i;
		page->more = sl[MORE].b;
		if (page->next < 0 || page->head < 0 || page->next > page->head)
			rc = pk_error_set(err, PK_EINVAL, _("pull answer: cursor out of range"));
	}
	if (rc == PK_OK)
		rc = events_decode(sl[EVENTS].text, sl[EVENTS].len, 1, &page->events, err);
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
	slots_free(sl, N);
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

void pk_proto_health_encode(struct pk_buf *out, const char *server, const char *ceiling,
			    int64_t head)
{
	pk_buf_printf(out, "{\"protocol\":%d,\"status\":\"ok\",\"server\":", PK_PROTOCOL_VERSION);
	pk_json_quote(out, server);
	pk_buf_puts(out, ",\"ceiling\":");
	pk_json_quote(out, ceiling);
	pk_buf_printf(out, ",\"head\":%lld}", (long long)head);
}
