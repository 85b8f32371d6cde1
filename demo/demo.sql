-- demo/demo.sql: the seeds' two sample companies, end to end.
-- Run by `make demo` (demo/run) as the cluster's superuser, who is also the
-- platform operator here, in database tracker_demo.
\set ON_ERROR_STOP 1
\pset footer off
\set QUIET 1
\set SHOW_CONTEXT never
SET client_min_messages = warning;

\echo
\echo '== 1. Install tracker and register a signing key (operators only; the secret is never shown)'
CREATE EXTENSION tracker;
-- the operator's secret, kept in a psql variable (jwks.json for PostgREST, below, is made from it)
SELECT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') AS demo_secret \gset
SELECT tracker.add_key('demo-hs256', 'HS256', :'demo_secret');
SELECT kid, alg, key_type, active FROM tracker.list_keys();

\echo
\echo '== 2. Provision the seeds'' companies and their users (operator)'
SELECT tracker.create_tenant('techstart', 'TechStart Solutions', 'basic') AS techstart \gset
SELECT tracker.create_tenant('devcorp', 'DevCorp Enterprise', 'premium') AS devcorp \gset
SELECT tracker.add_user(:'techstart', 'admin@techstart.com', 'admin@techstart.com', 'super_admin', 'TechStart Admin'),
       tracker.add_user(:'techstart', 'john@techstart.com', 'john@techstart.com', 'user', 'John'),
       tracker.add_user(:'techstart', 'sarah@techstart.com', 'sarah@techstart.com', 'user', 'Sarah'),
       tracker.add_user(:'devcorp', 'admin@devcorp.com', 'admin@devcorp.com', 'super_admin', 'DevCorp Admin'),
       tracker.add_user(:'devcorp', 'mike@devcorp.com', 'mike@devcorp.com', 'admin', 'Mike'),
       tracker.add_user(:'devcorp', 'lisa@devcorp.com', 'lisa@devcorp.com', 'user', 'Lisa'),
       tracker.add_user(:'devcorp', 'alex@devcorp.com', 'alex@devcorp.com', 'user', 'Alex') \gset
SELECT slug, name, tier, max_users, key_prefix, data_schema FROM tracker.tenants ORDER BY created_at;

-- Tokens as the identity provider would mint them (valid for 8 hours).
CREATE TEMP TABLE demo_tokens AS
SELECT u.subject, t.slug,
       tracker.sign_token(jsonb_build_object('sub', u.subject, 'tenant_id', u.tenant_id,
                                             'role', 'tracker_user',  -- the database role PostgREST switches to
                                             'exp', extract(epoch FROM now() + interval '8 hours')::bigint),
                          'demo-hs256') AS token
FROM tracker_pool.users u JOIN tracker.tenants t ON t.id = u.tenant_id;
GRANT SELECT ON demo_tokens TO PUBLIC;
SELECT token AS admin_ts FROM demo_tokens WHERE subject = 'admin@techstart.com' \gset
SELECT token AS john FROM demo_tokens WHERE subject = 'john@techstart.com' \gset
SELECT token AS sarah FROM demo_tokens WHERE subject = 'sarah@techstart.com' \gset
SELECT token AS admin_dc FROM demo_tokens WHERE subject = 'admin@devcorp.com' \gset
SELECT token AS mike FROM demo_tokens WHERE subject = 'mike@devcorp.com' \gset
SELECT token AS lisa FROM demo_tokens WHERE subject = 'lisa@devcorp.com' \gset
SELECT token AS alex FROM demo_tokens WHERE subject = 'alex@devcorp.com' \gset

-- Everything below runs as an ordinary login role; only tokens differ.
DROP ROLE IF EXISTS demo_app;
CREATE ROLE demo_app LOGIN IN ROLE tracker_user;
SET ROLE demo_app;

\echo
\echo '== 3. Each company enters its own data, as its own users (seed 001, and a few more)'
-- TechStart: the super admin sets up the team; Sarah reports, the admin assigns.
SELECT tracker.authenticate(:'admin_ts') IS NOT NULL AS admin_techstart;
SELECT tracker.create_team('Backend Development', 'Responsible for server-side development and APIs',
                           (SELECT id FROM users WHERE subject = 'john@techstart.com')) AS backend \gset
SELECT count(tracker.add_team_member(:'backend', id)) AS members_added FROM users WHERE subject = 'sarah@techstart.com';
INSERT INTO issues (title, description, priority, issue_type)
VALUES ('Upgrade the database driver', 'Security fixes in the new release', 'medium', 'task');

SELECT tracker.authenticate(:'sarah') IS NOT NULL AS sarah;
INSERT INTO issues (title, description, priority, issue_type, due_date, labels, estimated_hours, story_points)
VALUES ('User login page loading slowly',
        'Users reporting that the login page takes more than 5 seconds to load',
        'high', 'bug', current_date + 5, '{performance,login,urgent}', 8, 3);
