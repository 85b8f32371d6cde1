-- workload 2, tracker: newest 50 open issues a plain user may see (reported, assigned or team)
-- A connection's first transaction presents every actor this workload draws
-- from, as a pooled connection that has served a while has; the harness
-- leaves it out of the figures (see "Warm connections" in docs/benchmarks.md).
\if :first
SELECT count(tracker.authenticate(token, true)) FROM bench.actors WHERE n > :tenants;
\set first 0
\endif
\set n :tenants + random(1, :tenants)
SELECT tracker.authenticate(token) IS NOT NULL AS ok, issue_count FROM bench.actors WHERE n = :n \gset
SELECT key, title, status, priority, assignee_id, created_at FROM tracker_pool.issues
WHERE status = 'open' ORDER BY created_at DESC LIMIT 50;
