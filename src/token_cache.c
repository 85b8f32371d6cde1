/*-------------------------------------------------------------------------
 *
 * token_cache.c
 *	  Verified tokens shared by every backend of the server.
 *
 * Each backend keeps the tokens it has verified (context.c).  Behind that,
 * this part of tracker's shared memory keeps what any backend's
 * verification found, so that a token is verified once per server, not
 * once per connection of a pool: a backend that has not seen a token
 * looks here before it verifies it.
 *
 * An entry is keyed by the SHA-256 of the token, the database, the key
 * table (tracker.jwt_keys, by OID: a dropped and re-created extension has
 * another) and the session's verification rules (leeway, tenant claim):
 * what was verified in one database, against another key table or under
 * other rules, is never found from another.
 * It carries the invalidation stamp its verification took before reading
 * the rows (invalidation.c), so the finder judges it exactly as it judges
 * its own cache, and a change reaches it from the next transaction.  Only
 * a transaction that has written nothing leaves or takes entries
 * (context.c): the rows it reads are then the committed ones.
 *
 * The cache is set-associative: a token's set, of WAYS entries, is chosen
 * by a hash keyed with the server's random seed (shared.c), so that no one
 * can aim tokens at another's set; a set is guarded by one of LOCKS
 * LWLocks, shared to find, exclusive to add.  A full set gives up its
 * expired entries first, then the one used longest ago.
 *
 * Fair shares: a tenant holds at most an eighth of the entries (its
 * count is kept per tenant slot of shared.c, so tenants that share a slot
 * share a share).  A tenant at its share replaces only its own entries;
 * if the set has none, its token is not shared (it is still verified and
 * kept by the backend that saw it).  So nothing a tenant does evicts other
 * tenants' entries beyond its share.  Entries are never trusted to be
 * current: an evicted or overwritten entry costs one verification.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "settings.h"
#include "shared.h"
#include "token_cache.h"

#define WAYS 8
#define LOCKS 128

typedef struct CacheEntry
{
	Oid			database;		/* InvalidOid: a free entry */
	Oid			key_table;		/* tracker.jwt_keys of that database */
	unsigned char digest[32];
	int32		leeway;			/* the verification rules it was made under */
	char		tenant_claim[NAMEDATALEN];
	SharedContext context;
} CacheEntry;

/*
 * What finding a token and choosing a victim read of an entry, kept apart
 * from the entries: a set's tags lie together, three cache lines, so that
 * looking for a token that is not there, or for room, does not read WAYS
 * entries of a kilobyte each.
 */
typedef struct EntryTag
{
	uint32		tag;			/* the first four bytes of the digest; 0: free */
	int32		tenant_slot;	/* its tenant's count in TokenCache.held */
	TimestampTz recheck_at;		/* the context's recheck_at */
	pg_atomic_uint64 used;		/* when last found or added, in microseconds */
} EntryTag;

typedef struct TokenCache
{
	int			nsets;
	int			share;			/* entries one tenant may hold */
	pg_atomic_uint32 held[TENANT_SLOTS];	/* entries held, by tenant slot */
	CacheEntry	entries[FLEXIBLE_ARRAY_MEMBER];
} TokenCache;

StaticAssertDecl(offsetof(SharedContext, data) % MAXIMUM_ALIGNOF == 0,
				 "the data of a shared context must be MAXALIGNed");

static TokenCache *cache = NULL;
static EntryTag *tags = NULL;	/* after the entries, WAYS a set */
static LWLockPadded *cache_locks = NULL;

static Size token_cache_size(void);
static void token_cache_attach(void);

static const SharedPart token_cache_part = {
	.name = "tracker token cache",
	.size = token_cache_size,
	.attach = token_cache_attach,
	.locks = LOCKS,
};

void
token_cache_init(void)
{
	if (tracker_shared_context_cache_size > 0)
		shared_add_part(&token_cache_part);
}

static int
nsets(void)
{
	return Max(tracker_shared_context_cache_size / WAYS, 1);
}

static Size
entries_end(void)
{
	return add_size(offsetof(TokenCache, entries),
					mul_size(mul_size(nsets(), WAYS), sizeof(CacheEntry)));
}

