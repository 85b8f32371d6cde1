/*-------------------------------------------------------------------------
 *
 * invalidation.h
 *	  Tell every backend when the rows behind its caches have changed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_INVALIDATION_H
#define TRACKER_INVALIDATION_H

#include "utils/uuid.h"

/*
 * What a cached answer depends on, read before the rows it was made from:
 * the keys, the revocations, its tenant (the tenant's row, users and
 * teams), and this backend's own changes.  The answer stays good as long
 * as the stamp it carries is the current one.
 */
typedef struct InvalStamp
{
	uint64		local;
	uint64		keys;
	uint64		revocations;
	uint64		all_tenants;
	uint64		tenant;
	int			slot;			/* the tenant's counter; -1 for none */
} InvalStamp;

extern void invalidation_init(void);

/* The stamp now, for a cache about this tenant (NULL: about no tenant) */
extern void invalidation_stamp(const pg_uuid_t *tenant, InvalStamp *out);

/* Add the tenant's counter to a stamp taken without one (before reading its rows) */
extern void invalidation_stamp_add_tenant(InvalStamp *stamp, const pg_uuid_t *tenant);

/* Is a stamp still current?  Revocations count only when asked. */
extern bool invalidation_stamp_current(const InvalStamp *stamp, bool with_revocations);

/*
 * Were two stamps taken under the same shared counters?  (Their local
 * parts, which belong to the backends that took them, are not compared.)
 */
extern bool invalidation_stamps_equal(const InvalStamp *a, const InvalStamp *b);

/* Changes when this backend changed something its caches hold (checked per call) */
extern uint64 invalidation_local(void);

/* Make this backend's caches stale (a verification setting changed) */
extern void invalidation_signal_local(void);

/* The OID of tracker.jwt_keys, whose relcache entry carries the signal without shared memory */
extern Oid	invalidation_anchor(void);

#endif
