/*-------------------------------------------------------------------------
 *
 * placement.c
 *	  Where this node keeps a table's rows.
 *
 * On one server, a table's rows are in the table.  On a Citus cluster, the
 * relation of that name is a shell: its rows are in shards, each a table
 * named after it with the shard's id appended, on one node (a distributed
 * table's shard, or a distributed schema's table) or on every node (a
 * reference table's one shard).  The C code that reads rows directly
 * (keys, revocations, tenants, users, teams: what a context is made of)
 * must read the shard this node holds, or know that it holds none, as
 * Citus's own metadata says: pg_dist_partition for how a table is
 * distributed, pg_dist_shard for its shards and their hash ranges,
 * pg_dist_placement for the nodes (groups) that hold each.  A tenant's
 * shard is the one whose range holds the hash of its id, by the uuid
 * type's standard hash function, as Citus computes it.  A shard is this
 * node's when the metadata places it on this node's group, not merely
 * when a table of its name is here: a shard moved away stays behind, under
 * its name, until Citus drops it.
 *
 * Nothing here needs Citus's library: without Citus's catalogs, or for a
 * table they do not name, every table is its own placement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "parser/parse_relation.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "placement.h"

/* A Citus catalog of pg_catalog, or InvalidOid without Citus */
static Oid
citus_catalog(const char *name)
{
	return get_relname_relid(name, PG_CATALOG_NAMESPACE);
}

/* A column of a Citus catalog row, by name */
static Datum
catalog_column(HeapTuple tuple, Relation rel, const char *name, bool *isnull)
{
	int			attnum = attnameAttNum(rel, name, false);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("Citus's catalog \"%s\" has no column \"%s\"",
						RelationGetRelationName(rel), name),
				 errdetail("This version of Citus is not one tracker supports.")));
	return heap_getattr(tuple, attnum, RelationGetDescr(rel), isnull);
}

/*
 * How Citus distributes relid: 'h' (by hash of a column), 'n' (one shard:
 * a reference table or a distributed schema's table), another method, or
 * '\0' when Citus does not manage it.
 */
