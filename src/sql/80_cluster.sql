-- tracker: a database distributed over a Citus cluster (docs/scaling.md)
--
-- tracker.distribute() makes tracker's own tables, which every context is
-- made of, reference tables (a copy on every node, read by the library
-- through the node's own copy, src/placement.c), the pool's tables
-- distributed by tenant_id in one co-location group (a tenant's users,
-- teams, issues and comments in one shard), and each silo a distributed
-- schema (all of it on one node).  Citus's catalogs are read through
-- EXECUTE: this file is installed on servers without Citus too.

-- How Citus distributes a table: 'h' by hash, 'n' a single shard (a
-- reference table, a table of a distributed schema, a local table Citus
-- manages), NULL when it does not, or Citus is not there.
CREATE FUNCTION @extschema@._citus_method(rel regclass)
RETURNS "char"
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	method "char";
BEGIN
	IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN NULL;
	END IF;
	EXECUTE 'SELECT partmethod FROM pg_catalog.pg_dist_partition '
			'WHERE logicalrelid OPERATOR(pg_catalog.=) $1'
		INTO method USING rel;
	RETURN method;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._citus_method(regclass) FROM PUBLIC;

-- Has tracker.distribute() run in this database?
CREATE FUNCTION @extschema@._distributed()
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._citus_method('@extschema@.tenants') IS NOT NULL $$;
REVOKE ALL ON FUNCTION @extschema@._distributed() FROM PUBLIC;

-- Turns the database into a distributed one.  Runs in the caller's
-- transaction, and does again only what is not done yet.
CREATE FUNCTION @extschema@.distribute(shard_count integer DEFAULT 32)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t name;
	s name;
	r record;
	coordinator boolean;
	done boolean;
	foreign_keys text[];
	stmt text;
BEGIN
	PERFORM @extschema@._require_operator('distribute the database');
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'Citus is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Install Citus on every node, preload it before tracker, and run CREATE EXTENSION citus (docs/scaling.md).';
	END IF;
	IF shard_count IS NULL OR shard_count NOT BETWEEN 1 AND 64000 THEN
		RAISE EXCEPTION 'shard_count must be between 1 and 64000'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node '
			'WHERE groupid OPERATOR(pg_catalog.=) 0)' INTO coordinator;
	IF NOT coordinator THEN
		RAISE EXCEPTION 'the coordinator is not in the cluster''s metadata'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'Every node verifies tokens from its own copy of tracker''s tables, the coordinator too.',
				  HINT = 'Run SELECT citus_set_coordinator_host(''<host>'', <port>) on the coordinator, then this again.';
	END IF;
	IF EXISTS (SELECT 1 FROM @extschema@.data_schemas d
			   WHERE d.version <> @extschema@._data_schema_version()) THEN
		RAISE EXCEPTION 'some data schemas are not at the current version'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Run CALL tracker.upgrade_data_schemas(); then this again.';
	END IF;
	-- every data-schema table has triggers; tracker's run on the node of the row
	PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);

	-- Citus lets every role run commands on the workers, in sessions of
	-- their own: tenants' sessions belong on the coordinator, where their
	-- calls are counted and only Citus's own connections reach the workers
	FOR r IN
		SELECT p.oid::regprocedure AS f FROM pg_proc p
		WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::regnamespace
		  AND (p.proname LIKE 'run\_command\_on\_%' OR p.proname = 'master_run_on_worker')
	LOOP
		EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', r.f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tracker_operator', r.f);
	END LOOP;

	-- What contexts are made of: a copy on every node.  The data-schema
	-- tables that refer to tenants become Citus's local tables for now.
	FOREACH t IN ARRAY '{jwt_keys, revoked_tokens, tenants, data_schemas}'::name[] LOOP
		IF @extschema@._citus_method(format('@extschema@.%I', t)) IS NULL THEN
			EXECUTE 'SELECT create_reference_table($1)' USING format('@extschema@.%I', t)::regclass;
		END IF;
	END LOOP;

	-- The pool by tenant, in one co-location group; each silo a distributed
	-- schema, all its tables on one node.  The rows are copied as they are:
	-- the tables' triggers, which check a tenant user's writes, are off
	-- meanwhile.  Citus distributes no table of the pool while a foreign key
	-- ties it to one it has not distributed yet: those between the pool's
	-- own tables go, and come back after.
	FOR s IN SELECT d.schema_name FROM @extschema@.data_schemas d
			 ORDER BY d.schema_name <> 'tracker_pool', d.schema_name
	LOOP
		IF s = 'tracker_pool' THEN
			done := @extschema@._citus_method('tracker_pool.users') = 'h';
		ELSE
			EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_schema '
					'WHERE schemaid OPERATOR(pg_catalog.=) $1::regnamespace)'
				INTO done USING s;
		END IF;
		CONTINUE WHEN done;
		FOREACH t IN ARRAY @extschema@._tenant_tables() LOOP
			EXECUTE format('ALTER TABLE %I.%I DISABLE TRIGGER USER', s, t);
		END LOOP;
		IF s = 'tracker_pool' THEN
			foreign_keys := '{}';
			FOR r IN
				SELECT c.conrelid::regclass AS rel, c.conname, pg_get_constraintdef(c.oid) AS def
				FROM pg_constraint c JOIN pg_class ref ON ref.oid OPERATOR(pg_catalog.=) c.confrelid
				WHERE c.contype = 'f'
				  AND c.connamespace OPERATOR(pg_catalog.=) 'tracker_pool'::regnamespace
				  AND ref.relnamespace OPERATOR(pg_catalog.=) 'tracker_pool'::regnamespace
				ORDER BY 1::text, 2
			LOOP
				foreign_keys := foreign_keys
					|| format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.rel, r.conname, r.def);
				EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.rel, r.conname);
			END LOOP;
			-- users first (_tenant_tables() starts with it): the others join its group
			FOREACH t IN ARRAY @extschema@._tenant_tables() LOOP
				IF t = 'users' THEN
					EXECUTE 'SELECT create_distributed_table($1, ''tenant_id'', shard_count => $2, colocate_with => ''none'')'
						USING 'tracker_pool.users'::regclass, shard_count;
				ELSE
					EXECUTE 'SELECT create_distributed_table($1, ''tenant_id'', colocate_with => ''tracker_pool.users'')'
						USING format('tracker_pool.%I', t)::regclass;
				END IF;
			END LOOP;
			FOREACH stmt IN ARRAY foreign_keys LOOP
				EXECUTE stmt;
			END LOOP;
		ELSE
			EXECUTE 'SELECT citus_schema_distribute($1)' USING s::regnamespace;
		END IF;
		FOREACH t IN ARRAY @extschema@._tenant_tables() LOOP
			EXECUTE format('ALTER TABLE %I.%I ENABLE TRIGGER USER', s, t);
		END LOOP;
	END LOOP;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.distribute(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.distribute(integer) TO tracker_operator;
COMMENT ON FUNCTION @extschema@.distribute(integer) IS
'On a Citus cluster (coordinator in the metadata): tracker''s tables become reference tables, the pool''s tables are distributed by tenant_id with shard_count shards, and each silo becomes a distributed schema; rows are kept. Safe to run again; tenants created afterwards are distributed as they are created.';
