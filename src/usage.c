/*-------------------------------------------------------------------------
 *
 * usage.c
 *	  API calls per tenant: counted in shared memory, held to the tenant's
 *	  monthly quota and rate limit, and written to tracker.api_usage.
 *
 * Each tenant that has made a call since the server started has a slot in
 * a shared hash table, keyed by database, the tenant registry's relation
 * (so that a dropped and re-created extension starts afresh) and tenant
 * id.  A call takes its partition's lock in shared mode and the slot's
 * spinlock for a few instructions: tenants never wait for each other, and
 * a tenant's sessions never wait on a row.  The slot holds:
 *
 *	- the calls counted against this month's quota (loaded from
 *	  tracker.api_usage when the slot is made, so a restart forgets none
 *	  that were written);
 *	- the calls of today (and of yesterday, until written) that are not yet
 *	  in tracker.api_usage;
 *	- a token bucket: the rate limit refills it at requests_per_second up to
 *	  the burst, and each call takes one token.
 *
 * A background worker per database ("tracker usage writer") adds the
 * unwritten calls to tracker.api_usage every second, in one transaction,
 * and only after it commits takes them off the slots: a crash can lose the
 * calls of the last second or so, and never counts a call twice.  The
 * first call that finds no writer for its database starts one; a writer
 * that has found nothing to write for a few seconds stops, so that it does
 * not keep DROP DATABASE waiting.  At shutdown it writes what is left.
 *
 * Slots are only removed (by the writer, when the table is nearly full)
 * once written and idle for a minute; their counts are then in the table,
 * and are read back if the tenant calls again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "caller.h"
#include "registry.h"
#include "settings.h"
#include "shared.h"
#include "usage.h"

#define USAGE_PARTITIONS 16
#define MAX_WRITERS 64			/* databases whose usage is written at once */
#define WRITE_INTERVAL_MS 1000
#define WRITER_IDLE_ROUNDS 3	/* rounds with nothing to write before it stops */
#define SLOT_IDLE_SECONDS 60	/* a written slot unused this long may go */


typedef struct UsageKey
{
	Oid			database;
	Oid			registry;		/* tracker.tenants of that database */
	pg_uuid_t	tenant;
} UsageKey;

typedef struct UsageSlot
{
	UsageKey	key;
	slock_t		mutex;			/* protects everything below */
	int32		month;			/* of month_calls: months since 2000-01, UTC */
	int64		month_calls;	/* calls counted against that month's quota */
	int32		day[2];			/* days since 2000-01-01, UTC ... */
	int64		pending[2];		/* ... and that day's calls not yet written */
	TimestampTz last_call;
	TimestampTz refilled;		/* the token bucket: when last refilled */
	double		tokens;			/* ... and how many tokens it held then */
} UsageSlot;

typedef enum WriterState
{
	WRITER_NONE = 0,
	WRITER_STARTING,
	WRITER_RUNNING,
	WRITER_STOPPING
} WriterState;

typedef struct UsageWriter
{
	Oid			database;		/* InvalidOid: a free entry */
	pg_atomic_uint32 state;		/* WriterState */
	TimestampTz tried;			/* when a backend last tried to start it */
} UsageWriter;

typedef struct UsageWriters
{
	slock_t		mutex;			/* protects the database of each entry */
	UsageWriter writer[MAX_WRITERS];
} UsageWriters;

static HTAB *usage_table = NULL;
static LWLockPadded *usage_locks = NULL;
static UsageWriters *usage_writers = NULL;

static Size usage_size(void);
static void usage_attach(void);

static const SharedPart usage_part = {
	.name = "tracker usage",
	.size = usage_size,
	.attach = usage_attach,
	.locks = USAGE_PARTITIONS,
};

PGDLLEXPORT void tracker_usage_writer_main(Datum arg);

void
usage_init(void)
{
	shared_add_part(&usage_part);
}

static Size
usage_size(void)
{
	return add_size(hash_estimate_size(tracker_usage_slots, sizeof(UsageSlot)),
					MAXALIGN(sizeof(UsageWriters)));
}

