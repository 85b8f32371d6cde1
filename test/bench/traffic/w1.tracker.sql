-- traffic workload 1, tracker: newest 50 open issues, as an admin
-- (@CLASS@ is replaced by the draw class; see test/bench/traffic.sh)
\set i random(1, :n_@CLASS@_admin)
BEGIN;
SELECT tracker.authenticate(t.token, true) IS NOT NULL AS ok, p.issue_count
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = 'admin' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
SELECT key, title, status, priority, assignee_id, created_at FROM tracker_pool.issues
WHERE status = 'open' ORDER BY created_at DESC LIMIT 50;
COMMIT;
