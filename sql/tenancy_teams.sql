--
-- tenancy_teams: teams and team members
--
-- create_team, add_team_member and remove_team_member for admins and super
-- admins (plain users: 42501); direct writes to teams and team_members
-- (admins only); leads and members of another tenant (23503); membership
-- changes reaching current_teams() and the issues a member sees at once;
-- and what deleting a team does to its issues and members.
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

CREATE ROLE regress_teams_app LOGIN IN ROLE tracker_user;

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
SELECT tracker.add_user(:'dc', 'dave', 'dave@devcorp.example', 'admin') AS dave_id \gset
SELECT tracker.add_user(:'dc', 'lisa', 'lisa@devcorp.example', 'user') AS lisa_id \gset
SELECT tracker.add_user(:'mc', 'maya', 'maya@mega.example', 'admin') AS maya_id \gset
SELECT tracker.sign_token(format('{"sub": "boss", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS boss \gset
SELECT tracker.sign_token(format('{"sub": "ada", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS ada \gset
SELECT tracker.sign_token(format('{"sub": "john", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS john \gset
SELECT tracker.sign_token(format('{"sub": "sarah", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS sarah \gset
SELECT tracker.sign_token(format('{"sub": "dave", "tenant_id": "%s"}', :'dc')::jsonb, 'k1') AS dave \gset
SELECT tracker.sign_token(format('{"sub": "lisa", "tenant_id": "%s"}', :'dc')::jsonb, 'k1') AS lisa \gset
SELECT tracker.sign_token(format('{"sub": "maya", "tenant_id": "%s"}', :'mc')::jsonb, 'k1') AS maya \gset

-- teams and members of the context's tenant, by name
CREATE FUNCTION pg_temp.roster() RETURNS TABLE (team text, status text, lead text, members text)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE $q$
		SELECT t.name, t.status::text, l.subject,
			   (SELECT string_agg(u.subject, ', ' ORDER BY u.subject)
				FROM team_members m JOIN users u ON u.id = m.user_id
				WHERE m.team_id = t.id)
		FROM teams t LEFT JOIN users l ON l.id = t.lead_id
		ORDER BY t.name $q$;
END
$$;

SET ROLE regress_teams_app;

--
-- 1. create_team: admins and super admins; the lead becomes a member
--
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT tracker.create_team('Backend', 'Server side and APIs', :'john_id') AS backend \gset
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT tracker.create_team('Frontend') AS frontend \gset
SELECT * FROM pg_temp.roster();
SELECT name, description, tenant_id = tracker.current_tenant() AS own_tenant,
	   created_at = updated_at AS fresh
FROM teams ORDER BY name;
-- refused: plain users (42501), with the message
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT pg_temp.try($$SELECT tracker.create_team('Shadow team')$$);
SELECT pg_temp.try(format('SELECT tracker.create_team(%L, %L, %L)', 'Shadow team', '', :'john_id'));
-- refused: a lead from another tenant, or no user at all (23503)
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT pg_temp.try(format('SELECT tracker.create_team(%L, %L, %L)', 'Mixed', '', :'lisa_id'));
SELECT pg_temp.try(format('SELECT tracker.create_team(%L, %L, %L)', 'Mixed', '', '99999999-9999-9999-9999-999999999999'));
-- refused: a duplicate name (23505), an empty name (23514)
SELECT pg_temp.try($$SELECT tracker.create_team('Backend')$$);
SELECT pg_temp.try($$SELECT tracker.create_team('  ')$$);
-- the same name in another tenant is another team
SELECT tracker.authenticate(:'dave') IS NOT NULL AS dave;
SELECT tracker.create_team('Backend', 'DevCorp''s own', :'lisa_id') AS dc_backend \gset
SELECT * FROM pg_temp.roster();
-- without a context: 42501
RESET tracker.token;
SELECT pg_temp.try($$SELECT tracker.create_team('Nobody''s')$$);
SELECT pg_temp.try(format('SELECT tracker.add_team_member(%L, %L)', :'backend', :'sarah_id'));
SELECT pg_temp.try(format('SELECT tracker.remove_team_member(%L, %L)', :'backend', :'john_id'));

--
-- 2. add_team_member and remove_team_member
--
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT tracker.add_team_member(:'frontend', :'sarah_id');
SELECT tracker.add_team_member(:'frontend', :'john_id');
-- adding a member twice is harmless
SELECT tracker.add_team_member(:'frontend', :'sarah_id');
SELECT * FROM pg_temp.roster();
SELECT tracker.remove_team_member(:'frontend', :'john_id') AS removed;
SELECT tracker.remove_team_member(:'frontend', :'john_id') AS removed_again;
-- refused: another tenant's user or team (23503)
SELECT pg_temp.try(format('SELECT tracker.add_team_member(%L, %L)', :'frontend', :'lisa_id'));
SELECT pg_temp.try(format('SELECT tracker.add_team_member(%L, %L)', :'dc_backend', :'sarah_id'));
SELECT pg_temp.try(format('SELECT tracker.add_team_member(%L, %L)', :'dc_backend', :'lisa_id'));
SELECT tracker.remove_team_member(:'dc_backend', :'lisa_id') AS removed_other_tenants;
-- a super admin may too
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT tracker.add_team_member(:'frontend', :'ada_id');
SELECT tracker.remove_team_member(:'frontend', :'ada_id') AS removed;
-- refused: plain users (42501), with the message
SELECT tracker.authenticate(:'sarah') IS NOT NULL AS sarah;
SELECT pg_temp.try(format('SELECT tracker.add_team_member(%L, %L)', :'backend', :'sarah_id'));
SELECT pg_temp.try(format('SELECT tracker.remove_team_member(%L, %L)', :'frontend', :'sarah_id'));
SELECT pg_temp.try(format('SELECT tracker.remove_team_member(%L, %L)', :'backend', :'john_id'));
-- ... who still read every team and member of their tenant, and no other's
SELECT * FROM pg_temp.roster();
SELECT count(*) AS devcorp_teams FROM tracker_pool.teams WHERE tenant_id = :'dc' OR id = :'dc_backend';
SELECT count(*) AS devcorp_members FROM tracker_pool.team_members WHERE tenant_id = :'dc';

--
-- 3. Direct writes: refused for plain users, allowed for admins
--
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT pg_temp.try($$INSERT INTO teams (name) VALUES ('Skunkworks')$$);
SELECT pg_temp.try($$UPDATE teams SET description = 'mine now' WHERE name = 'Backend'$$);
SELECT pg_temp.try($$UPDATE teams SET lead_id = tracker.current_user_id()$$);
SELECT pg_temp.try($$DELETE FROM teams WHERE name = 'Frontend'$$);
SELECT pg_temp.try(format('INSERT INTO team_members (team_id, user_id) VALUES (%L, %L)', :'frontend', :'john_id'));
SELECT pg_temp.try($$UPDATE team_members SET added_at = now()$$);
SELECT pg_temp.try($$DELETE FROM team_members$$);
SELECT pg_temp.try('TRUNCATE teams, team_members');

SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
INSERT INTO teams (name, description) VALUES ('QA', 'Quality')
RETURNING name, status, tenant_id = tracker.current_tenant() AS own_tenant;
UPDATE teams SET status = 'archived', description = 'Quality (archived)' WHERE name = 'QA'
RETURNING name, status, updated_at > created_at AS updated;
INSERT INTO team_members (team_id, user_id) SELECT id, :'sarah_id' FROM teams WHERE name = 'QA'
RETURNING tenant_id = tracker.current_tenant() AS own_tenant, added_at IS NOT NULL AS stamped;
SELECT * FROM pg_temp.roster();
DELETE FROM team_members WHERE team_id = (SELECT id FROM teams WHERE name = 'QA');
DELETE FROM teams WHERE name = 'QA';
-- refused: values outside the domains and constraints
SELECT pg_temp.try($$UPDATE teams SET status = 'deleted' WHERE name = 'Frontend'$$);
SELECT pg_temp.try($$INSERT INTO teams (name) VALUES ('')$$);
SELECT pg_temp.try(format('UPDATE teams SET lead_id = %L WHERE name = %L', :'lisa_id', 'Frontend'));
-- refused: another tenant's rows, named or moved (42501)
SELECT pg_temp.try(format('INSERT INTO teams (tenant_id, name) VALUES (%L, %L)', :'dc', 'Planted'));
SELECT pg_temp.try(format('UPDATE teams SET tenant_id = %L WHERE name = %L', :'dc', 'Frontend'));
SELECT pg_temp.try(format('INSERT INTO team_members (tenant_id, team_id, user_id) VALUES (%L, %L, %L)', :'dc', :'dc_backend', :'lisa_id'));
-- another tenant's teams are out of reach: nothing to update or delete
SELECT pg_temp.try(format('UPDATE tracker_pool.teams SET description = %L WHERE id = %L', 'hijacked', :'dc_backend'));
SELECT pg_temp.try(format('DELETE FROM tracker_pool.teams WHERE id = %L', :'dc_backend'));
SELECT pg_temp.try(format('DELETE FROM tracker_pool.team_members WHERE team_id = %L', :'dc_backend'));
-- refused: rows of this tenant in a data schema that is not its own (42501;
-- only the SQLSTATE is recorded here)
SELECT left(pg_temp.try($$INSERT INTO tenant_mega_corp.teams (name) VALUES ('Planted in the silo')$$), 5) AS sqlstate;
SELECT tracker.authenticate(:'maya') IS NOT NULL AS maya;
SELECT left(pg_temp.try($$INSERT INTO tracker_pool.teams (name) VALUES ('Planted in the pool')$$), 5) AS sqlstate;
SELECT * FROM pg_temp.roster();
SELECT tracker.authenticate(:'dave') IS NOT NULL AS dave;
SELECT * FROM pg_temp.roster();
RESET ROLE;
SELECT t.slug, x.name, x.description FROM tracker_pool.teams x JOIN tracker.tenants t ON t.id = x.tenant_id
UNION ALL
SELECT t.slug, x.name, x.description FROM tenant_mega_corp.teams x JOIN tracker.tenants t ON t.id = x.tenant_id
ORDER BY 1, 2;
SET ROLE regress_teams_app;

--
-- 4. Membership changes reach a member's established context at once
--
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
INSERT INTO issues (title, team_id) VALUES ('Backend outage', :'backend') RETURNING key;
INSERT INTO issues (title, team_id) VALUES ('Frontend polish', :'frontend') RETURNING key;
INSERT INTO issues (title) VALUES ('Nobody''s issue') RETURNING key;
-- John: a member of Backend, so he sees its issue
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT (SELECT string_agg(name, ', ' ORDER BY name) FROM teams WHERE id = ANY (tracker.current_teams())) AS teams,
	   (SELECT string_agg(key, ', ' ORDER BY number) FROM issues) AS issues;
-- an admin adds him to Frontend (in a transaction of its own)
BEGIN;
SELECT tracker.authenticate(:'ada', true) IS NOT NULL AS ada;
SELECT tracker.add_team_member(:'frontend', :'john_id');
COMMIT;
SELECT tracker.current_subject(),
	   (SELECT string_agg(name, ', ' ORDER BY name) FROM teams WHERE id = ANY (tracker.current_teams())) AS teams,
	   (SELECT string_agg(key, ', ' ORDER BY number) FROM issues) AS issues;
-- ... and removes him from Backend
BEGIN;
SELECT tracker.authenticate(:'ada', true) IS NOT NULL AS ada;
SELECT tracker.remove_team_member(:'backend', :'john_id') AS removed;
COMMIT;
SELECT tracker.current_subject(),
	   (SELECT string_agg(name, ', ' ORDER BY name) FROM teams WHERE id = ANY (tracker.current_teams())) AS teams,
	   (SELECT string_agg(key, ', ' ORDER BY number) FROM issues) AS issues;
SELECT count(*) AS backend_issue FROM issues WHERE team_id = :'backend';
-- direct writes to team_members count the same
BEGIN;
SELECT tracker.authenticate(:'ada', true) IS NOT NULL AS ada;
INSERT INTO team_members (team_id, user_id) VALUES (:'backend', :'john_id');
DELETE FROM team_members WHERE team_id = :'frontend' AND user_id = :'john_id';
COMMIT;
SELECT tracker.current_subject(),
	   (SELECT string_agg(name, ', ' ORDER BY name) FROM teams WHERE id = ANY (tracker.current_teams())) AS teams,
	   (SELECT string_agg(key, ', ' ORDER BY number) FROM issues) AS issues;
-- Sarah (Frontend) sees Frontend's issue only
SELECT tracker.authenticate(:'sarah') IS NOT NULL AS sarah;
SELECT (SELECT string_agg(name, ', ' ORDER BY name) FROM teams WHERE id = ANY (tracker.current_teams())) AS teams,
	   (SELECT string_agg(key, ', ' ORDER BY number) FROM issues) AS issues;

--
-- 5. Deleting a team: its issues lose the team, its members go
--
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
BEGIN;
SELECT tracker.authenticate(:'ada', true) IS NOT NULL AS ada;
DELETE FROM teams WHERE name = 'Backend';
SELECT key, team_id IS NULL AS no_team FROM issues ORDER BY number;
SELECT count(*) AS backend_members FROM team_members WHERE team_id = :'backend';
COMMIT;
-- John's context has lost the team, and with it the issue
SELECT tracker.current_subject(), cardinality(tracker.current_teams()) AS teams,
	   (SELECT count(*) FROM issues) AS issues;
-- the super admin may delete teams too, members and all
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
DELETE FROM teams WHERE name = 'Frontend';
SELECT * FROM pg_temp.roster();
SELECT key, team_id IS NULL AS no_team FROM issues ORDER BY number;
RESET ROLE;
SELECT t.slug, count(m.*) AS members FROM tracker.tenants t LEFT JOIN tracker_pool.team_members m ON m.tenant_id = t.id
WHERE t.slug IN ('techstart', 'devcorp') GROUP BY t.slug ORDER BY 1;

--
-- Clean up
--
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA tracker_pool CASCADE;
DROP SCHEMA tenant_mega_corp CASCADE;
DROP EXTENSION tracker;
RESET client_min_messages;
DROP ROLE regress_teams_app;
