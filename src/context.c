/*-------------------------------------------------------------------------
 *
 * context.c
 *	  The session's tenant context, and the SQL functions that read it.
 *
 * The context is the raw token held in the setting tracker.token, and
 * nothing else.  What it yields is the token's tenant and subject, and the
 * database's answer for them: the user's id and role, read from the
 * tenant's data schema when the token is first verified, and the user's
 * teams, read when first needed.  Whoever sets that setting, by
 * tracker.authenticate(), by SET, by a pooler or by PostgreSQL itself (transaction end, savepoint
 * rollback, a parallel worker restoring its leader's settings), the token
 * is verified before any context function answers from it.  A per-backend
 * cache keyed on the SHA-256 of the token makes the second and later
 * verifications of the same token a hash lookup; a clock sweep makes room
 * when it is full.  Each entry carries the invalidation stamp it was made
 * under (invalidation.c); an entry whose keys, tenant or (with a jti)
 * revocations have changed since is verified again.
 *
 * The context functions are called once per row in policies, so their
 * fast path is three comparisons: has the setting changed since it was
 * last resolved, has this backend changed something, and is this still the
 * transaction in which the context's stamp was last compared (the shared
 * counters are read once per transaction); then an expiry check against
 * the statement's start time.
 *
 * On a Citus cluster every node verifies the tokens it is given (the
 * coordinator forwards the context to the workers, forward.c), from the
 * rows it holds (registry.c).  A worker that holds none of the token's
 * tenant's rows gives its tasks no context: they have nothing of the
 * tenant's to show.  Where the user's row was read from another node,
 * through the planner, no trigger of this node sees it change: the entry
 * then checks the row again in each transaction that asks for the user,
 * in every backend that has it.  Where it was read from a shard of this
 * node, the entry holds only while the shard is this node's: once Citus
 * moves it, the triggers that fire when the row changes fire elsewhere.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "access/xact.h"
#include "storage/proc.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/array.h"

#include "context.h"
#include "crypto.h"
#include "invalidation.h"
#include "jwt.h"
#include "keys.h"
#include "placement.h"
#include "registry.h"
#include "settings.h"
#include "shared.h"
#include "token_cache.h"
#include "usage.h"

typedef struct ContextEntry
{
	unsigned char digest[32];	/* hash key: SHA-256 of the token */
	VerifiedFacts facts;		/* tenant, user, role, expiry, stamp... */
	char	   *subject;
	Jsonb	   *claims;
	ArrayType  *teams;			/* uuid[] of the user's teams; NULL until needed */
	LocalTransactionId member_lxid; /* with facts.member_elsewhere: when read */
	void	   *storage;		/* one chunk holding subject and claims */
	bool		recently_used;	/* for the clock sweep that evicts entries */
} ContextEntry;

static MemoryContext entry_cxt = NULL;
static HTAB *entries = NULL;

/* Tokens this backend has verified in full (tracker._verifications()) */
static int64 verifications = 0;

/* When the current entry's stamp was last compared: once per transaction */
static LocalTransactionId checked_lxid = InvalidLocalTransactionId;
static uint64 checked_local = 0;

/* The entry for the current value of tracker.token, once resolved */
static ContextEntry *current = NULL;

/* The token is good, but this worker holds none of its tenant's rows */
static bool current_elsewhere = false;

/*
 * The tokens abandoned by a failed authenticate(), by digest: the one in
 * the setting when it failed, and the session's value that the setting
 * returns to when the failed transaction ends.  Neither gives a context
 * again until an authenticate() succeeds or the setting is emptied, so
 * that a client that ignores the error (on a pooled session, say) does not
 * go on as the previous client.  Another token, set explicitly, is
 * verified as usual.
 */
static unsigned char abandoned[2][32];
static int	nabandoned = 0;

static bool is_abandoned(const char *token);

/* The token and transaction of the last API call counted */
static LocalTransactionId counted_lxid = InvalidLocalTransactionId;
static unsigned char counted_digest[32];

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
	current = NULL;
	tracker_token_changed = true;
}

#define REJECT(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION), __VA_ARGS__))

/*
 * The user's word on a verified token: its subject must be an active user
 * of the tenant, and it must have been issued after the user's tokens were
 * last revoked.  False when this node is a worker that holds none of the
 * tenant's rows.
 */
