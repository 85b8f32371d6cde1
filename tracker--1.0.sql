-- tracker: roles, schema privileges
\echo Use "CREATE EXTENSION tracker" to load this file. \quit

-- Roles are cluster-wide: create them once, keep them if the extension goes.
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'tracker_operator') THEN
		CREATE ROLE tracker_operator NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'tracker_user') THEN
		CREATE ROLE tracker_user NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'tracker_anon') THEN
		CREATE ROLE tracker_anon NOLOGIN;
	END IF;
END
$roles$;

COMMENT ON ROLE tracker_operator IS 'Platform operators: manage keys and tenants.';
COMMENT ON ROLE tracker_user IS 'What tenant users run as; sees rows only through a verified tenant context.';
COMMENT ON ROLE tracker_anon IS 'Unauthenticated HTTP requests; sees nothing.';

REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO tracker_operator, tracker_user, tracker_anon;
-- tracker: the JWT key registry and token revocation

CREATE FUNCTION @extschema@._invalidate_caches()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_invalidate_caches';
REVOKE ALL ON FUNCTION @extschema@._invalidate_caches() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._invalidate_caches() IS
'Trigger: tells every backend that cached keys and verified contexts may be stale.';

-- The column order is read by keys.c: keep it in step with KEYS_ATT_*.
CREATE TABLE @extschema@.jwt_keys (
	kid			text COLLATE "C" PRIMARY KEY
				CHECK (pg_catalog.length(kid) BETWEEN 1 AND 256),
	alg			text NOT NULL
				CHECK (alg IN ('HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512',
							   'ES256', 'ES384', 'ES512')),
	material	bytea NOT NULL,
	issuer		text,
	audience	text,
	tenant_id	uuid,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	retired_at	timestamptz
);
REVOKE ALL ON @extschema@.jwt_keys FROM PUBLIC;
COMMENT ON TABLE @extschema@.jwt_keys IS
'Keys that verify tokens. Only the extension owner can read it; operators use the key functions.';
COMMENT ON COLUMN @extschema@.jwt_keys.material IS
'The HMAC secret, or the DER SubjectPublicKeyInfo of an RSA or EC key.';

-- ALWAYS: a change applied in replica mode (logical replication, a bulk
-- load) must reach cached contexts too.
CREATE TRIGGER jwt_keys_invalidate
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.jwt_keys
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches();
ALTER TABLE @extschema@.jwt_keys ENABLE ALWAYS TRIGGER jwt_keys_invalidate;

CREATE TABLE @extschema@.revoked_tokens (
	jti			text COLLATE "C" PRIMARY KEY
				CHECK (pg_catalog.length(jti) BETWEEN 1 AND 256),
	revoked_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	expires_at	timestamptz
);
REVOKE ALL ON @extschema@.revoked_tokens FROM PUBLIC;
COMMENT ON TABLE @extschema@.revoked_tokens IS
'Revoked token ids (jti). A row can be purged once the token it names has expired.';

CREATE TRIGGER revoked_tokens_invalidate
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.revoked_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches();
ALTER TABLE @extschema@.revoked_tokens ENABLE ALWAYS TRIGGER revoked_tokens_invalidate;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jwt_keys', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.revoked_tokens', '');

