-- traffic workload 6, tracker: an admin moves an issue one step along the workflow (the trigger checks the step and sets the times)
-- (@CLASS@ is replaced by the draw class; see test/bench/traffic.sh)
\set i random(1, :n_@CLASS@_admin)
BEGIN;
SELECT tracker.authenticate(t.token, true) IS NOT NULL AS ok, p.issue_count
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = 'admin' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
\set num random(1, :issue_count)
UPDATE tracker_pool.issues
SET status = CASE status WHEN 'open' THEN 'in_progress' WHEN 'in_progress' THEN 'in_review' WHEN 'in_review' THEN 'closed' ELSE 'open' END
WHERE number = :num;
COMMIT;
