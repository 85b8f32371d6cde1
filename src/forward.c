/*-------------------------------------------------------------------------
 *
 * forward.c
 *	  Give the workers of a Citus cluster the context of a distributed
 *	  statement.
 *
 * Policies and triggers run where the rows are: on the worker that holds
 * the shard.  The worker must know the context, and verify it itself
 * (context.c): the context is the raw token, so the token is what the
 * coordinator sends, in every transaction that runs a distributed
 * statement, as SET LOCAL tracker.token.  Citus sends the SET LOCAL
 * commands of a transaction to every worker connection the transaction
 * uses, when it opens the connection's transaction block and, for those
 * already open, at once; but only the commands it saw run (with
 * citus.propagate_set_commands = 'local', in a transaction block), and
 * not a token set at the session's level, by SET or authenticate(), nor
 * one authenticate() made from C.  So before each distributed statement
 * whose token the workers have not had in this transaction, this hook
 * hands the command to Citus (its PostprocessVariableSetStmt) and asks for
 * remote transaction blocks (its UseCoordinatedTransaction), in which
 * alone it sends them.  Both are functions of Citus's library, found by
 * name when it is loaded; without them a distributed statement with a
 * context is refused rather than run without it.
 *
 * An empty token is forwarded too, once a token was: a session that drops
 * its context in the middle of a transaction drops it on the workers.  A
 * token is verified here before it goes, and its call counted: a statement
 * whose rows are all on workers may evaluate no context function here.
 * The library's own read of a user through the planner (registry.c), which
 * a verification here may run, is sent without a token: it runs as the
 * bootstrap superuser, and needs none.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "nodes/extensible.h"
#include "nodes/parsenodes.h"
#include "storage/proc.h"
#include "utils/builtins.h"

#include "context.h"
#include "crypto.h"
#include "forward.h"
#include "registry.h"
#include "settings.h"

static ExecutorStart_hook_type prev_executor_start = NULL;

/* What was last forwarded: in which (sub)transaction, and which token */
static LocalTransactionId forwarded_lxid = InvalidLocalTransactionId;
static SubTransactionId forwarded_subxid = InvalidSubTransactionId;
static unsigned char forwarded_digest[32];


/* Citus's functions, once looked up */
typedef void (*UseCoordinatedTransactionFn) (void);
typedef void (*PostprocessVariableSetStmtFn) (VariableSetStmt *stmt, const char *command);
static UseCoordinatedTransactionFn use_coordinated_transaction = NULL;
static PostprocessVariableSetStmtFn propagate_set_command = NULL;

/* Is this a Citus plan, or has it one inside? */
static bool
has_citus_scan(Plan *plan)
{
	ListCell   *lc;

	if (plan == NULL)
		return false;
	if (IsA(plan, CustomScan))
	{
		const char *name = ((CustomScan *) plan)->methods->CustomName;

		if (name != NULL && strncmp(name, "Citus", 5) == 0)
			return true;
		foreach(lc, ((CustomScan *) plan)->custom_plans)
			if (has_citus_scan(lfirst(lc)))
				return true;
	}
	if (IsA(plan, Append))
		foreach(lc, ((Append *) plan)->appendplans)
			if (has_citus_scan(lfirst(lc)))
				return true;
	if (IsA(plan, MergeAppend))
		foreach(lc, ((MergeAppend *) plan)->mergeplans)
			if (has_citus_scan(lfirst(lc)))
				return true;
	if (IsA(plan, SubqueryScan) && has_citus_scan(((SubqueryScan *) plan)->subplan))
		return true;
	return has_citus_scan(plan->lefttree) || has_citus_scan(plan->righttree);
}

static bool
distributed(PlannedStmt *stmt)
{
	ListCell   *lc;

	if (has_citus_scan(stmt->planTree))
		return true;
	foreach(lc, stmt->subplans)
		if (has_citus_scan(lfirst(lc)))
			return true;
	return false;
}

static void
find_citus_functions(void)
{
	if (use_coordinated_transaction != NULL && propagate_set_command != NULL)
		return;
	use_coordinated_transaction = (UseCoordinatedTransactionFn)
		load_external_function("$libdir/citus", "UseCoordinatedTransaction", false, NULL);
	propagate_set_command = (PostprocessVariableSetStmtFn)
		load_external_function("$libdir/citus", "PostprocessVariableSetStmt", false, NULL);
	if (use_coordinated_transaction == NULL || propagate_set_command == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot give the workers this statement's tenant context"),
				 errdetail("This version of Citus lacks the functions tracker forwards the context with."),
				 errhint("Use Citus 13.2, the version tracker is tested with.")));
}

static void
forward(const char *token, const unsigned char *digest)
{
	VariableSetStmt stmt;
	A_Const    *value = makeNode(A_Const);

	find_citus_functions();
	value->val.sval.type = T_String;
	value->val.sval.sval = pstrdup(token);
	value->location = -1;
	memset(&stmt, 0, sizeof(stmt));
	stmt.type = T_VariableSetStmt;
	stmt.kind = VAR_SET_VALUE;
	stmt.name = "tracker.token";
	stmt.args = list_make1(value);
	stmt.is_local = true;

	use_coordinated_transaction();
	propagate_set_command(&stmt, psprintf("SET LOCAL tracker.token TO %s", quote_literal_cstr(token)));
	forwarded_lxid = MyProc->lxid;
	forwarded_subxid = GetCurrentSubTransactionId();
	memcpy(forwarded_digest, digest, sizeof(forwarded_digest));
}

static void
forward_executor_start(QueryDesc *query, int eflags)
{
	const char *token = tracker_token != NULL ? tracker_token : "";
	bool		same_xact = forwarded_lxid == MyProc->lxid;

	/* nothing to forward until a token is set, or to take back once one was */
	if (!registry_reading_through_planner() && (token[0] != '\0' || same_xact) &&
		(eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 &&
		distributed(query->plannedstmt))
	{
		unsigned char digest[32];

		crypto_sha256(token, strlen(token), digest);
		if (!same_xact || forwarded_subxid != GetCurrentSubTransactionId() ||
			memcmp(digest, forwarded_digest, sizeof(digest)) != 0)
		{
			/* verified and counted here, the node clients call */
			if (token[0] != '\0')
				context_verify_forwarded();
			forward(token, digest);
		}
	}
	if (prev_executor_start)
		prev_executor_start(query, eflags);
	else
		standard_ExecutorStart(query, eflags);
}

void
forward_init(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = forward_executor_start;
}
