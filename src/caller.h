/*-------------------------------------------------------------------------
 *
 * caller.h
 *	  Who is calling: is the session's role a platform operator?
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_CALLER_H
#define TRACKER_CALLER_H

/* Is the session's role (not a SECURITY DEFINER owner) a superuser or an operator? */
extern bool caller_is_operator(void);

/* Raise 42501 "permission denied to <action>" unless caller_is_operator() */
extern void caller_require_operator(const char *action);

#endif
