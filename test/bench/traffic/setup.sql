-- test/bench/traffic/setup.sql: who makes the requests of the traffic
-- benchmark, and how they are drawn.
--
-- Run after test/bench/tenancy/generate.sql, as a superuser.  Every user of
-- every tenant is an actor (bench.people); bench.draw numbers the actors of
-- each draw (class, group) from 1, so that a script picks one uniformly with
-- one index lookup:
--   class   all      every tenant
--           small    the tenth of the tenants with the fewest issues
--           median   the hundredth around the median tenant
--           largest  the tenant with the most issues
--   group   admin    super admins and admins
--           user     plain users
-- Each actor's token is replaced every :life seconds of the run, at a moment
-- of its own (phase); bench.passes holds the tokens (test/bench/traffic/mint.sql).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT setseed(0.17);

DROP TABLE IF EXISTS bench.draw, bench.passes, bench.people;

CREATE TABLE bench.people AS
SELECT row_number() OVER (ORDER BY t.tenant_n, u.id)::int AS n,
	   t.tenant_n, t.tenant_id, u.id AS user_id, u.subject, u.role,
	   'B' || t.tenant_n AS prefix, t.n_issues AS issue_count,
	   coalesce((SELECT array_agg(m.team_id) FROM tracker_pool.team_members m
				 WHERE m.tenant_id = u.tenant_id AND m.user_id = u.id), '{}')::text AS teams,
	   0 AS phase
FROM bench.tenants t JOIN tracker_pool.users u ON u.tenant_id = t.tenant_id;
ALTER TABLE bench.people ADD PRIMARY KEY (n);

CREATE TABLE bench.draw AS
WITH sized AS (
	SELECT tenant_n, count(*) OVER () AS tenants FROM bench.tenants
), classed AS (
	SELECT 'all' AS class, tenant_n FROM sized
	UNION ALL
	SELECT 'small', tenant_n FROM sized WHERE tenant_n > tenants - greatest(1, tenants / 10)
	UNION ALL
	SELECT 'median', tenant_n FROM sized WHERE abs(tenant_n - tenants / 2) <= tenants / 200
	UNION ALL
	SELECT 'largest', tenant_n FROM sized WHERE tenant_n = 1
)
SELECT c.class, g.grp,
	   row_number() OVER (PARTITION BY c.class, g.grp ORDER BY p.n)::int AS i, p.n
FROM classed c
JOIN bench.people p USING (tenant_n)
CROSS JOIN LATERAL (SELECT CASE WHEN p.role = 'user' THEN 'user' ELSE 'admin' END AS grp) g;
ALTER TABLE bench.draw ADD PRIMARY KEY (class, grp, i);

CREATE TABLE bench.passes (
	n int NOT NULL,
	gen int NOT NULL,
	token text NOT NULL,
	PRIMARY KEY (n, gen)
);
GRANT SELECT ON bench.people, bench.draw, bench.passes TO bench_app;
ANALYZE bench.people, bench.draw;
