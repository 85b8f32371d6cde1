/*-------------------------------------------------------------------------
 *
 * visibility.c
 *	  Who may see an issue or a comment: the role parts of the read policies.
 *
 * The policies of the data schema test the tenant themselves (so that it
 * stays an index condition) and leave the rest to one call here per row:
 * admins and super admins see every issue of their tenant; other users
 * those they reported, are assigned, or whose team they belong to.  A
 * comment is visible with its issue, and an internal note only to admins.
 * Written out in SQL, the rules cost every query the set-up of several
 * function calls and, for comments, a sub-plan over issues, which a
 * distributed database (Citus) refuses in policies altogether.  The issue
 * of a comment is read with the running statement's snapshot, so the
 * answer agrees with what the statement itself sees.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/uuid.h"

#include "context.h"
#include "registry.h"
#include "roles.h"
#include "visibility.h"

static bool
same_uuid(const pg_uuid_t *a, const pg_uuid_t *b)
{
	return memcmp(a, b, sizeof(pg_uuid_t)) == 0;
}

/* The rule of issues_read, past the tenant test */
static bool
sees_issue(const TenantContext *ctx, const pg_uuid_t *reporter,
		   const pg_uuid_t *assignee, const pg_uuid_t *team)
{
	if (role_allows(ctx->role, ACTION_SEE_EVERY_ISSUE))
		return true;
	if ((reporter != NULL && same_uuid(reporter, &ctx->user_id)) ||
		(assignee != NULL && same_uuid(assignee, &ctx->user_id)))
		return true;
	if (team != NULL)
	{
		const pg_uuid_t *teams;
		int			nteams = context_teams(&teams);

		for (int i = 0; i < nteams; i++)
			if (same_uuid(team, &teams[i]))
				return true;
	}
	return false;
}

/* Whether the context may see an issue of its own tenant, read by id */
static bool
sees_issue_by_id(const TenantContext *ctx, const pg_uuid_t *tenant,
				 const pg_uuid_t *issue)
{
	IssuePeople people;

	if (!same_uuid(tenant, &ctx->tenant))
		return false;
	if (role_allows(ctx->role, ACTION_SEE_EVERY_ISSUE))
		return true;			/* no need to read the issue */
	if (!registry_issue_people(ctx->data_schema, tenant, issue, &people))
		return false;
	return sees_issue(ctx, &people.reporter,
					  people.has_assignee ? &people.assignee : NULL,
					  people.has_team ? &people.team : NULL);
}

#define UUID_ARG_OR_NULL(n) (PG_ARGISNULL(n) ? NULL : PG_GETARG_UUID_P(n))

PG_FUNCTION_INFO_V1(tracker_issue_readable);

/*
 * tracker.issue_readable(reporter_id uuid, assignee_id uuid, team_id uuid)
 * RETURNS boolean: the role part of issues_read, one call per row.
 */
Datum
tracker_issue_readable(PG_FUNCTION_ARGS)
{
	TenantContext ctx;

	if (!context_get(&ctx))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(sees_issue(&ctx, UUID_ARG_OR_NULL(0), UUID_ARG_OR_NULL(1),
							  UUID_ARG_OR_NULL(2)));
}

PG_FUNCTION_INFO_V1(tracker_comment_readable);

/*
 * tracker.comment_readable(tenant_id uuid, issue_id uuid, internal boolean)
 * RETURNS boolean: admins see every comment; other users the comments
 * that are not internal notes, on issues they may see.
 */
Datum
tracker_comment_readable(PG_FUNCTION_ARGS)
{
	TenantContext ctx;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || !context_get(&ctx))
		PG_RETURN_BOOL(false);
	if (PG_ARGISNULL(2) || (PG_GETARG_BOOL(2) && !role_allows(ctx.role, ACTION_READ_INTERNAL)))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(sees_issue_by_id(&ctx, PG_GETARG_UUID_P(0), PG_GETARG_UUID_P(1)));
}
