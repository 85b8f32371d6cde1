-- cluster workload 1, tracker: newest 50 open issues of a tenant, as its
-- admin; the query names the tenant (docs/scaling.md: one shard, not all)
\set n random(1, :tenants)
SELECT tracker.authenticate(token) IS NOT NULL AS ok, tenant_id AS tid FROM bench.actors WHERE n = :n \gset
SELECT key, title, status, priority, assignee_id, created_at FROM tracker_pool.issues
WHERE tenant_id = :tid AND status = 'open' ORDER BY created_at DESC LIMIT 50;
