--
-- fuzz: random mutations of valid tokens are never accepted
--
-- Three valid tokens (HS256, RS256, ES256) are minted independently of the
-- extension with test/mint.py.  Each is then mutated at random 100,000 times
-- in all (a third each) and handed to tracker.authenticate(), and 5,000 more
-- mutations are put straight into tracker.token and read back through
-- tracker.current_tenant().  Base64url decoding is strict and canonical, so
-- every change to a valid token is a changed value and must be rejected,
-- always with SQLSTATE 28000.  A mutant that comes out byte for byte equal
-- to one of the three valid tokens is not a mutation and is skipped (and not
-- counted).
--
-- The mutations are driven by random() after setseed(), but the RS256 and
-- ES256 tokens differ from run to run (iat and exp, and ES signatures are
-- randomized), so only facts that hold for every run are printed: never a
-- token, never a count that depends on the tokens' bytes.
--
CREATE EXTENSION tracker;

-- the tenants and users of the three valid tokens: a token is accepted
-- only for a registered tenant and an active user of it
SELECT tracker.create_tenant('fuzz-one', 'Fuzz One', 'basic',
							 tenant_id => '11111111-1111-1111-1111-111111111111') AS tenant;
SELECT tracker.create_tenant('fuzz-two', 'Fuzz Two', 'basic',
							 tenant_id => '22222222-2222-2222-2222-222222222222') AS tenant;
SELECT tracker.create_tenant('fuzz-three', 'Fuzz Three', 'basic',
							 tenant_id => '33333333-3333-3333-3333-333333333333') AS tenant;
SELECT tracker.add_user('11111111-1111-1111-1111-111111111111', 'alice', 'alice@one.example') IS NOT NULL AS added;
SELECT tracker.add_user('22222222-2222-2222-2222-222222222222', 'bob', 'bob@two.example') IS NOT NULL AS added;
SELECT tracker.add_user('33333333-3333-3333-3333-333333333333', 'carol', 'carol@three.example') IS NOT NULL AS added;

\set hs_secret `cat test/keys/test-only-hs256.secret`
\set rsa_pem `cat test/keys/test-only-rsa.pub.pem`
\set ec_pem `cat test/keys/test-only-ec256.pub.pem`
SELECT tracker.add_key('fz-hs', 'HS256', :'hs_secret');
SELECT tracker.add_key('fz-rs', 'RS256', :'rsa_pem');
SELECT tracker.add_key('fz-es', 'ES256', :'ec_pem');

\set tok_hs `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid fz-hs --claims '{"sub":"alice","tenant_id":"11111111-1111-1111-1111-111111111111"}' --exp 86400`
\set tok_rs `/usr/bin/python3 test/mint.py RS256 test/keys/test-only-rsa.key.pem --kid fz-rs --claims '{"sub":"bob","tenant_id":"22222222-2222-2222-2222-222222222222"}' --exp 86400`
\set tok_es `/usr/bin/python3 test/mint.py ES256 test/keys/test-only-ec256.key.pem --kid fz-es --claims '{"sub":"carol","tenant_id":"33333333-3333-3333-3333-333333333333"}' --exp 86400`

CREATE TEMP TABLE fz_token (n int PRIMARY KEY, alg text, tok text, sub text, tenant uuid);
INSERT INTO fz_token VALUES
	(1, 'HS256', :'tok_hs', 'alice', '11111111-1111-1111-1111-111111111111'),
	(2, 'RS256', :'tok_rs', 'bob', '22222222-2222-2222-2222-222222222222'),
	(3, 'ES256', :'tok_es', 'carol', '33333333-3333-3333-3333-333333333333');

