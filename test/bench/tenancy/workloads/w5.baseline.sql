-- workload 5, baseline
\set n random(1, :tenants)
SELECT tenant_id AS tid, user_id AS uid, coalesce(teams, '{}') AS teams, prefix, issue_count FROM bench.actors WHERE n = :n \gset
\set num random(1, :issue_count)
INSERT INTO bench_base.comments (tenant_id, issue_id, author_id, content)
SELECT tenant_id, id, :uid, 'A comment from pgbench.' FROM bench_base.issues WHERE tenant_id = :tid AND number = :num;
