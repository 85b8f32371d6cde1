/*-------------------------------------------------------------------------
 *
 * workflow.h
 *	  The issue workflow: which status may follow which.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_WORKFLOW_H
#define TRACKER_WORKFLOW_H

/* May an issue go from status "from" to status "to"?  (Staying is allowed.) */
extern bool workflow_allows(const char *from, const char *to);

/* The workflow in words, for hints */
extern const char *workflow_description(void);

#endif