static bool
check_member(const char *schema, const pg_uuid_t *tenant, const char *subject,
			 TimestampTz issued_at, MemberRecord *member)
{
	switch (registry_member(schema, tenant, subject, member))
	{
		case MEMBER_ELSEWHERE:
			return false;
		case MEMBER_NONE:
			REJECT(errmsg("user \"%s\" is not a member of this tenant",
						  jwt_shown(subject, strlen(subject))));
			break;
		case MEMBER_FOUND:
			break;
	}
	if (!member->active)
		REJECT(errmsg("user \"%s\" has been deactivated",
					  jwt_shown(subject, strlen(subject))));
	if (member->revokes &&
		(issued_at == 0 || issued_at < member->tokens_valid_after))
		REJECT(errmsg("token was issued before the user's tokens were revoked"),
			   errhint("Request a new token from the identity provider."));
	return true;
}

/*
 * The database's word on a verified token: its tenant must be registered
 * and active, and its user as check_member says.  The role and the teams
 * come from the user's rows, never from the token.
 */
static bool
check_membership(VerifiedToken *vt, TenantRecord *tenant, MemberRecord *member)
{
	if (!registry_tenant(&vt->tenant, tenant))
		REJECT(errmsg("token tenant is not registered"));
	if (strcmp(tenant->status, "deleted") == 0)
		REJECT(errmsg("tenant has been deleted"));
	if (strcmp(tenant->status, "active") != 0)
		REJECT(errmsg("tenant is %s", tenant->status),
			   errhint("Only an operator can reactivate a tenant."));
	return check_member(tenant->data_schema, &vt->tenant, vt->subject, vt->issued_at, member);
}

/*
 * Can the entry's word on the user still be trusted?  Asked once per
 * transaction.  A user read from a shard of this node, while the shard is
 * still this node's (placement.c keeps its answer for the transaction); a
 * user read from another node, if the row read again says the same, or
 * 28000 as a first verification would when the user may no longer use it.
 */
static bool
member_current(ContextEntry *entry)
{
	MemberRecord member;

	if (entry->facts.member_shard != 0 &&
		registry_member_shard(entry->facts.data_schema, &entry->facts.tenant) != entry->facts.member_shard)
		return false;
	if (!entry->facts.member_elsewhere || entry->member_lxid == MyProc->lxid)
		return true;
	if (!check_member(entry->facts.data_schema, &entry->facts.tenant, entry->subject,
					  entry->facts.issued_at, &member) ||
		memcmp(&member.user_id, &entry->facts.user_id, sizeof(pg_uuid_t)) != 0 ||
		strcmp(member.role, entry->facts.role) != 0)
		return false;
	/* the teams too are read again when asked for */
	if (entry->teams != NULL)
	{
		pfree(entry->teams);
		entry->teams = NULL;
	}
	entry->member_lxid = MyProc->lxid;
	return true;
}

static void
forget(ContextEntry *entry)
{
	/* the setting's token must be looked up (and so verified) afresh */
	if (entry == current)
	{
		current = NULL;
		tracker_token_changed = true;
	}
	if (entry->storage != NULL)
		pfree(entry->storage);
	if (entry->teams != NULL)
		pfree(entry->teams);
	(void) hash_search(entries, entry->digest, HASH_REMOVE, NULL);
}

/*
 * Make room when the cache is full: a clock sweep evicts the entries not
 * used since the previous sweep, and then, if that freed less than a
 * quarter of the cache, others until it has.  The current context stays.
 * A sweep visits every entry, but it runs at most once per quarter of the
 * cache's size of new tokens, so it costs a few hash steps per new token;
 * emptying the whole cache instead would verify every live token again.
 */
static void
evict_entries(void)
{
	long		goal = Max(tracker_context_cache_size / 4, 1);
	long		freed = 0;
	HASH_SEQ_STATUS scan;
	ContextEntry *entry;

	hash_seq_init(&scan, entries);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		if (entry == current)
			continue;
		if (entry->recently_used)
			entry->recently_used = false;
		else
		{
			forget(entry);
			freed++;
		}
	}
	if (freed >= goal)
		return;
	hash_seq_init(&scan, entries);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		if (entry != current)
		{
			forget(entry);
			if (++freed >= goal)
			{
				hash_seq_term(&scan);
				break;
			}
		}
	}
}

