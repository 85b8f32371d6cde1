-- presenting the actor alone, common pattern: four set_config calls
\set n random(1, :tenants)
SELECT set_config('app.tenant_id', tenant_id::text, false), set_config('app.user_id', user_id::text, false), set_config('app.role', role, false), set_config('app.teams', coalesce(teams, '{}'), false), tenant_id AS tid, user_id AS uid, prefix, issue_count FROM bench.actors WHERE n = :n \gset
