-- cluster workload 1, baseline: the same list, no row-level security
\set n random(1, :tenants)
SELECT tenant_id AS tid FROM bench.actors WHERE n = :n \gset
SELECT key, title, status, priority, assignee_id, created_at FROM bench_base.issues
WHERE tenant_id = :tid AND status = 'open' ORDER BY created_at DESC LIMIT 50;
