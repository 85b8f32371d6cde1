--
-- jwt_attacks: a catalogue of forged and malformed tokens.
--
-- Each entry is a valid token changed in one way (or a string that is no
-- token at all), so that it breaks exactly one verification rule; the
-- controls at the end show that the tokens the entries were made from are
-- accepted.  Every entry must be refused with SQLSTATE 28000 and a message
-- that names its rule.
--
-- Tokens are minted by test/mint.py (PyJWT and cryptography, nothing of the
-- extension), mostly with --raw, which signs the given header and payload
-- byte for byte, and are then cut up with SQL.  Where the bytes to be signed
-- cannot come from mint.py (a payload segment that is not canonical
-- base64url, a payload that is not UTF-8), they are signed with the HMAC
-- below, built on PostgreSQL's sha256() and checked against mint.py first.
-- Tokens are never printed.
--
CREATE EXTENSION tracker;

-- The tenants and users the tokens name: a token is accepted only for a
-- registered tenant and an active user of it.  All of them are registered
-- (the attacker in each tenant, and the victim), so that every entry below
-- can only be refused for the rule it breaks.
SELECT tracker.create_tenant(slug, initcap(slug), 'basic', tenant_id => id) AS tenant
FROM (VALUES ('attack-one', '11111111-1111-1111-1111-111111111111'::uuid),
			 ('attack-two', '22222222-2222-2222-2222-222222222222'),
			 ('attack-three', '33333333-3333-3333-3333-333333333333')) AS t(slug, id)
ORDER BY id;
SELECT count(tracker.add_user(tenant::uuid, subject, subject || '@attack.example')) AS users
FROM (VALUES ('11111111-1111-1111-1111-111111111111', 'attacker'),
			 ('11111111-1111-1111-1111-111111111111', 'victim'),
			 ('22222222-2222-2222-2222-222222222222', 'attacker'),
			 ('33333333-3333-3333-3333-333333333333', 'attacker')) AS u(tenant, subject);