-- Normalises a key given as PEM, JWK or secret into what jwt_keys stores.
CREATE FUNCTION @extschema@._key_material(alg text, key text)
RETURNS bytea
LANGUAGE C STRICT IMMUTABLE
AS 'MODULE_PATHNAME', 'tracker_key_material';
REVOKE ALL ON FUNCTION @extschema@._key_material(text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@._key_describe(alg text, material bytea)
RETURNS text
LANGUAGE C STRICT IMMUTABLE
AS 'MODULE_PATHNAME', 'tracker_key_describe';
REVOKE ALL ON FUNCTION @extschema@._key_describe(text, bytea) FROM PUBLIC;

CREATE FUNCTION @extschema@.add_key(kid text, alg text, key text,
									issuer text DEFAULT NULL,
									audience text DEFAULT NULL,
									tenant_id uuid DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
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

CREATE FUNCTION @extschema@.import_jwks(jwks jsonb,
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

CREATE FUNCTION @extschema@.retire_key(kid text, grace interval DEFAULT '0')
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	at timestamptz := now() + COALESCE(grace, '0');
BEGIN
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

CREATE FUNCTION @extschema@.list_keys()
RETURNS TABLE (kid text, alg text, key_type text, thumbprint text,
			   issuer text, audience text, tenant_id uuid,
			   created_at timestamptz, retired_at timestamptz, active boolean)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT k.kid, k.alg, @extschema@._key_describe(k.alg, k.material),
		   CASE WHEN k.alg NOT LIKE 'HS%' THEN encode(sha256(k.material), 'hex') END,
		   k.issuer, k.audience, k.tenant_id, k.created_at, k.retired_at,
		   (k.retired_at IS NULL OR k.retired_at > now())
	FROM @extschema@.jwt_keys k
	ORDER BY k.created_at, k.kid
$$;
COMMENT ON FUNCTION @extschema@.list_keys() IS
'Lists the registered keys without their material; public keys show the SHA-256 of their DER form.';

CREATE FUNCTION @extschema@.revoke_token(jti text, expires_at timestamptz DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
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

CREATE FUNCTION @extschema@.purge_revoked_tokens()
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH gone AS (
		DELETE FROM @extschema@.revoked_tokens r
		WHERE r.expires_at < now() - interval '1 day'
		RETURNING 1)
	SELECT count(*) FROM gone
$$;
COMMENT ON FUNCTION @extschema@.purge_revoked_tokens() IS
'Deletes revocations of tokens that expired more than a day ago; returns how many.';

DO $grants$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'add_key(text, text, text, text, text, uuid)',
		'import_jwks(jsonb, text, text, uuid)',
		'retire_key(text, interval)',
		'list_keys()',
		'revoke_token(text, timestamptz)',
		'purge_revoked_tokens()']
	LOOP
		EXECUTE format('REVOKE ALL ON FUNCTION @extschema@.%s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO tracker_operator', f);
	END LOOP;
END
$grants$;
-- tracker: the verified tenant context

CREATE FUNCTION @extschema@.authenticate(token text, local boolean DEFAULT false)
RETURNS jsonb
LANGUAGE C
VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'tracker_authenticate';
COMMENT ON FUNCTION @extschema@.authenticate(text, boolean) IS
'Verifies a JWT and makes it the session''s tenant context (the transaction''s when local is true); returns its claims.';

CREATE FUNCTION @extschema@.current_tenant()
RETURNS uuid
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_tenant';
COMMENT ON FUNCTION @extschema@.current_tenant() IS
'The tenant of the verified context, or NULL when there is none.';

CREATE FUNCTION @extschema@.current_subject()
RETURNS text
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_subject';
COMMENT ON FUNCTION @extschema@.current_subject() IS
'The subject (sub claim) of the verified context, or NULL when there is none.';

CREATE FUNCTION @extschema@.current_role()
RETURNS text
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_role';
COMMENT ON FUNCTION @extschema@.current_role() IS
'The role (user, admin or super_admin) of the context''s user, from the tenant''s user table; NULL when there is no context.';

CREATE FUNCTION @extschema@.current_user_id()
RETURNS uuid
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_user_id';
COMMENT ON FUNCTION @extschema@.current_user_id() IS
'The id of the tenant''s user row for the verified context, or NULL when there is none.';

CREATE FUNCTION @extschema@.current_teams()
RETURNS uuid[]
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_teams';
COMMENT ON FUNCTION @extschema@.current_teams() IS
'The teams the context''s user belongs to, or NULL when there is no context.';

CREATE FUNCTION @extschema@._caller_is_operator()
RETURNS boolean
LANGUAGE C
STABLE
AS 'MODULE_PATHNAME', 'tracker_caller_is_operator';
COMMENT ON FUNCTION @extschema@._caller_is_operator() IS
'True when the session''s role (not a SECURITY DEFINER owner) is a superuser or a member of tracker_operator.';

CREATE FUNCTION @extschema@.claims()
RETURNS jsonb
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_claims';
COMMENT ON FUNCTION @extschema@.claims() IS
'All claims of the verified token, or NULL when there is no context.';

CREATE FUNCTION @extschema@.sign_token(claims jsonb, kid text)
RETURNS text
LANGUAGE C
STRICT VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tracker_sign_token';
COMMENT ON FUNCTION @extschema@.sign_token(jsonb, text) IS
'Signs claims with a registered HS key; sets iat, and exp one hour ahead unless given.';

REVOKE ALL ON FUNCTION @extschema@.authenticate(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.current_tenant() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.current_subject() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.current_role() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.claims() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.current_user_id() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.current_teams() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._caller_is_operator() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sign_token(jsonb, text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION @extschema@.authenticate(text, boolean),
	@extschema@.current_tenant(), @extschema@.current_subject(),
	@extschema@.current_role(), @extschema@.claims(),
	@extschema@.current_user_id(), @extschema@.current_teams()
	TO tracker_user, tracker_anon, tracker_operator;
GRANT EXECUTE ON FUNCTION @extschema@.sign_token(jsonb, text) TO tracker_operator;
-- tracker: the values the tracker speaks
--
-- These are domains over text, not enums: PostgreSQL's enum comparison
-- operators are not LEAKPROOF, so under row-level security a filter such
-- as status = 'open' could not use an index.  text's operators are
-- leakproof, and the CHECK keeps the values to the list.

CREATE DOMAIN @extschema@.tier AS text
	CHECK (VALUE IN ('basic', 'standard', 'premium', 'platinum'));
COMMENT ON DOMAIN @extschema@.tier IS 'Subscription tier: basic, standard, premium or platinum.';

CREATE DOMAIN @extschema@.tenant_status AS text
	CHECK (VALUE IN ('active', 'suspended'));
COMMENT ON DOMAIN @extschema@.tenant_status IS 'Tenant status: active or suspended.';

CREATE DOMAIN @extschema@.member_role AS text
	CHECK (VALUE IN ('user', 'admin', 'super_admin'));
COMMENT ON DOMAIN @extschema@.member_role IS 'Role of a user inside a tenant: user, admin or super_admin.';

CREATE DOMAIN @extschema@.issue_status AS text
	CHECK (VALUE IN ('open', 'in_progress', 'in_review', 'closed'));
COMMENT ON DOMAIN @extschema@.issue_status IS 'Issue workflow status: open, in_progress, in_review or closed.';

CREATE DOMAIN @extschema@.priority AS text
	CHECK (VALUE IN ('low', 'medium', 'high', 'critical'));
COMMENT ON DOMAIN @extschema@.priority IS 'Issue priority: low, medium, high or critical (issues.priority_rank orders them).';

CREATE DOMAIN @extschema@.issue_type AS text
	CHECK (VALUE IN ('bug', 'feature', 'task', 'story'));
COMMENT ON DOMAIN @extschema@.issue_type IS 'Issue type: bug, feature, task or story.';

CREATE DOMAIN @extschema@.team_status AS text
	CHECK (VALUE IN ('active', 'archived'));
COMMENT ON DOMAIN @extschema@.team_status IS 'Team status: active or archived.';

-- Allowed status changes.  Reopening a closed issue is for admins and
-- super admins only; that rule lives in the issues trigger.
CREATE FUNCTION @extschema@.status_transition_allowed(from_status text, to_status text)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT from_status = to_status OR (from_status, to_status) IN (
		('open', 'in_progress'), ('open', 'closed'),
		('in_progress', 'open'), ('in_progress', 'in_review'), ('in_progress', 'closed'),
		('in_review', 'in_progress'), ('in_review', 'closed'),
		('closed', 'open'))
$$;
COMMENT ON FUNCTION @extschema@.status_transition_allowed(text, text) IS
'The issue workflow: open -> in_progress | closed; in_progress -> open | in_review | closed; in_review -> in_progress | closed; closed -> open (admins only).';
REVOKE ALL ON FUNCTION @extschema@.status_transition_allowed(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.status_transition_allowed(text, text) TO tracker_user, tracker_operator;
-- tracker: the tenant registry and tenant provisioning (operators)

CREATE FUNCTION @extschema@.tier_defaults(tier text,
	OUT storage text, OUT max_users integer, OUT api_calls_per_month integer)
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT d.storage, d.max_users, d.api_calls
	FROM (VALUES ('basic', 'pooled', 5, 1000),
				 ('standard', 'pooled', 10, 5000),
				 ('premium', 'pooled', 25, 10000),
				 ('platinum', 'silo', NULL::integer, NULL::integer))
		 AS d (tier, storage, max_users, api_calls)
	WHERE d.tier = tier_defaults.tier
$$;
COMMENT ON FUNCTION @extschema@.tier_defaults(text) IS
'Storage model and default limits of a tier; NULL limits are set per tenant.';
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
	updated_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.tenants IS
'The tenant registry: one row per company. A tenant user sees its own row only.';
COMMENT ON COLUMN @extschema@.tenants.slug IS 'Short unique name: lower-case letters, digits and hyphens.';
COMMENT ON COLUMN @extschema@.tenants.max_users IS 'Most active users allowed; NULL means no limit.';
COMMENT ON COLUMN @extschema@.tenants.api_calls_per_month IS 'API calls allowed per month; NULL means no limit.';
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

-- A suspended tenant, a moved data schema or a new key prefix must reach
-- cached contexts; other updates (limits, names, the row locks that
-- serialise user additions) need not empty every cache.
CREATE TRIGGER tenants_invalidate
	AFTER UPDATE ON @extschema@.tenants
	FOR EACH ROW
	WHEN ((OLD.status, OLD.data_schema, OLD.key_prefix)
		  IS DISTINCT FROM (NEW.status, NEW.data_schema, NEW.key_prefix))
	EXECUTE FUNCTION @extschema@._invalidate_caches();
CREATE TRIGGER tenants_invalidate_removal
	AFTER DELETE OR TRUNCATE ON @extschema@.tenants
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches();
ALTER TABLE @extschema@.tenants ENABLE ALWAYS TRIGGER tenants_invalidate;
ALTER TABLE @extschema@.tenants ENABLE ALWAYS TRIGGER tenants_invalidate_removal;

-- Serialises the changes to a tenant's users: an update (of nothing) of
-- the tenant's row.  A plain row lock would not do under REPEATABLE READ,
-- where a transaction that waited would still count users with its old
-- snapshot; an update makes it fail with a serialization error instead.
CREATE FUNCTION @extschema@._lock_tenant(tenant uuid)
RETURNS @extschema@.tenants
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
BEGIN
	UPDATE @extschema@.tenants x SET status = x.status WHERE x.id = tenant RETURNING x.* INTO t;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'tenant % does not exist', tenant
			USING ERRCODE = 'undefined_object';
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
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT @extschema@._caller_is_operator() THEN
		RAISE EXCEPTION 'permission denied to %', action
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only members of tracker_operator can do this.';
	END IF;
END
$$;
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

	schema := CASE d.storage WHEN 'silo' THEN 'tenant_' || replace(slug, '-', '_')
						     ELSE 'tracker_pool' END;
	PERFORM @extschema@._create_data_schema(schema);

	INSERT INTO @extschema@.tenants (id, slug, name, tier, max_users, api_calls_per_month,
									 key_prefix, data_schema)
	VALUES (COALESCE(tenant_id, gen_random_uuid()), slug, btrim(name), tier,
			d.max_users, d.api_calls_per_month, prefix, schema)
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
	PERFORM @extschema@._tenant(tenant_id);
	UPDATE @extschema@.tenants t SET status = set_tenant_status.status, updated_at = now()
	WHERE t.id = tenant_id AND t.status IS DISTINCT FROM set_tenant_status.status;
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
END
$$;
COMMENT ON FUNCTION @extschema@.set_tenant_limits(uuid, integer, integer) IS
'Overrides a tenant''s limits; NULL restores the tier''s default.';

DO $grants$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'create_tenant(text, text, text, text, uuid)',
		'set_tenant_status(uuid, text)',
		'set_tenant_limits(uuid, integer, integer)']
	LOOP
		EXECUTE format('REVOKE ALL ON FUNCTION @extschema@.%s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO tracker_operator', f);
	END LOOP;
END
$grants$;
-- tracker: the data schema definition
--
-- Every data schema (tracker_pool, and each platinum tenant's silo) holds
-- the same tables, made by _create_data_schema() below.  The schemas and
-- their tables are created by that function, not by this script, so they
-- are not members of the extension: pg_dump dumps them as ordinary objects
-- and Citus can distribute them.

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

CREATE FUNCTION @extschema@._issues_write()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_issues_write';
COMMENT ON FUNCTION @extschema@._issues_write() IS
'Row trigger of issues: context fields, gapless per-tenant keys, what plain users may change, and the workflow.';

CREATE FUNCTION @extschema@._comments_write()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_comments_write';
COMMENT ON FUNCTION @extschema@._comments_write() IS
'Row trigger of comments: context fields, internal comments for admins, mentions of the tenant''s users only.';

REVOKE ALL ON FUNCTION @extschema@._check_statement(), @extschema@._stamp_row(),
	@extschema@._issues_write(), @extschema@._comments_write() FROM PUBLIC;

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

CREATE FUNCTION @extschema@._create_data_schema(schema name)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = schema) THEN
		IF to_regclass(format('%I.issues', schema)) IS NULL THEN
			RAISE EXCEPTION 'schema "%" exists but is not a tracker data schema', schema
				USING ERRCODE = 'duplicate_schema';
		END IF;
		RETURN false;
	END IF;

	EXECUTE format($ddl$
CREATE SCHEMA %1$I;
COMMENT ON SCHEMA %1$I IS 'tracker data schema: tenant rows under forced row-level security.';

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
COMMENT ON TABLE %1$I.users IS 'A tenant''s members. Managed with tracker.add_user() and friends; every member can read them.';
COMMENT ON COLUMN %1$I.users.subject IS 'The sub claim of the user''s tokens.';
COMMENT ON COLUMN %1$I.users.role IS 'user, admin or super_admin: what the user may do inside the tenant.';
COMMENT ON COLUMN %1$I.users.tokens_valid_after IS 'Tokens issued before this time are refused.';

CREATE TABLE %1$I.teams (
	tenant_id	uuid NOT NULL REFERENCES @extschema@.tenants (id),
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
COMMENT ON TABLE %1$I.teams IS 'Teams of a tenant. Admins and super admins manage them.';

CREATE TABLE %1$I.team_members (
	tenant_id	uuid NOT NULL,
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
COMMENT ON TABLE %1$I.team_members IS 'Who belongs to which team. Members see the issues of their teams.';

CREATE TABLE %1$I.issue_counters (
	tenant_id	uuid PRIMARY KEY REFERENCES @extschema@.tenants (id),
	last_number	integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE %1$I.issue_counters IS 'The last issue number of each tenant. The issue trigger takes the next one under the row''s lock, so numbers have no gaps.';

CREATE TABLE %1$I.issues (
	tenant_id	uuid NOT NULL,
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
	labels		text[] NOT NULL DEFAULT '{}'
				CHECK (cardinality(labels) <= 20 AND array_position(labels, NULL) IS NULL),
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
		REFERENCES %1$I.teams (tenant_id, id) ON DELETE SET NULL (team_id)
);
CREATE INDEX issues_status_idx ON %1$I.issues (tenant_id, status, created_at DESC);
CREATE INDEX issues_created_idx ON %1$I.issues (tenant_id, created_at DESC);
CREATE INDEX issues_assignee_idx ON %1$I.issues (tenant_id, assignee_id);
CREATE INDEX issues_reporter_idx ON %1$I.issues (tenant_id, reporter_id);
CREATE INDEX issues_team_idx ON %1$I.issues (tenant_id, team_id);
CREATE INDEX issues_priority_idx ON %1$I.issues (tenant_id, priority);
COMMENT ON TABLE %1$I.issues IS 'Issues. Users see those they reported, are assigned or whose team they belong to; admins see all of their tenant''s.';
COMMENT ON COLUMN %1$I.issues.key IS 'The issue''s key, as in TECH-42: the tenant''s prefix and a gapless per-tenant number.';
COMMENT ON COLUMN %1$I.issues.status IS 'open, in_progress, in_review or closed; changes follow tracker.status_transition_allowed().';
COMMENT ON COLUMN %1$I.issues.priority_rank IS 'priority as a number (low 1 .. critical 4), for ordering.';
COMMENT ON COLUMN %1$I.issues.reporter_id IS 'Who created the issue: always the authenticated user.';

CREATE TABLE %1$I.comments (
	tenant_id	uuid NOT NULL,
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
COMMENT ON TABLE %1$I.comments IS 'Comments on issues, visible with their issue; internal ones only to admins and super admins.';
COMMENT ON COLUMN %1$I.comments.internal IS 'Internal notes: hidden from, and not writable by, plain users.';
COMMENT ON COLUMN %1$I.comments.mentions IS 'Ids of the tenant''s users mentioned.';


CREATE TRIGGER users_write BEFORE UPDATE ON %1$I.users
	FOR EACH ROW EXECUTE FUNCTION @extschema@._users_write();
CREATE TRIGGER users_invalidate AFTER UPDATE OR DELETE OR TRUNCATE ON %1$I.users
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches();
ALTER TABLE %1$I.users ENABLE ALWAYS TRIGGER users_invalidate;

CREATE TRIGGER teams_admin BEFORE INSERT OR UPDATE OR DELETE ON %1$I.teams
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('manage teams');
CREATE TRIGGER teams_write BEFORE INSERT OR UPDATE ON %1$I.teams
	FOR EACH ROW EXECUTE FUNCTION @extschema@._stamp_row();

CREATE TRIGGER team_members_admin BEFORE INSERT OR UPDATE OR DELETE ON %1$I.team_members
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('manage team members');
CREATE TRIGGER team_members_write BEFORE INSERT OR UPDATE ON %1$I.team_members
	FOR EACH ROW EXECUTE FUNCTION @extschema@._stamp_row();
CREATE TRIGGER team_members_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %1$I.team_members
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches();
ALTER TABLE %1$I.team_members ENABLE ALWAYS TRIGGER team_members_invalidate;

CREATE TRIGGER issues_write BEFORE INSERT OR UPDATE ON %1$I.issues
	FOR EACH ROW EXECUTE FUNCTION @extschema@._issues_write();
CREATE TRIGGER issues_check BEFORE INSERT OR UPDATE ON %1$I.issues
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement();
CREATE TRIGGER issues_admin_delete BEFORE DELETE ON %1$I.issues
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('delete issues');

CREATE TRIGGER comments_check BEFORE INSERT OR UPDATE OR DELETE ON %1$I.comments
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement();
CREATE TRIGGER comments_write BEFORE INSERT OR UPDATE ON %1$I.comments
	FOR EACH ROW EXECUTE FUNCTION @extschema@._comments_write();

-- Row-level security: the matrix of roles, per table.
ALTER TABLE %1$I.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.users FORCE ROW LEVEL SECURITY;
ALTER TABLE %1$I.teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.teams FORCE ROW LEVEL SECURITY;
ALTER TABLE %1$I.team_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.team_members FORCE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issue_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issue_counters FORCE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issues ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issues FORCE ROW LEVEL SECURITY;
ALTER TABLE %1$I.comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.comments FORCE ROW LEVEL SECURITY;

CREATE POLICY users_read ON %1$I.users FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
-- Operators manage users, so they may list them (and nothing else here).
CREATE POLICY users_operator ON %1$I.users FOR SELECT TO tracker_operator
	USING (true);

CREATE POLICY teams_read ON %1$I.teams FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
CREATE POLICY teams_manage ON %1$I.teams FOR ALL TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.current_role() IN ('admin', 'super_admin'))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND @extschema@.current_role() IN ('admin', 'super_admin'));

CREATE POLICY team_members_read ON %1$I.team_members FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
CREATE POLICY team_members_manage ON %1$I.team_members FOR ALL TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.current_role() IN ('admin', 'super_admin'))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND @extschema@.current_role() IN ('admin', 'super_admin'));

-- Admins and super admins see every issue of their tenant; other users
-- those they reported, are assigned, or whose team they are in.
CREATE POLICY issues_read ON %1$I.issues FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.issue_readable(reporter_id, assignee_id, team_id));
CREATE POLICY issues_create ON %1$I.issues FOR INSERT TO tracker_user
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND reporter_id = @extschema@.current_user_id()
				AND (@extschema@.current_role() IN ('admin', 'super_admin')
					 OR (team_id IS NULL
						 AND (assignee_id IS NULL OR assignee_id = @extschema@.current_user_id()))));
CREATE POLICY issues_change ON %1$I.issues FOR UPDATE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.issue_readable(reporter_id, assignee_id, team_id))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND (@extschema@.current_role() IN ('admin', 'super_admin')
					 OR assignee_id = @extschema@.current_user_id()));
CREATE POLICY issues_remove ON %1$I.issues FOR DELETE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.current_role() IN ('admin', 'super_admin'));

-- A comment is visible with its issue, and internal notes only to admins
-- and super admins (tracker.comment_readable(), which reads the issue in
-- C with the statement's snapshot).
CREATE POLICY comments_read ON %1$I.comments FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.comment_readable(tenant_id, issue_id, internal));
CREATE POLICY comments_create ON %1$I.comments FOR INSERT TO tracker_user
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND author_id = @extschema@.current_user_id()
				AND @extschema@.comment_readable(tenant_id, issue_id, internal));