static void
usage_attach(void)
{
	HASHCTL		info;
	bool		found;

	info.keysize = sizeof(UsageKey);
	info.entrysize = sizeof(UsageSlot);
	info.num_partitions = USAGE_PARTITIONS;
	usage_table = ShmemInitHash("tracker usage", tracker_usage_slots, tracker_usage_slots,
								&info, HASH_ELEM | HASH_BLOBS | HASH_PARTITION | HASH_FIXED_SIZE);
	usage_locks = GetNamedLWLockTranche("tracker usage");
	usage_writers = ShmemInitStruct("tracker usage writers", sizeof(UsageWriters), &found);
	if (!found)
	{
		SpinLockInit(&usage_writers->mutex);
		for (int i = 0; i < MAX_WRITERS; i++)
		{
			usage_writers->writer[i].database = InvalidOid;
			pg_atomic_init_u32(&usage_writers->writer[i].state, WRITER_NONE);
			usage_writers->writer[i].tried = 0;
		}
	}
}

/* ---------------------------------------------------------------- time -- */

/* Days since 2000-01-01 (UTC) of a timestamp */
static int32
day_of(TimestampTz t)
{
	return (int32) (t / USECS_PER_DAY) - (t < 0 && t % USECS_PER_DAY != 0 ? 1 : 0);
}

/* Months since 2000-01 (UTC) of a day, and the first day of a month */
static int32
month_of_day(int32 day)
{
	int			y,
				m,
				d;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	return (y - 2000) * 12 + (m - 1);
}

static int32
first_day_of_month(int32 month)
{
	int			y = 2000 + month / 12;
	int			m = month % 12 + 1;

	return date2j(y, m, 1) - POSTGRES_EPOCH_JDATE;
}

/* ----------------------------------------------------------- counting -- */

static void
slot_key(UsageKey *key, const pg_uuid_t *tenant)
{
	memset(key, 0, sizeof(*key));
	key->database = MyDatabaseId;
	key->registry = registry_tenants_relid();
	key->tenant = *tenant;
}

static LWLock *
partition_lock(uint32 hash)
{
	return &usage_locks[hash % USAGE_PARTITIONS].lock;
}

/* Bring a slot's month and days up to now; under its spinlock */
static void
slot_roll(UsageSlot *slot, int32 today)
{
	int32		month = month_of_day(today);

	if (slot->month != month)
	{
		slot->month = month;
		slot->month_calls = 0;
	}
	if (slot->day[0] != today && slot->day[1] != today)
	{
		/* the older day's calls should have been written long ago */
		int			older = slot->day[0] < slot->day[1] ? 0 : 1;

		if (slot->pending[older] == 0)
		{
			slot->day[older] = today;
		}
		else
		{
			/* no writer for a day: keep them, under the newer day */
			slot->pending[1 - older] += slot->pending[older];
			slot->pending[older] = 0;
			slot->day[older] = today;
		}
	}
}

static void
slot_make(UsageSlot *slot, const pg_uuid_t *tenant, int32 today, int64 month_calls,
		  const UsageLimits *limits, TimestampTz now)
{
	SpinLockInit(&slot->mutex);
	slot->month = month_of_day(today);
	slot->month_calls = month_calls;
	slot->day[0] = today;
	slot->day[1] = today - 1;
	slot->pending[0] = slot->pending[1] = 0;
	slot->last_call = 0;
	slot->refilled = now;
	slot->tokens = limits->burst > 0 ? limits->burst : limits->requests_per_second;
}

typedef enum Verdict
{
	CALL_COUNTED,
	CALL_RATE_LIMITED,
	CALL_OVER_QUOTA
} Verdict;

