-- traffic workload 6, baseline: an admin moves an issue one step along the workflow (the application sets the times)
-- (test/bench/traffic.sh puts present.baseline.sql before it and COMMIT after)
\set num random(1, :issue_count)
UPDATE bench_base.issues
SET status = CASE status WHEN 'open' THEN 'in_progress' WHEN 'in_progress' THEN 'in_review' WHEN 'in_review' THEN 'closed' ELSE 'open' END,
    closed_at = CASE WHEN status = 'in_review' THEN transaction_timestamp() END,
    updated_at = transaction_timestamp()
WHERE tenant_id = :tid AND number = :num;
