-- test/bench/tenancy/generate.sql: the benchmark data set.
--
-- psql variables: tenants (default 10000), issues (1000000), comments (3000000).
-- Needs: CREATE EXTENSION tracker in this database, run as a superuser.
--
-- Tenant sizes follow a Zipf-like law (weight 1/rank^0.9): with the
-- defaults the largest tenant has about 60,000 issues, the hundredth about
-- 1,000 and the last a few dozen; every tenant has a super admin and at
-- least two plain users.  Rows are loaded directly as the operator
-- would in a migration (session_replication_role = replica, so the triggers
-- that fill rows from a token context do not fire); the same rows are then
-- copied into two schemas that have the same tables and indexes:
--   bench_base   RLS off: the physical limit, queries name the tenant
--   bench_common RLS keyed on current_setting('app.tenant_id'): the pattern
--                most tutorials and the AWS SaaS Factory sample use
-- bench.actors holds, per tenant, an admin and a plain user with their
-- token (for tracker) and their ids (for the other two).
\set ON_ERROR_STOP 1
\if :{?tenants}
\else
\set tenants 10000
\endif
\if :{?issues}
\else
\set issues 1000000
\endif
\if :{?comments}
\else
\set comments 3000000
\endif
SET client_min_messages = warning;
SET synchronous_commit = off;
SELECT setseed(0.42);

DROP SCHEMA IF EXISTS bench CASCADE;
DROP SCHEMA IF EXISTS bench_base CASCADE;
DROP SCHEMA IF EXISTS bench_common CASCADE;
DROP SCHEMA IF EXISTS tracker_pool CASCADE;
DELETE FROM tracker.tenants;
DELETE FROM tracker.jwt_keys WHERE kid = 'bench-hs256';
CREATE SCHEMA bench;

