/*-------------------------------------------------------------------------
 *
 * roles.h
 *	  The roles matrix: which tenant role may do what.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_ROLES_H
#define TRACKER_ROLES_H

/*
 * The actions a tenant role may or may not take, by the phrase that names
 * them in policies (tracker.allowed('delete issues')), trigger arguments
 * and messages ("only admins and super admins may delete issues").
 */
#define ACTION_SEE_EVERY_ISSUE		"see every issue"
#define ACTION_CHANGE_ANY_ISSUE		"change any issue"
#define ACTION_ASSIGN_ISSUES		"assign issues to others and to teams"
#define ACTION_REOPEN_ISSUES		"reopen a closed issue"
#define ACTION_DELETE_ISSUES		"delete issues"
#define ACTION_WRITE_INTERNAL		"write internal comments"
#define ACTION_READ_INTERNAL		"read internal comments"
#define ACTION_DELETE_ANY_COMMENT	"delete any comment"
#define ACTION_MANAGE_TEAMS			"manage teams"
#define ACTION_MANAGE_TEAM_MEMBERS	"manage team members"
#define ACTION_MANAGE_USERS			"manage users"

/* May a user with this tenant role take this action?  Errors on an unknown action. */
extern bool role_allows(const char *role, const char *action);

/* "admins and super admins", "super admins": who may take the action */
extern const char *action_holders(const char *action);

/* Raise 42501 "permission denied: only <holders> may <action>" unless allowed */
extern void role_require(const char *role, const char *action);

#endif
