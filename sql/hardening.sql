--
-- hardening: what the extension's own code resolves through the caller's
-- search_path (nothing), who may call the privileged functions (operators
-- only, however the call reaches them), and how issue numbers behave.
--
CREATE EXTENSION tracker;
SET client_min_messages = warning;
SELECT tracker.add_key('hd', 'HS256', 'hardening-test-secret-of-at-least-32-bytes');
SELECT tracker.create_tenant('acme', 'Acme', 'premium',
                             tenant_id => 'a0000000-0000-4000-8000-00000000000a') IS NOT NULL AS acme,
       tracker.create_tenant('vault', 'Vault', 'platinum',
                             tenant_id => 'b0000000-0000-4000-8000-00000000000b') IS NOT NULL AS vault;
SELECT tracker.add_user('a0000000-0000-4000-8000-00000000000a', 'sam', 'sam@acme.example', 'super_admin') IS NOT NULL,
       tracker.add_user('a0000000-0000-4000-8000-00000000000a', 'uma', 'uma@acme.example', 'user') IS NOT NULL,
       tracker.add_user('b0000000-0000-4000-8000-00000000000b', 'vic', 'vic@vault.example', 'super_admin') IS NOT NULL;
SELECT tracker.sign_token('{"sub": "sam", "tenant_id": "a0000000-0000-4000-8000-00000000000a"}', 'hd') AS sam,
       tracker.sign_token('{"sub": "uma", "tenant_id": "a0000000-0000-4000-8000-00000000000a"}', 'hd') AS uma,
       tracker.sign_token('{"sub": "vic", "tenant_id": "b0000000-0000-4000-8000-00000000000b"}', 'hd') AS vic \gset
CREATE ROLE regress_hostile IN ROLE tracker_user;
CREATE ROLE regress_hd_operator IN ROLE tracker_operator;

