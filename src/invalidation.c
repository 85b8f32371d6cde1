/*-------------------------------------------------------------------------
 *
 * invalidation.c
 *	  Cross-backend invalidation of cached keys and verified contexts.
 *
 * Backends cache parsed keys and verified tokens.  When a key is added or
 * retired, a token revoked, or (later) a user or tenant changed, a
 * statement-level trigger on that table calls tracker._invalidate_caches(),
 * which queues a relcache invalidation of tracker.jwt_keys (the "anchor").
 * PostgreSQL delivers it to every backend of the database at commit, and
 * each one processes it at its next transaction start; the callback here
 * only bumps a generation counter, and the caches compare their own
 * generation with it before use.  No key or row is read in the callback.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "invalidation.h"

static uint64 generation = 1;

/*
 * The anchor, once resolved, and the catalog-cache hash of its name, so
 * that a drop or rename of the table (DROP EXTENSION and CREATE EXTENSION
 * again) makes it be resolved again.  The anchor is never forgotten on a
 * relcache invalidation: forgetting it there, while the keys were being
 * loaded, once made every later invalidation look like someone else's.
 * While it is unresolved, every relcache invalidation counts as ours.
 */
static Oid	anchor_relid = InvalidOid;
static uint32 anchor_name_hash = 0;

static void
relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || !OidIsValid(anchor_relid) || relid == anchor_relid)
		generation++;
}

static void
relname_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (hashvalue == 0 || hashvalue == anchor_name_hash)
	{
		anchor_relid = InvalidOid;
		generation++;
	}
}

void
invalidation_init(void)
{
	CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(RELNAMENSP, relname_callback, (Datum) 0);
}

uint64
invalidation_generation(void)
{
	return generation;
}

void
invalidation_signal_local(void)
{
	generation++;
}

Oid
invalidation_anchor(void)
{
	if (!OidIsValid(anchor_relid))
	{
		Oid			nsp = get_namespace_oid("tracker", true);
		Oid			relid = InvalidOid;

		if (OidIsValid(nsp))
			relid = get_relname_relid("jwt_keys", nsp);
		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("extension \"tracker\" is not installed in this database")));
		anchor_name_hash = GetSysCacheHashValue2(RELNAMENSP,
												 CStringGetDatum("jwt_keys"),
												 ObjectIdGetDatum(nsp));
		anchor_relid = relid;
	}
	return anchor_relid;
}

PG_FUNCTION_INFO_V1(tracker_invalidate_caches);

/*
 * Trigger: queue the invalidation; it reaches other backends only if this
 * transaction commits.
 */
Datum
tracker_invalidate_caches(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tracker._invalidate_caches() must be called as a trigger")));

	CacheInvalidateRelcacheByRelid(invalidation_anchor());
	return PointerGetDatum(NULL);
}
