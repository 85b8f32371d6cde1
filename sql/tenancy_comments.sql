--
-- tenancy_comments: comments on issues
--
-- Comments are visible with their issue only; internal ones only to admins
-- and super admins (plain users can neither read nor write them).  Author,
-- tenant and times come from the context; only the author edits (content
-- and mentions); the author or an admin deletes; mentions must be users of
-- the tenant.
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

-- The comments the context sees: issue key, author, internal, content
CREATE FUNCTION pg_temp.comments() RETURNS TABLE (issue text, author text, internal boolean, content text)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE $q$
		SELECT i.key, u.subject::text, c.internal, c.content
		FROM comments c
		LEFT JOIN issues i ON i.tenant_id = c.tenant_id AND i.id = c.issue_id
		LEFT JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.author_id
		ORDER BY i.key COLLATE "C", c.content COLLATE "C" $q$;
END
$$;

CREATE ROLE regress_comments_app LOGIN IN ROLE tracker_user;

\set secret `cat test/keys/test-only-hs256.secret`
SELECT tracker.add_key('k1', 'HS256', :'secret');

\set ts '11111111-1111-1111-1111-111111111111'
\set dc '22222222-2222-2222-2222-222222222222'
SELECT tracker.create_tenant('techstart', 'TechStart Solutions', 'basic', tenant_id => :'ts') IS NOT NULL AS techstart;
SELECT tracker.create_tenant('devcorp', 'DevCorp Enterprise', 'premium', tenant_id => :'dc') IS NOT NULL AS devcorp;
SELECT tracker.add_user(:'ts', 'boss', 'boss@techstart.example', 'super_admin') AS boss_id \gset
SELECT tracker.add_user(:'ts', 'ada', 'ada@techstart.example', 'admin') AS ada_id \gset
SELECT tracker.add_user(:'ts', 'john', 'john@techstart.example', 'user') AS john_id \gset
SELECT tracker.add_user(:'ts', 'sarah', 'sarah@techstart.example', 'user') AS sarah_id \gset
SELECT tracker.add_user(:'dc', 'dsa', 'dsa@devcorp.example', 'super_admin') AS dsa_id \gset
SELECT tracker.add_user(:'dc', 'lisa', 'lisa@devcorp.example', 'user') AS lisa_id \gset
SELECT tracker.sign_token(format('{"sub": "boss", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS boss \gset
SELECT tracker.sign_token(format('{"sub": "ada", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS ada \gset
SELECT tracker.sign_token(format('{"sub": "john", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS john \gset
SELECT tracker.sign_token(format('{"sub": "sarah", "tenant_id": "%s"}', :'ts')::jsonb, 'k1') AS sarah \gset
SELECT tracker.sign_token(format('{"sub": "dsa", "tenant_id": "%s"}', :'dc')::jsonb, 'k1') AS dsa \gset
SELECT tracker.sign_token(format('{"sub": "lisa", "tenant_id": "%s"}', :'dc')::jsonb, 'k1') AS lisa \gset

SET ROLE regress_comments_app;
-- TECH-1 is John's (assigned), TECH-2 nobody's, TECH-3 Sarah's; DEVC-1 Lisa's
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
INSERT INTO issues (title, assignee_id) VALUES ('Login page is slow', :'john_id') RETURNING key, id AS tech1 \gset
INSERT INTO issues (title) VALUES ('Budget review') RETURNING key, id AS tech2 \gset
INSERT INTO issues (title, assignee_id) VALUES ('Onboarding notes', :'sarah_id') RETURNING key, id AS tech3 \gset
SELECT tracker.authenticate(:'lisa') IS NOT NULL AS lisa;
INSERT INTO issues (title) VALUES ('Checkout rounding') RETURNING key, id AS devc1 \gset
SELECT key FROM issues;

--
-- 1. Writing comments: author, tenant and times from the context
--
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
INSERT INTO comments (issue_id, content) VALUES (:'tech1', 'A: looking into it')
RETURNING internal, author_id = tracker.current_user_id() AS author_is_me,
	tenant_id = tracker.current_tenant() AS own_tenant, mentions, created_at IS NOT NULL AS stamped,
	edited_at IS NULL AS not_edited;
INSERT INTO comments (issue_id, content, internal) VALUES (:'tech1', 'A: internal: customer escalation', true)
RETURNING internal, author_id = tracker.current_user_id() AS author_is_me;
INSERT INTO comments (issue_id, content, internal) VALUES (:'tech2', 'A: internal: budget is tight', true)
RETURNING internal;
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
INSERT INTO comments (issue_id, content, internal) VALUES (:'tech3', 'B: internal: keep it short', true)
RETURNING internal, author_id = tracker.current_user_id() AS author_is_me;
-- a plain user, on an issue they see, with a mention; client times are replaced
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
INSERT INTO comments (issue_id, content, mentions, created_at, edited_at)
VALUES (:'tech1', 'J: reproduced on staging', ARRAY[:'sarah_id', :'ada_id']::uuid[], '2000-01-01', '2000-01-02')
RETURNING internal, author_id = tracker.current_user_id() AS author_is_me,
	tenant_id = tracker.current_tenant() AS own_tenant, cardinality(mentions) AS mentions,
	created_at > '2001-01-01' AS created_now, edited_at IS NULL AS not_edited;
-- ... naming themselves and their tenant is fine
INSERT INTO comments (tenant_id, author_id, issue_id, content)
VALUES (:'ts', :'john_id', :'tech1', 'J: second thoughts') RETURNING author_id = :'john_id' AS john;
-- refused: an internal comment, another author, another tenant (42501)
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content, internal) VALUES (%L, %L, true)', :'tech1', 'J: internal?'));
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content, author_id) VALUES (%L, %L, %L)', :'tech1', 'J: as Ada', :'ada_id'));
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content, tenant_id) VALUES (%L, %L, %L)', :'tech1', 'J: elsewhere', :'dc'));
-- refused: an issue they cannot see, another tenant's, none at all (42501)
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content) VALUES (%L, %L)', :'tech2', 'J: on the budget'));
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content) VALUES (%L, %L)', :'devc1', 'J: on DevCorp'));
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content) VALUES (%L, %L)', '99999999-9999-9999-9999-999999999999', 'J: on nothing'));
-- refused: empty content (23514)
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content) VALUES (%L, %L)', :'tech1', '  '));

