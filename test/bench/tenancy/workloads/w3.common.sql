-- workload 3, common pattern: like tracker's, the tenant comes from the policies
\set n random(1, :tenants)
SELECT set_config('app.tenant_id', tenant_id::text, false), set_config('app.user_id', user_id::text, false), set_config('app.role', role, false), set_config('app.teams', coalesce(teams, '{}'), false), tenant_id AS tid, user_id AS uid, prefix, issue_count FROM bench.actors WHERE n = :n \gset
\set num random(1, :issue_count)
SELECT i.key, i.title, i.status, c.content, c.created_at
FROM bench_common.issues i LEFT JOIN bench_common.comments c ON c.issue_id = i.id
WHERE i.number = :num ORDER BY c.created_at;
