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

#include "invalidation.h"

static uint64 generation = 1;
static Oid	anchor_relid = InvalidOid;

static void
relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == anchor_relid)
	{
		generation++;
		/* resolve again: the table may have been dropped and recreated */
		anchor_relid = InvalidOid;
	}
}

void
invalidation_init(void)
{
	CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
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

		if (OidIsValid(nsp))
			anchor_relid = get_relname_relid("jwt_keys", nsp);
		if (!OidIsValid(anchor_relid))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("extension \"tracker\" is not installed in this database")));
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
