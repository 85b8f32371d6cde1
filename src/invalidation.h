/*-------------------------------------------------------------------------
 *
 * invalidation.h
 *	  Tell every backend when the rows behind its caches have changed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_INVALIDATION_H
#define TRACKER_INVALIDATION_H

extern void invalidation_init(void);

/* Bumped whenever cached keys or contexts may be stale */
extern uint64 invalidation_generation(void);

/* Make this backend's caches stale (a verification setting changed) */
extern void invalidation_signal_local(void);

/* The OID of tracker.jwt_keys, whose relcache entry carries the signal */
extern Oid	invalidation_anchor(void);

#endif
