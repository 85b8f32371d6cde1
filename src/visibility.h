/*-------------------------------------------------------------------------
 *
 * visibility.h
 *	  tracker.issue_visible(): the issue rule, for the policies of rows
 *	  that hang off issues.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_VISIBILITY_H
#define TRACKER_VISIBILITY_H

/* Only SQL-callable functions; nothing to share. */

#endif
