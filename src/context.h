/*-------------------------------------------------------------------------
 *
 * context.h
 *	  The tenant context: the verified token behind tracker.token.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_CONTEXT_H
#define TRACKER_CONTEXT_H

#include "utils/uuid.h"

/* What a verified context says, for the extension's own C code */
typedef struct TenantContext
{
	pg_uuid_t	tenant;
	pg_uuid_t	user_id;
	const char *role;			/* user, admin or super_admin */
	const char *key_prefix;		/* of the tenant's issue keys */
	const char *data_schema;
} TenantContext;

/* Defines tracker.token, the setting that holds the context's token */
extern void context_init(void);

/*
 * The current context; false when there is none.  The strings stay valid
 * until the next call into the context (copy them to keep them longer).
 */
extern bool context_get(TenantContext *out);

/*
 * The teams of the current context's user, read from the database the
 * first time they are asked for; 0 and NULL when there is no context.
 */
extern int	context_teams(const pg_uuid_t **teams);

#endif
