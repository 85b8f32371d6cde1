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

/* Install the executor hook that forwards tracker.token (preloaded only) */
extern void forward_init(void);

#endif
