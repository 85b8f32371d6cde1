-- workload 2, baseline: the visibility rule written into the query
-- With bitmap scans allowed, the planner answers this query with a bitmap OR
-- of three indexes and a sort, which costs about 40% more than the ordered index scan
-- with a filter that tracker's plan uses; the baseline gets the faster plan.
-- pgoptions: -c enable_bitmapscan=off
\set n :tenants + random(1, :tenants)
SELECT tenant_id AS tid, user_id AS uid, coalesce(teams, '{}') AS teams, prefix, issue_count FROM bench.actors WHERE n = :n \gset
SELECT key, title, status, priority, assignee_id, created_at FROM bench_base.issues
WHERE tenant_id = :tid AND status = 'open'
  AND (reporter_id = :uid OR assignee_id = :uid OR team_id = ANY (:teams::uuid[]))
ORDER BY created_at DESC LIMIT 50;
