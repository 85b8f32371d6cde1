/*-------------------------------------------------------------------------
 *
 * visibility.c
 *	  Who may see an issue, as a function for the policies of comments.
 *
 * A comment is visible with its issue.  Written as EXISTS (SELECT ... FROM
 * issues) in the comments' policies, the rule costs every query on
 * comments the start-up of a sub-plan, even for admins who never run it,
 * and a distributed database (Citus) refuses sub-queries in policies
 * altogether.  tracker.issue_visible() applies the issues_read rule of the
 * data schema directly: the context's tenant; admins and super admins see
 * every issue; other users those they reported, are assigned, or whose
 * team they belong to.  The issue is read with the running statement's
 * snapshot, so it agrees with what the statement itself sees.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/uuid.h"

#include "context.h"
#include "registry.h"
#include "visibility.h"

static bool
same_uuid(const pg_uuid_t *a, const pg_uuid_t *b)
{
	return memcmp(a, b, sizeof(pg_uuid_t)) == 0;
}

PG_FUNCTION_INFO_V1(tracker_issue_visible);

/*
 * tracker.issue_visible(tenant_id uuid, issue_id uuid) RETURNS boolean
 */
Datum
tracker_issue_visible(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = PG_GETARG_UUID_P(0);
	pg_uuid_t  *issue = PG_GETARG_UUID_P(1);
	TenantContext ctx;
	IssuePeople people;

	if (!context_get(&ctx) || !same_uuid(tenant, &ctx.tenant))
		PG_RETURN_BOOL(false);
	if (!registry_issue_people(ctx.data_schema, tenant, issue, &people))
		PG_RETURN_BOOL(false);
	if (strcmp(ctx.role, "admin") == 0 || strcmp(ctx.role, "super_admin") == 0)
		PG_RETURN_BOOL(true);
	if (same_uuid(&people.reporter, &ctx.user_id) ||
		(people.has_assignee && same_uuid(&people.assignee, &ctx.user_id)))
		PG_RETURN_BOOL(true);
	if (people.has_team)
		for (int i = 0; i < ctx.nteams; i++)
			if (same_uuid(&people.team, &ctx.teams[i]))
				PG_RETURN_BOOL(true);
	PG_RETURN_BOOL(false);
}
