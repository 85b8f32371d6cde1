-- traffic workload 3, tracker: one issue by number with its comments, as an admin
-- name: one issue with its comments, admin
-- group: admin
-- (test/bench/traffic.sh puts present.tracker.sql before it and COMMIT after; the name and group serve both variants)
\set num random(1, :issue_count)
SELECT i.key, i.title, i.status, c.content, c.created_at
FROM tracker_pool.issues i LEFT JOIN tracker_pool.comments c ON c.issue_id = i.id
WHERE i.number = :num ORDER BY c.created_at;
