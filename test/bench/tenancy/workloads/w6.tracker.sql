-- workload 6, tracker: one HTTP request as PostgREST sends it, a different tenant's token
-- on every transaction: transaction-local settings (the raw bearer token among the headers),
-- the pre-request verification in the database, the list query, COMMIT.
-- A connection's first transaction presents every actor this workload draws
-- from, as a pooled connection that has served a while has; the harness
-- leaves it out of the figures (see "Warm connections" in docs/benchmarks.md).
\if :first
SELECT count(tracker.authenticate(token, true)) FROM bench.actors WHERE n <= :tenants;
\set first 0
\endif
\set n random(1, :tenants)
BEGIN;
SELECT set_config('search_path', '"tracker_pool"', true), set_config('role', 'tracker_user', true),
       set_config('request.jwt.claims', claims, true), set_config('request.method', 'GET', true),
       set_config('request.path', '/issues', true), set_config('request.headers', headers, true)
FROM bench.actors WHERE n = :n;
SELECT tracker.authenticate(substr(current_setting('request.headers', true)::json ->> 'authorization', 8), true) IS NOT NULL;
WITH pgrst_source AS (
  SELECT "issues"."key", "issues"."title", "issues"."status", "issues"."priority", "issues"."created_at"
  FROM "tracker_pool"."issues" WHERE "issues"."status" = 'open'
  ORDER BY "issues"."created_at" DESC LIMIT 50)
SELECT coalesce(json_agg(_postgrest_t), '[]') AS body FROM (SELECT * FROM pgrst_source) _postgrest_t;
COMMIT;