-- An UPDATE that reads no column is not filtered by the SELECT policy, so
-- this one repeats the visibility rule: an author whose issue is out of
-- sight, or who lost the role that wrote an internal note, cannot edit it.
CREATE POLICY comments_edit ON %1$I.comments FOR UPDATE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND author_id = @extschema@.current_user_id()
		   AND @extschema@.comment_readable(tenant_id, issue_id, internal))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND author_id = @extschema@.current_user_id());
-- Like edits, deletes that read no column skip the SELECT policy: the
-- author's branch repeats the visibility rule.
CREATE POLICY comments_remove ON %1$I.comments FOR DELETE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND (@extschema@.current_role() IN ('admin', 'super_admin')
				OR (author_id = @extschema@.current_user_id()
					AND @extschema@.comment_readable(tenant_id, issue_id, internal))));

REVOKE ALL ON ALL TABLES IN SCHEMA %1$I FROM PUBLIC;
GRANT USAGE ON SCHEMA %1$I TO tracker_user, tracker_operator;
GRANT SELECT ON %1$I.users TO tracker_user, tracker_operator;
GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.teams, %1$I.team_members,
	%1$I.issues, %1$I.comments TO tracker_user;
$ddl$, schema);
	RETURN true;
END
$body$;
REVOKE ALL ON FUNCTION @extschema@._create_data_schema(name) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._create_data_schema(name) IS
'Creates a data schema with every tenant table, index, trigger and policy; the one definition of a data schema.';
-- tracker: managing a tenant's users (super admins, operators) and teams (admins)

