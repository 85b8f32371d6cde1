/*-------------------------------------------------------------------------
 *
 * visibility.h
 *	  tracker.issue_readable() and tracker.comment_readable(): the role
 *	  parts of the read policies.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_VISIBILITY_H
#define TRACKER_VISIBILITY_H

/* Only SQL-callable functions; nothing to share. */

#endif