static Size
token_cache_size(void)
{
	return add_size(entries_end(), mul_size(mul_size(nsets(), WAYS), sizeof(EntryTag)));
}

static void
token_cache_attach(void)
{
	bool		found;

	cache = ShmemInitStruct("tracker token cache", token_cache_size(), &found);
	cache_locks = GetNamedLWLockTranche("tracker token cache");
	tags = (EntryTag *) ((char *) cache + entries_end());
	if (!found)
	{
		cache->nsets = nsets();
		cache->share = Max(cache->nsets * WAYS / 8, 1);
		for (int i = 0; i < TENANT_SLOTS; i++)
			pg_atomic_init_u32(&cache->held[i], 0);
		for (int i = 0; i < cache->nsets * WAYS; i++)
		{
			cache->entries[i].database = InvalidOid;
			tags[i].tag = 0;
			pg_atomic_init_u64(&tags[i].used, 0);
		}
	}
}

bool
token_cache_pack(SharedContext *ctx, const char *subject, const char *kid, const Jsonb *claims)
{
	Size		subject_len = strlen(subject);
	Size		kid_len = strlen(kid);

	if (MAXALIGN(subject_len + 1 + kid_len + 1) + VARSIZE(claims) > TOKEN_CACHE_DATA)
		return false;
	ctx->has_teams = false;
	ctx->nteams = 0;
	ctx->subject_len = subject_len;
	ctx->kid_len = kid_len;
	ctx->claims_len = VARSIZE(claims);
	memcpy(ctx->data.bytes, subject, subject_len + 1);
	memcpy(shared_context_kid(ctx), kid, kid_len + 1);
	memcpy(shared_context_claims(ctx), claims, VARSIZE(claims));
	return true;
}

/* The first entry of the token's set, its tags, and the lock of that set */
static CacheEntry *
set_of(const unsigned char *digest, LWLock **lock, EntryTag **set_tags)
{
	uint64		set = hash_bytes_extended(digest, 32, tracker_shared->seed) % cache->nsets;

	*lock = &cache_locks[set % LOCKS].lock;
	*set_tags = &tags[set * WAYS];
	return &cache->entries[set * WAYS];
}

/* A digest's tag: never 0, which marks a free entry */
static uint32
tag_of(const unsigned char *digest)
{
	uint32		tag;

	memcpy(&tag, digest, sizeof(tag));
	return tag == 0 ? 1 : tag;
}

/* Does the entry hold this token, verified here under the session's rules? */
static bool
matches(const CacheEntry *entry, const unsigned char *digest, Oid key_table)
{
	return entry->database == MyDatabaseId &&
		entry->key_table == key_table &&
		memcmp(entry->digest, digest, 32) == 0 &&
		entry->leeway == tracker_leeway &&
		strcmp(entry->tenant_claim, tracker_tenant_claim) == 0;
}

/* The bytes of data a context uses, up to and with the teams */
static Size
used_data(const SharedContext *c, int nteams)
{
	return MAXALIGN(c->subject_len + 1 + c->kid_len + 1) + MAXALIGN(c->claims_len) +
		nteams * sizeof(pg_uuid_t);
}

/* Copy what is used of a context: most of its data is usually empty */
static void
copy_context(SharedContext *to, const SharedContext *from)
{
	memcpy(to, from, offsetof(SharedContext, data) + used_data(from, from->nteams));
}

/*
 * Not during recovery: a hot standby replays the rows but not the
 * invalidation counters, which the primary's triggers bump in its own
 * shared memory only; entries made there could outlive a deactivation.
 * Its backends verify for themselves, each keeping its own cache.
 */
static bool
usable(void)
{
	return cache != NULL && strlen(tracker_tenant_claim) < NAMEDATALEN &&
		!RecoveryInProgress();
}