-- Who may manage the users of a tenant: an operator, or a super admin of
-- that very tenant.  Returns 'operator' or 'super_admin'.
CREATE FUNCTION @extschema@._user_manager(tenant uuid)
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
	   AND @extschema@.current_role() = 'super_admin' THEN
		RETURN 'super_admin';
	END IF;
	RAISE EXCEPTION 'permission denied to manage the users of this tenant'
		USING ERRCODE = 'insufficient_privilege',
			  HINT = 'Only the tenant''s super admins and members of tracker_operator can.';
END
$$;
REVOKE ALL ON FUNCTION @extschema@._user_manager(uuid) FROM PUBLIC;

-- Fails unless the tenant has room for one more active user; call it
-- with the tenant's row locked.
CREATE FUNCTION @extschema@._check_user_limit(t @extschema@.tenants)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	active_users bigint;
BEGIN
	IF t.max_users IS NULL THEN
		RETURN;
	END IF;
	EXECUTE format('SELECT count(*) FROM %I.users WHERE tenant_id = $1 AND active', t.data_schema)
		INTO active_users USING t.id;
	IF active_users >= t.max_users THEN
		RAISE EXCEPTION 'tenant "%" has reached its limit of % active users', t.slug, t.max_users
			USING ERRCODE = 'configuration_limit_exceeded',
				  HINT = 'Deactivate a user, or ask an operator to raise the limit or change the tier.';
	END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._check_user_limit(@extschema@.tenants) FROM PUBLIC;

