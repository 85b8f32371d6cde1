/*-------------------------------------------------------------------------
 *
 * triggers.c
 *	  Triggers of the data-schema tables, in C.
 *
 * Row-level security decides which rows a user may touch; these triggers
 * decide what a row may say.  Tenant, reporter, author and times come from
 * the verified context and the clock, never from the client (a client that
 * names another tenant or user is refused, not silently corrected).  Plain
 * users may change only some columns, and only of issues assigned to them;
 * status changes follow the workflow; each tenant's issues get increasing
 * numbers and keys such as TECH-42.
 *
 * They are C rather than PL/pgSQL for two reasons: they run for every
 * write, and a PL/pgSQL trigger resolves names through the caller's
 * search_path, which a tenant user controls.  The statements run through
 * SPI name every table by its schema and every function and operator by
 * pg_catalog (OPERATOR(pg_catalog.+)), as PostgreSQL's own foreign-key
 * triggers do, so the caller's search_path resolves nothing in them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "context.h"
#include "moves.h"
#include "roles.h"
#include "triggers.h"
#include "workflow.h"

#define DENY(...) \
	ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), __VA_ARGS__))

/* A row being written: its descriptor and its columns, deformed */
typedef struct Row
{
	TupleDesc	desc;
	Datum	   *values;
	bool	   *nulls;
} Row;

static void
row_open(Row *row, Relation rel, HeapTuple tuple)
{
	row->desc = RelationGetDescr(rel);
	row->values = palloc(row->desc->natts * sizeof(Datum));
	row->nulls = palloc(row->desc->natts * sizeof(bool));
	heap_deform_tuple(tuple, row->desc, row->values, row->nulls);
}

static int
col(Row *row, const char *name)
{
	int			attnum = SPI_fnumber(row->desc, name);

	if (attnum <= 0)
		elog(ERROR, "column \"%s\" is missing", name);
	return attnum - 1;
}

static bool
is_null(Row *row, const char *name)
{
	return row->nulls[col(row, name)];
}

static Datum
get(Row *row, const char *name)
{
	return row->values[col(row, name)];
}

static void
set(Row *row, const char *name, Datum value, bool isnull)
{
	int			i = col(row, name);

	row->values[i] = value;
	row->nulls[i] = isnull;
}

static bool
uuid_is(Row *row, const char *name, const pg_uuid_t *want)
{
	return !is_null(row, name) &&
		memcmp(DatumGetUUIDP(get(row, name)), want, sizeof(pg_uuid_t)) == 0;
}

/* Do two rows hold the same value in this column (NULLs equal)? */
static bool
same(Row *a, Row *b, const char *name)
{
	int			i = col(a, name);
	Form_pg_attribute att = TupleDescAttr(a->desc, i);

	if (a->nulls[i] || b->nulls[i])
		return a->nulls[i] == b->nulls[i];
	return datum_image_eq(a->values[i], b->values[i], att->attbyval, att->attlen);
}

static HeapTuple
row_form(Row *row)
{
	return heap_form_tuple(row->desc, row->values, row->nulls);
}

static void
require_context(TenantContext *ctx)
{
	if (!context_get(ctx))
		DENY(errmsg("permission denied: no tenant context"),
			 errhint("Authenticate with tracker.authenticate(token) first."));
}

/* A new row's tenant is the context's; naming another one is refused */
static void
fill_tenant(Row *row, TenantContext *ctx)
{
	if (!is_null(row, "tenant_id") && !uuid_is(row, "tenant_id", &ctx->tenant))
		DENY(errmsg("permission denied: rows can be written only to the tenant of the context"));
	set(row, "tenant_id", UUIDPGetDatum(&ctx->tenant), false);
}

static void
fill_user(Row *row, const char *column, const char *what, TenantContext *ctx)
{
	if (!is_null(row, column) && !uuid_is(row, column, &ctx->user_id))
		DENY(errmsg("permission denied: the %s is always the authenticated user", what));
	set(row, column, UUIDPGetDatum(&ctx->user_id), false);
}

static void
check_trigger(FunctionCallInfo fcinfo, const char *name)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || TRIGGER_FIRED_BY_DELETE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be a BEFORE INSERT OR UPDATE row trigger", name)));
}

