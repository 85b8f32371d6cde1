-- tracker: data schemas, and the functions their tables call
--
-- Every data schema (tracker_pool, and each platinum tenant's silo) holds
-- the same tables.  Each entity (users, teams, ...) is defined once, in its
-- own file under src/sql/data/: one function that creates its tables and
-- indexes, and one that applies its rules (triggers, row-level security,
-- policies, grants, comments).  The functions at the end of this file
-- apply them to a schema, and bring a schema made by an older version up
-- to the current one.  The schemas and their tables are created by those
-- functions, not by this script, so they are not members of the extension:
-- pg_dump dumps them as ordinary objects and Citus can distribute them.

-- The tenant of the context, or an error for writes without one
CREATE FUNCTION @extschema@._context_tenant()
RETURNS uuid
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t uuid := @extschema@.current_tenant();
BEGIN
	IF t IS NULL THEN
		RAISE EXCEPTION 'permission denied: no tenant context'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Authenticate with tracker.authenticate(token) first.';
	END IF;
	RETURN t;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._context_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._context_tenant() TO tracker_user;

-- The role parts of the read policies, one C call each.  Written out in
-- SQL, as role tests, id comparisons and an EXISTS on issues, they cost
-- every query the set-up of up to five function calls (a catalog lookup
-- and a permission check each) and, for comments, a sub-plan; Citus
-- refuses sub-queries in policies altogether.
CREATE FUNCTION @extschema@.issue_readable(reporter_id uuid, assignee_id uuid, team_id uuid)
RETURNS boolean
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_issue_readable';
COMMENT ON FUNCTION @extschema@.issue_readable(uuid, uuid, uuid) IS
'Whether the context''s user may see an issue with these people: admins and super admins see all; other users those they reported, are assigned, or whose team they are in.';
REVOKE ALL ON FUNCTION @extschema@.issue_readable(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.issue_readable(uuid, uuid, uuid) TO tracker_user;

CREATE FUNCTION @extschema@.comment_readable(tenant_id uuid, issue_id uuid, internal boolean)
RETURNS boolean
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_comment_readable';
COMMENT ON FUNCTION @extschema@.comment_readable(uuid, uuid, boolean) IS
'Whether the context''s user may see a comment: admins and super admins see all; other users those that are not internal, on issues they may see.';
REVOKE ALL ON FUNCTION @extschema@.comment_readable(uuid, uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.comment_readable(uuid, uuid, boolean) TO tracker_user;

-- The data-schema triggers are C (src/triggers.c): they run on every write,
-- and C looks up no name through the caller's search_path.

CREATE FUNCTION @extschema@._check_statement()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_check_statement';
COMMENT ON FUNCTION @extschema@._check_statement() IS
'Statement trigger: a context is required and the table must be in its data schema; with an argument (the action), only admins and super admins pass.';

CREATE FUNCTION @extschema@._stamp_row()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_stamp_row';
COMMENT ON FUNCTION @extschema@._stamp_row() IS
'Row trigger of teams and team_members: tenant from the context, times from the clock.';

-- Whether an issue's labels are within their bounds: at most 20, each 1 to
-- 64 characters with no control characters.  The issues' CHECK constraint;
-- C (src/bounds.c), so that it costs an insert no planning.
CREATE FUNCTION @extschema@.labels_valid(labels text[])
RETURNS boolean
LANGUAGE C
STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_labels_valid';
COMMENT ON FUNCTION @extschema@.labels_valid(text[]) IS
'Whether issue labels are within bounds: at most 20, each 1 to 64 characters without control characters.';
REVOKE ALL ON FUNCTION @extschema@.labels_valid(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.labels_valid(text[]) TO tracker_user, tracker_operator;

CREATE FUNCTION @extschema@._issues_write()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_issues_write';
COMMENT ON FUNCTION @extschema@._issues_write() IS
'Row trigger of issues: context fields, per-tenant numbers and keys, what plain users may change, and the workflow.';

CREATE FUNCTION @extschema@._comments_write()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_comments_write';
COMMENT ON FUNCTION @extschema@._comments_write() IS
'Row trigger of comments: context fields, internal comments for admins, mentions of the tenant''s users only.';

REVOKE ALL ON FUNCTION @extschema@._check_statement(), @extschema@._stamp_row(),
	@extschema@._issues_write(), @extschema@._comments_write() FROM PUBLIC;

-- Trigger of teams, before a team is deleted: its issues keep no team, as
-- a foreign key's ON DELETE SET NULL (team_id) would leave them (Citus
-- refuses that rule on a key that includes the distribution column).  As
-- the extension's owner, as a foreign key's action runs: whoever may delete
-- the team unassigns its issues, seen or not.
CREATE FUNCTION @extschema@._team_issues_unassign()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE format('UPDATE %I.issues SET team_id = NULL '
				   'WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND team_id OPERATOR(pg_catalog.=) $2',
				   TG_TABLE_SCHEMA)
		USING OLD.tenant_id, OLD.id;
	RETURN OLD;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._team_issues_unassign() FROM PUBLIC;

CREATE FUNCTION @extschema@._users_write()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._users_write() FROM PUBLIC;

-- The registry of data schemas, and the version of the data-schema
-- definition each one is at.
CREATE TABLE @extschema@.data_schemas (
	schema_name	name PRIMARY KEY,
	version		integer NOT NULL CHECK (version > 0),
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	upgraded_at	timestamptz,
	last_error	text
);
ALTER TABLE @extschema@.data_schemas ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.data_schemas FORCE ROW LEVEL SECURITY;
CREATE POLICY data_schemas_operator ON @extschema@.data_schemas FOR SELECT TO tracker_operator
	USING (true);
REVOKE ALL ON @extschema@.data_schemas FROM PUBLIC;
GRANT SELECT ON @extschema@.data_schemas TO tracker_operator;
COMMENT ON TABLE @extschema@.data_schemas IS
'Every data schema (the pool and each silo) and the version of the data-schema definition it is at. Operators can read it.';
COMMENT ON COLUMN @extschema@.data_schemas.version IS
'The data-schema version: tracker._data_schema_version() for a schema that is current.';
COMMENT ON COLUMN @extschema@.data_schemas.last_error IS
'Why the last attempt to upgrade this schema failed; NULL once it succeeds.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.data_schemas', '');

-- The version of the data-schema definition this release creates.  Bump it
-- with every change to a file in src/sql/data/, and add the step that
-- brings a schema from the version before (_data_schema_step below).
CREATE FUNCTION @extschema@._data_schema_version()
RETURNS integer
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT 2 $$;
REVOKE ALL ON FUNCTION @extschema@._data_schema_version() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._data_schema_version() TO tracker_operator;
COMMENT ON FUNCTION @extschema@._data_schema_version() IS
'The version of the data-schema definition that this release of tracker creates.';

-- The entities of a data schema, in the order they are created: each may
-- refer to those before it.  Each has a file in src/sql/data/ defining
-- _data_<entity>_tables(schema) and _data_<entity>_rules(schema).
CREATE FUNCTION @extschema@._data_schema_entities()
RETURNS text[]
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT '{users, teams, team_members, issues, comments}'::text[] $$;
REVOKE ALL ON FUNCTION @extschema@._data_schema_entities() FROM PUBLIC;

-- The structural changes from one version of the data-schema definition to
-- the next: columns, constraints, indexes, new tables (a new entity's step
-- calls its _data_<entity>_tables).  Rules need no step: they are applied
-- afresh after every upgrade.
CREATE FUNCTION @extschema@._data_schema_step(schema name, to_version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t name;
BEGIN
	CASE to_version
	WHEN 2 THEN
		-- 1.1: labels are bounded one by one, not only in number (the
		-- policies' move to tracker.allowed() is a change of rules: no step).
		-- Validating the new constraint fails, and so leaves the schema at
		-- version 1, when a row breaks it; the error says which constraint.
		EXECUTE format('ALTER TABLE %I.issues DROP CONSTRAINT issues_labels_check, '
					   'ADD CONSTRAINT issues_labels_check CHECK (@extschema@.labels_valid(labels))',
					   schema);
		-- 1.1: what Citus needs to distribute a data schema.  Inserts are
		-- routed by tenant_id before any trigger runs, so the tables that
		-- users insert into take it from the context by default; and no
		-- foreign key that includes it may set it to NULL (the issues of a
		-- deleted team lose it by a trigger instead, a rule).
		FOREACH t IN ARRAY '{teams, team_members, issues, comments}'::name[] LOOP
			EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN tenant_id SET DEFAULT @extschema@._context_tenant()',
						   schema, t);
		END LOOP;
		EXECUTE format('ALTER TABLE %1$I.issues DROP CONSTRAINT issues_team_fkey, '
					   'ADD CONSTRAINT issues_team_fkey FOREIGN KEY (tenant_id, team_id) '
					   'REFERENCES %1$I.teams (tenant_id, id)',
					   schema);
	ELSE
		RAISE EXCEPTION 'no upgrade step to data-schema version %', to_version
			USING ERRCODE = 'feature_not_supported';
	END CASE;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._data_schema_step(name, integer) FROM PUBLIC;

-- Applies every entity's rules to a data schema, after removing the rules
-- it has: every policy on its tables, and every trigger that calls a
-- function of the extension.  Rules are tracker's: a policy added by hand
-- to a data-schema table does not survive an upgrade.
CREATE FUNCTION @extschema@._apply_data_schema_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	e text;
BEGIN
	FOR r IN
		SELECT p.polname AS name, c.relname
		FROM pg_policy p JOIN pg_class c ON c.oid OPERATOR(pg_catalog.=) p.polrelid
		WHERE c.relnamespace OPERATOR(pg_catalog.=) schema::regnamespace
		ORDER BY c.relname, p.polname
	LOOP
		EXECUTE format('DROP POLICY %I ON %I.%I', r.name, schema, r.relname);
	END LOOP;
	FOR r IN
		SELECT t.tgname AS name, c.relname
		FROM pg_trigger t
			JOIN pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
			JOIN pg_proc f ON f.oid OPERATOR(pg_catalog.=) t.tgfoid
		WHERE c.relnamespace OPERATOR(pg_catalog.=) schema::regnamespace
		  AND NOT t.tgisinternal
		  AND f.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
		ORDER BY c.relname, t.tgname
	LOOP
		EXECUTE format('DROP TRIGGER %I ON %I.%I', r.name, schema, r.relname);
	END LOOP;

	-- PostgREST's OpenAPI output takes its title from the first line
	EXECUTE format('COMMENT ON SCHEMA %I IS %L', schema,
				   E'tracker data schema: tenant rows under forced row-level security.\n'
				   'One tenant''s issue tracker, or many tenants'' in the pool. Every request carries its '
				   'user''s token (Authorization: Bearer); each user sees and changes only what their role '
				   'allows in their own tenant.');
	EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', schema);
	EXECUTE format('GRANT USAGE ON SCHEMA %I TO tracker_user, tracker_operator', schema);
	-- Citus creates a distributed table's triggers on its shards only when told to
	IF @extschema@._distributed() THEN
		PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
	END IF;
	FOREACH e IN ARRAY @extschema@._data_schema_entities()
	LOOP
		EXECUTE format('SELECT @extschema@.%I($1)', '_data_' || e || '_rules') USING schema;
	END LOOP;
	PERFORM @extschema@._data_api(schema);
END
$$;
REVOKE ALL ON FUNCTION @extschema@._apply_data_schema_rules(name) FROM PUBLIC;

-- Creates a data schema at the current version, or accepts one that is
-- already there at the current version (returns false then).  A schema at
-- another version, or one that is not a data schema, is refused.
CREATE FUNCTION @extschema@._create_data_schema(schema name)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	current integer := @extschema@._data_schema_version();
	found_version integer;
	e text;
BEGIN
	SELECT d.version INTO found_version
	FROM @extschema@.data_schemas d WHERE d.schema_name = schema;
	IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = schema) THEN
		IF found_version IS NULL THEN
			RAISE EXCEPTION 'schema "%" exists but is not a tracker data schema', schema
				USING ERRCODE = 'duplicate_schema';
		ELSIF found_version <> current THEN
			RAISE EXCEPTION 'data schema "%" is at version %, not %', schema, found_version, current
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  DETAIL = 'The extension was updated, but this data schema was not upgraded yet.',
					  HINT = 'Run CALL tracker.upgrade_data_schemas(); then try again.';
		END IF;
		RETURN false;
	END IF;

	-- in a distributed database, a distributed schema: its tables, all on
	-- one node, are distributed as they are created (docs/scaling.md)
	IF @extschema@._distributed() THEN
		PERFORM set_config('citus.enable_schema_based_sharding', 'on', true);
	END IF;
	EXECUTE format('CREATE SCHEMA %I', schema);
	IF @extschema@._distributed() THEN
		PERFORM set_config('citus.enable_schema_based_sharding', 'off', true);
	END IF;
	FOREACH e IN ARRAY @extschema@._data_schema_entities()
	LOOP
		EXECUTE format('SELECT @extschema@.%I($1)', '_data_' || e || '_tables') USING schema;
	END LOOP;
	PERFORM @extschema@._apply_data_schema_rules(schema);
	-- a registration left by a schema dropped by hand is replaced
	INSERT INTO @extschema@.data_schemas AS d (schema_name, version)
	VALUES (schema, current)
	ON CONFLICT (schema_name) DO UPDATE
	SET version = EXCLUDED.version, created_at = EXCLUDED.created_at,
		upgraded_at = NULL, last_error = NULL;
	RETURN true;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._create_data_schema(name) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._create_data_schema(name) IS
'Creates a data schema at the current version from the entity definitions; accepts an existing one only at the current version.';

-- Brings one data schema to the current version, in the caller's
-- transaction: every step, then the rules afresh, then the new version in
-- the registry.  Returns false when there was nothing to do.
CREATE FUNCTION @extschema@._upgrade_data_schema(schema name)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	current integer := @extschema@._data_schema_version();
	v integer;
BEGIN
	-- the registry row's lock keeps two upgrades of one schema apart
	SELECT d.version INTO v FROM @extschema@.data_schemas d
	WHERE d.schema_name = schema FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'schema "%" is not a tracker data schema', schema
			USING ERRCODE = 'undefined_schema';
	END IF;
	IF v = current THEN
		RETURN false;
	END IF;
	IF v > current THEN
		RAISE EXCEPTION 'data schema "%" is at version %, newer than this release''s %', schema, v, current
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Install the release of tracker that made it.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = schema) THEN
		RAISE EXCEPTION 'data schema "%" does not exist', schema
			USING ERRCODE = 'undefined_schema',
				  HINT = 'Delete its row from tracker.data_schemas if it was dropped on purpose.';
	END IF;
	FOR step IN v + 1 .. current LOOP
		PERFORM @extschema@._data_schema_step(schema, step);
	END LOOP;
	PERFORM @extschema@._apply_data_schema_rules(schema);
	UPDATE @extschema@.data_schemas d
	SET version = current, upgraded_at = now(), last_error = NULL
	WHERE d.schema_name = schema;
	RETURN true;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._upgrade_data_schema(name) FROM PUBLIC;

-- Upgrades the first data schema after the one named (in name order) that
-- is behind, and returns its name; NULL when none is left.  A failure is
-- caught: the schema stays whole at its old version, and the reason goes
-- to data_schemas.last_error.  The upgrade procedure and the background
-- worker that ALTER EXTENSION UPDATE starts both walk the schemas with it,
-- one transaction per schema.
CREATE FUNCTION @extschema@._upgrade_next_data_schema(after name, lock_timeout interval)
RETURNS name
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s name;
	msg text;
	state text;
BEGIN
	SELECT d.schema_name INTO s FROM @extschema@.data_schemas d
	WHERE d.version < @extschema@._data_schema_version() AND d.schema_name > after
	ORDER BY d.schema_name LIMIT 1;
	IF s IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM set_config('lock_timeout', (extract(epoch FROM lock_timeout) * 1000)::bigint::text, true);
	BEGIN
		PERFORM @extschema@._upgrade_data_schema(s);
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, state = RETURNED_SQLSTATE;
		UPDATE @extschema@.data_schemas d SET last_error = state || ': ' || msg
		WHERE d.schema_name = s;
		RAISE WARNING 'data schema "%" was not upgraded: %', s, msg;
	END;
	RETURN s;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._upgrade_next_data_schema(name, interval) FROM PUBLIC;

-- Upgrades every data schema that is behind, each in a transaction of its
-- own: a tenant waits only for its own schema, locks are taken a schema at
-- a time, and a schema that fails stays whole at its old version while the
-- others go on.  Safe to run again, and while tenants work.  It alters
-- tables the extension's owner owns, so like ALTER EXTENSION it is for
-- superusers.  A procedure that commits can neither pin its search_path
-- nor be SECURITY DEFINER, so every name here is qualified.
CREATE PROCEDURE @extschema@.upgrade_data_schemas(lock_timeout interval DEFAULT '5s')
LANGUAGE plpgsql
AS $$
DECLARE
	s pg_catalog.name := '';
	failures pg_catalog.text;
	failed pg_catalog.int8;
BEGIN
	LOOP
		s := @extschema@._upgrade_next_data_schema(s, lock_timeout);
		EXIT WHEN s IS NULL;
		COMMIT;
	END LOOP;
	SELECT pg_catalog.count(*),
		   pg_catalog.string_agg(pg_catalog.format('%s (%s)', d.schema_name, d.last_error),
								 '; ' ORDER BY d.schema_name)
	INTO failed, failures
	FROM @extschema@.data_schemas d
	WHERE d.version OPERATOR(pg_catalog.<) @extschema@._data_schema_version();
	IF failed OPERATOR(pg_catalog.>) 0 THEN
		RAISE EXCEPTION '% data schemas could not be upgraded to version %',
			failed, @extschema@._data_schema_version()
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = failures,
				  HINT = 'Each stays whole at its old version. Fix the cause and run CALL tracker.upgrade_data_schemas() again.';
	END IF;
END
$$;
REVOKE ALL ON PROCEDURE @extschema@.upgrade_data_schemas(interval) FROM PUBLIC;
COMMENT ON PROCEDURE @extschema@.upgrade_data_schemas(interval) IS
'Brings every data schema (the pool and each silo) to the current version, one transaction per schema; safe to run again.';

-- Asks for a background worker that, once this transaction commits, runs
-- the upgrade of every data schema as tracker.upgrade_data_schemas() does
-- (src/upgrade.c).  Every update script ends with it.
CREATE FUNCTION @extschema@._upgrade_data_schemas_after_commit()
RETURNS void
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_upgrade_data_schemas_after_commit';
REVOKE ALL ON FUNCTION @extschema@._upgrade_data_schemas_after_commit() FROM PUBLIC;