--
-- 2. Mentions must be users of the tenant (23503)
--
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content, mentions) VALUES (%L, %L, ARRAY[%L]::uuid[])',
	:'tech1', 'J: hey Lisa', :'lisa_id'));
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content, mentions) VALUES (%L, %L, ARRAY[%L, %L]::uuid[])',
	:'tech1', 'J: hey both', :'sarah_id', :'lisa_id'));
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content, mentions) VALUES (%L, %L, ARRAY[%L]::uuid[])',
	:'tech1', 'J: hey nobody', '99999999-9999-9999-9999-999999999999'));
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content, mentions, internal) VALUES (%L, %L, ARRAY[%L]::uuid[], true)',
	:'tech1', 'A: hey Lisa', :'lisa_id'));
SELECT tracker.authenticate(:'lisa') IS NOT NULL AS lisa;
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content, mentions) VALUES (%L, %L, ARRAY[%L]::uuid[])',
	:'devc1', 'L: hey John', :'john_id'));
INSERT INTO comments (issue_id, content, mentions) VALUES (:'devc1', 'L: note to self', ARRAY[:'lisa_id']::uuid[])
RETURNING cardinality(mentions) AS mentions;

--
-- 3. Reading: with the issue only; internal ones for admins only
--
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT * FROM pg_temp.comments();
SELECT count(*) AS internal FROM comments WHERE internal;
SELECT count(*) AS on_tech2 FROM comments WHERE issue_id = :'tech2';
SELECT tracker.authenticate(:'sarah') IS NOT NULL AS sarah;
-- mentioned on TECH-1, but TECH-1 is not hers to see; TECH-3's comment is internal
SELECT * FROM pg_temp.comments();
SELECT count(*) AS on_tech1 FROM comments WHERE issue_id = :'tech1';
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT * FROM pg_temp.comments();
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT * FROM pg_temp.comments();
SELECT tracker.authenticate(:'dsa') IS NOT NULL AS dsa;
SELECT * FROM pg_temp.comments();
SELECT count(*) AS techstart_comments FROM tracker_pool.comments
WHERE tenant_id = :'ts' OR issue_id IN (:'tech1', :'tech2', :'tech3');

--
-- 4. Editing: the author only, content and mentions only
--
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
UPDATE comments SET content = 'J: reproduced on staging and prod', mentions = ARRAY[:'sarah_id']::uuid[]
WHERE content = 'J: reproduced on staging'
RETURNING content, cardinality(mentions) AS mentions, edited_at IS NOT NULL AS edited, edited_at >= created_at AS after;
-- refused: changing the internal flag, the author, the issue, the creation time (42501)
SELECT pg_temp.try($$UPDATE comments SET internal = true WHERE content = 'J: second thoughts'$$);
SELECT pg_temp.try(format('UPDATE comments SET author_id = %L WHERE content = %L', :'sarah_id', 'J: second thoughts'));
SELECT pg_temp.try(format('UPDATE comments SET issue_id = %L WHERE content = %L', :'tech3', 'J: second thoughts'));
SELECT pg_temp.try($$UPDATE comments SET created_at = now() - interval '1 day' WHERE content = 'J: second thoughts'$$);
-- refused: a mention outside the tenant (23503)
SELECT pg_temp.try(format('UPDATE comments SET mentions = ARRAY[%L]::uuid[] WHERE content = %L', :'lisa_id', 'J: second thoughts'));
-- another author's comment in sight is refused, even for an admin (42501:
-- an HTTP client gets 403, not a silent success that changed nothing)
SELECT pg_temp.try($$UPDATE comments SET content = 'J: hijacked' WHERE content = 'A: looking into it'$$);
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT pg_temp.try($$UPDATE comments SET content = 'A: rewritten' WHERE content = 'J: second thoughts'$$);
SELECT pg_temp.try($$UPDATE comments SET content = 'B: rewritten' WHERE content LIKE 'B:%'$$);
-- an admin edits its own, internal ones included, but cannot make them public
UPDATE comments SET content = 'A: internal: customer escalation (P1)' WHERE content = 'A: internal: customer escalation'
RETURNING content, internal, edited_at IS NOT NULL AS edited;
SELECT pg_temp.try($$UPDATE comments SET internal = false WHERE content LIKE 'A: internal: customer%'$$);
-- another tenant's comments are not there to edit
SELECT tracker.authenticate(:'dsa') IS NOT NULL AS dsa;
SELECT pg_temp.try(format('UPDATE tracker_pool.comments SET content = %L WHERE issue_id = %L', 'hijacked', :'tech1'));
SELECT pg_temp.try(format('UPDATE tracker_pool.comments SET content = %L WHERE tenant_id = %L', 'hijacked', :'ts'));

