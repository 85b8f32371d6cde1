/*-------------------------------------------------------------------------
 *
 * settings.h
 *	  The verification settings (tracker.*), defined in settings.c.
 *	  tracker.token itself belongs to the context and lives in context.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_SETTINGS_H
#define TRACKER_SETTINGS_H

extern void settings_define(void);

/* tracker.tenant_claim: the claim that names the tenant */
extern char *tracker_tenant_claim;

/* tracker.leeway: seconds of clock skew forgiven for exp, nbf and iat */
extern int	tracker_leeway;

/* tracker.max_token_size: longest token accepted, in bytes */
extern int	tracker_max_token_size;

/* tracker.context_cache_size: verified tokens a backend remembers */
extern int	tracker_context_cache_size;

#endif
