/*-------------------------------------------------------------------------
 *
 * plans.h
 *	  Plans that do not depend on the tenant they were made for: the
 *	  context functions in row-security conditions become parameters.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_PLANS_H
#define TRACKER_PLANS_H

/* Installs the planner hook (from _PG_init) */
extern void plans_init(void);

#endif