CREATE FUNCTION pg_temp.try_auth(tok text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM tracker.authenticate(tok);
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- the three originals are accepted, with the claims they were minted with
SELECT alg, pg_temp.try_auth(tok) AS result FROM fz_token ORDER BY n;
SELECT alg, c->>'sub' = sub AS sub_ok, (c->>'tenant_id')::uuid = tenant AS tenant_ok
FROM fz_token, LATERAL tracker.authenticate(tok) AS c ORDER BY n;
-- the context the fuzzing must leave alone: alice's
SELECT tracker.authenticate(tok) IS NOT NULL AS alice_authenticated FROM fz_token WHERE n = 1;

--
-- Helpers.  Nothing in them raises: a mutation that cannot be applied to
-- the string at hand falls back to flipping a character.
--

-- random integer in 0 .. n-1
CREATE FUNCTION pg_temp.rnd(n int) RETURNS int LANGUAGE sql AS
$$ SELECT floor(random() * n)::int $$;

-- unpadded base64url of some bytes
CREATE FUNCTION pg_temp.b64u_encode(b bytea) RETURNS text LANGUAGE sql AS
$$ SELECT translate(encode(b, 'base64'), E'+/=\n', '-_') $$;

-- the bytes of a base64url string, or NULL when it is not one
CREATE FUNCTION pg_temp.b64u_decode(s text) RETURNS bytea LANGUAGE sql AS
$$ SELECT CASE WHEN s ~ '^[A-Za-z0-9_-]*$' AND length(s) % 4 <> 1
	THEN decode(translate(s, '-_', '+/') || repeat('=', (4 - length(s) % 4) % 4), 'base64') END $$;

-- a random character: base64url, JSON/JWS punctuation, any ASCII but NUL,
-- look-alikes, and 2-, 3- and 4-byte UTF-8 (no surrogates)
CREATE FUNCTION pg_temp.fz_char() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	special CONSTANT text[] := ARRAY['.', '=', '+', '/', '\', '"', '-', '_', ' ', '%',
		'~', E'\t', E'\n', E'\r', '{', '}', ':', ',', '''', '[', ']', '*', '#', '&',
		'?', '@', '$', chr(127), chr(160), chr(65279), chr(8203), chr(65294), chr(8228),
		chr(233), chr(8364), chr(128512), chr(304), chr(8490)];
	cp int;
BEGIN
	CASE pg_temp.rnd(6)
		WHEN 0 THEN
			RETURN substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
						  1 + pg_temp.rnd(64), 1);
		WHEN 1 THEN
			RETURN special[1 + pg_temp.rnd(cardinality(special))];
		WHEN 2 THEN
			RETURN chr(1 + pg_temp.rnd(127));
		WHEN 3 THEN
			RETURN chr(128 + pg_temp.rnd(1920));
		WHEN 4 THEN
			cp := 2048 + pg_temp.rnd(61440);
			IF cp >= 55296 THEN
				cp := cp + 2048;
			END IF;
			RETURN chr(cp);
		ELSE
			RETURN chr(65536 + pg_temp.rnd(1048576));
	END CASE;
END $$;

-- a random JSON value, as text: strings, odd numbers (some beyond numeric's
-- range), literals, containers, escapes
CREATE FUNCTION pg_temp.fz_json_value() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	pool CONSTANT text[] := ARRAY[
		'"HS256"', '"RS256"', '"ES256"', '"HS512"', '"ES384"', '"PS256"', '"EdDSA"',
		'"none"', '"None"', '"nOnE"', '"hs256"', '"HS256 "', '""', '"\u0048S256"',
		'"HS256\u0000"', '"fz-hs"', '"fz-rs"', '"fz-es"', '"FZ-HS"', '"JWT"', '"at+jwt"',
		'"JOSE"', '"https://attacker.example/jwks.json"', '"\ud800"', '"\u00e9"',
		'"' || chr(128512) || '"', '"' || repeat('x', 300) || '"',
		'0', '-0', '1', '256', '-1', '1.5', '1e308', '1.7976931348623157e309',
		'9223372036854775808', '1e1000000', '-1e1000000', '1e-1000000', '4e20',
		'null', 'true', 'false', '[]', '{}', '["HS256"]', '{"alg":"HS256"}',
		'[' || repeat('[', 60) || repeat(']', 60) || ']',
		'{"a":{"b":{"c":{"d":[1,2,{"e":null}]}}}}',
		'"11111111-1111-1111-1111-111111111111"', '"22222222-2222-2222-2222-222222222222"'];
BEGIN
	RETURN pool[1 + pg_temp.rnd(cardinality(pool))];
END $$;

-- a small change to the decoded header or payload JSON, as new bytes
CREATE FUNCTION pg_temp.fz_json_edit(j text, is_header bool) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
	names CONSTANT text[] := ARRAY['x', 'jku', 'x5u', 'jwk', 'x5c', 'b64', 'crit',
		'cty', 'enc', 'zip', 'typ', 'alg', 'kid', '', '\u0061lg', 'k\u0069d', 'exp',
		'sub', 'tenant_id', 'iss', 'aud', 'nbf', 'iat', 'jti', 'tracker_role', 'ALG',
		'alg ', chr(128512)];
	own CONSTANT text[] := CASE WHEN is_header THEN ARRAY['alg', 'kid']
		ELSE ARRAY['iat', 'exp', 'sub', 'tenant_id'] END;
	name text := own[1 + pg_temp.rnd(cardinality(own))];
	member CONSTANT text := '"%s":("[^"]*"|[-+0-9.eE]+)';
	v text;
	b bytea;
	p int;
BEGIN
	CASE pg_temp.rnd(8)
		WHEN 0, 1 THEN			-- change the value of a member (alg, kid, exp, ...)
			v := pg_temp.fz_json_value();
			v := replace(replace(v, '\', '\\'), '&', '\&');
			j := regexp_replace(j, format(member, name), format('"%s":', name) || v);
		WHEN 2 THEN				-- drop a member
			j := regexp_replace(j, ',?' || format(member, name), '');
			j := replace(j, '{,', '{');
		WHEN 3 THEN				-- add a member, last or first
			v := format('"%s":%s', names[1 + pg_temp.rnd(cardinality(names))],
						pg_temp.fz_json_value());
			IF random() < 0.5 THEN
				j := left(j, -1) || ',' || v || '}';
			ELSE
				j := '{' || v || ',' || substr(j, 2);
			END IF;
		WHEN 4 THEN				-- duplicate a member, same value, other value, or escaped name
			v := substring(j FROM format(member, name));
			v := CASE pg_temp.rnd(3)
				WHEN 0 THEN format('"%s":%s', name, v)
				WHEN 1 THEN format('"%s":%s', name, pg_temp.fz_json_value())
				ELSE format('"\u%s%s":%s', lpad(to_hex(ascii(name)), 4, '0'), substr(name, 2), v)
			END;
			j := left(j, -1) || ',' || v || '}';
		WHEN 5 THEN				-- the same JSON, written differently
			j := CASE pg_temp.rnd(4)
				WHEN 0 THEN j::jsonb::text
				WHEN 1 THEN ' ' || j
				WHEN 2 THEN j || E'\n'
				ELSE replace(j, ':', ' : ')
			END;
		WHEN 6 THEN				-- not an object, or not JSON at all
			j := (ARRAY['', '[]', 'null', '"x"', '{', '}', '{}', '{"alg":"none"}', j || j,
						j || '}', left(j, -1), '[' || j || ']', 'true', '0'])[1 + pg_temp.rnd(14)];
		ELSE					-- one raw byte: anything from NUL to 0xFF
			b := convert_to(j, 'UTF8');
			p := pg_temp.rnd(length(b));
			RETURN CASE pg_temp.rnd(3)
				WHEN 0 THEN set_byte(b, p, pg_temp.rnd(256))
				WHEN 1 THEN overlay(b PLACING set_byte('\x00'::bytea, 0, pg_temp.rnd(256)) FROM p + 1 FOR 0)
				ELSE b || '\xc3'::bytea
			END;
	END CASE;
	RETURN convert_to(j, 'UTF8');
END $$;

-- kinds of mutation, by number
CREATE TEMP TABLE fz_kind_name (k int PRIMARY KEY, kind text);
INSERT INTO fz_kind_name VALUES
	(1, 'flip_char'), (2, 'insert_char'), (3, 'delete_char'), (4, 'duplicate_range'),
	(5, 'swap_segments'), (6, 'truncate'), (7, 'append_segment'), (8, 'foreign_segment'),
	(9, 'header_json'), (10, 'payload_json'), (11, 'signature_bits'), (12, 'signature_length');

-- one mutation of kind k applied to s, a mutant of toks[i]; hdrs and pays
-- hold the decoded header and payload JSON of the originals
CREATE FUNCTION pg_temp.fz_mutate(s text, k int, i int, toks text[], hdrs text[], pays text[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	len int := length(s);
	segs text[];
	n int;
	a int;
	c int;
	l int;
	tmp text;
	sig bytea;
BEGIN
	IF len = 0 THEN
		RETURN pg_temp.fz_char();
	END IF;
	CASE k
		WHEN 1 THEN				-- flip a character
			RETURN overlay(s PLACING pg_temp.fz_char() FROM 1 + pg_temp.rnd(len) FOR 1);
		WHEN 2 THEN				-- insert a character
			RETURN overlay(s PLACING pg_temp.fz_char() FROM 1 + pg_temp.rnd(len + 1) FOR 0);
		WHEN 3 THEN				-- delete a character
			RETURN overlay(s PLACING '' FROM 1 + pg_temp.rnd(len) FOR 1);
		WHEN 4 THEN				-- duplicate a range of up to 40 characters
			a := 1 + pg_temp.rnd(len);
			l := 1 + pg_temp.rnd(least(len - a + 1, 40));
			RETURN overlay(s PLACING substr(s, a, l) FROM a + l FOR 0);
		WHEN 5 THEN				-- swap two segments
			segs := string_to_array(s, '.');
			n := cardinality(segs);
			IF n >= 2 THEN
				a := 1 + pg_temp.rnd(n);
				c := 1 + pg_temp.rnd(n - 1);
				IF c >= a THEN
					c := c + 1;
				END IF;
				tmp := segs[a];
				segs[a] := segs[c];
				segs[c] := tmp;
				RETURN array_to_string(segs, '.');
			END IF;
		WHEN 6 THEN				-- truncate
			IF len > 1 THEN
				RETURN left(s, 1 + pg_temp.rnd(len - 1));
			END IF;
		WHEN 7 THEN				-- append a segment
			RETURN s || '.' || CASE pg_temp.rnd(5)
				WHEN 0 THEN ''
				WHEN 1 THEN split_part(toks[1 + pg_temp.rnd(3)], '.', 1 + pg_temp.rnd(3))
				WHEN 2 THEN split_part(s, '.', 1)
				WHEN 3 THEN pg_temp.b64u_encode(convert_to(pg_temp.fz_json_value(), 'UTF8'))
				ELSE CASE WHEN random() < 0.1 THEN repeat('A', 9000) ELSE 'AAAA' END
			END;
		WHEN 8 THEN				-- a segment of another token, usually from the same place
			segs := string_to_array(s, '.');
			n := cardinality(segs);
			a := 1 + pg_temp.rnd(n);
			c := 1 + pg_temp.rnd(2);
			IF c >= i THEN
				c := c + 1;
			END IF;
			segs[a] := split_part(toks[c], '.',
								  CASE WHEN a <= 3 AND random() < 0.7 THEN a ELSE 1 + pg_temp.rnd(3) END);
			RETURN array_to_string(segs, '.');
		WHEN 9, 10 THEN			-- re-encode the header or payload JSON with a small change
			segs := string_to_array(s, '.');
			a := k - 8;
			IF cardinality(segs) = 3 AND segs[a] = split_part(toks[i], '.', a) THEN
				segs[a] := pg_temp.b64u_encode(pg_temp.fz_json_edit(
					CASE WHEN a = 1 THEN hdrs[i] ELSE pays[i] END, a = 1));
				RETURN array_to_string(segs, '.');
			END IF;
		WHEN 11, 12 THEN		-- change the decoded signature: flip bits, or change its length
			segs := string_to_array(s, '.');
			IF cardinality(segs) = 3 THEN
				sig := pg_temp.b64u_decode(segs[3]);
			END IF;
			IF length(sig) > 0 THEN
				IF k = 11 THEN
					FOR b IN 0 .. pg_temp.rnd(3) LOOP
						a := pg_temp.rnd(8 * length(sig));
						sig := set_bit(sig, a, 1 - get_bit(sig, a));
					END LOOP;
				ELSE
					sig := CASE pg_temp.rnd(4)
						WHEN 0 THEN substr(sig, 1, length(sig) - 1)
						WHEN 1 THEN substr(sig, 2)
						WHEN 2 THEN sig || '\x00'::bytea
						ELSE '\x00'::bytea || sig
					END;
				END IF;
				segs[3] := pg_temp.b64u_encode(sig);
				RETURN array_to_string(segs, '.');
			END IF;
	END CASE;
	-- the chosen mutation does not apply here: flip a character instead
	RETURN pg_temp.fz_mutate(s, 1, i, toks, hdrs, pays);
END $$;

-- what the fuzzing found, for the checks below
CREATE TEMP TABLE fz_summary (phase text PRIMARY KEY, tried int, accepted int,
	rejected int, skipped int, stacked int);
CREATE TEMP TABLE fz_count (phase text, what text, name text, n int);
-- inputs that were accepted or rejected with another SQLSTATE (never printed)
CREATE TEMP TABLE fz_finding (phase text, kind text, sqlstate text, message text, input text);

--
-- Phase 1: 100,000 mutations through tracker.authenticate(), each in a
-- subtransaction of its own
--
DO $fuzz$
DECLARE
	toks text[];
	hdrs text[];
	pays text[];
	kinds text[];
	kind_n int[] := array_fill(0, ARRAY[12]);
	tok_n int[] := array_fill(0, ARRAY[3]);
	states text[] := '{}';
	state_n int[] := '{}';
	msgs text[] := '{}';
	msg_n int[] := '{}';
	tried int := 0;
	accepted int := 0;
	rejected int := 0;
	skipped int := 0;
	stacked int := 0;
	i int;
	first_kind int;
	depth int;
	m text;
	msg text;
	p int;
BEGIN
	SELECT array_agg(tok ORDER BY n),
		   array_agg(convert_from(pg_temp.b64u_decode(split_part(tok, '.', 1)), 'UTF8') ORDER BY n),
		   array_agg(convert_from(pg_temp.b64u_decode(split_part(tok, '.', 2)), 'UTF8') ORDER BY n)
	INTO toks, hdrs, pays FROM fz_token;
	SELECT array_agg(kind ORDER BY k) INTO kinds FROM fz_kind_name;
	PERFORM setseed(0.3141);

	WHILE tried < 100000 LOOP
		i := 1 + tried % 3;
		depth := CASE WHEN random() < 0.25 THEN 2 + pg_temp.rnd(2) ELSE 1 END;
		first_kind := 1 + pg_temp.rnd(12);
		m := pg_temp.fz_mutate(toks[i], first_kind, i, toks, hdrs, pays);
		FOR d IN 2 .. depth LOOP
			m := pg_temp.fz_mutate(m, 1 + pg_temp.rnd(12), i, toks, hdrs, pays);
		END LOOP;
		-- not a mutation: the original itself, or another valid token
		IF m = ANY (toks) THEN
			skipped := skipped + 1;
			CONTINUE;
		END IF;

		tried := tried + 1;
		kind_n[first_kind] := kind_n[first_kind] + 1;
		tok_n[i] := tok_n[i] + 1;
		IF depth > 1 THEN
			stacked := stacked + 1;
		END IF;
		BEGIN
			PERFORM tracker.authenticate(m);
			accepted := accepted + 1;
			INSERT INTO fz_finding VALUES ('authenticate', kinds[first_kind], 'accepted', NULL, m);
		EXCEPTION WHEN OTHERS THEN
			rejected := rejected + 1;
			p := array_position(states, SQLSTATE);
			IF p IS NULL THEN
				states := states || SQLSTATE;
				state_n := state_n || 1;
			ELSE
				state_n[p] := state_n[p] + 1;
			END IF;
			-- the rule that failed, without the quoted value
			msg := regexp_replace(SQLERRM, '".*"', '"?"');
			p := array_position(msgs, msg);
			IF p IS NULL THEN
				msgs := msgs || msg;
				msg_n := msg_n || 1;
			ELSE
				msg_n[p] := msg_n[p] + 1;
			END IF;
			IF SQLSTATE <> '28000' THEN
				INSERT INTO fz_finding VALUES ('authenticate', kinds[first_kind], SQLSTATE, SQLERRM, m);
			END IF;
		END;
	END LOOP;

	INSERT INTO fz_summary VALUES ('authenticate', tried, accepted, rejected, skipped, stacked);
	INSERT INTO fz_count SELECT 'authenticate', 'kind', kinds[x], kind_n[x] FROM generate_series(1, 12) x;
	INSERT INTO fz_count SELECT 'authenticate', 'token', x::text, tok_n[x] FROM generate_series(1, 3) x;
	INSERT INTO fz_count SELECT 'authenticate', 'sqlstate', s, n FROM unnest(states, state_n) AS u(s, n);
	INSERT INTO fz_count SELECT 'authenticate', 'message', s, n FROM unnest(msgs, msg_n) AS u(s, n);
END
$fuzz$;

SELECT tried >= 100000 AS tried_at_least_100000,
	   accepted = 0 AS none_accepted,
	   rejected = tried AS every_mutation_rejected,
	   stacked >= 10000 AS many_stacked
FROM fz_summary WHERE phase = 'authenticate';
-- the distinct SQLSTATEs of the rejections: 28000 and nothing else
SELECT name AS sqlstate, n = (SELECT rejected FROM fz_summary WHERE phase = 'authenticate') AS every_rejection
FROM fz_count WHERE phase = 'authenticate' AND what = 'sqlstate' ORDER BY name;
-- every kind of mutation was tried often, and each token about a third of the time
SELECT name AS kind, n >= 1000 AS tried_often
FROM fz_count JOIN fz_kind_name ON kind = name
WHERE phase = 'authenticate' AND what = 'kind' ORDER BY k;
SELECT t.alg, c.n BETWEEN 30000 AND 36667 AS about_a_third
FROM fz_count c JOIN fz_token t ON c.name = t.n::text
WHERE c.phase = 'authenticate' AND c.what = 'token' ORDER BY t.n;
-- the mutations reached every check of the header, the key and the signature
-- (the payload is looked at only after the signature, so none of its checks)
SELECT rule, EXISTS (SELECT FROM fz_count
					 WHERE phase = 'authenticate' AND what = 'message' AND name LIKE rule) AS reached
FROM unnest(ARRAY[
	'token is too large',
	'token must have exactly three segments',
	'encrypted tokens are not accepted',
	'unsigned tokens are not accepted',
	'token header is not valid base64url',
	'token header is not valid UTF-8',
	'token header is not valid JSON',
	'token header is not a JSON object',
	'token header has a duplicate member',
	'token header has no "?"',
	'token header member "?" must be a string',
	'algorithm "?" is not supported',
	'header parameter "?" is not accepted',
	'critical header extensions are not supported',
	'nested tokens are not accepted',
	'token type "?" is not accepted',
	'unknown key "?"',
	'algorithm % is not allowed for key "?"',
	'token signature is not valid base64url',
	'token signature is invalid']) AS rule;
SELECT count(*) AS findings FROM fz_finding WHERE phase = 'authenticate';

-- no damage: the context is still alice's, and the originals still verify
SELECT tracker.current_subject() AS subject, tracker.current_tenant() AS tenant;
SELECT alg, pg_temp.try_auth(tok) AS result FROM fz_token ORDER BY n;
-- also from scratch: a change to the key registry drops every cache
SELECT tracker.add_key('fz-extra', 'HS256', repeat('z', 32));
SELECT alg, pg_temp.try_auth(tok) AS result FROM fz_token ORDER BY n;
SELECT tracker.authenticate(tok) IS NOT NULL AS alice_authenticated FROM fz_token WHERE n = 1;

--
-- Phase 2: 5,000 mutations set directly as tracker.token (transaction-local,
-- in a subtransaction each), read back through tracker.current_tenant():
-- an error 28000 every time, never a tenant
--
DO $fuzz$
DECLARE
	toks text[];
	hdrs text[];
	pays text[];
	states text[] := '{}';
	state_n int[] := '{}';
	tried int := 0;
	answered int := 0;
	rejected int := 0;
	skipped int := 0;
	stacked int := 0;
	i int;
	depth int;
	m text;
	t uuid;
	p int;
BEGIN
	SELECT array_agg(tok ORDER BY n),
		   array_agg(convert_from(pg_temp.b64u_decode(split_part(tok, '.', 1)), 'UTF8') ORDER BY n),
		   array_agg(convert_from(pg_temp.b64u_decode(split_part(tok, '.', 2)), 'UTF8') ORDER BY n)
	INTO toks, hdrs, pays FROM fz_token;
	PERFORM setseed(-0.2718);

	WHILE tried < 5000 LOOP
		i := 1 + tried % 3;
		depth := CASE WHEN random() < 0.25 THEN 2 + pg_temp.rnd(2) ELSE 1 END;
		m := toks[i];
		FOR d IN 1 .. depth LOOP
			m := pg_temp.fz_mutate(m, 1 + pg_temp.rnd(12), i, toks, hdrs, pays);
		END LOOP;
		-- not a mutation; and an empty tracker.token means "no context"
		IF m = ANY (toks) OR m = '' THEN
			skipped := skipped + 1;
			CONTINUE;
		END IF;

		tried := tried + 1;
		IF depth > 1 THEN
			stacked := stacked + 1;
		END IF;
		BEGIN
			PERFORM set_config('tracker.token', m, true);
			t := tracker.current_tenant();
			answered := answered + 1;
			INSERT INTO fz_finding VALUES ('current_tenant', NULL, 'answered', t::text, m);
		EXCEPTION WHEN OTHERS THEN
			rejected := rejected + 1;
			p := array_position(states, SQLSTATE);
			IF p IS NULL THEN
				states := states || SQLSTATE;
				state_n := state_n || 1;
			ELSE
				state_n[p] := state_n[p] + 1;
			END IF;
			IF SQLSTATE <> '28000' THEN
				INSERT INTO fz_finding VALUES ('current_tenant', NULL, SQLSTATE, SQLERRM, m);
			END IF;
		END;
	END LOOP;

	INSERT INTO fz_summary VALUES ('current_tenant', tried, answered, rejected, skipped, stacked);
	INSERT INTO fz_count SELECT 'current_tenant', 'sqlstate', s, n FROM unnest(states, state_n) AS u(s, n);
END
$fuzz$;

SELECT tried >= 5000 AS tried_at_least_5000,
	   accepted = 0 AS never_a_tenant,
	   rejected = tried AS every_mutation_rejected
FROM fz_summary WHERE phase = 'current_tenant';
SELECT name AS sqlstate, n = (SELECT rejected FROM fz_summary WHERE phase = 'current_tenant') AS every_rejection
FROM fz_count WHERE phase = 'current_tenant' AND what = 'sqlstate' ORDER BY name;
SELECT count(*) AS findings FROM fz_finding WHERE phase = 'current_tenant';
-- the session's own context is not used after a failed authenticate(),
-- until one succeeds
SELECT tracker.current_subject() AS subject, tracker.current_tenant() AS tenant;
SELECT alg, pg_temp.try_auth(tok) AS result FROM fz_token ORDER BY n;

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS tracker_pool CASCADE;
RESET client_min_messages;
DROP EXTENSION tracker;
