/*-------------------------------------------------------------------------
 *
 * context.c
 *	  The session's tenant context, and the SQL functions that read it.
 *
 * The context is the raw token held in the setting tracker.token, and
 * nothing else.  What it yields is the token's tenant and subject, and the
 * database's answer for them: the user's id, role and teams, read from the
 * tenant's data schema when the token is first verified.  Whoever sets that setting, by tracker.authenticate(), by
 * SET, by a pooler or by PostgreSQL itself (transaction end, savepoint
 * rollback, a parallel worker restoring its leader's settings), the token
 * is verified before any context function answers from it.  A per-backend
 * cache keyed on the SHA-256 of the token makes the second and later
 * verifications of the same token a hash lookup; the cache is dropped
 * whenever invalidation.c reports that keys or revocations changed.
 *
 * The context functions are called once per row in policies, so their
 * fast path is two comparisons: has the setting changed since it was
 * last resolved, and has the cache been invalidated; then an expiry check
 * against the statement's start time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"

#include "context.h"
#include "crypto.h"
#include "invalidation.h"
#include "jwt.h"
#include "registry.h"
#include "settings.h"

typedef struct ContextEntry
{
	unsigned char digest[32];	/* hash key: SHA-256 of the token */
	pg_uuid_t	tenant;
	char	   *subject;
	Jsonb	   *claims;
	TimestampTz expires;		/* exp plus leeway */
	TimestampTz recheck_at;		/* expiry, or earlier retirement of its key */
	/* from the database, not from the token */
	pg_uuid_t	user_id;
	char		role[MEMBER_ROLE_MAXLEN];
	char		data_schema[NAMEDATALEN];
	char		key_prefix[16];
	ArrayType  *teams;			/* uuid[] of the user's teams */
} ContextEntry;

static MemoryContext entry_cxt = NULL;
static HTAB *entries = NULL;
static uint64 entries_generation = 0;

/* The entry for the current value of tracker.token, once resolved */
static ContextEntry *current = NULL;
static bool token_changed = true;

/* tracker.token: the raw token of the current context, verified on use */
static char *tracker_token = NULL;

static void
assign_token(const char *newval, void *extra)
{
	token_changed = true;
}

void
context_init(void)
{
	DefineCustomStringVariable("tracker.token",
							   "The bearer token of the current tenant context; verified whenever it is used.",
							   "Set it with tracker.authenticate(); a value set any other way is verified all the same.",
							   &tracker_token,
							   "",
							   PGC_USERSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL,
							   assign_token,
							   NULL);
}

static void
reset_entries(void)
{
	HASHCTL		ctl;

	if (entry_cxt == NULL)
		entry_cxt = AllocSetContextCreate(TopMemoryContext, "tracker contexts",
										  ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(entry_cxt);
	ctl.keysize = 32;
	ctl.entrysize = sizeof(ContextEntry);
	ctl.hcxt = entry_cxt;
	entries = hash_create("tracker contexts", 256, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	entries_generation = invalidation_generation();
	current = NULL;
	token_changed = true;
}

#define REJECT(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION), __VA_ARGS__))

/*
 * The database's word on a verified token: its tenant must be registered
 * and active, its subject an active user of that tenant, and it must have
 * been issued after the user's tokens were last revoked.  The role and the
 * teams come from the user's rows, never from the token.
 */
static void
check_membership(VerifiedToken *vt, TenantRecord *tenant, MemberRecord *member)
{
	if (!registry_tenant(&vt->tenant, tenant))
		REJECT(errmsg("token tenant is not registered"));
	if (strcmp(tenant->status, "active") != 0)
		REJECT(errmsg("tenant is %s", tenant->status),
			   errhint("Only an operator can reactivate a tenant."));
	if (!registry_member(tenant->data_schema, &vt->tenant, vt->subject, member))
		REJECT(errmsg("user \"%s\" is not a member of this tenant",
					  jwt_shown(vt->subject, strlen(vt->subject))));
	if (!member->active)
		REJECT(errmsg("user \"%s\" has been deactivated",
					  jwt_shown(vt->subject, strlen(vt->subject))));
	if (member->revokes &&
		(vt->issued_at == 0 || vt->issued_at < member->tokens_valid_after))
		REJECT(errmsg("token was issued before the user's tokens were revoked"),
			   errhint("Request a new token from the identity provider."));
}

static void
forget(ContextEntry *entry)
{
	if (entry == current)
		current = NULL;
	(void) hash_search(entries, entry->digest, HASH_REMOVE, NULL);
}

/*
 * The context entry of a token, verifying the token unless this backend
 * has already verified it.  Raises 28000 for any token that is not (or no
 * longer) acceptable.
 */
static ContextEntry *
lookup_or_verify(const char *token)
{
	int			len = strlen(token);
	unsigned char digest[32];
	ContextEntry *entry;
	VerifiedToken vt;
	TenantRecord tenant;
	MemberRecord member;
	pg_uuid_t  *teams;
	int			nteams;
	MemoryContext old;

	if (entries == NULL || entries_generation != invalidation_generation())
		reset_entries();

	if (len <= tracker_max_token_size)
	{
		crypto_sha256(token, len, digest);
		entry = hash_search(entries, digest, HASH_FIND, NULL);
		if (entry != NULL)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (entry->recheck_at > now)
				return entry;
			if (entry->expires <= now)
				jwt_report_expired(entry->expires);
			/* its key has retired since: verify afresh, to say so */
			forget(entry);
		}
	}

	jwt_verify(token, len, &vt);
	if (vt.jti != NULL && registry_jti_revoked(vt.jti))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("token has been revoked")));
	check_membership(&vt, &tenant, &member);
	nteams = registry_member_teams(tenant.data_schema, &vt.tenant,
								   &member.user_id, &teams);

	if (hash_get_num_entries(entries) >= tracker_context_cache_size)
	{
		uint64		seen = entries_generation;

		reset_entries();
		/* keep a race with an invalidation visible to the next lookup */
		entries_generation = seen;
	}

	entry = hash_search(entries, digest, HASH_ENTER, NULL);
	old = MemoryContextSwitchTo(entry_cxt);
	entry->tenant = vt.tenant;
	entry->subject = pstrdup(vt.subject);
	entry->claims = DatumGetJsonbPCopy(JsonbPGetDatum(vt.claims));
	entry->expires = vt.expires;
	entry->recheck_at = Min(vt.expires, vt.key_retires);
	entry->user_id = member.user_id;
	strlcpy(entry->role, member.role, sizeof(entry->role));
	strlcpy(entry->data_schema, tenant.data_schema, sizeof(entry->data_schema));
	strlcpy(entry->key_prefix, tenant.key_prefix, sizeof(entry->key_prefix));
	{
		Datum	   *elems = palloc(Max(nteams, 1) * sizeof(Datum));

		for (int i = 0; i < nteams; i++)
			elems[i] = UUIDPGetDatum(&teams[i]);
		entry->teams = construct_array(elems, nteams, UUIDOID, UUID_LEN, false,
									   TYPALIGN_CHAR);
	}
	MemoryContextSwitchTo(old);
	return entry;
}

