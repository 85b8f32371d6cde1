-- traffic workload 2, tracker: the same, as a plain user
-- (@CLASS@ is replaced by the draw class; see test/bench/traffic.sh)
\set i random(1, :n_@CLASS@_user)
BEGIN;
SELECT tracker.authenticate(t.token, true) IS NOT NULL AS ok, p.issue_count
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = 'user' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
SELECT key, title, status, priority, assignee_id, created_at FROM tracker_pool.issues
WHERE status = 'open' ORDER BY created_at DESC LIMIT 50;
COMMIT;
