-- tracker: the tenant registry and tenant provisioning (operators)

CREATE FUNCTION @extschema@.tier_defaults(tier text,
	OUT storage text, OUT max_users integer, OUT api_calls_per_month integer,
	OUT requests_per_second integer, OUT request_burst integer)
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT d.storage, d.max_users, d.api_calls, d.rate, d.burst
	FROM (VALUES ('basic', 'pooled', 5, 1000, 5, 50),
				 ('standard', 'pooled', 10, 5000, 10, 100),
				 ('premium', 'pooled', 25, 10000, 25, 250),
				 ('platinum', 'silo', NULL::integer, NULL::integer, 100, 1000))
		 AS d (tier, storage, max_users, api_calls, rate, burst)
	WHERE d.tier = tier_defaults.tier
$$;
COMMENT ON FUNCTION @extschema@.tier_defaults(text) IS
'Storage model and default limits of a tier (users, API calls per month, requests per second and burst); NULL limits are set per tenant.';
REVOKE ALL ON FUNCTION @extschema@.tier_defaults(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tier_defaults(text) TO tracker_user, tracker_operator;

CREATE TABLE @extschema@.tenants (
	id			uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
	slug		text COLLATE "C" NOT NULL UNIQUE
				CHECK (slug ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
	name		text NOT NULL CHECK (pg_catalog.length(pg_catalog.btrim(name)) BETWEEN 1 AND 200),
	tier		@extschema@.tier NOT NULL,
	status		@extschema@.tenant_status NOT NULL DEFAULT 'active',
	max_users	integer CHECK (max_users > 0),
	api_calls_per_month integer CHECK (api_calls_per_month > 0),
	key_prefix	text COLLATE "C" NOT NULL CHECK (key_prefix ~ '^[A-Z][A-Z0-9]{0,9}$'),
	data_schema name NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	updated_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	-- added in 1.1 (at the end, where ALTER TABLE puts them on update)
	requests_per_second integer CHECK (requests_per_second > 0),
	request_burst integer CHECK (request_burst >= requests_per_second)
);
COMMENT ON TABLE @extschema@.tenants IS
'The tenant registry: one row per company. A tenant user sees its own row only.';
COMMENT ON COLUMN @extschema@.tenants.slug IS 'Short unique name: lower-case letters, digits and hyphens.';
COMMENT ON COLUMN @extschema@.tenants.max_users IS 'Most active users allowed; NULL means no limit.';
COMMENT ON COLUMN @extschema@.tenants.api_calls_per_month IS 'API calls allowed per month; NULL means no limit.';
COMMENT ON COLUMN @extschema@.tenants.requests_per_second IS 'API calls allowed per second, on average; NULL means no limit.';
COMMENT ON COLUMN @extschema@.tenants.request_burst IS 'API calls allowed at once after a quiet spell (the rate limit''s bucket); NULL means requests_per_second.';
COMMENT ON COLUMN @extschema@.tenants.key_prefix IS 'Prefix of the tenant''s issue keys, as in TECH-42.';
COMMENT ON COLUMN @extschema@.tenants.data_schema IS 'The schema that holds the tenant''s rows: tracker_pool, or its own silo.';

ALTER TABLE @extschema@.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_own ON @extschema@.tenants FOR SELECT TO tracker_user
	USING (id OPERATOR(pg_catalog.=) @extschema@.current_tenant());
CREATE POLICY tenants_operator ON @extschema@.tenants FOR SELECT TO tracker_operator
	USING (true);
REVOKE ALL ON @extschema@.tenants FROM PUBLIC;
GRANT SELECT ON @extschema@.tenants TO tracker_user, tracker_operator;

-- A suspended tenant, a moved data schema, a new key prefix or new limits
-- on API calls must reach that tenant's cached contexts; other updates
-- (names, the user limit, the row locks that serialise user additions)
-- need not reach any.
CREATE TRIGGER tenants_invalidate
	AFTER UPDATE ON @extschema@.tenants
	FOR EACH ROW
	WHEN ((OLD.status, OLD.data_schema, OLD.key_prefix, OLD.api_calls_per_month,
		   OLD.requests_per_second, OLD.request_burst)
		  IS DISTINCT FROM (NEW.status, NEW.data_schema, NEW.key_prefix, NEW.api_calls_per_month,
							NEW.requests_per_second, NEW.request_burst))
	EXECUTE FUNCTION @extschema@._invalidate_caches('tenant', 'id');
CREATE TRIGGER tenants_invalidate_removal
	AFTER DELETE ON @extschema@.tenants
	FOR EACH ROW EXECUTE FUNCTION @extschema@._invalidate_caches('tenant', 'id');
CREATE TRIGGER tenants_invalidate_truncate
	AFTER TRUNCATE ON @extschema@.tenants
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches('all');
ALTER TABLE @extschema@.tenants ENABLE ALWAYS TRIGGER tenants_invalidate;
ALTER TABLE @extschema@.tenants ENABLE ALWAYS TRIGGER tenants_invalidate_removal;
ALTER TABLE @extschema@.tenants ENABLE ALWAYS TRIGGER tenants_invalidate_truncate;

-- Serialises the changes to a tenant's users: an update (of nothing) of
-- the tenant's row.  A plain row lock would not do under REPEATABLE READ,
-- where a transaction that waited would still count users with its old
-- snapshot; an update makes it fail with a serialization error instead.
CREATE FUNCTION @extschema@._tenant_row_locked()
RETURNS void
LANGUAGE C
VOLATILE
AS 'MODULE_PATHNAME', 'tracker_tenant_row_locked';
COMMENT ON FUNCTION @extschema@._tenant_row_locked() IS
'Marks this transaction as holding a tenant''s registry row: it may not be prepared (src/guard.c).';
REVOKE ALL ON FUNCTION @extschema@._tenant_row_locked() FROM PUBLIC;

CREATE FUNCTION @extschema@._lock_tenant(tenant uuid)
RETURNS @extschema@.tenants
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
BEGIN
	PERFORM @extschema@._tenant_row_locked();
	UPDATE @extschema@.tenants x SET status = x.status WHERE x.id = tenant RETURNING x.* INTO t;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'tenant % does not exist', tenant
			USING ERRCODE = 'undefined_object';
	END IF;
	-- a tombstone: nothing changes a deleted tenant
	IF t.status = 'deleted' THEN
		RAISE EXCEPTION 'tenant "%" has been deleted', t.slug
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'A deleted tenant cannot come back; import its export as a new one elsewhere.';
	END IF;
	RETURN t;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._lock_tenant(uuid) FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.tenants', '');

-- Key and token tables hold no tenant rows, but nothing but the owner
-- (and the C verifier) should read them: RLS with no policy makes sure.
ALTER TABLE @extschema@.jwt_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.jwt_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.revoked_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.revoked_tokens FORCE ROW LEVEL SECURITY;

CREATE FUNCTION @extschema@._require_operator(action text)
RETURNS void
LANGUAGE C
STRICT STABLE
AS 'MODULE_PATHNAME', 'tracker_require_operator';
COMMENT ON FUNCTION @extschema@._require_operator(text) IS
'Raises 42501 "permission denied to <action>" unless the session''s role is a superuser or a member of tracker_operator.';
REVOKE ALL ON FUNCTION @extschema@._require_operator(text) FROM PUBLIC;

CREATE FUNCTION @extschema@._tenant(tenant uuid)
RETURNS @extschema@.tenants
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
BEGIN
	SELECT * INTO t FROM @extschema@.tenants WHERE id = tenant;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'tenant % does not exist', tenant
			USING ERRCODE = 'undefined_object';
	END IF;
	RETURN t;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._tenant(uuid) FROM PUBLIC;

-- A name for a new silo schema that says nothing about its tenant: every
-- role can read pg_namespace, and a slug there would publish the list of
-- Platinum customers.  tracker.tenants (operators only) maps tenant to
-- schema.
CREATE FUNCTION @extschema@._new_silo_name()
RETURNS name
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	candidate name;
BEGIN
	LOOP
		candidate := 'silo_' || left(md5(gen_random_uuid()::text), 12);
		EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = candidate)
			  AND NOT EXISTS (SELECT 1 FROM @extschema@.data_schemas d WHERE d.schema_name = candidate);
	END LOOP;
	RETURN candidate;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._new_silo_name() FROM PUBLIC;

CREATE FUNCTION @extschema@.create_tenant(slug text, name text, tier text,
										  key_prefix text DEFAULT NULL,
										  tenant_id uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d		record;
	schema	name;
	prefix	text := key_prefix;
	id		uuid;
BEGIN
	PERFORM @extschema@._require_operator('create tenants');
	SELECT * INTO d FROM @extschema@.tier_defaults(tier);
	IF d.storage IS NULL THEN
		RAISE EXCEPTION 'unknown tier "%"', tier
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The tiers are basic, standard, premium and platinum.';
	END IF;
	IF slug IS NULL OR slug !~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$' THEN
		RAISE EXCEPTION 'invalid tenant slug "%"', slug
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A slug has 3 to 40 lower-case letters, digits and hyphens, starting with a letter.';
	END IF;
	IF name IS NULL OR length(btrim(name)) NOT BETWEEN 1 AND 200 THEN
		RAISE EXCEPTION 'a tenant name must have 1 to 200 characters'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF prefix IS NULL THEN
		prefix := left(upper(regexp_replace(slug, '[^a-z0-9]', '', 'g')), 4);
	ELSIF prefix !~ '^[A-Z][A-Z0-9]{0,9}$' THEN
		RAISE EXCEPTION 'invalid issue key prefix "%"', prefix
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A prefix has 1 to 10 upper-case letters and digits, starting with a letter.';
	END IF;
	IF EXISTS (SELECT 1 FROM @extschema@.tenants t WHERE t.slug = create_tenant.slug) THEN
		RAISE EXCEPTION 'tenant "%" already exists', slug
			USING ERRCODE = 'duplicate_object';
	END IF;
	IF EXISTS (SELECT 1 FROM @extschema@.tenants t WHERE t.id = create_tenant.tenant_id) THEN
		RAISE EXCEPTION 'a tenant with id % already exists', tenant_id
			USING ERRCODE = 'duplicate_object';
	END IF;

	schema := CASE d.storage WHEN 'silo' THEN @extschema@._new_silo_name()
						     ELSE 'tracker_pool' END;
	PERFORM @extschema@._create_data_schema(schema);

	INSERT INTO @extschema@.tenants (id, slug, name, tier, max_users, api_calls_per_month,
									 requests_per_second, request_burst, key_prefix, data_schema)
	VALUES (COALESCE(tenant_id, gen_random_uuid()), slug, btrim(name), tier,
			d.max_users, d.api_calls_per_month, d.requests_per_second, d.request_burst,
			prefix, schema)
	RETURNING tenants.id INTO id;
	EXECUTE format('INSERT INTO %I.issue_counters (tenant_id) VALUES ($1)', schema) USING id;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.create_tenant(text, text, text, text, uuid) IS
'Provisions a tenant with its tier''s default limits, in the pooled schema or (platinum) a silo schema of its own; returns its id. tenant_id keeps the id an identity provider already uses.';

CREATE FUNCTION @extschema@.set_tenant_status(tenant_id uuid, status text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._require_operator('change the status of tenants');
	IF status IS NULL OR status NOT IN ('active', 'suspended') THEN
		RAISE EXCEPTION 'invalid tenant status "%"', status
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A tenant is active or suspended.';
	END IF;
	PERFORM @extschema@._lock_tenant(tenant_id);	-- refuses a deleted tenant
	UPDATE @extschema@.tenants t SET status = set_tenant_status.status, updated_at = now()
	WHERE t.id = tenant_id AND t.status IS DISTINCT FROM set_tenant_status.status;
	IF FOUND THEN
		PERFORM @extschema@._audit('set status', tenant_id, jsonb_build_object('to', status));
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.set_tenant_status(uuid, text) IS
'Suspends (''suspended'') or reactivates (''active'') a tenant; a suspended tenant''s tokens stop working at once.';

CREATE FUNCTION @extschema@.set_tenant_limits(tenant_id uuid, max_users integer,
											  api_calls_per_month integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	d record;
BEGIN
	PERFORM @extschema@._require_operator('change the limits of tenants');
	t := @extschema@._tenant(tenant_id);
	IF max_users <= 0 OR api_calls_per_month <= 0 THEN
		RAISE EXCEPTION 'limits must be positive'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT * INTO d FROM @extschema@.tier_defaults(t.tier);
	UPDATE @extschema@.tenants x
	SET max_users = COALESCE(set_tenant_limits.max_users, d.max_users),
		api_calls_per_month = COALESCE(set_tenant_limits.api_calls_per_month, d.api_calls_per_month),
		updated_at = now()
	WHERE x.id = tenant_id;
	PERFORM @extschema@._audit('set limits', tenant_id,
							   jsonb_build_object('max_users', max_users, 'api_calls_per_month', api_calls_per_month));
END
$$;
COMMENT ON FUNCTION @extschema@.set_tenant_limits(uuid, integer, integer) IS
'Overrides a tenant''s limits; NULL restores the tier''s default.';

-- Renames a tenant's silo schema: to a random name (the default), as new
-- silos get, or to one the operator chooses.  For silos made by 1.0, whose
-- names carry the tenant's slug.  The tenant's cached contexts follow at
-- their next transaction; sessions that set their search_path with
-- authenticate() need to authenticate again.
CREATE FUNCTION @extschema@.rename_silo(tenant_id uuid, new_name name DEFAULT NULL)
RETURNS name
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	target name := COALESCE(new_name, @extschema@._new_silo_name());
BEGIN
	PERFORM @extschema@._require_operator('rename silos');
	t := @extschema@._lock_tenant(rename_silo.tenant_id);
	IF t.data_schema = 'tracker_pool' THEN
		RAISE EXCEPTION 'tenant "%" has no silo', t.slug
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'Only platinum tenants have a schema of their own.';
	END IF;
	IF target !~ '^[a-z_][a-z0-9_]*$' OR target ~ '^pg_' OR target IN ('tracker', 'tracker_pool', 'public') THEN
		RAISE EXCEPTION 'invalid silo schema name "%"', target
			USING ERRCODE = 'invalid_schema_name',
				  DETAIL = 'A silo name has lower-case letters, digits and underscores, and does not start with pg_.';
	END IF;
	IF target = t.data_schema THEN
		RETURN target;
	END IF;
	IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = target) THEN
		RAISE EXCEPTION 'schema "%" already exists', target
			USING ERRCODE = 'duplicate_schema';
	END IF;
	EXECUTE format('ALTER SCHEMA %I RENAME TO %I', t.data_schema, target);
	UPDATE @extschema@.tenants x SET data_schema = target, updated_at = now()
	WHERE x.id = t.id;
	UPDATE @extschema@.data_schemas d SET schema_name = target
	WHERE d.schema_name = t.data_schema;
	RETURN target;
END
$$;
COMMENT ON FUNCTION @extschema@.rename_silo(uuid, name) IS
'Renames a platinum tenant''s silo schema, to a random name by default; returns the new name.';

DO $grants$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'create_tenant(text, text, text, text, uuid)',
		'set_tenant_status(uuid, text)',
		'set_tenant_limits(uuid, integer, integer)',
		'rename_silo(uuid, name)']
	LOOP
		EXECUTE format('REVOKE ALL ON FUNCTION @extschema@.%s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO tracker_operator', f);
	END LOOP;
END
$grants$;
