-- traffic workload 2, tracker: the same, as a plain user
-- name: the same, plain user
-- group: user
-- (test/bench/traffic.sh puts present.tracker.sql before it and COMMIT after; the name and group serve both variants)
SELECT key, title, status, priority, assignee_id, created_at FROM tracker_pool.issues
WHERE status = 'open' ORDER BY created_at DESC LIMIT 50;
