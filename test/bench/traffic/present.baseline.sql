-- traffic benchmark, baseline: the transaction's first statement reads the
-- same rows as tracker's (the actor drawn, its current token) and takes the
-- ids the statement names
\set i random(1, :n_@CLASS@_@GROUP@)
BEGIN;
SELECT t.token IS NOT NULL AS ok, p.issue_count, p.tenant_id AS tid, p.user_id AS uid, p.teams, p.prefix
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = '@GROUP@' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
