-- traffic workload 3, baseline: one issue by number with its comments, as an admin
-- (@CLASS@ is replaced by the draw class; see test/bench/traffic.sh)
\set i random(1, :n_@CLASS@_admin)
BEGIN;
SELECT t.token IS NOT NULL AS ok, p.issue_count, p.tenant_id AS tid, p.user_id AS uid, p.teams, p.prefix
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = 'admin' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
\set num random(1, :issue_count)
SELECT i.key, i.title, i.status, c.content, c.created_at
FROM bench_base.issues i LEFT JOIN bench_base.comments c ON c.tenant_id = i.tenant_id AND c.issue_id = i.id
WHERE i.tenant_id = :tid AND i.number = :num ORDER BY c.created_at;
COMMIT;
