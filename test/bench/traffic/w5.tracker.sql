-- traffic workload 5, tracker: an admin comments on an issue
-- (@CLASS@ is replaced by the draw class; see test/bench/traffic.sh)
\set i random(1, :n_@CLASS@_admin)
BEGIN;
SELECT tracker.authenticate(t.token, true) IS NOT NULL AS ok, p.issue_count
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = 'admin' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
\set num random(1, :issue_count)
INSERT INTO tracker_pool.comments (issue_id, content)
SELECT id, 'A comment from pgbench.' FROM tracker_pool.issues WHERE number = :num;
COMMIT;
