/*-------------------------------------------------------------------------
 *
 * caller.c
 *	  Who is calling: the role behind a SECURITY DEFINER function.
 *
 * Inside a SECURITY DEFINER function current_user is the function's owner,
 * so SQL cannot ask whether the caller is an operator.  PostgreSQL keeps
 * the session's role (as set by login or SET ROLE) apart from the user id
 * that SECURITY DEFINER switches, and that outer role is what
 * tracker._caller_is_operator() checks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"

PG_FUNCTION_INFO_V1(tracker_caller_is_operator);

Datum
tracker_caller_is_operator(PG_FUNCTION_ARGS)
{
	Oid			caller = GetOuterUserId();
	Oid			operator_role = get_role_oid("tracker_operator", true);

	PG_RETURN_BOOL(superuser_arg(caller) ||
				   (OidIsValid(operator_role) &&
					has_privs_of_role(caller, operator_role)));
}
