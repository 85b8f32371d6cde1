--
-- lifecycle: tier changes, moves between the pool and a silo, export,
-- import and deletion of a tenant
--
CREATE EXTENSION tracker;
SET client_min_messages = warning;
SELECT tracker.add_key('lc', 'HS256', 'lifecycle-test-secret-at-least-32-bytes-long');
SELECT tracker.create_tenant('acme', 'Acme', 'standard',
                             tenant_id => 'a0000000-0000-4000-8000-00000000000a') IS NOT NULL AS acme,
       tracker.create_tenant('other', 'Other', 'basic',
                             tenant_id => 'e0000000-0000-4000-8000-00000000000e') IS NOT NULL AS other;
SELECT tracker.add_user('a0000000-0000-4000-8000-00000000000a', 'sam', 'sam@acme.example', 'super_admin') IS NOT NULL,
       tracker.add_user('a0000000-0000-4000-8000-00000000000a', 'uma', 'uma@acme.example', 'user') IS NOT NULL,
       tracker.add_user('e0000000-0000-4000-8000-00000000000e', 'oz', 'oz@other.example', 'super_admin') IS NOT NULL;
SELECT tracker.sign_token('{"sub": "sam", "tenant_id": "a0000000-0000-4000-8000-00000000000a"}', 'lc') AS sam,
       tracker.sign_token('{"sub": "uma", "tenant_id": "a0000000-0000-4000-8000-00000000000a"}', 'lc') AS uma,
       tracker.sign_token('{"sub": "oz", "tenant_id": "e0000000-0000-4000-8000-00000000000e"}', 'lc') AS oz \gset
CREATE ROLE regress_lc_app IN ROLE tracker_user;
CREATE ROLE regress_lc_operator IN ROLE tracker_operator;
SET ROLE regress_lc_app;
BEGIN;
SELECT tracker.authenticate(:'sam', true) IS NOT NULL AS sam;
SELECT tracker.create_team('Core', 'the core team') IS NOT NULL AS team;
SELECT tracker.add_team_member(t.id, u.id) IS NOT NULL AS member FROM teams t, users u WHERE u.subject = 'uma';
INSERT INTO issues (title, labels, team_id) SELECT 'acme ' || n, '{x}', (SELECT id FROM teams) FROM generate_series(1, 3) n;
INSERT INTO comments (issue_id, content) SELECT id, 'on ' || title FROM issues;
COMMIT;
BEGIN;
SELECT tracker.authenticate(:'oz', true) IS NOT NULL AS oz;
INSERT INTO issues (title) VALUES ('other 1'), ('other 2');
COMMIT;
RESET ROLE;

