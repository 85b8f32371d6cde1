--
-- pooled_session: one server session, as a transaction-mode pooler hands it
-- from client to client.  An attacker (a plain user of tenant "evil") leaves
-- behind everything a session can hold: a temporary view and table named
-- like the tenant tables, a temporary function that copies what it is shown,
-- a search_path, a prepared statement, a cursor, a LISTEN and an advisory
-- lock.  Then the victim (the super admin of tenant "acme") takes the session
-- after each reset the docs allow, and reads and writes.  The victim's reads
-- and writes must always reach acme's rows, and the attacker's spy must see
-- nothing.  (Both play the pool's one login role, as behind a pooler.)
--
CREATE EXTENSION tracker;
SET client_min_messages = warning;
SELECT tracker.add_key('ps', 'HS256', 'pooled-session-test-secret-at-least-32-bytes');
SELECT tracker.create_tenant('acme', 'Acme', 'premium',
                             tenant_id => 'a0000000-0000-4000-8000-00000000000a') IS NOT NULL AS acme,
       tracker.create_tenant('evil', 'Evil', 'basic',
                             tenant_id => 'e0000000-0000-4000-8000-00000000000e') IS NOT NULL AS evil;
SELECT tracker.add_user('a0000000-0000-4000-8000-00000000000a', 'victoria', 'v@acme.example', 'super_admin') IS NOT NULL AS victim,
       tracker.add_user('e0000000-0000-4000-8000-00000000000e', 'mallory', 'm@evil.example', 'user') IS NOT NULL AS attacker;
SELECT tracker.sign_token('{"sub": "victoria", "tenant_id": "a0000000-0000-4000-8000-00000000000a"}', 'ps') AS victim,
       tracker.sign_token('{"sub": "mallory", "tenant_id": "e0000000-0000-4000-8000-00000000000e"}', 'ps') AS attacker \gset
CREATE ROLE regress_pool IN ROLE tracker_user;
-- acme has two issues
SELECT tracker.authenticate(:'victim') IS NOT NULL AS victim;
INSERT INTO issues (title) VALUES ('acme one'), ('acme two');
RESET tracker.token;
RESET search_path;
SET ROLE regress_pool;

-- The attacker's leftovers, made again before each round
CREATE FUNCTION pg_temp.plant() RETURNS void LANGUAGE plpgsql AS $plant$
BEGIN
	DROP VIEW IF EXISTS pg_temp.issues;
	DROP TABLE IF EXISTS pg_temp.comments;
	CREATE TABLE IF NOT EXISTS pg_temp.stolen (what text);
	CREATE OR REPLACE FUNCTION pg_temp.spy(t text) RETURNS boolean LANGUAGE plpgsql AS $spy$
	BEGIN
		INSERT INTO pg_temp.stolen VALUES (t);
		RETURN true;
	END
	$spy$;
	-- a view over the pool named like the tenant table, copying every row
	-- it is shown; and a table that would swallow the victim's comments
	CREATE VIEW pg_temp.issues AS
		SELECT * FROM tracker_pool.issues WHERE pg_temp.spy(title);
	CREATE TABLE pg_temp.comments AS SELECT * FROM tracker_pool.comments WITH NO DATA;
	PERFORM set_config('search_path', 'pg_temp, tracker_pool, public', false);
END
$plant$;

-- The victim's round: what "SELECT ... FROM issues" shows, and where
-- "INSERT INTO comments" lands, written as the victim would (unqualified)
CREATE FUNCTION pg_temp.victim_round(label text)
RETURNS TABLE (round text, issues_seen bigint, comments_in_acme bigint, comments_elsewhere bigint)
LANGUAGE plpgsql AS $round$
BEGIN
	EXECUTE 'INSERT INTO comments (issue_id, content) SELECT id, $1 FROM issues ORDER BY number LIMIT 1'
		USING 'comment in ' || label;
	RETURN QUERY EXECUTE $q$
		SELECT $1, (SELECT count(*) FROM issues),
			   (SELECT count(*) FROM tracker_pool.comments WHERE content = 'comment in ' || $1),
			   (SELECT count(*) FROM pg_temp.comments)$q$
		USING label;
END
$round$;

-- 1. no reset at all: the victim authenticates for the session
SELECT tracker.authenticate(:'attacker') IS NOT NULL AS attacker;
SELECT pg_temp.plant();
PREPARE stolen_plan AS SELECT count(*) FROM pg_temp.stolen;
DECLARE leftover CURSOR WITH HOLD FOR SELECT 1;
LISTEN evil_channel;
SELECT pg_advisory_lock(42) IS NOT NULL AS locked;
SELECT tracker.authenticate(:'victim') IS NOT NULL AS victim;
SHOW search_path;
SELECT * FROM pg_temp.victim_round('no reset');
SELECT count(*) AS stolen FROM pg_temp.stolen;

-- 2. RESET tracker.token between clients, then a transaction-local context
RESET tracker.token;
SELECT pg_temp.plant();
BEGIN;
SELECT tracker.authenticate(:'victim', true) IS NOT NULL AS victim;
SELECT * FROM pg_temp.victim_round('local context');
COMMIT;
SELECT count(*) AS stolen FROM pg_temp.stolen;

-- 3. the attacker authenticates as herself again, then the victim, locally
SELECT tracker.authenticate(:'attacker') IS NOT NULL AS attacker;
SELECT pg_temp.plant();
BEGIN;
SELECT tracker.authenticate(:'victim', true) IS NOT NULL AS victim;
SELECT * FROM pg_temp.victim_round('after the attacker''s own context');
COMMIT;
SELECT count(*) AS stolen FROM pg_temp.stolen;

-- What a pooler must reset, and does with DISCARD ALL: the prepared
-- statement, the cursor, the LISTEN, the advisory lock, the settings and
-- the temporary objects are all still there without it
SELECT count(*) AS prepared FROM pg_prepared_statements;
SELECT count(*) AS cursors FROM pg_cursors;
SELECT count(*) AS channels FROM pg_listening_channels();
SELECT count(*) AS advisory_locks FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- 4. DISCARD ALL, the reset the docs require between clients
RESET ROLE;
DISCARD ALL;
SET client_min_messages = warning;
SET ROLE regress_pool;
SELECT count(*) AS prepared FROM pg_prepared_statements;
SELECT count(*) AS cursors FROM pg_cursors;
SELECT count(*) AS channels FROM pg_listening_channels();
SELECT count(*) AS advisory_locks FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
SELECT to_regclass('pg_temp.issues') IS NULL AS temp_view_gone;
SHOW tracker.token;
SELECT tracker.authenticate(:'victim') IS NOT NULL AS victim;
SELECT count(*) AS issues_seen FROM issues;

-- the victim's comments are all in acme's table, one per round
RESET ROLE;
SELECT tracker.authenticate(:'victim') IS NOT NULL AS victim;
SELECT content FROM comments ORDER BY content COLLATE "C";

RESET tracker.token;
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA tracker_pool CASCADE;
DROP EXTENSION tracker;
DROP ROLE regress_pool;
