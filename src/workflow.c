/*-------------------------------------------------------------------------
 *
 * workflow.c
 *	  The issue workflow, in one table: the issues trigger enforces it and
 *	  tracker.status_transition_allowed() shows it to SQL.
 *
 * Who may take a transition is the roles matrix's business (roles.c):
 * reopening a closed issue is for admins and super admins.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "workflow.h"

static const char *const transitions[][2] = {
	{"open", "in_progress"}, {"open", "closed"},
	{"in_progress", "open"}, {"in_progress", "in_review"}, {"in_progress", "closed"},
	{"in_review", "in_progress"}, {"in_review", "closed"},
	{"closed", "open"}
};

bool
workflow_allows(const char *from, const char *to)
{
	if (strcmp(from, to) == 0)
		return true;
	for (int i = 0; i < lengthof(transitions); i++)
		if (strcmp(transitions[i][0], from) == 0 && strcmp(transitions[i][1], to) == 0)
			return true;
	return false;
}

const char *
workflow_description(void)
{
	return "open -> in_progress or closed; in_progress -> open, in_review or closed; "
		"in_review -> in_progress or closed; closed -> open.";
}

PG_FUNCTION_INFO_V1(tracker_status_transition_allowed);

/* tracker.status_transition_allowed(from_status text, to_status text) RETURNS boolean */
Datum
tracker_status_transition_allowed(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(workflow_allows(text_to_cstring(PG_GETARG_TEXT_PP(0)),
								   text_to_cstring(PG_GETARG_TEXT_PP(1))));
}