/* Count the call in the slot, or say why not; under its spinlock */
static Verdict
slot_count(UsageSlot *slot, const UsageLimits *limits, TimestampTz now, double *wait)
{
	int32		today = day_of(now);
	int			d;

	slot_roll(slot, today);
	if (limits->requests_per_second > 0)
	{
		double		burst = limits->burst > 0 ? limits->burst : limits->requests_per_second;
		double		elapsed = (double) (now - slot->refilled) / USECS_PER_SEC;

		if (elapsed > 0)
		{
			slot->tokens = Min(burst, slot->tokens + elapsed * limits->requests_per_second);
			slot->refilled = now;
		}
		else if (slot->tokens > burst)
			slot->tokens = burst;
		if (slot->tokens < 1.0)
		{
			*wait = (1.0 - slot->tokens) / limits->requests_per_second;
			return CALL_RATE_LIMITED;
		}
	}
	if (limits->calls_per_month > 0 && slot->month_calls >= limits->calls_per_month)
		return CALL_OVER_QUOTA;
	if (limits->requests_per_second > 0)
		slot->tokens -= 1.0;
	slot->month_calls++;
	d = slot->day[0] == today ? 0 : 1;
	slot->pending[d]++;
	slot->last_call = now;
	return CALL_COUNTED;
}

static void start_writer(void);

/* How long the last refusal of this backend asked its caller to wait */
static double refused_retry_after = 0;

double
usage_retry_after(void)
{
	return refused_retry_after;
}

void
usage_count_call(const pg_uuid_t *tenant, const UsageLimits *limits)
{
	UsageKey	key;
	uint32		hash;
	LWLock	   *lock;
	UsageSlot  *slot;
	TimestampTz now;
	Verdict		verdict;
	double		wait = 0;
	int64		month_calls = 0;
	int32		month = 0;

	if (usage_table == NULL || !tracker_count_usage || IsParallelWorker() ||
		RecoveryInProgress())
		return;

	slot_key(&key, tenant);
	hash = get_hash_value(usage_table, &key);
	lock = partition_lock(hash);
	now = GetCurrentTimestamp();

	LWLockAcquire(lock, LW_SHARED);
	slot = hash_search_with_hash_value(usage_table, &key, hash, HASH_FIND, NULL);
	if (slot == NULL)
	{
		int32		today = day_of(now);
		int64		written;
		bool		found;

		/* what is already written of this month, read without the lock */
		LWLockRelease(lock);
		written = registry_month_calls(tenant, first_day_of_month(month_of_day(today)), today);
		LWLockAcquire(lock, LW_EXCLUSIVE);
		slot = hash_search_with_hash_value(usage_table, &key, hash, HASH_ENTER_NULL, &found);
		if (slot == NULL)
		{
			LWLockRelease(lock);
			ereport(LOG,
					(errmsg("tracker: the usage table is full; this API call is not counted"),
					 errhint("Raise tracker.usage_slots.")));
			return;
		}
		if (!found)
			slot_make(slot, tenant, today, written, limits, now);
	}
	SpinLockAcquire(&slot->mutex);
	verdict = slot_count(slot, limits, now, &wait);
	month_calls = slot->month_calls;
	month = slot->month;
	SpinLockRelease(&slot->mutex);
	LWLockRelease(lock);

	if (verdict == CALL_RATE_LIMITED)
	{
		refused_retry_after = Max(wait, 0.001);
		ereport(ERROR,
				(errcode(ERRCODE_TOO_MANY_REQUESTS),
				 errmsg("rate limit exceeded: %d requests per second", limits->requests_per_second),
				 errdetail("limit=requests_per_second; retry_after=%.3f", Max(wait, 0.001)),
				 errhint("Retry after %.3f seconds, or ask an operator to raise the tenant's requests_per_second or request_burst.",
						 Max(wait, 0.001))));
	}
	if (verdict == CALL_OVER_QUOTA)
	{
		int			y,
					m,
					d;
		char		resets[16];

		/* the first day of the next month, in ISO form whatever DateStyle says */
		j2date(first_day_of_month(month + 1) + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		snprintf(resets, sizeof(resets), "%04d-%02d-%02d", y, m, d);
		refused_retry_after =
			(double) ((int64) (first_day_of_month(month + 1)) * USECS_PER_DAY - now) / USECS_PER_SEC;

		ereport(ERROR,
				(errcode(ERRCODE_TOO_MANY_REQUESTS),
				 errmsg("monthly API call quota exceeded: " INT64_FORMAT " calls per month",
						limits->calls_per_month),
				 errdetail("limit=api_calls_per_month; used=" INT64_FORMAT "; resets_at=%s 00:00:00+00",
						   month_calls, resets),
				 errhint("The quota resets at the start of %s (UTC); an operator can raise the tenant's api_calls_per_month.",
						 resets)));
	}
	start_writer();
}

/* ------------------------------------------------------------- writers -- */

static void
writer_launch(int index)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "tracker", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "tracker_usage_writer_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "tracker usage writer", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "tracker usage writer", BGW_MAXLEN);
	worker.bgw_main_arg = Int32GetDatum(index);
	worker.bgw_notify_pid = 0;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		pg_atomic_write_u32(&usage_writers->writer[index].state, WRITER_NONE);
		ereport(LOG,
				(errmsg("tracker: could not start the usage writer of database %u", MyDatabaseId),
				 errhint("Raise max_worker_processes; API calls are counted in memory meanwhile.")));
	}
}

