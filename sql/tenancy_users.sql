--
-- tenancy_users: a tenant's users, and who may manage them
--
-- add_user by operators (any tenant) and super admins (their own tenant,
-- roles user and admin only); the tier's limit on active users;
-- duplicates and invalid values; set_user_role, set_user_active and
-- revoke_user_tokens, and how each reaches a context that is already
-- established; and the users table as tenant users see it (read-only).
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

CREATE ROLE regress_users_plain LOGIN;
CREATE ROLE regress_users_app LOGIN IN ROLE tracker_user;
CREATE ROLE regress_users_op LOGIN IN ROLE tracker_operator;

\set secret `cat test/keys/test-only-hs256.secret`
SELECT tracker.add_key('k1', 'HS256', :'secret');

-- TechStart (basic: at most 5 active users) and DevCorp (premium)
\set ts '11111111-1111-1111-1111-111111111111'
\set dc '22222222-2222-2222-2222-222222222222'
SELECT tracker.create_tenant('techstart', 'TechStart Solutions', 'basic', tenant_id => :'ts') IS NOT NULL AS techstart;
SELECT tracker.create_tenant('devcorp', 'DevCorp Enterprise', 'premium', tenant_id => :'dc') IS NOT NULL AS devcorp;

--
-- 1. Operators add users to any tenant, in any role
--
SET ROLE regress_users_op;
SELECT tracker.add_user(:'ts', 'boss', 'boss@techstart.example', 'super_admin', 'The Boss') AS boss_id \gset
SELECT tracker.add_user(:'ts', 'sam', 'Sam@TechStart.example', 'super_admin') AS sam_id \gset
SELECT tracker.add_user(:'ts', 'ada', 'ada@techstart.example', 'admin') AS ada_id \gset
SELECT tracker.add_user(:'ts', 'john', 'john@techstart.example') AS john_id \gset
SELECT tracker.add_user(:'dc', 'dsa', 'dsa@devcorp.example', 'super_admin') AS dsa_id \gset
SELECT tracker.add_user(:'dc', 'lisa', 'lisa@devcorp.example', 'user', NULL) AS lisa_id \gset
-- the same subject and email in another tenant is another user
SELECT tracker.add_user(:'dc', 'john', 'john@techstart.example', 'user', 'John at DevCorp') AS dc_john_id \gset
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', '99999999-9999-9999-9999-999999999999', 'x', 'x@x.example'));
RESET ROLE;
SELECT t.slug, u.subject, u.email, u.role, u.display_name, u.active, u.tokens_valid_after IS NULL AS no_revocation
FROM tracker_pool.users u JOIN tracker.tenants t ON t.id = u.tenant_id
ORDER BY t.slug, u.subject;

SELECT tracker.sign_token(format('{"sub": "boss", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS boss \gset
SELECT tracker.sign_token(format('{"sub": "sam", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS sam \gset
SELECT tracker.sign_token(format('{"sub": "ada", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS ada \gset
SELECT tracker.sign_token(format('{"sub": "john", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS john \gset
SELECT tracker.sign_token(format('{"sub": "dsa", "tenant_id": "%s"}', :'dc')::jsonb, 'k1') AS dsa \gset
SELECT tracker.sign_token(format('{"sub": "lisa", "tenant_id": "%s"}', :'dc')::jsonb, 'k1') AS lisa \gset

--
-- 2. Super admins add users to their own tenant, as user or admin
--
SET ROLE regress_users_app;
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT tracker.current_member_role();
-- refused: a super admin, and another tenant's users (42501)
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L, %L)', :'ts', 'eve', 'eve@techstart.example', 'super_admin'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'dc', 'eve', 'eve@devcorp.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L, %L)', :'dc', 'eve', 'eve@devcorp.example', 'super_admin'));
SELECT pg_temp.try(format('SELECT tracker.add_user(NULL, %L, %L)', 'eve', 'eve@techstart.example'));
-- refused: duplicates in the tenant (23505); the email compares in lower case
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'john', 'john2@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'john2', 'JOHN@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'sam2', 'sam@techstart.example'));
-- refused: invalid values (22023)
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L, %L)', :'ts', 'eve', 'eve@techstart.example', 'owner'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L, %L)', :'ts', 'eve', 'eve@techstart.example', 'Admin'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L, NULL)', :'ts', 'eve', 'eve@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', '', 'eve@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, NULL, %L)', :'ts', 'eve@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', E'eve\nadmin', 'eve@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve' || chr(7), 'eve@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', repeat('e', 257), 'eve@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve', 'eve'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve', 'eve@'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve', '@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve', 'eve@tech@start.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve', 'eve smith@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, NULL)', :'ts', 'eve'));
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve', repeat('e', 310) || '@techstart.example'));
-- allowed: a user and (below) an admin; the fifth active user fills the tier
SELECT tracker.add_user(:'ts', 'kim', 'kim@techstart.example') AS kim_id \gset
RESET ROLE;
SELECT count(*) FILTER (WHERE active) AS active_users, max_users
FROM tracker_pool.users u JOIN tracker.tenants t ON t.id = u.tenant_id
WHERE t.slug = 'techstart' GROUP BY max_users;

