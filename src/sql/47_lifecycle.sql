-- tracker: a tenant's life after provisioning (operators): tier changes,
-- with moves between the pool and a silo; export, import and deletion

CREATE FUNCTION @extschema@._lock_tenant_writes(tenant uuid)
RETURNS void
LANGUAGE C
STRICT VOLATILE
AS 'MODULE_PATHNAME', 'tracker_lock_tenant_writes';
COMMENT ON FUNCTION @extschema@._lock_tenant_writes(uuid) IS
'Takes the tenant''s write lock exclusively until the end of the transaction: its writes wait, and then fail with 40001 if its rows moved (src/moves.c).';
REVOKE ALL ON FUNCTION @extschema@._lock_tenant_writes(uuid) FROM PUBLIC;

-- The tables of a data schema that hold a tenant's rows, parents first.
CREATE FUNCTION @extschema@._tenant_tables()
RETURNS text[]
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._data_schema_entities() || '{issue_counters}'::text[] $$;
REVOKE ALL ON FUNCTION @extschema@._tenant_tables() FROM PUBLIC;

-- The columns a tenant table's rows are copied by: every column but the
-- generated ones, quoted, in order
CREATE FUNCTION @extschema@._copied_columns(schema name, entity text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
	FROM pg_attribute a
	WHERE a.attrelid = format('%I.%I', schema, entity)::regclass
	  AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
$$;
REVOKE ALL ON FUNCTION @extschema@._copied_columns(name, text) FROM PUBLIC;

-- Every row of a tenant, copied from one data schema to another and then
-- removed from the first (a silo is dropped), in the caller's transaction:
-- ids, issue numbers and keys as they were.  Row triggers do not fire (the
-- rows are as they were written), and foreign keys are not checked: the
-- rows come whole from a schema of the same definition.
--
-- The rows go in batches of 50, found by their place in the table (the
-- caller holds the tenant's write lock, so they stay where they are), at
-- most tracker.move_rows_per_second rows copied or removed a second: a
-- move sleeps between batches so that other tenants' statements are not
-- slowed down by it (0: as fast as it can).
CREATE FUNCTION @extschema@._move_tenant_rows(tenant uuid, source name, target name)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning	-- not a notice per table of a dropped silo
AS $$
DECLARE
	batch constant int := 50;
	rate int := coalesce(nullif(current_setting('tracker.move_rows_per_second', true), ''), '0')::int;
	started timestamptz := clock_timestamp();
	done bigint := 0;			-- rows copied or removed, for the pace
	moved bigint := 0;
	tables text[] := @extschema@._tenant_tables();
	entity text;
	cols text;
	places tid[];
	listed bigint;			-- rows of this table found to move
	n bigint;
	k bigint;
	step text;
BEGIN
	IF (SELECT count(*) FROM @extschema@.data_schemas d
		WHERE d.schema_name IN (source, target) AND d.version = @extschema@._data_schema_version()) <> 2 THEN
		RAISE EXCEPTION 'data schemas "%" and "%" must both be at the current version', source, target
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Run CALL tracker.upgrade_data_schemas(); then try again.';
	END IF;
	PERFORM set_config('session_replication_role', 'replica', true);
	-- copy, parents first; then, from the pool, remove, children first
	FOREACH step IN ARRAY CASE WHEN source = 'tracker_pool' THEN '{copy, remove}'::text[] ELSE '{copy}' END LOOP
		FOR i IN 1 .. array_length(tables, 1) LOOP
			entity := tables[CASE step WHEN 'copy' THEN i ELSE array_length(tables, 1) + 1 - i END];
			cols := @extschema@._copied_columns(target, entity);
			-- the batches come from one query, sorted once: slicing one array
			-- of every place would copy all of it for each batch
			listed := 0;
			n := 0;
			FOR places IN EXECUTE format('SELECT array_agg(s.ctid ORDER BY s.ctid) FROM '
										 '(SELECT r.ctid, (row_number() OVER (ORDER BY r.ctid) - 1) / %s AS b '
										 'FROM %I.%I r WHERE r.tenant_id OPERATOR(pg_catalog.=) $1) s '
										 'GROUP BY s.b ORDER BY s.b',
										 batch, source, entity)
				USING tenant
			LOOP
				listed := listed + array_length(places, 1);
				IF step = 'copy' THEN
					EXECUTE format('INSERT INTO %I.%I (%s) SELECT %s FROM %I.%I r '
								   'WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2) AND r.tenant_id OPERATOR(pg_catalog.=) $1',
								   target, entity, cols, cols, source, entity)
						USING tenant, places;
				ELSE
					EXECUTE format('DELETE FROM %I.%I r '
								   'WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2) AND r.tenant_id OPERATOR(pg_catalog.=) $1',
								   source, entity)
						USING tenant, places;
				END IF;
				GET DIAGNOSTICS k = ROW_COUNT;
				n := n + k;
				done := done + k;
				IF rate > 0 AND done::float8 / rate > extract(epoch FROM clock_timestamp() - started) THEN
					PERFORM pg_sleep(done::float8 / rate - extract(epoch FROM clock_timestamp() - started));
				END IF;
			END LOOP;
			-- every row found was copied or removed: none moved away meanwhile
			IF n <> listed THEN
				RAISE EXCEPTION 'rows of tenant % in %.% changed during its move', tenant, source, entity
					USING ERRCODE = 'serialization_failure',
						  HINT = 'Nothing was moved; run change_tier again.';
			END IF;
			IF step = 'copy' THEN
				moved := moved + n;
			END IF;
		END LOOP;
	END LOOP;
	IF source <> 'tracker_pool' THEN
		EXECUTE format('DROP SCHEMA %I CASCADE', source);
		DELETE FROM @extschema@.data_schemas d WHERE d.schema_name = source;
	END IF;
	PERFORM set_config('session_replication_role', 'origin', true);
	RETURN moved;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._move_tenant_rows(uuid, name, name) FROM PUBLIC;

-- Changes a tenant's tier.  Between pooled tiers, only its limits change
-- (to the new tier's defaults).  To platinum, every row of the tenant
-- moves into a new silo; from platinum to a pooled tier, back into the
-- pool.  The move is one transaction: a crash rolls it back, and the
-- tenant is whole in its old place.  Other tenants never wait for it; the
-- moving tenant's reads see it whole, before or after; its writes wait for
-- the move and then fail with 40001, to be retried in the new place.
CREATE FUNCTION @extschema@.change_tier(tenant_id uuid, tier text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	d record;
	target name;
	moved bigint := 0;
BEGIN
	PERFORM @extschema@._require_operator('change the tier of tenants');
	SELECT * INTO d FROM @extschema@.tier_defaults(tier);
	IF d.storage IS NULL THEN
		RAISE EXCEPTION 'unknown tier "%"', tier
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The tiers are basic, standard, premium and platinum.';
	END IF;
	t := @extschema@._lock_tenant(change_tier.tenant_id);
	target := CASE WHEN d.storage = 'silo' AND t.data_schema <> 'tracker_pool' THEN t.data_schema
				   WHEN d.storage = 'silo' THEN @extschema@._new_silo_name()
				   ELSE 'tracker_pool' END;
	IF target <> t.data_schema THEN
		-- the tenant's writing transactions end first; new ones wait
		PERFORM @extschema@._lock_tenant_writes(t.id);
		PERFORM @extschema@._create_data_schema(target);
		moved := @extschema@._move_tenant_rows(t.id, t.data_schema, target);
	END IF;
	UPDATE @extschema@.tenants x
	SET tier = change_tier.tier, data_schema = target,
		max_users = d.max_users, api_calls_per_month = d.api_calls_per_month,
		requests_per_second = d.requests_per_second, request_burst = d.request_burst,
		updated_at = now()
	WHERE x.id = t.id;
	PERFORM @extschema@._audit('change tier', t.id,
							   jsonb_build_object('from', t.tier, 'to', tier,
												  'moved_rows', moved,
												  'schema_changed', target <> t.data_schema));
	RETURN target;
END
$$;
COMMENT ON FUNCTION @extschema@.change_tier(uuid, text) IS
'Changes a tenant''s tier, with its limits; to or from platinum, moves every row of the tenant between the pool and a silo of its own, in one transaction. Returns the tenant''s data schema. Audited.';

-- Everything a tenant owns, as JSON lines: a header, then one line per row
-- of each of its tables, parents first, then its API usage.  Readable
-- without tracker; import_tenant() reads it back.
CREATE FUNCTION @extschema@.export_tenant(tenant_id uuid)
RETURNS SETOF jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	entity text;
BEGIN
	PERFORM @extschema@._require_operator('export tenants');
	t := @extschema@._tenant(export_tenant.tenant_id);
	IF t.status = 'deleted' THEN
		RAISE EXCEPTION 'tenant "%" has been deleted', t.slug
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	RETURN NEXT jsonb_build_object(
		'format', 'tracker-tenant-export',
		'version', 1,
		'exported_at', now(),
		'tracker', (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'tracker'),
		'data_schema_version', @extschema@._data_schema_version(),
		'tables', to_jsonb(@extschema@._tenant_tables() || '{api_usage}'::text[]),
		'tenant', to_jsonb(t) - 'data_schema');
	FOREACH entity IN ARRAY @extschema@._tenant_tables() LOOP
		RETURN QUERY EXECUTE format(
			'SELECT jsonb_build_object(''table'', %L, ''row'', to_jsonb(r)) FROM %I.%I r '
			'WHERE r.tenant_id = $1 ORDER BY to_jsonb(r)::text COLLATE "C"',
			entity, t.data_schema, entity) USING t.id;
	END LOOP;
	RETURN QUERY
		SELECT jsonb_build_object('table', 'api_usage', 'row', to_jsonb(u))
		FROM @extschema@.api_usage u WHERE u.tenant_id = t.id ORDER BY u.day;
END
$$;
COMMENT ON FUNCTION @extschema@.export_tenant(uuid) IS
'Everything a tenant owns as JSON lines (format tracker-tenant-export, version 1): a header with the tenant, then a line per row of each of its tables. import_tenant() restores it.';

-- Restores an export into this database: the same ids, keys and numbers,
-- in the pool or a new silo as its tier says.  Refuses a format or
-- version it does not know, a tenant that exists, and rows that name
-- another tenant or break the tables' rules.
CREATE FUNCTION @extschema@.import_tenant(lines jsonb[])
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	header jsonb := lines[1];
	t @extschema@.tenants;
	d record;
	target name;
	line jsonb;
	entity text;
	known text[] := @extschema@._tenant_tables() || '{api_usage}'::text[];
	c record;
	bad boolean;
BEGIN
	PERFORM @extschema@._require_operator('import tenants');
	IF header IS NULL OR header->>'format' IS DISTINCT FROM 'tracker-tenant-export' THEN
		RAISE EXCEPTION 'not a tracker tenant export'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The first line must be the header that tracker.export_tenant() writes.';
	END IF;
	IF header->'version' IS DISTINCT FROM '1'::jsonb THEN
		RAISE EXCEPTION 'tenant export version % is not known to this tracker', header->'version'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'This tracker reads version 1; import with the tracker version that exported it, or a newer one.';
	END IF;
	IF (header->>'data_schema_version')::integer IS DISTINCT FROM @extschema@._data_schema_version() THEN
		RAISE EXCEPTION 'the export''s tables are at data-schema version %, this database at %',
			header->>'data_schema_version', @extschema@._data_schema_version()
			USING ERRCODE = 'feature_not_supported';
	END IF;
	t := jsonb_populate_record(NULL::@extschema@.tenants, header->'tenant');
	IF t.id IS NULL THEN
		RAISE EXCEPTION 'the export''s header names no tenant' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF EXISTS (SELECT 1 FROM @extschema@.tenants x WHERE x.id = t.id OR x.slug = t.slug) THEN
		RAISE EXCEPTION 'tenant "%" (%) already exists', t.slug, t.id
			USING ERRCODE = 'duplicate_object',
				  HINT = 'Import into a database that does not have it; a deleted tenant keeps its id and slug.';
	END IF;
	SELECT * INTO d FROM @extschema@.tier_defaults(t.tier);
	target := CASE d.storage WHEN 'silo' THEN @extschema@._new_silo_name() ELSE 'tracker_pool' END;
	PERFORM @extschema@._create_data_schema(target);
	t.data_schema := target;
	IF t.status NOT IN ('active', 'suspended') THEN
		t.status := 'suspended';
	END IF;
	INSERT INTO @extschema@.tenants SELECT t.*;

	PERFORM set_config('session_replication_role', 'replica', true);
	FOR i IN 2 .. coalesce(array_length(lines, 1), 1) LOOP
		line := lines[i];
		entity := line->>'table';
		IF entity IS NULL OR NOT entity = ANY (known) OR jsonb_typeof(line->'row') IS DISTINCT FROM 'object' THEN
			RAISE EXCEPTION 'line % of the export is not a row of a tenant table', i
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		IF (line->'row'->>'tenant_id')::uuid IS DISTINCT FROM t.id THEN
			RAISE EXCEPTION 'line % of the export belongs to another tenant', i
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		IF entity = 'api_usage' THEN
			INSERT INTO @extschema@.api_usage SELECT * FROM jsonb_populate_record(NULL::@extschema@.api_usage, line->'row');
		ELSE
			EXECUTE format('INSERT INTO %1$I.%3$I (%2$s) SELECT %2$s FROM jsonb_populate_record(NULL::%1$I.%3$I, $1)',
						   target, @extschema@._copied_columns(target, entity), entity) USING line->'row';
		END IF;
	END LOOP;
	PERFORM set_config('session_replication_role', 'origin', true);

	-- the rows went in without their triggers: check every foreign key of
	-- the tenant's tables, and that it has its issue counter
	FOR c IN
		SELECT con.conname, cl.relname AS child, pcl.relname AS parent,
			   (SELECT string_agg(format('ch.%I', a.attname), ', ' ORDER BY k.ord)
				FROM unnest(con.conkey) WITH ORDINALITY k (attnum, ord)
				JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS child_cols,
			   (SELECT string_agg(format('pa.%I', a.attname), ', ' ORDER BY k.ord)
				FROM unnest(con.confkey) WITH ORDINALITY k (attnum, ord)
				JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS parent_cols,
			   pn.nspname AS parent_schema
		FROM pg_constraint con
		JOIN pg_class cl ON cl.oid = con.conrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		JOIN pg_class pcl ON pcl.oid = con.confrelid
		JOIN pg_namespace pn ON pn.oid = pcl.relnamespace
		WHERE con.contype = 'f' AND n.nspname = target
		ORDER BY cl.relname, con.conname
	LOOP
		EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I ch WHERE ch.tenant_id = $1 AND ROW(%s) IS NOT NULL '
					   'AND NOT EXISTS (SELECT 1 FROM %I.%I pa WHERE ROW(%s) = ROW(%s)))',
					   target, c.child, c.child_cols,
					   c.parent_schema, c.parent, c.parent_cols, c.child_cols)
			INTO bad USING t.id;
		IF bad THEN
			RAISE EXCEPTION 'the export breaks foreign key % of table %', c.conname, c.child
				USING ERRCODE = 'foreign_key_violation';
		END IF;
	END LOOP;
	EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %I.issue_counters c WHERE c.tenant_id = $1)', target)
		INTO bad USING t.id;
	IF bad THEN
		RAISE EXCEPTION 'the export has no issue counter for its tenant'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM @extschema@._audit('import tenant', t.id,
							   jsonb_build_object('lines', array_length(lines, 1), 'exported_at', header->'exported_at'));
	RETURN t.id;
END
$$;
COMMENT ON FUNCTION @extschema@.import_tenant(jsonb[]) IS
'Restores a tenant from the lines of export_tenant(), with the same ids, keys and numbers; refuses an unknown format or version, an existing tenant, and rows that are not the tenant''s or break a rule. Audited.';

-- Removes every row of a suspended tenant (or drops its silo), and keeps
-- its registry row as a tombstone (status deleted): its tokens are then
-- refused with "tenant has been deleted", and its id and slug stay taken.
-- Its API usage and the audit stay.
CREATE FUNCTION @extschema@.delete_tenant(tenant_id uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning	-- not a notice per table of a dropped silo
AS $$
DECLARE
	t @extschema@.tenants;
	tables text[] := @extschema@._tenant_tables();
	n bigint;
	removed bigint := 0;
BEGIN
	PERFORM @extschema@._require_operator('delete tenants');
	IF (@extschema@._tenant(delete_tenant.tenant_id)).status = 'deleted' THEN
		RETURN;					-- deleting again changes nothing
	END IF;
	t := @extschema@._lock_tenant(delete_tenant.tenant_id);
	IF t.status <> 'suspended' THEN
		RAISE EXCEPTION 'tenant "%" is %: suspend it before deleting it', t.slug, t.status
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'SELECT tracker.set_tenant_status(tenant_id, ''suspended''); export it if its data is to be kept.';
	END IF;
	PERFORM @extschema@._lock_tenant_writes(t.id);
	IF t.data_schema = 'tracker_pool' THEN
		PERFORM set_config('session_replication_role', 'replica', true);
		FOR i IN REVERSE array_length(tables, 1) .. 1 LOOP
			EXECUTE format('DELETE FROM tracker_pool.%I r WHERE r.tenant_id = $1', tables[i]) USING t.id;
			GET DIAGNOSTICS n = ROW_COUNT;
			removed := removed + n;
		END LOOP;
		PERFORM set_config('session_replication_role', 'origin', true);
	ELSE
		EXECUTE format('DROP SCHEMA %I CASCADE', t.data_schema);
		DELETE FROM @extschema@.data_schemas d WHERE d.schema_name = t.data_schema;
	END IF;
	UPDATE @extschema@.tenants x SET status = 'deleted', updated_at = now() WHERE x.id = t.id;
	PERFORM @extschema@._audit('delete tenant', t.id,
							   jsonb_build_object('slug', t.slug, 'schema', t.data_schema,
												  'removed_rows', CASE WHEN t.data_schema = 'tracker_pool' THEN removed END));
END
$$;
COMMENT ON FUNCTION @extschema@.delete_tenant(uuid) IS
'Removes every row of a suspended tenant, or drops its silo, and keeps a tombstone in the registry (status deleted) so that its tokens are refused. Audited.';

REVOKE ALL ON FUNCTION @extschema@.change_tier(uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.export_tenant(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.import_tenant(jsonb[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.delete_tenant(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.change_tier(uuid, text), @extschema@.export_tenant(uuid),
	@extschema@.import_tenant(jsonb[]), @extschema@.delete_tenant(uuid)
	TO tracker_operator;