/*
 * Make sure the database's writer runs.  The call's count went in before
 * (under a spinlock, a barrier): a writer that is stopping reads the
 * slots after it says so, so either it sees the count or this sees it
 * gone.
 */
static void
start_writer(void)
{
	int			index = -1;
	int			free_index = -1;
	UsageWriter *w;
	uint32		expected;
	TimestampTz now;

	for (int i = 0; i < MAX_WRITERS; i++)
	{
		Oid			db = usage_writers->writer[i].database;

		if (db == MyDatabaseId)
		{
			index = i;
			break;
		}
		if (db == InvalidOid && free_index < 0)
			free_index = i;
	}
	if (index < 0)
	{
		SpinLockAcquire(&usage_writers->mutex);
		for (int i = 0; i < MAX_WRITERS; i++)
			if (usage_writers->writer[i].database == MyDatabaseId)
				index = i;
		if (index < 0)
		{
			for (int i = 0; i < MAX_WRITERS && index < 0; i++)
				if (usage_writers->writer[i].database == InvalidOid)
					index = i;
			if (index >= 0)
				usage_writers->writer[index].database = MyDatabaseId;
		}
		SpinLockRelease(&usage_writers->mutex);
		if (index < 0)
			return;				/* every entry taken: the calls wait in memory */
	}
	(void) free_index;
	w = &usage_writers->writer[index];
	pg_memory_barrier();
	expected = pg_atomic_read_u32(&w->state);
	if (expected == WRITER_RUNNING || expected == WRITER_STOPPING)
		return;
	now = GetCurrentTimestamp();
	if (expected == WRITER_STARTING)
	{
		/* a start that never came (no worker slot, say) is retried */
		if (!TimestampDifferenceExceeds(w->tried, now, 10000))
			return;
	}
	else if (!TimestampDifferenceExceeds(w->tried, now, WRITE_INTERVAL_MS))
		return;
	if (!pg_atomic_compare_exchange_u32(&w->state, &expected, WRITER_STARTING))
		return;
	w->tried = now;
	writer_launch(index);
}

typedef struct Unwritten
{
	UsageKey	key;
	int32		day;
	int64		calls;
	TimestampTz last_call;
} Unwritten;

/*
 * The calls of this database not yet written, copied out of the slots
 * (every partition locked in shared mode, in order, so that no slot comes
 * or goes meanwhile).
 */
