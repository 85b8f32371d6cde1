/*-------------------------------------------------------------------------
 *
 * tracker.c
 *	  Module entry point.
 *
 * Everything lives in a file of its own: base64url.c and strict_json.c
 * take a token apart, crypto.c checks signatures, keys.c holds the key
 * registry, registry.c reads tenants and members, jwt.c applies the
 * verification rules, context.c turns a verified token into the session's
 * tenant context, triggers.c keeps tenant rows honest, caller.c tells who
 * calls a SECURITY DEFINER function, invalidation.c tells every backend
 * when what it cached has changed, settings.c holds the tracker.* settings,
 * sign.c mints tokens for operators, roles.c holds the roles matrix,
 * workflow.c the issue workflow, upgrade.c the worker that upgrades data
 * schemas, guard.c keeps tenant users from locking shared tables,
 * placement.c finds the rows of a table on a Citus node, and forward.c
 * gives a Citus cluster's workers the context of a distributed statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "context.h"
#include "forward.h"
#include "guard.h"
#include "invalidation.h"
#include "moves.h"
#include "plans.h"
#include "shared.h"
#include "settings.h"
#include "token_cache.h"
#include "usage.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	settings_define();
	MarkGUCPrefixReserved("tracker");
	invalidation_init();
	guard_init();
	forward_init();
	moves_init();
	plans_init();
	shared_init();
	usage_init();
	token_cache_init();
}