/* Copy what the entry keeps of a verified token into one chunk */
static void
fill_entry(ContextEntry *entry, const char *subject, const Jsonb *claims)
{
	Size		subject_size = MAXALIGN(strlen(subject) + 1);
	char	   *chunk = MemoryContextAlloc(entry_cxt, subject_size + VARSIZE(claims));

	entry->storage = chunk;
	entry->subject = strcpy(chunk, subject);
	entry->claims = memcpy(chunk + subject_size, claims, VARSIZE(claims));
	entry->teams = NULL;
}

/* Give the entry the user's teams, as a uuid[] kept with it */
static void
set_teams(ContextEntry *entry, const pg_uuid_t *teams, int nteams)
{
	Datum	   *elems = palloc(Max(nteams, 1) * sizeof(Datum));
	ArrayType  *array;

	for (int i = 0; i < nteams; i++)
		elems[i] = UUIDPGetDatum(&teams[i]);
	array = construct_array(elems, nteams, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
	entry->teams = MemoryContextAlloc(entry_cxt, VARSIZE(array));
	memcpy(entry->teams, array, VARSIZE(array));
}

/*
 * Has this transaction written anything?  Every change of a row, an
 * insert included, gives it a transaction id.
 */
static bool
wrote_anything(void)
{
	return TransactionIdIsValid(GetTopTransactionIdIfAny());
}

/* Put an entry, built in full, into the table */
static ContextEntry *
enter(ContextEntry *fresh)
{
	ContextEntry *entry;

	if (hash_get_num_entries(entries) >= tracker_context_cache_size)
		evict_entries();
	entry = hash_search(entries, fresh->digest, HASH_ENTER, NULL);
	*entry = *fresh;
	return entry;
}

/*
 * The entry another backend left in the shared cache for this token, made
 * this backend's own; NULL when there is none, or it is no longer good
 * (its token or key has expired, or its rows have changed since: the
 * token is then verified afresh, which says why, or replaces it).
 */
static ContextEntry *
adopt_shared(const unsigned char *digest)
{
	SharedContext shared;
	ContextEntry fresh;

	if (!token_cache_find(digest, &shared))
		return NULL;
	/* judged as this backend's own entries are, by this backend */
	shared.facts.stamp.local = invalidation_local();
	if (shared.facts.recheck_at <= GetCurrentTimestamp() ||
		!invalidation_stamp_current(&shared.facts.stamp, shared.facts.has_jti))
		return NULL;
	/*
	 * Its key must still be registered, as this backend reads the key table
	 * (which also says so if the table is not what this library expects).
	 */
	if (keys_lookup(shared_context_kid(&shared)) == NULL)
		return NULL;

	memset(&fresh, 0, sizeof(fresh));
	memcpy(fresh.digest, digest, sizeof(fresh.digest));
	fill_entry(&fresh, shared_context_subject(&shared), shared_context_claims(&shared));
	fresh.recently_used = true;
	fresh.facts = shared.facts;
	if (shared.has_teams)
		set_teams(&fresh, shared_context_teams(&shared), shared.nteams);
	return enter(&fresh);
}

/* Leave a token this backend has just verified, with that key, for the others */
static void
share(const ContextEntry *entry, const char *kid)
{
	SharedContext shared;

	if (!token_cache_pack(&shared, entry->subject, kid, entry->claims))
		return;
	shared.facts = entry->facts;
	token_cache_add(entry->digest, &shared);
}

/*
 * The user's teams, read when first needed: most statements never ask
 * (an admin's policies stop at the role), so a new token does not pay for
 * the lookup up front; once read, they go into the shared cache's entry
 * too.  Membership changes empty the caches like every other change the
 * context depends on.
 */
static ArrayType *
entry_teams(ContextEntry *entry)
{
	if (entry->teams == NULL)
	{
		pg_uuid_t  *teams;
		int			nteams = registry_member_teams(entry->facts.data_schema, &entry->facts.tenant,
												   &entry->facts.user_id, &teams);

		set_teams(entry, teams, nteams);
		/*
		 * The other backends may have them too, if they are the committed
		 * ones and nothing the entry depends on has changed since the token
		 * was verified (checked after reading them: a change that they saw
		 * has bumped the counters already).
		 */
		if (!wrote_anything() && !entry->facts.member_elsewhere &&
			invalidation_stamp_current(&entry->facts.stamp, entry->facts.has_jti))
			token_cache_add_teams(entry->digest, &entry->facts.stamp, teams, nteams);
	}
	return entry->teams;
}

/*
 * The context entry of a token, verifying the token unless this backend
 * has already verified it.  Raises 28000 for any token that is not (or no
 * longer) acceptable; NULL on a worker that holds none of the tenant's rows.
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
	ContextEntry fresh;
	InvalStamp	stamp;

	if (entries == NULL)
		reset_entries();

	if (len <= tracker_max_token_size)
	{
		crypto_sha256(token, len, digest);
		entry = hash_search(entries, digest, HASH_FIND, NULL);
		if (entry != NULL)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (entry->facts.recheck_at > now &&
				invalidation_stamp_current(&entry->facts.stamp, entry->facts.has_jti) &&
				member_current(entry))
			{
				entry->recently_used = true;
				return entry;
			}
			if (entry->facts.expires <= now)
				jwt_report_expired(entry->facts.expires);
			/* its key has retired, or its rows changed, since: verify afresh */
			forget(entry);
		}
	}

	/*
	 * Another backend may have verified it.  Not once this transaction has
	 * written anything: the shared cache holds what the committed rows say,
	 * and this transaction reads its own (a user it added, say).
	 */
	if (len <= tracker_max_token_size && !wrote_anything() &&
		(entry = adopt_shared(digest)) != NULL)
	{
		/* judged as this backend's own are: its user's shard, or the row again */
		if (member_current(entry))
			return entry;
		forget(entry);
	}

	/* the counters first, then the rows (invalidation.c) */
	invalidation_stamp(NULL, &stamp);
	verifications++;
	jwt_verify(token, len, &vt);
	invalidation_stamp_add_tenant(&stamp, &vt.tenant);
	if (vt.jti != NULL && registry_jti_revoked(vt.jti))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("token has been revoked")));
	if (!check_membership(&vt, &tenant, &member))
		return NULL;

	/* built in full before it enters the table, so an error leaves no half entry */
	memset(&fresh, 0, sizeof(fresh));
	memcpy(fresh.digest, digest, sizeof(digest));
	fill_entry(&fresh, vt.subject, vt.claims);
	fresh.recently_used = true;
	fresh.facts.tenant = vt.tenant;
	fresh.facts.expires = vt.expires;
	fresh.facts.recheck_at = Min(vt.expires, vt.key_retires);
	fresh.facts.user_id = member.user_id;
	strlcpy(fresh.facts.role, member.role, sizeof(fresh.facts.role));
	strlcpy(fresh.facts.data_schema, tenant.data_schema, sizeof(fresh.facts.data_schema));
	strlcpy(fresh.facts.key_prefix, tenant.key_prefix, sizeof(fresh.facts.key_prefix));
	fresh.facts.limits.calls_per_month = tenant.api_calls_per_month;
	fresh.facts.limits.requests_per_second = tenant.requests_per_second;
	fresh.facts.limits.burst = tenant.request_burst;
	fresh.facts.stamp = stamp;
	fresh.facts.has_jti = vt.jti != NULL;
	fresh.facts.issued_at = vt.issued_at;
	fresh.facts.member_elsewhere = member.through_planner;
	fresh.facts.member_shard = member.shardid;
	fresh.member_lxid = MyProc->lxid;

	entry = enter(&fresh);
	/*
	 * ... and if what it read was all committed, the others may have it (a
	 * user read from another node, they read again in each transaction)
	 */
	if (!wrote_anything() && vt.kid != NULL)
		share(entry, vt.kid);
	return entry;
}

