-- traffic workload 3, baseline: one issue by number with its comments, as an admin
-- (test/bench/traffic.sh puts present.baseline.sql before it and COMMIT after)
\set num random(1, :issue_count)
SELECT i.key, i.title, i.status, c.content, c.created_at
FROM bench_base.issues i LEFT JOIN bench_base.comments c ON c.tenant_id = i.tenant_id AND c.issue_id = i.id
WHERE i.tenant_id = :tid AND i.number = :num ORDER BY c.created_at;
