-- workload 4, tracker: a plain user files an issue (tenant, reporter, key and times come from the context)
-- A connection's first transaction presents every actor this workload draws
-- from, as a pooled connection that has served a while has; the harness
-- leaves it out of the figures (see "Warm connections" in docs/benchmarks.md).
\if :first
SELECT count(tracker.authenticate(token, true)) FROM bench.actors WHERE n > :tenants;
\set first 0
\endif
\set n :tenants + random(1, :tenants)
SELECT tracker.authenticate(token) IS NOT NULL AS ok, issue_count FROM bench.actors WHERE n = :n \gset
INSERT INTO tracker_pool.issues (title, description, priority, issue_type)
VALUES ('Filed by pgbench', 'A new issue, as a user would file it.', 'medium', 'task');
