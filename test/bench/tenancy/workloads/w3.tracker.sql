-- workload 3, tracker: one issue with its comments.  The tenant is named
-- nowhere: the policies add it to both tables (repeating it in the join,
-- as c.tenant_id = i.tenant_id, is correct too, and costs a one-time
-- filter; see docs/benchmarks.md)
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
SELECT i.key, i.title, i.status, c.content, c.created_at
FROM tracker_pool.issues i LEFT JOIN tracker_pool.comments c ON c.issue_id = i.id
WHERE i.number = :num ORDER BY c.created_at;
