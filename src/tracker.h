/*-------------------------------------------------------------------------
 *
 * tracker.h
 *	  The extension's settings, defined in tracker.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_TRACKER_H
#define TRACKER_TRACKER_H

/* tracker.token: the raw token of the current context, verified on use */
extern char *tracker_token;

/* tracker.tenant_claim: the claim that names the tenant */
extern char *tracker_tenant_claim;

/* tracker.leeway: seconds of clock skew forgiven for exp, nbf and iat */
extern int	tracker_leeway;

/* tracker.max_token_size: longest token accepted, in bytes */
extern int	tracker_max_token_size;

#endif
