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

#include "registry.h"

/*
 * What a verified context says, for the extension's own C code: a copy,
 * valid for as long as the caller keeps it, whatever happens to the cache
 * it came from (SPI, invalidations, other tokens).
 */
typedef struct TenantContext
{
	pg_uuid_t	tenant;
	pg_uuid_t	user_id;
	char		role[MEMBER_ROLE_MAXLEN];	/* user, admin or super_admin */
	char		key_prefix[16]; /* of the tenant's issue keys */
	char		data_schema[NAMEDATALEN];
} TenantContext;


/* The current context, copied into *out; false when there is none. */
extern bool context_get(TenantContext *out);

/*
 * The teams of the current context's user, read from the database the
 * first time they are asked for; 0 and NULL when there is no context.
 */
extern int	context_teams(const pg_uuid_t **teams);

#endif