/* The current context, or NULL when there is no token */
static ContextEntry *
resolve(void)
{
	TimestampTz now = GetCurrentStatementStartTimestamp();

	if (entries == NULL || entries_generation != invalidation_generation())
		reset_entries();
	if (!token_changed && current != NULL && current->recheck_at <= now)
	{
		if (current->expires <= now)
			jwt_report_expired(current->expires);
		/* its key has retired since: verify afresh, to say so */
		forget(current);
		token_changed = true;
	}
	if (token_changed)
	{
		current = NULL;
		if (tracker_token != NULL && tracker_token[0] != '\0')
			current = lookup_or_verify(tracker_token);
		token_changed = false;
	}
	return current;
}

bool
context_get(TenantContext *out)
{
	ContextEntry *entry = resolve();

	if (entry == NULL)
		return false;
	out->tenant = entry->tenant;
	out->user_id = entry->user_id;
	out->role = entry->role;
	out->key_prefix = entry->key_prefix;
	out->data_schema = entry->data_schema;
	out->teams = (const pg_uuid_t *) ARR_DATA_PTR(entry->teams);
	out->nteams = ArrayGetNItems(ARR_NDIM(entry->teams), ARR_DIMS(entry->teams));
	return true;
}

PG_FUNCTION_INFO_V1(tracker_authenticate);

/*
 * tracker.authenticate(token text, local boolean DEFAULT false) RETURNS jsonb
 */
Datum
tracker_authenticate(PG_FUNCTION_ARGS)
{
	char	   *token;
	bool		local = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	ContextEntry *entry;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("no token was given")));
	token = text_to_cstring(PG_GETARG_TEXT_PP(0));

	entry = lookup_or_verify(token);
	(void) set_config_option("tracker.token", token,
							 PGC_USERSET, PGC_S_SESSION,
							 local ? GUC_ACTION_LOCAL : GUC_ACTION_SET,
							 true, 0, false);
	/* the tenant's data schema first, so tables need no schema name */
	(void) set_config_option("search_path",
							 psprintf("%s, public", quote_identifier(entry->data_schema)),
							 PGC_USERSET, PGC_S_SESSION,
							 local ? GUC_ACTION_LOCAL : GUC_ACTION_SET,
							 true, 0, false);
	current = entry;
	token_changed = false;

	PG_RETURN_JSONB_P(DatumGetJsonbPCopy(JsonbPGetDatum(entry->claims)));
}

PG_FUNCTION_INFO_V1(tracker_current_tenant);

Datum
tracker_current_tenant(PG_FUNCTION_ARGS)
{
	ContextEntry *entry = resolve();
	pg_uuid_t  *result;

	if (entry == NULL)
		PG_RETURN_NULL();
	result = palloc(sizeof(pg_uuid_t));
	*result = entry->tenant;
	PG_RETURN_UUID_P(result);
}

PG_FUNCTION_INFO_V1(tracker_current_subject);

Datum
tracker_current_subject(PG_FUNCTION_ARGS)
{
	ContextEntry *entry = resolve();

	if (entry == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(entry->subject));
}

PG_FUNCTION_INFO_V1(tracker_current_role);

Datum
tracker_current_role(PG_FUNCTION_ARGS)
{
	ContextEntry *entry = resolve();

	if (entry == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(entry->role));
}

PG_FUNCTION_INFO_V1(tracker_current_user_id);

Datum
tracker_current_user_id(PG_FUNCTION_ARGS)
{
	ContextEntry *entry = resolve();
	pg_uuid_t  *result;

	if (entry == NULL)
		PG_RETURN_NULL();
	result = palloc(sizeof(pg_uuid_t));
	*result = entry->user_id;
	PG_RETURN_UUID_P(result);
}

PG_FUNCTION_INFO_V1(tracker_current_teams);

/* The user's teams, for policies: team_id = ANY (tracker.current_teams()) */
Datum
tracker_current_teams(PG_FUNCTION_ARGS)
{
	ContextEntry *entry = resolve();

	if (entry == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(DatumGetArrayTypePCopy(PointerGetDatum(entry->teams)));
}

PG_FUNCTION_INFO_V1(tracker_claims);

Datum
tracker_claims(PG_FUNCTION_ARGS)
{
	ContextEntry *entry = resolve();

	if (entry == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(DatumGetJsonbPCopy(JsonbPGetDatum(entry->claims)));
}
