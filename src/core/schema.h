/* Private to core: the DDL and its migrations. */
#ifndef PICKET_CORE_SCHEMA_H
#define PICKET_CORE_SCHEMA_H

/* Number of migrations = the current schema version. */
int pk_schema_version(void);
/* SQL taking the schema from version `from` to `from + 1`, or NULL. */
const char *pk_schema_migration(int from);

#endif
