-- workload 4, common: the application allocates the key and fills the reporter
\set n :tenants + random(1, :tenants)
SELECT set_config('app.tenant_id', tenant_id::text, false), set_config('app.user_id', user_id::text, false), set_config('app.role', role, false), set_config('app.teams', coalesce(teams, '{}'), false), tenant_id AS tid, user_id AS uid, prefix, issue_count FROM bench.actors WHERE n = :n \gset
WITH c AS (UPDATE bench_common.issue_counters SET last_number = last_number + 1 WHERE tenant_id = :tid RETURNING last_number)
INSERT INTO bench_common.issues (tenant_id, number, key, title, description, priority, issue_type, reporter_id)
SELECT :tid, last_number, :prefix || '-' || last_number, 'Filed by pgbench', 'A new issue, as a user would file it.', 'medium', 'task', :uid FROM c;