--
-- 3. The tier's limit: 5 active users for basic (53400)
--
SET ROLE regress_users_app;
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L, %L)', :'ts', 'zed', 'zed@techstart.example', 'admin'));
RESET ROLE;
-- operators are held to it too
SET ROLE regress_users_op;
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'zed', 'zed@techstart.example'));
RESET ROLE;
-- deactivating a user frees a seat
SET ROLE regress_users_app;
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT tracker.set_user_active(:'kim_id', false);
SELECT tracker.add_user(:'ts', 'zed', 'zed@techstart.example', 'admin') AS zed_id \gset
-- ... and reactivating one needs a free seat again
SELECT pg_temp.try(format('SELECT tracker.set_user_active(%L, true)', :'kim_id'));
-- reactivating an active user changes nothing and needs no seat
SELECT pg_temp.try(format('SELECT tracker.set_user_active(%L, true)', :'zed_id'));
SELECT tracker.set_user_active(:'zed_id', false);
SELECT tracker.set_user_active(:'kim_id', true);
RESET ROLE;
SELECT subject, role, active FROM tracker_pool.users WHERE tenant_id = :'ts' ORDER BY subject;
-- a raised limit makes room; NULL gives the tier's default back
SELECT tracker.set_tenant_limits(:'ts', 6, NULL);
SELECT tracker.set_user_active(:'zed_id', true);
SELECT tracker.set_user_active(:'zed_id', false);
SELECT tracker.set_tenant_limits(:'ts', NULL, NULL);
SELECT pg_temp.try(format('SELECT tracker.set_user_active(%L, true)', :'zed_id'));

--
-- 4. Admins, users and other roles manage no users (42501)
--
SET ROLE regress_users_app;
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT tracker.current_member_role();
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve', 'eve@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', :'john_id', 'admin'));
SELECT pg_temp.try(format('SELECT tracker.set_user_active(%L, false)', :'john_id'));
SELECT pg_temp.try(format('SELECT tracker.revoke_user_tokens(%L)', :'john_id'));
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT tracker.current_member_role();
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve', 'eve@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', :'john_id', 'admin'));
SELECT pg_temp.try(format('SELECT tracker.set_user_active(%L, false)', :'kim_id'));
SELECT pg_temp.try(format('SELECT tracker.revoke_user_tokens(%L)', :'kim_id'));
-- a tenant user without a context
RESET tracker.token;
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve', 'eve@techstart.example'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L, %L)', :'john_id', 'admin', :'ts'));
RESET ROLE;
-- a role outside the tracker roles cannot even reach the schema
SET ROLE regress_users_plain;
SELECT pg_temp.try(format('SELECT tracker.add_user(%L, %L, %L)', :'ts', 'eve', 'eve@techstart.example'));
RESET ROLE;
SELECT count(*) AS no_eve FROM tracker_pool.users WHERE subject = 'eve';

--
-- 5. set_user_role, and the new role in an established context
--
-- an issue only admins see (reported by the super admin, nobody assigned)
SET ROLE regress_users_app;
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
INSERT INTO issues (title) VALUES ('Budget for next year') RETURNING key;
-- John's session: a plain user, who sees nothing
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT tracker.current_subject(), tracker.current_member_role(), count(*) AS issues FROM issues;
-- the super admin promotes him, in a transaction of its own
BEGIN;
SELECT tracker.authenticate(:'boss', true) IS NOT NULL AS boss;
SELECT tracker.set_user_role(:'john_id', 'admin');
COMMIT;
-- John's context, as it was established, now has the new role
SELECT tracker.current_subject(), tracker.current_member_role(), count(*) AS issues FROM issues;
SELECT role FROM users WHERE subject = 'john';
BEGIN;
SELECT tracker.authenticate(:'boss', true) IS NOT NULL AS boss;
SELECT tracker.set_user_role(:'john_id', 'user');
-- setting the role a user already has is harmless
SELECT tracker.set_user_role(:'john_id', 'user');
COMMIT;
SELECT tracker.current_subject(), tracker.current_member_role(), count(*) AS issues FROM issues;
-- the same when an operator (here the superuser) changes it: John's context
-- stays established across RESET ROLE / SET ROLE
RESET ROLE;
SELECT tracker.set_user_role(:'john_id', 'admin', :'ts');
SET ROLE regress_users_app;
SELECT tracker.current_subject(), tracker.current_member_role(), count(*) AS issues FROM issues;
RESET ROLE;
SELECT tracker.set_user_role(:'john_id', 'user', :'ts');
SET ROLE regress_users_app;
SELECT tracker.current_subject(), tracker.current_member_role(), count(*) AS issues FROM issues;

