/*-------------------------------------------------------------------------
 *
 * plans.c
 *	  Plans that do not depend on the tenant they were made for.
 *
 * A policy's "tenant_id = tracker.current_tenant()" is an index condition,
 * and the planner estimates how many rows it selects.  To estimate, the
 * planner evaluates STABLE functions (estimate_expression_value), so the
 * estimate is that of the tenant current while the statement is planned:
 * a statement prepared for a 50-issue tenant gets a plan made for 50 rows,
 * and a generic plan made then is reused for the largest tenant on the same
 * connection.
 *
 * A planner hook rewrites, in the row-security conditions of every relation
 * of the statement (and of its sub-queries), each call of a STABLE function
 * of the extension whose arguments are constants (current_tenant(),
 * current_user_id(), allowed('see every issue'), ...) into an uncorrelated
 * sub-select of the same call.
 * The planner makes such a sub-select an initplan: its value is a parameter,
 * computed once per execution, and estimated as a parameter is, the same for
 * every tenant (as in a query without row-level security that takes its
 * tenant as a parameter).  It is still an index condition.  The functions
 * are STABLE, so computing them once per execution does not change what
 * they return.
 *
 * The same makes a policy's "allowed('see every issue') OR
 * issue_readable(...)" cost an admin nothing per row: the first arm is a
 * parameter, true, and the call per row is never made.
 *
 * Only row-security conditions are rewritten: they are tracker's own.  A
 * call the user writes in a query is left as written.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "utils/syscache.h"

#include "plans.h"

static planner_hook_type prev_planner = NULL;

typedef struct Rewrite
{
	Oid			schema;			/* the extension's schema */
	bool		changed;		/* a call was rewritten in this query */
} Rewrite;

/* Whether a function is one of the context functions: the extension's,
 * STABLE, one value */
static bool
is_context_function(Oid funcid, Oid schema)
{
	HeapTuple	tuple;
	Form_pg_proc proc;
	bool		result;

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tuple))
		return false;
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	result = proc->pronamespace == schema &&
		proc->provolatile == PROVOLATILE_STABLE && !proc->proretset;
	ReleaseSysCache(tuple);
	return result;
}

/* Whether every argument of a call is a constant */
static bool
constant_arguments(List *args)
{
	ListCell   *lc;

	foreach(lc, args)
	{
		if (!IsA(lfirst(lc), Const))
			return false;
	}
	return true;
}

/* (SELECT f(...)) for the call f(...) */
static Node *
sub_select(FuncExpr *call)
{
	Query	   *query = makeNode(Query);
	SubLink    *link = makeNode(SubLink);

	query->commandType = CMD_SELECT;
	query->querySource = QSRC_ORIGINAL;
	query->canSetTag = true;
	query->jointree = makeFromExpr(NIL, NULL);
	query->targetList = list_make1(makeTargetEntry((Expr *) copyObject(call), 1,
												   pstrdup("value"), false));
	link->subLinkType = EXPR_SUBLINK;
	link->subLinkId = 0;
	link->testexpr = NULL;
	link->operName = NIL;
	link->subselect = (Node *) query;
	link->location = call->location;
	return (Node *) link;
}

static Node *
rewrite_calls(Node *node, Rewrite *rewrite)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, FuncExpr))
	{
		FuncExpr   *call = (FuncExpr *) node;

		if (!call->funcretset && constant_arguments(call->args) &&
			is_context_function(call->funcid, rewrite->schema))
		{
			rewrite->changed = true;
			return sub_select(call);
		}
	}
	/* a policy's own sub-select is planned as written */
	if (IsA(node, Query))
		return node;
	return expression_tree_mutator(node, rewrite_calls, (void *) rewrite);
}

static bool rewrite_query_walker(Node *node, Rewrite *rewrite);

/* The row-security conditions of a query's relations, then its sub-queries */
static void
rewrite_query(Query *query, Oid schema)
{
	Rewrite		rewrite = {schema, false};
	ListCell   *lc;

	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

		if (rte->securityQuals != NIL)
			rte->securityQuals = (List *) rewrite_calls((Node *) rte->securityQuals, &rewrite);
	}
	/* the planner looks for sub-selects only where this says there are */
	if (rewrite.changed)
		query->hasSubLinks = true;
	(void) query_tree_walker(query, rewrite_query_walker, (void *) &rewrite, 0);
}

/* Every query under a query: in the range table, in CTEs, in sub-links */
static bool
rewrite_query_walker(Node *node, Rewrite *rewrite)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		rewrite_query((Query *) node, rewrite->schema);
		return false;
	}
	return expression_tree_walker(node, rewrite_query_walker, (void *) rewrite);
}

/* Whether any relation of the statement, at any depth, has row security */
static bool
has_security_quals_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *query = (Query *) node;
		ListCell   *lc;

		foreach(lc, query->rtable)
		{
			if (((RangeTblEntry *) lfirst(lc))->securityQuals != NIL)
				return true;
		}
		return query_tree_walker(query, has_security_quals_walker, context, 0);
	}
	return expression_tree_walker(node, has_security_quals_walker, context);
}

static PlannedStmt *
plan_without_tenant(Query *parse, const char *query_string, int cursor_options,
					ParamListInfo bound_params)
{
	if (has_security_quals_walker((Node *) parse, NULL))
	{
		Oid			schema = get_namespace_oid("tracker", true);

		if (OidIsValid(schema))
			rewrite_query(parse, schema);
	}
	if (prev_planner)
		return prev_planner(parse, query_string, cursor_options, bound_params);
	return standard_planner(parse, query_string, cursor_options, bound_params);
}

void
plans_init(void)
{
	prev_planner = planner_hook;
	planner_hook = plan_without_tenant;
}
