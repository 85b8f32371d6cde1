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
 * when what it cached has changed, settings.c holds the tracker.* settings
 * and sign.c mints tokens for operators.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "context.h"
#include "invalidation.h"
#include "settings.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	settings_define();
	MarkGUCPrefixReserved("tracker");
	invalidation_init();
}
