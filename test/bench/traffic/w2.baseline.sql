-- traffic workload 2, baseline: the same, as a plain user (the visibility rule written into the query)
-- pgoptions: -c enable_bitmapscan=off
-- (test/bench/traffic.sh puts present.baseline.sql before it and COMMIT after)
SELECT key, title, status, priority, assignee_id, created_at FROM bench_base.issues
WHERE tenant_id = :tid AND status = 'open'
  AND (reporter_id = :uid OR assignee_id = :uid OR team_id = ANY (:teams::uuid[]))
ORDER BY created_at DESC LIMIT 50;
