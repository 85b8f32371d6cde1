--
-- tenancy_issues: issues under row-level security
--
-- What each role sees (user: reported, assigned or team; admins: all;
-- another tenant: nothing), creating issues (fields from the context, what
-- users may not set), gapless per-tenant keys, the update rules per role,
-- the whole workflow matrix, deletes, writes without a context,
-- cross-tenant reads and writes, and (at the end, with a few thousand rows)
-- that the filters users run can use the indexes under RLS.
--
CREATE EXTENSION tracker;

-- 'ok' (with the row count for DML) or 'SQLSTATE: message', run as the
-- calling role; uuids in messages are masked.
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	EXECUTE stmt;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN CASE WHEN stmt ~* '^\s*(insert|update|delete)' THEN 'ok, ' || n || ' row(s)' ELSE 'ok' END;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM,
		'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
END
$$;

-- The keys of the issues the context sees, in order
CREATE FUNCTION pg_temp.sees() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	keys text;
BEGIN
	EXECUTE 'SELECT coalesce(string_agg(key, '', '' ORDER BY key COLLATE "C"), ''(none)'') FROM issues'
		INTO keys;
	RETURN tracker.current_subject() || ' (' || tracker.current_member_role() || '): ' || keys;
END
$$;

CREATE ROLE regress_issues_app LOGIN IN ROLE tracker_user;

\set secret `cat test/keys/test-only-hs256.secret`
SELECT tracker.add_key('k1', 'HS256', :'secret');

