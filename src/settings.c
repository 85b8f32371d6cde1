/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  Every tracker.* setting: tracker.token, the context itself, and those
 *	  that shape verification and caching.
 *
 * All but tracker.token are PGC_SUSET (tracker.usage_slots, which sizes
 * shared memory, PGC_POSTMASTER): a tenant user must not be able to loosen
 * the rules its own token is checked against, nor stop its calls being
 * counted.  A change to a verification rule makes this backend's cached
 * verifications stale, since they were made under the old rules.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/guc.h"

#include "invalidation.h"
#include "settings.h"

char	   *tracker_token = NULL;
bool		tracker_token_changed = true;
char	   *tracker_tenant_claim = NULL;
int			tracker_leeway = 60;
int			tracker_max_token_size = 8192;
int			tracker_context_cache_size = 10000;
bool		tracker_count_usage = true;
int			tracker_usage_slots = 20000;
int			tracker_shared_context_cache_size = 16384;
int			tracker_move_rows_per_second = 5000;

static bool
check_tenant_claim(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0' || strlen(*newval) > 128)
	{
		GUC_check_errdetail("The tenant claim name must have 1 to 128 characters.");
		return false;
	}
	return true;
}

static void
assign_verification_rule(int newval, void *extra)
{
	invalidation_signal_local();
}

static void
assign_tenant_claim(const char *newval, void *extra)
{
	invalidation_signal_local();
}

/* Only notes the change: context.c resolves the new value when it is used */
static void
assign_token(const char *newval, void *extra)
{
	tracker_token_changed = true;
}

void
settings_define(void)
{
	/*
	 * The context itself.  Anyone may set it (the value is verified before
	 * any context function answers from it), but not from inside a
	 * security-restricted operation (an index expression, a maintenance
	 * command), where it could be left behind for the session.
	 */
	DefineCustomStringVariable("tracker.token",
							   "The bearer token of the current tenant context; verified whenever it is used.",
							   "Set it with tracker.authenticate(); a value set any other way is verified all the same.",
							   &tracker_token,
							   "",
							   PGC_USERSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE |
							   GUC_NOT_WHILE_SEC_REST,
							   NULL,
							   assign_token,
							   NULL);

	DefineCustomStringVariable("tracker.tenant_claim",
							   "Name of the JWT claim that holds the tenant id.",
							   NULL,
							   &tracker_tenant_claim,
							   "tenant_id",
							   PGC_SUSET,
							   0,
							   check_tenant_claim,
							   assign_tenant_claim,
							   NULL);

	DefineCustomIntVariable("tracker.leeway",
							"Seconds of clock skew forgiven when checking exp, nbf and iat.",
							NULL,
							&tracker_leeway,
							60, 0, 600,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL,
							assign_verification_rule,
							NULL);

	DefineCustomIntVariable("tracker.max_token_size",
							"Longest token accepted, in bytes.",
							NULL,
							&tracker_max_token_size,
							8192, 256, 65536,
							PGC_SUSET,
							GUC_UNIT_BYTE,
							NULL,
							assign_verification_rule,
							NULL);

	DefineCustomBoolVariable("tracker.count_usage",
							 "Count every tenant's API calls and hold them to the tenant's quota and rate limit.",
							 "Off only to measure what counting costs: a tenant is then neither counted nor limited.",
							 &tracker_count_usage,
							 true,
							 PGC_SUSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	/*
	 * It sizes shared memory, so it exists only where the library is
	 * loaded at server start (elsewhere a PGC_POSTMASTER setting cannot be
	 * made, and there is no shared memory to size).
	 */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("tracker.usage_slots",
								"Tenants whose API calls shared memory holds at once (about 150 bytes each).",
								"A tenant idle for a minute, its calls written, gives its slot up when the table is nearly full.",
								&tracker_usage_slots,
								20000, 100, 10000000,
								PGC_POSTMASTER,
								0,
								NULL,
								NULL,
								NULL);
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("tracker.shared_context_cache_size",
								"Verified tokens shared memory holds for every backend (about 1 kB each).",
								"A token verified by one backend is found there by the others; 0 shares none.",
								&tracker_shared_context_cache_size,
								16384, 0, 1000000,
								PGC_POSTMASTER,
								0,
								NULL,
								NULL,
								NULL);

	DefineCustomIntVariable("tracker.move_rows_per_second",
							"Rows a move between the pool and a silo copies or removes a second, at most.",
							"A move sleeps between batches to keep to it, so that other tenants are not slowed down; 0 moves as fast as the server can.",
							&tracker_move_rows_per_second,
							5000, 0, 100000000,
							PGC_USERSET,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("tracker.context_cache_size",
							"Verified tokens each backend remembers (about 850 bytes each).",
							"A token found here is not verified again; past this many, the tokens not used recently are evicted.",
							&tracker_context_cache_size,
							10000, 16, 1000000,
							PGC_SUSET,
							0,
							NULL,
							NULL,
							NULL);
}
