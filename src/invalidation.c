/*-------------------------------------------------------------------------
 *
 * invalidation.c
 *	  Cross-backend invalidation of cached keys and verified contexts.
 *
 * Backends cache parsed keys, tenants and verified tokens.  Triggers on the
 * tables behind them call tracker._invalidate_caches(kind [, column]):
 * 'keys' (tracker.jwt_keys), 'revocations' (tracker.revoked_tokens),
 * 'tenant' with the column that holds the tenant id (row triggers on
 * tracker.tenants, users and team_members, fired only by changes that
 * matter to a context), or no argument, 'all' (a TRUNCATE, and the
 * statement triggers of data schemas made by 1.0).
 *
 * With shared memory (shared.c), each kind is a counter there and a tenant
 * has its own: a change costs only the caches that depend on it.  A
 * committing transaction bumps its counters twice: before its commit
 * becomes visible, and after.  A reader stamps its cache with the counters
 * before it reads the rows; whatever it read before the commit was
 * visible, the second bump makes stale.  Readers compare stamps once per
 * transaction, so a change reaches every other backend from its next
 * transaction.  The writing backend's own caches go stale at once (the
 * triggers run after each statement's rows), and again when a transaction
 * or savepoint that wrote anything rolls back: what it cached meanwhile
 * may rest on rows that are undone, even rows that invalidate nothing
 * when they commit (an inserted user).
 *
 * A prepared transaction that changed what contexts are made of commits
 * later, from any session (COMMIT PREPARED; Citus writes its reference
 * tables that way), when no callback of this backend runs.  So it is
 * recorded in shared memory when it prepares; while one recorded is still
 * running, no backend trusts a stamp, and the first to see it ended bumps
 * the counters (all of them: which tenants it touched is not kept) and
 * forgets it.  Shared memory does not survive a restart, but prepared
 * transactions do: while a transaction older than the first cache stamp
 * of this start is running (only a prepared one can be), stamps are not
 * trusted either, and the counters move when it has ended.
 *
 * Without shared memory, the trigger queues a relcache invalidation of
 * tracker.jwt_keys (the "anchor"), which PostgreSQL delivers to every
 * backend of the database at commit; the callback here bumps this
 * backend's local counter, and every cache is stale: correct, but every
 * change reaches every tenant.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "access/transam.h"
#include "storage/procarray.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "caller.h"
#include "invalidation.h"
#include "placement.h"
#include "shared.h"

static uint64 local_generation = 1;

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

/*
 * A name-cache invalidation with the anchor's hash, or a reset of the
 * caches, says only that the anchor may have gone: hash values collide,
 * and anyone can make a table whose name collides with it (a temporary
 * one will do), or flood the invalidation queue until it resets.  So the
 * callbacks only ask for the anchor to be looked up again, when the caches
 * are next used in a transaction, and the generation moves only if it has
 * really gone or changed.
 */
static bool anchor_recheck = false;

static void
relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid)
	{
		/* a reset: without the shared counters it may have hidden a change */
		if (tracker_shared == NULL)
			local_generation++;
		anchor_recheck = true;
	}
	else if (!OidIsValid(anchor_relid) || relid == anchor_relid)
		local_generation++;
}

static void
relname_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (hashvalue == 0 || hashvalue == anchor_name_hash)
		anchor_recheck = true;
}

/* The anchor as the catalogs have it now, or InvalidOid */
static Oid
anchor_lookup(Oid *nsp_out)
{
	Oid			nsp = get_namespace_oid("tracker", true);

	*nsp_out = nsp;
	return OidIsValid(nsp) ? get_relname_relid("jwt_keys", nsp) : InvalidOid;
}

/* Look the anchor up again if a callback asked to; in a transaction only */
static void
anchor_recheck_if_asked(void)
{
	Oid			nsp;

	if (!anchor_recheck || !IsTransactionState())
		return;
	anchor_recheck = false;
	if (OidIsValid(anchor_relid) && anchor_lookup(&nsp) != anchor_relid)
	{
		anchor_relid = InvalidOid;
		local_generation++;
	}
}

static void xact_callback(XactEvent event, void *arg);
static bool restart_changes_running(void);
static void subxact_callback(SubXactEvent event, SubTransactionId mySubid,
							 SubTransactionId parentSubid, void *arg);

void
invalidation_init(void)
{
	CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(RELNAMENSP, relname_callback, (Datum) 0);
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);
}