static pg_noinline List *
collect_unwritten(Oid database)
{
	HASH_SEQ_STATUS scan;
	UsageSlot  *slot;
	List	   *out = NIL;

	for (int i = 0; i < USAGE_PARTITIONS; i++)
		LWLockAcquire(&usage_locks[i].lock, LW_SHARED);
	hash_seq_init(&scan, usage_table);
	while ((slot = hash_seq_search(&scan)) != NULL)
	{
		if (slot->key.database != database)
			continue;
		SpinLockAcquire(&slot->mutex);
		for (int d = 0; d < 2; d++)
		{
			if (slot->pending[d] > 0)
			{
				Unwritten  *u = palloc(sizeof(Unwritten));

				u->key = slot->key;
				u->day = slot->day[d];
				u->calls = slot->pending[d];
				u->last_call = slot->last_call;
				out = lappend(out, u);
			}
		}
		SpinLockRelease(&slot->mutex);
	}
	for (int i = USAGE_PARTITIONS - 1; i >= 0; i--)
		LWLockRelease(&usage_locks[i].lock);
	return out;
}

/* Take what was written (or dropped) off the slots */
static void
forget_unwritten(List *written)
{
	ListCell   *lc;

	foreach(lc, written)
	{
		Unwritten  *u = lfirst(lc);
		uint32		hash = get_hash_value(usage_table, &u->key);
		LWLock	   *lock = partition_lock(hash);
		UsageSlot  *slot;

		LWLockAcquire(lock, LW_SHARED);
		slot = hash_search_with_hash_value(usage_table, &u->key, hash, HASH_FIND, NULL);
		if (slot != NULL)
		{
			SpinLockAcquire(&slot->mutex);
			for (int d = 0; d < 2; d++)
				if (slot->day[d] == u->day)
					slot->pending[d] = Max(slot->pending[d] - u->calls, 0);
			SpinLockRelease(&slot->mutex);
		}
		LWLockRelease(lock);
	}
}

/*
 * When the table is more than nine tenths full, remove this database's
 * slots that are written and idle: their counts are in tracker.api_usage.
 */
static void
evict_idle(Oid database)
{
	HASH_SEQ_STATUS scan;
	UsageSlot  *slot;
	TimestampTz horizon;
	List	   *gone = NIL;
	ListCell   *lc;

	if (hash_get_num_entries(usage_table) < (long) tracker_usage_slots * 9 / 10)
		return;
	horizon = GetCurrentTimestamp() - (int64) SLOT_IDLE_SECONDS * USECS_PER_SEC;
	for (int i = 0; i < USAGE_PARTITIONS; i++)
		LWLockAcquire(&usage_locks[i].lock, LW_EXCLUSIVE);
	hash_seq_init(&scan, usage_table);
	while ((slot = hash_seq_search(&scan)) != NULL)
	{
		if (slot->key.database == database && slot->pending[0] == 0 &&
			slot->pending[1] == 0 && slot->last_call < horizon)
		{
			UsageKey   *k = palloc(sizeof(UsageKey));

			*k = slot->key;
			gone = lappend(gone, k);
		}
	}
	foreach(lc, gone)
		(void) hash_search(usage_table, lfirst(lc), HASH_REMOVE, NULL);
	for (int i = USAGE_PARTITIONS - 1; i >= 0; i--)
		LWLockRelease(&usage_locks[i].lock);
}

/*
 * Write the unwritten calls of this database to tracker.api_usage in one
 * transaction, then take them off the slots.  Calls of a registry that is
 * not this database's tracker.tenants (the extension was dropped, or is
 * not yet at a version with tracker.api_usage) are dropped.  Returns
 * whether there was anything.
 */
static void write_in_transaction(List *unwritten, int n);

static bool
write_unwritten(Oid database)
{
	List	   *unwritten = collect_unwritten(database);
	int			n = list_length(unwritten);
	MemoryContext cxt = CurrentMemoryContext;

	if (n == 0)
		return false;

	/*
	 * An error (a lock not granted within lock_timeout, because someone
	 * drops the extension, say) leaves the calls in the slots, to be
	 * written in the next round: the worker reports it and goes on.
	 */
	PG_TRY();
	{
		write_in_transaction(unwritten, n);
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
		RESUME_INTERRUPTS();
		list_free_deep(unwritten);
		return true;
	}
	PG_END_TRY();
	/* only now that they are written: a crash before this loses them, never doubles them */
	forget_unwritten(unwritten);
	list_free_deep(unwritten);
	return true;
}

