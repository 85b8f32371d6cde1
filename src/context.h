/*-------------------------------------------------------------------------
 *
 * context.h
 *	  The tenant context: the verified token behind tracker.token.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_CONTEXT_H
#define TRACKER_CONTEXT_H

/* Assign hook of tracker.token */
extern void context_assign_token(const char *newval, void *extra);

#endif
