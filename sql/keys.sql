--
-- keys: the key registry (add_key, import_jwks, list_keys, retire_key),
-- revocation (revoke_token, purge_revoked_tokens), sign_token, and who may
-- call them.
--
-- Tokens and timestamps are never printed: tokens are minted at run time by
-- test/mint.py, which knows nothing of the extension.  Errors are shown as
-- "SQLSTATE: message".  How other sessions see key changes is covered by the
-- isolation tests.
--
CREATE EXTENSION tracker;

-- The tenants and users of every token below: a token is accepted only for
-- a registered tenant and an active user of it.  Tenant 1111... has one
-- user per key (and the subjects of the forgeries, so that they could only
-- fail for their signature): 21 users, more than basic's 5.
SELECT tracker.create_tenant(slug, initcap(slug), tier, tenant_id => id) AS tenant
FROM (VALUES ('keys-one', 'premium', '11111111-1111-1111-1111-111111111111'::uuid),
			 ('keys-two', 'basic', '22222222-2222-2222-2222-222222222222'),
			 ('keys-three', 'basic', '33333333-3333-3333-3333-333333333333'),
			 ('keys-four', 'basic', '44444444-4444-4444-4444-444444444444'),
			 ('keys-five', 'basic', '55555555-5555-5555-5555-555555555555'),
			 ('keys-six', 'basic', '66666666-6666-6666-6666-666666666666')) AS t(slug, tier, id)
ORDER BY id;
SELECT count(tracker.add_user(tenant::uuid, subject, subject || '@keys.example')) AS users
FROM (VALUES ('11111111-1111-1111-1111-111111111111', 'user-hs256'),
			 ('11111111-1111-1111-1111-111111111111', 'user-hs384'),
			 ('11111111-1111-1111-1111-111111111111', 'user-hs512'),
			 ('11111111-1111-1111-1111-111111111111', 'user-rs256-pem'),
			 ('11111111-1111-1111-1111-111111111111', 'user-rs256-jwk'),
			 ('11111111-1111-1111-1111-111111111111', 'user-rs384-pem'),
			 ('11111111-1111-1111-1111-111111111111', 'user-rs384-jwk'),
			 ('11111111-1111-1111-1111-111111111111', 'user-rs512-pem'),
			 ('11111111-1111-1111-1111-111111111111', 'user-rs512-jwk'),
			 ('11111111-1111-1111-1111-111111111111', 'user-es256-pem'),
			 ('11111111-1111-1111-1111-111111111111', 'user-es256-jwk'),
			 ('11111111-1111-1111-1111-111111111111', 'user-es384-pem'),
			 ('11111111-1111-1111-1111-111111111111', 'user-es384-jwk'),
			 ('11111111-1111-1111-1111-111111111111', 'user-es512-pem'),
			 ('11111111-1111-1111-1111-111111111111', 'user-es512-jwk'),
			 ('11111111-1111-1111-1111-111111111111', 'user-jwks-rs256'),
			 ('11111111-1111-1111-1111-111111111111', 'user-jwks-es256'),
			 ('11111111-1111-1111-1111-111111111111', 'user-jwks-es384'),
			 ('11111111-1111-1111-1111-111111111111', 'user'),
			 ('11111111-1111-1111-1111-111111111111', 'forger'),
			 ('11111111-1111-1111-1111-111111111111', 'anyone'),
			 ('22222222-2222-2222-2222-222222222222', 'user-rot-old'),
			 ('33333333-3333-3333-3333-333333333333', 'user-rot-new'),
			 ('44444444-4444-4444-4444-444444444444', 'user-jti'),
			 ('44444444-4444-4444-4444-444444444444', 'user-jti2'),
			 ('55555555-5555-5555-5555-555555555555', 'signed-user'),
			 ('66666666-6666-6666-6666-666666666666', 'user-grace')) AS u(tenant, subject);

-- 'ok', or the SQLSTATE and message of the error the statement raised
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