void
invalidation_stamp(const pg_uuid_t *tenant, InvalStamp *out)
{
	anchor_recheck_if_asked();
	memset(out, 0, sizeof(*out));
	out->local = local_generation;
	out->slot = -1;
	if (tracker_shared == NULL)
		return;
	(void) restart_changes_running();	/* the horizon, before any stamp */
	out->keys = pg_atomic_read_u64(&tracker_shared->keys);
	out->revocations = pg_atomic_read_u64(&tracker_shared->revocations);
	out->all_tenants = pg_atomic_read_u64(&tracker_shared->all_tenants);
	if (tenant != NULL)
	{
		out->slot = shared_tenant_slot(tenant);
		out->tenant = pg_atomic_read_u64(&tracker_shared->tenants[out->slot]);
	}
	/* the rows are read after the counters */
	pg_read_barrier();
}

void
invalidation_stamp_add_tenant(InvalStamp *stamp, const pg_uuid_t *tenant)
{
	if (tracker_shared == NULL)
		return;
	stamp->slot = shared_tenant_slot(tenant);
	stamp->tenant = pg_atomic_read_u64(&tracker_shared->tenants[stamp->slot]);
	pg_read_barrier();
}

/* Every counter, moved: whatever any backend cached is stale */
static void
bump_everything(void)
{
	pg_atomic_fetch_add_u64(&tracker_shared->keys, 1);
	pg_atomic_fetch_add_u64(&tracker_shared->revocations, 1);
	pg_atomic_fetch_add_u64(&tracker_shared->all_tenants, 1);
}

/*
 * A prepared transaction (one that no backend runs) older than horizon and
 * still running, or InvalidTransactionId.  Running transactions are those
 * of a fresh snapshot; a backend's own are told apart by its process.
 */
static TransactionId
oldest_prepared_before(TransactionId horizon)
{
	Snapshot	snapshot = GetLatestSnapshot();
	TransactionId oldest = InvalidTransactionId;

	for (uint32 i = 0; i < snapshot->xcnt; i++)
	{
		TransactionId xid = snapshot->xip[i];

		if (!TransactionIdPrecedes(xid, horizon) ||
			(TransactionIdIsValid(oldest) && !TransactionIdPrecedes(xid, oldest)))
			continue;
		/* no backend's, then still running: a prepared transaction */
		if (BackendXidGetPid(xid) == 0 && TransactionIdIsInProgress(xid))
			oldest = xid;
	}
	return oldest;
}

/*
 * Whether a transaction from before this start may still commit (a
 * prepared one: every backend started after).  The horizon is taken when
 * the first cache is stamped or checked, so no cache can predate it; the
 * counters move when such a transaction was seen running and has ended.
 */
static bool
restart_changes_running(void)
{
	TransactionId horizon;
	TransactionId next;
	TransactionId oldest;

	if (pg_atomic_read_u32(&tracker_shared->restart_settled) || RecoveryInProgress())
		return false;
	next = XidFromFullTransactionId(ReadNextFullTransactionId());	/* takes a lock: not under the spinlock */
	SpinLockAcquire(&tracker_shared->prepared_mutex);
	if (!TransactionIdIsValid(tracker_shared->restart_horizon))
		tracker_shared->restart_horizon = next;
	horizon = tracker_shared->restart_horizon;
	SpinLockRelease(&tracker_shared->prepared_mutex);
	oldest = oldest_prepared_before(horizon);
	if (TransactionIdIsValid(oldest))
	{
		/*
		 * Seen before this backend stamps anything on rows read meanwhile:
		 * whoever sees the transaction ended sees this, and moves the
		 * counters.
		 */
		pg_atomic_write_u32(&tracker_shared->restart_waited, 1);
		pg_memory_barrier();
		return true;
	}
	if (pg_atomic_read_u32(&tracker_shared->restart_waited))
		bump_everything();
	pg_write_barrier();
	pg_atomic_write_u32(&tracker_shared->restart_settled, 1);
	return false;
}

/* Free slot i if it still holds xid (the count moves outside the spinlock) */
static void
forget_slot(int i, TransactionId xid)
{
	bool		forgotten;

	SpinLockAcquire(&tracker_shared->prepared_mutex);
	forgotten = TransactionIdEquals(tracker_shared->prepared[i], xid);
	if (forgotten)
		tracker_shared->prepared[i] = InvalidTransactionId;
	SpinLockRelease(&tracker_shared->prepared_mutex);
	if (forgotten)
		pg_atomic_fetch_sub_u32(&tracker_shared->prepared_count, 1);
}

/*
 * Forget the recorded transactions that have ended, after moving every
 * counter for those that committed (first: a reader that finds none left
 * must find the counters moved); whether one still runs.
 */
