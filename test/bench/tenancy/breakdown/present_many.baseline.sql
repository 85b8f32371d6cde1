-- presenting the actor alone, baseline: the same random row of bench.tokens
-- as present_many.tracker.sql reads, without using the token
\set k random(1, 10000)
SELECT length(token) > 0 AS ok FROM bench.tokens WHERE k = :k \gset
