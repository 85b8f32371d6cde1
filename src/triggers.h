/*-------------------------------------------------------------------------
 *
 * triggers.h
 *	  The data-schema triggers: rows filled from the context, the role
 *	  rules that row-level security cannot express, the issue workflow,
 *	  and per-tenant issue numbers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_TRIGGERS_H
#define TRACKER_TRIGGERS_H

/* Only SQL-callable trigger functions; nothing to share. */

#endif