bool
token_cache_find(const unsigned char *digest, SharedContext *out)
{
	LWLock	   *lock;
	CacheEntry *set;
	EntryTag   *set_tags;
	uint32		tag = tag_of(digest);
	bool		found = false;
	Oid			key_table;

	if (!usable())
		return false;
	key_table = invalidation_anchor();
	set = set_of(digest, &lock, &set_tags);
	LWLockAcquire(lock, LW_SHARED);
	for (int i = 0; i < WAYS; i++)
	{
		if (set_tags[i].tag == tag && matches(&set[i], digest, key_table))
		{
			copy_context(out, &set[i].context);
			pg_atomic_write_u64(&set_tags[i].used, GetCurrentTimestamp());
			found = true;
			break;
		}
	}
	LWLockRelease(lock);
	return found;
}

void
token_cache_add(const unsigned char *digest, const SharedContext *ctx)
{
	LWLock	   *lock;
	CacheEntry *set;
	EntryTag   *set_tags;
	CacheEntry *victim = NULL;
	uint32		tag;
	int			slot;
	TimestampTz now = GetCurrentTimestamp();
	Oid			key_table;

	if (!usable())
		return;
	key_table = invalidation_anchor();
	slot = shared_tenant_slot(&ctx->facts.tenant);
	tag = tag_of(digest);
	set = set_of(digest, &lock, &set_tags);
	LWLockAcquire(lock, LW_EXCLUSIVE);

	/* the token's own entry, if it is there (stale: its stamp has moved) */
	for (int i = 0; i < WAYS && victim == NULL; i++)
		if (set_tags[i].tag == tag && matches(&set[i], digest, key_table))
			victim = &set[i];

	/*
	 * Otherwise a free entry, an expired one, or the one used longest ago;
	 * for a tenant at its share, only one of its own.
	 */
	if (victim == NULL)
	{
		bool		at_share = pg_atomic_read_u32(&cache->held[slot]) >= cache->share;
		uint64		oldest = PG_UINT64_MAX;

		for (int i = 0; i < WAYS; i++)
		{
			EntryTag   *t = &set_tags[i];
			uint64		used;

			if (at_share && (t->tag == 0 || t->tenant_slot != slot))
				continue;
			if (t->tag == 0 || t->recheck_at <= now)
			{
				victim = &set[i];
				break;
			}
			used = pg_atomic_read_u64(&t->used);
			if (used < oldest)
			{
				oldest = used;
				victim = &set[i];
			}
		}
	}

	if (victim != NULL)
	{
		EntryTag   *t = &set_tags[victim - set];

		if (t->tag != 0)
			pg_atomic_fetch_sub_u32(&cache->held[t->tenant_slot], 1);
		victim->database = MyDatabaseId;
		victim->key_table = key_table;
		memcpy(victim->digest, digest, 32);
		victim->leeway = tracker_leeway;
		strlcpy(victim->tenant_claim, tracker_tenant_claim, NAMEDATALEN);
		copy_context(&victim->context, ctx);
		t->tag = tag;
		t->tenant_slot = slot;
		t->recheck_at = ctx->facts.recheck_at;
		pg_atomic_write_u64(&t->used, now);
		pg_atomic_fetch_add_u32(&cache->held[slot], 1);
	}
	LWLockRelease(lock);
}

void
token_cache_add_teams(const unsigned char *digest, const InvalStamp *stamp,
					  const pg_uuid_t *teams, int nteams)
{
	LWLock	   *lock;
	CacheEntry *set;
	EntryTag   *set_tags;
	uint32		tag = tag_of(digest);
	Oid			key_table;

	if (!usable())
		return;
	key_table = invalidation_anchor();
	set = set_of(digest, &lock, &set_tags);
	LWLockAcquire(lock, LW_EXCLUSIVE);
	for (int i = 0; i < WAYS; i++)
	{
		SharedContext *c = &set[i].context;

		if (set_tags[i].tag == tag && matches(&set[i], digest, key_table))
		{
			if (!c->has_teams && invalidation_stamps_equal(&c->facts.stamp, stamp) &&
				used_data(c, nteams) <= TOKEN_CACHE_DATA)
			{
				memcpy(shared_context_teams(c), teams, nteams * sizeof(pg_uuid_t));
				c->nteams = nteams;
				c->has_teams = true;
			}
			break;
		}
	}
	LWLockRelease(lock);
}
