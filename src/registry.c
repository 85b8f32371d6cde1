/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  Index lookups in the tables that token verification reads.
 *
 * Like the key cache, these read with plain index scans and a fresh
 * catalog snapshot, without privilege checks or row-level security: a
 * tenant user's session must be able to establish its context but never
 * read these tables beyond what its policies allow.  They run only when a
 * token is verified for the first time in a backend; changes to the rows
 * reach cached contexts through invalidation.c.  Columns are found by
 * name, and indexes by the names the data-schema definition gives them.
 *
 * On a Citus cluster the rows are read where this node keeps them
 * (placement.c): tracker's own tables are reference tables, of which every
 * node holds a copy; a tenant's users and teams are in its shard, or its
 * silo's, on one worker.  A worker that holds no shard of the tenant
 * answers that the rows are elsewhere, and gives no context (its tasks
 * have none of the tenant's rows to show); the coordinator reads them
 * through the planner instead, and keeps what it read for the transaction
 * only, since the changes of those rows are seen by the node that holds
 * them (docs/scaling.md).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "parser/parse_relation.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"

#include "crypto.h"
#include "invalidation.h"
#include "placement.h"
#include "registry.h"

/*
 * Relation and index OIDs by schema and name.  Looking them up costs two
 * catalog-cache probes each, four times per new token, so they are kept
 * until any relation or schema changes (a syscache callback empties the
 * table; it is rebuilt on demand).
 */
typedef struct RelidEntry
{
	char		name[2 * NAMEDATALEN];	/* hash key: "schema\0relname" */
	Oid			relid;
} RelidEntry;

static HTAB *relids = NULL;

/*
 * A backend-local table of fixed-size keys, in parent.
 *
 * The tables of tenants, users, teams and revoked ids below are not used
 * while the server recovers: a hot standby replays the rows, but the
 * invalidation counters live in the primary's shared memory only, so
 * nothing would make them stale there.  The readers then read the rows
 * every time.
 */
static HTAB *
cache_table(const char *name, Size keysize, Size entrysize, MemoryContext parent)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = parent;
	return hash_create(name, 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
relids_flush(Datum arg, int cacheid, uint32 hashvalue)
{
	if (relids != NULL)
	{
		hash_destroy(relids);
		relids = NULL;
	}
}

static Oid
relation_in(const char *schema, const char *relname)
{
	static bool callbacks = false;
	char		key[2 * NAMEDATALEN];
	RelidEntry *entry;
	bool		found;
	Oid			nsp;
	Oid			relid;

	if (!callbacks)
	{
		CacheRegisterSyscacheCallback(RELNAMENSP, relids_flush, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACEOID, relids_flush, (Datum) 0);
		callbacks = true;
	}
	if (relids == NULL)
		relids = cache_table("tracker relation ids", sizeof(key), sizeof(RelidEntry), CacheMemoryContext);
	memset(key, 0, sizeof(key));
	strlcpy(key, schema, NAMEDATALEN);
	strlcpy(key + NAMEDATALEN, relname, NAMEDATALEN);
	entry = hash_search(relids, key, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->relid;

	nsp = get_namespace_oid(schema, true);
	relid = OidIsValid(nsp) ? get_relname_relid(relname, nsp) : InvalidOid;
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.%s\" does not exist", schema, relname),
				 errdetail("The tracker library and the extension's SQL objects may be of different versions, or the schema was changed by hand."),
				 errhint("Run ALTER EXTENSION tracker UPDATE, then check tracker.data_schemas for schemas left behind.")));
	/* the lookups may have run the callback: the table may be new */
	if (relids != NULL)
	{
		entry = hash_search(relids, key, HASH_ENTER, &found);
		entry->relid = relid;
	}
	return relid;
}

/*
 * A column of a row, by name: the tables may gain columns from one version
 * to the next, and a library newer or older than the extension's SQL
 * objects must read them all the same, or say clearly what to do.
 */
Datum
registry_column(HeapTuple tuple, Relation rel, const char *name, bool *isnull)
{
	int			attnum = attnameAttNum(rel, name, false);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("relation \"%s\" has no column \"%s\"",
						RelationGetRelationName(rel), name),
				 errdetail("The tracker library and the extension's SQL objects are of different versions."),
				 errhint("Run ALTER EXTENSION tracker UPDATE.")));
	return heap_getattr(tuple, attnum, RelationGetDescr(rel), isnull);
}

