-- traffic workload 1, baseline: newest 50 open issues, as an admin
-- (test/bench/traffic.sh puts present.baseline.sql before it and COMMIT after)
SELECT key, title, status, priority, assignee_id, created_at FROM bench_base.issues
WHERE tenant_id = :tid AND status = 'open' ORDER BY created_at DESC LIMIT 50;