-- what a super admin may not do (42501), and bad values (22023, 42704)
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', :'john_id', 'super_admin'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', :'ada_id', 'super_admin'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', :'sam_id', 'admin'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', :'sam_id', 'user'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', :'boss_id', 'admin'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L, %L)', :'lisa_id', 'admin', :'dc'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', :'lisa_id', 'admin'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', :'john_id', 'owner'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, NULL)', :'john_id'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', '99999999-9999-9999-9999-999999999999', 'admin'));
-- an admin can be made a user and an admin again
SELECT tracker.set_user_role(:'ada_id', 'user');
SELECT subject, role FROM users WHERE subject = 'ada';
SELECT tracker.set_user_role(:'ada_id', 'admin');
SELECT subject, role FROM users WHERE subject = 'ada';
RESET ROLE;

-- operators may touch super admins, in any tenant; without a context of
-- their own they must name the tenant (22004)
SET ROLE regress_users_op;
RESET tracker.token;
SELECT tracker.set_user_role(:'sam_id', 'admin', :'ts');
SELECT tracker.set_user_role(:'lisa_id', 'super_admin', :'dc');
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L)', :'sam_id', 'user'));
SELECT pg_temp.try(format('SELECT tracker.set_user_role(%L, %L, %L)', :'sam_id', 'user', :'dc'));
RESET ROLE;
SELECT subject, role FROM tracker_pool.users WHERE subject IN ('sam', 'lisa') ORDER BY subject;
-- Sam's new role reaches his token; then he is a super admin again
SET ROLE regress_users_app;
SELECT tracker.authenticate(:'sam') IS NOT NULL AS sam;
SELECT tracker.current_member_role(), count(*) AS issues FROM issues;
RESET ROLE;
SET ROLE regress_users_op;
SELECT tracker.set_user_role(:'sam_id', 'super_admin', :'ts');
SELECT tracker.set_user_role(:'lisa_id', 'user', :'dc');
RESET ROLE;
SET ROLE regress_users_app;
SELECT tracker.current_subject(), tracker.current_member_role();
RESET ROLE;

--
-- 6. set_user_active: a deactivated user's context stops at once
--
SET ROLE regress_users_app;
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
BEGIN;
SELECT tracker.authenticate(:'boss', true) IS NOT NULL AS boss;
SELECT tracker.set_user_active(:'john_id', false);
COMMIT;
SELECT pg_temp.try('SELECT count(*) FROM issues');
SELECT pg_temp.try('SELECT tracker.current_member_role()');
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'john'));
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT subject, active FROM users WHERE subject = 'john';
-- deactivating twice is harmless
SELECT tracker.set_user_active(:'john_id', false);
SELECT tracker.set_user_active(:'john_id', true);
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'john'));
SELECT tracker.current_subject();
-- refused: a super admin cannot deactivate itself or another super admin
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT pg_temp.try(format('SELECT tracker.set_user_active(%L, false)', :'boss_id'));
SELECT pg_temp.try(format('SELECT tracker.set_user_active(%L, false)', :'sam_id'));
SELECT pg_temp.try(format('SELECT tracker.set_user_active(%L, false, %L)', :'lisa_id', :'dc'));
SELECT pg_temp.try(format('SELECT tracker.set_user_active(%L, NULL)', :'john_id'));
RESET ROLE;
-- an operator may
SET ROLE regress_users_op;
SELECT tracker.set_user_active(:'sam_id', false, :'ts');
RESET ROLE;
SET ROLE regress_users_app;
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'sam'));
RESET ROLE;
SET ROLE regress_users_op;
SELECT tracker.set_user_active(:'sam_id', true, :'ts');
RESET ROLE;
SET ROLE regress_users_app;
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'sam'));
RESET ROLE;

