/*-------------------------------------------------------------------------
 *
 * roles.c
 *	  The roles matrix: which tenant role may do what, in one table.
 *
 * A tenant's users are users, admins or super admins, each able to do
 * everything the role below it can.  Every rule that depends on the role
 * asks here: the policies through tracker.allowed(action), the triggers
 * and the visibility functions through role_allows(), the user management
 * functions through tracker.allowed('manage users').  Changing who may do
 * what is a change to the table below and nothing else.  Platform
 * operators are not a tenant role; caller.c answers for them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "context.h"
#include "roles.h"

/* Tenant roles, each with the rights of those before it */
static const char *const ranks[] = {"user", "admin", "super_admin"};
static const char *const holders[] = {
	"users, admins and super admins", "admins and super admins", "super admins"
};

/* The matrix: each action and the least role that may take it */
static const struct
{
	const char *action;
	int			least_rank;
}			matrix[] = {
	{ACTION_SEE_EVERY_ISSUE, 1},
	{ACTION_CHANGE_ANY_ISSUE, 1},
	{ACTION_ASSIGN_ISSUES, 1},
	{ACTION_REOPEN_ISSUES, 1},
	{ACTION_DELETE_ISSUES, 1},
	{ACTION_WRITE_INTERNAL, 1},
	{ACTION_READ_INTERNAL, 1},
	{ACTION_DELETE_ANY_COMMENT, 1},
	{ACTION_MANAGE_TEAMS, 1},
	{ACTION_MANAGE_TEAM_MEMBERS, 1},
	{ACTION_MANAGE_USERS, 2},
};

static int
least_rank(const char *action)
{
	for (int i = 0; i < lengthof(matrix); i++)
		if (strcmp(matrix[i].action, action) == 0)
			return matrix[i].least_rank;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown action \"%s\"", pnstrdup(action, 64)),
			 errhint("The actions are listed under tracker.allowed() in docs/reference.md.")));
	return 0;					/* keep compiler quiet */
}

static int
rank(const char *role)
{
	for (int i = 0; i < lengthof(ranks); i++)
		if (strcmp(ranks[i], role) == 0)
			return i;
	return -1;					/* not a tenant role: may do nothing */
}

bool
role_allows(const char *role, const char *action)
{
	int			need = least_rank(action);

	return role != NULL && rank(role) >= need;
}

const char *
action_holders(const char *action)
{
	return holders[least_rank(action)];
}

void
role_require(const char *role, const char *action)
{
	if (!role_allows(role, action))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: only %s may %s",
						action_holders(action), action)));
}

PG_FUNCTION_INFO_V1(tracker_allowed);

/*
 * tracker.allowed(action text) RETURNS boolean: may the context's user take
 * this action?  False without a context; an error for an unknown action.
 */
Datum
tracker_allowed(PG_FUNCTION_ARGS)
{
	char	   *action = text_to_cstring(PG_GETARG_TEXT_PP(0));
	TenantContext ctx;

	if (!context_get(&ctx))
	{
		(void) least_rank(action);	/* an unknown action is an error all the same */
		PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(role_allows(ctx.role, action));
}