CREATE FUNCTION pg_temp.try_auth(tok text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM tracker.authenticate(tok);
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- base64url as JWS uses it: no padding (RFC 7515, section 2)
CREATE FUNCTION pg_temp.b64url(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT translate(encode(data, 'base64'), E'+/=\n', '-_')
$$;

-- the same with the '=' padding of plain base64 kept
CREATE FUNCTION pg_temp.b64url_padded(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT translate(encode(data, 'base64'), E'+/\n', '-_')
$$;

-- a lenient decoder: ignores the unused bits of the last character
CREATE FUNCTION pg_temp.unb64url(seg text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT decode(rpad(translate(seg, '-_', '+/'), (length(seg) + 3) / 4 * 4, '='), 'base64')
$$;

-- The segment with the lowest unused bit of its last character set.  For a
-- segment of 2 or 3 characters modulo 4 that bit carries no data: a lenient
-- decoder reads the same bytes, but it is not the canonical encoding.
CREATE FUNCTION pg_temp.noncanonical(seg text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT left(seg, -1) || substr(a, ((strpos(a, right(seg, 1)) - 1) # 1) + 1, 1)
	FROM (SELECT 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'::text) AS s(a)
$$;

-- HMAC-SHA256 (RFC 2104)
CREATE FUNCTION pg_temp.hmac_sha256(msg bytea, secret bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	k bytea := secret;
	ipad bytea;
	opad bytea;
BEGIN
	IF length(k) > 64 THEN
		k := sha256(k);
	END IF;
	k := k || decode(repeat('00', 64 - length(k)), 'hex');
	ipad := k;
	opad := k;
	FOR i IN 0..63 LOOP
		ipad := set_byte(ipad, i, get_byte(k, i) # 54);		-- 0x36
		opad := set_byte(opad, i, get_byte(k, i) # 92);		-- 0x5c
	END LOOP;
	RETURN sha256(opad || sha256(ipad || msg));
END
$$;

-- the token with its signature segment emptied
CREATE FUNCTION pg_temp.without_signature(tok text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT split_part(tok, '.', 1) || '.' || split_part(tok, '.', 2) || '.'
$$;

-- an HS256 token over two segments taken exactly as given
CREATE FUNCTION pg_temp.hs256(header_seg text, payload_seg text, secret text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT header_seg || '.' || payload_seg || '.'
		|| pg_temp.b64url(pg_temp.hmac_sha256(convert_to(header_seg || '.' || payload_seg, 'UTF8'),
											  convert_to(secret, 'UTF8')))
$$;

--
-- Keys
--
\set hs256 `cat test/keys/test-only-hs256.secret`
\set hs384 `cat test/keys/test-only-hs384.secret`
\set hs512 `cat test/keys/test-only-hs512.secret`
\set rsa_pem `cat test/keys/test-only-rsa.pub.pem`
\set ec256_pem `cat test/keys/test-only-ec256.pub.pem`
SELECT tracker.add_key('k-hs256', 'HS256', :'hs256');
SELECT tracker.add_key('k-rs256', 'RS256', :'rsa_pem');
SELECT tracker.add_key('k-es256', 'ES256', :'ec256_pem');
SELECT tracker.add_key('k-iss', 'HS256', :'hs384',
					   issuer => 'https://issuer.example', audience => 'tracker-api');
SELECT tracker.add_key('k-tenant', 'HS256', :'hs512',
					   tenant_id => '22222222-2222-2222-2222-222222222222');
SELECT tracker.add_key('k-retired', 'HS256', :'hs256');
SELECT kid, alg, key_type, issuer, audience, tenant_id FROM tracker.list_keys() ORDER BY kid;

--
-- The valid tokens the entries are made from.  P is a payload every key
-- without bindings accepts; the segments of the HS256 token are h, p and s.
--
\set P '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}'
\set base_hs `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set base_rs `/usr/bin/python3 test/mint.py --raw '{"alg":"RS256","kid":"k-rs256"}' :'P' RS256 test/keys/test-only-rsa.key.pem`
\set base_es `/usr/bin/python3 test/mint.py --raw '{"alg":"ES256","kid":"k-es256"}' :'P' ES256 test/keys/test-only-ec256.key.pem`
SELECT split_part(:'base_hs', '.', 1) AS h, split_part(:'base_hs', '.', 2) AS p,
	   split_part(:'base_hs', '.', 3) AS s \gset

-- The SQL signer gives exactly mint.py's token.  The segments of the base
-- token have 2 or 3 characters modulo 4, so they have '=' padding in plain
-- base64 and unused bits in their last character.
SELECT pg_temp.hs256(:'h', :'p', :'hs256') = :'base_hs' AS sql_signer_agrees_with_mint,
	   length(:'h') % 4 AS h_mod_4, length(:'p') % 4 AS p_mod_4, length(:'s') % 4 AS s_mod_4,
	   pg_temp.unb64url(pg_temp.noncanonical(:'h')) = pg_temp.unb64url(:'h')
		AND pg_temp.unb64url(pg_temp.noncanonical(:'p')) = pg_temp.unb64url(:'p')
		AND pg_temp.unb64url(pg_temp.noncanonical(:'s')) = pg_temp.unb64url(:'s')
		AS noncanonical_decodes_the_same;

-- the revoked jti and the retired key are fine until they are revoked and retired
\set revoked `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"jti":"jti-revoked"}' HS256 test/keys/test-only-hs256.secret`
\set retired `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-retired"}' :'P' HS256 test/keys/test-only-hs256.secret`
SELECT pg_temp.try_auth(:'revoked') AS before_revoking, pg_temp.try_auth(:'retired') AS before_retiring;
SELECT tracker.revoke_token('jti-revoked');
SELECT tracker.retire_key('k-retired') <= now() AS retired;
RESET tracker.token;

CREATE TEMP TABLE attacks (
	n		integer PRIMARY KEY,
	name	text NOT NULL UNIQUE,
	token	text NOT NULL
);

--
-- 1xx: the shape of the token, checked before anything is decoded
--
INSERT INTO attacks VALUES
	(101, 'empty string', ''),
	(102, 'one segment', :'h'),
	(103, 'two segments', :'h' || '.' || :'p'),
	(104, 'four segments', :'base_hs' || '.' || :'s'),
	(105, 'five segments (JWE shape)', :'base_hs' || '.' || :'s' || '.' || :'s'),
	(106, 'six segments', :'base_hs' || '.' || :'s' || '.' || :'s' || '.' || :'s'),
	(107, 'only two dots', '..'),
	(108, 'more than 8192 bytes (a large claim)',
	 pg_temp.hs256(:'h', pg_temp.b64url(convert_to(
		'{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"pad":"'
		|| repeat('x', 7000) || '"}', 'UTF8')), :'hs256'));

--
-- 2xx: unsigned tokens
--
\set none1 `/usr/bin/python3 test/mint.py --raw '{"alg":"none","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set none2 `/usr/bin/python3 test/mint.py --raw '{"alg":"None","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set none3 `/usr/bin/python3 test/mint.py --raw '{"alg":"NONE","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set none4 `/usr/bin/python3 test/mint.py --raw '{"alg":"nOnE","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
INSERT INTO attacks VALUES
	(201, 'alg "none", no signature', pg_temp.without_signature(:'none1')),
	(202, 'alg "None", no signature', pg_temp.without_signature(:'none2')),
	(203, 'alg "NONE", no signature', pg_temp.without_signature(:'none3')),
	(204, 'alg "nOnE", no signature', pg_temp.without_signature(:'none4')),
	(205, 'alg "none", with an HS256 signature', :'none1'),
	(206, 'alg "None", with an HS256 signature', :'none2'),
	(207, 'alg "NONE", with an HS256 signature', :'none3'),
	(208, 'alg "nOnE", with an HS256 signature', :'none4'),
	(209, 'alg HS256, signature removed', :'h' || '.' || :'p' || '.');

--
-- 3xx: segments that are not canonical unpadded base64url.  The payload
-- entries are signed over the malformed segment, so that only the decoding
-- can refuse them.
--
INSERT INTO attacks VALUES
	(301, 'header with = padding',
	 pg_temp.b64url_padded(pg_temp.unb64url(:'h')) || '.' || :'p' || '.' || :'s'),
	(302, 'payload with = padding',
	 pg_temp.hs256(:'h', pg_temp.b64url_padded(pg_temp.unb64url(:'p')), :'hs256')),
	(303, 'signature with = padding',
	 :'h' || '.' || :'p' || '.' || pg_temp.b64url_padded(pg_temp.unb64url(:'s'))),
	(340, 'header not canonical (unused bit set)',
	 pg_temp.noncanonical(:'h') || '.' || :'p' || '.' || :'s'),
	(341, 'payload not canonical (unused bit set)',
	 pg_temp.hs256(:'h', pg_temp.noncanonical(:'p'), :'hs256')),
	(342, 'signature not canonical (unused bit set)',
	 :'h' || '.' || :'p' || '.' || pg_temp.noncanonical(:'s')),
	(343, 'header of 1 character modulo 4', :'h' || 'AAA.' || :'p' || '.' || :'s'),
	(344, 'leading space', ' ' || :'base_hs'),
	(345, 'trailing space', :'base_hs' || ' '),
	(346, 'trailing newline', :'base_hs' || E'\n'),
	(347, 'leading and trailing space', ' ' || :'base_hs' || ' ');

-- one character of a segment replaced by junk: 310-315 header, 320-325
-- payload, 330-335 signature
INSERT INTO attacks
SELECT seg.base + j.i,
	   format('%s in the %s', j.label, seg.name),
	   CASE seg.name
		WHEN 'header' THEN overlay(:'h' PLACING j.c FROM 5 FOR 1) || '.' || :'p' || '.' || :'s'
		WHEN 'payload' THEN pg_temp.hs256(:'h', overlay(:'p' PLACING j.c FROM 5 FOR 1), :'hs256')
		ELSE :'h' || '.' || :'p' || '.' || overlay(:'s' PLACING j.c FROM 5 FOR 1)
	   END
FROM (VALUES (0, '+', '''+'''), (1, '/', '''/'''), (2, '!', '''!'''),
			 (3, ' ', 'space'), (4, E'\n', 'newline'), (5, '%', '''%''')) AS j(i, c, label),
	 (VALUES (310, 'header'), (320, 'payload'), (330, 'signature')) AS seg(base, name);

--
-- 4xx: the header's JSON
--
\set hdr1 `/usr/bin/python3 test/mint.py --raw '{alg:HS256,kid:k-hs256}' :'P' HS256 test/keys/test-only-hs256.secret`
\set hdr2 `/usr/bin/python3 test/mint.py --raw '[{"alg":"HS256","kid":"k-hs256"}]' :'P' HS256 test/keys/test-only-hs256.secret`
\set hdr3 `/usr/bin/python3 test/mint.py --raw '"HS256"' :'P' HS256 test/keys/test-only-hs256.secret`
\set hdr4 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-nowhere","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set hdr5 `/usr/bin/python3 test/mint.py --raw '{"alg":"none","alg":"HS256","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set hdr6 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","k\u0069d":"k-nowhere","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set hdr7 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}{}' :'P' HS256 test/keys/test-only-hs256.secret`
\set hdr8 `/usr/bin/python3 test/mint.py --raw '' :'P' HS256 test/keys/test-only-hs256.secret`
INSERT INTO attacks VALUES
	(401, 'header not JSON (bare words)', :'hdr1'),
	(402, 'header a JSON array', :'hdr2'),
	(403, 'header a JSON string', :'hdr3'),
	(404, 'header empty', :'hdr8'),
	(405, 'header followed by a second object', :'hdr7'),
	(406, 'header not UTF-8 (byte 0xff)',
	 pg_temp.b64url('\x7b22616c67223a224853323536222c226b6964223a22ff227d'::bytea)
	 || '.' || :'p' || '.' || :'s'),
	(407, 'header with a byte order mark',
	 pg_temp.b64url('\xefbbbf'::bytea || pg_temp.unb64url(:'h')) || '.' || :'p' || '.' || :'s'),
	(408, 'header ending in a NUL byte',
	 pg_temp.b64url(pg_temp.unb64url(:'h') || '\x00'::bytea) || '.' || :'p' || '.' || :'s'),
	(409, 'header with two "kid" members', :'hdr4'),
	(410, 'header with two "alg" members (none, HS256)', :'hdr5'),
	(411, 'header with "k\u0069d" and "kid"', :'hdr6');

--
-- 5xx: the algorithm
--
\set alg1 `/usr/bin/python3 test/mint.py --raw '{"kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set alg2 `/usr/bin/python3 test/mint.py --raw '{"alg":256,"kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set alg3 `/usr/bin/python3 test/mint.py --raw '{"alg":null,"kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set alg4 `/usr/bin/python3 test/mint.py --raw '{"alg":["HS256"],"kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set alg5 `/usr/bin/python3 test/mint.py --raw '{"alg":"PS256","kid":"k-rs256"}' :'P' RS256 test/keys/test-only-rsa.key.pem`
\set alg6 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS1","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set alg7 `/usr/bin/python3 test/mint.py --raw '{"alg":"hs256","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set alg8 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256 ","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set alg9 `/usr/bin/python3 test/mint.py --raw '{"alg":"EdDSA","kid":"k-es256"}' :'P' ES256 test/keys/test-only-ec256.key.pem`
\set alg10 `/usr/bin/python3 test/mint.py --raw '{"alg":"RS256","kid":"k-hs256"}' :'P' RS256 test/keys/test-only-rsa.key.pem`
\set alg11 `/usr/bin/python3 test/mint.py --hs-with-public test/keys/test-only-rsa.pub.pem '{"alg":"HS256","kid":"k-rs256"}' :'P'`
\set alg12 `/usr/bin/python3 test/mint.py --hs-with-public test/keys/test-only-ec256.pub.pem '{"alg":"HS256","kid":"k-es256"}' :'P'`
\set alg13 `/usr/bin/python3 test/mint.py --raw '{"alg":"ES256","kid":"k-rs256"}' :'P' ES256 test/keys/test-only-ec256.key.pem`
\set alg14 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS512","kid":"k-hs256"}' :'P' HS512 test/keys/test-only-hs256.secret`
\set alg15 `/usr/bin/python3 test/mint.py --raw '{"alg":"RS256","kid":"k-es256"}' :'P' RS256 test/keys/test-only-rsa.key.pem`
INSERT INTO attacks VALUES
	(501, 'alg missing', :'alg1'),
	(502, 'alg a number', :'alg2'),
	(503, 'alg null', :'alg3'),
	(504, 'alg an array', :'alg4'),
	(505, 'alg PS256 (unsupported)', :'alg5'),
	(506, 'alg HS1 (unsupported)', :'alg6'),
	(507, 'alg hs256 (lower case)', :'alg7'),
	(508, 'alg "HS256 " (trailing space)', :'alg8'),
	(509, 'alg EdDSA (unsupported)', :'alg9'),
	(510, 'RS256 token for the HS256 key', :'alg10'),
	(511, 'HS256 with the RSA public key PEM as secret', :'alg11'),
	(512, 'HS256 with the EC public key PEM as secret', :'alg12'),
	(513, 'ES256 token for the RS256 key', :'alg13'),
	(514, 'HS512 token for the HS256 key', :'alg14'),
	(515, 'RS256 token for the ES256 key', :'alg15');

--
-- 6xx: header parameters that are never honoured
--
\set prm1 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","crit":["exp"],"exp":4102444800}' :'P' HS256 test/keys/test-only-hs256.secret`
\set prm2 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","jku":"https://attacker.example/jwks.json"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set prm3 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","x5u":"https://attacker.example/cert.pem"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set prm4 `/usr/bin/python3 test/mint.py --raw '{"alg":"RS256","kid":"k-rs256","jwk":{"kty":"RSA","e":"AQAB","n":"wy3e7onJP7P_O7-Odg614F2MeLxol_E6QcORAAnE_P_sSfDMr3yiGo3H0hgxqMY1AO4eo5tmZEZ3JQgdcv66-bzCpI6G2mMt6_UaZtv4Q1iDhWLvthTPqW2VVylC6h4bv4JqECksDQBy-_TGdKzL7NISgTQlBOHpV03L-toe97rRwc9FDVIQpGxAOY6sh5xC21D5MBGcuXRaClgXT4GQStm1h3dKIx6-fMa6XdEf4x3K2bTAsC5ROzlhE8YCFvgqPn6R7RisTeE_1TixptebEEsS0bFvBe5Dp6Re6U6hDTkjb552qI-lFGrVGT-d0EN-9AEr-cMTiOYxZyKU6TMhoQ"}}' :'P' RS256 test/keys/test-only-rsa2.key.pem`
\set prm5 `/usr/bin/python3 test/mint.py --raw '{"alg":"RS256","kid":"k-rs256","x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]}' :'P' RS256 test/keys/test-only-rsa2.key.pem`
\set prm6 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","b64":false,"crit":["b64"]}' :'P' HS256 test/keys/test-only-hs256.secret`
\set prm7 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","cty":"JWT"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set prm8 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","enc":"A256GCM"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set prm9 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","zip":"DEF"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set prm10 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","typ":"JOSE+JSON"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set prm11 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","typ":1}' :'P' HS256 test/keys/test-only-hs256.secret`
\set prm12 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","crit":[]}' :'P' HS256 test/keys/test-only-hs256.secret`
INSERT INTO attacks VALUES
	(601, 'crit header', :'prm1'),
	(602, 'crit header, empty list', :'prm12'),
	(603, 'jku header (fetch the key from a URL)', :'prm2'),
	(604, 'x5u header (fetch the certificate from a URL)', :'prm3'),
	(605, 'jwk header (the attacker''s own key, embedded)', :'prm4'),
	(606, 'x5c header (a certificate chain, embedded)', :'prm5'),
	(607, 'b64 header (unencoded payload)', :'prm6'),
	(608, 'cty JWT (nested token)', :'prm7'),
	(609, 'enc header', :'prm8'),
	(610, 'zip header', :'prm9'),
	(611, 'typ JOSE+JSON', :'prm10'),
	(612, 'typ a number', :'prm11');

--
-- 7xx: the key named by kid
--
\set kid1 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-nowhere"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set kid2 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":256}' :'P' HS256 test/keys/test-only-hs256.secret`
\set kid3 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set kid4 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":null}' :'P' HS256 test/keys/test-only-hs256.secret`
\set kid5 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":""}' :'P' HS256 test/keys/test-only-hs256.secret`
\set kid6 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"K-HS256"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set kid7 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256\n\u001b[31m\u00e9"}' :'P' HS256 test/keys/test-only-hs256.secret`
\set kid8 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":["k-hs256"]}' :'P' HS256 test/keys/test-only-hs256.secret`
INSERT INTO attacks VALUES
	(701, 'kid of no key', :'kid1'),
	(702, 'kid a number', :'kid2'),
	(703, 'kid missing', :'kid3'),
	(704, 'kid null', :'kid4'),
	(705, 'kid an array', :'kid8'),
	(706, 'kid empty', :'kid5'),
	(707, 'kid in another case', :'kid6'),
	(708, 'kid with control and non-ASCII characters', :'kid7'),
	(709, 'kid of 300 characters',
	 pg_temp.hs256(pg_temp.b64url(convert_to('{"alg":"HS256","kid":"' || repeat('k', 300) || '"}', 'UTF8')),
				   :'p', :'hs256')),
	(710, 'kid of a retired key', :'retired');

--
-- 8xx: the signature
--
\set sig1 `/usr/bin/python3 test/mint.py --raw '{"alg":"RS256","kid":"k-rs256"}' :'P' RS256 test/keys/test-only-rsa2.key.pem`
\set sig2 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' :'P' HS256 test/keys/test-only-hs384.secret`
\set sig3 `/usr/bin/python3 test/mint.py --raw '{"alg":"ES256","kid":"k-es256"}' :'P' ES256 test/keys/test-only-ec384.key.pem`
\set sig4 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444801}' HS256 test/keys/test-only-hs256.secret`
INSERT INTO attacks VALUES
	(801, 'RS256 signed with another RSA key', :'sig1'),
	(802, 'HS256 signed with another secret', :'sig2'),
	(803, 'ES256 signed with a P-384 key', :'sig3'),
	(804, 'RS256 signature truncated',
	 left(:'base_rs', -(length(split_part(:'base_rs', '.', 3)) % 4 + 4))),
	(805, 'RS256 signature with a leading zero byte',
	 split_part(:'base_rs', '.', 1) || '.' || split_part(:'base_rs', '.', 2) || '.'
	 || pg_temp.b64url('\x00'::bytea || pg_temp.unb64url(split_part(:'base_rs', '.', 3)))),
	(806, 'HS256 signature truncated to 16 bytes',
	 :'h' || '.' || :'p' || '.' || pg_temp.b64url(substr(pg_temp.unb64url(:'s'), 1, 16))),
	(807, 'ES256 signature of zeros',
	 split_part(:'base_es', '.', 1) || '.' || split_part(:'base_es', '.', 2) || '.'
	 || pg_temp.b64url(decode(repeat('00', 64), 'hex'))),
	(808, 'HS256 payload with one character changed',
	 :'h' || '.' || overlay(:'p' PLACING CASE substr(:'p', 20, 1) WHEN 'A' THEN 'B' ELSE 'A' END
							FROM 20 FOR 1) || '.' || :'s'),
	(809, 'RS256 payload with one character changed',
	 regexp_replace(:'base_rs', '^([^.]*\.[^.]{19}).',
					'\1' || CASE substr(split_part(:'base_rs', '.', 2), 20, 1) WHEN 'A' THEN 'B' ELSE 'A' END)),
	(810, 'ES256 payload with one character changed',
	 regexp_replace(:'base_es', '^([^.]*\.[^.]{19}).',
					'\1' || CASE substr(split_part(:'base_es', '.', 2), 20, 1) WHEN 'A' THEN 'B' ELSE 'A' END)),
	(811, 'signature of another token with other claims',
	 :'h' || '.' || split_part(:'sig4', '.', 2) || '.' || :'s'),
	(812, 'RS256 header and payload with an HS256 token''s signature',
	 split_part(:'base_rs', '.', 1) || '.' || :'p' || '.' || :'s');

--
-- 9xx: the payload's JSON.  Signed correctly: only the payload is wrong.
--
\set pl1 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '"attacker"' HS256 test/keys/test-only-hs256.secret`
\set pl2 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' 'null' HS256 test/keys/test-only-hs256.secret`
\set pl3 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '4102444800' HS256 test/keys/test-only-hs256.secret`
\set pl4 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '[{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}]' HS256 test/keys/test-only-hs256.secret`
\set pl5 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{sub:attacker}' HS256 test/keys/test-only-hs256.secret`
\set pl6 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '' HS256 test/keys/test-only-hs256.secret`
\set pl7 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"victim","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"sub":"attacker"}' HS256 test/keys/test-only-hs256.secret`
\set pl8 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":1000000000,"exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set pl9 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"s\u0075b":"victim","sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set pl10 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"22222222-2222-2222-2222-222222222222","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set pl11 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"x":{"a":1,"a":2}}' HS256 test/keys/test-only-hs256.secret`
\set pl12 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker\u0000","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set pl13 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker\ud800","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set pl14 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800},' HS256 test/keys/test-only-hs256.secret`
INSERT INTO attacks VALUES
	(901, 'payload a JSON string', :'pl1'),
	(902, 'payload null', :'pl2'),
	(903, 'payload a number', :'pl3'),
	(904, 'payload a JSON array', :'pl4'),
	(905, 'payload not JSON (bare words)', :'pl5'),
	(906, 'payload empty', :'pl6'),
	(907, 'payload with a trailing comma', :'pl14'),
	(908, 'two "sub" members', :'pl7'),
	(909, 'two "exp" members', :'pl8'),
	(910, '"s\u0075b" and "sub"', :'pl9'),
	(911, 'two "tenant_id" members', :'pl10'),
	(912, 'two members of a nested object', :'pl11'),
	(913, 'NUL (\u0000) in a claim', :'pl12'),
	(914, 'lone surrogate (\ud800) in a claim', :'pl13'),
	-- raw bytes that are not UTF-8, signed with the SQL signer
	(920, 'payload not UTF-8 (byte 0xff)',
	 pg_temp.hs256(:'h', pg_temp.b64url(convert_to('{"sub":"attacker', 'UTF8') || '\xff'::bytea
		|| convert_to('","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}', 'UTF8')), :'hs256')),
	(921, 'payload with an overlong UTF-8 sequence',
	 pg_temp.hs256(:'h', pg_temp.b64url(convert_to('{"sub":"attacker', 'UTF8') || '\xc0af'::bytea
		|| convert_to('","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}', 'UTF8')), :'hs256')),
	(922, 'payload with a UTF-8 encoded surrogate',
	 pg_temp.hs256(:'h', pg_temp.b64url(convert_to('{"sub":"attacker', 'UTF8') || '\xeda080'::bytea
		|| convert_to('","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}', 'UTF8')), :'hs256')),
	(923, 'payload with a NUL byte',
	 pg_temp.hs256(:'h', pg_temp.b64url(convert_to('{"sub":"attacker', 'UTF8') || '\x00'::bytea
		|| convert_to('","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}', 'UTF8')), :'hs256'));

--
-- 10xx: the claims
--
\set clm1 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111"}' HS256 test/keys/test-only-hs256.secret`
\set clm2 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":"4102444800"}' HS256 test/keys/test-only-hs256.secret`
\set clm3 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":null}' HS256 test/keys/test-only-hs256.secret`
\set clm4 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":-1}' HS256 test/keys/test-only-hs256.secret`
\set clm5 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":1e300}' HS256 test/keys/test-only-hs256.secret`
\set clm6 `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k-hs256 --exp -3000 --claims '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set clm7 `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k-hs256 --nbf-offset 3000 --claims '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set clm8 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"nbf":"0"}' HS256 test/keys/test-only-hs256.secret`
\set clm9 `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k-hs256 --iat-offset 3000 --claims '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set clm10 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"iat":true}' HS256 test/keys/test-only-hs256.secret`
\set clm11 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-iss"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"iss":"https://attacker.example","aud":"tracker-api"}' HS256 test/keys/test-only-hs384.secret`
\set clm12 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-iss"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"aud":"tracker-api"}' HS256 test/keys/test-only-hs384.secret`
\set clm13 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-iss"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"iss":"https://issuer.example/","aud":"tracker-api"}' HS256 test/keys/test-only-hs384.secret`
\set clm14 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-iss"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"iss":["https://issuer.example"],"aud":"tracker-api"}' HS256 test/keys/test-only-hs384.secret`
\set clm15 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-iss"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"iss":"https://issuer.example","aud":"other-api"}' HS256 test/keys/test-only-hs384.secret`
\set clm16 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-iss"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"iss":"https://issuer.example","aud":["other-api","tracker-api-2"]}' HS256 test/keys/test-only-hs384.secret`
\set clm17 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-iss"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"iss":"https://issuer.example"}' HS256 test/keys/test-only-hs384.secret`
\set clm18 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-iss"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"iss":"https://issuer.example","aud":{"aud":"tracker-api"}}' HS256 test/keys/test-only-hs384.secret`
\set clm19 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-tenant"}' '{"sub":"attacker","tenant_id":"33333333-3333-3333-3333-333333333333","exp":4102444800}' HS256 test/keys/test-only-hs512.secret`
\set clm20 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set clm21 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"not-a-uuid","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set clm22 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":11111111,"exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set clm23 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"{11111111-1111-1111-1111-111111111111}","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set clm24 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111111111111111111111111111","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set clm25 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111 ","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set clm26 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":null,"exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set clm27 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set clm28 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set clm29 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":42,"tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set clm30 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"jti":""}' HS256 test/keys/test-only-hs256.secret`
\set clm31 `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"jti":7}' HS256 test/keys/test-only-hs256.secret`
INSERT INTO attacks VALUES
	(1001, 'exp missing', :'clm1'),
	(1002, 'exp a string', :'clm2'),
	(1003, 'exp null', :'clm3'),
	(1004, 'exp negative', :'clm4'),
	(1005, 'exp 1e300', :'clm5'),
	(1006, 'exp 50 minutes ago', :'clm6'),
	(1007, 'nbf in 50 minutes', :'clm7'),
	(1008, 'nbf a string', :'clm8'),
	(1009, 'iat in 50 minutes', :'clm9'),
	(1010, 'iat a boolean', :'clm10'),
	(1011, 'issuer of another party', :'clm11'),
	(1012, 'issuer missing', :'clm12'),
	(1013, 'issuer with a trailing slash', :'clm13'),
	(1014, 'issuer in an array', :'clm14'),
	(1015, 'audience of another API', :'clm15'),
	(1016, 'audience array without ours', :'clm16'),
	(1017, 'audience missing', :'clm17'),
	(1018, 'audience an object', :'clm18'),
	(1019, 'tenant 3333... signed with the key of tenant 2222...', :'clm19'),
	(1020, 'tenant missing', :'clm20'),
	(1021, 'tenant not a uuid', :'clm21'),
	(1022, 'tenant a number', :'clm22'),
	(1023, 'tenant null', :'clm26'),
	(1024, 'tenant uuid in braces', :'clm23'),
	(1025, 'tenant uuid without hyphens', :'clm24'),
	(1026, 'tenant uuid with a trailing space', :'clm25'),
	(1027, 'sub missing', :'clm27'),
	(1028, 'sub empty', :'clm28'),
	(1029, 'sub a number', :'clm29'),
	(1030, 'sub of 257 characters',
	 pg_temp.hs256(:'h', pg_temp.b64url(convert_to('{"sub":"' || repeat('s', 257)
		|| '","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800}', 'UTF8')), :'hs256')),
	(1031, 'jti empty', :'clm30'),
	(1032, 'jti a number', :'clm31'),
	(1033, 'jti revoked', :'revoked');

--
-- The catalogue: every entry refused with 28000 and the rule it breaks.
--
SELECT count(*) AS entries FROM attacks;
SELECT n, name, pg_temp.try_auth(token) AS result FROM attacks ORDER BY n;

SELECT count(*) FILTER (WHERE result = 'accepted') AS accepted,
	   count(*) FILTER (WHERE result NOT LIKE '28000: %') AS not_28000,
	   count(*) FILTER (WHERE strpos(result, :'hs256') > 0 OR strpos(result, :'hs384') > 0
							OR strpos(result, :'hs512') > 0) AS quoting_a_secret
FROM (SELECT pg_temp.try_auth(token) AS result FROM attacks) AS r;
SELECT tracker.current_subject() IS NULL AS still_no_context;

-- A header nested 45000 levels deep, with tracker.max_token_size at its
-- maximum, is refused like any other header that is no token's (28000),
-- not with an error about the server's stack.
BEGIN;
SET LOCAL tracker.max_token_size = 65536;
SELECT split_part(pg_temp.try_auth(pg_temp.b64url(convert_to(repeat('[', 45000), 'UTF8'))
								   || '.' || :'p' || '.' || :'s'), ':', 1) AS sqlstate;
ROLLBACK;

--
-- Controls: the tokens the entries were made from, and a few neighbours of
-- the entries, are accepted.
--
\set ctl_hs `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k-hs256 --claims '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set ctl_rs `/usr/bin/python3 test/mint.py RS256 test/keys/test-only-rsa.key.pem --kid k-rs256 --claims '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set ctl_es `/usr/bin/python3 test/mint.py ES256 test/keys/test-only-ec256.key.pem --kid k-es256 --claims '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
\set ctl_iss `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-iss"}' '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111","exp":4102444800,"iss":"https://issuer.example","aud":["other-api","tracker-api"]}' HS256 test/keys/test-only-hs384.secret`
\set ctl_tenant `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-tenant"}' '{"sub":"attacker","tenant_id":"22222222-2222-2222-2222-222222222222","exp":4102444800}' HS256 test/keys/test-only-hs512.secret`
\set ctl_typ `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k-hs256","typ":"at+jwt"}' :'P' HS256 test/keys/test-only-hs256.secret`
-- within the leeway of 60 seconds: expired 10 seconds ago, nbf and iat 10 seconds ahead
\set ctl_leeway `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k-hs256 --exp -10 --nbf-offset 10 --iat-offset 10 --claims '{"sub":"attacker","tenant_id":"11111111-1111-1111-1111-111111111111"}'`
SELECT name, pg_temp.try_auth(token) AS result
FROM (VALUES (1, 'HS256 (mint.py)', :'ctl_hs'),
			 (2, 'RS256 (mint.py)', :'ctl_rs'),
			 (3, 'ES256 (mint.py)', :'ctl_es'),
			 (4, 'HS256 base token (mint.py --raw)', :'base_hs'),
			 (5, 'RS256 base token (mint.py --raw)', :'base_rs'),
			 (6, 'ES256 base token (mint.py --raw)', :'base_es'),
			 (7, 'HS256 base token signed in SQL', pg_temp.hs256(:'h', :'p', :'hs256')),
			 (8, 'issuer and audience (in an array) of k-iss', :'ctl_iss'),
			 (9, 'the tenant of k-tenant', :'ctl_tenant'),
			 (10, 'typ at+jwt', :'ctl_typ'),
			 (11, 'exp, nbf and iat within the leeway', :'ctl_leeway')) AS c(n, name, token)
ORDER BY n;

-- the oversized entry is refused for its size alone
BEGIN;
SET LOCAL tracker.max_token_size = 16384;
SELECT length(token) AS bytes, pg_temp.try_auth(token) AS with_a_limit_of_16384
FROM attacks WHERE n = 108;
ROLLBACK;

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS tracker_pool CASCADE;
RESET client_min_messages;
DROP EXTENSION tracker;