/*
 * An integer column that a library newer than the extension's SQL objects
 * may not find yet (the limits 1.1 added): 0, meaning none, when it is
 * missing or NULL.
 */
static int32
optional_int(HeapTuple tuple, Relation rel, const char *name)
{
	int			attnum = attnameAttNum(rel, name, false);
	bool		isnull;
	Datum		d;

	if (attnum == InvalidAttrNumber)
		return 0;
	d = heap_getattr(tuple, attnum, RelationGetDescr(rel), &isnull);
	return isnull ? 0 : DatumGetInt32(d);
}

static void
copy_text(Datum d, char *dst, int size)
{
	char	   *s = TextDatumGetCString(d);

	strlcpy(dst, s, size);
}

/*
 * Open this node's rows of one of tracker's own tables, and the local
 * index named index_name (unless NULL).  Every node of a cluster holds them.
 */
Relation
registry_open_everywhere(const char *relname, const char *index_name, Oid *index)
{
	Oid			local;
	int64		shardid;

	if (!placement_local(relation_in("tracker", relname), NULL, &local, &shardid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this node holds no rows of \"tracker.%s\"", relname),
				 errdetail("On a Citus cluster, tracker's tables are reference tables, of which every node in the metadata holds a copy."),
				 errhint("Put the coordinator in the metadata with citus_set_coordinator_host(), then run tracker.distribute().")));
	if (index_name != NULL)
		*index = placement_index(relation_in("tracker", index_name), shardid);
	return table_open(local, AccessShareLock);
}

/*
 * Open this node's rows of a tenant's data-schema table, and its local
 * index named index_name; NULL when another node holds them.
 */
static Relation
open_tenant_rows(const char *schema, const char *relname, const char *index_name,
				 const pg_uuid_t *tenant, Oid *index, int64 *shardid)
{
	Oid			local;

	if (!placement_local(relation_in(schema, relname), tenant, &local, shardid))
		return NULL;
	*index = placement_index(relation_in(schema, index_name), *shardid);
	return table_open(local, AccessShareLock);
}

/* The shard of relid holding tenant's rows that is this node's, 0, or -1 */
static int64
shard_here(Oid relid, const pg_uuid_t *tenant)
{
	Oid			local;
	int64		shardid;

	if (!placement_local(relid, tenant, &local, &shardid))
		return -1;
	return shardid;
}

int64
registry_member_shard(const char *schema, const pg_uuid_t *tenant)
{
	return shard_here(relation_in(schema, "users"), tenant);
}

/* Set while read_through_planner runs its query */
static bool reading_through_planner = false;

bool
registry_reading_through_planner(void)
{
	return reading_through_planner;
}

/*
 * Run a query of a tenant's rows that another node holds, through the
 * planner (Citus sends it to that node), as the bootstrap superuser: the
 * rows are read for the database, not for the caller, as the direct reads
 * are.  Only where a distributed query may start: never on a worker, whose
 * tasks may not start others.  Calls read(arg) with the result in
 * SPI_tuptable.
 */
