/*-------------------------------------------------------------------------
 *
 * shared.c
 *	  tracker's shared memory: one segment, asked for at server start.
 *
 * With shared_preload_libraries = 'tracker', the postmaster reserves one
 * segment that every backend maps.  Today it holds the invalidation
 * counters of invalidation.c: one for keys, one for revocations, one for
 * changes that concern every tenant, and a fixed array of per-tenant
 * counters, a tenant's slot chosen by a hash keyed with a random seed
 * drawn at server start (so that no tenant can aim its changes at
 * another's slot; two tenants that share a slot only re-verify a little
 * more often).  The counters are atomics: readers never lock.
 * Other files keep parts of their own in the segment (shared_add_part):
 * usage.c its table of API calls per tenant, token_cache.c the tokens
 * that backends have verified.
 * Without shared_preload_libraries the segment is absent and
 * tracker_shared is NULL; invalidation.c then falls back to PostgreSQL's
 * own invalidation messages, which work everywhere but reach every tenant,
 * and the parts are absent too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#include "shared.h"

TrackerShared *tracker_shared = NULL;

static shmem_request_hook_type prev_shmem_request = NULL;
static shmem_startup_hook_type prev_shmem_startup = NULL;

#define MAX_PARTS 4
static const SharedPart *parts[MAX_PARTS];
static int	nparts = 0;

void
shared_add_part(const SharedPart *part)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	if (nparts >= MAX_PARTS)
		elog(ERROR, "too many parts of tracker's shared memory");
	parts[nparts++] = part;
}

static void
shared_request(void)
{
	if (prev_shmem_request)
		prev_shmem_request();
	RequestAddinShmemSpace(MAXALIGN(sizeof(TrackerShared)));
	for (int i = 0; i < nparts; i++)
	{
		RequestAddinShmemSpace(MAXALIGN(parts[i]->size()));
		if (parts[i]->locks > 0)
			RequestNamedLWLockTranche(parts[i]->name, parts[i]->locks);
	}
}

static void
shared_startup(void)
{
	bool		found;

	if (prev_shmem_startup)
		prev_shmem_startup();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	tracker_shared = ShmemInitStruct("tracker", sizeof(TrackerShared), &found);
	if (!found)
	{
		if (!pg_strong_random(&tracker_shared->seed, sizeof(tracker_shared->seed)))
			elog(ERROR, "could not generate a random seed");
		pg_atomic_init_u64(&tracker_shared->keys, 1);
		pg_atomic_init_u64(&tracker_shared->revocations, 1);
		pg_atomic_init_u64(&tracker_shared->all_tenants, 1);
		for (int i = 0; i < TENANT_SLOTS; i++)
			pg_atomic_init_u64(&tracker_shared->tenants[i], 1);
		pg_atomic_init_u32(&tracker_shared->prepared_count, 0);
		pg_atomic_init_u32(&tracker_shared->restart_settled, 0);
		pg_atomic_init_u32(&tracker_shared->restart_waited, 0);
		SpinLockInit(&tracker_shared->prepared_mutex);
		for (int i = 0; i < PREPARED_CHANGES; i++)
			tracker_shared->prepared[i] = InvalidTransactionId;
		tracker_shared->restart_horizon = InvalidTransactionId;
	}
	for (int i = 0; i < nparts; i++)
		parts[i]->attach();
	LWLockRelease(AddinShmemInitLock);
}

void
shared_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request = shmem_request_hook;
	shmem_request_hook = shared_request;
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = shared_startup;
}

int
shared_tenant_slot(const pg_uuid_t *tenant)
{
	return (int) (hash_bytes_extended(tenant->data, UUID_LEN, tracker_shared->seed) %
				  TENANT_SLOTS);
}
