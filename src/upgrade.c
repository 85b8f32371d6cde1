/*-------------------------------------------------------------------------
 *
 * upgrade.c
 *	  Upgrading the data schemas after ALTER EXTENSION tracker UPDATE.
 *
 * An extension's update script runs in one transaction and cannot commit,
 * and one transaction over every silo would lock every table of every
 * tenant until its end (and outgrow the lock table with a few thousand
 * silos).  So an update script only asks, with
 * tracker._upgrade_data_schemas_after_commit(), for a background worker.
 * It is started when, and only if, the update commits; it connects as the
 * role that ran the update and walks the data schemas with
 * tracker._upgrade_next_data_schema(), one transaction per schema, so that
 * each tenant waits only for its own schema.  CALL
 * tracker.upgrade_data_schemas() does the same in the foreground.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void tracker_upgrade_worker_main(Datum arg);

static bool launch_at_commit = false;
static Oid	launch_role = InvalidOid;

static void
launch_worker(void)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "tracker", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "tracker_upgrade_worker_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "tracker data schema upgrade", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "tracker data schema upgrade", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
	memcpy(worker.bgw_extra, &launch_role, sizeof(Oid));
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(WARNING,
				(errmsg("could not start a background worker to upgrade the data schemas"),
				 errhint("Run CALL tracker.upgrade_data_schemas().")));
}

static void
xact_callback(XactEvent event, void *arg)
{
	if (!launch_at_commit)
		return;
	if (event == XACT_EVENT_COMMIT)
	{
		launch_at_commit = false;
		launch_worker();
	}
	else if (event == XACT_EVENT_ABORT)
		launch_at_commit = false;
}

PG_FUNCTION_INFO_V1(tracker_upgrade_data_schemas_after_commit);

/*
 * tracker._upgrade_data_schemas_after_commit() RETURNS void: when this
 * transaction commits, start the worker that upgrades the data schemas.
 */
Datum
tracker_upgrade_data_schemas_after_commit(PG_FUNCTION_ARGS)
{
	static bool registered = false;

	if (!registered)
	{
		RegisterXactCallback(xact_callback, NULL);
		registered = true;
	}
	launch_at_commit = true;
	launch_role = GetUserId();
	PG_RETURN_VOID();
}

/*
 * Run one statement, with one text argument or none, in a transaction of
 * its own; returns its first column as a string, or NULL.
 */
static char *
run_in_transaction(const char *sql, const char *arg)
{
	Oid			argtype = TEXTOID;
	Datum		value = arg ? CStringGetTextDatum(arg) : (Datum) 0;
	char	   *result = NULL;
	bool		isnull;
	Datum		d;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, sql);
	if (SPI_execute_with_args(sql, arg ? 1 : 0, &argtype, &value, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not run \"%s\"", sql);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		result = MemoryContextStrdup(TopMemoryContext, TextDatumGetCString(d));
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

void
tracker_upgrade_worker_main(Datum arg)
{
	Oid			role;
	char	   *after = "";
	int			schemas = 0;
	char	   *behind;

	memcpy(&role, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(arg), role, 0);

	for (;;)
	{
		char	   *next;

		CHECK_FOR_INTERRUPTS();
		next = run_in_transaction("SELECT tracker._upgrade_next_data_schema("
								  "$1::pg_catalog.name, '5s'::pg_catalog.interval)::pg_catalog.text",
								  after);
		if (next == NULL)
			break;
		schemas++;
		after = next;
	}
	behind = run_in_transaction("SELECT pg_catalog.count(*)::pg_catalog.text "
								"FROM tracker.data_schemas d "
								"WHERE d.version OPERATOR(pg_catalog.<) tracker._data_schema_version()",
								NULL);
	if (strcmp(behind, "0") == 0)
		ereport(LOG,
				(errmsg("tracker: %d data schemas upgraded", schemas)));
	else
		ereport(WARNING,
				(errmsg("tracker: %s data schemas could not be upgraded", behind),
				 errdetail("tracker.data_schemas.last_error says why; each stays whole at its old version."),
				 errhint("Fix the cause and run CALL tracker.upgrade_data_schemas().")));
	proc_exit(0);
}
