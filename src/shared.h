/*-------------------------------------------------------------------------
 *
 * shared.h
 *	  tracker's shared memory: one segment, asked for at server start.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_SHARED_H
#define TRACKER_SHARED_H

#include "port/atomics.h"
#include "utils/uuid.h"

#include "storage/spin.h"

/* Tenants are spread over this many invalidation counters */
#define TENANT_SLOTS 16384

/* At most this many prepared transactions may have changed contexts at once */
#define PREPARED_CHANGES 64

typedef struct TrackerShared
{
	uint64		seed;			/* keys the hash of tenant ids to slots */
	pg_atomic_uint64 keys;		/* bumped when tracker.jwt_keys changes */
	pg_atomic_uint64 revocations;	/* ... tracker.revoked_tokens */
	pg_atomic_uint64 all_tenants;	/* ... something that touches every tenant */
	pg_atomic_uint64 tenants[TENANT_SLOTS]; /* ... one tenant's row or members */

	/*
	 * Prepared transactions that changed what contexts are made of, until
	 * they are seen to have ended (invalidation.c); and, after a restart,
	 * the first transaction id of this start: older ones still running may
	 * be prepared transactions from before it.
	 */
	pg_atomic_uint32 prepared_count;	/* valid entries in prepared[] */
	pg_atomic_uint32 restart_settled;	/* no transaction from before the start runs */
	pg_atomic_uint32 restart_waited;	/* ... but one was seen running */
	slock_t		prepared_mutex;
	TransactionId prepared[PREPARED_CHANGES];	/* InvalidTransactionId: free */
	TransactionId restart_horizon;
} TrackerShared;

/* The segment; NULL when tracker is not in shared_preload_libraries */
extern TrackerShared *tracker_shared;

/* Asks for the segment (from _PG_init, at server start only) */
extern void shared_init(void);

/* The counter slot of a tenant */
extern int	shared_tenant_slot(const pg_uuid_t *tenant);

/*
 * A part of the segment that another file keeps there (usage.c, say).  It
 * is asked for from _PG_init, after shared_init(); at server start the
 * segment grows by size(), a tranche of `locks` LWLocks named `name` is
 * made, and attach() is called under AddinShmemInitLock to find or make
 * the part with ShmemInitStruct or ShmemInitHash (in every process that
 * needs to: it must cope with finding it made).
 */
typedef struct SharedPart
{
	const char *name;
	Size		(*size) (void);
	void		(*attach) (void);
	int			locks;
} SharedPart;

extern void shared_add_part(const SharedPart *part);

#endif