/* ----------------------------------------------------------------
 * Issue numbers
 * ----------------------------------------------------------------
 */

typedef struct CounterPlan
{
	Oid			nspid;
	SPIPlanPtr	plan;
} CounterPlan;

static List *counter_plans = NIL;

/*
 * The next number of the tenant's issues, from the data schema's
 * issue_counters.  The UPDATE's row lock serialises one tenant's inserts,
 * and rolls back with the insert, so numbers are never duplicated and a
 * rolled-back insert gives its number back.  (A row that INSERT ... ON
 * CONFLICT skips has taken its number already: that leaves a gap.)  Tenant users have no rights on the counters: the update
 * runs as the table's owner, as a SECURITY DEFINER function would.
 */
static int32
next_issue_number(Relation issues, TenantContext *ctx)
{
	Oid			nspid = RelationGetNamespace(issues);
	SPIPlanPtr volatile plan = NULL;
	ListCell   *lc;
	Oid			save_user;
	int			save_sec;
	volatile int32 number = 0;
	volatile bool found = false;

	foreach(lc, counter_plans)
	{
		CounterPlan *cp = lfirst(lc);

		if (cp->nspid == nspid)
			plan = cp->plan;
	}

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(issues->rd_rel->relowner,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		Datum		arg = UUIDPGetDatum(&ctx->tenant);
		bool		isnull;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (plan == NULL)
		{
			Oid			argtype = UUIDOID;
			char	   *sql = psprintf("UPDATE %s.issue_counters SET last_number = last_number OPERATOR(pg_catalog.+) 1 "
									   "WHERE tenant_id OPERATOR(pg_catalog.=) $1 RETURNING last_number",
									   quote_identifier(get_namespace_name(nspid)));
			MemoryContext old;
			CounterPlan *cp;

			SPIPlanPtr	prepared = SPI_prepare(sql, 1, &argtype);

			if (prepared == NULL || SPI_keepplan(prepared) != 0)
				elog(ERROR, "could not prepare the issue counter update");
			old = MemoryContextSwitchTo(TopMemoryContext);
			cp = palloc(sizeof(CounterPlan));
			cp->nspid = nspid;
			cp->plan = prepared;
			plan = prepared;
			counter_plans = lappend(counter_plans, cp);
			MemoryContextSwitchTo(old);
		}
		if (SPI_execute_plan(plan, &arg, NULL, false, 1) == SPI_OK_UPDATE_RETURNING &&
			SPI_processed == 1)
		{
			number = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 1, &isnull));
			found = !isnull;
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();

	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the tenant has no issue counter")));
	return number;
}

static void
issue_insert(Relation rel, Row *row, TenantContext *ctx)
{
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	int32		number;

	fill_tenant(row, ctx);
	fill_user(row, "reporter_id", "reporter of a new issue", ctx);
	set(row, "created_at", now, false);
	set(row, "updated_at", now, false);
	set(row, "closed_at", (Datum) 0, true);
	if (is_null(row, "status") || strcmp(TextDatumGetCString(get(row, "status")), "open") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("a new issue must start in status open")));
	if (!role_allows(ctx->role, ACTION_ASSIGN_ISSUES))
	{
		if (!is_null(row, "team_id"))
			DENY(errmsg("permission denied: only %s may assign issues to teams",
						action_holders(ACTION_ASSIGN_ISSUES)));
		if (!is_null(row, "assignee_id") && !uuid_is(row, "assignee_id", &ctx->user_id))
			DENY(errmsg("permission denied: users may assign a new issue only to themselves"));
	}

	number = next_issue_number(rel, ctx);
	set(row, "number", Int32GetDatum(number), false);
	set(row, "key", CStringGetTextDatum(psprintf("%s-%d", ctx->key_prefix, number)), false);
}