CREATE FUNCTION @extschema@.add_user(tenant_id uuid, subject text, email text,
									 role text DEFAULT 'user', display_name text DEFAULT '')
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	who		text := @extschema@._user_manager(tenant_id);
	t		@extschema@.tenants;
	id		uuid;
BEGIN
	IF role IS NULL OR role NOT IN ('user', 'admin', 'super_admin') THEN
		RAISE EXCEPTION 'invalid role "%"', role
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A role is user, admin or super_admin.';
	END IF;
	IF role = 'super_admin' AND who <> 'operator' THEN
		RAISE EXCEPTION 'permission denied: only operators can make super admins'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF subject IS NULL OR length(subject) NOT BETWEEN 1 AND 256 OR subject ~ '[[:cntrl:]]' THEN
		RAISE EXCEPTION 'invalid subject'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A subject has 1 to 256 characters and no control characters.';
	END IF;
	IF email IS NULL OR email !~ '^[^@[:space:]]+@[^@[:space:]]+$' OR length(email) > 320 THEN
		RAISE EXCEPTION 'invalid email address "%"', left(email, 64)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	t := @extschema@._lock_tenant(add_user.tenant_id);
	PERFORM @extschema@._check_user_limit(t);
	BEGIN
		EXECUTE format('INSERT INTO %I.users (tenant_id, subject, email, role, display_name)
						VALUES ($1, $2, $3, $4, $5) RETURNING id', t.data_schema)
			INTO id USING t.id, subject, lower(email), role, COALESCE(display_name, '');
	EXCEPTION WHEN unique_violation THEN
		RAISE EXCEPTION 'a user with this subject or email already exists in tenant "%"', t.slug
			USING ERRCODE = 'unique_violation';
	END;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.add_user(uuid, text, text, text, text) IS
'Adds a user to a tenant, within its tier''s user limit; returns the user''s id. Operators for any tenant; super admins for their own (roles user and admin).';

-- Locks and returns a user row for a change by an operator or a super admin.
CREATE FUNCTION @extschema@._managed_user(user_id uuid, tenant uuid, change text,
										  OUT t @extschema@.tenants, OUT who text,
										  OUT user_role text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	tenant := COALESCE(tenant, @extschema@.current_tenant());
	who := @extschema@._user_manager(tenant);
	IF tenant IS NULL THEN
		RAISE EXCEPTION 'tenant_id is required'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	t := @extschema@._lock_tenant(tenant);
	EXECUTE format('SELECT role FROM %I.users WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
				   t.data_schema)
		INTO user_role USING t.id, user_id;
	IF user_role IS NULL THEN
		RAISE EXCEPTION 'user % does not exist in tenant "%"', user_id, t.slug
			USING ERRCODE = 'undefined_object';
	END IF;
	IF who <> 'operator' AND user_role = 'super_admin' THEN
		RAISE EXCEPTION 'permission denied: only operators can % a super admin', change
			USING ERRCODE = 'insufficient_privilege';
	END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._managed_user(uuid, uuid, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.set_user_role(user_id uuid, role text, tenant_id uuid DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
BEGIN
	m := @extschema@._managed_user(user_id, tenant_id, 'change the role of');
	IF role IS NULL OR role NOT IN ('user', 'admin', 'super_admin') THEN
		RAISE EXCEPTION 'invalid role "%"', role
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A role is user, admin or super_admin.';
	END IF;
	IF role = 'super_admin' AND m.who <> 'operator' THEN
		RAISE EXCEPTION 'permission denied: only operators can make super admins'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	EXECUTE format('UPDATE %I.users SET role = $3 WHERE tenant_id = $1 AND id = $2 AND role <> $3',
				   (m.t).data_schema)
		USING (m.t).id, user_id, role;
END
$$;
COMMENT ON FUNCTION @extschema@.set_user_role(uuid, text, uuid) IS
'Changes a user''s role; takes effect in every session at once. tenant_id defaults to the caller''s tenant.';

CREATE FUNCTION @extschema@.set_user_active(user_id uuid, active boolean, tenant_id uuid DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
	was boolean;
BEGIN
	IF active IS NULL THEN
		RAISE EXCEPTION 'active must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- a super admin's own row is a super admin's: only operators reach it
	m := @extschema@._managed_user(user_id, tenant_id,
								   CASE WHEN active THEN 'reactivate' ELSE 'deactivate' END);
	EXECUTE format('SELECT active FROM %I.users WHERE tenant_id = $1 AND id = $2', (m.t).data_schema)
		INTO was USING (m.t).id, user_id;
	IF was = active THEN
		RETURN;
	END IF;
	IF active THEN
		PERFORM @extschema@._check_user_limit(m.t);
	END IF;
	EXECUTE format('UPDATE %I.users SET active = $3 WHERE tenant_id = $1 AND id = $2', (m.t).data_schema)
		USING (m.t).id, user_id, active;
END
$$;
COMMENT ON FUNCTION @extschema@.set_user_active(uuid, boolean, uuid) IS
'Deactivates (false) or reactivates (true) a user; a deactivated user''s tokens stop working at once.';

CREATE FUNCTION @extschema@.revoke_user_tokens(user_id uuid, tenant_id uuid DEFAULT NULL)
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
	at timestamptz := clock_timestamp();
BEGIN
	m := @extschema@._managed_user(user_id, tenant_id, 'revoke the tokens of');
	EXECUTE format('UPDATE %I.users SET tokens_valid_after = $3 WHERE tenant_id = $1 AND id = $2',
				   (m.t).data_schema)
		USING (m.t).id, user_id, at;
	RETURN at;
END
$$;
COMMENT ON FUNCTION @extschema@.revoke_user_tokens(uuid, uuid) IS
'Refuses every token of a user issued before now (including the current second); returns the cut-off.';

-- Team management, for admins and super admins of the caller's tenant.
-- These run with the caller's rights: row-level security and the teams'
-- triggers decide.

CREATE FUNCTION @extschema@._context_schema()
RETURNS name
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s name;
BEGIN
	SELECT t.data_schema INTO s FROM @extschema@.tenants t
	WHERE t.id = @extschema@._context_tenant();
	RETURN s;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._context_schema() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._context_schema() TO tracker_user;

CREATE FUNCTION @extschema@.create_team(name text, description text DEFAULT '',
										lead_id uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s	name := @extschema@._context_schema();
	id	uuid;
BEGIN
	EXECUTE format('INSERT INTO %I.teams (name, description, lead_id) VALUES ($1, $2, $3)
					RETURNING id', s)
		INTO id USING name, COALESCE(description, ''), lead_id;
	IF lead_id IS NOT NULL THEN
		EXECUTE format('INSERT INTO %I.team_members (team_id, user_id) VALUES ($1, $2)', s)
			USING id, lead_id;
	END IF;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.create_team(text, text, uuid) IS
'Creates a team in the caller''s tenant (its lead becomes a member); returns its id. Admins and super admins only.';

CREATE FUNCTION @extschema@.add_team_member(team_id uuid, user_id uuid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE format('INSERT INTO %I.team_members (team_id, user_id) VALUES ($1, $2)
					ON CONFLICT DO NOTHING', @extschema@._context_schema())
		USING team_id, user_id;
END
$$;
COMMENT ON FUNCTION @extschema@.add_team_member(uuid, uuid) IS
'Adds a user of the caller''s tenant to a team. Admins and super admins only.';

CREATE FUNCTION @extschema@.remove_team_member(team_id uuid, user_id uuid)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	EXECUTE format('DELETE FROM %I.team_members WHERE team_id = $1 AND user_id = $2',
				   @extschema@._context_schema())
		USING team_id, user_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n > 0;
END
$$;
COMMENT ON FUNCTION @extschema@.remove_team_member(uuid, uuid) IS
'Removes a user from a team; returns whether they were a member. Admins and super admins only.';

DO $grants$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'add_user(uuid, text, text, text, text)',
		'set_user_role(uuid, text, uuid)',
		'set_user_active(uuid, boolean, uuid)',
		'revoke_user_tokens(uuid, uuid)']
	LOOP
		EXECUTE format('REVOKE ALL ON FUNCTION @extschema@.%s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO tracker_operator, tracker_user', f);
	END LOOP;
	FOREACH f IN ARRAY ARRAY[
		'create_team(text, text, uuid)',
		'add_team_member(uuid, uuid)',
		'remove_team_member(uuid, uuid)']
	LOOP
		EXECUTE format('REVOKE ALL ON FUNCTION @extschema@.%s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO tracker_user', f);
	END LOOP;
END
$grants$;
