-- traffic workload 4, baseline: a plain user files an issue (the application takes the number from the same counter table)
-- (test/bench/traffic.sh puts present.baseline.sql before it and COMMIT after)
WITH c AS (UPDATE bench_base.issue_counters SET last_number = last_number + 1 WHERE tenant_id = :tid RETURNING last_number)
INSERT INTO bench_base.issues (tenant_id, number, key, title, description, priority, issue_type, reporter_id)
SELECT :tid, last_number, :prefix || '-' || last_number, 'Filed by pgbench', 'A new issue, as a user would file it.', 'medium', 'task', :uid FROM c;
