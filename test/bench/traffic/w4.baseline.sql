-- traffic workload 4, baseline: a plain user files an issue (the application takes the number from the same counter table)
-- (@CLASS@ is replaced by the draw class; see test/bench/traffic.sh)
\set i random(1, :n_@CLASS@_user)
BEGIN;
SELECT t.token IS NOT NULL AS ok, p.issue_count, p.tenant_id AS tid, p.user_id AS uid, p.teams, p.prefix
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = 'user' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
WITH c AS (UPDATE bench_base.issue_counters SET last_number = last_number + 1 WHERE tenant_id = :tid RETURNING last_number)
INSERT INTO bench_base.issues (tenant_id, number, key, title, description, priority, issue_type, reporter_id)
SELECT :tid, last_number, :prefix || '-' || last_number, 'Filed by pgbench', 'A new issue, as a user would file it.', 'medium', 'task', :uid FROM c;
COMMIT;