\set ts '11111111-1111-1111-1111-111111111111'
\set dc '22222222-2222-2222-2222-222222222222'
\set mc '33333333-3333-3333-3333-333333333333'
SELECT tracker.create_tenant('techstart', 'TechStart Solutions', 'basic', tenant_id => :'ts') IS NOT NULL AS techstart;
SELECT tracker.create_tenant('devcorp', 'DevCorp Enterprise', 'premium', tenant_id => :'dc') IS NOT NULL AS devcorp;
SELECT tracker.create_tenant('mega-corp', 'Mega Corp', 'platinum', tenant_id => :'mc') IS NOT NULL AS megacorp;
-- (a silo's schema gets a random name; this file names it, to show it)
SELECT tracker.rename_silo(:'mc', 'tenant_mega_corp');
SELECT tracker.add_user(:'ts', 'boss', 'boss@techstart.example', 'super_admin') AS boss_id \gset
SELECT tracker.add_user(:'ts', 'ada', 'ada@techstart.example', 'admin') AS ada_id \gset
SELECT tracker.add_user(:'ts', 'john', 'john@techstart.example', 'user') AS john_id \gset
SELECT tracker.add_user(:'ts', 'sarah', 'sarah@techstart.example', 'user') AS sarah_id \gset
SELECT tracker.add_user(:'ts', 'bob', 'bob@techstart.example', 'user') AS bob_id \gset
SELECT tracker.add_user(:'dc', 'dsa', 'dsa@devcorp.example', 'super_admin') AS dsa_id \gset
SELECT tracker.add_user(:'dc', 'lisa', 'lisa@devcorp.example', 'user') AS lisa_id \gset
SELECT tracker.add_user(:'mc', 'maya', 'maya@mega.example', 'admin') AS maya_id \gset
SELECT tracker.sign_token(format('{"sub": "boss", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS boss \gset
SELECT tracker.sign_token(format('{"sub": "ada", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS ada \gset
SELECT tracker.sign_token(format('{"sub": "john", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS john \gset
SELECT tracker.sign_token(format('{"sub": "sarah", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS sarah \gset
SELECT tracker.sign_token(format('{"sub": "bob", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS bob \gset
SELECT tracker.sign_token(format('{"sub": "dsa", "tenant_id": "%s"}', :'dc')::jsonb, 'k1') AS dsa \gset
SELECT tracker.sign_token(format('{"sub": "lisa", "tenant_id": "%s"}', :'dc')::jsonb, 'k1') AS lisa \gset
SELECT tracker.sign_token(format('{"sub": "maya", "tenant_id": "%s"}', :'mc')::jsonb, 'k1') AS maya \gset

SET ROLE regress_issues_app;
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT tracker.create_team('Backend', '', :'john_id') AS backend \gset

--
-- 1. Creating issues: tenant, reporter, key and times come from the context
--
-- a plain user: TECH-1, hers as reporter
SELECT tracker.authenticate(:'sarah') IS NOT NULL AS sarah;
INSERT INTO issues (title, description, priority, issue_type, labels, estimated_hours, due_date)
VALUES ('Login page is slow', 'Takes 5 seconds', 'high', 'bug', '{performance,login}', 8, '2030-01-31')
RETURNING key, number, title, status, priority, priority_rank, issue_type, labels, estimated_hours, due_date,
	tenant_id = tracker.current_tenant() AS own_tenant,
	reporter_id = tracker.current_user_id() AS reporter_is_me,
	assignee_id IS NULL AS unassigned, team_id IS NULL AS no_team,
	created_at = updated_at AS fresh, closed_at IS NULL AS not_closed;
-- an admin assigns anyone and any team: TECH-2 (John), TECH-3 (Backend), TECH-4 (nobody)
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
INSERT INTO issues (title, assignee_id) VALUES ('Fix the build', :'john_id')
RETURNING key, reporter_id = tracker.current_user_id() AS reporter_is_me, assignee_id = :'john_id' AS assigned_john;
INSERT INTO issues (title, team_id, priority) VALUES ('Database migration', :'backend', 'critical')
RETURNING key, team_id = :'backend' AS backend, priority, priority_rank;
-- client-supplied number, key and times are replaced
INSERT INTO issues (title, issue_type, number, key, created_at, updated_at, closed_at)
VALUES ('Quarterly planning', 'story', 999, 'TECH-999', '2000-01-01', '2000-01-01', '2000-01-02')
RETURNING key, number, issue_type, created_at > '2001-01-01' AS created_now, updated_at = created_at AS fresh,
	closed_at IS NULL AS not_closed;
-- a super admin: TECH-5, assigned to Bob
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
INSERT INTO issues (title, assignee_id, priority, issue_type) VALUES ('Renew certificates', :'bob_id', 'low', 'task')
RETURNING key, reporter_id = tracker.current_user_id() AS reporter_is_me, priority, priority_rank;
-- a plain user may name their own tenant, themselves as reporter and as assignee: TECH-6
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
INSERT INTO issues (tenant_id, reporter_id, assignee_id, title)
VALUES (:'ts', :'john_id', :'john_id', 'Write onboarding notes')
RETURNING key, reporter_id = assignee_id AS self_assigned;
-- refused for a plain user: another tenant, another reporter (42501), a
-- team, another assignee (42501), a status other than open (23514)
SELECT pg_temp.try(format('INSERT INTO issues (tenant_id, title) VALUES (%L, %L)', :'dc', 'Planted'));
SELECT pg_temp.try(format('INSERT INTO issues (reporter_id, title) VALUES (%L, %L)', :'ada_id', 'Blame Ada'));
SELECT pg_temp.try(format('INSERT INTO issues (team_id, title) VALUES (%L, %L)', :'backend', 'For the team'));
SELECT pg_temp.try(format('INSERT INTO issues (assignee_id, title) VALUES (%L, %L)', :'sarah_id', 'For Sarah'));
SELECT pg_temp.try($$INSERT INTO issues (status, title) VALUES ('in_progress', 'Already started')$$);
SELECT pg_temp.try($$INSERT INTO issues (status, title) VALUES ('closed', 'Already done')$$);
-- refused for an admin too: another tenant, another reporter, a status
-- other than open; and another tenant's user or team (23503)
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT pg_temp.try(format('INSERT INTO issues (tenant_id, title) VALUES (%L, %L)', :'dc', 'Planted'));
SELECT pg_temp.try(format('INSERT INTO issues (reporter_id, title) VALUES (%L, %L)', :'boss_id', 'Blame the boss'));
SELECT pg_temp.try($$INSERT INTO issues (status, title) VALUES ('in_review', 'Review me')$$);
SELECT pg_temp.try(format('INSERT INTO issues (assignee_id, title) VALUES (%L, %L)', :'lisa_id', 'For Lisa'));
-- bad values (23514, 428C9)
SELECT pg_temp.try($$INSERT INTO issues (title, priority) VALUES ('Bad priority', 'urgent')$$);
SELECT pg_temp.try($$INSERT INTO issues (title, issue_type) VALUES ('Bad type', 'epic')$$);
SELECT pg_temp.try($$INSERT INTO issues (title, status) VALUES ('Bad status', 'done')$$);
SELECT pg_temp.try($$INSERT INTO issues (title) VALUES ('   ')$$);
SELECT pg_temp.try($$INSERT INTO issues (title, story_points) VALUES ('Too many points', 1001)$$);
SELECT pg_temp.try($$INSERT INTO issues (title, priority_rank) VALUES ('Rank', 4)$$);

--
-- 2. Keys: the tenant's prefix and a gapless per-tenant number
--
-- none of the refused inserts used a number
SELECT string_agg(key, ', ' ORDER BY number) AS keys, max(number) = count(*) AS gapless FROM issues;
-- a rolled-back insert gives its number back
BEGIN;
INSERT INTO issues (title) VALUES ('Rolled back') RETURNING key;
ROLLBACK;
BEGIN;
SAVEPOINT s;
INSERT INTO issues (title) VALUES ('Rolled back to a savepoint') RETURNING key;
ROLLBACK TO SAVEPOINT s;
INSERT INTO issues (title, assignee_id) VALUES ('Workflow', :'john_id') RETURNING key;
COMMIT;
-- other tenants count on their own: DEVC-1, DEVC-2 and MEGA-1
SELECT tracker.authenticate(:'lisa') IS NOT NULL AS lisa;
INSERT INTO issues (title) VALUES ('Checkout rounding') RETURNING key;
SELECT tracker.authenticate(:'dsa') IS NOT NULL AS dsa;
INSERT INTO issues (title) VALUES ('Security audit') RETURNING key;
SELECT tracker.authenticate(:'maya') IS NOT NULL AS maya;
INSERT INTO issues (title) VALUES ('Silo issue') RETURNING key;
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
INSERT INTO issues (title) VALUES ('Numbered after the others') RETURNING key;
RESET ROLE;
SELECT t.slug, c.last_number FROM tracker.tenants t JOIN tracker_pool.issue_counters c ON c.tenant_id = t.id
UNION ALL
SELECT t.slug, c.last_number FROM tracker.tenants t JOIN tenant_mega_corp.issue_counters c ON c.tenant_id = t.id
ORDER BY 1;
SET ROLE regress_issues_app;
-- the counters are nobody's business but the trigger's
SELECT pg_temp.try('SELECT * FROM issue_counters');
SELECT pg_temp.try('UPDATE issue_counters SET last_number = 0');

--
-- 3. What each role sees
--
--   TECH-1 Sarah's report         TECH-2 assigned to John     TECH-3 team Backend (John)
--   TECH-4 Ada's, nobody's        TECH-5 assigned to Bob      TECH-6 John's, self-assigned
--   TECH-7 assigned to John       TECH-8 Ada's, nobody's
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT pg_temp.sees();
SELECT tracker.authenticate(:'sarah') IS NOT NULL AS sarah;
SELECT pg_temp.sees();
SELECT tracker.authenticate(:'bob') IS NOT NULL AS bob;
SELECT pg_temp.sees();
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT pg_temp.sees();
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT pg_temp.sees();
SELECT tracker.authenticate(:'lisa') IS NOT NULL AS lisa;
SELECT pg_temp.sees();
SELECT tracker.authenticate(:'dsa') IS NOT NULL AS dsa;
SELECT pg_temp.sees();
SELECT tracker.authenticate(:'maya') IS NOT NULL AS maya;
SELECT pg_temp.sees();

--
-- 4. Updates
--
-- a plain user: the issues assigned to them, and only status, description
-- and estimated hours
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
UPDATE issues SET status = 'in_progress', description = 'Flaky test in CI', estimated_hours = 2.5
WHERE key = 'TECH-2'
RETURNING key, status, description, estimated_hours, updated_at > created_at AS updated, closed_at IS NULL AS not_closed;
SELECT pg_temp.try($$UPDATE issues SET title = 'Renamed' WHERE key = 'TECH-2'$$);
SELECT pg_temp.try($$UPDATE issues SET priority = 'critical' WHERE key = 'TECH-2'$$);
SELECT pg_temp.try($$UPDATE issues SET issue_type = 'bug' WHERE key = 'TECH-2'$$);
SELECT pg_temp.try($$UPDATE issues SET assignee_id = NULL WHERE key = 'TECH-2'$$);
SELECT pg_temp.try(format('UPDATE issues SET assignee_id = %L WHERE key = %L', :'sarah_id', 'TECH-2'));
SELECT pg_temp.try(format('UPDATE issues SET team_id = %L WHERE key = %L', :'backend', 'TECH-2'));
SELECT pg_temp.try($$UPDATE issues SET due_date = '2030-12-31' WHERE key = 'TECH-2'$$);
SELECT pg_temp.try($$UPDATE issues SET labels = '{mine}' WHERE key = 'TECH-2'$$);
SELECT pg_temp.try($$UPDATE issues SET story_points = 5 WHERE key = 'TECH-2'$$);
-- ... never the immutable columns
SELECT pg_temp.try($$UPDATE issues SET key = 'TECH-100' WHERE key = 'TECH-2'$$);
SELECT pg_temp.try(format('UPDATE issues SET reporter_id = %L WHERE key = %L', :'john_id', 'TECH-2'));
-- ... and not an issue they see only as its team's member, or reported
SELECT pg_temp.try($$UPDATE issues SET description = 'team work' WHERE key = 'TECH-3'$$);
SELECT tracker.authenticate(:'sarah') IS NOT NULL AS sarah;
SELECT pg_temp.try($$UPDATE issues SET description = 'more detail' WHERE key = 'TECH-1'$$);
SELECT pg_temp.try($$UPDATE issues SET status = 'closed' WHERE key = 'TECH-1'$$);
-- an issue they cannot see is not there to update
SELECT tracker.authenticate(:'bob') IS NOT NULL AS bob;
SELECT pg_temp.try($$UPDATE issues SET description = 'not mine' WHERE key = 'TECH-1'$$);
-- ... and an update of every issue reaches only his own (TECH-5)
SELECT pg_temp.try($$UPDATE issues SET description = 'all of them'$$);

-- admins: any field
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
UPDATE issues SET title = 'Quarterly planning (Q3)', description = 'Agenda', priority = 'high',
	issue_type = 'task', assignee_id = :'sarah_id', team_id = :'backend', due_date = '2030-06-30',
	labels = '{planning}', estimated_hours = 4, story_points = 3
WHERE key = 'TECH-4'
RETURNING key, title, description, status, priority, priority_rank, issue_type,
	assignee_id = :'sarah_id' AS sarah, team_id = :'backend' AS backend, due_date, labels,
	estimated_hours, story_points;
UPDATE issues SET assignee_id = NULL, team_id = NULL WHERE key = 'TECH-4'
RETURNING key, assignee_id IS NULL AS unassigned, team_id IS NULL AS no_team;
-- closed_at follows the status, not the client
UPDATE issues SET closed_at = now() WHERE key = 'TECH-4' RETURNING key, closed_at IS NULL AS not_closed;
-- never the immutable columns (42501)
SELECT pg_temp.try(format('UPDATE issues SET tenant_id = %L WHERE key = %L', :'dc', 'TECH-4'));
SELECT pg_temp.try($$UPDATE issues SET id = gen_random_uuid() WHERE key = 'TECH-4'$$);
SELECT pg_temp.try($$UPDATE issues SET number = 100 WHERE key = 'TECH-4'$$);
SELECT pg_temp.try($$UPDATE issues SET key = 'TECH-100' WHERE key = 'TECH-4'$$);
SELECT pg_temp.try(format('UPDATE issues SET reporter_id = %L WHERE key = %L', :'john_id', 'TECH-4'));
SELECT pg_temp.try($$UPDATE issues SET created_at = created_at - interval '1 day' WHERE key = 'TECH-4'$$);
SELECT pg_temp.try($$UPDATE issues SET priority_rank = 1 WHERE key = 'TECH-4'$$);
-- nor another tenant's user or team (23503)
SELECT pg_temp.try(format('UPDATE issues SET assignee_id = %L WHERE key = %L', :'lisa_id', 'TECH-4'));
-- super admins: any field too
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
UPDATE issues SET title = 'Renew TLS certificates', priority = 'medium', assignee_id = :'ada_id'
WHERE key = 'TECH-5' RETURNING key, title, priority, assignee_id = :'ada_id' AS ada;
UPDATE issues SET assignee_id = :'bob_id' WHERE key = 'TECH-5' RETURNING key, assignee_id = :'bob_id' AS bob;
SELECT pg_temp.try($$UPDATE issues SET key = 'BOSS-1' WHERE key = 'TECH-5'$$);

--
-- 5. The workflow: every transition, for an admin and for the assignee
--
-- Moves TECH-7 (John's, open) to from_status by allowed steps, tries
-- to_status, reports, and rolls everything back.
RESET ROLE;
CREATE FUNCTION pg_temp.transition(from_status text, to_status text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	path text[] := CASE from_status
		WHEN 'open' THEN '{}'::text[]
		WHEN 'in_progress' THEN '{in_progress}'
		WHEN 'in_review' THEN '{in_progress,in_review}'
		WHEN 'closed' THEN '{closed}' END;
	step text;
	closed boolean;
	result text;
BEGIN
	BEGIN
		FOREACH step IN ARRAY path LOOP
			EXECUTE 'UPDATE issues SET status = $1 WHERE key = ''TECH-7''' USING step;
		END LOOP;
		BEGIN
			EXECUTE 'UPDATE issues SET status = $1 WHERE key = ''TECH-7'' RETURNING closed_at IS NOT NULL'
				INTO STRICT closed USING to_status;
			result := 'ok, closed_at ' || CASE WHEN closed THEN 'set' ELSE 'empty' END;
		EXCEPTION WHEN OTHERS THEN
			result := SQLSTATE || ': ' || SQLERRM;
		END;
		RAISE EXCEPTION 'undo' USING ERRCODE = 'XR001';
	EXCEPTION WHEN SQLSTATE 'XR001' THEN
		NULL;
	END;
	RETURN result;
END
$$;
CREATE FUNCTION pg_temp.workflow() RETURNS TABLE (from_status text, to_status text, result text)
LANGUAGE sql AS $$
	SELECT f, t, pg_temp.transition(f, t)
	FROM unnest('{open,in_progress,in_review,closed}'::text[]) WITH ORDINALITY AS a (f, i),
		 unnest('{open,in_progress,in_review,closed}'::text[]) WITH ORDINALITY AS b (t, j)
	WHERE f <> t
	ORDER BY i, j
$$;
SET ROLE regress_issues_app;
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT * FROM pg_temp.workflow();
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT * FROM pg_temp.workflow();
SELECT key, status, closed_at IS NULL AS not_closed FROM issues WHERE key = 'TECH-7';
-- the same, for real: John closes his issue, cannot reopen it; an admin can
UPDATE issues SET status = 'closed' WHERE key = 'TECH-7' RETURNING key, status, closed_at IS NOT NULL AS closed;
SELECT pg_temp.try($$UPDATE issues SET status = 'open' WHERE key = 'TECH-7'$$);
SELECT pg_temp.try($$UPDATE issues SET status = 'in_progress' WHERE key = 'TECH-7'$$);
-- a closed issue stays closed when other fields change
UPDATE issues SET description = 'Done and dusted' WHERE key = 'TECH-7' RETURNING key, status, closed_at IS NOT NULL AS closed;
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
UPDATE issues SET status = 'open' WHERE key = 'TECH-7' RETURNING key, status, closed_at IS NULL AS reopened;
UPDATE issues SET status = 'in_progress' WHERE key = 'TECH-7' RETURNING key, status, closed_at IS NULL AS not_closed;
UPDATE issues SET status = 'in_review' WHERE key = 'TECH-7' RETURNING key, status, closed_at IS NULL AS not_closed;
UPDATE issues SET status = 'closed' WHERE key = 'TECH-7' RETURNING key, status, closed_at IS NOT NULL AS closed;
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
UPDATE issues SET status = 'open' WHERE key = 'TECH-7' RETURNING key, status, closed_at IS NULL AS reopened;

--
-- 6. Deletes: admins and super admins only
--
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT pg_temp.try($$DELETE FROM issues WHERE key = 'TECH-6'$$);
SELECT pg_temp.try($$DELETE FROM issues WHERE key = 'TECH-999'$$);
SELECT tracker.authenticate(:'sarah') IS NOT NULL AS sarah;
SELECT pg_temp.try($$DELETE FROM issues WHERE key = 'TECH-1'$$);
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT pg_temp.try($$DELETE FROM issues WHERE key = 'TECH-8'$$);
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT pg_temp.try($$DELETE FROM issues WHERE key = 'TECH-6'$$);
SELECT pg_temp.sees();
-- another tenant's admin finds nothing to delete
SELECT tracker.authenticate(:'dsa') IS NOT NULL AS dsa;
SELECT pg_temp.try(format('DELETE FROM tracker_pool.issues WHERE tenant_id = %L', :'ts'));
-- numbers are not reused after a delete
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
INSERT INTO issues (title) VALUES ('After the deletes') RETURNING key;

--
-- 7. Writes without a context: 42501
--
RESET tracker.token;
SELECT tracker.current_tenant() IS NULL AS no_context, current_setting('search_path') AS search_path;
SELECT count(*) AS visible FROM issues;
SELECT pg_temp.try($$INSERT INTO issues (title) VALUES ('Anonymous')$$);
SELECT pg_temp.try(format('INSERT INTO issues (tenant_id, reporter_id, title) VALUES (%L, %L, %L)', :'ts', :'ada_id', 'Anonymous'));
SELECT pg_temp.try($$UPDATE issues SET title = 'Anonymous' WHERE key = 'TECH-1'$$);
SELECT pg_temp.try($$DELETE FROM issues WHERE key = 'TECH-1'$$);

--
-- 8. Cross-tenant: nothing to read, even by id, key or schema
--
RESET ROLE;
SELECT id AS tech1_id FROM tracker_pool.issues WHERE key = 'TECH-1' \gset
SELECT id AS mega1_id FROM tenant_mega_corp.issues WHERE key = 'MEGA-1' \gset
SET ROLE regress_issues_app;
SELECT tracker.authenticate(:'dsa') IS NOT NULL AS dsa;
SELECT count(*) AS by_tenant FROM issues WHERE tenant_id = :'ts';
SELECT count(*) AS by_key FROM issues WHERE key = 'TECH-1';
SELECT count(*) AS by_id FROM issues WHERE id = :'tech1_id';
SELECT count(*) AS by_both FROM tracker_pool.issues WHERE tenant_id = :'ts' AND id = :'tech1_id';
SELECT count(*) AS silo FROM tenant_mega_corp.issues;
SELECT count(*) AS silo_by_id FROM tenant_mega_corp.issues WHERE tenant_id = :'mc' AND id = :'mega1_id';
SELECT pg_temp.try(format('UPDATE tracker_pool.issues SET title = %L WHERE id = %L', 'hijacked', :'tech1_id'));
SELECT pg_temp.try(format('UPDATE tenant_mega_corp.issues SET title = %L WHERE id = %L', 'hijacked', :'mega1_id'));
SELECT pg_temp.try(format('INSERT INTO tracker_pool.issues (tenant_id, title) VALUES (%L, %L)', :'ts', 'planted'));
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT count(*) AS devcorp_issues FROM tracker_pool.issues WHERE tenant_id = :'dc' OR key LIKE 'DEVC-%';
SELECT tracker.authenticate(:'maya') IS NOT NULL AS maya;
SELECT count(*) AS pool_issues FROM tracker_pool.issues;
SELECT count(*) AS by_id FROM tracker_pool.issues WHERE id = :'tech1_id';
-- rows of a tenant in a data schema that is not its own: refused (42501;
-- only the SQLSTATE is recorded here)
SELECT left(pg_temp.try($$INSERT INTO tracker_pool.issues (title) VALUES ('Silo tenant in the pool')$$), 5) AS sqlstate;
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT left(pg_temp.try($$INSERT INTO tenant_mega_corp.issues (title) VALUES ('Pool tenant in the silo')$$), 5) AS sqlstate;
RESET ROLE;
SELECT t.slug, string_agg(i.key, ', ' ORDER BY i.number) AS keys
FROM tracker.tenants t JOIN (SELECT tenant_id, key, number FROM tracker_pool.issues
							UNION ALL SELECT tenant_id, key, number FROM tenant_mega_corp.issues) i
	 ON i.tenant_id = t.id
GROUP BY t.slug ORDER BY t.slug;
SELECT t.slug, i.title FROM tracker.tenants t
JOIN tracker_pool.issues i ON i.tenant_id = t.id WHERE i.title = 'hijacked' OR i.title LIKE '%planted%';

--
-- 9. Filters under RLS use the indexes (status, priority and type are text
--    domains, whose operators are leakproof)
--
-- A few thousand rows for TechStart and many more for DevCorp, loaded as
-- the superuser with the triggers off; fewer than ANALYZE's 30000-row
-- sample, so the statistics are the same on every run.
SET session_replication_role = replica;
INSERT INTO tracker_pool.issues (tenant_id, number, key, title, status, priority, issue_type,
								 reporter_id, assignee_id, created_at, updated_at)
SELECT :'ts', 100 + g, 'TECH-' || (100 + g), 'Bulk issue ' || g,
	   CASE WHEN g % 10 < 5 THEN 'open' WHEN g % 10 = 5 THEN 'in_progress'
			WHEN g % 10 = 6 THEN 'in_review' ELSE 'closed' END,
	   CASE WHEN g % 25 = 0 THEN 'critical' WHEN g % 5 = 1 THEN 'high'
			WHEN g % 5 = 2 THEN 'medium' ELSE 'low' END,
	   (ARRAY['bug', 'feature', 'task', 'story'])[1 + g % 4],
	   :'ada_id', CASE WHEN g % 3 = 0 THEN :'john_id'::uuid END,
	   timestamptz '2030-01-01' - g * interval '10 minutes', timestamptz '2030-01-01'
FROM generate_series(1, 6000) AS g;
INSERT INTO tracker_pool.issues (tenant_id, number, key, title, status, priority, issue_type,
								 reporter_id, assignee_id, created_at, updated_at)
SELECT :'dc', 100 + g, 'DEVC-' || (100 + g), 'Bulk issue ' || g,
	   (ARRAY['open', 'in_progress', 'in_review', 'closed'])[1 + g % 4],
	   (ARRAY['low', 'medium', 'high', 'critical'])[1 + g % 4],
	   (ARRAY['bug', 'feature', 'task', 'story'])[1 + g % 4],
	   :'dsa_id', NULL, timestamptz '2030-01-01' - g * interval '1 minute', timestamptz '2030-01-01'
FROM generate_series(1, 22000) AS g;
RESET session_replication_role;
ANALYZE tracker_pool.issues;
SELECT count(*) AS rows FROM tracker_pool.issues;

SET ROLE regress_issues_app;
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
-- what John can run, and what it returns
SELECT count(*) AS open_issues FROM issues WHERE status = 'open';
SELECT count(*) AS critical_issues FROM issues WHERE priority = 'critical';
SELECT count(*) AS bugs FROM issues WHERE issue_type = 'bug';
EXPLAIN (COSTS OFF) SELECT key, title FROM issues WHERE status = 'open';
EXPLAIN (COSTS OFF) SELECT key, title FROM issues WHERE priority = 'critical';
EXPLAIN (COSTS OFF) SELECT key, title FROM issues WHERE status = 'in_review' AND priority = 'critical';
-- no index has issue_type: the tenant's part of an index narrows the scan,
-- and the type is a filter on the tenant's rows
EXPLAIN (COSTS OFF) SELECT key, title FROM issues WHERE issue_type = 'bug';
-- the newest 50 open issues: straight from the status index, no sort
EXPLAIN (COSTS OFF) SELECT key, title, created_at FROM issues
WHERE status = 'open' ORDER BY created_at DESC LIMIT 50;
SELECT count(*) AS newest_open, min(key) LIKE 'TECH-%' AS own_keys
FROM (SELECT key FROM issues WHERE status = 'open' ORDER BY created_at DESC LIMIT 50) s;
-- the same for an admin, who sees all of the tenant's issues
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
EXPLAIN (COSTS OFF) SELECT key, title, created_at FROM issues
WHERE status = 'open' ORDER BY created_at DESC LIMIT 50;
SELECT count(*) AS open_issues FROM issues WHERE status = 'open';
RESET ROLE;

--
-- Clean up
--
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA tracker_pool CASCADE;
DROP SCHEMA tenant_mega_corp CASCADE;
DROP EXTENSION tracker;
RESET client_min_messages;
DROP ROLE regress_issues_app;
