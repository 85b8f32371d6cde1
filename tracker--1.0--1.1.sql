-- tracker 1.0 -> 1.1
--
-- 1.1 collects the changes made since 1.0 was released.  Each section says
-- what it brings; the upgrade test (test/t/004_upgrade.pl) checks that a
-- 1.0 database updated with this script is the same as a fresh 1.1 one,
-- and the regression suite runs a second time on databases whose extension
-- came through it.
\echo Use "ALTER EXTENSION tracker UPDATE TO '1.1'" to load this file. \quit

--
-- The roles matrix and the workflow, one home each (src/roles.c,
-- src/workflow.c): policies ask tracker.allowed(action).
--
CREATE FUNCTION @extschema@.allowed(action text)
RETURNS boolean
LANGUAGE C
STRICT STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_allowed';
COMMENT ON FUNCTION @extschema@.allowed(text) IS
'Whether the context''s user may take an action of the roles matrix, such as ''delete issues''; false when there is no context.';

REVOKE ALL ON FUNCTION @extschema@.allowed(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.allowed(text) TO tracker_user, tracker_anon, tracker_operator;

CREATE OR REPLACE FUNCTION @extschema@.status_transition_allowed(from_status text, to_status text)
RETURNS boolean
LANGUAGE C
STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_status_transition_allowed';
COMMENT ON FUNCTION @extschema@.status_transition_allowed(text, text) IS
'The issue workflow: open -> in_progress | closed; in_progress -> open | in_review | closed; in_review -> in_progress | closed; closed -> open (admins only).';

CREATE OR REPLACE FUNCTION @extschema@._user_manager(tenant uuid)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF @extschema@._caller_is_operator() THEN
		RETURN 'operator';
	END IF;
	IF tenant IS NOT NULL
	   AND @extschema@.current_tenant() IS NOT DISTINCT FROM tenant
	   AND @extschema@.allowed('manage users') THEN
		RETURN 'super_admin';
	END IF;
	RAISE EXCEPTION 'permission denied to manage the users of this tenant'
		USING ERRCODE = 'insufficient_privilege',
			  HINT = 'Only the tenant''s super admins and members of tracker_operator can.';
END
$$;

--
-- Hardening: one check for operators, made by every privileged function;
-- the user's tenant role no longer shares its name with an SQL keyword.
--
CREATE OR REPLACE FUNCTION @extschema@._require_operator(action text)
RETURNS void
LANGUAGE C
STRICT STABLE
AS 'MODULE_PATHNAME', 'tracker_require_operator';
COMMENT ON FUNCTION @extschema@._require_operator(text) IS
'Raises 42501 "permission denied to <action>" unless the session''s role is a superuser or a member of tracker_operator.';

CREATE OR REPLACE FUNCTION @extschema@.add_key(kid text, alg text, key text,
									issuer text DEFAULT NULL,
									audience text DEFAULT NULL,
									tenant_id uuid DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._require_operator('manage keys');
	IF kid IS NULL OR alg IS NULL OR key IS NULL THEN
		RAISE EXCEPTION 'kid, alg and key must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF length(kid) NOT BETWEEN 1 AND 256 OR kid ~ '[[:cntrl:]]' THEN
		RAISE EXCEPTION 'invalid kid'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A kid has 1 to 256 characters and no control characters.';
	END IF;
	IF EXISTS (SELECT 1 FROM @extschema@.jwt_keys k WHERE k.kid = add_key.kid) THEN
		RAISE EXCEPTION 'key "%" already exists', kid
			USING ERRCODE = 'duplicate_object',
				  HINT = 'Keys are never replaced: add a new kid and retire the old one.';
	END IF;
	INSERT INTO @extschema@.jwt_keys (kid, alg, material, issuer, audience, tenant_id)
	VALUES (kid, alg, @extschema@._key_material(alg, key),
			NULLIF(issuer, ''), NULLIF(audience, ''), tenant_id);
	RETURN kid;
END
$$;
COMMENT ON FUNCTION @extschema@.add_key(text, text, text, text, text, uuid) IS
'Registers a verification key pinned to one algorithm: an HMAC secret, or an RSA or EC public key as PEM or JWK. Optionally bound to one issuer, audience and tenant.';

CREATE OR REPLACE FUNCTION @extschema@.import_jwks(jwks jsonb,
										issuer text DEFAULT NULL,
										audience text DEFAULT NULL,
										tenant_id uuid DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	jwk		jsonb;
	k_kid	text;
	k_alg	text;
	added	integer := 0;
	old		@extschema@.jwt_keys;
BEGIN
	PERFORM @extschema@._require_operator('manage keys');
	IF jsonb_typeof(jwks -> 'keys') IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'a JWKS document must be an object with a "keys" array'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOR jwk IN SELECT value FROM jsonb_array_elements(jwks -> 'keys')
	LOOP
		k_kid := jwk ->> 'kid';
		IF jsonb_typeof(jwk -> 'kid') IS DISTINCT FROM 'string' THEN
			RAISE EXCEPTION 'every key in a JWKS document must have a kid'
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		IF jwk ? 'use' AND jwk ->> 'use' IS DISTINCT FROM 'sig' THEN
			CONTINUE;			-- an encryption key: not ours to use
		END IF;
		IF jwk ->> 'kty' = 'oct' THEN
			RAISE EXCEPTION 'key "%" in the JWKS document is a shared secret', k_kid
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'A JWKS document is public; a secret in one is known to everyone.',
					  HINT = 'Register HMAC secrets with tracker.add_key().';
		END IF;
		k_alg := CASE
			WHEN jwk ? 'alg' THEN jwk ->> 'alg'
			WHEN jwk ->> 'kty' = 'RSA' THEN 'RS256'
			WHEN jwk ->> 'crv' = 'P-256' THEN 'ES256'
			WHEN jwk ->> 'crv' = 'P-384' THEN 'ES384'
			WHEN jwk ->> 'crv' = 'P-521' THEN 'ES512'
		END;
		IF k_alg IS NULL THEN
			RAISE EXCEPTION 'key "%" in the JWKS document has no alg', k_kid
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		SELECT * INTO old FROM @extschema@.jwt_keys k WHERE k.kid = k_kid;
		IF FOUND THEN
			IF old.alg = k_alg AND old.material = @extschema@._key_material(k_alg, jwk::text)
			   AND (old.issuer, old.audience, old.tenant_id)
				   IS NOT DISTINCT FROM (NULLIF(issuer, ''), NULLIF(audience, ''), tenant_id) THEN
				CONTINUE;		-- already registered: importing again is harmless
			END IF;
			RAISE EXCEPTION 'key "%" already exists with different material or bindings', k_kid
				USING ERRCODE = 'duplicate_object',
					  HINT = 'Keys are never replaced: retire the old kid first, or give the new key another kid.';
		END IF;
		PERFORM @extschema@.add_key(k_kid, k_alg, jwk::text, issuer, audience, tenant_id);
		added := added + 1;
	END LOOP;
	RETURN added;
END
$$;
COMMENT ON FUNCTION @extschema@.import_jwks(jsonb, text, text, uuid) IS
'Registers every signing key of a JWKS document (as identity providers publish them); returns how many were new.';

CREATE OR REPLACE FUNCTION @extschema@.retire_key(kid text, grace interval DEFAULT '0')
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	at timestamptz := now() + COALESCE(grace, '0');
BEGIN
	PERFORM @extschema@._require_operator('manage keys');
	IF grace < '0' THEN
		RAISE EXCEPTION 'grace period must not be negative'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	UPDATE @extschema@.jwt_keys k SET retired_at = at
	WHERE k.kid = retire_key.kid AND (k.retired_at IS NULL OR k.retired_at > at);
	IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM @extschema@.jwt_keys k WHERE k.kid = retire_key.kid) THEN
		RAISE EXCEPTION 'key "%" does not exist', kid
			USING ERRCODE = 'undefined_object';
	END IF;
	RETURN (SELECT k.retired_at FROM @extschema@.jwt_keys k WHERE k.kid = retire_key.kid);
END
$$;
COMMENT ON FUNCTION @extschema@.retire_key(text, interval) IS
'Retires a key now, or after a grace period; tokens it signed stop verifying then. Returns when it retires.';

CREATE OR REPLACE FUNCTION @extschema@.list_keys()
RETURNS TABLE (kid text, alg text, key_type text, thumbprint text,
			   issuer text, audience text, tenant_id uuid,
			   created_at timestamptz, retired_at timestamptz, active boolean)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._require_operator('list keys');
	RETURN QUERY
	SELECT k.kid, k.alg, @extschema@._key_describe(k.alg, k.material),
		   CASE WHEN k.alg NOT LIKE 'HS%' THEN encode(sha256(k.material), 'hex') END,
		   k.issuer, k.audience, k.tenant_id, k.created_at, k.retired_at,
		   (k.retired_at IS NULL OR k.retired_at > now())
	FROM @extschema@.jwt_keys k
	ORDER BY k.created_at, k.kid;
END
$$;
COMMENT ON FUNCTION @extschema@.list_keys() IS
'Lists the registered keys without their material; public keys show the SHA-256 of their DER form.';

CREATE OR REPLACE FUNCTION @extschema@.revoke_token(jti text, expires_at timestamptz DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._require_operator('revoke tokens');
	IF jti IS NULL OR length(jti) NOT BETWEEN 1 AND 256 THEN
		RAISE EXCEPTION 'invalid jti'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A jti has 1 to 256 characters.';
	END IF;
	INSERT INTO @extschema@.revoked_tokens AS r (jti, expires_at)
	VALUES (revoke_token.jti, revoke_token.expires_at)
	ON CONFLICT ON CONSTRAINT revoked_tokens_pkey
	DO UPDATE SET expires_at = GREATEST(r.expires_at, EXCLUDED.expires_at);
END
$$;
COMMENT ON FUNCTION @extschema@.revoke_token(text, timestamptz) IS
'Revokes the token with this jti in every session at its next use.';

CREATE OR REPLACE FUNCTION @extschema@.purge_revoked_tokens()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	PERFORM @extschema@._require_operator('purge revoked tokens');
	DELETE FROM @extschema@.revoked_tokens r
	WHERE r.expires_at < now() - interval '1 day';
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.purge_revoked_tokens() IS
'Deletes revocations of tokens that expired more than a day ago; returns how many.';

--
-- Silo schemas are named so as to say nothing about their tenant.
--
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

CREATE OR REPLACE FUNCTION @extschema@.create_tenant(slug text, name text, tier text,
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

REVOKE ALL ON FUNCTION @extschema@.rename_silo(uuid, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.rename_silo(uuid, name) TO tracker_operator;

CREATE FUNCTION @extschema@.labels_valid(labels text[])
RETURNS boolean
LANGUAGE C
STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_labels_valid';
COMMENT ON FUNCTION @extschema@.labels_valid(text[]) IS
'Whether issue labels are within bounds: at most 20, each 1 to 64 characters without control characters.';

REVOKE ALL ON FUNCTION @extschema@.labels_valid(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.labels_valid(text[]) TO tracker_user, tracker_operator;

CREATE OR REPLACE FUNCTION @extschema@._issues_write()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_issues_write';
COMMENT ON FUNCTION @extschema@._issues_write() IS
'Row trigger of issues: context fields, per-tenant numbers and keys, what plain users may change, and the workflow.';

ALTER FUNCTION @extschema@.current_role() RENAME TO current_member_role;
COMMENT ON FUNCTION @extschema@.current_member_role() IS
'The role (user, admin or super_admin) of the context''s user, from the tenant''s user table; NULL when there is no context.';

--
-- The tenant's rate limit (the tenant trigger below watches it).
--
ALTER TABLE @extschema@.tenants
	ADD COLUMN requests_per_second integer CHECK (requests_per_second > 0),
	ADD COLUMN request_burst integer CHECK (request_burst >= requests_per_second);
COMMENT ON COLUMN @extschema@.tenants.requests_per_second IS 'API calls allowed per second, on average; NULL means no limit.';
COMMENT ON COLUMN @extschema@.tenants.request_burst IS 'API calls allowed at once after a quiet spell (the rate limit''s bucket); NULL means requests_per_second.';

--
-- Invalidation as narrow as the change: keys, revocations and each tenant
-- apart (with shared memory; see src/invalidation.c).
--
DROP TRIGGER jwt_keys_invalidate ON @extschema@.jwt_keys;
DROP TRIGGER revoked_tokens_invalidate ON @extschema@.revoked_tokens;
DROP TRIGGER tenants_invalidate ON @extschema@.tenants;
DROP TRIGGER tenants_invalidate_removal ON @extschema@.tenants;
CREATE FUNCTION @extschema@._verifications()
RETURNS bigint
LANGUAGE C
STRICT VOLATILE
AS 'MODULE_PATHNAME', 'tracker_verifications';
COMMENT ON FUNCTION @extschema@._verifications() IS
'How many tokens this backend has verified in full (not found in its cache): for tests and diagnostics.';

REVOKE ALL ON FUNCTION @extschema@._verifications() FROM PUBLIC;

CREATE TRIGGER jwt_keys_invalidate
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.jwt_keys
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches('keys');
ALTER TABLE @extschema@.jwt_keys ENABLE ALWAYS TRIGGER jwt_keys_invalidate;
CREATE TRIGGER revoked_tokens_invalidate
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.revoked_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches('revocations');
ALTER TABLE @extschema@.revoked_tokens ENABLE ALWAYS TRIGGER revoked_tokens_invalidate;
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

COMMENT ON FUNCTION @extschema@._invalidate_caches() IS
'Trigger: tells every backend that what it cached may be stale: the keys (''keys''), revocations (''revocations''), one tenant (''tenant'', column of the tenant id; a row trigger) or everything (''all'', or no argument).';

--
-- Tiers that do what they promise: API calls counted per tenant (src/usage.c),
-- a monthly quota and a rate limit per tier, overrides and resets for
-- operators, and an audit of what operators do to tenants.
--
DROP FUNCTION @extschema@.tier_defaults(text);
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
CREATE FUNCTION @extschema@._tenant_row_locked()
RETURNS void
LANGUAGE C
VOLATILE
AS 'MODULE_PATHNAME', 'tracker_tenant_row_locked';
COMMENT ON FUNCTION @extschema@._tenant_row_locked() IS
'Marks this transaction as holding a tenant''s registry row: it may not be prepared (src/guard.c).';

REVOKE ALL ON FUNCTION @extschema@._tenant_row_locked() FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._lock_tenant(tenant uuid)
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

CREATE OR REPLACE FUNCTION @extschema@.set_tenant_status(tenant_id uuid, status text)
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

CREATE OR REPLACE FUNCTION @extschema@.set_tenant_limits(tenant_id uuid, max_users integer,
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


CREATE FUNCTION @extschema@._caller()
RETURNS name
LANGUAGE C
STABLE
AS 'MODULE_PATHNAME', 'tracker_caller';
COMMENT ON FUNCTION @extschema@._caller() IS
'The session''s role (not a SECURITY DEFINER owner): who an audit record names.';
REVOKE ALL ON FUNCTION @extschema@._caller() FROM PUBLIC;

-- What operators did to tenants: limits, resets, status.  Written only by
-- tracker's functions; operators read it.
CREATE TABLE @extschema@.operator_audit (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	actor		name NOT NULL,
	action		text NOT NULL,
	tenant_id	uuid,
	details		jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX operator_audit_tenant ON @extschema@.operator_audit (tenant_id, at);
COMMENT ON TABLE @extschema@.operator_audit IS
'What operators did to tenants (limits, usage resets, status), by whom and when; written by tracker''s functions only.';
ALTER TABLE @extschema@.operator_audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.operator_audit FORCE ROW LEVEL SECURITY;
CREATE POLICY operator_audit_operator ON @extschema@.operator_audit FOR SELECT TO tracker_operator
	USING (true);
REVOKE ALL ON @extschema@.operator_audit FROM PUBLIC;
GRANT SELECT ON @extschema@.operator_audit TO tracker_operator;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.operator_audit', '');

CREATE FUNCTION @extschema@._audit(action text, tenant_id uuid, details jsonb)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO @extschema@.operator_audit (actor, action, tenant_id, details)
	VALUES (@extschema@._caller(), action, tenant_id, details)
$$;
REVOKE ALL ON FUNCTION @extschema@._audit(text, uuid, jsonb) FROM PUBLIC;

-- API calls per tenant and day (UTC), as the usage writer adds them up;
-- forgiven: calls an operator's reset took off that month's quota.
CREATE TABLE @extschema@.api_usage (
	tenant_id	uuid NOT NULL,
	day			date NOT NULL,
	calls		bigint NOT NULL DEFAULT 0 CHECK (calls >= 0),
	forgiven	bigint NOT NULL DEFAULT 0 CHECK (forgiven >= 0),
	last_call	timestamptz,
	PRIMARY KEY (tenant_id, day)
);
COMMENT ON TABLE @extschema@.api_usage IS
'API calls per tenant and day (UTC). Written once a second from shared memory; tracker.tenant_usage() adds what is not written yet.';
COMMENT ON COLUMN @extschema@.api_usage.forgiven IS
'Calls taken off the month''s quota by tracker.reset_api_calls() on that day.';
ALTER TABLE @extschema@.api_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.api_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY api_usage_operator ON @extschema@.api_usage FOR SELECT TO tracker_operator
	USING (true);
REVOKE ALL ON @extschema@.api_usage FROM PUBLIC;
GRANT SELECT ON @extschema@.api_usage TO tracker_operator;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.api_usage', '');

CREATE FUNCTION @extschema@._usage_live(tenant uuid,
	OUT month_calls bigint, OUT counted boolean, OUT today date,
	OUT unwritten_today bigint, OUT unwritten_before bigint, OUT last_call timestamptz)
LANGUAGE C
STRICT VOLATILE
AS 'MODULE_PATHNAME', 'tracker_usage_live';
COMMENT ON FUNCTION @extschema@._usage_live(uuid) IS
'What shared memory holds of a tenant''s API calls: this month''s count against the quota, and the calls not yet in tracker.api_usage.';
REVOKE ALL ON FUNCTION @extschema@._usage_live(uuid) FROM PUBLIC;

CREATE FUNCTION @extschema@._usage_forgive(tenant uuid, calls bigint)
RETURNS void
LANGUAGE C
STRICT VOLATILE
AS 'MODULE_PATHNAME', 'tracker_usage_forgive';
REVOKE ALL ON FUNCTION @extschema@._usage_forgive(uuid, bigint) FROM PUBLIC;

-- One limit of a tenant, by name; NULL removes it (no limit).
CREATE FUNCTION @extschema@.set_tenant_limit(tenant_id uuid, limit_name text, value integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	old_value integer;
	rate integer;
	burst integer;
BEGIN
	PERFORM @extschema@._require_operator('change the limits of tenants');
	IF limit_name IS NULL OR limit_name NOT IN ('max_users', 'api_calls_per_month',
												'requests_per_second', 'request_burst') THEN
		RAISE EXCEPTION 'unknown limit "%"', limit_name
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The limits are max_users, api_calls_per_month, requests_per_second and request_burst.';
	END IF;
	IF value <= 0 THEN
		RAISE EXCEPTION 'a limit must be positive, or NULL for none'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	t := @extschema@._lock_tenant(set_tenant_limit.tenant_id);
	old_value := CASE limit_name WHEN 'max_users' THEN t.max_users
								 WHEN 'api_calls_per_month' THEN t.api_calls_per_month
								 WHEN 'requests_per_second' THEN t.requests_per_second
								 ELSE t.request_burst END;
	rate := CASE limit_name WHEN 'requests_per_second' THEN value ELSE t.requests_per_second END;
	burst := CASE limit_name WHEN 'request_burst' THEN value ELSE t.request_burst END;
	IF burst IS NOT NULL AND (rate IS NULL OR burst < rate) THEN
		RAISE EXCEPTION 'request_burst (%) must be at least requests_per_second (%)', burst, rate
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Set requests_per_second first, or a larger burst; a NULL burst means requests_per_second.';
	END IF;
	-- (searched CASEs: Citus sends a simple CASE on a variable to the copies
	-- of a reference table as a comparison of the wrong type)
	UPDATE @extschema@.tenants x
	SET max_users = CASE WHEN limit_name = 'max_users' THEN value ELSE x.max_users END,
		api_calls_per_month = CASE WHEN limit_name = 'api_calls_per_month' THEN value ELSE x.api_calls_per_month END,
		requests_per_second = rate,
		request_burst = burst,
		updated_at = now()
	WHERE x.id = t.id;
	PERFORM @extschema@._audit('set limit', t.id,
							   jsonb_build_object('limit', limit_name, 'from', old_value, 'to', value));
END
$$;
COMMENT ON FUNCTION @extschema@.set_tenant_limit(uuid, text, integer) IS
'Sets one limit of a tenant (max_users, api_calls_per_month, requests_per_second, request_burst); NULL means no limit. Audited.';

-- Every limit of a tenant back to its tier's defaults.
CREATE FUNCTION @extschema@.reset_tenant_limits(tenant_id uuid)
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
	t := @extschema@._lock_tenant(reset_tenant_limits.tenant_id);
	SELECT * INTO d FROM @extschema@.tier_defaults(t.tier::text);
	UPDATE @extschema@.tenants x
	SET max_users = d.max_users, api_calls_per_month = d.api_calls_per_month,
		requests_per_second = d.requests_per_second, request_burst = d.request_burst,
		updated_at = now()
	WHERE x.id = t.id;
	PERFORM @extschema@._audit('reset limits', t.id,
							   jsonb_build_object('from', jsonb_build_object(
								   'max_users', t.max_users, 'api_calls_per_month', t.api_calls_per_month,
								   'requests_per_second', t.requests_per_second, 'request_burst', t.request_burst)));
END
$$;
COMMENT ON FUNCTION @extschema@.reset_tenant_limits(uuid) IS
'Sets every limit of a tenant back to its tier''s defaults. Audited.';

-- Takes this month's calls off a tenant's quota (they stay in the usage
-- record, as forgiven); returns how many.
CREATE FUNCTION @extschema@.reset_api_calls(tenant_id uuid)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	live record;
BEGIN
	PERFORM @extschema@._require_operator('reset the usage of tenants');
	t := @extschema@._lock_tenant(reset_api_calls.tenant_id);
	live := @extschema@._usage_live(t.id);
	IF live.month_calls > 0 THEN
		INSERT INTO @extschema@.api_usage AS u (tenant_id, day, forgiven)
		VALUES (t.id, live.today, live.month_calls)
		ON CONFLICT ON CONSTRAINT api_usage_pkey DO UPDATE SET forgiven = u.forgiven + excluded.forgiven;
		PERFORM @extschema@._usage_forgive(t.id, live.month_calls);
	END IF;
	PERFORM @extschema@._audit('reset API calls', t.id,
							   jsonb_build_object('forgiven', live.month_calls));
	RETURN live.month_calls;
END
$$;
COMMENT ON FUNCTION @extschema@.reset_api_calls(uuid) IS
'Takes this month''s API calls off a tenant''s quota (they stay recorded, as forgiven); returns how many. Audited.';

-- What each tenant uses, against its limits.  Counts and sizes are read
-- from the tenant's rows (a pooled tenant's bytes are the size of its
-- rows; a silo's, of its tables with their indexes), so this reads every
-- row of the tenants asked for: an operator's report, not a hot path.
CREATE FUNCTION @extschema@.tenant_usage(tenant uuid DEFAULT NULL)
RETURNS TABLE (tenant_id uuid, slug text, tier text, status text,
			   api_calls_this_month bigint, api_calls_per_month integer,
			   quota_resets_at timestamptz, requests_per_second integer, request_burst integer,
			   active_users bigint, max_users integer, issues bigint, comments bigint,
			   bytes_stored bigint, last_activity timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	live record;
	entity text;
	n bigint;
	bytes bigint;
BEGIN
	PERFORM @extschema@._require_operator('read the usage of tenants');
	FOR t IN SELECT * FROM @extschema@.tenants x
			 WHERE tenant_usage.tenant IS NULL OR x.id = tenant_usage.tenant
			 ORDER BY x.slug
	LOOP
		live := @extschema@._usage_live(t.id);
		tenant_usage.tenant_id := t.id;
		slug := t.slug;
		tier := t.tier;
		status := t.status;
		api_calls_this_month := live.month_calls;
		api_calls_per_month := t.api_calls_per_month;
		quota_resets_at := (date_trunc('month', live.today::timestamp) + interval '1 month') AT TIME ZONE 'UTC';
		requests_per_second := t.requests_per_second;
		request_burst := t.request_burst;
		max_users := t.max_users;
		issues := 0;
		comments := 0;
		active_users := 0;
		bytes_stored := 0;
		SELECT GREATEST(live.last_call, max(u.last_call)) INTO last_activity
		FROM @extschema@.api_usage u WHERE u.tenant_id = t.id;
		IF t.status = 'deleted' THEN
			RETURN NEXT;		-- a tombstone: its rows are gone
			CONTINUE;
		END IF;
		EXECUTE format('SELECT count(*) FILTER (WHERE u.active) FROM %I.users u WHERE u.tenant_id = $1',
					   t.data_schema) INTO active_users USING t.id;
		EXECUTE format('SELECT count(*) FROM %I.issues i WHERE i.tenant_id = $1', t.data_schema)
			INTO issues USING t.id;
		EXECUTE format('SELECT count(*) FROM %I.comments c WHERE c.tenant_id = $1', t.data_schema)
			INTO comments USING t.id;
		FOREACH entity IN ARRAY @extschema@._data_schema_entities() || '{issue_counters}'::text[]
		LOOP
			IF t.data_schema = 'tracker_pool' THEN
				EXECUTE format('SELECT COALESCE(sum(pg_column_size(r.*)), 0) FROM %I.%I r WHERE r.tenant_id = $1',
							   t.data_schema, entity) INTO bytes USING t.id;
			ELSE
				bytes := pg_total_relation_size(format('%I.%I', t.data_schema, entity)::regclass);
			END IF;
			bytes_stored := bytes_stored + bytes;
		END LOOP;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.tenant_usage(uuid) IS
'What a tenant (or, with NULL, every tenant) uses against its limits: API calls this month, active users, issues, comments, bytes stored, last activity.';

-- A tenant's API calls by day (UTC) in a month, the calls not yet written
-- included.
CREATE FUNCTION @extschema@.api_calls_by_day(tenant_id uuid, month date DEFAULT NULL)
RETURNS TABLE (day date, calls bigint, forgiven bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	live record;
	first date;
BEGIN
	PERFORM @extschema@._require_operator('read the usage of tenants');
	PERFORM @extschema@._tenant(api_calls_by_day.tenant_id);
	live := @extschema@._usage_live(api_calls_by_day.tenant_id);
	first := date_trunc('month', COALESCE(month, live.today)::timestamp)::date;
	RETURN QUERY
	SELECT d.day, (COALESCE(u.calls, 0) +
				   CASE WHEN d.day = live.today THEN live.unwritten_today
						WHEN d.day = live.today - 1 THEN live.unwritten_before
						ELSE 0 END)::bigint,
		   COALESCE(u.forgiven, 0)
	FROM (SELECT first + k AS day FROM generate_series(0, 30) k) d
	LEFT JOIN @extschema@.api_usage u ON u.tenant_id = api_calls_by_day.tenant_id AND u.day = d.day
	WHERE d.day < first + interval '1 month' AND d.day <= live.today
	ORDER BY d.day;
END
$$;
COMMENT ON FUNCTION @extschema@.api_calls_by_day(uuid, date) IS
'A tenant''s API calls by day (UTC) in a month (default: this one), with the calls not yet written.';

REVOKE ALL ON FUNCTION @extschema@.set_tenant_limit(uuid, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.reset_tenant_limits(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.reset_api_calls(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tenant_usage(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.api_calls_by_day(uuid, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.set_tenant_limit(uuid, text, integer),
	@extschema@.reset_tenant_limits(uuid), @extschema@.reset_api_calls(uuid),
	@extschema@.tenant_usage(uuid), @extschema@.api_calls_by_day(uuid, date)
	TO tracker_operator;
--
-- A tenant's life after provisioning: tier changes with moves between the
-- pool and a silo, export, import, and deletion with a tombstone.
--
ALTER DOMAIN @extschema@.tenant_status DROP CONSTRAINT tenant_status_check;
ALTER DOMAIN @extschema@.tenant_status
	ADD CONSTRAINT tenant_status_check CHECK (VALUE IN ('active', 'suspended', 'deleted'));
COMMENT ON DOMAIN @extschema@.tenant_status IS 'Tenant status: active, suspended, or deleted (a tombstone: delete_tenant).';

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
-- 1.0's tenants get their tier's rate limit (the tenant trigger tells
-- their cached contexts)
UPDATE @extschema@.tenants t
SET requests_per_second = d.requests_per_second, request_burst = d.request_burst
FROM (SELECT x.id, (@extschema@.tier_defaults(x.tier::text)).* FROM @extschema@.tenants x) d
WHERE d.id OPERATOR(pg_catalog.=) t.id;

--
-- Data schemas carry their version, and are defined one entity a file.
--
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
CREATE OR REPLACE FUNCTION @extschema@._create_data_schema(schema name)
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

-- tracker data schema: users, a tenant's members

CREATE FUNCTION @extschema@._data_users_tables(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE TABLE %1$I.users (
	tenant_id	uuid NOT NULL REFERENCES @extschema@.tenants (id),
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	subject		text COLLATE "C" NOT NULL CHECK (length(subject) BETWEEN 1 AND 256),
	email		text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND length(email) <= 320),
	display_name text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
	role		@extschema@.member_role NOT NULL DEFAULT 'user',
	active		boolean NOT NULL DEFAULT true,
	tokens_valid_after timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id),
	CONSTRAINT users_subject_key UNIQUE (tenant_id, subject),
	CONSTRAINT users_email_key UNIQUE (tenant_id, email)
);
$ddl$, schema);
END
$body$;

CREATE FUNCTION @extschema@._data_users_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
COMMENT ON TABLE %1$I.users IS 'A tenant''s members. Managed with tracker.add_user() and friends; every member can read them.';
COMMENT ON COLUMN %1$I.users.subject IS 'The sub claim of the user''s tokens.';
COMMENT ON COLUMN %1$I.users.role IS 'user, admin or super_admin: what the user may do inside the tenant.';
COMMENT ON COLUMN %1$I.users.tokens_valid_after IS 'Tokens issued before this time are refused.';

CREATE TRIGGER users_write BEFORE UPDATE ON %1$I.users
	FOR EACH ROW EXECUTE FUNCTION @extschema@._users_write();
-- Only what a context is made of reaches cached contexts, and only the
-- user's tenant's: a new display name or email changes nothing there.
CREATE TRIGGER users_invalidate AFTER UPDATE ON %1$I.users
	FOR EACH ROW
	WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id
		  OR OLD.subject IS DISTINCT FROM NEW.subject
		  OR OLD.role IS DISTINCT FROM NEW.role OR OLD.active IS DISTINCT FROM NEW.active
		  OR OLD.tokens_valid_after IS DISTINCT FROM NEW.tokens_valid_after)
	EXECUTE FUNCTION @extschema@._invalidate_caches('tenant', 'tenant_id');
CREATE TRIGGER users_invalidate_removal AFTER DELETE ON %1$I.users
	FOR EACH ROW EXECUTE FUNCTION @extschema@._invalidate_caches('tenant', 'tenant_id');
CREATE TRIGGER users_invalidate_truncate AFTER TRUNCATE ON %1$I.users
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches('all');
ALTER TABLE %1$I.users ENABLE ALWAYS TRIGGER users_invalidate;
ALTER TABLE %1$I.users ENABLE ALWAYS TRIGGER users_invalidate_removal;
ALTER TABLE %1$I.users ENABLE ALWAYS TRIGGER users_invalidate_truncate;

ALTER TABLE %1$I.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_read ON %1$I.users FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
-- Operators manage users, so they may list them (and nothing else here).
CREATE POLICY users_operator ON %1$I.users FOR SELECT TO tracker_operator
	USING (true);

REVOKE ALL ON %1$I.users FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;
GRANT SELECT ON %1$I.users TO tracker_user, tracker_operator;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_users_tables(name),
	@extschema@._data_users_rules(name) FROM PUBLIC;

-- tracker data schema: teams

CREATE FUNCTION @extschema@._data_teams_tables(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE TABLE %1$I.teams (
	tenant_id	uuid NOT NULL DEFAULT @extschema@._context_tenant() REFERENCES @extschema@.tenants (id),
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	name		text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
	description	text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
	lead_id		uuid,
	status		@extschema@.team_status NOT NULL DEFAULT 'active',
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT teams_pkey PRIMARY KEY (tenant_id, id),
	CONSTRAINT teams_name_key UNIQUE (tenant_id, name),
	CONSTRAINT teams_lead_fkey FOREIGN KEY (tenant_id, lead_id) REFERENCES %1$I.users (tenant_id, id)
);
$ddl$, schema);
END
$body$;

CREATE FUNCTION @extschema@._data_teams_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
COMMENT ON TABLE %1$I.teams IS 'Teams of a tenant. Admins and super admins manage them.';

CREATE TRIGGER teams_admin BEFORE INSERT OR UPDATE OR DELETE ON %1$I.teams
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('manage teams');
CREATE TRIGGER teams_write BEFORE INSERT OR UPDATE ON %1$I.teams
	FOR EACH ROW EXECUTE FUNCTION @extschema@._stamp_row();

ALTER TABLE %1$I.teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.teams FORCE ROW LEVEL SECURITY;
CREATE POLICY teams_read ON %1$I.teams FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
CREATE POLICY teams_manage ON %1$I.teams FOR ALL TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.allowed('manage teams'))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND @extschema@.allowed('manage teams'));

REVOKE ALL ON %1$I.teams FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.teams TO tracker_user;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_teams_tables(name),
	@extschema@._data_teams_rules(name) FROM PUBLIC;

-- tracker data schema: team_members, who belongs to which team

CREATE FUNCTION @extschema@._data_team_members_tables(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE TABLE %1$I.team_members (
	tenant_id	uuid NOT NULL DEFAULT @extschema@._context_tenant(),
	team_id		uuid NOT NULL,
	user_id		uuid NOT NULL,
	added_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT team_members_pkey PRIMARY KEY (tenant_id, team_id, user_id),
	CONSTRAINT team_members_team_fkey FOREIGN KEY (tenant_id, team_id)
		REFERENCES %1$I.teams (tenant_id, id) ON DELETE CASCADE,
	CONSTRAINT team_members_user_fkey FOREIGN KEY (tenant_id, user_id)
		REFERENCES %1$I.users (tenant_id, id)
);
CREATE INDEX team_members_user_idx ON %1$I.team_members (tenant_id, user_id);
$ddl$, schema);
END
$body$;

CREATE FUNCTION @extschema@._data_team_members_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
COMMENT ON TABLE %1$I.team_members IS 'Who belongs to which team. Members see the issues of their teams.';

CREATE TRIGGER team_members_admin BEFORE INSERT OR UPDATE OR DELETE ON %1$I.team_members
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('manage team members');
CREATE TRIGGER team_members_write BEFORE INSERT OR UPDATE ON %1$I.team_members
	FOR EACH ROW EXECUTE FUNCTION @extschema@._stamp_row();
-- A membership change reaches the cached contexts of its tenant only; a
-- statement that changes no row reaches none.
CREATE TRIGGER team_members_invalidate AFTER INSERT OR UPDATE OR DELETE ON %1$I.team_members
	FOR EACH ROW EXECUTE FUNCTION @extschema@._invalidate_caches('tenant', 'tenant_id');
CREATE TRIGGER team_members_invalidate_truncate AFTER TRUNCATE ON %1$I.team_members
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches('all');
ALTER TABLE %1$I.team_members ENABLE ALWAYS TRIGGER team_members_invalidate;
ALTER TABLE %1$I.team_members ENABLE ALWAYS TRIGGER team_members_invalidate_truncate;

ALTER TABLE %1$I.team_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.team_members FORCE ROW LEVEL SECURITY;
CREATE POLICY team_members_read ON %1$I.team_members FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
CREATE POLICY team_members_manage ON %1$I.team_members FOR ALL TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.allowed('manage team members'))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND @extschema@.allowed('manage team members'));

REVOKE ALL ON %1$I.team_members FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.team_members TO tracker_user;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_team_members_tables(name),
	@extschema@._data_team_members_rules(name) FROM PUBLIC;

-- tracker data schema: issues, and the counters their numbers come from

CREATE FUNCTION @extschema@._data_issues_tables(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE TABLE %1$I.issue_counters (
	tenant_id	uuid PRIMARY KEY REFERENCES @extschema@.tenants (id),
	last_number	integer NOT NULL DEFAULT 0
);

CREATE TABLE %1$I.issues (
	tenant_id	uuid NOT NULL DEFAULT @extschema@._context_tenant(),
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	number		integer NOT NULL,
	key			text COLLATE "C" NOT NULL,
	title		text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
	description	text NOT NULL DEFAULT '' CHECK (length(description) <= 100000),
	status		@extschema@.issue_status NOT NULL DEFAULT 'open',
	priority	@extschema@.priority NOT NULL DEFAULT 'medium',
	priority_rank smallint GENERATED ALWAYS AS (
		CASE priority::text WHEN 'low' THEN 1 WHEN 'medium' THEN 2
						    WHEN 'high' THEN 3 WHEN 'critical' THEN 4 END) STORED,
	issue_type	@extschema@.issue_type NOT NULL DEFAULT 'task',
	reporter_id	uuid NOT NULL,
	assignee_id	uuid,
	team_id		uuid,
	due_date	date,
	labels		text[] NOT NULL DEFAULT '{}' CHECK (@extschema@.labels_valid(labels)),
	estimated_hours numeric(8,2) CHECK (estimated_hours >= 0),
	story_points integer CHECK (story_points BETWEEN 0 AND 1000),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	closed_at	timestamptz,
	CONSTRAINT issues_pkey PRIMARY KEY (tenant_id, id),
	CONSTRAINT issues_number_key UNIQUE (tenant_id, number),
	CONSTRAINT issues_key_key UNIQUE (tenant_id, key),
	CONSTRAINT issues_reporter_fkey FOREIGN KEY (tenant_id, reporter_id)
		REFERENCES %1$I.users (tenant_id, id),
	CONSTRAINT issues_assignee_fkey FOREIGN KEY (tenant_id, assignee_id)
		REFERENCES %1$I.users (tenant_id, id),
	CONSTRAINT issues_team_fkey FOREIGN KEY (tenant_id, team_id)
		REFERENCES %1$I.teams (tenant_id, id)
);
CREATE INDEX issues_status_idx ON %1$I.issues (tenant_id, status, created_at DESC);
CREATE INDEX issues_created_idx ON %1$I.issues (tenant_id, created_at DESC);
CREATE INDEX issues_assignee_idx ON %1$I.issues (tenant_id, assignee_id);
CREATE INDEX issues_reporter_idx ON %1$I.issues (tenant_id, reporter_id);
CREATE INDEX issues_team_idx ON %1$I.issues (tenant_id, team_id);
CREATE INDEX issues_priority_idx ON %1$I.issues (tenant_id, priority);
$ddl$, schema);
END
$body$;

CREATE FUNCTION @extschema@._data_issues_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
COMMENT ON TABLE %1$I.issue_counters IS 'The last issue number of each tenant. The issue trigger takes the next one under the row''s lock, so numbers are unique and increase; a rolled-back insert gives its number back, a row skipped by ON CONFLICT does not.';
COMMENT ON TABLE %1$I.issues IS 'Issues. Users see those they reported, are assigned or whose team they belong to; admins see all of their tenant''s.';
COMMENT ON COLUMN %1$I.issues.key IS 'The issue''s key, as in TECH-42: the tenant''s prefix and its per-tenant number.';
COMMENT ON COLUMN %1$I.issues.labels IS 'At most 20 labels, each 1 to 64 characters without control characters (tracker.labels_valid()).';
COMMENT ON COLUMN %1$I.issues.status IS 'open, in_progress, in_review or closed; changes follow tracker.status_transition_allowed().';
COMMENT ON COLUMN %1$I.issues.priority_rank IS 'priority as a number (low 1 .. critical 4), for ordering.';
COMMENT ON COLUMN %1$I.issues.reporter_id IS 'Who created the issue: always the authenticated user.';

CREATE TRIGGER issues_write BEFORE INSERT OR UPDATE ON %1$I.issues
	FOR EACH ROW EXECUTE FUNCTION @extschema@._issues_write();
CREATE TRIGGER issues_check BEFORE INSERT OR UPDATE ON %1$I.issues
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement();
CREATE TRIGGER issues_admin_delete BEFORE DELETE ON %1$I.issues
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('delete issues');
-- A deleted team's issues keep no team: a foreign key's ON DELETE SET NULL
-- would, but Citus refuses one on a key that includes tenant_id
CREATE TRIGGER teams_issues_unassign BEFORE DELETE ON %1$I.teams
	FOR EACH ROW EXECUTE FUNCTION @extschema@._team_issues_unassign();

-- Only the issue trigger, as the table's owner, touches the counters.
ALTER TABLE %1$I.issue_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issue_counters FORCE ROW LEVEL SECURITY;
REVOKE ALL ON %1$I.issue_counters FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;

-- Everyone with a role that sees every issue sees all of the tenant's;
-- other users those they reported, are assigned, or whose team they are in.
-- allowed('see every issue') comes first: planned as a parameter (its
-- argument is a constant, src/plans.c), it spares admins' reads a call of
-- issue_readable() per row.
ALTER TABLE %1$I.issues ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issues FORCE ROW LEVEL SECURITY;
CREATE POLICY issues_read ON %1$I.issues FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND (@extschema@.allowed('see every issue')
				OR @extschema@.issue_readable(reporter_id, assignee_id, team_id)));
CREATE POLICY issues_create ON %1$I.issues FOR INSERT TO tracker_user
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND reporter_id = @extschema@.current_user_id()
				AND (@extschema@.allowed('assign issues to others and to teams')
					 OR (team_id IS NULL
						 AND (assignee_id IS NULL OR assignee_id = @extschema@.current_user_id()))));
CREATE POLICY issues_change ON %1$I.issues FOR UPDATE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND (@extschema@.allowed('see every issue')
				OR @extschema@.issue_readable(reporter_id, assignee_id, team_id)))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND (@extschema@.allowed('change any issue')
					 OR assignee_id = @extschema@.current_user_id()));
CREATE POLICY issues_remove ON %1$I.issues FOR DELETE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.allowed('delete issues'));

REVOKE ALL ON %1$I.issues FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.issues TO tracker_user;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_issues_tables(name),
	@extschema@._data_issues_rules(name) FROM PUBLIC;

-- tracker data schema: comments on issues

CREATE FUNCTION @extschema@._data_comments_tables(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE TABLE %1$I.comments (
	tenant_id	uuid NOT NULL DEFAULT @extschema@._context_tenant(),
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	issue_id	uuid NOT NULL,
	author_id	uuid NOT NULL,
	content		text NOT NULL CHECK (length(btrim(content)) BETWEEN 1 AND 50000),
	internal	boolean NOT NULL DEFAULT false,
	mentions	uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(mentions) <= 50),
	created_at	timestamptz NOT NULL DEFAULT now(),
	edited_at	timestamptz,
	CONSTRAINT comments_pkey PRIMARY KEY (tenant_id, id),
	CONSTRAINT comments_issue_fkey FOREIGN KEY (tenant_id, issue_id)
		REFERENCES %1$I.issues (tenant_id, id) ON DELETE CASCADE,
	CONSTRAINT comments_author_fkey FOREIGN KEY (tenant_id, author_id)
		REFERENCES %1$I.users (tenant_id, id)
);
CREATE INDEX comments_issue_idx ON %1$I.comments (tenant_id, issue_id, created_at);
$ddl$, schema);
END
$body$;

CREATE FUNCTION @extschema@._data_comments_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
COMMENT ON TABLE %1$I.comments IS 'Comments on issues, visible with their issue; internal ones only to admins and super admins.';
COMMENT ON COLUMN %1$I.comments.internal IS 'Internal notes: hidden from, and not writable by, plain users.';
COMMENT ON COLUMN %1$I.comments.mentions IS 'Ids of the tenant''s users mentioned.';

CREATE TRIGGER comments_check BEFORE INSERT OR UPDATE OR DELETE ON %1$I.comments
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement();
CREATE TRIGGER comments_write BEFORE INSERT OR UPDATE ON %1$I.comments
	FOR EACH ROW EXECUTE FUNCTION @extschema@._comments_write();

-- A comment is visible with its issue, and internal notes only to the
-- roles that may read them (tracker.comment_readable(), which reads the
-- issue in C with the statement's snapshot).
ALTER TABLE %1$I.comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.comments FORCE ROW LEVEL SECURITY;
CREATE POLICY comments_read ON %1$I.comments FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND ((@extschema@.allowed('see every issue') AND @extschema@.allowed('read internal comments'))
				OR @extschema@.comment_readable(tenant_id, issue_id, internal)));
CREATE POLICY comments_create ON %1$I.comments FOR INSERT TO tracker_user
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND author_id = @extschema@.current_user_id()
				AND @extschema@.comment_readable(tenant_id, issue_id, internal));
-- An UPDATE that reads no column is not filtered by the SELECT policy, so
-- this one repeats the visibility rule: an author whose issue is out of
-- sight, or who lost the role that wrote an internal note, cannot edit it.
-- Someone else's comment in sight is let through, for the comment trigger
-- to refuse with 42501 (an HTTP client gets 403, not a silent no-op).
CREATE POLICY comments_edit ON %1$I.comments FOR UPDATE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.comment_readable(tenant_id, issue_id, internal))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND author_id = @extschema@.current_user_id());
-- Like edits, deletes that read no column skip the SELECT policy: the
-- author's branch repeats the visibility rule.
CREATE POLICY comments_remove ON %1$I.comments FOR DELETE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND (@extschema@.allowed('delete any comment')
				OR (author_id = @extschema@.current_user_id()
					AND @extschema@.comment_readable(tenant_id, issue_id, internal))));