static bool
sweep_prepared_changes(void)
{
	TransactionId xids[PREPARED_CHANGES];
	bool		running = false;

	SpinLockAcquire(&tracker_shared->prepared_mutex);
	memcpy(xids, tracker_shared->prepared, sizeof(xids));
	SpinLockRelease(&tracker_shared->prepared_mutex);
	for (int i = 0; i < PREPARED_CHANGES; i++)
	{
		if (!TransactionIdIsValid(xids[i]))
			continue;
		if (TransactionIdIsInProgress(xids[i]))
		{
			running = true;
			continue;
		}
		/* committed: its changes are visible now; rolled back: none are */
		if (TransactionIdDidCommit(xids[i]))
			bump_everything();
		forget_slot(i, xids[i]);
	}
	return running;
}

/*
 * Whether a prepared transaction that changed contexts may still commit:
 * one recorded at PREPARE, or, after a restart, one from before it.
 */
static bool
prepared_changes_running(void)
{
	if (restart_changes_running())
		return true;
	if (pg_atomic_read_u32(&tracker_shared->prepared_count) == 0)
	{
		pg_read_barrier();		/* the counters are read after */
		return false;
	}
	return sweep_prepared_changes();
}

/* The slot this backend recorded its preparing transaction in, or -1 */
static int	recorded_slot = -1;

/* Take a free slot for xid; false when none is free */
static bool
take_slot(TransactionId xid)
{
	SpinLockAcquire(&tracker_shared->prepared_mutex);
	for (int i = 0; i < PREPARED_CHANGES; i++)
		if (!TransactionIdIsValid(tracker_shared->prepared[i]))
		{
			tracker_shared->prepared[i] = xid;
			recorded_slot = i;
			break;
		}
	SpinLockRelease(&tracker_shared->prepared_mutex);
	if (recorded_slot < 0)
		return false;
	pg_atomic_fetch_add_u32(&tracker_shared->prepared_count, 1);	/* before PREPARE ends */
	return true;
}

/*
 * Record this transaction, about to prepare, as one that changed contexts.
 * While it is prepared no backend trusts its caches, so only operators may:
 * a tenant user's prepared change would slow down every tenant until a
 * superuser ended it.  On a Citus worker, so may Citus's own connections
 * from the coordinator: there a prepared transaction is the worker's part
 * of a write the coordinator commits in two phases (a tenant admin's change
 * to every shard of team_members, say), and ends as soon as the coordinator
 * commits.  Tenants connect to the coordinator, not to the workers, and
 * Citus's run_command functions, which open other connections to the
 * workers, are not theirs (docs/scaling.md).
 */
static void
record_prepared_change(void)
{
	TransactionId xid = GetTopTransactionId();

	if (!caller_is_operator() && !(placement_on_worker() && placement_citus_connection()))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot PREPARE a transaction that has changed tracker's keys, tenants or members"),
				 errdetail("Only operators may: while it is prepared, no session trusts what it has cached.")));
	recorded_slot = -1;
	if (take_slot(xid))
		return;
	/* ended ones may fill the table where nothing checks a stamp */
	(void) sweep_prepared_changes();
	if (!take_slot(xid))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("cannot PREPARE a transaction that has changed tracker's keys, tenants or members: "
						"%d such prepared transactions are waiting already", PREPARED_CHANGES),
				 errhint("Commit or roll back the prepared transactions first.")));
}

bool
invalidation_stamp_current(const InvalStamp *stamp, bool with_revocations)
{
	anchor_recheck_if_asked();
	if (stamp->local != local_generation)
		return false;
	if (tracker_shared == NULL)
		return true;
	if (prepared_changes_running())
		return false;
	return stamp->keys == pg_atomic_read_u64(&tracker_shared->keys) &&
		stamp->all_tenants == pg_atomic_read_u64(&tracker_shared->all_tenants) &&
		(stamp->slot < 0 ||
		 stamp->tenant == pg_atomic_read_u64(&tracker_shared->tenants[stamp->slot])) &&
		(!with_revocations ||
		 stamp->revocations == pg_atomic_read_u64(&tracker_shared->revocations));
}

bool
invalidation_stamps_equal(const InvalStamp *a, const InvalStamp *b)
{
	return a->keys == b->keys && a->revocations == b->revocations &&
		a->all_tenants == b->all_tenants && a->tenant == b->tenant && a->slot == b->slot;
}

uint64
invalidation_local(void)
{
	anchor_recheck_if_asked();
	return local_generation;
}

void
invalidation_signal_local(void)
{
	local_generation++;
}

