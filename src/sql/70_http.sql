-- tracker: HTTP through PostgREST (docs/http.md)

-- PostgREST logs in as an authenticator that can become only the two roles
-- a request runs as.  NOINHERIT: logged in, it holds no privilege of either
-- until PostgREST switches role for a request.  The operator makes it able
-- to log in, once: ALTER ROLE tracker_authenticator LOGIN PASSWORD '...'.
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'tracker_authenticator') THEN
		CREATE ROLE tracker_authenticator NOLOGIN NOINHERIT;
	END IF;
END
$roles$;
GRANT tracker_anon, tracker_user TO tracker_authenticator;
-- its own privileges: the functions of db-pre-config, nothing else
GRANT USAGE ON SCHEMA @extschema@ TO tracker_authenticator;
COMMENT ON ROLE tracker_authenticator IS
'What PostgREST logs in as: it can switch only to tracker_anon and tracker_user. Make it LOGIN with a password to use it.';

CREATE FUNCTION @extschema@.http_pre_request()
RETURNS void
LANGUAGE C
VOLATILE
AS 'MODULE_PATHNAME', 'tracker_http_pre_request';
REVOKE ALL ON FUNCTION @extschema@.http_pre_request() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.http_pre_request() TO tracker_anon, tracker_user;
COMMENT ON FUNCTION @extschema@.http_pre_request() IS
'PostgREST''s db-pre-request: verifies the request''s bearer token (from request.headers, never from request.jwt.claims) with tracker''s keys and rules and makes it the transaction''s context; answers 401, 403 or 429 the way PostgREST documents for raised errors.';

-- Whether a silo is named after its tenant, as 1.0 named silos: PostgREST
-- lists the schemas it exposes to anyone who asks for another, so such a
-- silo is not exposed until tracker.rename_silo() gives it a random name.
CREATE FUNCTION @extschema@._http_named_after_tenant(schema name)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (SELECT 1 FROM @extschema@.tenants t
				   WHERE 'tenant_' || replace(t.slug, '-', '_') = schema)
$$;
REVOKE ALL ON FUNCTION @extschema@._http_named_after_tenant(name) FROM PUBLIC;

-- The schemas PostgREST exposes: the pool first (the default profile), then
-- every silo, by name.
CREATE FUNCTION @extschema@.http_schemas()
RETURNS text
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT string_agg(quote_ident(d.schema_name), ', '
					  ORDER BY d.schema_name <> 'tracker_pool', d.schema_name)
	FROM @extschema@.data_schemas d
	WHERE EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = d.schema_name)
	  AND NOT @extschema@._http_named_after_tenant(d.schema_name)
$$;
REVOKE ALL ON FUNCTION @extschema@.http_schemas() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.http_schemas() TO tracker_operator, tracker_authenticator;
COMMENT ON FUNCTION @extschema@.http_schemas() IS
'The data schemas PostgREST exposes, as its db-schemas setting wants them: tracker_pool first, then every Platinum silo.';

CREATE FUNCTION @extschema@.http_pre_config()
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT set_config('pgrst.db_schemas', @extschema@.http_schemas(), true)
$$;
REVOKE ALL ON FUNCTION @extschema@.http_pre_config() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.http_pre_config() TO tracker_operator, tracker_authenticator;
COMMENT ON FUNCTION @extschema@.http_pre_config() IS
'PostgREST''s db-pre-config: sets db-schemas to the pool and every silo, read from the registry each time PostgREST loads its configuration.';

-- A data schema that appears, goes or changes tells PostgREST to reload its
-- configuration (the list of schemas) and its schema cache, when the
-- transaction commits.  On a Citus cluster the registry is a reference
-- table, and the trigger fires on each node's copy: only the coordinator's
-- own change notifies (a change Citus makes over its connections between
-- nodes is prepared, and a transaction that notified cannot be).
CREATE FUNCTION @extschema@._http_reload()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF current_setting('application_name') LIKE 'citus\_internal%' THEN
		RETURN NULL;
	END IF;
	PERFORM pg_notify('pgrst', 'reload config');
	PERFORM pg_notify('pgrst', 'reload schema');
	RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._http_reload() FROM PUBLIC;
CREATE TRIGGER data_schemas_http_reload
	AFTER INSERT OR UPDATE OR DELETE ON @extschema@.data_schemas
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._http_reload();

-- A postgrest.conf for this database, for operators.
CREATE FUNCTION @extschema@.http_config(server_port integer DEFAULT 3000)
RETURNS text
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	socket text := current_setting('unix_socket_directories');
	port text := current_setting('port');
	hs text;
	other text;
	hidden bigint;
