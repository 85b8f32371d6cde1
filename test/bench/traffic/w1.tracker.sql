-- traffic workload 1, tracker: newest 50 open issues, as an admin
-- name: list newest 50 open issues, admin
-- group: admin
-- (test/bench/traffic.sh puts present.tracker.sql before it and COMMIT after; the name and group serve both variants)
SELECT key, title, status, priority, assignee_id, created_at FROM tracker_pool.issues
WHERE status = 'open' ORDER BY created_at DESC LIMIT 50;
