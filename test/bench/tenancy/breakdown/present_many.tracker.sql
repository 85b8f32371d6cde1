-- presenting the actor alone, tracker: one of 10,000 tokens of the same
-- actor (bench.tokens), so that the backend's token cache holds many
-- entries and each transaction sets a different value of tracker.token
\set k random(1, 10000)
SELECT tracker.authenticate(token) IS NOT NULL AS ok FROM bench.tokens WHERE k = :k \gset
