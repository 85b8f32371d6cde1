-- traffic workload 5, baseline: an admin comments on an issue
-- (test/bench/traffic.sh puts present.baseline.sql before it and COMMIT after)
\set num random(1, :issue_count)
INSERT INTO bench_base.comments (tenant_id, issue_id, author_id, content)
SELECT tenant_id, id, :uid, 'A comment from pgbench.' FROM bench_base.issues WHERE tenant_id = :tid AND number = :num;
