-- workload 1, baseline: the tenant named in the query, no RLS
\set n random(1, :tenants)
SELECT tenant_id AS tid, user_id AS uid, coalesce(teams, '{}') AS teams, prefix, issue_count FROM bench.actors WHERE n = :n \gset
SELECT key, title, status, priority, assignee_id, created_at FROM bench_base.issues
WHERE tenant_id = :tid AND status = 'open' ORDER BY created_at DESC LIMIT 50;
