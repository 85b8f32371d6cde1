-- presenting the actor alone, baseline: look the ids up
\set n random(1, :tenants)
SELECT tenant_id AS tid, user_id AS uid, coalesce(teams, '{}') AS teams, prefix, issue_count FROM bench.actors WHERE n = :n \gset
