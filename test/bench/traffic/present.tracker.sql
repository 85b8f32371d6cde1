-- traffic benchmark, tracker: the transaction's first statement presents the
-- token that an actor drawn from class @CLASS@ and group @GROUP@ holds at
-- this moment (test/bench/traffic/mint.sql), transaction-locally
\set i random(1, :n_@CLASS@_@GROUP@)
BEGIN;
SELECT tracker.authenticate(t.token, true) IS NOT NULL AS ok, p.issue_count
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = '@CLASS@' AND d.grp = '@GROUP@' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