static void
issue_update(Row *old, Row *row, TenantContext *ctx)
{
	static const char *const fixed[] = {
		"tenant_id", "id", "number", "key", "reporter_id", "created_at"
	};
	static const char *const admin_only[] = {
		"title", "priority", "issue_type", "assignee_id", "team_id",
		"due_date", "labels", "story_points"
	};
	char	   *from;
	char	   *to;

	for (int i = 0; i < lengthof(fixed); i++)
		if (!same(old, row, fixed[i]))
			DENY(errmsg("permission denied: the tenant, id, key, reporter and creation time of an issue cannot change"));
	if (!role_allows(ctx->role, ACTION_CHANGE_ANY_ISSUE))
	{
		if (!uuid_is(old, "assignee_id", &ctx->user_id))
			DENY(errmsg("permission denied: users may update only issues assigned to them"));
		for (int i = 0; i < lengthof(admin_only); i++)
			if (!same(old, row, admin_only[i]))
				DENY(errmsg("permission denied: users may change only the status, description and estimated hours of an issue"));
	}

	from = TextDatumGetCString(get(old, "status"));
	to = is_null(row, "status") ? NULL : TextDatumGetCString(get(row, "status"));
	if (to != NULL && strcmp(from, to) != 0)
	{
		if (!workflow_allows(from, to))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("issue status cannot change from %s to %s", from, to),
					 errhint("%s", workflow_description())));
		if (strcmp(from, "closed") == 0)
			role_require(ctx->role, ACTION_REOPEN_ISSUES);
		if (strcmp(to, "closed") == 0)
			set(row, "closed_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false);
		else
			set(row, "closed_at", (Datum) 0, true);
	}
	else
		set(row, "closed_at", get(old, "closed_at"), is_null(old, "closed_at"));
	set(row, "updated_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false);
}

PG_FUNCTION_INFO_V1(tracker_issues_write);

/* BEFORE INSERT OR UPDATE ON issues FOR EACH ROW */
Datum
tracker_issues_write(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TenantContext ctx;
	Row			row;

	check_trigger(fcinfo, "tracker._issues_write");
	require_context(&ctx);
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		row_open(&row, td->tg_relation, td->tg_trigtuple);
		issue_insert(td->tg_relation, &row, &ctx);
	}
	else
	{
		Row			old;

		row_open(&old, td->tg_relation, td->tg_trigtuple);
		row_open(&row, td->tg_relation, td->tg_newtuple);
		issue_update(&old, &row, &ctx);
	}
	return PointerGetDatum(row_form(&row));
}

/* ----------------------------------------------------------------
 * Comments
 * ----------------------------------------------------------------
 */

/* Every mentioned id must be a user of the tenant (checked with the caller's rights) */
static void
check_mentions(Relation rel, Row *row, TenantContext *ctx)
{
	ArrayType  *mentions;
	char	   *sql;
	Oid			argtypes[2] = {UUIDARRAYOID, UUIDOID};
	Datum		args[2];
	bool		isnull;
	int64		unknown = 0;

	if (is_null(row, "mentions"))
		return;
	mentions = DatumGetArrayTypeP(get(row, "mentions"));
	if (ArrayGetNItems(ARR_NDIM(mentions), ARR_DIMS(mentions)) == 0)
		return;

	sql = psprintf("SELECT pg_catalog.count(*) FROM pg_catalog.unnest($1) AS m(id) "
				   "WHERE NOT EXISTS (SELECT 1 FROM %s.users u "
				   "WHERE u.tenant_id OPERATOR(pg_catalog.=) $2 AND u.id OPERATOR(pg_catalog.=) m.id)",
				   quote_identifier(get_namespace_name(RelationGetNamespace(rel))));
	args[0] = PointerGetDatum(mentions);
	args[1] = UUIDPGetDatum(&ctx->tenant);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, 2, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
		unknown = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (unknown > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("a comment may mention only users of its tenant")));
}

PG_FUNCTION_INFO_V1(tracker_comments_write);