/*
 * Count an API call of the entry's tenant, once per token and transaction:
 * when authenticate() establishes a context, or a statement first uses a
 * token that was set some other way (SET tracker.token).  Raises PT429,
 * and counts nothing, when the tenant's limits leave no room (usage.c).
 */
static void
count_call(ContextEntry *entry)
{
	/* a worker's tasks are parts of a call the coordinator has counted */
	if (placement_on_worker())
		return;
	if (counted_lxid == MyProc->lxid &&
		memcmp(counted_digest, entry->digest, sizeof(counted_digest)) == 0)
		return;
	usage_count_call(&entry->facts.tenant, &entry->facts.limits);
	counted_lxid = MyProc->lxid;
	memcpy(counted_digest, entry->digest, sizeof(counted_digest));
}

/* The current context, or NULL when there is no token */
static ContextEntry *
resolve(void)
{
	TimestampTz now = GetCurrentStatementStartTimestamp();
	bool		same_token = false;	/* looked up again, not newly set */

	if (entries == NULL)
		reset_entries();
	/* has what the context was made from changed?  Asked once per transaction */
	if (!tracker_token_changed && current != NULL &&
		(MyProc->lxid != checked_lxid || invalidation_local() != checked_local))
	{
		checked_lxid = MyProc->lxid;
		checked_local = invalidation_local();
		if (!invalidation_stamp_current(&current->facts.stamp, current->facts.has_jti) ||
			!member_current(current))
		{
			forget(current);
			tracker_token_changed = true;
			same_token = true;
		}
	}
	if (!tracker_token_changed && current != NULL && current->facts.recheck_at <= now)
	{
		if (current->facts.expires <= now)
			jwt_report_expired(current->facts.expires);
		/* its key has retired since: verify afresh, to say so */
		forget(current);
		tracker_token_changed = true;
		same_token = true;
	}
	if (tracker_token_changed)
	{
		current = NULL;
		current_elsewhere = false;
		if (tracker_token != NULL && tracker_token[0] != '\0')
		{
			if (nabandoned > 0 && is_abandoned(tracker_token))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
						 errmsg("no tenant context: the last tracker.authenticate() of this session failed"),
						 errhint("Call tracker.authenticate() with a valid token, or RESET tracker.token.")));
			current = lookup_or_verify(tracker_token);
			current_elsewhere = current == NULL;
			/* a call is counted when a token is set, not when it is checked again */
			if (!same_token && current != NULL)
				count_call(current);
		}
		else
			nabandoned = 0;
		tracker_token_changed = false;
		checked_lxid = MyProc->lxid;
		checked_local = invalidation_local();
	}
	return current;
}