static void
read_through_planner(const char *sql, const pg_uuid_t *tenant, Datum second, Oid second_type,
					 void (*read) (void *), void *arg)
{
	Oid			save_user;
	int			save_sec;
	Oid			argtypes[2] = {UUIDOID, second_type};
	Datum		args[2] = {UUIDPGetDatum(tenant), second};
	bool		was_reading = reading_through_planner;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	reading_through_planner = true;
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_with_args(sql, 2, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read a tenant's rows through the planner");
		read(arg);
		SPI_finish();
	}
	PG_FINALLY();
	{
		reading_through_planner = was_reading;
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
}

/*
 * Revoked token ids are few next to the tokens verified, and change
 * rarely: the whole table is read into a set of their SHA-256 digests,
 * again after each change of it (the revocations counter), so that a new
 * token's jti costs a hash probe instead of an index scan.  A table of more
 * than MAX_REVOKED_SET rows is not read whole: until it changes, each jti
 * is looked up in its index.
 */
#define MAX_REVOKED_SET 10000

static HTAB *revoked_set = NULL;	/* NULL: use the index */
static MemoryContext revoked_cxt = NULL;	/* holds it; reset before each load */
static InvalStamp revoked_stamp;
static bool revoked_stamp_valid = false;

static bool
index_jti_revoked(Relation rel, Oid index, const char *jti)
{
	SysScanDesc scan;
	ScanKeyData key;
	bool		found;

	ScanKeyInit(&key, attnameAttNum(rel, "jti", false), BTEqualStrategyNumber,
				F_TEXTEQ, CStringGetTextDatum(jti));
	scan = systable_beginscan(rel, index, true, NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	return found;
}

/* Read the table into revoked_set, or leave it NULL when it is too large */
static void
load_revoked_set(Relation rel)
{
	HTAB	   *set;
	SysScanDesc scan;
	HeapTuple	tuple;
	InvalStamp	stamp;

	/* an error while loading leaves no half set behind, nor its memory */
	revoked_set = NULL;
	revoked_stamp_valid = false;
	if (revoked_cxt == NULL)
		revoked_cxt = AllocSetContextCreate(CacheMemoryContext, "tracker revoked tokens",
											ALLOCSET_SMALL_SIZES);
	MemoryContextReset(revoked_cxt);

	invalidation_stamp(NULL, &stamp);
	set = cache_table("tracker revoked tokens", 32, 32, revoked_cxt);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		text	   *jti;
		unsigned char digest[32];

		if (hash_get_num_entries(set) >= MAX_REVOKED_SET)
		{
			MemoryContextReset(revoked_cxt);
			set = NULL;
			break;
		}
		jti = DatumGetTextPP(registry_column(tuple, rel, "jti", &isnull));
		crypto_sha256(VARDATA_ANY(jti), VARSIZE_ANY_EXHDR(jti), digest);
		(void) hash_search(set, digest, HASH_ENTER, NULL);
	}
	systable_endscan(scan);
	revoked_set = set;
	revoked_stamp = stamp;
	revoked_stamp_valid = true;
}

bool
registry_jti_revoked(const char *jti)
{
	Relation	rel = NULL;
	Oid			index = InvalidOid;
	bool		use_set = !RecoveryInProgress();
	bool		found;

	if (use_set && (!revoked_stamp_valid || !invalidation_stamp_current(&revoked_stamp, true)))
	{
		rel = registry_open_everywhere("revoked_tokens", "revoked_tokens_pkey", &index);
		load_revoked_set(rel);
	}
	if (use_set && revoked_set != NULL)
	{
		unsigned char digest[32];

		crypto_sha256(jti, strlen(jti), digest);
		found = hash_search(revoked_set, digest, HASH_FIND, NULL) != NULL;
	}
	else
	{
		if (rel == NULL)
			rel = registry_open_everywhere("revoked_tokens", "revoked_tokens_pkey", &index);
		found = index_jti_revoked(rel, index, jti);
	}
	if (rel != NULL)
		table_close(rel, AccessShareLock);
	return found;
}

/*
 * The rows a verification reads are cached, each with the invalidation
 * stamp it was read under (taken before the row): a tenant's row, by its
 * id; a user, by tenant and subject, so that the first verification of a
 * token whose user this backend has met (a refreshed token, typically)
 * does not open the users table; a user's teams, by tenant and user id.
 * The stamp includes the tenant's counter, which a change of its row, any
 * change or removal of one of its users and any change of a team
 * membership move; an added user is not in the cache, which holds only
 * rows found.  Up to TEAMS_CACHED teams are kept; a user in more is read
 * every time.  Each entry also names the table it was read from, so that a
 * schema made again (which fires no trigger) is read again.
 */
#define MAX_CACHED_ROWS 100000
#define TEAMS_CACHED 8

typedef enum RowKind
{
	ROW_TENANT,					/* id: zero; the tenant's row */
	ROW_MEMBER,					/* id: SHA-256 of the subject */
	ROW_TEAMS					/* id: the user's id */
} RowKind;

typedef struct RowCacheKey
{
	pg_uuid_t	tenant;
	int32		kind;			/* RowKind */
	unsigned char id[32];
} RowCacheKey;

typedef struct RowCacheEntry
{
	RowCacheKey key;			/* hash key */
	char		schema[NAMEDATALEN];
	Oid			relid;			/* the table read: a schema made again is another */
	int64		shardid;		/* its shard on this node (Citus), or 0 */
	InvalStamp	stamp;
	union
	{
		TenantRecord tenant;
		MemberRecord member;
		struct
		{
			int			n;
			pg_uuid_t	ids[TEAMS_CACHED];
		}			teams;
	}			row;
} RowCacheEntry;

static HTAB *row_cache = NULL;

/* The table a row of this kind is read from */
static Oid
row_relation(const RowCacheKey *key, const char *schema)
{
	return relation_in(schema, key->kind == ROW_TENANT ? "tenants" :
					   key->kind == ROW_MEMBER ? "users" : "team_members");
}

/* The cached row, if it is still good; NULL otherwise */
static RowCacheEntry *
cached_row(const RowCacheKey *key, const char *schema)
{
	RowCacheEntry *slot;

	if (row_cache == NULL || RecoveryInProgress())
		return NULL;
	slot = hash_search(row_cache, key, HASH_FIND, NULL);
	if (slot != NULL && strcmp(slot->schema, schema) == 0 &&
		invalidation_stamp_current(&slot->stamp, false) &&
		slot->relid == row_relation(key, schema) &&
		(slot->shardid == 0 || slot->shardid == shard_here(slot->relid, &key->tenant)))
		return slot;
	return NULL;
}

/*
 * A new entry for a row read under stamp, for the caller to fill in.  When
 * the cache is full, a quarter of it goes (whichever entries the hash
 * table visits first): a backend that meets more users than the cache
 * holds keeps most of them.  While recovering, an entry that is not in the
 * cache (see cache_table).
 */
static RowCacheEntry *
cache_row(const RowCacheKey *key, const char *schema, const InvalStamp *stamp, int64 shardid)
{
	static RowCacheEntry not_kept;
	RowCacheEntry *slot;

	if (RecoveryInProgress())
		return &not_kept;
	if (row_cache == NULL)
		row_cache = cache_table("tracker registry rows", sizeof(RowCacheKey), sizeof(RowCacheEntry),
								CacheMemoryContext);
	else if (hash_get_num_entries(row_cache) >= MAX_CACHED_ROWS)
	{
		HASH_SEQ_STATUS scan;
		long		goal = MAX_CACHED_ROWS / 4;

		hash_seq_init(&scan, row_cache);
		while ((slot = hash_seq_search(&scan)) != NULL)
		{
			(void) hash_search(row_cache, &slot->key, HASH_REMOVE, NULL);
			if (--goal == 0)
			{
				hash_seq_term(&scan);
				break;
			}
		}
	}
	slot = hash_search(row_cache, key, HASH_ENTER, NULL);
	strlcpy(slot->schema, schema, sizeof(slot->schema));
	slot->relid = row_relation(key, schema);
	slot->shardid = shardid;
	slot->stamp = *stamp;
	return slot;
}

static void
row_key(RowCacheKey *key, const pg_uuid_t *tenant, RowKind kind)
{
	memset(key, 0, sizeof(*key));
	key->tenant = *tenant;
	key->kind = kind;
}

static bool read_tenant(const pg_uuid_t *tenant, TenantRecord *out);

bool
registry_tenant(const pg_uuid_t *tenant, TenantRecord *out)
{
	RowCacheKey key;
	RowCacheEntry *slot;
	InvalStamp	stamp;

	row_key(&key, tenant, ROW_TENANT);
	if ((slot = cached_row(&key, "tracker")) != NULL)
	{
		*out = slot->row.tenant;
		return true;
	}
	invalidation_stamp(tenant, &stamp);
	if (!read_tenant(tenant, out))
		return false;
	cache_row(&key, "tracker", &stamp, 0)->row.tenant = *out;
	return true;
}

static bool
read_tenant(const pg_uuid_t *tenant, TenantRecord *out)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	bool		isnull;
	Oid			index;

	rel = registry_open_everywhere("tenants", "tenants_pkey", &index);
	ScanKeyInit(&key, attnameAttNum(rel, "id", false), BTEqualStrategyNumber,
				F_UUID_EQ, UUIDPGetDatum(tenant));
	scan = systable_beginscan(rel, index, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		copy_text(registry_column(tuple, rel, "status", &isnull), out->status,
				  sizeof(out->status));
		copy_text(registry_column(tuple, rel, "key_prefix", &isnull), out->key_prefix,
				  sizeof(out->key_prefix));
		strlcpy(out->data_schema,
				NameStr(*DatumGetName(registry_column(tuple, rel, "data_schema", &isnull))),
				sizeof(out->data_schema));
		out->api_calls_per_month = optional_int(tuple, rel, "api_calls_per_month");
		out->requests_per_second = optional_int(tuple, rel, "requests_per_second");
		out->request_burst = optional_int(tuple, rel, "request_burst");
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return HeapTupleIsValid(tuple);
}

static MemberLookup read_member(const char *schema, const pg_uuid_t *tenant,
								const char *subject, MemberRecord *out);
static int	read_member_teams(const char *schema, const pg_uuid_t *tenant,
							  const pg_uuid_t *user, pg_uuid_t **teams, int64 *shardid);

MemberLookup
registry_member(const char *schema, const pg_uuid_t *tenant,
				const char *subject, MemberRecord *out)
{
	RowCacheKey key;
	RowCacheEntry *slot;
	InvalStamp	stamp;
	MemberLookup found;

	row_key(&key, tenant, ROW_MEMBER);
	crypto_sha256(subject, strlen(subject), key.id);
	if ((slot = cached_row(&key, schema)) != NULL)
	{
		*out = slot->row.member;
		return MEMBER_FOUND;
	}
	invalidation_stamp(tenant, &stamp);
	found = read_member(schema, tenant, subject, out);
	if (found == MEMBER_FOUND && !out->through_planner)
		cache_row(&key, schema, &stamp, out->shardid)->row.member = *out;
	return found;
}

int
registry_member_teams(const char *schema, const pg_uuid_t *tenant,
					  const pg_uuid_t *user, pg_uuid_t **teams)
{
	RowCacheKey key;
	RowCacheEntry *slot;
	InvalStamp	stamp;
	int			n;
	int64		shardid;

	row_key(&key, tenant, ROW_TEAMS);
	memcpy(key.id, user, sizeof(pg_uuid_t));
	if ((slot = cached_row(&key, schema)) != NULL)
	{
		n = slot->row.teams.n;
		*teams = palloc(Max(n, 1) * sizeof(pg_uuid_t));
		memcpy(*teams, slot->row.teams.ids, n * sizeof(pg_uuid_t));
		return n;
	}
	invalidation_stamp(tenant, &stamp);
	n = read_member_teams(schema, tenant, user, teams, &shardid);
	if (shardid >= 0 && n <= TEAMS_CACHED)
	{
		slot = cache_row(&key, schema, &stamp, shardid);
		slot->row.teams.n = n;
		memcpy(slot->row.teams.ids, *teams, n * sizeof(pg_uuid_t));
	}
	return n;
}

/* A user's row as read_through_planner finds it */
typedef struct PlannerMember
{
	MemberRecord *out;
	bool		found;
} PlannerMember;

static void
take_member(void *arg)
{
	PlannerMember *pm = arg;
	bool		isnull;
	Datum		d;

	if (SPI_processed == 0)
		return;
	pm->found = true;
	pm->out->user_id = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	copy_text(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull),
			  pm->out->role, sizeof(pm->out->role));
	pm->out->active = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull);
	pm->out->revokes = !isnull;
	pm->out->tokens_valid_after = isnull ? 0 : DatumGetTimestampTz(d);
}

