/* Status codes returned by every engine function.
 *
 * One X-macro gives the enum, the exit codes of the CLI (the value) and
 * pk_strerror().  Values are stable: scripts depend on the exit codes. */
#ifndef PICKET_STATUS_H
#define PICKET_STATUS_H

#define PK_STATUS_LIST(X)                                              \
	X(PK_OK, 0, "success")                                         \
	X(PK_ERR, 1, "internal error")                                 \
	X(PK_EUSAGE, 2, "usage error")                                 \
	X(PK_ENOTFOUND, 3, "not found")                                \
	X(PK_EINVAL, 4, "invalid data")                                \
	X(PK_ETRANSITION, 5, "transition refused")                     \
	X(PK_EBUSY, 6, "database busy or locked")                      \
	X(PK_EDB, 7, "database unusable")                              \
	X(PK_ESCHEMA, 8, "database schema is newer than this program") \
	X(PK_ECONFIG, 9, "configuration error")                        \
	X(PK_ECLASS, 10, "above the classification ceiling")           \
	X(PK_EIO, 11, "input/output error")                            \
	X(PK_EAUDIT, 12, "audit chain broken")                         \
	X(PK_EQUERY, 13, "invalid query")                              \
	X(PK_ENET, 14, "network or server unavailable")                \
	X(PK_EREFUSED, 15, "refused by the server")                    \
	X(PK_EPROTO, 16, "sync protocol mismatch")                     \
	X(PK_EPERM, 17, "not permitted for this role")                 \
	X(PK_ESIG, 18, "bad, missing or untrusted signature")

enum pk_status {
#define PK_STATUS_ENUM(name, value, text) name = value,
	PK_STATUS_LIST(PK_STATUS_ENUM)
#undef PK_STATUS_ENUM
};

/* The translated one-line description of a status; never NULL. */
const char *pk_strerror(int status);

#endif
