-- traffic workload 4, tracker: a plain user files an issue (tenant, reporter, number, key and times from the context)
-- (@CLASS@ is replaced by the draw class; see test/bench/traffic.sh)
\set i random(1, :n_@CLASS@_user)
BEGIN;
SELECT tracker.authenticate(t.token, true) IS NOT NULL AS ok, p.issue_count
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = 'user' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
INSERT INTO tracker_pool.issues (title, description, priority, issue_type)
VALUES ('Filed by pgbench', 'A new issue, as a user would file it.', 'medium', 'task');
COMMIT;