static MemberLookup
read_member(const char *schema, const pg_uuid_t *tenant,
			const char *subject, MemberRecord *out)
{
	Relation	rel;
	Oid			index;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tuple;
	bool		isnull;
	Datum		d;

	memset(out, 0, sizeof(*out));
	rel = open_tenant_rows(schema, "users", "users_subject_key", tenant, &index, &out->shardid);
	if (rel == NULL)
	{
		PlannerMember pm = {out, false};

		if (placement_on_worker())
			return MEMBER_ELSEWHERE;
		out->shardid = 0;
		read_through_planner(psprintf("SELECT id, role, active, tokens_valid_after FROM %s.users "
									  "WHERE tenant_id OPERATOR(pg_catalog.=) $1 "
									  "AND subject OPERATOR(pg_catalog.=) $2",
									  quote_identifier(schema)),
							 tenant, CStringGetTextDatum(subject), TEXTOID, take_member, &pm);
		out->through_planner = true;
		return pm.found ? MEMBER_FOUND : MEMBER_NONE;
	}
	ScanKeyInit(&keys[0], attnameAttNum(rel, "tenant_id", false),
				BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(tenant));
	ScanKeyInit(&keys[1], attnameAttNum(rel, "subject", false),
				BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(subject));
	scan = systable_beginscan(rel, index, true, NULL, 2, keys);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		out->user_id = *DatumGetUUIDP(registry_column(tuple, rel, "id", &isnull));
		copy_text(registry_column(tuple, rel, "role", &isnull), out->role, sizeof(out->role));
		out->active = DatumGetBool(registry_column(tuple, rel, "active", &isnull));
		d = registry_column(tuple, rel, "tokens_valid_after", &isnull);
		out->revokes = !isnull;
		out->tokens_valid_after = isnull ? 0 : DatumGetTimestampTz(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return HeapTupleIsValid(tuple) ? MEMBER_FOUND : MEMBER_NONE;
}

/* A user's teams as read_through_planner finds them */
typedef struct PlannerTeams
{
	pg_uuid_t **teams;
	int			n;
} PlannerTeams;

static void
take_teams(void *arg)
{
	PlannerTeams *pt = arg;

	*pt->teams = palloc(Max(SPI_processed, 1) * sizeof(pg_uuid_t));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		(*pt->teams)[pt->n++] = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[i],
															 SPI_tuptable->tupdesc, 1, &isnull));
	}
}

