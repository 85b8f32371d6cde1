-- test/bench/http/check.sql: the open issues of the first admin drawn, as
-- the request of variant :variant (tracker or common) sees them through
-- its pre-request; run as bench_app
\set ON_ERROR_STOP 1
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('role', 'tracker_user', true),
       set_config('request.jwt.claims', jsonb_set(convert_from(decode(rpad(translate(split_part(t.token, '.', 2), '-_', '+/'),
                  (length(split_part(t.token, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb,
                  '{role}', '"tracker_user"')::text, true),
       set_config('request.headers', jsonb_build_object('authorization', 'Bearer ' || t.token)::text, true),
       set_config('search_path', CASE :'variant' WHEN 'tracker' THEN '"tracker_pool", "public"'
                                 ELSE '"bench_common", "public"' END, true)
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = 'all' AND d.grp = 'admin' AND d.i = 1
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \g /dev/null
SELECT CASE :'variant' WHEN 'tracker' THEN tracker.http_pre_request()::text
       ELSE bench.common_pre_request()::text END \g /dev/null
SELECT CASE :'variant' WHEN 'tracker' THEN (SELECT count(*) FROM tracker_pool.issues WHERE status = 'open')
       ELSE (SELECT count(*) FROM bench_common.issues WHERE status = 'open') END;
COMMIT;