BEGIN
	PERFORM @extschema@._require_operator('print the PostgREST configuration');
	IF server_port IS NULL OR server_port NOT BETWEEN 1 AND 65535 THEN
		RAISE EXCEPTION 'server_port must be between 1 and 65535'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT string_agg(k.kid, ', ' ORDER BY k.kid) FILTER (WHERE k.alg LIKE 'HS%'),
		   string_agg(k.kid, ', ' ORDER BY k.kid) FILTER (WHERE k.alg NOT LIKE 'HS%')
	INTO hs, other
	FROM @extschema@.list_keys() k WHERE k.active;
	SELECT count(*) INTO hidden FROM @extschema@.data_schemas d
	WHERE @extschema@._http_named_after_tenant(d.schema_name);
	RETURN concat_ws(E'\n',
		'# postgrest.conf for database ' || quote_ident(current_database()) || ', from tracker.http_config()',
		'# The authenticator logs in and switches to tracker_anon or tracker_user per request.',
		'# Make it able to log in once: ALTER ROLE tracker_authenticator LOGIN PASSWORD ''...'';',
		format('db-uri = "postgresql://tracker_authenticator@/%s?host=%s&port=%s"',
			   current_database(), coalesce(nullif(btrim(split_part(socket, ',', 1)), ''), 'localhost'), port),
		'# db-schemas is set by db-pre-config from the registry: the pool, then every silo',
		CASE WHEN hidden > 0 THEN
			'#   ' || hidden || ' silo(s) named after their tenant (made by 1.0) are not exposed, since PostgREST '
			'shows the list to anyone; give them random names first: SELECT tracker.rename_silo(id) FROM tracker.tenants '
			'WHERE data_schema = ''tenant_'' || replace(slug, ''-'', ''_'');' END,
		'db-schemas = "tracker_pool"',
		'db-config = true',
		'db-pre-config = "tracker.http_pre_config"',
		'db-pre-request = "tracker.http_pre_request"',
		'db-anon-role = "tracker_anon"',
		'db-channel-enabled = true',
		'db-extra-search-path = "public"',
		'server-port = ' || server_port,
		'openapi-mode = "follow-privileges"',
		'jwt-role-claim-key = ".role"',
		'# PostgREST checks signatures before tracker does; give it the keys tracker verifies with:',
		CASE WHEN other IS NOT NULL THEN
			'#   the public keys (' || other || ') are in SELECT tracker.http_jwks(); save it to jwks.json' END,
		CASE WHEN hs IS NOT NULL THEN
			'#   the HMAC secrets (' || hs || ') are never printed: put each in the JWKS as {"kty": "oct", "k": "<base64url secret>", "kid": ..., "alg": ...}' END,
		'jwt-secret = "@jwks.json"',
		'jwt-secret-is-base64 = false');
END
$$;
REVOKE ALL ON FUNCTION @extschema@.http_config(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.http_config(integer) TO tracker_operator;
COMMENT ON FUNCTION @extschema@.http_config(integer) IS
'A postgrest.conf for this database (operators only): roles, pre-request, pre-config, profiles and JWT settings. No key material.';

CREATE FUNCTION @extschema@._key_public_jwk(alg text, material bytea)
RETURNS jsonb
LANGUAGE C STRICT IMMUTABLE
AS 'MODULE_PATHNAME', 'tracker_key_public_jwk';
REVOKE ALL ON FUNCTION @extschema@._key_public_jwk(text, bytea) FROM PUBLIC;

-- What PostgREST must be given to check signatures as tracker does: every
-- public key tracker accepts (a retired key in its grace period included),
-- as a JWKS.  HMAC secrets are not in it.
CREATE FUNCTION @extschema@.http_jwks()
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._require_operator('export the public keys');
	RETURN (SELECT jsonb_build_object('keys', coalesce(jsonb_agg(
				   @extschema@._key_public_jwk(k.alg, k.material)
					   || jsonb_build_object('kid', k.kid, 'alg', k.alg, 'use', 'sig')
				   ORDER BY k.kid), '[]'))
			FROM @extschema@.jwt_keys k
			WHERE (k.retired_at IS NULL OR k.retired_at > now()) AND k.alg NOT LIKE 'HS%');
END
$$;
REVOKE ALL ON FUNCTION @extschema@.http_jwks() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.http_jwks() TO tracker_operator;
COMMENT ON FUNCTION @extschema@.http_jwks() IS
'The active public keys (RSA and EC) as a JWKS, for PostgREST''s jwt-secret; HMAC secrets are never exported.';
