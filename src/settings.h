/*-------------------------------------------------------------------------
 *
 * settings.h
 *	  The tracker.* settings, all defined in settings.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_SETTINGS_H
#define TRACKER_SETTINGS_H

extern void settings_define(void);

/* tracker.token: the raw token of the current context, verified on use */
extern char *tracker_token;

/* Set when tracker.token is assigned; context.c clears it once resolved */
extern bool tracker_token_changed;

/* tracker.tenant_claim: the claim that names the tenant */
extern char *tracker_tenant_claim;

/* tracker.leeway: seconds of clock skew forgiven for exp, nbf and iat */
extern int	tracker_leeway;

/* tracker.max_token_size: longest token accepted, in bytes */
extern int	tracker_max_token_size;

/* tracker.context_cache_size: verified tokens a backend remembers */
extern int	tracker_context_cache_size;

/* tracker.count_usage: count API calls, and hold tenants to their limits */
extern bool tracker_count_usage;

/* tracker.usage_slots: tenants whose API calls shared memory holds at once */
extern int	tracker_usage_slots;
extern int	tracker_shared_context_cache_size;

/* tracker.move_rows_per_second: the pace of a move (read by its SQL) */
extern int	tracker_move_rows_per_second;

#endif
