-- workload 6, common pattern: the same request; PostgREST has checked the JWT signature
-- itself, and the pre-request copies its claims into the variables the policies read.
\set n random(1, :tenants)
BEGIN;
SELECT set_config('search_path', '"bench_common"', true), set_config('role', 'tracker_user', true),
       set_config('request.jwt.claims', claims, true), set_config('request.method', 'GET', true),
       set_config('request.path', '/issues', true), set_config('request.headers', headers, true)
FROM bench.actors WHERE n = :n;
SELECT set_config('app.tenant_id', c ->> 'tenant_id', true), set_config('app.user_id', c ->> 'user_id', true),
       set_config('app.role', c ->> 'tracker_role', true), set_config('app.teams', '{}', true)
FROM (SELECT current_setting('request.jwt.claims', true)::json AS c) s;
WITH pgrst_source AS (
  SELECT "issues"."key", "issues"."title", "issues"."status", "issues"."priority", "issues"."created_at"
  FROM "bench_common"."issues" WHERE "issues"."status" = 'open'
  ORDER BY "issues"."created_at" DESC LIMIT 50)
SELECT coalesce(json_agg(_postgrest_t), '[]') AS body FROM (SELECT * FROM pgrst_source) _postgrest_t;
COMMIT;