REVOKE ALL ON %1$I.comments FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.comments TO tracker_user;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_comments_tables(name),
	@extschema@._data_comments_rules(name) FROM PUBLIC;

-- tracker data schema: the functions a tenant's users call where their
-- tables are, so that PostgREST serves them as /rpc/<name> in every profile
-- (docs/http.md).  Each calls the extension's function of the same name
-- for the context's tenant; the rules are that function's.  Not an entity
-- (it has no table): _apply_data_schema_rules() makes them after the
-- entities' rules.

CREATE FUNCTION @extschema@._data_api(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.me()
RETURNS TABLE (tenant_id uuid, user_id uuid, subject text, role text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.current_tenant(), @extschema@.current_user_id(),
			  @extschema@.current_subject(), @extschema@.current_member_role() $f$;
COMMENT ON FUNCTION %1$I.me() IS
$c$Who the token says the caller is: tenant, user id, subject and role in the tenant.$c$;

CREATE OR REPLACE FUNCTION %1$I.add_user(subject text, email text, role text DEFAULT 'user',
										  display_name text DEFAULT '')
RETURNS uuid
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.add_user(@extschema@.current_tenant(), subject, email, role, display_name) $f$;
COMMENT ON FUNCTION %1$I.add_user(text, text, text, text) IS
$c$Adds a user to the caller's tenant (role user or admin) and returns its id. Super admins only; the tier's user limit applies.$c$;

CREATE OR REPLACE FUNCTION %1$I.set_user_role(user_id uuid, role text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.set_user_role(user_id, role, @extschema@.current_tenant()) $f$;
COMMENT ON FUNCTION %1$I.set_user_role(uuid, text) IS
$c$Changes a user's role (user or admin). Super admins only; it takes effect at the user's next request.$c$;

CREATE OR REPLACE FUNCTION %1$I.set_user_active(user_id uuid, active boolean)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.set_user_active(user_id, active, @extschema@.current_tenant()) $f$;
COMMENT ON FUNCTION %1$I.set_user_active(uuid, boolean) IS
$c$Deactivates or reactivates a user; a deactivated user's tokens stop working at once. Super admins only.$c$;

CREATE OR REPLACE FUNCTION %1$I.revoke_user_tokens(user_id uuid)
RETURNS timestamptz
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.revoke_user_tokens(user_id, @extschema@.current_tenant()) $f$;
COMMENT ON FUNCTION %1$I.revoke_user_tokens(uuid) IS
$c$Revokes every token issued to a user until now (a lost device, say). Super admins only.$c$;

CREATE OR REPLACE FUNCTION %1$I.create_team(name text, description text DEFAULT '', lead_id uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.create_team(name, description, lead_id) $f$;
COMMENT ON FUNCTION %1$I.create_team(text, text, uuid) IS
$c$Creates a team (its lead becomes a member) and returns its id. Admins and super admins only; names are unique in a tenant.$c$;

CREATE OR REPLACE FUNCTION %1$I.add_team_member(team_id uuid, user_id uuid)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.add_team_member(team_id, user_id) $f$;
COMMENT ON FUNCTION %1$I.add_team_member(uuid, uuid) IS
$c$Adds a user to a team. Admins and super admins only.$c$;

CREATE OR REPLACE FUNCTION %1$I.remove_team_member(team_id uuid, user_id uuid)
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.remove_team_member(team_id, user_id) $f$;
COMMENT ON FUNCTION %1$I.remove_team_member(uuid, uuid) IS
$c$Removes a user from a team; returns whether they were a member. Admins and super admins only.$c$;

REVOKE ALL ON FUNCTION %1$I.me(), %1$I.add_user(text, text, text, text),
	%1$I.set_user_role(uuid, text), %1$I.set_user_active(uuid, boolean),
	%1$I.revoke_user_tokens(uuid), %1$I.create_team(text, text, uuid),
	%1$I.add_team_member(uuid, uuid), %1$I.remove_team_member(uuid, uuid)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION %1$I.me(), %1$I.add_user(text, text, text, text),
	%1$I.set_user_role(uuid, text), %1$I.set_user_active(uuid, boolean),
	%1$I.revoke_user_tokens(uuid), %1$I.create_team(text, text, uuid),
	%1$I.add_team_member(uuid, uuid), %1$I.remove_team_member(uuid, uuid)
	TO tracker_user;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_api(name) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._data_api(name) IS
'Creates, or replaces, the functions a data schema offers its tenant''s users (PostgREST''s /rpc/ endpoints); part of a data schema''s rules.';

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
-- transaction commits.
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

-- remove_team_member names the tenant, so that on a Citus cluster one shard is asked
CREATE OR REPLACE FUNCTION @extschema@.remove_team_member(team_id uuid, user_id uuid)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	-- the tenant named, so that on a Citus cluster one shard is asked
	EXECUTE format('DELETE FROM %I.team_members WHERE tenant_id = $3 AND team_id = $1 AND user_id = $2',
				   @extschema@._context_schema())
		USING team_id, user_id, @extschema@._context_tenant();
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n > 0;
END
$$;

-- Every data schema that 1.0 made is at version 1 of the definition.  Once
-- this update commits, a background worker brings them to the current
-- version, one transaction per schema (CALL tracker.upgrade_data_schemas()
-- does the same in the foreground).
INSERT INTO @extschema@.data_schemas (schema_name, version, created_at)
SELECT t.data_schema, 1, pg_catalog.min(t.created_at)
FROM @extschema@.tenants t
WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n
			  WHERE n.nspname OPERATOR(pg_catalog.=) t.data_schema)
GROUP BY t.data_schema;
SELECT @extschema@._upgrade_data_schemas_after_commit();
