/*-------------------------------------------------------------------------
 *
 * guard.h
 *	  What tenant users may not do to the tables they share.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_GUARD_H
#define TRACKER_GUARD_H

/* Installs the utility hook (from _PG_init) */
extern void guard_init(void);

#endif