static void
write_in_transaction(List *unwritten, int n)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "writing API usage");
	{
		Oid			registry = registry_tenants_relid_if_any();
		bool		table = registry_has_api_usage();
		Datum	   *tenants = palloc(n * sizeof(Datum));
		Datum	   *days = palloc(n * sizeof(Datum));
		Datum	   *calls = palloc(n * sizeof(Datum));
		Datum	   *lasts = palloc(n * sizeof(Datum));
		int			m = 0;
		ListCell   *lc;

		foreach(lc, unwritten)
		{
			Unwritten  *u = lfirst(lc);

			if (!table || u->key.registry != registry)
				continue;
			tenants[m] = UUIDPGetDatum(&u->key.tenant);
			days[m] = DateADTGetDatum(u->day);
			calls[m] = Int64GetDatum(u->calls);
			lasts[m] = TimestampTzGetDatum(u->last_call);
			m++;
		}
		if (m > 0)
		{
			Oid			types[4] = {UUIDARRAYOID, DATEARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID};
			Datum		args[4];

			args[0] = PointerGetDatum(construct_array(tenants, m, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
			args[1] = PointerGetDatum(construct_array(days, m, DATEOID, sizeof(DateADT), true, TYPALIGN_INT));
			args[2] = PointerGetDatum(construct_array(calls, m, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			args[3] = PointerGetDatum(construct_array(lasts, m, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			/* a deleted tenant's last calls go with it */
			if (SPI_execute_with_args(
									  "INSERT INTO tracker.api_usage AS u (tenant_id, day, calls, last_call) "
									  "SELECT c.tenant_id, c.day, c.calls, c.last_call "
									  "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
									  "               pg_catalog.unnest($3), pg_catalog.unnest($4)) "
									  "     AS c (tenant_id, day, calls, last_call) "
									  "WHERE EXISTS (SELECT FROM tracker.tenants t "
									  "              WHERE t.id OPERATOR(pg_catalog.=) c.tenant_id) "
									  "ON CONFLICT (tenant_id, day) DO UPDATE "
									  "SET calls = u.calls OPERATOR(pg_catalog.+) excluded.calls, "
									  "    last_call = GREATEST(u.last_call, excluded.last_call)",
									  4, types, args, NULL, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "could not write API usage");
			SPI_finish();
		}
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

static volatile sig_atomic_t writer_stop = false;

static void
writer_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	writer_stop = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

static void
writer_exit(int code, Datum arg)
{
	pg_atomic_write_u32(&usage_writers->writer[DatumGetInt32(arg)].state, WRITER_NONE);
}

void
tracker_usage_writer_main(Datum arg)
{
	int			index = DatumGetInt32(arg);
	UsageWriter *w = &usage_writers->writer[index];
	Oid			database = w->database;
	int			idle = 0;

	before_shmem_exit(writer_exit, Int32GetDatum(index));
	pqsignal(SIGTERM, writer_sigterm);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(database, InvalidOid, 0);
	/* nothing it runs may be found through a search path someone chose */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	/*
	 * It never makes anyone wait: a lock it cannot have at once (DROP
	 * EXTENSION holds it, say) makes it give up this round, well before a
	 * deadlock would be looked for.
	 */
	SetConfigOption("lock_timeout", "100", PGC_SUSET, PGC_S_OVERRIDE);
	pg_atomic_write_u32(&w->state, WRITER_RUNNING);

	for (;;)
	{
		bool		wrote;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		wrote = write_unwritten(database);
		if (writer_stop)
			break;
		evict_idle(database);
		idle = wrote ? 0 : idle + 1;
		if (idle >= WRITER_IDLE_ROUNDS)
		{
			/* say so first, then look once more (see start_writer) */
			pg_atomic_write_u32(&w->state, WRITER_STOPPING);
			pg_memory_barrier();
			if (!write_unwritten(database))
				break;
			pg_atomic_write_u32(&w->state, WRITER_RUNNING);
			idle = 0;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 WRITE_INTERVAL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	/* at shutdown: what is left, once more */
	(void) write_unwritten(database);
	proc_exit(0);
}

/* ----------------------------------------------------- SQL functions -- */

/* The tenant's slot, copied; false when it has none */
static bool
slot_copy(const pg_uuid_t *tenant, UsageSlot *out)
{
	UsageKey	key;
	uint32		hash;
	LWLock	   *lock;
	UsageSlot  *slot;

	if (usage_table == NULL)
		return false;
	slot_key(&key, tenant);
	hash = get_hash_value(usage_table, &key);
	lock = partition_lock(hash);
	LWLockAcquire(lock, LW_SHARED);
	slot = hash_search_with_hash_value(usage_table, &key, hash, HASH_FIND, NULL);
	if (slot != NULL)
	{
		SpinLockAcquire(&slot->mutex);
		slot_roll(slot, day_of(GetCurrentTimestamp()));
		*out = *slot;
		SpinLockRelease(&slot->mutex);
	}
	LWLockRelease(lock);
	return slot != NULL;
}

PG_FUNCTION_INFO_V1(tracker_usage_live);

/*
 * tracker._usage_live(tenant uuid, OUT month_calls bigint, OUT counted boolean,
 *	   OUT today date, OUT unwritten_today bigint, OUT unwritten_before bigint,
 *	   OUT last_call timestamptz)
 *
 * What shared memory holds of a tenant's calls: the calls counted against
 * this month's quota, and those not yet in tracker.api_usage (today's and
 * the day before's).  Without a slot, month_calls comes from the table.
 */
Datum
tracker_usage_live(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = PG_GETARG_UUID_P(0);
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	UsageSlot	slot;
	int32		today = day_of(GetCurrentTimestamp());

	caller_require_operator("read the usage of tenants");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[2] = DateADTGetDatum(today);
	if (slot_copy(tenant, &slot))
	{
		int			d = slot.day[0] == today ? 0 : 1;

		values[0] = Int64GetDatum(slot.month_calls);
		values[3] = Int64GetDatum(slot.pending[d]);
		values[4] = Int64GetDatum(slot.pending[1 - d]);
		if (slot.last_call != 0)
			values[5] = TimestampTzGetDatum(slot.last_call);
		else
			nulls[5] = true;
		values[1] = BoolGetDatum(true);
	}
	else
	{
		values[0] = Int64GetDatum(registry_month_calls(tenant,
													   first_day_of_month(month_of_day(today)),
													   today));
		values[1] = BoolGetDatum(false);
		values[3] = Int64GetDatum(0);
		values[4] = Int64GetDatum(0);
		nulls[5] = true;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(tracker_usage_forgive);

/*
 * tracker._usage_forgive(tenant uuid, calls bigint) RETURNS void: take
 * calls off what this month's quota has counted (an operator's reset; the
 * SQL function records it in tracker.api_usage.forgiven).
 */
Datum
tracker_usage_forgive(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = PG_GETARG_UUID_P(0);
	int64		calls = PG_GETARG_INT64(1);
	UsageKey	key;
	uint32		hash;
	LWLock	   *lock;
	UsageSlot  *slot;

	caller_require_operator("reset the usage of tenants");
	if (usage_table == NULL)
		PG_RETURN_VOID();
	slot_key(&key, tenant);
	hash = get_hash_value(usage_table, &key);
	lock = partition_lock(hash);
	LWLockAcquire(lock, LW_SHARED);
	slot = hash_search_with_hash_value(usage_table, &key, hash, HASH_FIND, NULL);
	if (slot != NULL)
	{
		SpinLockAcquire(&slot->mutex);
		slot->month_calls = Max(slot->month_calls - calls, 0);
		SpinLockRelease(&slot->mutex);
	}
	LWLockRelease(lock);
	PG_RETURN_VOID();
}
