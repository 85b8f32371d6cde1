/*-------------------------------------------------------------------------
 *
 * moves.c
 *	  A tenant's write lock: what keeps a tenant's writes out of a move of
 *	  its rows from one data schema to another.
 *
 * tracker.change_tier() moves a tenant between the pool and a silo in one
 * transaction: it copies the tenant's rows, removes them from the old
 * place and points the registry at the new one, so that a crash leaves
 * the tenant whole in the old place and readers, with their snapshots,
 * see it whole in one place or the other.  Writers are the danger: a row
 * written to the old place after the copy would be lost.  So every
 * statement that writes a tenant's table (the statement trigger
 * _check_statement) first takes the tenant's write lock in shared mode,
 * and the move takes it exclusively: it waits for the tenant's writing
 * transactions to end, and the tenant's new ones wait for the move.  A
 * writer that waited, or whose context has gone stale since, looks the
 * tenant up again with the latest snapshot: if its rows have moved, its
 * transaction fails with a serialization failure (40001), to be retried,
 * and its retry writes to the new place.  Other tenants never wait: the
 * lock is the tenant's own (a transaction-scoped advisory lock on a key
 * made from its id, in a key space of tracker's own).
 *
 * A session whose search path authenticate() set names the old schema
 * after the move.  Its statements would find the old place's tables there
 * (empty of the tenant's rows), because names are resolved before any
 * tracker code runs.  So a hook after parse analysis, when the session's
 * search path is the one authenticate() sets and names a schema the
 * tenant no longer lives in, moves the statement's references to that
 * schema's tables over to the same tables of the tenant's schema, and
 * sets the search path to it for the statements that follow: the session
 * follows its tenant from its first statement after the move.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

#include "context.h"
#include "moves.h"
#include "registry.h"

/* The fourth field of tracker's advisory lock tags (PostgreSQL uses 1 and 2) */
#define TRACKER_LOCK_SPACE 0x7472

static void
tenant_lock_tag(LOCKTAG *tag, const pg_uuid_t *tenant)
{
	uint32		k1,
				k2;

	/* the first 8 bytes of the id: ids are random, and a clash only makes two tenants share a lock */
	memcpy(&k1, tenant->data, 4);
	memcpy(&k2, tenant->data + 4, 4);
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, k1, k2, TRACKER_LOCK_SPACE);
}

bool
tenant_write_lock_shared(const pg_uuid_t *tenant)
{
	LOCKTAG		tag;

	tenant_lock_tag(&tag, tenant);
	if (LockAcquire(&tag, ShareLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
		return false;
	(void) LockAcquire(&tag, ShareLock, false, false);
	return true;
}

void
tenant_write_check_schema(const pg_uuid_t *tenant, const char *schema)
{
	char		now[NAMEDATALEN];

	if (registry_tenant_schema_latest(tenant, now) && strcmp(now, schema) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not write: the tenant's rows moved to another schema during this transaction"),
				 errdetail("An operator changed the tenant's tier, and its rows now live in another data schema."),
				 errhint("Retry the transaction.")));
}

PG_FUNCTION_INFO_V1(tracker_lock_tenant_writes);

/*
 * tracker._lock_tenant_writes(tenant uuid) RETURNS void: take the tenant's
 * write lock exclusively until the end of the transaction (a move).
 */
Datum
tracker_lock_tenant_writes(PG_FUNCTION_ARGS)
{
	LOCKTAG		tag;

	tenant_lock_tag(&tag, PG_GETARG_UUID_P(0));
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	PG_RETURN_VOID();
}

/* ------------------------------------------ sessions follow their tenant -- */

static post_parse_analyze_hook_type prev_post_parse_analyze = NULL;

/*
 * The schema named by a search path of the form authenticate() sets,
 * "<schema>, public, pg_temp"; NULL for any other.
 */
static char *
authenticated_path_schema(const char *path)
{
	static const char suffix[] = ", public, pg_temp";
	size_t		len = path ? strlen(path) : 0;
	size_t		n;
	char	   *name;

	if (len <= sizeof(suffix) - 1 || strcmp(path + len - (sizeof(suffix) - 1), suffix) != 0)
		return NULL;
	n = len - (sizeof(suffix) - 1);
	if (path[0] != '"')
		return memchr(path, ',', n) || memchr(path, ' ', n) ? NULL : pnstrdup(path, n);
	/* a quoted identifier: "" stands for " */
	if (n < 2 || path[n - 1] != '"')
		return NULL;
	name = palloc(n);
	{
		size_t		j = 0;

		for (size_t i = 1; i < n - 1; i++)
		{
			name[j++] = path[i];
			if (path[i] == '"')
			{
				if (path[i + 1] != '"')
					return NULL;
				i++;
			}
		}
		name[j] = '\0';
	}
	return name;
}

typedef struct Redirect
{
	Oid			from;			/* the schema the tenant left */
	Oid			to;				/* the schema it lives in now */
} Redirect;

static bool
redirect_walker(Node *node, Redirect *r)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		ListCell   *lc;

		foreach(lc, ((Query *) node)->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
			Oid			moved;

			if (rte->rtekind != RTE_RELATION || get_rel_namespace(rte->relid) != r->from)
				continue;
			moved = get_relname_relid(get_rel_name(rte->relid), r->to);
			if (!OidIsValid(moved) || get_rel_relkind(moved) != rte->relkind)
				continue;
			LockRelationOid(moved, rte->rellockmode);
			rte->relid = moved;
		}
		return query_tree_walker((Query *) node, redirect_walker, r, 0);
	}
	return expression_tree_walker(node, redirect_walker, r);
}

static void
follow_tenant(ParseState *pstate, Query *query, JumbleState *jstate)
{
	pg_uuid_t	tenant;
	char		schema[NAMEDATALEN];
	char	   *named;
	TenantRecord record;
	Redirect	r;

	if (prev_post_parse_analyze)
		prev_post_parse_analyze(pstate, query, jstate);
	if (query->commandType == CMD_UTILITY || !IsTransactionState() ||
		!context_resolved(&tenant, schema))
		return;
	named = authenticated_path_schema(namespace_search_path);
	if (named == NULL)
		return;
	/* where the tenant lives now, if anything it depends on has changed */
	if (strcmp(named, schema) == 0 && context_fresh())
		return;
	if (strcmp(named, schema) == 0)
	{
		if (!registry_tenant(&tenant, &record) || strcmp(record.data_schema, named) == 0)
			return;
		strlcpy(schema, record.data_schema, NAMEDATALEN);
	}
	r.from = get_namespace_oid(named, true);
	r.to = get_namespace_oid(schema, true);
	if (!OidIsValid(r.to))
		return;
	if (OidIsValid(r.from))
		(void) redirect_walker((Node *) query, &r);
	(void) set_config_option("search_path",
							 psprintf("%s, public, pg_temp", quote_identifier(schema)),
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
}

void
moves_init(void)
{
	prev_post_parse_analyze = post_parse_analyze_hook;
	post_parse_analyze_hook = follow_tenant;
}
