-- traffic workload 5, baseline: an admin comments on an issue
-- (@CLASS@ is replaced by the draw class; see test/bench/traffic.sh)
\set i random(1, :n_@CLASS@_admin)
BEGIN;
SELECT t.token IS NOT NULL AS ok, p.issue_count, p.tenant_id AS tid, p.user_id AS uid, p.teams, p.prefix
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = 'admin' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
\set num random(1, :issue_count)
INSERT INTO bench_base.comments (tenant_id, issue_id, author_id, content)
SELECT tenant_id, id, :uid, 'A comment from pgbench.' FROM bench_base.issues WHERE tenant_id = :tid AND number = :num;
COMMIT;