--
-- 5. Deleting: the author, or an admin
--
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT pg_temp.try($$DELETE FROM comments WHERE content = 'A: looking into it'$$);
SELECT pg_temp.try($$DELETE FROM comments WHERE content = 'J: second thoughts'$$);
INSERT INTO comments (issue_id, content) VALUES (:'tech1', 'J: for the admin to delete');
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT pg_temp.try($$DELETE FROM comments WHERE content = 'J: for the admin to delete'$$);
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT pg_temp.try($$DELETE FROM comments WHERE content = 'A: internal: budget is tight'$$);
SELECT tracker.authenticate(:'lisa') IS NOT NULL AS lisa;
SELECT pg_temp.try(format('DELETE FROM tracker_pool.comments WHERE tenant_id = %L', :'ts'));
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT * FROM pg_temp.comments();

--
-- 6. Comments follow their issue's visibility
--
-- John is unassigned from TECH-1: its comments, his own included, go out of sight
BEGIN;
SELECT tracker.authenticate(:'ada', true) IS NOT NULL AS ada;
UPDATE issues SET assignee_id = NULL WHERE key = 'TECH-1';
COMMIT;
SELECT tracker.authenticate(:'john') IS NOT NULL AS john;
SELECT * FROM pg_temp.comments();
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content) VALUES (%L, %L)', :'tech1', 'J: still here?'));
SELECT pg_temp.try($$UPDATE comments SET content = 'J: edited out of sight' WHERE content LIKE 'J:%'$$);
SELECT pg_temp.try($$DELETE FROM comments WHERE content LIKE 'J:%'$$);
-- ... even when the statement names no column of the comment
SELECT pg_temp.try($$UPDATE comments SET content = 'J: edited blind'$$);
SELECT pg_temp.try($$DELETE FROM comments$$);
-- and an admin demoted to user no longer reads or writes internal comments
RESET ROLE;
SELECT tracker.set_user_role(:'ada_id', 'user', :'ts');
SET ROLE regress_comments_app;
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT tracker.current_member_role();
SELECT * FROM pg_temp.comments();
-- (an update naming no column is refused while others' comments are in
-- sight; limited to her own, it reaches only her public comment)
SELECT pg_temp.try($$UPDATE comments SET content = 'A: edited blind'$$);
SELECT pg_temp.try($$UPDATE comments SET content = 'A: edited blind' WHERE author_id = tracker.current_user_id()$$);
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content, internal) VALUES (%L, %L, true)', :'tech1', 'A: internal again'));
RESET ROLE;
SELECT tracker.set_user_role(:'ada_id', 'admin', :'ts');
-- nothing changed behind the curtain
SELECT left(c.content, 40) AS content, c.internal, c.edited_at IS NOT NULL AS edited
FROM tracker_pool.comments c WHERE c.tenant_id = :'ts' ORDER BY c.content COLLATE "C";
SET ROLE regress_comments_app;

--
-- 7. Deleting an issue deletes its comments
--
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
SELECT count(*) AS before FROM comments WHERE issue_id = :'tech1';
DELETE FROM issues WHERE key = 'TECH-1';
SELECT count(*) AS after FROM comments WHERE issue_id = :'tech1';
SELECT * FROM pg_temp.comments();

--
-- 8. Writes without a context: 42501
--
RESET tracker.token;
SELECT count(*) AS visible FROM comments;
SELECT pg_temp.try(format('INSERT INTO comments (issue_id, content) VALUES (%L, %L)', :'tech3', 'anonymous'));
SELECT pg_temp.try(format('INSERT INTO comments (tenant_id, author_id, issue_id, content) VALUES (%L, %L, %L, %L)',
	:'ts', :'ada_id', :'tech3', 'anonymous'));
SELECT pg_temp.try($$UPDATE comments SET content = 'anonymous'$$);
SELECT pg_temp.try($$DELETE FROM comments$$);
RESET ROLE;
SELECT t.slug, count(c.*) AS comments FROM tracker.tenants t LEFT JOIN tracker_pool.comments c ON c.tenant_id = t.id
GROUP BY t.slug ORDER BY 1;

--
-- Clean up
--
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA tracker_pool CASCADE;
DROP EXTENSION tracker;
RESET client_min_messages;
DROP ROLE regress_comments_app;
