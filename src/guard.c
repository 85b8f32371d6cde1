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
 * or is a superuser (maintenance); and on a view that reads such a table
 * (LOCK on a view locks what it reads).  Nor may a transaction that has
 * locked a tenant's registry row be prepared.  The hook runs wherever the library is
 * loaded: with shared_preload_libraries = 'tracker', in every backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "access/relation.h"
#include "rewrite/rewriteHandler.h"
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

/*
 * LOCK on a view locks every table the view reads, checking the view
 * owner's privileges (which a tenant user's own view has): so a view is
 * guarded when anything it reads is, however deep.
 */
typedef struct ViewWalk
{
	bool		found;
	int			depth;
	Oid			views[64];		/* the views being walked, outermost first */
} ViewWalk;

static bool guarded_or_reads_guarded(Oid relid, ViewWalk *walk);

static bool
view_walker(Node *node, ViewWalk *walk)
{
	if (node == NULL || walk->found)
		return walk->found;
	if (IsA(node, Query))
	{
		Query	   *query = (Query *) node;
		ListCell   *lc;

		foreach(lc, query->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			bool		walking = false;

			if (rte->rtekind != RTE_RELATION)
				continue;
			/* a view's own OLD and NEW entries name the view itself */
			for (int i = 0; i < walk->depth; i++)
				walking |= walk->views[i] == rte->relid;
			if (!walking && guarded_or_reads_guarded(rte->relid, walk))
				return true;
		}
		return query_tree_walker(query, view_walker, walk, 0);
	}
	return expression_tree_walker(node, view_walker, walk);
}

static bool
guarded_or_reads_guarded(Oid relid, ViewWalk *walk)
{
	Relation	rel;

	if (guarded(relid))
		return walk->found = true;
	if (get_rel_relkind(relid) != RELKIND_VIEW)
		return false;
	if (walk->depth >= lengthof(walk->views))
		return walk->found = true;	/* deeper than any honest view */
	walk->views[walk->depth++] = relid;
	rel = relation_open(relid, AccessShareLock);
	(void) view_walker((Node *) get_view_query(rel), walk);
	relation_close(rel, AccessShareLock);
	walk->depth--;
	return walk->found;
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
		ViewWalk	walk = {0};

		if (OidIsValid(relid) && guarded_or_reads_guarded(relid, &walk))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to lock table \"%s\" in this mode",
							rv->relname),
					 errdetail("Tenants share this table, or a table this view reads; a stronger lock than ROW EXCLUSIVE would make other tenants wait."),
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

/*
 * A transaction that has locked a tenant's row in tracker.tenants (to
 * serialise changes to its users, say) may not be prepared: a prepared
 * transaction outlives its session, and would hold the row, and with it
 * every operator's change to the tenant, until a superuser ended it.
 */
static bool tenant_row_locked = false;

static void
guard_xact_callback(XactEvent event, void *arg)
{
	if (!tenant_row_locked)
		return;
	if (event == XACT_EVENT_PRE_PREPARE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot PREPARE a transaction that has locked a tenant"),
				 errdetail("Operators' changes to the tenant would wait for it until it ended.")));
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
		tenant_row_locked = false;
}

PG_FUNCTION_INFO_V1(tracker_tenant_row_locked);

/* tracker._tenant_row_locked() RETURNS void: this transaction may not be prepared */
Datum
tracker_tenant_row_locked(PG_FUNCTION_ARGS)
{
	tenant_row_locked = true;
	PG_RETURN_VOID();
}

void
guard_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = guard_process_utility;
	RegisterXactCallback(guard_xact_callback, NULL);
}
