/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  Keep tenant users from making other tenants wait on shared tables.
 *
 * A tenant user holds UPDATE and DELETE on the tables it shares with every
 * other tenant of its data schema, and PostgreSQL lets those privileges
 * take any table lock: LOCK TABLE tracker_pool.issues IN ACCESS EXCLUSIVE
 * MODE would stop every pooled tenant.  Row-level security decides which
 * rows a user sees, not which locks it takes, so a utility hook refuses
 * LOCK in any mode stronger than ROW EXCLUSIVE (the mode of an ordinary
 * write) on a table whose rows are kept apart by forced row-level security
 * in the tracker schema or a data schema, unless the caller owns the table
 * or is a superuser (maintenance).  The hook runs wherever the library is
 * loaded: with shared_preload_libraries = 'tracker', in every backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "access/htup_details.h"
#include "catalog/pg_class.h"

#include "guard.h"
#include "registry.h"

static ProcessUtility_hook_type prev_process_utility = NULL;

/* Is this a table tracker keeps tenants apart in, that the user may not lock? */
static bool
guarded(Oid relid)
{
	HeapTuple	tuple;
	Form_pg_class cls;
	bool		result = false;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return false;
	cls = (Form_pg_class) GETSTRUCT(tuple);
	if (cls->relforcerowsecurity && !superuser() &&
		!has_privs_of_role(GetUserId(), cls->relowner))
	{
		char	   *nspname = get_namespace_name(cls->relnamespace);

		result = nspname != NULL &&
			(strcmp(nspname, "tracker") == 0 || registry_is_data_schema(nspname));
	}
	ReleaseSysCache(tuple);
	return result;
}

static void
check_lock(LockStmt *stmt)
{
	ListCell   *lc;

	if (stmt->mode <= RowExclusiveLock)
		return;
	foreach(lc, stmt->relations)
	{
		RangeVar   *rv = lfirst_node(RangeVar, lc);
		Oid			relid = RangeVarGetRelid(rv, NoLock, true);

		if (OidIsValid(relid) && guarded(relid))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to lock table \"%s\" in this mode",
							rv->relname),
					 errdetail("Tenants share this table; a stronger lock than ROW EXCLUSIVE would make other tenants wait."),
					 errhint("Only the table's owner can take it.")));
	}
}

static void
guard_process_utility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	if (IsA(pstmt->utilityStmt, LockStmt))
		check_lock((LockStmt *) pstmt->utilityStmt);

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context,
							 params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

void
guard_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = guard_process_utility;
}
