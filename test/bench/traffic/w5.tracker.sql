-- traffic workload 5, tracker: an admin comments on an issue
-- name: add a comment, admin
-- group: admin
-- (test/bench/traffic.sh puts present.tracker.sql before it and COMMIT after; the name and group serve both variants)
\set num random(1, :issue_count)
INSERT INTO tracker_pool.comments (issue_id, content)
SELECT id, 'A comment from pgbench.' FROM tracker_pool.issues WHERE number = :num;