bool
context_get(TenantContext *out)
{
	ContextEntry *entry = resolve();

	if (entry == NULL)
		return false;
	out->tenant = entry->facts.tenant;
	out->user_id = entry->facts.user_id;
	strlcpy(out->role, entry->facts.role, sizeof(out->role));
	strlcpy(out->key_prefix, entry->facts.key_prefix, sizeof(out->key_prefix));
	strlcpy(out->data_schema, entry->facts.data_schema, sizeof(out->data_schema));
	return true;
}

void
context_verify_forwarded(void)
{
	/*
	 * A statement whose rows are all on workers may never evaluate the
	 * context here, where calls are counted: the token is resolved (verified
	 * the first time, counted when newly set) before it goes.  A context
	 * already resolved is left as it is; the workers check it against the
	 * rows they hold.
	 */
	if (current != NULL && !tracker_token_changed)
		return;
	(void) resolve();
}

bool
context_elsewhere(void)
{
	return resolve() == NULL && current_elsewhere;
}

bool
context_resolved(pg_uuid_t *tenant, char *schema)
{
	if (current == NULL || tracker_token_changed)
		return false;
	*tenant = current->facts.tenant;
	strlcpy(schema, current->facts.data_schema, NAMEDATALEN);
	return true;
}

bool
context_fresh(void)
{
	return current != NULL && tracker_shared != NULL &&
		invalidation_stamp_current(&current->facts.stamp, false);
}

int
context_teams(const pg_uuid_t **teams)
{
	ContextEntry *entry = resolve();
	ArrayType  *array;

	if (entry == NULL)
	{
		*teams = NULL;
		return 0;
	}
	array = entry_teams(entry);
	*teams = (const pg_uuid_t *) ARR_DATA_PTR(array);
	return ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
}

/* The GUC table entries of the two settings authenticate makes */
static struct config_generic *token_guc = NULL;
static struct config_generic *search_path_guc = NULL;

/* A setting's entry in the GUC tables; entries never move once made */
static struct config_generic *
guc_entry(const char *name)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();

	for (int i = 0; i < n; i++)
		if (strcmp(vars[i]->name, name) == 0)
			return vars[i];
	elog(ERROR, "setting \"%s\" does not exist", name);
	return NULL;				/* keep compiler quiet */
}

/*
 * Set a setting for the session or the transaction, unless that would
 * change nothing: setting search_path, even to the value it has, makes
 * the next statements look up its schemas and check every cached plan
 * against them again, which costs more than the rest of a cached
 * authenticate.  The value stays as it is when it is already the same and
 * either the setting is transaction-local (it then ends with the
 * transaction either way), or nothing pending would make it revert at the
 * end of the (sub)transaction: no change at all, or only a session-level
 * one made at this nesting level.
 */
