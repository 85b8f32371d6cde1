-- traffic workload 4, tracker: a plain user files an issue (tenant, reporter, number, key and times from the context)
-- name: create an issue, plain user
-- group: user
-- (test/bench/traffic.sh puts present.tracker.sql before it and COMMIT after; the name and group serve both variants)
INSERT INTO tracker_pool.issues (title, description, priority, issue_type)
VALUES ('Filed by pgbench', 'A new issue, as a user would file it.', 'medium', 'task');