INSERT INTO issues (title, issue_type, assignee_id)
VALUES ('Write onboarding notes', 'task', tracker.current_user_id());

SELECT tracker.authenticate(:'admin_ts') IS NOT NULL AS admin_techstart;
UPDATE issues SET assignee_id = (SELECT id FROM users WHERE subject = 'john@techstart.com'),
                  team_id = :'backend'
WHERE title = 'User login page loading slowly';
INSERT INTO comments (issue_id, content, internal)
SELECT id, 'Customer escalation: keep an eye on this one.', true FROM issues WHERE key = 'TECH-2';

SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
INSERT INTO comments (issue_id, content, mentions)
SELECT i.id, 'I can reproduce this on staging. @sarah can you share the browser logs?',
       ARRAY[(SELECT id FROM users WHERE subject = 'sarah@techstart.com')]
FROM issues i WHERE i.key = 'TECH-2';

-- DevCorp: Mike leads Frontend Experience; the seed's dark-mode feature.
SELECT tracker.authenticate(:'admin_dc') IS NOT NULL AS admin_devcorp;
SELECT tracker.create_team('Frontend Experience', 'User interface and experience',
                           (SELECT id FROM users WHERE subject = 'mike@devcorp.com')) AS frontend \gset
SELECT count(tracker.add_team_member(:'frontend', id)) AS members_added FROM users WHERE subject IN ('lisa@devcorp.com', 'alex@devcorp.com');
INSERT INTO issues (title, description, priority, issue_type, assignee_id, team_id, due_date, labels, estimated_hours, story_points)
VALUES ('Add dark mode theme option', 'Users have requested a dark mode theme for better viewing experience',
        'medium', 'feature', (SELECT id FROM users WHERE subject = 'mike@devcorp.com'), :'frontend',
        current_date + 20, '{ui,enhancement,user-request}', 16, 5),
       ('Security audit follow-up', 'Findings of the yearly audit', 'critical', 'task', NULL, NULL,
        current_date + 10, '{security}', 24, 8);
SELECT tracker.authenticate(:'mike') IS NOT NULL AS mike;
UPDATE issues SET status = 'in_progress' WHERE key = 'DEVC-1';
INSERT INTO comments (issue_id, content, mentions)
SELECT i.id, 'Started on the colour palette. @lisa please review the mockups.',
       ARRAY[(SELECT id FROM users WHERE subject = 'lisa@devcorp.com')]
FROM issues i WHERE i.key = 'DEVC-1';
INSERT INTO issues (title, priority, issue_type, assignee_id)
VALUES ('Fix rounding in the checkout total', 'high', 'bug', (SELECT id FROM users WHERE subject = 'alex@devcorp.com'));

\echo
\echo '== 4. What each user sees (same SQL for everyone: SELECT ... FROM issues)'
CREATE FUNCTION pg_temp.sees(token text) RETURNS TABLE (who text, role text, issues text, comments bigint)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM tracker.authenticate(token);
	RETURN QUERY EXECUTE
		'SELECT tracker.current_subject(), tracker.current_member_role(),
		        (SELECT coalesce(string_agg(key, '', '' ORDER BY number), ''(none)'') FROM issues),
		        (SELECT count(*) FROM comments)';
END $$;
SELECT s.* FROM (VALUES (1, :'john'), (2, :'sarah'), (3, :'admin_ts'),
                        (4, :'mike'), (5, :'lisa'), (6, :'alex'), (7, :'admin_dc')) v(n, t),
     LATERAL pg_temp.sees(v.t) s ORDER BY v.n;

\echo
\echo '== 5. The rules at work, as John (a plain user at TechStart)'
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
\echo '-- allowed: John moves his assigned issue along and records an estimate'
UPDATE issues SET status = 'in_progress', estimated_hours = 6 WHERE key = 'TECH-2'
RETURNING key, status, estimated_hours;
\set ON_ERROR_STOP 0
\echo '-- refused: a plain user may not retitle an issue'
UPDATE issues SET title = 'Login is fine actually' WHERE key = 'TECH-2';
\echo '-- refused: a plain user may not delete an issue'
DELETE FROM issues WHERE key = 'TECH-2';
\echo '-- allowed by the workflow: in_progress -> in_review'
UPDATE issues SET status = 'in_review' WHERE key = 'TECH-2' RETURNING key, status;
\echo '-- refused: in_review may not go back to open'
UPDATE issues SET status = 'open' WHERE key = 'TECH-2';
\echo '-- refused: a cross-tenant read finds nothing, even naming DevCorp''s tenant and key'
SELECT count(*) AS devcorp_rows_visible FROM tracker_pool.issues
WHERE tenant_id = :'devcorp' OR key LIKE 'DEVC-%';
\echo '-- refused: a cross-tenant write'
INSERT INTO tracker_pool.issues (tenant_id, title) VALUES (:'devcorp', 'planted');
\echo '-- refused: a forged token (DevCorp''s admin payload under John''s signature)'
SELECT tracker.authenticate(split_part(:'john', '.', 1) || '.' ||
                            split_part(:'admin_dc', '.', 2) || '.' ||
                            split_part(:'john', '.', 3));