Oid
invalidation_anchor(void)
{
	anchor_recheck_if_asked();
	if (!OidIsValid(anchor_relid))
	{
		Oid			nsp;
		Oid			relid = anchor_lookup(&nsp);

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

/* ----------------------------------------------------------------
 * The writing side: counters to bump when this transaction commits
 * ----------------------------------------------------------------
 */

static bool pending_keys = false;
static bool pending_revocations = false;
static bool pending_all = false;
static bool *pending_slots = NULL;	/* TENANT_SLOTS flags, in TopMemoryContext */
static bool pending_any = false;

static void
bump_pending(void)
{
	if (pending_keys)
		pg_atomic_fetch_add_u64(&tracker_shared->keys, 1);
	if (pending_revocations)
		pg_atomic_fetch_add_u64(&tracker_shared->revocations, 1);
	if (pending_all)
		pg_atomic_fetch_add_u64(&tracker_shared->all_tenants, 1);
	for (int i = 0; i < TENANT_SLOTS; i++)
		if (pending_slots[i])
			pg_atomic_fetch_add_u64(&tracker_shared->tenants[i], 1);
}

static void
forget_pending(void)
{
	pending_keys = pending_revocations = pending_all = false;
	memset(pending_slots, 0, TENANT_SLOTS * sizeof(bool));
	pending_any = false;
}

/* A PREPARE that failed after its transaction was recorded: nothing became visible */
static void
forget_recorded_slot(void)
{
	TransactionId xid = GetTopTransactionIdIfAny();

	if (recorded_slot >= 0 && TransactionIdIsValid(xid))
		forget_slot(recorded_slot, xid);
	recorded_slot = -1;
}

static void
xact_callback(XactEvent event, void *arg)
{
	/*
	 * A rolled-back transaction that wrote anything may have left rows in
	 * this backend's caches that are now undone, even rows that invalidate
	 * nothing when they commit (a user added, then her token verified).
	 */
	if ((event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) &&
		TransactionIdIsValid(GetTopTransactionIdIfAny()))
		local_generation++;
	/*
	 * So may a prepared one: its rows are neither committed nor undone
	 * yet, and ROLLBACK PREPARED, from any session, invalidates nothing here.
	 */
	if (event == XACT_EVENT_PREPARE && TransactionIdIsValid(GetTopTransactionIdIfAny()))
		local_generation++;
	if (!pending_any)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			bump_pending();		/* before the commit is visible ... */
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			bump_pending();		/* ... and after it */
			forget_pending();
			break;
		case XACT_EVENT_PRE_PREPARE:
			/* its changes become visible at COMMIT PREPARED, from anywhere */
			record_prepared_change();
			break;
		case XACT_EVENT_PREPARE:
			recorded_slot = -1;
			forget_pending();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* what this backend cached meanwhile may hold the undone rows */
			local_generation++;
			forget_pending();
			forget_recorded_slot();
			break;
		default:
			break;
	}
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	/* as at abort: caches may hold rows the rollback undid */
	if (event == SUBXACT_EVENT_ABORT_SUB &&
		(pending_any || TransactionIdIsValid(GetCurrentTransactionIdIfAny())))
		local_generation++;
}

static void
note_pending(void)
{
	if (pending_slots == NULL)
		pending_slots = MemoryContextAllocZero(TopMemoryContext, TENANT_SLOTS * sizeof(bool));
	pending_any = true;
	/* this backend's own caches: stale from its next statement */
	local_generation++;
}

static void
note_tenant_of(TriggerData *td, HeapTuple tuple, const char *column)
{
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	int			attnum = SPI_fnumber(desc, column);
	bool		isnull;
	Datum		d;

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("table \"%s\" has no column \"%s\"",
						RelationGetRelationName(td->tg_relation), column)));
	d = heap_getattr(tuple, attnum, desc, &isnull);
	if (!isnull)
		pending_slots[shared_tenant_slot(DatumGetUUIDP(d))] = true;
}

PG_FUNCTION_INFO_V1(tracker_invalidate_caches);

/*
 * Trigger: tracker._invalidate_caches(['keys' | 'revocations' | 'all' |
 * 'tenant', column]).  The caches it names go stale in every backend if
 * this transaction commits; in this backend, at once.
 */
Datum
tracker_invalidate_caches(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	const char *kind;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tracker._invalidate_caches() must be called as a trigger")));
	kind = td->tg_trigger->tgnargs > 0 ? td->tg_trigger->tgargs[0] : "all";

	if (tracker_shared == NULL)
	{
		CacheInvalidateRelcacheByRelid(invalidation_anchor());
		return PointerGetDatum(NULL);
	}

	note_pending();
	if (strcmp(kind, "keys") == 0)
		pending_keys = true;
	else if (strcmp(kind, "revocations") == 0)
		pending_revocations = true;
	else if (strcmp(kind, "tenant") == 0 && td->tg_trigger->tgnargs == 2 &&
			 TRIGGER_FIRED_FOR_ROW(td->tg_event))
	{
		note_tenant_of(td, td->tg_trigtuple, td->tg_trigger->tgargs[1]);
		if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
			note_tenant_of(td, td->tg_newtuple, td->tg_trigger->tgargs[1]);
	}
	else
		pending_all = true;		/* 'all', and whatever else: err on the safe side */
	return PointerGetDatum(NULL);
}