--
-- 7. revoke_user_tokens: tokens issued before it stop working
--
-- a token without iat, and one issued two seconds from now (within the leeway)
\set john_noiat `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k1"}' '{"sub":"john","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
SET ROLE regress_users_app;
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'john_noiat'));
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
BEGIN;
SELECT tracker.authenticate(:'boss', true) IS NOT NULL AS boss;
SELECT tracker.revoke_user_tokens(:'john_id') <= clock_timestamp() AS revoked;
COMMIT;
SELECT pg_temp.try('SELECT tracker.current_subject()');
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'john'));
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'john_noiat'));
\set john_new `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --iat-offset 2 --claims '{"sub":"john","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'john_new'));
SELECT tracker.current_subject();
-- other users' tokens are untouched
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'ada'));
-- refused: a super admin's tokens, for a super admin; users and admins (42501)
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT pg_temp.try(format('SELECT tracker.revoke_user_tokens(%L)', :'sam_id'));
SELECT pg_temp.try(format('SELECT tracker.revoke_user_tokens(%L, %L)', :'lisa_id', :'dc'));
SELECT pg_temp.try(format('SELECT tracker.revoke_user_tokens(%L)', :'lisa_id'));
RESET ROLE;
SELECT subject, tokens_valid_after IS NOT NULL AS revoked FROM tracker_pool.users
WHERE tenant_id = :'ts' ORDER BY subject;
-- an operator may revoke a super admin's tokens
SET ROLE regress_users_op;
SELECT tracker.revoke_user_tokens(:'sam_id', :'ts') IS NOT NULL AS revoked;
RESET ROLE;
SET ROLE regress_users_app;
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'sam'));
RESET ROLE;

--
-- 8. The users table: every member reads its tenant's users, none else's,
--    and nobody writes it directly
--
SET ROLE regress_users_app;
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT subject, email, role, active FROM users ORDER BY subject;
SELECT tracker.authenticate(:'john_new') IS NOT NULL AS john;
SELECT string_agg(subject, ', ' ORDER BY subject) AS john_sees FROM users;
SELECT count(*) AS devcorp_users FROM tracker_pool.users WHERE tenant_id = :'dc';
SELECT count(*) AS by_id FROM tracker_pool.users WHERE id IN (:'dsa_id', :'lisa_id', :'dc_john_id');
SELECT count(*) AS by_subject FROM users WHERE subject = 'dsa';
SELECT tracker.authenticate(:'lisa') IS NOT NULL AS lisa;
SELECT subject, email, role, active FROM users ORDER BY subject;
SELECT count(*) AS techstart_users FROM tracker_pool.users WHERE tenant_id = :'ts';
-- writes: refused for every role, the super admin included (42501)
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT pg_temp.try(format($$INSERT INTO users (tenant_id, subject, email) VALUES (%L, 'eve', 'eve@techstart.example')$$, :'ts'));
SELECT pg_temp.try($$INSERT INTO users (subject, email) VALUES ('eve', 'eve@techstart.example')$$);
SELECT pg_temp.try($$UPDATE users SET role = 'super_admin' WHERE subject = 'john'$$);
SELECT pg_temp.try($$UPDATE users SET active = true$$);
SELECT pg_temp.try($$DELETE FROM users WHERE subject = 'john'$$);
SELECT pg_temp.try('TRUNCATE users');
SELECT tracker.authenticate(:'john_new') IS NOT NULL AS john;
SELECT pg_temp.try($$UPDATE users SET role = 'admin' WHERE subject = 'john'$$);
SELECT pg_temp.try($$DELETE FROM users$$);
SELECT tracker.authenticate(:'dsa') IS NOT NULL AS dsa;
SELECT pg_temp.try(format($$INSERT INTO tracker_pool.users (tenant_id, subject, email) VALUES (%L, 'eve', 'eve@techstart.example')$$, :'ts'));
RESET ROLE;
-- operators list every tenant's users, and write them only through the functions
SET ROLE regress_users_op;
RESET tracker.token;
SELECT t.slug, count(*) AS users FROM tracker_pool.users u JOIN tracker.tenants t ON t.id = u.tenant_id
GROUP BY t.slug ORDER BY t.slug;
SELECT pg_temp.try($$UPDATE tracker_pool.users SET role = 'admin'$$);
SELECT pg_temp.try($$DELETE FROM tracker_pool.users$$);
RESET ROLE;
SELECT t.slug, u.subject, u.role, u.active FROM tracker_pool.users u JOIN tracker.tenants t ON t.id = u.tenant_id
ORDER BY t.slug, u.subject;

--
-- Clean up
--
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA tracker_pool CASCADE;
DROP EXTENSION tracker;
RESET client_min_messages;
DROP ROLE regress_users_plain;
DROP ROLE regress_users_app;
DROP ROLE regress_users_op;
