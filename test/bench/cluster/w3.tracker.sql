-- cluster workload 3, tracker: one issue with its comments
\set n random(1, :tenants)
SELECT tracker.authenticate(token) IS NOT NULL AS ok, tenant_id AS tid, issue_count FROM bench.actors WHERE n = :n \gset
\set num random(1, :issue_count)
SELECT i.key, i.title, i.status, c.content, c.created_at
FROM tracker_pool.issues i LEFT JOIN tracker_pool.comments c ON c.tenant_id = i.tenant_id AND c.issue_id = i.id
WHERE i.tenant_id = :tid AND i.number = :num ORDER BY c.created_at;
