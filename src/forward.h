/*-------------------------------------------------------------------------
 *
 * forward.h
 *	  Give the workers of a Citus cluster the context of a distributed
 *	  statement.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_FORWARD_H
#define TRACKER_FORWARD_H

/*
 * While set, statements send no token to the workers: tracker's own reads
 * of a user through the planner, as the bootstrap superuser, need none.
 * Returns the previous value, to put back.
 */
extern bool forward_suppress(bool suppress);

/* Install the executor hook that forwards tracker.token (preloaded only) */
extern void forward_init(void);

#endif
