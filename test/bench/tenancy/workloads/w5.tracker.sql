-- workload 5, tracker: an admin comments on an issue (tenant, author and time come from the context)
\set n random(1, :tenants)
SELECT tracker.authenticate(token) IS NOT NULL AS ok, issue_count FROM bench.actors WHERE n = :n \gset
\set num random(1, :issue_count)
INSERT INTO tracker_pool.comments (issue_id, content)
SELECT id, 'A comment from pgbench.' FROM tracker_pool.issues WHERE number = :num;
