-- traffic workload 6, baseline: an admin moves an issue one step along the workflow (the application sets the times)
-- (@CLASS@ is replaced by the draw class; see test/bench/traffic.sh)
\set i random(1, :n_@CLASS@_admin)
BEGIN;
SELECT t.token IS NOT NULL AS ok, p.issue_count, p.tenant_id AS tid, p.user_id AS uid, p.teams, p.prefix
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = 'admin' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
\set num random(1, :issue_count)
UPDATE bench_base.issues
SET status = CASE status WHEN 'open' THEN 'in_progress' WHEN 'in_progress' THEN 'in_review' WHEN 'in_review' THEN 'closed' ELSE 'open' END,
    closed_at = CASE WHEN status = 'in_review' THEN transaction_timestamp() END,
    updated_at = transaction_timestamp()
WHERE tenant_id = :tid AND number = :num;
COMMIT;
