-- cluster workload 4, tracker: a plain user files an issue (tenant_id
-- defaults to the context's, and routes the insert; reporter, key and
-- times come from the context on the worker)
\set n :tenants + random(1, :tenants)
SELECT tracker.authenticate(token) IS NOT NULL AS ok FROM bench.actors WHERE n = :n \gset
INSERT INTO tracker_pool.issues (title, description, priority, issue_type)
VALUES ('Filed by pgbench', 'A new issue, as a user would file it.', 'medium', 'task');
