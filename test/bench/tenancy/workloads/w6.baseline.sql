-- workload 6, baseline: the same request shape with no verification at all and the tenant
-- named in the query (for reference; the goal compares tracker with the common pattern).
\set n random(1, :tenants)
BEGIN;
SELECT set_config('search_path', '"bench_base"', true), set_config('role', 'tracker_user', true),
       set_config('request.jwt.claims', claims, true), set_config('request.method', 'GET', true),
       set_config('request.path', '/issues', true), set_config('request.headers', headers, true),
       tenant_id AS tid
FROM bench.actors WHERE n = :n \gset
WITH pgrst_source AS (
  SELECT "issues"."key", "issues"."title", "issues"."status", "issues"."priority", "issues"."created_at"
  FROM "bench_base"."issues" WHERE "issues"."tenant_id" = :tid AND "issues"."status" = 'open'
  ORDER BY "issues"."created_at" DESC LIMIT 50)
SELECT coalesce(json_agg(_postgrest_t), '[]') AS body FROM (SELECT * FROM pgrst_source) _postgrest_t;
COMMIT;