-- every row of a tenant, wherever it is, as a digest: what a move keeps
CREATE FUNCTION pg_temp.tenant_digest(tenant uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	s name := (SELECT data_schema FROM tracker.tenants WHERE id = tenant);
	e text;
	d text;
	out text := '';
BEGIN
	FOREACH e IN ARRAY '{users, teams, team_members, issues, comments, issue_counters}'::text[] LOOP
		EXECUTE format('SELECT count(*) || '':'' || md5(coalesce(string_agg(r::text, ''|'' ORDER BY r::text COLLATE "C"), '''')) '
					   'FROM %I.%I r WHERE r.tenant_id = $1', s, e) INTO d USING tenant;
		out := out || e || '=' || d || ' ';
	END LOOP;
	RETURN out;
END
$$;
SELECT pg_temp.tenant_digest('a0000000-0000-4000-8000-00000000000a') AS acme_before \gset
SELECT pg_temp.tenant_digest('e0000000-0000-4000-8000-00000000000e') AS other_before \gset

-- 1. Between pooled tiers: limits only
SET ROLE regress_lc_operator;
SELECT tracker.change_tier('a0000000-0000-4000-8000-00000000000a', 'premium') AS schema;
SELECT tier, max_users, api_calls_per_month, requests_per_second, data_schema FROM tracker.tenants WHERE slug = 'acme';

-- 2. To platinum: every row moves into a silo of its own, unchanged.  Uma
-- has a session context from before the move: her session follows her
-- tenant from its next statement, her search path with it.
SET ROLE regress_lc_app;
SELECT tracker.authenticate(:'uma') IS NOT NULL AS uma;
SELECT count(*) AS uma_sees_in_the_pool FROM issues;
SET ROLE regress_lc_operator;
SELECT tracker.change_tier('a0000000-0000-4000-8000-00000000000a', 'platinum') LIKE 'silo\_%' AS moved_to_a_silo;
SET ROLE regress_lc_app;
SELECT count(*) AS uma_sees_in_the_silo FROM issues;
SELECT current_setting('search_path') = format('%I, public, pg_temp', tracker._context_schema()) AS path_followed,
       tracker._context_schema() LIKE 'silo\_%' AS in_the_silo;
RESET tracker.token;
RESET search_path;
RESET ROLE;
SELECT tier, data_schema LIKE 'silo\_%' AS silo, max_users, api_calls_per_month FROM tracker.tenants WHERE slug = 'acme';
SELECT pg_temp.tenant_digest('a0000000-0000-4000-8000-00000000000a') = :'acme_before' AS acme_unchanged,
       pg_temp.tenant_digest('e0000000-0000-4000-8000-00000000000e') = :'other_before' AS other_unchanged;
SELECT (SELECT count(*) FROM tracker_pool.issues WHERE tenant_id = 'a0000000-0000-4000-8000-00000000000a') AS left_in_pool,
       (SELECT count(*) FROM tracker_pool.users WHERE tenant_id = 'a0000000-0000-4000-8000-00000000000a') AS users_in_pool;
SELECT version FROM tracker.data_schemas d JOIN tracker.tenants t ON t.data_schema = d.schema_name WHERE t.slug = 'acme';
-- the tenant's users work there, with the same keys, and go on numbering
SET ROLE regress_lc_app;
SELECT tracker.authenticate(:'uma') IS NOT NULL AS uma;
SELECT key, title FROM issues ORDER BY number;
INSERT INTO issues (title) VALUES ('acme 4, in the silo') RETURNING key;
SELECT count(*) AS comments FROM comments;
RESET tracker.token;
RESET ROLE;

-- 3. Back to a pooled tier: back into the pool, the silo dropped
SELECT data_schema AS acme_silo FROM tracker.tenants WHERE slug = 'acme' \gset
SELECT pg_temp.tenant_digest('a0000000-0000-4000-8000-00000000000a') AS acme_in_silo \gset
-- at a pace of 20 rows a second, which the move keeps to
SET ROLE regress_lc_operator;
SET tracker.move_rows_per_second = 20;
SELECT clock_timestamp() AS move_started \gset
SELECT tracker.change_tier('a0000000-0000-4000-8000-00000000000a', 'standard') AS schema;
SELECT clock_timestamp() AS move_ended \gset
RESET tracker.move_rows_per_second;
RESET ROLE;
SELECT (details->>'moved_rows')::int > 10 AS rows_moved,
       extract(epoch FROM :'move_ended'::timestamptz - :'move_started'::timestamptz)
           >= (details->>'moved_rows')::int / 20.0 AS at_most_20_a_second
FROM tracker.operator_audit ORDER BY id DESC LIMIT 1;
SELECT pg_temp.tenant_digest('a0000000-0000-4000-8000-00000000000a') = :'acme_in_silo' AS acme_unchanged,
       to_regnamespace(:'acme_silo') IS NULL AS silo_dropped,
       (SELECT count(*) FROM tracker.data_schemas) AS data_schemas;
SELECT action, details - 'moved_rows' AS details, details->'moved_rows' AS moved FROM tracker.operator_audit ORDER BY id;

-- 4. Checked: only operators, known tiers, existing tenants
SET ROLE regress_lc_app;
SELECT tracker.authenticate(:'sam') IS NOT NULL AS sam;
\set VERBOSITY terse
SELECT tracker.change_tier('a0000000-0000-4000-8000-00000000000a', 'platinum');
SELECT tracker.export_tenant('a0000000-0000-4000-8000-00000000000a');
SELECT tracker.delete_tenant('a0000000-0000-4000-8000-00000000000a');
SELECT tracker.import_tenant('{}');
RESET tracker.token;
RESET ROLE;
SET ROLE regress_lc_operator;
SELECT tracker.change_tier('a0000000-0000-4000-8000-00000000000a', 'gold');
SELECT tracker.change_tier('00000000-0000-4000-8000-000000000000', 'basic');
\set VERBOSITY default

-- 5. Export: JSON lines, a header and then the rows, parents first (the
-- API calls of the tenant written first, so that its usage is in it)
RESET ROLE;
DO $$
BEGIN
	FOR i IN 1..100 LOOP
		EXIT WHEN NOT EXISTS (SELECT FROM tracker._usage_live('a0000000-0000-4000-8000-00000000000a')
							  WHERE unwritten_today + unwritten_before > 0);
		PERFORM pg_sleep(0.1);
	END LOOP;
END
$$;
SET ROLE regress_lc_operator;
SELECT line->>'format' AS format, line->'version' AS version, line->'tables' AS tables,
       line->'tenant'->>'slug' AS slug, line->'tenant' ? 'data_schema' AS names_its_schema
FROM tracker.export_tenant('a0000000-0000-4000-8000-00000000000a') WITH ORDINALITY AS x (line, n) WHERE n = 1;
SELECT line->>'table' AS table_name, count(*) AS rows
FROM tracker.export_tenant('a0000000-0000-4000-8000-00000000000a') AS line
WHERE line ? 'table' GROUP BY 1 ORDER BY 1;
CREATE TEMP TABLE acme_export AS
SELECT n, line FROM tracker.export_tenant('a0000000-0000-4000-8000-00000000000a') WITH ORDINALITY AS x (line, n);

-- 6. Deletion: only a suspended tenant; then its rows are gone, a
-- tombstone stays, and its tokens are refused
\set VERBOSITY terse
SELECT tracker.delete_tenant('a0000000-0000-4000-8000-00000000000a');
\set VERBOSITY default
SELECT tracker.set_tenant_status('a0000000-0000-4000-8000-00000000000a', 'suspended');
SELECT tracker.delete_tenant('a0000000-0000-4000-8000-00000000000a');
RESET ROLE;
SELECT slug, status FROM tracker.tenants ORDER BY slug;
SELECT (SELECT count(*) FROM tracker_pool.issues WHERE tenant_id = 'a0000000-0000-4000-8000-00000000000a') AS issues,
       (SELECT count(*) FROM tracker_pool.users WHERE tenant_id = 'a0000000-0000-4000-8000-00000000000a') AS users,
       (SELECT count(*) FROM tracker_pool.issue_counters WHERE tenant_id = 'a0000000-0000-4000-8000-00000000000a') AS counters;
SELECT pg_temp.tenant_digest('e0000000-0000-4000-8000-00000000000e') = :'other_before' AS other_unchanged;
SET ROLE regress_lc_app;
\set VERBOSITY terse
SELECT tracker.authenticate(:'uma');
\set VERBOSITY default
RESET ROLE;
SET ROLE regress_lc_operator;
\set VERBOSITY terse
SELECT tracker.set_tenant_status('a0000000-0000-4000-8000-00000000000a', 'active');
SELECT tracker.export_tenant('a0000000-0000-4000-8000-00000000000a');
\set VERBOSITY default
SELECT tracker.delete_tenant('a0000000-0000-4000-8000-00000000000a') IS NOT NULL AS deleting_again_is_harmless;

-- 7. Import refuses what it cannot trust
\set VERBOSITY terse
SELECT tracker.import_tenant(ARRAY['{"format": "something else"}'::jsonb]);
SELECT tracker.import_tenant(ARRAY[jsonb_set((SELECT line FROM acme_export WHERE n = 1), '{version}', '2')]);
SELECT tracker.import_tenant(array_agg(line ORDER BY n)) FROM acme_export;
\set VERBOSITY default
RESET ROLE;
-- a file that names another tenant's rows, or breaks a foreign key, is
-- refused whole (into a database without acme: remove the tombstone and
-- the usage it kept here)
DELETE FROM tracker.api_usage WHERE tenant_id = 'a0000000-0000-4000-8000-00000000000a';
DELETE FROM tracker.tenants WHERE slug = 'acme';
SET ROLE regress_lc_operator;
\set VERBOSITY terse
SELECT tracker.import_tenant(array_agg(CASE WHEN n = 3 THEN jsonb_set(line, '{row,tenant_id}', '"e0000000-0000-4000-8000-00000000000e"') ELSE line END ORDER BY n))
FROM acme_export;
SELECT tracker.import_tenant(array_agg(line ORDER BY n)) FROM acme_export WHERE line->>'table' IS DISTINCT FROM 'users';
\set VERBOSITY default
SELECT count(*) AS acme_rows FROM tracker.tenants WHERE slug = 'acme';

-- 8. The round trip: the same rows, ids, keys and numbers
SELECT tracker.import_tenant(array_agg(line ORDER BY n)) AS imported FROM acme_export;
RESET ROLE;
SELECT pg_temp.tenant_digest('a0000000-0000-4000-8000-00000000000a') = :'acme_in_silo' AS acme_as_exported,
       tier, status, data_schema FROM tracker.tenants WHERE slug = 'acme';
SELECT tracker.set_tenant_status('a0000000-0000-4000-8000-00000000000a', 'active');
SET ROLE regress_lc_app;
SELECT tracker.authenticate(:'uma') IS NOT NULL AS uma_again;
INSERT INTO issues (title) VALUES ('after the import') RETURNING key;
RESET tracker.token;
RESET ROLE;

DROP TABLE acme_export;
DROP FUNCTION pg_temp.tenant_digest(uuid);
SELECT string_agg(format('DROP SCHEMA %I CASCADE', schema_name), '; ') AS drop_silos
FROM tracker.data_schemas WHERE schema_name <> 'tracker_pool' \gset
\if :{?drop_silos}
:drop_silos;
\endif
DROP SCHEMA tracker_pool CASCADE;
DROP EXTENSION tracker;
DROP ROLE regress_lc_app;
DROP ROLE regress_lc_operator;