--
-- 1. A hostile search_path.  Schema regress_evil, which the tenant user
-- may create in, shadows every operator and function tracker's SQL uses,
-- and every table name it reads; each one, when called, says so with a
-- WARNING naming the role it runs as.  The tenant user puts it first, even
-- before pg_catalog, and then uses every way in: writes through the C
-- triggers (the issue counter runs as the table's owner), the policies,
-- the workflow, mentions, team and user management, and the SECURITY
-- DEFINER functions; then an operator and a superuser do the same with
-- theirs.  No WARNING may appear, and function statistics show that every
-- function of the extension ran under the hostile path.
--
-- First, what the catalog can prove: every function of the extension
-- that is not C pins its search_path, except the upgrade procedure, which
-- commits and so cannot (every name in it is qualified).
SELECT p.oid::regprocedure AS unpinned
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tracker'
WHERE p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%')
ORDER BY 1::text;
SET track_functions = 'all';
CREATE SCHEMA regress_evil;
GRANT USAGE, CREATE ON SCHEMA regress_evil TO regress_hostile;
SET ROLE regress_hostile;
CREATE FUNCTION regress_evil.said(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	RAISE WARNING 'hostile % ran as %', what, current_user;
	RETURN true;
END
$$;
DO $evil$
DECLARE
	t text;
	op text;
	f text;
BEGIN
	-- operators on every type the extension compares or computes with
	FOREACH t IN ARRAY ARRAY['integer', 'bigint', 'smallint', 'uuid', 'text', 'timestamptz',
							  'boolean', 'name', 'numeric', 'date', 'interval', 'jsonb', 'uuid[]', 'text[]']
	LOOP
		FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>=', '+', '-', '||', '~', '!~', '?']
		LOOP
			f := format('regress_evil.op_%s_%s', md5(t || op), 'x');
			EXECUTE format('CREATE FUNCTION %s(a %s, b %s) RETURNS boolean LANGUAGE sql AS %L',
						   f, t, t, format('SELECT regress_evil.said(%L)', 'operator ' || op || ' on ' || t));
			BEGIN
				EXECUTE format('CREATE OPERATOR regress_evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %s)',
							   op, t, t, f);
			EXCEPTION WHEN OTHERS THEN NULL;	-- (a few pairs make no operator)
			END;
		END LOOP;
	END LOOP;
	-- functions with the names and argument types tracker's SQL calls
	FOREACH f IN ARRAY ARRAY['now()', 'gen_random_uuid()', 'clock_timestamp()',
							 'length(text)', 'btrim(text)', 'lower(text)', 'upper(text)', 'left(text, integer)',
							 'format(text)', 'replace(text, text, text)', 'regexp_replace(text, text, text, text)',
							 'cardinality(anyarray)', 'array_position(anyarray, anyelement)',
							 'unnest(anyarray)', 'set_config(text, text, boolean)', 'current_setting(text)',
							 'concat(text, text, text)', 'string_agg(text, text)', 'encode(bytea, text)',
							 'sha256(bytea)', 'extract(text, timestamptz)', 'date_part(text, interval)',
							 'to_char(double precision, text)', 'array_to_string(anyarray, text)',
							 'jsonb_typeof(jsonb)', 'jsonb_array_elements(jsonb)', 'min(timestamptz)',
							 'array_append(anyarray, anyelement)', 'nullif(text, text)',
							 'to_regclass(text)', 'quote_ident(text)', 'md5(text)']
	LOOP
		BEGIN
			EXECUTE format('CREATE FUNCTION regress_evil.%s RETURNS boolean LANGUAGE sql AS %L',
						   regexp_replace(f, '\(([^)]*)\)', '(\1)'),
						   format('SELECT regress_evil.said(%L)', 'function ' || f));
		EXCEPTION WHEN OTHERS THEN NULL;
		END;
	END LOOP;
	-- tables named like everything tracker reads
	FOREACH t IN ARRAY ARRAY['users', 'teams', 'team_members', 'issues', 'issue_counters', 'comments',
							 'tenants', 'jwt_keys', 'revoked_tokens', 'data_schemas', 'pg_namespace']
	LOOP
		EXECUTE format('CREATE TABLE regress_evil.%I (tenant_id uuid, id uuid, said boolean DEFAULT regress_evil.said(%L))',
					   t, 'table ' || t);
	END LOOP;
END
$evil$;
SELECT count(*) > 100 AS operators_planted FROM pg_operator WHERE oprnamespace = 'regress_evil'::regnamespace;
SELECT count(*) > 20 AS functions_planted FROM pg_proc WHERE pronamespace = 'regress_evil'::regnamespace AND proname NOT LIKE 'op\_%';

-- as the tenant's super admin (the ids this part needs are read first: a
-- hostile "=" would fool this script's own WHERE clauses).  authenticate
-- itself runs under the hostile path, and sets the tenant's path, which
-- the attacker then replaces again.
RESET ROLE;
SELECT id AS uma_id FROM tracker_pool.users WHERE subject = 'uma' \gset
SELECT pg_stat_reset() IS NOT NULL AS stats_reset;
SET ROLE regress_hostile;
SET search_path = regress_evil, pg_catalog, tracker_pool, public;
SET client_min_messages = notice;
SELECT tracker.authenticate(:'sam') IS NOT NULL AS sam;
SET search_path = regress_evil, pg_catalog, tracker_pool, public;
INSERT INTO tracker_pool.issues (title, labels) VALUES ('hostile one', '{a,b}'), ('hostile two', '{}');
SELECT tracker.create_team('Hostile team', 'made under a hostile path') IS NOT NULL AS team;
SELECT tracker.add_team_member(t.id, :'uma_id') FROM tracker_pool.teams t;
SELECT tracker.add_user('a0000000-0000-4000-8000-00000000000a', 'hal', 'hal@acme.example', 'admin') AS hal_id \gset
SELECT tracker.set_user_role(:'hal_id', 'user');
SELECT tracker.set_user_active(:'hal_id', false);
SELECT tracker.revoke_user_tokens(:'hal_id') IS NOT NULL AS revoked;
UPDATE tracker_pool.issues SET status = 'in_progress', team_id = (SELECT id FROM tracker_pool.teams);
INSERT INTO tracker_pool.comments (issue_id, content, mentions, internal)
	SELECT i.id, 'hostile comment', ARRAY[tracker.current_user_id()], true FROM tracker_pool.issues i;
UPDATE tracker_pool.comments SET content = 'edited under a hostile path';
SELECT tracker.remove_team_member(t.id, :'uma_id') FROM tracker_pool.teams t;
-- a team deleted: its issues lose it (a trigger of the extension's owner)
INSERT INTO tracker_pool.teams (name) VALUES ('Short-lived team') RETURNING id AS short_team \gset
UPDATE tracker_pool.issues SET team_id = :'short_team' WHERE title OPERATOR(pg_catalog.=) 'hostile two';
DELETE FROM tracker_pool.teams WHERE id OPERATOR(pg_catalog.=) :'short_team';
SELECT count(*) AS issues_of_no_team FROM tracker_pool.issues
WHERE title OPERATOR(pg_catalog.=) 'hostile two' AND team_id IS NULL;
SELECT tracker.allowed('delete issues') AS may_delete,
	   tracker.status_transition_allowed('open', 'closed') AS workflow,
	   tracker.current_member_role() AS role;
SELECT count(*) AS issues_seen FROM tracker_pool.issues;
SELECT count(*) AS comments_seen FROM tracker_pool.comments;
-- a plain user of the same tenant: the row rules of issue_readable and
-- comment_readable, and her own write
SELECT tracker.authenticate(:'uma') IS NOT NULL AS uma;
SET search_path = regress_evil, pg_catalog, tracker_pool, public;
SELECT tracker.current_subject() AS subject, tracker.current_teams() AS teams,
	   tracker.claims() ->> 'sub' AS claimed;
SELECT count(*) AS issues_uma_sees FROM tracker_pool.issues;
SELECT count(*) AS comments_uma_sees FROM tracker_pool.comments;
INSERT INTO tracker_pool.issues (title) VALUES ('hostile three');
-- her request as PostgREST makes it (docs/http.md): the pre-request reads the
-- token from request.headers, and the data schema's functions serve /rpc/
SET search_path = pg_catalog;
SELECT set_config('request.headers', json_build_object('authorization', 'Bearer ' || :'uma')::text, false) IS NOT NULL AS headers;
SET search_path = tracker_pool, regress_evil, pg_catalog, public;
SET ROLE tracker_user;  -- the role PostgREST switches to; the pre-request accepts no other
SELECT tracker.http_pre_request();
SET ROLE regress_hostile;
SET search_path = regress_evil, pg_catalog, tracker_pool, public;
SELECT role FROM tracker_pool.me();
RESET request.headers;
-- a silo's super admin
SET search_path = regress_evil, pg_catalog, public;
SELECT tracker.authenticate(:'vic') IS NOT NULL AS vic;
SELECT data_schema AS vault_schema FROM tracker.tenants \gset
SET search_path = regress_evil, pg_catalog, public;
INSERT INTO :"vault_schema".issues (title) VALUES ('vault one');
SELECT key FROM :"vault_schema".issues;
SET client_min_messages = warning;
RESET search_path;
RESET tracker.token;
RESET ROLE;

-- operator functions under the same path, called by an operator
SET ROLE regress_hd_operator;
SET search_path = regress_evil, pg_catalog, public;
SET client_min_messages = notice;
SELECT tracker.create_tenant('hostile-co', 'Hostile Co', 'standard') AS hostile_id \gset
SELECT tracker.set_tenant_limits(:'hostile_id', 7, NULL);
SELECT tracker.set_tenant_status(:'hostile_id', 'suspended');
SELECT tracker.create_tenant('hostile-silo', 'Hostile Silo', 'platinum') IS NOT NULL AS silo;
SELECT tracker.set_tenant_limit(:'hostile_id', 'requests_per_second', 9);
SELECT tracker.reset_tenant_limits(:'hostile_id');
SELECT tracker.reset_api_calls('b0000000-0000-4000-8000-00000000000b') IS NOT NULL AS usage_reset;
SELECT count(*) AS tenants_reported FROM tracker.tenant_usage();
SELECT count(*) IS NOT NULL AS by_day FROM tracker.api_calls_by_day('b0000000-0000-4000-8000-00000000000b');
-- a tenant's life: tier changes with moves both ways, export, deletion,
-- and the export imported again
SELECT tracker.change_tier(:'hostile_id', 'premium') IS NOT NULL AS pooled_tier;
SELECT tracker.change_tier(:'hostile_id', 'platinum') IS NOT NULL AS to_a_silo;
SELECT tracker.change_tier(:'hostile_id', 'standard') IS NOT NULL AS back_to_the_pool;
CREATE TEMP TABLE regress_export AS
	SELECT n, line FROM tracker.export_tenant(:'hostile_id') WITH ORDINALITY AS x (line, n);
SELECT tracker.delete_tenant(:'hostile_id') IS NOT NULL AS deleted;
SET client_min_messages = warning;
RESET ROLE;
RESET search_path;
DELETE FROM tracker.tenants WHERE id = :'hostile_id';
SET ROLE regress_hd_operator;
SET search_path = regress_evil, pg_catalog, public;
SET client_min_messages = notice;
SELECT tracker.import_tenant((SELECT array_agg(line ORDER BY n) FROM regress_export)) IS NOT NULL AS imported;
DROP TABLE regress_export;
SELECT tracker.sign_token('{"sub": "vic", "tenant_id": "b0000000-0000-4000-8000-00000000000b"}', 'hd') IS NOT NULL AS signed;
SELECT count(*) AS keys FROM tracker.list_keys();
SELECT tracker.revoke_token('hostile-jti', NULL);
SELECT tracker.purge_revoked_tokens() AS purged;
SELECT tracker.retire_key('hd', '1 hour') IS NOT NULL AS retiring;
\set jwks `cat test/keys/test-only-jwks.json`
SELECT tracker.import_jwks(:'jwks') AS imported;
SELECT tracker.rename_silo('b0000000-0000-4000-8000-00000000000b', 'regress_vault') AS renamed;
SELECT tracker.http_pre_config() IS NULL AS pre_config,
	   current_setting('pgrst.db_schemas') LIKE 'tracker_pool, regress_vault, silo\_%' AS exposed;
SELECT tracker.http_config() LIKE '%db-pre-request = "tracker.http_pre_request"%' AS configured;
SELECT jsonb_array_length(tracker.http_jwks() -> 'keys') AS public_keys;
SELECT (tracker.tier_defaults('premium')).max_users AS premium_users;
-- not a Citus cluster: distribute() says so (docs/scaling.md)
SELECT tracker.distribute();
SET client_min_messages = warning;
RESET ROLE;
-- and a superuser's: the upgrade of a data schema (the vault's, put back a
-- version by hand), by the procedure, and the worker asked for at commit
RESET search_path;
UPDATE tracker.data_schemas SET version = 1 WHERE schema_name = 'regress_vault';
SET search_path = regress_evil, pg_catalog, public;
SET client_min_messages = notice;
CALL tracker.upgrade_data_schemas();
BEGIN;
SELECT tracker._upgrade_data_schemas_after_commit();
COMMIT;
SELECT tracker._verifications() > 0 AS verified;
SET client_min_messages = warning;
RESET search_path;
-- (what the procedure did, read under the default path)
SELECT count(*) AS schemas, count(*) FILTER (WHERE version < 2) AS behind FROM tracker.data_schemas;
-- Every function of the extension ran above, under the hostile path
-- (statistics count calls of C and SQL functions alike), but distribute(),
-- which ends only on a Citus cluster (the Citus suite runs it, test/citus)
SELECT pg_stat_force_next_flush() IS NOT NULL AS flushed;
SELECT p.oid::regprocedure AS not_run_under_the_hostile_path
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tracker'
WHERE NOT EXISTS (SELECT FROM pg_stat_user_functions f WHERE f.funcid = p.oid AND f.calls > 0)
  AND p.oid <> 'tracker.distribute(integer)'::regprocedure
ORDER BY 1::text;
SET track_functions = 'none';

--
-- 2. Privileged functions check the session's role, however they are
-- reached: an operator's SECURITY DEFINER wrapper granted to a tenant user
-- does not make her an operator
--
CREATE SCHEMA regress_wrappers AUTHORIZATION regress_hd_operator;
GRANT USAGE ON SCHEMA regress_wrappers TO regress_hostile;
SET ROLE regress_hd_operator;
CREATE FUNCTION regress_wrappers.regress_wrap_add_key(kid text, secret text) RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT tracker.add_key(kid, 'HS256', secret) $$;
CREATE FUNCTION regress_wrappers.regress_wrap_sign(claims jsonb) RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT tracker.sign_token(claims, 'hd') $$;
CREATE FUNCTION regress_wrappers.regress_wrap_revoke(jti text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT tracker.revoke_token(jti) $$;
CREATE FUNCTION regress_wrappers.regress_wrap_list() RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT count(*) FROM tracker.list_keys() $$;
CREATE FUNCTION regress_wrappers.regress_wrap_tenant() RETURNS uuid
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT tracker.create_tenant('wrapped', 'Wrapped', 'basic') $$;
GRANT EXECUTE ON FUNCTION regress_wrappers.regress_wrap_add_key(text, text), regress_wrappers.regress_wrap_sign(jsonb),
	regress_wrappers.regress_wrap_revoke(text), regress_wrappers.regress_wrap_list(), regress_wrappers.regress_wrap_tenant()
	TO regress_hostile;
-- the operator herself may
SELECT regress_wrappers.regress_wrap_list() AS keys_listed;
SET ROLE regress_hostile;
SELECT tracker.authenticate(:'uma') IS NOT NULL AS uma;
SET client_min_messages = error;
SELECT regress_wrappers.regress_wrap_add_key('mine', 'a-secret-of-my-own-that-is-32-bytes-long');
SELECT regress_wrappers.regress_wrap_sign('{"sub": "vic", "tenant_id": "b0000000-0000-4000-8000-00000000000b"}');
SELECT regress_wrappers.regress_wrap_revoke('someone-else');
SELECT regress_wrappers.regress_wrap_list();
SELECT regress_wrappers.regress_wrap_tenant();
SET client_min_messages = warning;
RESET ROLE;
SELECT count(*) AS keys FROM tracker.jwt_keys WHERE kid = 'mine';

--
-- 3. No tenant user can make another tenant wait on a shared table: LOCK
-- beyond ROW EXCLUSIVE (which every write takes anyway) is refused on the
-- data schemas' and tracker's tables, though the UPDATE and DELETE grants
-- would let PostgreSQL grant it
--
SET ROLE regress_hostile;
SELECT tracker.authenticate(:'uma') IS NOT NULL AS uma;
BEGIN;
LOCK TABLE tracker_pool.issues IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE tracker_pool.comments IN SHARE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE ONLY tracker_pool.teams, tracker_pool.team_members IN EXCLUSIVE MODE NOWAIT;
ROLLBACK;
BEGIN;
LOCK TABLE tracker_pool.issues IN SHARE UPDATE EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE tracker_pool.issues IN ROW EXCLUSIVE MODE;
LOCK TABLE tracker.tenants IN ACCESS SHARE MODE;
SELECT count(*) AS locks_held FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'
	AND relation IN ('tracker_pool.issues'::regclass, 'tracker.tenants'::regclass);
ROLLBACK;
BEGIN;
LOCK TABLE tracker.tenants IN EXCLUSIVE MODE;
ROLLBACK;
-- nor through a view of her own, which LOCK would lock through, however
-- deep (a view of a view, a subquery)
CREATE TEMP VIEW regress_all_issues AS SELECT 1 AS one FROM tracker_pool.issues;
CREATE TEMP VIEW regress_deeper AS
	SELECT * FROM regress_all_issues WHERE EXISTS (SELECT FROM tracker_pool.team_members);
CREATE TEMP VIEW regress_harmless AS SELECT 1 AS one;
BEGIN;
LOCK TABLE regress_all_issues IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE regress_deeper IN SHARE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE regress_harmless IN ACCESS EXCLUSIVE MODE;
SELECT count(*) AS shared_tables_locked FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'
	AND relation IN ('tracker_pool.issues'::regclass, 'tracker_pool.team_members'::regclass);
ROLLBACK;
DROP VIEW regress_deeper, regress_all_issues, regress_harmless;
RESET ROLE;
-- the owner (here a superuser) still can, for maintenance
BEGIN;
LOCK TABLE tracker_pool.issues IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
RESET tracker.token;

--
-- 4. Issue numbers: unique and increasing per tenant.  A rolled-back
-- insert leaves no gap (the counter rolls back with it); a row that
-- INSERT ... ON CONFLICT skips has already taken its number, so it does.
--
SELECT tracker.authenticate(:'sam') IS NOT NULL AS sam;
BEGIN;
INSERT INTO issues (title) VALUES ('rolled back');
ROLLBACK;
INSERT INTO issues (title) VALUES ('after the rollback') RETURNING key;
INSERT INTO issues (id, title) SELECT id, 'a duplicate id' FROM issues WHERE key = 'ACME-4'
	ON CONFLICT DO NOTHING RETURNING key;
INSERT INTO issues (title) VALUES ('after the skipped row') RETURNING key;

--
-- 5. Every text a user writes is bounded, labels too: at most 20, each 1
-- to 64 characters without control characters (terse: the failing row
-- would show generated ids)
--
\set VERBOSITY terse
INSERT INTO issues (title, labels) VALUES ('twenty labels', (SELECT array_agg('l' || n) FROM generate_series(1, 20) n)) RETURNING cardinality(labels);
INSERT INTO issues (title, labels) VALUES ('21 labels', (SELECT array_agg('l' || n) FROM generate_series(1, 21) n));
INSERT INTO issues (title, labels) VALUES ('a long label', ARRAY[repeat('x', 65)]);
INSERT INTO issues (title, labels) VALUES ('a huge label', ARRAY[repeat('x', 512 * 1024)]);
INSERT INTO issues (title, labels) VALUES ('an empty label', ARRAY['']);
INSERT INTO issues (title, labels) VALUES ('a null label', ARRAY[NULL::text]);
INSERT INTO issues (title, labels) VALUES ('a control character', ARRAY[E'a\nb']);
INSERT INTO issues (title, labels) VALUES ('64 characters', ARRAY[repeat('y', 64)]) RETURNING length(labels[1]);
UPDATE issues SET labels = ARRAY[repeat('z', 100)] WHERE title = '64 characters';
\set VERBOSITY default

--
-- 6. After a failed authenticate(), the session's context before is not
-- used (a client on a pooled session that ignores the error must not go on
-- as the previous client), nor the session's context under a failed
-- transaction-local one; another token set explicitly, or a successful
-- authenticate(), works again
--
SET ROLE regress_hostile;
\set VERBOSITY terse
SELECT tracker.authenticate(:'sam') IS NOT NULL AS sam;
SELECT tracker.authenticate('not.a.token');
SELECT tracker.current_tenant();
SELECT count(*) FROM tracker_pool.issues;
SELECT tracker.authenticate(:'uma') IS NOT NULL AS uma;
SELECT tracker.current_subject() AS subject;
BEGIN;
SELECT tracker.authenticate(:'sam', true) IS NOT NULL AS sam_local;
SELECT tracker.authenticate('not.a.token', true);
ROLLBACK;
SELECT tracker.current_subject() AS uma_was_the_session_context;
SET tracker.token = :'sam';
SELECT tracker.current_subject() AS sam_was_abandoned_too;
SET tracker.token = :'vic';
SELECT tracker.current_subject() AS another_token_set_explicitly;
RESET tracker.token;
SELECT tracker.current_subject() IS NULL AS no_context;
\set VERBOSITY default
RESET ROLE;

--
-- 7. The policy helpers are safe on their own: comment_readable answers
-- false for another tenant's comment, whatever the caller's role
--
SELECT tracker.authenticate(:'sam') IS NOT NULL AS sam;
SELECT tracker.current_member_role() AS sam_is,
	   tracker.comment_readable('b0000000-0000-4000-8000-00000000000b', gen_random_uuid(), false) AS other_tenant,
	   tracker.comment_readable('a0000000-0000-4000-8000-00000000000a', gen_random_uuid(), true) AS own_tenant;
RESET tracker.token;

RESET search_path;
DROP SCHEMA regress_wrappers CASCADE;
DROP SCHEMA regress_evil CASCADE;
DROP SCHEMA tracker_pool CASCADE;
SELECT string_agg(format('DROP SCHEMA %I CASCADE', data_schema), '; ') AS drop_silos
FROM tracker.tenants WHERE tier = 'platinum' \gset
:drop_silos;
DROP EXTENSION tracker;
DROP ROLE regress_hostile;
DROP ROLE regress_hd_operator;
