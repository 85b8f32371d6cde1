-- workload 5, common pattern
\set n random(1, :tenants)
SELECT set_config('app.tenant_id', tenant_id::text, false), set_config('app.user_id', user_id::text, false), set_config('app.role', role, false), set_config('app.teams', coalesce(teams, '{}'), false), tenant_id AS tid, user_id AS uid, prefix, issue_count FROM bench.actors WHERE n = :n \gset
\set num random(1, :issue_count)
INSERT INTO bench_common.comments (tenant_id, issue_id, author_id, content)
SELECT tenant_id, id, :uid, 'A comment from pgbench.' FROM bench_common.issues WHERE number = :num;