/*
 * The user's teams, and in *shardid the local shard they were read from, 0
 * without Citus; -1 when they may not be cached: read through the planner,
 * or not read because this worker holds none of them (it then answers none,
 * so its tasks show no team's issues).
 */
static int
read_member_teams(const char *schema, const pg_uuid_t *tenant,
				  const pg_uuid_t *user, pg_uuid_t **teams, int64 *shardid)
{
	Relation	rel;
	Oid			index;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tuple;
	int			n = 0;
	int			size = 8;

	rel = open_tenant_rows(schema, "team_members", "team_members_user_idx", tenant, &index, shardid);
	if (rel == NULL)
	{
		PlannerTeams pt = {teams, 0};

		*shardid = -1;
		*teams = palloc(sizeof(pg_uuid_t));
		if (placement_on_worker())
			return 0;
		read_through_planner(psprintf("SELECT team_id FROM %s.team_members "
									  "WHERE tenant_id OPERATOR(pg_catalog.=) $1 "
									  "AND user_id OPERATOR(pg_catalog.=) $2",
									  quote_identifier(schema)),
							 tenant, UUIDPGetDatum(user), UUIDOID, take_teams, &pt);
		return pt.n;
	}
	*teams = palloc(size * sizeof(pg_uuid_t));
	ScanKeyInit(&keys[0], attnameAttNum(rel, "tenant_id", false),
				BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(tenant));
	ScanKeyInit(&keys[1], attnameAttNum(rel, "user_id", false),
				BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(user));
	scan = systable_beginscan(rel, index, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;

		if (n == size)
		{
			size *= 2;
			*teams = repalloc(*teams, size * sizeof(pg_uuid_t));
		}
		(*teams)[n++] = *DatumGetUUIDP(registry_column(tuple, rel, "team_id", &isnull));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return n;
}

/*
 * The issue's people, when this node holds the tenant's issues (a policy
 * on a comment runs where the comment is, beside its issue); false when
 * it does not, as for no such issue.
 */
bool
registry_issue_people(const char *schema, const pg_uuid_t *tenant,
					  const pg_uuid_t *issue, IssuePeople *out)
{
	Relation	rel;
	Oid			index;
	int64		shardid;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tuple;
	bool		isnull;
	Datum		d;

	rel = open_tenant_rows(schema, "issues", "issues_pkey", tenant, &index, &shardid);
	if (rel == NULL)
		return false;
	ScanKeyInit(&keys[0], attnameAttNum(rel, "tenant_id", false),
				BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(tenant));
	ScanKeyInit(&keys[1], attnameAttNum(rel, "id", false),
				BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(issue));
	scan = systable_beginscan(rel, index, true, GetActiveSnapshot(), 2, keys);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		out->reporter = *DatumGetUUIDP(registry_column(tuple, rel, "reporter_id", &isnull));
		d = registry_column(tuple, rel, "assignee_id", &isnull);
		out->has_assignee = !isnull;
		if (!isnull)
			out->assignee = *DatumGetUUIDP(d);
		d = registry_column(tuple, rel, "team_id", &isnull);
		out->has_team = !isnull;
		if (!isnull)
			out->team = *DatumGetUUIDP(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return HeapTupleIsValid(tuple);
}

/*
 * Is this schema a data schema (registered in tracker.data_schemas)?  A
 * database still at 1.0 has no registry: then every schema counts, so that
 * the callers (guards) err on the side of caution.
 */
bool
registry_is_data_schema(const char *schema)
{
	Oid			nsp = get_namespace_oid("tracker", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("data_schemas", nsp) : InvalidOid;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	NameData	name;
	bool		found;
	Oid			index;

	if (!OidIsValid(relid))
		return true;
	namestrcpy(&name, schema);
	rel = registry_open_everywhere("data_schemas", "data_schemas_pkey", &index);
	ScanKeyInit(&key, attnameAttNum(rel, "schema_name", false), BTEqualStrategyNumber,
				F_NAMEEQ, NameGetDatum(&name));
	scan = systable_beginscan(rel, index, true, NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

Oid
registry_tenants_relid(void)
{
	return relation_in("tracker", "tenants");
}

/* A relation of schema tracker, or InvalidOid */
static Oid
tracker_relation_if_any(const char *relname)
{
	Oid			nsp = get_namespace_oid("tracker", true);

	return OidIsValid(nsp) ? get_relname_relid(relname, nsp) : InvalidOid;
}

Oid
registry_tenants_relid_if_any(void)
{
	return tracker_relation_if_any("tenants");
}

bool
registry_has_api_usage(void)
{
	return OidIsValid(tracker_relation_if_any("api_usage"));
}

int64
registry_month_calls(const pg_uuid_t *tenant, int32 first_day, int32 last_day)
{
	Oid			relid = tracker_relation_if_any("api_usage");
	Oid			index = tracker_relation_if_any("api_usage_pkey");
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tuple;
	int64		calls = 0;
	Oid			local;
	int64		shardid;

	if (!OidIsValid(relid) || !OidIsValid(index) ||
		!placement_local(relid, NULL, &local, &shardid))
		return 0;
	index = placement_index(index, shardid);
	rel = table_open(local, AccessShareLock);
	ScanKeyInit(&keys[0], attnameAttNum(rel, "tenant_id", false),
				BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(tenant));
	ScanKeyInit(&keys[1], attnameAttNum(rel, "day", false),
				BTGreaterEqualStrategyNumber, F_DATE_GE, DateADTGetDatum(first_day));
	scan = systable_beginscan(rel, index, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		DateADT		day = DatumGetDateADT(registry_column(tuple, rel, "day", &isnull));

		if (day > last_day)
			continue;
		calls += DatumGetInt64(registry_column(tuple, rel, "calls", &isnull));
		calls -= DatumGetInt64(registry_column(tuple, rel, "forgiven", &isnull));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return Max(calls, 0);
}

bool
registry_tenant_schema_latest(const pg_uuid_t *tenant, char *schema)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	bool		isnull;
	Snapshot	latest = RegisterSnapshot(GetLatestSnapshot());
	Oid			index;

	rel = registry_open_everywhere("tenants", "tenants_pkey", &index);
	ScanKeyInit(&key, attnameAttNum(rel, "id", false), BTEqualStrategyNumber,
				F_UUID_EQ, UUIDPGetDatum(tenant));
	scan = systable_beginscan(rel, index, true, latest, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		strlcpy(schema,
				NameStr(*DatumGetName(registry_column(tuple, rel, "data_schema", &isnull))),
				NAMEDATALEN);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	UnregisterSnapshot(latest);
	return HeapTupleIsValid(tuple);
}
