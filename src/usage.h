/*-------------------------------------------------------------------------
 *
 * usage.h
 *	  API calls per tenant: counted in shared memory, held to the tenant's
 *	  monthly quota and rate limit, written to tracker.api_usage.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_USAGE_H
#define TRACKER_USAGE_H

#include "utils/uuid.h"

/* The SQLSTATE of a refused call: PostgREST answers a PTxyz code with status xyz */
#define ERRCODE_TOO_MANY_REQUESTS MAKE_SQLSTATE('P','T','4','2','9')

/* A tenant's limits on API calls; 0 means none */
typedef struct UsageLimits
{
	int64		calls_per_month;
	int32		requests_per_second;
	int32		burst;
} UsageLimits;

/* Asks for the shared table (from _PG_init) */
extern void usage_init(void);

/*
 * Count one API call of the tenant, or raise PT429 when its rate limit or
 * its monthly quota leaves no room for it (the call is then not counted).
 * Does nothing without shared memory, on a standby, in a parallel worker,
 * or with tracker.count_usage off.
 */
extern void usage_count_call(const pg_uuid_t *tenant, const UsageLimits *limits);

/*
 * Seconds the last PT429 of this backend asked to wait: until the rate
 * limit has room again, or until the monthly quota resets.
 */
extern double usage_retry_after(void);

#endif
