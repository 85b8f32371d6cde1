/*-------------------------------------------------------------------------
 *
 * context.h
 *	  The tenant context: the verified token behind tracker.token.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_CONTEXT_H
#define TRACKER_CONTEXT_H

#include "utils/jsonb.h"
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


/*
 * Verify a token, or find it verified, and make it the session's context
 * (with local, the transaction's), as tracker.authenticate() does: raises
 * 28000 for a token that is not good, PT429 when the tenant's quota or rate
 * limit refuses the call.
 */
extern void context_authenticate(const char *token, bool local);

/*
 * The claims of the current context's token, or NULL when there is none;
 * valid until the next call of a context function.
 */
extern const Jsonb *context_claims(void);

/* The current context, copied into *out; false when there is none. */
extern bool context_get(TenantContext *out);

/*
 * Before the token in the setting goes to the workers (forward.c): verify
 * it here unless it is resolved already, and count the call when the token
 * is newly set, as a context function would.  Raises what they raise.
 */
extern void context_verify_forwarded(void);

/*
 * Whether the token in the setting is good but this node, a Citus worker,
 * holds none of its tenant's rows: its tasks have no context, and nothing
 * of the tenant's to write either.
 */
extern bool context_elsewhere(void);

/*
 * Whether nothing the current context depends on is known to have changed
 * since it was verified, as of now (not as of the start of the
 * transaction); false without shared memory, where that cannot be known.
 */
extern bool context_fresh(void);

/*
 * The tenant and data schema of the context as last resolved, without
 * resolving it again (no verification, no error); false when there is
 * none, or the setting has changed since.
 */
extern bool context_resolved(pg_uuid_t *tenant, char *schema);

/*
 * The teams of the current context's user, read from the database the
 * first time they are asked for; 0 and NULL when there is no context.
 */
extern int	context_teams(const pg_uuid_t **teams);

#endif
