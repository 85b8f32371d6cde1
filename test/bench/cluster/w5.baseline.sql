-- cluster workload 5, baseline: the same two statements
\set n random(1, :tenants)
SELECT tenant_id AS tid, user_id AS uid, issue_count FROM bench.actors WHERE n = :n \gset
\set num random(1, :issue_count)
SELECT id AS issue FROM bench_base.issues WHERE tenant_id = :tid AND number = :num \gset
INSERT INTO bench_base.comments (tenant_id, issue_id, author_id, content) VALUES (:tid, :issue, :uid, 'A comment from pgbench.');
