/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  Lookups in the tables that verification needs beyond keys: revoked
 *	  tokens, the tenant registry, and the tenant's own users and teams.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRACKER_REGISTRY_H
#define TRACKER_REGISTRY_H

#include "access/htup.h"
#include "datatype/timestamp.h"
#include "utils/relcache.h"
#include "utils/uuid.h"

#define MEMBER_ROLE_MAXLEN 32

typedef struct TenantRecord
{
	char		status[32];
	char		data_schema[NAMEDATALEN];
	char		key_prefix[16];
	/* limits on API calls; 0 means none (and a column not there yet) */
	int64		api_calls_per_month;
	int32		requests_per_second;
	int32		request_burst;
} TenantRecord;

typedef struct MemberRecord
{
	pg_uuid_t	user_id;
	char		role[MEMBER_ROLE_MAXLEN];
	bool		active;
	bool		revokes;		/* tokens_valid_after is set */
	TimestampTz tokens_valid_after;
	bool		through_planner;	/* read from another node: good for this transaction */
	int64		shardid;		/* the local shard it was read from; 0 without Citus */
} MemberRecord;

typedef enum MemberLookup
{
	MEMBER_NONE,				/* the tenant has no such user */
	MEMBER_FOUND,
	MEMBER_ELSEWHERE			/* a worker that holds none of the tenant's rows */
} MemberLookup;

/* A column of a row by name; an error naming ALTER EXTENSION UPDATE when missing */
extern Datum registry_column(HeapTuple tuple, Relation rel, const char *name,
							 bool *isnull);

/*
 * Open this node's rows of tracker.relname (on a Citus cluster, its
 * reference table's local shard), and with index_name its index into
 * *index; an error when this node holds none.
 */
extern Relation registry_open_everywhere(const char *relname, const char *index_name,
										 Oid *index);

/* Is this schema registered in tracker.data_schemas?  (true without a registry) */
extern bool registry_is_data_schema(const char *schema);

/* Is this jti in tracker.revoked_tokens? */
extern bool registry_jti_revoked(const char *jti);

/* tracker.tenants; registry_tenants_relid_if_any: InvalidOid when absent */
extern Oid	registry_tenants_relid(void);
extern Oid	registry_tenants_relid_if_any(void);

/* Is there a tracker.api_usage (the extension's SQL at 1.1 or later)? */
extern bool registry_has_api_usage(void);

/*
 * A tenant's API calls written to tracker.api_usage from first_day to
 * last_day (days since 2000-01-01), less those forgiven; 0 without the table
 */
extern int64 registry_month_calls(const pg_uuid_t *tenant, int32 first_day, int32 last_day);

/*
 * The tenant's data schema by the latest committed state of the registry
 * (not the statement's snapshot); false when it has no row
 */
extern bool registry_tenant_schema_latest(const pg_uuid_t *tenant, char *schema);

/* The tenant's row in tracker.tenants; false when there is none */
extern bool registry_tenant(const pg_uuid_t *tenant, TenantRecord *out);

/* The tenant's user with this subject, in its data schema */
extern MemberLookup registry_member(const char *schema, const pg_uuid_t *tenant,
							const char *subject, MemberRecord *out);

/*
 * The shard of the tenant's users that this node holds now: 0 when Citus
 * does not manage the table, -1 when no shard of it is this node's.
 */
extern int64 registry_member_shard(const char *schema, const pg_uuid_t *tenant);

/*
 * Whether the statement running is the library's own read of a user
 * through the planner, as the bootstrap superuser: it needs no context on
 * the workers, and forward.c sends it none.
 */
extern bool registry_reading_through_planner(void);

/* The teams the user belongs to, palloc'd; returns how many */
extern int	registry_member_teams(const char *schema, const pg_uuid_t *tenant,
								  const pg_uuid_t *user, pg_uuid_t **teams);

/* Who an issue belongs to: its reporter, assignee and team */
typedef struct IssuePeople
{
	pg_uuid_t	reporter;
	bool		has_assignee;
	pg_uuid_t	assignee;
	bool		has_team;
	pg_uuid_t	team;
} IssuePeople;

/*
 * The people of an issue in a data schema, as the running statement sees
 * it (its snapshot); false when there is no such issue.
 */
extern bool registry_issue_people(const char *schema, const pg_uuid_t *tenant,
								  const pg_uuid_t *issue, IssuePeople *out);

#endif
