/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  Index lookups in the platform tables that token verification reads.
 *
 * Like the key cache, these read with plain index scans and a fresh
 * catalog snapshot, without privilege checks: a tenant user's session
 * must be able to verify its token but never read these tables itself.
 * They run only when a token is verified for the first time in a backend;
 * changes reach cached contexts through invalidation.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "registry.h"

static Oid
tracker_relid(const char *relname)
{
	Oid			nsp = get_namespace_oid("tracker", false);
	Oid			relid = get_relname_relid(relname, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"tracker.%s\" does not exist", relname),
				 errhint("The tracker extension is damaged: reinstall it.")));
	return relid;
}

bool
registry_jti_revoked(const char *jti)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	bool		found;

	rel = table_open(tracker_relid("revoked_tokens"), AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(jti));
	scan = systable_beginscan(rel, tracker_relid("revoked_tokens_pkey"), true,
							  NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}