-- one key, a random secret nobody sees
SELECT tracker.add_key('bench-hs256', 'HS256', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
SELECT tracker._create_data_schema('tracker_pool');

-- tenants and their sizes
CREATE TABLE bench.tenants AS
WITH w AS (
	SELECT r, 1.0 / power(r, 0.9) AS weight FROM generate_series(1, :tenants) r
), s AS (
	SELECT r, greatest(5, round(:issues * weight / sum(weight) OVER ()))::int AS n_issues FROM w
)
SELECT r AS tenant_n,
	   ('00000000-0000-4000-8000-' || lpad(to_hex(r), 12, '0'))::uuid AS tenant_id,
	   n_issues,
	   least(25, 3 + n_issues / 1000) AS n_users,
	   1 + least(25, 3 + n_issues / 1000) / 5 AS n_teams
FROM s;
ALTER TABLE bench.tenants ADD PRIMARY KEY (tenant_n);

-- no quota and no rate limit: the runs make millions of calls a minute,
-- which are counted all the same (test/bench/usage.sh measures that)
INSERT INTO tracker.tenants (id, slug, name, tier, max_users, api_calls_per_month, key_prefix, data_schema)
SELECT tenant_id, 'bench-' || tenant_n, 'Bench tenant ' || tenant_n,
	   CASE WHEN n_users > 10 THEN 'premium' WHEN n_users > 5 THEN 'standard' ELSE 'basic' END,
	   25, NULL, 'B' || tenant_n, 'tracker_pool'
FROM bench.tenants;

SET session_replication_role = replica;
INSERT INTO tracker_pool.issue_counters (tenant_id, last_number)
SELECT tenant_id, n_issues FROM bench.tenants;

-- users: number 1 is the super admin, 2 a plain user, the rest mostly users
INSERT INTO tracker_pool.users (tenant_id, id, subject, email, role)
SELECT t.tenant_id,
	   ('10000000-0000-4000-8000-' || lpad(to_hex(t.tenant_n * 32 + u), 12, '0'))::uuid,
	   'user' || u || '@t' || t.tenant_n, 'user' || u || '@t' || t.tenant_n || '.example',
	   CASE WHEN u = 1 THEN 'super_admin' WHEN u % 7 = 0 THEN 'admin' ELSE 'user' END
FROM bench.tenants t, generate_series(1, t.n_users) u;

INSERT INTO tracker_pool.teams (tenant_id, id, name)
SELECT t.tenant_id,
	   ('20000000-0000-4000-8000-' || lpad(to_hex(t.tenant_n * 32 + k), 12, '0'))::uuid,
	   'Team ' || k
FROM bench.tenants t, generate_series(1, t.n_teams) k;

-- every user is in one team
INSERT INTO tracker_pool.team_members (tenant_id, team_id, user_id)
SELECT t.tenant_id,
	   ('20000000-0000-4000-8000-' || lpad(to_hex(t.tenant_n * 32 + 1 + (u % t.n_teams)), 12, '0'))::uuid,
	   ('10000000-0000-4000-8000-' || lpad(to_hex(t.tenant_n * 32 + u), 12, '0'))::uuid
FROM bench.tenants t, generate_series(1, t.n_users) u;

-- issues, oldest first; a user id and team id are drawn per issue
INSERT INTO tracker_pool.issues (tenant_id, id, number, key, title, description, status, priority,
								 issue_type, reporter_id, assignee_id, team_id, labels,
								 estimated_hours, story_points, created_at, updated_at, closed_at)
SELECT t.tenant_id, gen_random_uuid(), i, 'B' || t.tenant_n || '-' || i,
	   'Issue ' || i || ' of tenant ' || t.tenant_n,
	   'Something to do, described in a sentence or two so that rows have a realistic width.',
	   st, (ARRAY['low', 'medium', 'high', 'critical'])[1 + floor(random() * 4)::int],
	   (ARRAY['bug', 'feature', 'task', 'story'])[1 + floor(random() * 4)::int],
	   ('10000000-0000-4000-8000-' || lpad(to_hex(t.tenant_n * 32 + 1 + (random() * (t.n_users - 1))::int), 12, '0'))::uuid,
	   CASE WHEN random() < 0.7 THEN ('10000000-0000-4000-8000-' || lpad(to_hex(t.tenant_n * 32 + 1 + (random() * (t.n_users - 1))::int), 12, '0'))::uuid END,
	   CASE WHEN random() < 0.5 THEN ('20000000-0000-4000-8000-' || lpad(to_hex(t.tenant_n * 32 + 1 + (random() * (t.n_teams - 1))::int), 12, '0'))::uuid END,
	   '{}', 4, 3, ts, ts, CASE WHEN st = 'closed' THEN ts END
FROM bench.tenants t, generate_series(1, t.n_issues) i,
	 LATERAL (SELECT now() - (t.n_issues - i) * interval '7 minutes' AS ts,
					 (ARRAY['open', 'open', 'open', 'open', 'in_progress', 'in_progress',
							'in_review', 'closed', 'closed', 'closed'])[1 + floor(random() * 10)::int] AS st) x;

-- comments: on random issues of each tenant, in proportion to its size
INSERT INTO tracker_pool.comments (tenant_id, id, issue_id, author_id, content, internal, created_at)
SELECT i.tenant_id, gen_random_uuid(), i.id, i.reporter_id,
	   'A comment of ordinary length, saying what was tried and what happened next.',
	   random() < 0.1, i.created_at + interval '1 hour'
FROM tracker_pool.issues i, generate_series(1, :comments / greatest(:issues, 1)) k;
RESET session_replication_role;

-- the same tables, indexes and rows without tracker
CREATE SCHEMA bench_base;
CREATE SCHEMA bench_common;
DO $$
DECLARE
	s text;
	t text;
	cols text;
	fk record;
BEGIN
	FOREACH s IN ARRAY ARRAY['bench_base', 'bench_common'] LOOP
		FOREACH t IN ARRAY ARRAY['users', 'teams', 'team_members', 'issue_counters', 'issues', 'comments'] LOOP
			EXECUTE format('CREATE TABLE %I.%I (LIKE tracker_pool.%I INCLUDING ALL)', s, t, t);
			SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) INTO cols
			FROM information_schema.columns
			WHERE table_schema = 'tracker_pool' AND table_name = t AND is_generated = 'NEVER';
			EXECUTE format('INSERT INTO %I.%I (%s) SELECT %s FROM tracker_pool.%I', s, t, cols, cols, t);
		END LOOP;
		-- the same foreign keys
		FOR fk IN SELECT c.conrelid::regclass AS rel, c.conname,
						 pg_get_constraintdef(c.oid) AS def, cl.relname
				  FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid
				  WHERE c.contype = 'f' AND cl.relnamespace = 'tracker_pool'::regnamespace
				  ORDER BY cl.relname, c.conname LOOP
			EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', s, fk.relname, fk.conname,
						   replace(fk.def, 'tracker_pool.', s || '.'));
		END LOOP;
	END LOOP;
