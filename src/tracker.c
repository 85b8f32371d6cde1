/*-------------------------------------------------------------------------
 *
 * tracker.c
 *	  Module entry point: the tracker.* settings and the cache callback.
 *
 * Everything else lives in a file of its own: base64url.c and
 * strict_json.c take a token apart, crypto.c checks signatures, keys.c
 * holds the key registry, jwt.c applies the verification rules, context.c
 * turns a verified token into the session's tenant context, invalidation.c
 * tells every backend when what it cached has changed, and sign.c mints
 * tokens for operators.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "context.h"
#include "invalidation.h"
#include "tracker.h"

PG_MODULE_MAGIC;

char	   *tracker_token = NULL;
char	   *tracker_tenant_claim = NULL;
int			tracker_leeway = 60;
int			tracker_max_token_size = 8192;

void		_PG_init(void);

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

void
_PG_init(void)
{
	DefineCustomStringVariable("tracker.token",
							   "The bearer token of the current tenant context; verified whenever it is used.",
							   "Set it with tracker.authenticate(); a value set any other way is verified all the same.",
							   &tracker_token,
							   "",
							   PGC_USERSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL,
							   context_assign_token,
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

	MarkGUCPrefixReserved("tracker");

	invalidation_init();
}
