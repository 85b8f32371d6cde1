-- cluster workload 4, baseline: the application allocates the key and fills the reporter
\set n :tenants + random(1, :tenants)
SELECT tenant_id AS tid, user_id AS uid, prefix FROM bench.actors WHERE n = :n \gset
WITH c AS (UPDATE bench_base.issue_counters SET last_number = last_number + 1 WHERE tenant_id = :tid RETURNING last_number)
INSERT INTO bench_base.issues (tenant_id, number, key, title, description, priority, issue_type, reporter_id)
SELECT :tid, last_number, :prefix || '-' || last_number, 'Filed by pgbench', 'A new issue, as a user would file it.', 'medium', 'task', :uid FROM c;