static char
distribution_method(Oid relid)
{
	Oid			catalog = citus_catalog("pg_dist_partition");
	Oid			index = citus_catalog("pg_dist_partition_logical_relid_index");
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	char		method = '\0';

	if (!OidIsValid(catalog) || !OidIsValid(index))
		return '\0';
	rel = table_open(catalog, AccessShareLock);
	ScanKeyInit(&key, attnameAttNum(rel, "logicalrelid", false), BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, index, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;

		method = DatumGetChar(catalog_column(tuple, rel, "partmethod", &isnull));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return method;
}

/*
 * The shard of relid that holds hash (any shard, when any), or 0 when it
 * has none that does.
 */
static int64
shard_for(Oid relid, bool any, int32 hash)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	int64		shardid = 0;

	rel = table_open(citus_catalog("pg_dist_shard"), AccessShareLock);
	ScanKeyInit(&key, attnameAttNum(rel, "logicalrelid", false), BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, citus_catalog("pg_dist_shard_logical_relid_index"),
							  true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		min_null;
		bool		max_null;
		bool		isnull;
		Datum		min = catalog_column(tuple, rel, "shardminvalue", &min_null);
		Datum		max = catalog_column(tuple, rel, "shardmaxvalue", &max_null);

		if (!any &&
			(min_null || max_null ||
			 hash < pg_strtoint32(TextDatumGetCString(min)) ||
			 hash > pg_strtoint32(TextDatumGetCString(max))))
			continue;
		shardid = DatumGetInt64(catalog_column(tuple, rel, "shardid", &isnull));
		break;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return shardid;
}

/*
 * This node's group in the cluster's metadata (pg_dist_local_group): 0 for
 * the coordinator and for a server without Citus.  Read once per
 * transaction.
 */
static int32
local_group(void)
{
	static LocalTransactionId read_lxid = InvalidLocalTransactionId;
	static int32 group = 0;
	Oid			catalog;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;

	if (read_lxid == MyProc->lxid)
		return group;
	group = 0;
	catalog = citus_catalog("pg_dist_local_group");
	if (OidIsValid(catalog))
	{
		rel = table_open(catalog, AccessShareLock);
		scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
		if (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			bool		isnull;
			Datum		d = catalog_column(tuple, rel, "groupid", &isnull);

			group = isnull ? 0 : DatumGetInt32(d);
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	read_lxid = MyProc->lxid;
	return group;
}

/* Does the metadata place shardid on this node's group? */
static bool
placed_here(int64 shardid)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	int32		group = local_group();
	bool		here = false;

	rel = table_open(citus_catalog("pg_dist_placement"), AccessShareLock);
	ScanKeyInit(&key, attnameAttNum(rel, "shardid", false), BTEqualStrategyNumber,
				F_INT8EQ, Int64GetDatum(shardid));
	scan = systable_beginscan(rel, citus_catalog("pg_dist_placement_shardid_index"),
							  true, NULL, 1, &key);
	while (!here && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d = catalog_column(tuple, rel, "groupid", &isnull);

		here = !isnull && DatumGetInt32(d) == group;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return here;
}

/* The name Citus gives a relation's shard: name_shardid (names here are short) */
static char *
shard_name(const char *name, int64 shardid)
{
	char	   *shard = psprintf("%s_" INT64_FORMAT, name, shardid);

	if (strlen(shard) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("the shard name of \"%s\" is too long for tracker to find", name)));
	return shard;
}

/*
 * What placement_local found, kept for the rest of the transaction: a
 * policy that reads an issue's people (visibility.c) asks once per row.
 * Shards move only in transactions of their own.
 */
typedef struct PlacementKey
{
	Oid			relid;
	pg_uuid_t	tenant;			/* zero for a table of one shard */
} PlacementKey;

typedef struct PlacementEntry
{
	PlacementKey key;			/* hash key */
	Oid			local;
	int64		shardid;
} PlacementEntry;

static HTAB *found_placements = NULL;
static LocalTransactionId found_lxid = InvalidLocalTransactionId;

static void find_placement(Oid relid, const pg_uuid_t *tenant, Oid *local, int64 *shardid);

bool
placement_local(Oid relid, const pg_uuid_t *tenant, Oid *local, int64 *shardid)
{
	PlacementKey key;
	PlacementEntry *entry;
	bool		found;

	/* one server: every table is its own placement (a policy asks per row) */
	if (!OidIsValid(citus_catalog("pg_dist_partition")))
	{
		*local = relid;
		*shardid = 0;
		return true;
	}
	if (found_placements == NULL || found_lxid != MyProc->lxid)
	{
		HASHCTL		ctl;

		if (found_placements != NULL)
			hash_destroy(found_placements);
		ctl.keysize = sizeof(PlacementKey);
		ctl.entrysize = sizeof(PlacementEntry);
		found_placements = hash_create("tracker placements", 16, &ctl, HASH_ELEM | HASH_BLOBS);
		found_lxid = MyProc->lxid;
	}
	memset(&key, 0, sizeof(key));
	key.relid = relid;
	if (tenant != NULL)
		key.tenant = *tenant;
	entry = hash_search(found_placements, &key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		Oid			l;
		int64		s;

		find_placement(relid, tenant, &l, &s);
		entry = hash_search(found_placements, &key, HASH_ENTER, &found);
		entry->local = l;
		entry->shardid = s;
	}
	*local = entry->local;
	*shardid = entry->shardid;
	return OidIsValid(*local);
}

/* placement_local's answer, without the table of answers */
static void
find_placement(Oid relid, const pg_uuid_t *tenant, Oid *local, int64 *shardid)
{
	char		method = distribution_method(relid);
	int32		hash = 0;

	*local = InvalidOid;
	*shardid = 0;
	if (method == '\0')
	{
		*local = relid;
		return;
	}
	/* by hash of the tenant for a tenant's rows; tracker's own tables whole */
	if (method == 'h' && tenant != NULL)
		hash = DatumGetInt32(DirectFunctionCall1(uuid_hash, UUIDPGetDatum(tenant)));
	else if (method != 'n')
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("table \"%s\" is distributed in a way tracker does not support",
						get_rel_name(relid)),
				 errhint("Distribute tracker's tables with tracker.distribute().")));
	*shardid = shard_for(relid, method != 'h', hash);
	if (*shardid != 0 && placed_here(*shardid))
		*local = get_relname_relid(shard_name(get_rel_name(relid), *shardid),
								   get_rel_namespace(relid));
}

Oid
placement_index(Oid index, int64 shardid)
{
	Oid			local;

	if (shardid == 0)
		return index;
	local = get_relname_relid(shard_name(get_rel_name(index), shardid),
							  get_rel_namespace(index));
	if (!OidIsValid(local))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("index \"%s\" has no shard " INT64_FORMAT " on this node",
						get_rel_name(index), shardid)));
	return local;
}

bool
placement_on_worker(void)
{
	/* 0 is the coordinator, and a server not in any cluster */
	return local_group() > 0;
}

bool
placement_citus_connection(void)
{
	return application_name != NULL &&
		strncmp(application_name, "citus_internal gpid=", 20) == 0;
}