END
$$;

-- the common pattern: RLS on a variable the client sets
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['users', 'teams', 'team_members', 'issue_counters', 'issues', 'comments'] LOOP
		EXECUTE format('ALTER TABLE bench_common.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE bench_common.%I FORCE ROW LEVEL SECURITY', t);
		IF t <> 'issues' THEN
			EXECUTE format($p$CREATE POLICY tenant ON bench_common.%I
				USING (tenant_id = current_setting('app.tenant_id')::uuid)$p$, t);
		END IF;
	END LOOP;
END
$$;
CREATE POLICY tenant ON bench_common.issues
	USING (tenant_id = current_setting('app.tenant_id')::uuid
		   AND (current_setting('app.role') IN ('admin', 'super_admin')
				OR reporter_id = current_setting('app.user_id')::uuid
				OR assignee_id = current_setting('app.user_id')::uuid
				OR team_id = ANY (current_setting('app.teams')::uuid[])));

-- who makes the requests: per tenant an admin (actor n) and a plain user (n + tenants)
CREATE TABLE bench.actors AS
SELECT t.tenant_n + CASE WHEN u.role = 'user' THEN :tenants ELSE 0 END AS n,
	   t.tenant_n, t.tenant_id, u.id AS user_id, u.subject, u.role, t.n_issues AS issue_count,
	   'B' || t.tenant_n AS prefix,
	   (SELECT array_agg(m.team_id)::text FROM tracker_pool.team_members m
		WHERE m.tenant_id = u.tenant_id AND m.user_id = u.id) AS teams
FROM bench.tenants t
JOIN tracker_pool.users u ON u.tenant_id = t.tenant_id
	 AND u.id IN (('10000000-0000-4000-8000-' || lpad(to_hex(t.tenant_n * 32 + 1), 12, '0'))::uuid,
				  ('10000000-0000-4000-8000-' || lpad(to_hex(t.tenant_n * 32 + 2), 12, '0'))::uuid);
ALTER TABLE bench.actors ADD PRIMARY KEY (n);
ALTER TABLE bench.actors
	ADD COLUMN token text,
	ADD COLUMN claims text,
	ADD COLUMN headers text;
UPDATE bench.actors SET
	claims = jsonb_build_object('sub', subject, 'tenant_id', tenant_id, 'user_id', user_id,
								'tracker_role', role, 'role', 'tracker_user',
								'exp', extract(epoch FROM now() + interval '1 day')::bigint)::text;
UPDATE bench.actors SET token = tracker.sign_token(claims::jsonb, 'bench-hs256');
UPDATE bench.actors SET headers = jsonb_build_object('authorization', 'Bearer ' || token,
	'accept', 'application/json', 'user-agent', 'pgbench')::text;

-- 10,000 tokens of one actor (the admin of the largest tenant), for the
-- breakdown's run with many cached tokens
CREATE TABLE bench.tokens AS
SELECT k, tracker.sign_token(a.claims::jsonb || jsonb_build_object('exp', (a.claims::jsonb ->> 'exp')::bigint + k),
							 'bench-hs256') AS token
FROM bench.actors a, generate_series(1, 10000) k
WHERE a.n = 1;
ALTER TABLE bench.tokens ADD PRIMARY KEY (k);

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_app') THEN
		CREATE ROLE bench_app LOGIN;
	END IF;
END
$$;
GRANT tracker_user TO bench_app;
GRANT USAGE ON SCHEMA bench, bench_base, bench_common TO tracker_user;
GRANT SELECT ON bench.actors, bench.tokens TO bench_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA bench_base, bench_common TO tracker_user;

VACUUM ANALYZE;
SELECT count(*) AS tenants, sum(n_issues) AS issues, max(n_issues) AS largest,
	   (SELECT count(*) FROM tracker_pool.comments) AS comments,
	   (SELECT count(*) FROM tracker_pool.users) AS users
FROM bench.tenants;
