--
-- plans: a tenant's plan does not depend on the tenant a connection served
-- before, and an admin's read makes no policy call per row.  The policies' context functions are planned as parameters
-- (src/plans.c), estimated the same for every tenant; the plan a
-- statement gets, custom or generic, is the same whichever tenant is
-- current when it is made, and its rows are always the current tenant's.
--
CREATE EXTENSION tracker;
SET client_min_messages = warning;
SELECT tracker.add_key('pl', 'HS256', 'plans-test-secret-at-least-32-bytes-long');
-- one large tenant of 30,000 issues, one of 5, and 40 of 100 each
SELECT tracker.create_tenant('large', 'Large', 'premium', tenant_id => 'a0000000-0000-4000-8000-00000000000a') IS NOT NULL AS large,
       tracker.create_tenant('small', 'Small', 'premium', tenant_id => 'b0000000-0000-4000-8000-00000000000b') IS NOT NULL AS small;
SELECT count(tracker.create_tenant('mid-' || n, 'Mid', 'premium', tenant_id => ('c0000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid)) AS mid
FROM generate_series(1, 40) n;
SELECT count(tracker.add_user(t.id, 'admin-' || t.slug, 'admin@' || t.slug || '.example', 'admin')) AS admins FROM tracker.tenants t;
SELECT tracker.sign_token('{"sub": "admin-large", "tenant_id": "a0000000-0000-4000-8000-00000000000a"}', 'pl') AS large,
       tracker.sign_token('{"sub": "admin-small", "tenant_id": "b0000000-0000-4000-8000-00000000000b"}', 'pl') AS small \gset
-- the rows, as the owner with the row triggers off
SET session_replication_role = replica;
INSERT INTO tracker_pool.issues (tenant_id, number, key, title, reporter_id, created_at, status)
SELECT t.id, n, t.key_prefix || '-' || n, 'issue ' || n, u.id, now() - n * interval '1 minute',
       CASE WHEN n % 3 = 0 THEN 'closed' ELSE 'open' END
FROM tracker.tenants t JOIN tracker_pool.users u ON u.tenant_id = t.id,
     LATERAL generate_series(1, CASE t.slug WHEN 'large' THEN 30000 WHEN 'small' THEN 5 ELSE 100 END) n;
RESET session_replication_role;
ANALYZE tracker_pool.issues;
CREATE ROLE regress_pl_app IN ROLE tracker_user;
-- the planner's estimate of the rows a statement reads from issues
CREATE FUNCTION public.issue_rows_estimated(statement text) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
	plan jsonb;
BEGIN
	EXECUTE 'EXPLAIN (FORMAT JSON) ' || statement INTO plan;
	RETURN jsonb_path_query_first(plan, 'strict $.**?(@."Relation Name" == "issues")."Plan Rows"');
END
$$;

-- 1. Custom plans, made afresh for each execution: the same estimate, and
-- the same plan, for a tenant of 5 issues and one of 30,000
SET ROLE regress_pl_app;
SET plan_cache_mode = force_custom_plan;
SELECT tracker.authenticate(:'small') IS NOT NULL AS small;
PREPARE newest AS
SELECT count(*) AS n, min(key) AS first FROM (SELECT key FROM issues WHERE status = 'open' ORDER BY created_at DESC LIMIT 50) s;
SELECT public.issue_rows_estimated('EXECUTE newest') AS small_estimate \gset
EXPLAIN (COSTS OFF) EXECUTE newest;
EXECUTE newest;
SELECT tracker.authenticate(:'large') IS NOT NULL AS large;
SELECT public.issue_rows_estimated('EXECUTE newest') AS large_estimate \gset
EXPLAIN (COSTS OFF) EXECUTE newest;
EXECUTE newest;
SELECT :small_estimate = :large_estimate AS same_estimate;
DEALLOCATE newest;

-- 2. A generic plan made while the small tenant was current, then used for
-- the large one: the rows are the large one's, and the plan is the one a
-- fresh connection makes for the large one (3.)
SET plan_cache_mode = force_generic_plan;
SELECT tracker.authenticate(:'small') IS NOT NULL AS small;
PREPARE newest AS
SELECT count(*) AS n, min(key) AS first FROM (SELECT key FROM issues WHERE status = 'open' ORDER BY created_at DESC LIMIT 50) s;
EXECUTE newest;
SELECT tracker.authenticate(:'large') IS NOT NULL AS large;
SELECT public.issue_rows_estimated('EXECUTE newest') AS reused_estimate \gset
EXPLAIN (COSTS OFF) EXECUTE newest;
EXECUTE newest;
-- and back: the same plan serves the small tenant its own rows
SELECT tracker.authenticate(:'small') IS NOT NULL AS small;
EXECUTE newest;
RESET tracker.token;
RESET search_path;
RESET ROLE;

-- 3. A fresh connection, the large tenant first
\c -
SET ROLE regress_pl_app;
SET plan_cache_mode = force_generic_plan;
SELECT tracker.authenticate(:'large') IS NOT NULL AS large;
PREPARE newest AS
SELECT count(*) AS n, min(key) AS first FROM (SELECT key FROM issues WHERE status = 'open' ORDER BY created_at DESC LIMIT 50) s;
SELECT public.issue_rows_estimated('EXECUTE newest') AS fresh_estimate \gset
EXPLAIN (COSTS OFF) EXECUTE newest;
EXECUTE newest;
SELECT :reused_estimate = :fresh_estimate AS same_estimate_as_a_fresh_connection;

-- 4. Only the policies are planned so: a call written in the query stays
-- a call, estimated for the tenant current when it is planned (the
-- policies already keep the tenant's rows; a query need not name it)
EXPLAIN (COSTS OFF) SELECT count(*) FROM issues WHERE tenant_id = tracker.current_tenant() AND status = 'closed';
RESET tracker.token;
RESET search_path;
RESET ROLE;

-- 5. An admin's read makes no policy call per row (allowed('see every
-- issue') is a parameter, true); a plain user's read calls issue_readable()
-- for every row of her tenant, as her rule needs
SELECT tracker.add_user('a0000000-0000-4000-8000-00000000000a', 'user-large', 'user@large.example', 'user') IS NOT NULL AS plain_user;
SELECT tracker.sign_token('{"sub": "user-large", "tenant_id": "a0000000-0000-4000-8000-00000000000a"}', 'pl') AS plain \gset
SET track_functions = 'all';
SET ROLE regress_pl_app;
SELECT tracker.authenticate(:'large') IS NOT NULL AS large;
EXPLAIN (COSTS OFF) SELECT count(*) FROM issues;
BEGIN;
SELECT count(*) AS admin_sees FROM issues;
SELECT coalesce(pg_stat_get_xact_function_calls('tracker.issue_readable(uuid, uuid, uuid)'::regprocedure), 0) AS issue_readable_calls;
COMMIT;
SELECT tracker.authenticate(:'plain') IS NOT NULL AS plain;
BEGIN;
SELECT count(*) AS plain_user_sees FROM issues;
SELECT coalesce(pg_stat_get_xact_function_calls('tracker.issue_readable(uuid, uuid, uuid)'::regprocedure), 0) AS issue_readable_calls;
COMMIT;
RESET tracker.token;
RESET search_path;
RESET ROLE;
RESET track_functions;

DROP SCHEMA tracker_pool CASCADE;
DROP EXTENSION tracker;
DROP ROLE regress_pl_app;
DROP FUNCTION public.issue_rows_estimated(text);
