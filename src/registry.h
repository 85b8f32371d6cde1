/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  Lookups in the platform tables that verification needs beyond keys.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_REGISTRY_H
#define TRACKER_REGISTRY_H

/* Is this jti in tracker.revoked_tokens? */
extern bool registry_jti_revoked(const char *jti);

#endif
