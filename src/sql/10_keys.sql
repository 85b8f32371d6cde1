-- tracker: the JWT key registry and token revocation

CREATE FUNCTION @extschema@._invalidate_caches()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_invalidate_caches';
REVOKE ALL ON FUNCTION @extschema@._invalidate_caches() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._invalidate_caches() IS
'Trigger: tells every backend that what it cached may be stale: the keys (''keys''), revocations (''revocations''), one tenant (''tenant'', column of the tenant id; a row trigger) or everything (''all'', or no argument).';

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
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches('keys');
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
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches('revocations');
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

CREATE FUNCTION @extschema@.retire_key(kid text, grace interval DEFAULT '0')
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

CREATE FUNCTION @extschema@.list_keys()
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

CREATE FUNCTION @extschema@.revoke_token(jti text, expires_at timestamptz DEFAULT NULL)
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

CREATE FUNCTION @extschema@.purge_revoked_tokens()
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
