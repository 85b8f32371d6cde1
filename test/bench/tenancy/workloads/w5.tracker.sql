-- workload 5, tracker: an admin comments on an issue (tenant, author and time come from the context)
-- A connection's first transaction presents every actor this workload draws
-- from, as a pooled connection that has served a while has; the harness
-- leaves it out of the figures (see "Warm connections" in docs/benchmarks.md).
\if :first
SELECT count(tracker.authenticate(token, true)) FROM bench.actors WHERE n <= :tenants;
\set first 0
\endif
\set n random(1, :tenants)
SELECT tracker.authenticate(token) IS NOT NULL AS ok, issue_count FROM bench.actors WHERE n = :n \gset
\set num random(1, :issue_count)
INSERT INTO tracker_pool.comments (issue_id, content)
SELECT id, 'A comment from pgbench.' FROM tracker_pool.issues WHERE number = :num;
