-- traffic workload 6, tracker: an admin moves an issue one step along the workflow (the trigger checks the step and sets the times)
-- name: change an issue's status, admin
-- group: admin
-- (test/bench/traffic.sh puts present.tracker.sql before it and COMMIT after; the name and group serve both variants)
\set num random(1, :issue_count)
UPDATE tracker_pool.issues
SET status = CASE status WHEN 'open' THEN 'in_progress' WHEN 'in_progress' THEN 'in_review' WHEN 'in_review' THEN 'closed' ELSE 'open' END
WHERE number = :num;
