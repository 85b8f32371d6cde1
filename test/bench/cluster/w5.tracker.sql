-- cluster workload 5, tracker: an admin comments on an issue (author and
-- time come from the context on the worker).  The issue is read first and
-- the comment inserted with VALUES: Citus does not send this INSERT ...
-- SELECT to one shard, and without RETURNING copies its rows, which
-- row-level security refuses (docs/scaling.md).
\set n random(1, :tenants)
SELECT tracker.authenticate(token) IS NOT NULL AS ok, tenant_id AS tid, issue_count FROM bench.actors WHERE n = :n \gset
\set num random(1, :issue_count)
SELECT id AS issue FROM tracker_pool.issues WHERE tenant_id = :tid AND number = :num \gset
INSERT INTO tracker_pool.comments (issue_id, content) VALUES (:issue, 'A comment from pgbench.');
