/*-------------------------------------------------------------------------
 *
 * caller.c
 *	  Who is calling: the role behind a SECURITY DEFINER function.
 *
 * Inside a SECURITY DEFINER function current_user is the function's owner,
 * so SQL cannot ask whether the caller is an operator.  PostgreSQL keeps
 * the session's role (as set by login or SET ROLE) apart from the user id
 * that SECURITY DEFINER switches, and that outer role is what
 * tracker._caller_is_operator() checks.  Every privileged function, in SQL
 * or in C, asks caller_require_operator(), so the check is made one way.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "caller.h"

bool
caller_is_operator(void)
{
	Oid			caller = GetOuterUserId();
	Oid			operator_role = get_role_oid("tracker_operator", true);

	return superuser_arg(caller) ||
		(OidIsValid(operator_role) && has_privs_of_role(caller, operator_role));
}

void
caller_require_operator(const char *action)
{
	if (!caller_is_operator())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", action),
				 errhint("Only members of tracker_operator can do this.")));
}

PG_FUNCTION_INFO_V1(tracker_caller_is_operator);

/* tracker._caller_is_operator() RETURNS boolean */
Datum
tracker_caller_is_operator(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(caller_is_operator());
}

PG_FUNCTION_INFO_V1(tracker_require_operator);

/*
 * tracker._require_operator(action text) RETURNS void: every privileged
 * function starts with it, so that the check is the same everywhere.
 */
Datum
tracker_require_operator(PG_FUNCTION_ARGS)
{
	caller_require_operator(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(tracker_caller);

/*
 * tracker._caller() RETURNS name: the session's role, as the checks above
 * see it (not the owner of a SECURITY DEFINER function): for audit records.
 */
Datum
tracker_caller(PG_FUNCTION_ARGS)
{
	Name		result = palloc0(NAMEDATALEN);

	namestrcpy(result, GetUserNameFromId(GetOuterUserId(), false));
	PG_RETURN_NAME(result);
}