/* BEFORE INSERT OR UPDATE ON comments FOR EACH ROW */
Datum
tracker_comments_write(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TenantContext ctx;
	Row			row;

	check_trigger(fcinfo, "tracker._comments_write");
	require_context(&ctx);
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		row_open(&row, td->tg_relation, td->tg_trigtuple);
		fill_tenant(&row, &ctx);
		fill_user(&row, "author_id", "author of a new comment", &ctx);
		set(&row, "created_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false);
		set(&row, "edited_at", (Datum) 0, true);
		if (!is_null(&row, "internal") && DatumGetBool(get(&row, "internal")))
			role_require(ctx.role, ACTION_WRITE_INTERNAL);
	}
	else
	{
		static const char *const fixed[] = {
			"tenant_id", "id", "issue_id", "author_id", "created_at", "internal"
		};
		Row			old;

		row_open(&old, td->tg_relation, td->tg_trigtuple);
		row_open(&row, td->tg_relation, td->tg_newtuple);
		/* the policy lets a visible comment through, to say no here */
		if (!uuid_is(&old, "author_id", &ctx.user_id))
			DENY(errmsg("permission denied: only its author can edit a comment"));
		for (int i = 0; i < lengthof(fixed); i++)
			if (!same(&old, &row, fixed[i]))
				DENY(errmsg("permission denied: only the content and mentions of a comment can change"));
		set(&row, "edited_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false);
	}
	check_mentions(td->tg_relation, &row, &ctx);
	return PointerGetDatum(row_form(&row));
}

/* ----------------------------------------------------------------
 * Teams and team members
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(tracker_stamp_row);

/* BEFORE INSERT OR UPDATE ON teams, team_members FOR EACH ROW */
Datum
tracker_stamp_row(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TenantContext ctx;
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	bool		has_created = false;
	Row			row;

	check_trigger(fcinfo, "tracker._stamp_row");
	require_context(&ctx);
	has_created = SPI_fnumber(RelationGetDescr(td->tg_relation), "created_at") > 0;
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		row_open(&row, td->tg_relation, td->tg_trigtuple);
		fill_tenant(&row, &ctx);
		if (has_created)
			set(&row, "created_at", now, false);
		else
			set(&row, "added_at", now, false);
	}
	else
	{
		Row			old;

		row_open(&old, td->tg_relation, td->tg_trigtuple);
		row_open(&row, td->tg_relation, td->tg_newtuple);
		if (!same(&old, &row, "tenant_id"))
			DENY(errmsg("permission denied: the tenant of a row cannot change"));
		if (has_created)
			set(&row, "created_at", get(&old, "created_at"), false);
	}
	if (has_created)
		set(&row, "updated_at", now, false);
	return PointerGetDatum(row_form(&row));
}

PG_FUNCTION_INFO_V1(tracker_check_statement);

/*
 * BEFORE ... FOR EACH STATEMENT on every data-schema table a tenant user
 * may write: there must be a context, and the table must be in the
 * context's data schema (a pooled tenant must not plant rows in a silo,
 * nor a platinum tenant in the pool).  With an argument, an action of the
 * roles matrix (roles.c), only the roles that may take it pass.  A superuser
 * without a context passes (it bypasses row-level security anyway, and
 * maintenance needs no token); the row triggers still refuse its inserts.
 * So does a statement on a Citus worker that holds none of the context's
 * tenant's rows (a task of a statement sent to every shard): it has none
 * to change, and the worker that holds them checks the statement.
 */
Datum
tracker_check_statement(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TenantContext ctx;
	const char *schema;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		td->tg_trigger->tgnargs > 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tracker._check_statement() must be a statement trigger with at most one argument")));
	if (!context_get(&ctx))
	{
		if (superuser() || context_elsewhere())
			return PointerGetDatum(NULL);
		require_context(&ctx);
	}
	schema = get_namespace_name(RelationGetNamespace(td->tg_relation));
	if (schema == NULL || strcmp(schema, ctx.data_schema) != 0)
		DENY(errmsg("permission denied: the tenant's rows are in schema \"%s\", not \"%s\"",
					ctx.data_schema, schema ? schema : "?"));
	/* no write while the tenant's rows move, nor to where they were (moves.c) */
	if (tenant_write_lock_shared(&ctx.tenant) || !context_fresh())
		tenant_write_check_schema(&ctx.tenant, ctx.data_schema);
	if (td->tg_trigger->tgnargs == 1)
		role_require(ctx.role, td->tg_trigger->tgargs[0]);
	return PointerGetDatum(NULL);
}
