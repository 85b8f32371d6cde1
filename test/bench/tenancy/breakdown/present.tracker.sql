-- presenting the actor alone, tracker: authenticate with the actor's token
\set n random(1, :tenants)
SELECT tracker.authenticate(token) IS NOT NULL AS ok, issue_count FROM bench.actors WHERE n = :n \gset