\echo '-- refused: claiming a tenant by setting a variable'
SELECT set_config('tracker.tenant_id', :'devcorp', false);
SET request.jwt.claims = '{"tenant_id": "0", "sub": "admin@devcorp.com"}';
SELECT tracker.current_subject() AS still;
\set ON_ERROR_STOP 1

\echo
\echo '== 6. Operators act on tenants; the change reaches every session at once'
RESET ROLE;
SELECT tracker.set_user_role(id, 'admin', tenant_id) AS sarah_promoted FROM tracker_pool.users WHERE subject = 'sarah@techstart.com';
SET ROLE demo_app;
SELECT tracker.authenticate(:'sarah') IS NOT NULL AS sarah;
SELECT tracker.current_member_role() AS sarah_is_now, count(*) AS issues_she_sees FROM issues;
RESET ROLE;
SELECT tracker.set_user_role(id, 'user', tenant_id) AS sarah_back_to_user FROM tracker_pool.users WHERE subject = 'sarah@techstart.com';

\echo
\echo '== 7. Tiers that do what they promise: API calls counted, a quota and a rate limit per tenant'
\echo '-- every request that establishes a context counted one call; the usage writer keeps them'
SELECT pg_sleep(1.5);
SELECT slug, tier, api_calls_this_month, api_calls_per_month, requests_per_second AS per_second,
       active_users, max_users, issues, comments
FROM tracker.tenant_usage() ORDER BY slug;
\echo '-- TechStart''s operator lowers its quota to what it has used: the next call is refused (PT429, HTTP 429)'
SELECT tracker.set_tenant_limit(id, 'api_calls_per_month',
                                (SELECT api_calls_this_month::integer FROM tracker.tenant_usage(id)))
FROM tracker.tenants WHERE slug = 'techstart';
SET ROLE demo_app;
\set ON_ERROR_STOP 0
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
\set ON_ERROR_STOP 1
RESET ROLE;
\echo '-- and raises it back to the tier''s; every change is in the audit'
SELECT tracker.reset_tenant_limits(id) FROM tracker.tenants WHERE slug = 'techstart';
SELECT actor, action, details FROM tracker.operator_audit ORDER BY id;

\echo
\echo '== 8. HTTP through PostgREST (docs/http.md): the same tenants, the same rules, over REST'
\echo '-- PostgREST logs in as tracker_authenticator; this demo lets it in without a password (local trust)'
ALTER ROLE tracker_authenticator LOGIN;
\echo '-- the postgrest.conf for this database, and the jwks.json it points to, written beside this script:'
\echo '-- (jwks.json holds the HMAC secret: the operator writes it; tracker.http_jwks() exports only public keys)'
\pset format unaligned
\pset tuples_only on
\o postgrest.conf
SELECT tracker.http_config();
\o jwks.json
SELECT jsonb_build_object('keys', jsonb_build_array(jsonb_build_object(
           'kty', 'oct', 'kid', 'demo-hs256', 'alg', 'HS256',
           'k', rtrim(translate(encode(convert_to(:'demo_secret', 'UTF8'), 'base64'), E'+/\n', '-_'), '='))));
\o
\! echo "   $(pwd)/postgrest.conf and $(pwd)/jwks.json; start PostgREST there: postgrest postgrest.conf"
\! grep -v '^#' postgrest.conf | sed 's/^/   /'
\echo '-- then, once PostgREST runs, each seed user over HTTP:'
SELECT format('curl -s "localhost:3000/issues?select=key,title,status,priority&order=created_at.desc" -H "Authorization: Bearer %s"   # %s (%s)',
              token, subject, slug)
FROM demo_tokens ORDER BY slug DESC, subject;
SELECT format('curl -s localhost:3000/rpc/me -H "Authorization: Bearer %s"   # %s: who the token says she is', token, subject)
FROM demo_tokens WHERE subject = 'lisa@devcorp.com';
\pset tuples_only off
\pset format aligned

\echo
\echo '== Ready tokens for the demo users (valid 8 hours). Connect as demo_app (see below), then:'
\echo '   SELECT tracker.authenticate(''<token>'');  SELECT key, title, status FROM issues;'
SELECT slug AS tenant, subject AS user, token FROM demo_tokens ORDER BY slug DESC, subject;