CREATE FUNCTION pg_temp.try_auth(tok text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM tracker.authenticate(tok);
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- The key fixtures (test-only keys, see test/keys/README.md)
\set hs256 `cat test/keys/test-only-hs256.secret`
\set hs384 `cat test/keys/test-only-hs384.secret`
\set hs512 `cat test/keys/test-only-hs512.secret`
\set rsa_pem `cat test/keys/test-only-rsa.pub.pem`
\set rsa_jwk `cat test/keys/test-only-rsa.pub.jwk`
\set rsa_private_pem `cat test/keys/test-only-rsa.key.pem`
\set rsa1024_pem `cat test/keys/test-only-rsa-1024.pub.pem`
\set ec256_pem `cat test/keys/test-only-ec256.pub.pem`
\set ec256_jwk `cat test/keys/test-only-ec256.pub.jwk`
\set ec256_private_pem `cat test/keys/test-only-ec256.key.pem`
\set ec384_pem `cat test/keys/test-only-ec384.pub.pem`
\set ec384_jwk `cat test/keys/test-only-ec384.pub.jwk`
\set ec521_pem `cat test/keys/test-only-ec521.pub.pem`
\set ec521_jwk `cat test/keys/test-only-ec521.pub.jwk`
\set jwks `cat test/keys/test-only-jwks.json`

--
-- 1. Every algorithm: register a key, verify a token signed with it.
--    RSA and EC public keys are registered once as PEM and once as JWK.
--
SELECT tracker.add_key(kid, alg, key) AS added
FROM (VALUES ('hs256', 'HS256', :'hs256'),
			 ('hs384', 'HS384', :'hs384'),
			 ('hs512', 'HS512', :'hs512'),
			 ('rs256-pem', 'RS256', :'rsa_pem'),
			 ('rs256-jwk', 'RS256', :'rsa_jwk'),
			 ('rs384-pem', 'RS384', :'rsa_pem'),
			 ('rs384-jwk', 'RS384', :'rsa_jwk'),
			 ('rs512-pem', 'RS512', :'rsa_pem'),
			 ('rs512-jwk', 'RS512', :'rsa_jwk'),
			 ('es256-pem', 'ES256', :'ec256_pem'),
			 ('es256-jwk', 'ES256', :'ec256_jwk'),
			 ('es384-pem', 'ES384', :'ec384_pem'),
			 ('es384-jwk', 'ES384', :'ec384_jwk'),
			 ('es512-pem', 'ES512', :'ec521_pem'),
			 ('es512-jwk', 'ES512', :'ec521_jwk')) AS k(kid, alg, key);

\set t_hs256 `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid hs256 --claims '{"sub":"user-hs256","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_hs384 `/usr/bin/python3 test/mint.py HS384 test/keys/test-only-hs384.secret --kid hs384 --claims '{"sub":"user-hs384","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_hs512 `/usr/bin/python3 test/mint.py HS512 test/keys/test-only-hs512.secret --kid hs512 --claims '{"sub":"user-hs512","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_rs256_pem `/usr/bin/python3 test/mint.py RS256 test/keys/test-only-rsa.key.pem --kid rs256-pem --claims '{"sub":"user-rs256-pem","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_rs256_jwk `/usr/bin/python3 test/mint.py RS256 test/keys/test-only-rsa.key.pem --kid rs256-jwk --claims '{"sub":"user-rs256-jwk","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_rs384_pem `/usr/bin/python3 test/mint.py RS384 test/keys/test-only-rsa.key.pem --kid rs384-pem --claims '{"sub":"user-rs384-pem","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_rs384_jwk `/usr/bin/python3 test/mint.py RS384 test/keys/test-only-rsa.key.pem --kid rs384-jwk --claims '{"sub":"user-rs384-jwk","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_rs512_pem `/usr/bin/python3 test/mint.py RS512 test/keys/test-only-rsa.key.pem --kid rs512-pem --claims '{"sub":"user-rs512-pem","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_rs512_jwk `/usr/bin/python3 test/mint.py RS512 test/keys/test-only-rsa.key.pem --kid rs512-jwk --claims '{"sub":"user-rs512-jwk","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_es256_pem `/usr/bin/python3 test/mint.py ES256 test/keys/test-only-ec256.key.pem --kid es256-pem --claims '{"sub":"user-es256-pem","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_es256_jwk `/usr/bin/python3 test/mint.py ES256 test/keys/test-only-ec256.key.pem --kid es256-jwk --claims '{"sub":"user-es256-jwk","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_es384_pem `/usr/bin/python3 test/mint.py ES384 test/keys/test-only-ec384.key.pem --kid es384-pem --claims '{"sub":"user-es384-pem","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_es384_jwk `/usr/bin/python3 test/mint.py ES384 test/keys/test-only-ec384.key.pem --kid es384-jwk --claims '{"sub":"user-es384-jwk","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_es512_pem `/usr/bin/python3 test/mint.py ES512 test/keys/test-only-ec521.key.pem --kid es512-pem --claims '{"sub":"user-es512-pem","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_es512_jwk `/usr/bin/python3 test/mint.py ES512 test/keys/test-only-ec521.key.pem --kid es512-jwk --claims '{"sub":"user-es512-jwk","tenant_id":"11111111-1111-1111-1111-111111111111"}'`

SELECT kid, tracker.authenticate(tok) ->> 'sub' AS sub
FROM (VALUES (1, 'hs256', :'t_hs256'),
			 (2, 'hs384', :'t_hs384'),
			 (3, 'hs512', :'t_hs512'),
			 (4, 'rs256-pem', :'t_rs256_pem'),
			 (5, 'rs256-jwk', :'t_rs256_jwk'),
			 (6, 'rs384-pem', :'t_rs384_pem'),
			 (7, 'rs384-jwk', :'t_rs384_jwk'),
			 (8, 'rs512-pem', :'t_rs512_pem'),
			 (9, 'rs512-jwk', :'t_rs512_jwk'),
			 (10, 'es256-pem', :'t_es256_pem'),
			 (11, 'es256-jwk', :'t_es256_jwk'),
			 (12, 'es384-pem', :'t_es384_pem'),
			 (13, 'es384-jwk', :'t_es384_jwk'),
			 (14, 'es512-pem', :'t_es512_pem'),
			 (15, 'es512-jwk', :'t_es512_jwk')) AS t(n, kid, tok)
ORDER BY n;

-- a key verifies only with its own algorithm: the RS256 key and the RS384
-- key hold the same public key, yet neither takes the other's tokens
\set t_rs384_as_rs256 `/usr/bin/python3 test/mint.py RS384 test/keys/test-only-rsa.key.pem --kid rs256-pem --claims '{"sub":"user","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
SELECT pg_temp.try_auth(:'t_rs384_as_rs256') AS rs384_token_for_rs256_key;

--
-- 2. import_jwks: a JWKS document as identity providers publish it.
--    Importing the same document again adds nothing.
--
SELECT tracker.import_jwks(:'jwks') AS added;
SELECT tracker.import_jwks(:'jwks') AS added_again;

\set t_jwks_rs256 `/usr/bin/python3 test/mint.py RS256 test/keys/test-only-rsa.key.pem --kid jwks-rs256 --claims '{"sub":"user-jwks-rs256","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_jwks_es256 `/usr/bin/python3 test/mint.py ES256 test/keys/test-only-ec256.key.pem --kid jwks-es256 --claims '{"sub":"user-jwks-es256","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set t_jwks_es384 `/usr/bin/python3 test/mint.py ES384 test/keys/test-only-ec384.key.pem --kid jwks-es384 --claims '{"sub":"user-jwks-es384","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
SELECT tracker.authenticate(:'t_jwks_rs256') ->> 'sub' AS sub;
SELECT tracker.authenticate(:'t_jwks_es256') ->> 'sub' AS sub;
SELECT tracker.authenticate(:'t_jwks_es384') ->> 'sub' AS sub;

-- keys with "use" other than "sig" are skipped; an existing kid with other
-- material is refused, never replaced
SELECT tracker.import_jwks(jsonb_build_object('keys', jsonb_build_array(
		(:'ec256_jwk')::jsonb || '{"kid": "jwks-enc", "use": "enc"}'))) AS added_enc;
SELECT pg_temp.try(format('SELECT tracker.import_jwks(%L)',
		jsonb_build_object('keys', jsonb_build_array(
			(:'ec384_jwk')::jsonb || '{"kid": "jwks-es256", "alg": "ES384"}'))))
	AS other_material;
SELECT pg_temp.try(format('SELECT tracker.import_jwks(%L)', doc)) AS not_a_jwks
FROM (VALUES (1, '[]'::jsonb),
			 (2, '{"keys": {}}'),
			 (3, '{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}'),
			 (4, '{"keys": [{"kty": "EC", "crv": "P-256"}]}'),
			 (5, '{"keys": [{"kty": "oct", "kid": "jwks-oct"}]}')) AS d(n, doc)
ORDER BY n;
SELECT pg_temp.try(format('SELECT tracker.import_jwks(%L)', NULL::jsonb)) AS null_jwks;

--
-- 3. list_keys() describes keys and never shows their material: HS keys
--    have no thumbprint; an RSA or EC key's thumbprint is the SHA-256 of its
--    DER form, the same whether it was given as PEM or as JWK.
--
SELECT kid, alg, key_type, thumbprint IS NULL AS no_thumbprint,
	   issuer, audience, tenant_id, retired_at, active
FROM tracker.list_keys()
ORDER BY kid;

-- the PEM body is the DER SubjectPublicKeyInfo: its SHA-256 is the thumbprint
SELECT l.kid,
	   l.thumbprint = encode(sha256(decode(regexp_replace(pem, '-----[A-Z ]+-----|\s', '', 'g'),
										   'base64')), 'hex') AS thumbprint_is_sha256_of_der
FROM tracker.list_keys() l
JOIN (VALUES ('rs256-pem', :'rsa_pem'), ('rs256-jwk', :'rsa_pem'),
			 ('jwks-rs256', :'rsa_pem'),
			 ('es256-pem', :'ec256_pem'), ('es256-jwk', :'ec256_pem'),
			 ('es384-pem', :'ec384_pem'), ('es384-jwk', :'ec384_pem'),
			 ('es512-pem', :'ec521_pem'), ('es512-jwk', :'ec521_pem')) AS p(kid, pem)
	ON p.kid = l.kid
ORDER BY l.kid;

-- no column of list_keys() holds a secret, as text or as hex
SELECT count(*) AS rows_quoting_a_secret
FROM tracker.list_keys() l,
	 (VALUES (:'hs256'), (:'hs384'), (:'hs512')) AS s(secret)
WHERE strpos(l::text, s.secret) > 0
   OR strpos(l::text, encode(convert_to(s.secret, 'UTF8'), 'hex')) > 0;
SELECT count(*) AS hs_keys_with_thumbprint
FROM tracker.list_keys() WHERE alg LIKE 'HS%' AND thumbprint IS NOT NULL;

--
-- 4. Refusals.  Every bad key gives 22023 with a message that quotes no key
--    material: pg_temp.refusal() looks for a piece of the key (the needle)
--    in the message, detail, hint and context of the error.
--
CREATE FUNCTION pg_temp.refusal(alg text, key text, needle text,
								OUT result text, OUT quotes_key boolean)
LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	detail text;
	hint text;
	context text;
BEGIN
	PERFORM tracker.add_key('refused-' || left(md5(alg || key), 8), alg, key);
	result := 'accepted';
	quotes_key := false;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
		hint = PG_EXCEPTION_HINT, context = PG_EXCEPTION_CONTEXT;
	IF needle IS NULL OR length(needle) < 8 THEN
		RAISE EXCEPTION 'a needle must have at least 8 characters';
	END IF;
	result := SQLSTATE || ': ' || msg;
	quotes_key := strpos(concat_ws(E'\n', msg, detail, hint, context), needle) > 0;
END
$$;

CREATE FUNCTION pg_temp.jwks_refusal(doc jsonb, needle text,
									 OUT result text, OUT quotes_key boolean)
LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	detail text;
	hint text;
	context text;
BEGIN
	PERFORM tracker.import_jwks(doc);
	result := 'accepted';
	quotes_key := false;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
		hint = PG_EXCEPTION_HINT, context = PG_EXCEPTION_CONTEXT;
	result := SQLSTATE || ': ' || msg;
	quotes_key := strpos(concat_ws(E'\n', msg, detail, hint, context), needle) > 0;
END
$$;

-- a made-up private exponent, to be looked for in the errors
\set fake_d 'ZC1tYXRlcmlhbC10aGF0LW11c3Qtbm90LWxlYWs'

SELECT n, what, r.result, r.quotes_key
FROM (VALUES
	(1, 'HS256 secret of 31 bytes', 'HS256', left(:'hs256', 31), left(:'hs256', 31)),
	(2, 'HS384 secret of 47 bytes', 'HS384', left(:'hs384', 47), left(:'hs384', 47)),
	(3, 'HS512 secret of 63 bytes', 'HS512', left(:'hs512', 63), left(:'hs512', 63)),
	(4, 'HS256 oct JWK of 24 bytes', 'HS256',
		'{"kty": "oct", "k": "' || translate(encode(convert_to(left(:'hs256', 24), 'UTF8'), 'base64'), '+/=', '-_') || '"}',
		translate(encode(convert_to(left(:'hs256', 24), 'UTF8'), 'base64'), '+/=', '-_')),
	(5, 'HS256 oct JWK, k not base64url', 'HS256',
		'{"kty": "oct", "k": "' || :'hs256' || '!"}', :'hs256'),
	(6, 'HS256 oct JWK, invalid JSON', 'HS256',
		'{"kty": "oct", "k": "' || :'hs256', :'hs256'),
	(7, 'HS256 with an RSA JWK', 'HS256', :'rsa_jwk', (:'rsa_jwk')::jsonb ->> 'n'),
	(8, 'RS256 private key PEM', 'RS256', :'rsa_private_pem',
		split_part(:'rsa_private_pem', E'\n', 2)),
	(9, 'ES256 private key PEM', 'ES256', :'ec256_private_pem',
		split_part(:'ec256_private_pem', E'\n', 2)),
	(10, 'RS256 private JWK (with "d")', 'RS256',
		((:'rsa_jwk')::jsonb || jsonb_build_object('d', :'fake_d'))::text, :'fake_d'),
	(11, 'ES256 private JWK (with "d")', 'ES256',
		((:'ec256_jwk')::jsonb || jsonb_build_object('d', :'fake_d'))::text, :'fake_d'),
	(12, 'RS256 key of 1024 bits', 'RS256', :'rsa1024_pem',
		split_part(:'rsa1024_pem', E'\n', 2)),
	(13, 'ES256 with a P-384 PEM', 'ES256', :'ec384_pem', split_part(:'ec384_pem', E'\n', 2)),
	(14, 'ES256 with a P-384 JWK', 'ES256', :'ec384_jwk', (:'ec384_jwk')::jsonb ->> 'x'),
	(15, 'ES512 with a P-256 PEM', 'ES512', :'ec256_pem', split_part(:'ec256_pem', E'\n', 2)),
	(16, 'ES256 with an RSA PEM', 'ES256', :'rsa_pem', split_part(:'rsa_pem', E'\n', 2)),
	(17, 'ES256 with an RSA JWK', 'ES256', :'rsa_jwk', (:'rsa_jwk')::jsonb ->> 'n'),
	(18, 'RS256 with an EC PEM', 'RS256', :'ec256_pem', split_part(:'ec256_pem', E'\n', 2)),
	(19, 'EC JWK, point not on the curve', 'ES256',
		((:'ec256_jwk')::jsonb || '{"y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"}')::text,
		(:'ec256_jwk')::jsonb ->> 'x'),
	(20, 'EC JWK, coordinates of another curve', 'ES256',
		((:'ec256_jwk')::jsonb || jsonb_build_object('x', (:'ec384_jwk')::jsonb ->> 'x'))::text,
		(:'ec384_jwk')::jsonb ->> 'x'),
	(21, 'EC JWK, x not base64url', 'ES256',
		((:'ec256_jwk')::jsonb || jsonb_build_object('x', ((:'ec256_jwk')::jsonb ->> 'x') || '='))::text,
		(:'ec256_jwk')::jsonb ->> 'x'),
	(22, 'RSA JWK for "alg": "RS512"', 'RS256',
		((:'rsa_jwk')::jsonb || '{"alg": "RS512"}')::text, (:'rsa_jwk')::jsonb ->> 'n'),
	(23, 'RSA JWK, invalid JSON', 'RS256', left(:'rsa_jwk', 80),
		left((:'rsa_jwk')::jsonb ->> 'n', 20)),
	(24, 'garbage PEM', 'RS256',
		E'-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5LCBqdXN0IHNvbWUgdGV4dA==\n-----END PUBLIC KEY-----',
		'bm90IGEga2V5LCBqdXN0IHNvbWUgdGV4dA'),
	(25, 'RSA PEM cut short', 'RS256',
		left(:'rsa_pem', 200) || E'\n-----END PUBLIC KEY-----', split_part(:'rsa_pem', E'\n', 2)),
	(26, 'PEM body without its armour', 'RS256',
		regexp_replace(:'rsa_pem', '-----[A-Z ]+-----', '', 'g'), split_part(:'rsa_pem', E'\n', 2)),
	(27, 'algorithm "none"', 'none', :'hs256', :'hs256'),
	(28, 'algorithm "hs256"', 'hs256', :'hs256', :'hs256'),
	(29, 'algorithm "PS256"', 'PS256', :'rsa_pem', split_part(:'rsa_pem', E'\n', 2)),
	(30, 'algorithm ""', '', :'hs256', :'hs256')
	) AS c(n, what, alg, key, needle),
	LATERAL pg_temp.refusal(c.alg, c.key, c.needle) AS r
ORDER BY n;

-- A JWK that is valid JSON but holds a number beyond the range of numeric
-- is refused like any other bad key: 22023, quoting nothing.
SELECT split_part(r.result, ':', 1) AS sqlstate, r.quotes_key
FROM pg_temp.refusal('HS256',
		'{"kty": "oct", "k": "' || translate(encode(convert_to(:'hs512', 'UTF8'), 'base64'), E'+/=\n', '-_')
		|| '", "x": 1e1000000}',
		translate(encode(convert_to(:'hs512', 'UTF8'), 'base64'), E'+/=\n', '-_')) AS r;

-- An RSA key whose public exponent is 1 is refused like one that is too
-- short: with it, the PKCS #1 v1.5 encoding of a token's hash is its own
-- valid signature, which anyone can compute.  The forgery below then finds
-- no key.
SELECT split_part(pg_temp.try(format('SELECT tracker.add_key(%L, %L, %L)', 'rsa-e1', 'RS256',
		((:'rsa_jwk')::jsonb || '{"e": "AQ"}')::text)), ':', 1) AS sqlstate;
WITH segments AS (
	SELECT translate(encode(convert_to('{"alg":"RS256","kid":"rsa-e1"}', 'UTF8'), 'base64'), E'+/=\n', '-_')
		|| '.' || translate(encode(convert_to('{"sub":"forger","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}', 'UTF8'), 'base64'), E'+/=\n', '-_')
		AS signing_input
)
SELECT pg_temp.try_auth(signing_input || '.' || translate(encode(
		-- 00 01 FF...FF 00, the DER DigestInfo prefix of SHA-256, the hash: 256 bytes
		'\x0001'::bytea || decode(repeat('ff', 202), 'hex') || '\x00'::bytea
		|| '\x3031300d060960864801650304020105000420'::bytea
		|| sha256(convert_to(signing_input, 'UTF8')), 'base64'), E'+/=\n', '-_')) AS forged_with_e_1
FROM segments;

-- the same checks apply to the keys of a JWKS document
SELECT n, what, r.result, r.quotes_key
FROM (VALUES
	(1, 'private RSA JWK in a JWKS',
		jsonb_build_object('keys', jsonb_build_array((:'rsa_jwk')::jsonb
			|| jsonb_build_object('kid', 'jwks-private', 'd', :'fake_d'))), :'fake_d'),
	(2, 'oct JWK of 24 bytes in a JWKS',
		jsonb_build_object('keys', jsonb_build_array(jsonb_build_object('kty', 'oct',
			'kid', 'jwks-short', 'alg', 'HS256',
			'k', translate(encode(convert_to(left(:'hs256', 24), 'UTF8'), 'base64'), '+/=', '-_')))),
		translate(encode(convert_to(left(:'hs256', 24), 'UTF8'), 'base64'), '+/=', '-_')),
	(3, 'P-384 JWK for ES256 in a JWKS',
		jsonb_build_object('keys', jsonb_build_array((:'ec384_jwk')::jsonb
			|| '{"kid": "jwks-wrong-curve", "alg": "ES256"}')), (:'ec384_jwk')::jsonb ->> 'x'),
	(4, 'JWK with alg "none" in a JWKS',
		jsonb_build_object('keys', jsonb_build_array((:'ec256_jwk')::jsonb
			|| '{"kid": "jwks-none", "alg": "none"}')), (:'ec256_jwk')::jsonb ->> 'x')
	) AS c(n, what, doc, needle),
	LATERAL pg_temp.jwks_refusal(c.doc, c.needle) AS r
ORDER BY n;

-- nothing above was registered
SELECT count(*) AS refused_keys_registered
FROM tracker.list_keys() WHERE kid LIKE 'refused%' OR kid LIKE 'jwks-%' AND kid NOT IN ('jwks-rs256', 'jwks-es256', 'jwks-es384');

-- kids: never replaced, never empty, no control characters; no NULLs
SELECT n, pg_temp.try(stmt) AS result
FROM (VALUES
	(1, format('SELECT tracker.add_key(%L, %L, %L)', 'hs256', 'HS256', :'hs512')),
	(2, format('SELECT tracker.add_key(%L, %L, %L)', 'rs256-pem', 'RS256', :'rsa_pem')),
	(3, format('SELECT tracker.add_key(%L, %L, %L)', '', 'HS256', :'hs256')),
	(4, format('SELECT tracker.add_key(%L, %L, %L)', repeat('k', 257), 'HS256', :'hs256')),
	(5, format('SELECT tracker.add_key(%L, %L, %L)', E'new\nline', 'HS256', :'hs256')),
	(6, format('SELECT tracker.add_key(%L, %L, NULL)', 'null-key', 'HS256')),
	(7, format('SELECT tracker.add_key(NULL, %L, %L)', 'HS256', :'hs256'))
	) AS s(n, stmt)
ORDER BY n;

-- An RSA public key PEM given for HS256 is refused: as an HMAC secret it
-- would be known to everyone who has the public key, and the classic
-- algorithm-confusion forgery (mint.py --hs-with-public signs with the
-- file's bytes) would verify.  Nothing is registered, so the forgery names
-- an unknown key.
SELECT pg_temp.try(format('SELECT tracker.add_key(%L, %L, %L)', 'hs-pem', 'HS256', :'rsa_pem' || E'\n')) AS refused;
SELECT count(*) AS registered FROM tracker.list_keys() WHERE kid = 'hs-pem';
\set t_hs_pem `/usr/bin/python3 test/mint.py --hs-with-public test/keys/test-only-rsa.pub.pem '{"alg":"HS256","kid":"hs-pem"}' '{"sub":"anyone","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}'`
SELECT pg_temp.try_auth(:'t_hs_pem') AS forged;

--
-- 5. Rotation: two keys are active at once; a key retired with a grace
--    period stays active until it ends; a key retired without one stops
--    verifying at once, also for a context that was already established.
--
SELECT tracker.add_key('rot-old', 'HS256', :'hs256') AS added;
SELECT tracker.add_key('rot-new', 'HS256', :'hs384') AS added;
\set t_rot_old `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid rot-old --claims '{"sub":"user-rot-old","tenant_id":"22222222-2222-2222-2222-222222222222"}'`
\set t_rot_new `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs384.secret --kid rot-new --claims '{"sub":"user-rot-new","tenant_id":"33333333-3333-3333-3333-333333333333"}'`
SELECT tracker.authenticate(:'t_rot_old') ->> 'sub' AS sub;
SELECT tracker.authenticate(:'t_rot_new') ->> 'sub' AS sub;

-- retiring with a grace period of an hour: still active, still verifying
SELECT tracker.retire_key('rot-old', '1 hour') > now() AS retires_later;
SELECT kid, retired_at IS NOT NULL AS retiring, active
FROM tracker.list_keys() WHERE kid LIKE 'rot-%' ORDER BY kid;
SELECT tracker.authenticate(:'t_rot_old') ->> 'sub' AS sub;

-- retiring without a grace period: the session's established context (from
-- rot-new) and any new authentication with its tokens fail at once
SELECT tracker.authenticate(:'t_rot_new') ->> 'sub' AS sub;
SELECT tracker.current_tenant();
SELECT tracker.retire_key('rot-new') <= now() AS retired_now;
SELECT kid, retired_at IS NOT NULL AS retiring, active
FROM tracker.list_keys() WHERE kid LIKE 'rot-%' ORDER BY kid;
SELECT pg_temp.try('SELECT tracker.current_tenant()') AS established_context;
SELECT pg_temp.try('SELECT tracker.current_subject()') AS established_context;
SELECT pg_temp.try_auth(:'t_rot_new') AS new_authentication;
-- the other key is unaffected
SELECT tracker.authenticate(:'t_rot_old') ->> 'sub' AS sub;
SELECT tracker.current_tenant();

-- a grace period can be shortened, never lengthened
SELECT tracker.retire_key('rot-old', '2 hours') < now() + interval '2 hours' AS kept_earlier;
SELECT tracker.retire_key('rot-old', '0') <= now() AS retired_now;
SELECT pg_temp.try_auth(:'t_rot_old') AS old_key_after_retiring;

-- When a grace period ends, the key stops verifying, also for a context
-- established while it was still active, although nothing changed in the
-- registry in between.
SELECT tracker.add_key('grace', 'HS256', :'hs512') AS added;
\set t_grace `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs512.secret --kid grace --claims '{"sub":"user-grace","tenant_id":"66666666-6666-6666-6666-666666666666"}'`
SELECT tracker.retire_key('grace', '2 seconds') > now() AS retires_later;
SELECT tracker.authenticate(:'t_grace') ->> 'sub' AS sub;
SELECT tracker.current_tenant();
SELECT pg_sleep(3);
SELECT active FROM tracker.list_keys() WHERE kid = 'grace';
SELECT pg_temp.try('SELECT tracker.current_tenant()') AS established_context;
SELECT pg_temp.try_auth(:'t_grace') AS new_authentication;
RESET tracker.token;

SELECT pg_temp.try($$SELECT tracker.retire_key('no-such-key')$$) AS unknown_kid;
SELECT pg_temp.try($$SELECT tracker.retire_key('hs256', '-1 hour')$$) AS negative_grace;
SELECT active FROM tracker.list_keys() WHERE kid = 'hs256';
RESET tracker.token;

--
-- 6. Revocation: a token with a jti stops verifying once its jti is
--    revoked, also as the session's established context.
--
\set t_jti `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid hs256 --claims '{"sub":"user-jti","tenant_id":"44444444-4444-4444-4444-444444444444","jti":"jti-1"}'`
\set t_jti2 `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid hs256 --claims '{"sub":"user-jti2","tenant_id":"44444444-4444-4444-4444-444444444444","jti":"jti-2"}'`
SELECT tracker.authenticate(:'t_jti') ->> 'jti' AS jti;
SELECT tracker.current_subject();
SELECT tracker.revoke_token('jti-1');
SELECT pg_temp.try('SELECT tracker.current_subject()') AS established_context;
SELECT pg_temp.try_auth(:'t_jti') AS new_authentication;
-- a token with another jti is unaffected
SELECT pg_temp.try_auth(:'t_jti2') AS other_jti;
SELECT tracker.current_subject();
-- revoking twice is harmless
SELECT tracker.revoke_token('jti-1');
SELECT pg_temp.try($$SELECT tracker.revoke_token('')$$) AS empty_jti;
SELECT pg_temp.try('SELECT tracker.revoke_token(NULL)') AS null_jti;
-- purging drops only revocations whose token expired more than a day ago
SELECT tracker.revoke_token('jti-old', now() - interval '2 days');
SELECT tracker.revoke_token('jti-recent', now() - interval '1 hour');
SELECT tracker.purge_revoked_tokens() AS purged;
SELECT tracker.purge_revoked_tokens() AS purged_again;
SELECT pg_temp.try_auth(:'t_jti') AS still_revoked;
RESET tracker.token;
SELECT tracker.current_subject() IS NULL AS no_context;

--
-- 7. sign_token: HS keys only; sets iat, and exp an hour later unless given.
--
SELECT tracker.authenticate(tracker.sign_token(
		'{"sub": "signed-user", "tenant_id": "55555555-5555-5555-5555-555555555555"}', 'hs256'))
	- 'iat' - 'exp' AS claims;
SELECT (c ->> 'exp')::bigint - (c ->> 'iat')::bigint AS lifetime,
	   abs((c ->> 'iat')::bigint - extract(epoch FROM clock_timestamp())) < 60 AS iat_is_now
FROM (SELECT tracker.authenticate(tracker.sign_token(
		'{"sub": "signed-user", "tenant_id": "55555555-5555-5555-5555-555555555555"}', 'hs512')) AS c) s;
SELECT (c ->> 'exp')::bigint AS exp,
	   abs((c ->> 'iat')::bigint - extract(epoch FROM clock_timestamp())) < 60 AS iat_is_now
FROM (SELECT tracker.authenticate(tracker.sign_token(
		'{"sub": "signed-user", "tenant_id": "55555555-5555-5555-5555-555555555555", "exp": 4102444800, "iat": 1}',
		'hs384')) AS c) s;
SELECT tracker.current_subject(), tracker.current_tenant();
-- the header names the key and its algorithm
SELECT convert_from(decode(rpad(translate(h, '-_', '+/'), (length(h) + 3) / 4 * 4, '='), 'base64'),
					'UTF8')::jsonb AS header
FROM (SELECT split_part(tracker.sign_token('{"sub": "x"}', 'hs384'), '.', 1) AS h) s;
SELECT n, pg_temp.try(stmt) AS result
FROM (VALUES
	(1, $$SELECT tracker.sign_token('{"sub": "x"}', 'rs256-pem')$$),
	(2, $$SELECT tracker.sign_token('{"sub": "x"}', 'es256-jwk')$$),
	(3, $$SELECT tracker.sign_token('{"sub": "x"}', 'no-such-key')$$),
	(4, $$SELECT tracker.sign_token('{"sub": "x"}', 'rot-new')$$),
	(5, $$SELECT tracker.sign_token('["sub", "x"]', 'hs256')$$),
	(6, $$SELECT tracker.sign_token('"x"', 'hs256')$$)
	) AS s(n, stmt)
ORDER BY n;
RESET tracker.token;

--
-- 8. Privileges.  Only members of tracker_operator may call the key
--    functions; nobody but the extension's owner reads the tables.
--
CREATE ROLE regress_plain;
CREATE ROLE regress_tenant_user IN ROLE tracker_user;
CREATE ROLE regress_operator IN ROLE tracker_operator;

CREATE FUNCTION pg_temp.key_calls(OUT n int, OUT stmt text) RETURNS SETOF record
LANGUAGE sql AS $$
	VALUES
	(1, $q$SELECT tracker.add_key('priv-key', 'HS256', repeat('p', 32))$q$),
	(2, $q$SELECT tracker.import_jwks('{"keys": []}')$q$),
	(3, $q$SELECT tracker.retire_key('priv-key', '1 hour')$q$),
	(4, $q$SELECT count(*) FROM tracker.list_keys()$q$),
	(5, $q$SELECT tracker.revoke_token('priv-jti')$q$),
	(6, $q$SELECT tracker.purge_revoked_tokens()$q$),
	(7, $q$SELECT tracker.sign_token('{"sub": "x"}', 'hs256')$q$),
	(8, $q$SELECT count(*) FROM tracker.jwt_keys$q$),
	(9, $q$SELECT count(*) FROM tracker.revoked_tokens$q$),
	(10, $q$SELECT tracker._key_material('HS256', repeat('p', 32))$q$),
	(11, $q$SELECT tracker._key_describe('HS256', 'x')$q$)
$$;

SET ROLE regress_plain;
SELECT n, stmt, pg_temp.try(stmt) AS result FROM pg_temp.key_calls() ORDER BY n;
RESET ROLE;

SET ROLE regress_tenant_user;
SELECT n, stmt, pg_temp.try(stmt) AS result FROM pg_temp.key_calls() ORDER BY n;
RESET ROLE;

SET ROLE regress_operator;
SELECT n, stmt, pg_temp.try(stmt) AS result FROM pg_temp.key_calls() ORDER BY n;
-- an operator's key works like any other
SELECT kid, alg, key_type, active FROM tracker.list_keys() WHERE kid = 'priv-key';
RESET ROLE;

SELECT count(*) AS revoked FROM tracker.revoked_tokens WHERE jti = 'priv-jti';

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS tracker_pool CASCADE;
RESET client_min_messages;
DROP EXTENSION tracker;
DROP ROLE regress_plain;
DROP ROLE regress_tenant_user;
DROP ROLE regress_operator;
