-- presenting the actor alone, tracker: one of 10,000 tokens of the same
-- actor (bench.tokens), so that the backend's token cache holds many
-- entries and each transaction sets a different value of tracker.token
-- The connection's first transaction presents all 10,000 first, so that the
-- figures are of cached tokens (the harness leaves that transaction out).
\if :first
SELECT count(tracker.authenticate(token, true)) FROM bench.tokens;
\set first 0
\endif
\set k random(1, 10000)
SELECT tracker.authenticate(token) IS NOT NULL AS ok FROM bench.tokens WHERE k = :k \gset