static void
set_unless_same(const char *name, struct config_generic **slot,
				const char *current_value, const char *value, bool local)
{
	if (*slot == NULL)
		*slot = guc_entry(name);
	if (current_value != NULL && strcmp(current_value, value) == 0 &&
		(local || (*slot)->stack == NULL ||
		 ((*slot)->stack->state == GUC_SET &&
		  (*slot)->stack->nest_level == GetCurrentTransactionNestLevel())))
		return;
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 local ? GUC_ACTION_LOCAL : GUC_ACTION_SET,
							 true, 0, false);
}

static void
abandon(const char *token)
{
	if (token != NULL && token[0] != '\0' && nabandoned < 2)
		crypto_sha256(token, strlen(token), abandoned[nabandoned++]);
}

/* What a failed authenticate() leaves unusable (see abandoned above) */
static void
abandon_tokens(void)
{
	GucStack   *bottom = NULL;

	if (token_guc == NULL)
		token_guc = guc_entry("tracker.token");
	nabandoned = 0;
	abandon(tracker_token);
	for (GucStack *st = token_guc->stack; st != NULL; st = st->prev)
		bottom = st;
	if (bottom != NULL)
		abandon(bottom->prior.val.stringval);
}

static bool
is_abandoned(const char *token)
{
	unsigned char digest[32];

	crypto_sha256(token, strlen(token), digest);
	for (int i = 0; i < nabandoned; i++)
		if (memcmp(digest, abandoned[i], sizeof(digest)) == 0)
			return true;
	return false;
}

/*
 * Verify a token (or find it verified) and make it the session's context, or
 * with local the transaction's; raises 28000 (or PT429) as
 * tracker.authenticate() does, and leaves no context of the token then.
 */
void
context_authenticate(const char *token, bool local)
{
	ContextEntry *entry;

	PG_TRY();
	{
		entry = lookup_or_verify(token);
		if (entry == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("this node holds none of the token's tenant's rows"),
					 errdetail("A Citus worker verifies the tokens of the tenants whose shards it holds."),
					 errhint("Connect to the coordinator.")));
		count_call(entry);
	}
	PG_CATCH();
	{
		abandon_tokens();
		current = NULL;
		tracker_token_changed = true;
		PG_RE_THROW();
	}
	PG_END_TRY();
	nabandoned = 0;
	set_unless_same("tracker.token", &token_guc, tracker_token, token, local);
	/*
	 * The tenant's data schema first, so tables need no schema name; and
	 * pg_temp explicitly last, so that no temporary table, view or type (one
	 * left in a pooled session by an earlier client, say) can stand in for
	 * a tenant table.  Functions and operators are never looked up in
	 * pg_temp.
	 */
	set_unless_same("search_path", &search_path_guc, namespace_search_path,
					psprintf("%s, public, pg_temp", quote_identifier(entry->facts.data_schema)),
					local);
	current = entry;
	tracker_token_changed = false;
	checked_lxid = MyProc->lxid;
	checked_local = invalidation_local();
}

/* The claims of the context that context_authenticate() just made */
const Jsonb *
context_claims(void)
{
	ContextEntry *entry = resolve();

	return entry == NULL ? NULL : entry->claims;
}

PG_FUNCTION_INFO_V1(tracker_authenticate);

/*
 * tracker.authenticate(token text, local boolean DEFAULT false) RETURNS jsonb
 */
Datum
tracker_authenticate(PG_FUNCTION_ARGS)
{
	bool		local = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("no token was given")));
	context_authenticate(text_to_cstring(PG_GETARG_TEXT_PP(0)), local);
	PG_RETURN_JSONB_P(DatumGetJsonbPCopy(JsonbPGetDatum(current->claims)));
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
	*result = entry->facts.tenant;
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
	PG_RETURN_TEXT_P(cstring_to_text(entry->facts.role));
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
	*result = entry->facts.user_id;
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
	PG_RETURN_ARRAYTYPE_P(DatumGetArrayTypePCopy(PointerGetDatum(entry_teams(entry))));
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

PG_FUNCTION_INFO_V1(tracker_verifications);

/* tracker._verifications() RETURNS bigint: full verifications in this backend */
Datum
tracker_verifications(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(verifications);
}
