--
-- context: the verified tenant context, and every attempt to forge it
--
-- The context is the raw token in tracker.token; whoever puts a value there,
-- it is verified before any context function answers.  Every forgery below
-- must end in "no context" or in error 28000, never in tenant A's id.
--
CREATE EXTENSION tracker;

-- The tenants and the users of every token below.  authenticate() accepts
-- a token only for a registered, active tenant and an active user of it;
-- the role comes from the user's row, never from the token.  (Ids are
-- generated at run time: kept in variables, never printed.)
SELECT tracker.create_tenant('acme', 'Acme', 'premium',
							 tenant_id => 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa') AS tenant_a;
SELECT tracker.create_tenant('bravo', 'Bravo', 'basic',
							 tenant_id => 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb') AS tenant_b;
SELECT tracker.add_user('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'alice',
						'alice@acme.example', 'admin') AS alice_id \gset
SELECT tracker.add_user('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', 'bob',
						'bob@bravo.example', 'user') AS bob_id \gset
-- mallory's subject (tenant A's id) is a user of tenant B, and of tenant A
-- too: a token of hers whose tenant claim could be switched would really
-- open tenant A
SELECT tracker.add_user('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
						'mallory@bravo.example', 'user') AS mallory_b_id \gset
SELECT tracker.add_user('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
						'mallory@acme.example', 'user') AS mallory_a_id \gset
-- users of tenant A for the membership rules of section 17
SELECT tracker.add_user('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'carol',
						'carol@acme.example', 'user') AS carol_id \gset
SELECT tracker.add_user('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'dave',
						'dave@acme.example', 'user') AS dave_id \gset
SELECT tracker.add_user('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'erin',
						'erin@acme.example', 'user') AS erin_id \gset
SELECT tracker.add_user('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'frank',
						'frank@acme.example', 'user') AS frank_id \gset
SELECT t.slug, t.tier, t.status, t.data_schema, u.subject, u.role, u.active
FROM tracker.tenants t JOIN tracker_pool.users u ON u.tenant_id = t.id
ORDER BY t.slug, u.subject;

-- the superuser that runs the test, to come back to after each \c
SELECT current_user AS su \gset

\set secret `cat test/keys/test-only-hs256.secret`
SELECT tracker.add_key('k1', 'HS256', :'secret');

-- Tokens (never printed).  A: alice (an admin of tenant A), whose token
-- claims a tenant role of its own that counts for nothing.
\set tokA `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"alice","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","tracker_role":"owner"}'`
-- B: bob (a plain user of tenant B), no tenant role in the token
\set tokB `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"bob","tenant_id":"bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"}'`
-- BS: bob again, with a token that claims he is a super admin
\set tokBS `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"bob","tenant_id":"bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb","tracker_role":"super_admin"}'`
-- M: mallory's own, genuine token for tenant B, whose subject happens to be
-- tenant A's id: it would open tenant A if she could switch the tenant claim
\set tokM `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","tenant_id":"bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"}'`
-- forged: tenant A's claims and kid k1, signed with a secret that is not k1's
\set forged `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs384.secret --kid k1 --claims '{"sub":"alice","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}'`
-- unsigned: tenant A's claims with alg none and an empty signature
\set unsigned_raw `/usr/bin/python3 test/mint.py --raw '{"alg":"none","kid":"k1"}' '{"sub":"alice","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
SELECT split_part(:'unsigned_raw', '.', 1) || '.' || split_part(:'unsigned_raw', '.', 2) || '.'
	AS unsigned \gset
-- expired an hour ago, well beyond the default leeway of 60 seconds
\set expired `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --exp -3600 --claims '{"sub":"alice","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}'`
-- tampered: token A with one payload character changed.  The payload starts
-- {"iat":<10 digits>,"exp":<10 digits>,"sub":"alice","tenant_id":"a..., so
-- base64url character 85 encodes the tenant's second letter: Y -> Z turns
-- "aaaaaaaa-..." into "aeaaaaaa-...", still a well-formed uuid.
SELECT split_part(:'tokA', '.', 1) || '.'
	|| overlay(split_part(:'tokA', '.', 2) PLACING 'Z' FROM 85 FOR 1) || '.'
	|| split_part(:'tokA', '.', 3) AS tampered \gset

-- the claims a token carries, read without verifying it (tests only)
CREATE FUNCTION public.regress_unverified_claims(tok text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT convert_from(decode(rpad(translate(p, '-_', '+/'),
									(length(p) + 3) / 4 * 4, '='),
							   'base64'), 'UTF8')::jsonb
	FROM (SELECT split_part(tok, '.', 2) AS p) s
$$;

SELECT substr(split_part(:'tokA', '.', 2), 85, 1) AS was,
	   substr(split_part(:'tampered', '.', 2), 85, 1) AS now,
	   length(:'tampered') = length(:'tokA') AS same_length,
	   regress_unverified_claims(:'tampered') ->> 'tenant_id' AS tampered_tenant,
	   regress_unverified_claims(:'tampered') ->> 'sub' AS tampered_sub;

-- The context as the calling role sees it: its tenant, 'no context', or
-- the error (SQLSTATE: message).  SECURITY INVOKER: runs as the caller.
CREATE FUNCTION public.regress_context() RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	RETURN coalesce(tracker.current_tenant()::text, 'no context');
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- Runs one statement as the caller; 'ok' or SQLSTATE: message.
CREATE FUNCTION public.regress_try(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

CREATE ROLE regress_alice LOGIN IN ROLE tracker_user;
CREATE ROLE regress_mallory LOGIN IN ROLE tracker_user;

-- The context functions: C, STABLE, PARALLEL SAFE; authenticate is neither.
SELECT p.proname, p.provolatile, p.proparallel, l.lanname, p.prosecdef
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'tracker'::regnamespace
  AND p.proname IN ('current_tenant', 'current_subject', 'current_member_role', 'claims',
					'current_user_id', 'current_teams', 'authenticate')
ORDER BY p.proname;

--
-- The context as regress_alice
--
\c - regress_alice
-- no token: no context
SELECT tracker.current_tenant() IS NULL AS no_tenant,
	   tracker.current_subject() IS NULL AS no_subject,
	   tracker.current_member_role() IS NULL AS no_role,
	   tracker.claims() IS NULL AS no_claims,
	   tracker.current_user_id() IS NULL AS no_user_id,
	   tracker.current_teams() IS NULL AS no_teams;
SELECT current_setting('tracker.token') = '' AS token_empty;

-- NULL is not a token
SELECT regress_try('SELECT tracker.authenticate(NULL)');
SELECT regress_context();

-- authenticate returns the claims and makes them the session's context;
-- the role is alice's role in the database (admin), not the token's claim
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SELECT tracker.current_tenant(), tracker.current_subject(), tracker.current_member_role(),
	   tracker.claims() ->> 'sub' AS claims_sub,
	   tracker.claims() ->> 'tenant_id' AS claims_tenant,
	   tracker.claims() ->> 'tracker_role' AS claimed_role;
SELECT current_setting('tracker.token') = :'tokA' AS token_is_a;

-- the same token again: same context
SELECT tracker.authenticate(:'tokA') ->> 'tenant_id' AS tenant;
SELECT tracker.current_tenant(), tracker.current_subject(), tracker.current_member_role();

-- another token switches the context; a token without tracker_role has
-- the user's role all the same
SELECT tracker.authenticate(:'tokB') ->> 'sub' AS sub;
SELECT tracker.current_tenant(), tracker.current_subject(),
	   tracker.current_member_role(),
	   tracker.claims() ->> 'sub' AS claims_sub,
	   tracker.claims() ? 'tracker_role' AS claims_a_role;

-- a token that claims tracker_role super_admin for a plain user: the claim
-- is ignored, he is still a 'user', and gets no super admin's powers
SELECT tracker.authenticate(:'tokBS') ->> 'tracker_role' AS claimed_role;
SELECT tracker.current_tenant(), tracker.current_subject(), tracker.current_member_role();
SELECT regress_try($$SELECT tracker.add_user('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb',
											 'eve', 'eve@bravo.example')$$) AS add_user;
SELECT tracker.authenticate(:'tokB') ->> 'sub' AS sub;

-- a failed authenticate leaves no context to act on: not B (the one before),
-- not A, and not "no context" either, but an error until one succeeds
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'forged'));
SELECT regress_context();

-- SET ROLE keeps the session's context
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SET ROLE tracker_user;
SELECT current_user, regress_context();
RESET ROLE;
SELECT current_user, regress_context();

--
-- Unforgeable.  Each attempt as regress_mallory in a fresh session; after
-- each one the context is 'no context' or an error 28000, never tenant A.
--
\set VERBOSITY terse

-- 1. SET tracker.token to a forged token (wrong secret), garbage, unsigned
\c - regress_mallory
SET tracker.token = :'forged';
SELECT tracker.current_tenant();
-- and again: an invalid token never falls back to "no context"
SELECT tracker.current_tenant();
SELECT tracker.current_subject();
SELECT tracker.current_member_role();
SELECT tracker.claims();
SELECT regress_context();
\c - regress_mallory
SET tracker.token = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
SELECT regress_context();
\c - regress_mallory
SET tracker.token = :'unsigned';
SELECT regress_context();

-- 2. token A with one payload character changed
\c - regress_mallory
SET tracker.token = :'tampered';
SELECT regress_context();
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tampered'));
SELECT regress_context();

-- 3. set_config, for the session and for the transaction
\c - regress_mallory
SELECT set_config('tracker.token', :'forged', false) IS NOT NULL AS set;
SELECT regress_context();
\c - regress_mallory
BEGIN;
SELECT set_config('tracker.token', :'forged', true) IS NOT NULL AS set;
SELECT regress_context();
COMMIT;
SELECT regress_context();

-- 4. the tracker prefix is reserved: no other tracker.* setting can be
-- made up once the library is loaded (here by the first context call)
\c - regress_mallory
SELECT regress_context();
\set VERBOSITY default
SET tracker.tenant_id = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
SELECT set_config('tracker.tenant_id', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', false);
SET tracker.current_tenant = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
\set VERBOSITY terse
SELECT regress_try('SET tracker.tenant_id = ''aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa''');
SELECT regress_try('SELECT set_config(''tracker.tenant_id'', ''aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa'', false)');
SELECT regress_try('SET tracker.current_tenant = ''aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa''');
SELECT regress_context();
-- With the library loaded at server start (shared_preload_libraries, as the
-- docs say to run tracker), the prefix is reserved from the first statement.
-- (Without it, PostgreSQL keeps such a name as a placeholder until the
-- library loads; then it is removed, and nothing ever reads it.)
\c - regress_mallory
SET tracker.tenant_id = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
\set VERBOSITY default
SELECT regress_context();
\set VERBOSITY terse
SHOW tracker.tenant_id;

-- 5. claims in the settings PostgREST uses are not a context
\c - regress_mallory
SET request.jwt.claims = '{"tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","sub":"alice"}';
SET request.jwt.claim.tenant_id = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
SET request.jwt.claim.sub = 'alice';
SELECT regress_context();
SELECT tracker.current_subject() IS NULL AS no_subject, tracker.claims() IS NULL AS no_claims;

-- 6. a forged token stored as the role's default, and in the startup packet
\c - :su
ALTER ROLE regress_mallory SET tracker.token = :'forged';
\c - regress_mallory
SELECT tracker.current_tenant();
SELECT regress_context();
\c - :su
ALTER ROLE regress_mallory RESET tracker.token;
SELECT 'user=regress_mallory options=''-c tracker.token=' || :'forged' || '''' AS conn \gset
\c -reuse-previous=on :conn
SELECT regress_context();
-- (psql reuses the options of the last connection: drop them)
\c -reuse-previous=on "user=regress_mallory options=''"
SELECT regress_context();

-- 7. the tenant claim is SUSET: not for mallory, not even as her own default
\c - regress_mallory
ALTER ROLE regress_mallory SET tracker.tenant_claim = 'sub';
SELECT regress_try('ALTER ROLE regress_mallory SET tracker.tenant_claim = ''sub''');
SELECT regress_context();
ALTER ROLE regress_mallory SET tracker.tenant_claim = 'sub';
SET tracker.tenant_claim = 'sub';
SELECT regress_try('SET tracker.tenant_claim = ''sub''');
SELECT regress_try('SELECT set_config(''tracker.tenant_claim'', ''sub'', false)');
SELECT regress_try('SET LOCAL tracker.tenant_claim = ''sub''');
SHOW tracker.tenant_claim;
-- with her genuine token for tenant B she stays in tenant B
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
SELECT regress_context();
-- in a new session's first statement too (and in the startup packet,
-- options='-c tracker.tenant_claim=sub', the server refuses the connection)
\c - regress_mallory
SET tracker.tenant_claim = 'sub';
SELECT regress_context();
SHOW tracker.tenant_claim;
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
SELECT regress_context();

-- 8. RESET tracker.token ends the context
\c - regress_mallory
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
RESET tracker.token;
SELECT regress_context();
SELECT tracker.current_subject() IS NULL AS no_subject;

-- 9. RESET ALL and DISCARD ALL end the context
\c - regress_mallory
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
RESET ALL;
SELECT regress_context();
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
DISCARD ALL;
SELECT regress_context();
SELECT tracker.claims() IS NULL AS no_claims;

-- 10. SET ROLE keeps exactly the verified context, and never picks up the
-- new role's own default token
\c - regress_mallory
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
SET ROLE tracker_user;
SELECT current_user, regress_context();
RESET ROLE;
SELECT current_user, regress_context();
-- (a superuser session with tenant A's genuine context; mallory's role
-- default names tenant B)
\c - :su
ALTER ROLE regress_mallory SET tracker.token = :'tokB';
SELECT regress_context();
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SET ROLE regress_mallory;
SELECT current_user, regress_context();
SELECT tracker.current_subject(), tracker.current_member_role();
SET tracker.token = :'forged';
SELECT current_user, regress_context();
RESET ROLE;
SELECT current_user = :'su' AS superuser, regress_context();
RESET tracker.token;
SELECT current_user = :'su' AS superuser, regress_context();
ALTER ROLE regress_mallory RESET tracker.token;

-- 11. a SECURITY DEFINER function cannot hand out a context: running as the
-- superuser makes a forged token no better, and a SET clause on the
-- function ends with the function.  Once the library is loaded in the
-- session, tracker.token cannot be set inside one at all (it is marked
-- GUC_NOT_WHILE_SEC_REST, like role); before that, what it sets is just a
-- value like any other, verified when it is used.
CREATE FUNCTION public.regress_definer_sets(tok text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM pg_catalog.set_config('tracker.token', tok, false);
	RETURN current_user;
END
$$;
CREATE FUNCTION public.regress_definer_clause() RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET tracker.token = :'forged' AS $$
BEGIN
	RETURN current_user || ' sees ' || public.regress_context();
END
$$;
\c - regress_mallory
SELECT regress_definer_sets(:'forged') = :'su' AS ran_as_superuser;
SELECT regress_context();
\c - regress_mallory
SELECT regress_definer_clause() = :'su' || ' sees 28000: token signature is invalid' AS inside;
SELECT regress_context();
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
SELECT regress_definer_clause() = :'su' || ' sees 28000: token signature is invalid' AS inside;
SELECT regress_context();

-- 12. the savepoint trick: rolling back to a savepoint restores exactly
-- the context the savepoint saw
\c - regress_mallory
BEGIN;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SAVEPOINT s;
SELECT tracker.authenticate(:'tokB') ->> 'sub' AS sub;
SELECT regress_context();
ROLLBACK TO s;
SELECT regress_context();
SELECT tracker.current_subject();
COMMIT;
SELECT regress_context();
-- a forged token inside the savepoint fails, and rolling back restores A
\c - regress_mallory
BEGIN;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SAVEPOINT s;
SET tracker.token = :'forged';
SELECT tracker.current_tenant();
ROLLBACK TO s;
SELECT regress_context();
ROLLBACK;
SELECT regress_context();
-- from no context: the savepoint brings back no context
\c - regress_mallory
BEGIN;
SAVEPOINT s;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
ROLLBACK TO s;
SELECT regress_context();
COMMIT;
SELECT regress_context();

-- 13. a transaction-local context ends with the transaction
\c - regress_mallory
BEGIN;
SELECT tracker.authenticate(:'tokA', true) ->> 'sub' AS sub;
SELECT regress_context();
COMMIT;
SELECT regress_context();
BEGIN;
SELECT tracker.authenticate(:'tokA', true) ->> 'sub' AS sub;
SELECT regress_context();
ROLLBACK;
SELECT regress_context();
-- over a session context: back to the session's afterwards
SELECT tracker.authenticate(:'tokB') ->> 'sub' AS sub;
BEGIN;
SELECT tracker.authenticate(:'tokA', true) ->> 'sub' AS sub;
SELECT regress_context();
COMMIT;
SELECT regress_context();
-- outside a transaction block it lasts one statement
\c - regress_mallory
SELECT tracker.authenticate(:'tokA', true) ->> 'sub' AS sub;
SELECT regress_context();

-- 14. a session context set in a transaction that rolls back is undone
\c - regress_mallory
BEGIN;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SELECT regress_context();
ROLLBACK;
SELECT regress_context();
SELECT tracker.authenticate(:'tokB') ->> 'sub' AS sub;
BEGIN;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
ROLLBACK;
SELECT regress_context();
-- an error aborts the transaction: same
BEGIN;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SELECT 1 / 0;
ROLLBACK;
SELECT regress_context();

-- 15. an expired token fails at first use
\c - regress_mallory
SET tracker.token = :'expired';
SELECT tracker.current_tenant();
SELECT regress_context();
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'expired'));
SELECT regress_context();

-- 16. authenticate(NULL) is an error, and leaves the context alone
\c - regress_mallory
SELECT tracker.authenticate(NULL);
SELECT regress_try('SELECT tracker.authenticate(NULL)');
SELECT regress_context();
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
SELECT regress_try('SELECT tracker.authenticate(NULL)');
SELECT regress_context();

--
-- 17. The database's word on a verified token.  A genuine token is not
-- enough: its tenant must be registered and active, its subject an active
-- user of that very tenant, and it must be issued after the user's tokens
-- were last revoked.  Every refusal is 28000.  Changes to tenants and users
-- reach an established context at its next statement; the role, user id
-- and teams come from the database.
--
\set tokU `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"alice","tenant_id":"cccccccc-cccc-cccc-cccc-cccccccccccc"}'`
\set tokN `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"nobody","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}'`
-- alice is a user of tenant A only; this token names tenant B
\set tokX `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"alice","tenant_id":"bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"}'`
\set tokC `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"carol","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}'`
-- dave's tokens from before the revocation: issued 30 seconds ago, and
-- one without iat
\set tokD_old `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --iat-offset -30 --claims '{"sub":"dave","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}'`
\set tokD_noiat `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k1"}' '{"sub":"dave","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
\set tokE `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"erin","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}'`
\set tokF `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"frank","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}'`

-- the claims of the tokens that are refused below are all in order
SELECT regress_unverified_claims(:'tokU') ->> 'tenant_id' AS tenant,
	   regress_unverified_claims(:'tokU') ->> 'sub' AS sub;
SELECT regress_unverified_claims(:'tokX') ->> 'tenant_id' AS tenant,
	   regress_unverified_claims(:'tokX') ->> 'sub' AS sub;
SELECT regress_unverified_claims(:'tokD_noiat') ? 'iat' AS noiat_has_iat;

\c - regress_mallory
-- 17a. a tenant that is not registered: authenticate, and tracker.token
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokU')) AS unregistered;
SELECT regress_context();
SET tracker.token = :'tokU';
SELECT regress_context();
RESET tracker.token;

-- 17b. a subject that is no user of the tenant, and a user of tenant A
-- with a genuine token whose tenant claim names tenant B: refused; the
-- context before (B, as mallory) is not used again, and A never is
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokN')) AS not_a_user;
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokX')) AS user_of_another_tenant;
SELECT regress_context(), tracker.current_subject();
-- nor as tracker.token
SET tracker.token = :'tokX';
SELECT regress_context();
SET tracker.token = :'tokN';
SELECT regress_context();
RESET tracker.token;
-- the same subject with a token for tenant A is alice
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SELECT regress_context(), tracker.current_subject();
-- a subject with control characters (a newline, an escape sequence) is no
-- user either; like every other string from a token, it is not shown raw
-- in the error (compare "unknown key" in jwt_attacks)
\set tokCtl `/usr/bin/python3 test/mint.py --raw '{"alg":"HS256","kid":"k1"}' '{"sub":"evil\n\u001b[31mLOG:  forged line","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","exp":4102444800}' HS256 test/keys/test-only-hs256.secret`
SELECT regress_unverified_claims(:'tokCtl') ->> 'sub' ~ '[[:cntrl:]]' AS sub_has_control_characters;
SELECT split_part(r, ':', 1) AS sqlstate,
	   r LIKE '% is not a member of this tenant' AS names_the_rule,
	   r ~ '[[:cntrl:]]' AS message_has_control_characters
FROM regress_try(format('SELECT tracker.authenticate(%L)', :'tokCtl')) AS r;
SELECT regress_context(), tracker.current_subject();

-- 17c. a suspended tenant: the established context fails at its next
-- statement, new tokens are refused, reactivation brings it back.  (The
-- operator here is the superuser; the context is the session's.)
\c - :su
SELECT tracker.authenticate(:'tokB') ->> 'sub' AS sub;
SELECT regress_context();
SELECT tracker.set_tenant_status('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', 'suspended');
SELECT status FROM tracker.tenants WHERE id = 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';
SELECT regress_context();
SELECT regress_try('SELECT tracker.current_subject()') AS established_context;
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokM')) AS another_user;
-- tenant A is not affected
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokA')) AS tenant_a;
SELECT regress_context();
SET tracker.token = :'tokB';
SELECT regress_context();
SELECT tracker.set_tenant_status('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', 'active');
SELECT regress_context();
-- also inside a transaction: the statement after the suspension fails
BEGIN;
SELECT tracker.authenticate(:'tokB') ->> 'sub' AS sub;
SELECT tracker.set_tenant_status('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', 'suspended');
SELECT regress_context();
ROLLBACK;
-- a suspension that rolled back never happened
SELECT status FROM tracker.tenants WHERE id = 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';
SELECT regress_context();
-- a transaction-local context of a suspended tenant is refused as well
SELECT tracker.set_tenant_status('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', 'suspended');
BEGIN;
SELECT regress_try(format('SELECT tracker.authenticate(%L, true)', :'tokB')) AS local;
COMMIT;
SELECT tracker.set_tenant_status('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', 'active');
RESET tracker.token;

-- 17d. a deactivated user: the established context fails at its next
-- statement, new authentication too; reactivated, the token works again
SELECT tracker.authenticate(:'tokC') ->> 'sub' AS sub;
SELECT regress_context(), tracker.current_subject();
SELECT tracker.set_user_active(:'carol_id', false, 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa');
SELECT active FROM tracker_pool.users WHERE id = :'carol_id';
SELECT regress_context();
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokC')) AS deactivated;
-- the other users of tenant A are not affected
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokE')) AS erin;
SELECT tracker.set_user_active(:'carol_id', true, 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa');
SELECT tracker.authenticate(:'tokC') ->> 'sub' AS sub;
SELECT regress_context(), tracker.current_subject();
RESET tracker.token;

-- 17e. revoked tokens: before the revocation both of dave's tokens work;
-- afterwards the one issued earlier (also as the established context) and
-- the one without iat are refused, and a token issued after it works
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokD_noiat')) AS no_iat_before;
SELECT tracker.authenticate(:'tokD_old') ->> 'sub' AS sub;
SELECT regress_context();
SELECT tracker.revoke_user_tokens(:'dave_id', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa')
	   BETWEEN now() AND clock_timestamp() AS revoked_now;
SELECT tokens_valid_after IS NOT NULL AS revoked FROM tracker_pool.users WHERE id = :'dave_id';
SELECT regress_context();
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokD_old')) AS issued_before;
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokD_noiat')) AS no_iat;
-- minted now, with an iat 2 seconds ahead: after the cut-off
\set tokD_new `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --iat-offset 2 --claims '{"sub":"dave","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}'`
SELECT tracker.authenticate(:'tokD_new') ->> 'sub' AS sub;
SELECT regress_context(), tracker.current_subject();
-- the revocation concerns dave only
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokE')) AS erin;
RESET tracker.token;

-- 17f. a changed role reaches the established context at its next
-- statement
SELECT tracker.authenticate(:'tokE') ->> 'sub' AS sub;
SELECT tracker.current_subject(), tracker.current_member_role();
SELECT tracker.set_user_role(:'erin_id', 'admin', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa');
SELECT tracker.current_subject(), tracker.current_member_role();
SELECT tracker.set_user_role(:'erin_id', 'user', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa');
SELECT tracker.current_subject(), tracker.current_member_role();
RESET tracker.token;

-- 17g. current_user_id() is the user's row id; current_teams() the teams
-- the user belongs to
\c - regress_alice
SELECT tracker.authenticate(:'tokF') ->> 'sub' AS sub;
SELECT tracker.current_user_id() = :'frank_id' AS frank_id,
	   tracker.current_user_id() = (SELECT id FROM tracker_pool.users WHERE subject = 'frank')
		   AS frank_row,
	   tracker.current_teams() AS teams;
-- frank is a plain user: he may not make teams
SELECT regress_try($$SELECT tracker.create_team('Frank''s own')$$) AS create_team;
-- alice, an admin, makes two teams and puts frank in one of them
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SELECT tracker.current_user_id() = :'alice_id' AS alice_id, tracker.current_teams() AS teams;
SELECT tracker.create_team('Platform', 'the platform team') AS platform_id \gset
SELECT tracker.create_team('Mobile', 'the mobile team', lead_id => :'alice_id') AS mobile_id \gset
SELECT tracker.add_team_member(:'platform_id', :'frank_id');
SELECT t.name, u.subject
FROM tracker_pool.team_members m
JOIN tracker_pool.teams t ON t.id = m.team_id
JOIN tracker_pool.users u ON u.id = m.user_id
ORDER BY t.name, u.subject;
-- alice leads Mobile: her teams changed at her next statement
SELECT tracker.current_teams() = ARRAY[:'mobile_id']::uuid[] AS alice_in_mobile;
-- the same token as before, now with Platform among its teams
SELECT tracker.authenticate(:'tokF') ->> 'sub' AS sub;
SELECT tracker.current_teams() = ARRAY[:'platform_id']::uuid[] AS frank_in_platform,
	   tracker.current_user_id() = :'frank_id' AS frank_id;
-- the teams as a policy uses them: team_id = ANY (tracker.current_teams())
SELECT name FROM tracker_pool.teams WHERE id = ANY (tracker.current_teams()) ORDER BY name;
-- and frank leaves Platform again
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SELECT tracker.remove_team_member(:'platform_id', :'frank_id') AS removed;
SELECT tracker.authenticate(:'tokF') ->> 'sub' AS sub;
SELECT tracker.current_teams() AS teams;

-- 17h. authenticate sets search_path to the tenant's data schema first, so
-- tenant users name their tables without a schema; with local => true
-- only until the transaction ends
\c - regress_alice
SHOW search_path;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SHOW search_path;
SELECT subject, role FROM users ORDER BY subject;
SELECT name FROM teams ORDER BY name;
\c - regress_alice
SET search_path = public;
BEGIN;
SELECT tracker.authenticate(:'tokA', true) ->> 'sub' AS sub;
SHOW search_path;
SELECT count(*) AS users_of_a FROM users;
COMMIT;
SHOW search_path;
SELECT regress_context();
-- a local context over a session one: back to the session's afterwards
SELECT tracker.authenticate(:'tokF') ->> 'sub' AS sub;
SET search_path = public;
BEGIN;
SELECT tracker.authenticate(:'tokA', true) ->> 'sub' AS sub;
SHOW search_path;
COMMIT;
SHOW search_path;
SELECT regress_context(), tracker.current_subject();
-- a failed authenticate leaves search_path alone
SELECT regress_try(format('SELECT tracker.authenticate(%L)', :'tokU')) AS unregistered;
SHOW search_path;

-- authenticate leaves search_path alone when it is already the tenant's
-- (setting it again would make every cached plan check its schemas), but
-- only when nothing pending would make it revert: a session context
-- given after a local one, in one transaction, outlives the transaction
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SHOW search_path;
BEGIN;
SELECT tracker.authenticate(:'tokC', true) ->> 'sub' AS sub;
SELECT tracker.authenticate(:'tokF') ->> 'sub' AS sub;
COMMIT;
SHOW search_path;
SELECT tracker.current_subject();
-- and a local search_path set in the same transaction is not taken for
-- the session's
SET search_path = public;
BEGIN;
SELECT set_config('search_path', 'tracker_pool, public', true) AS local_path;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
COMMIT;
SHOW search_path;
-- twice in one transaction, and in a savepoint that is rolled back
SET search_path = public;
BEGIN;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SELECT tracker.authenticate(:'tokC') ->> 'sub' AS sub;
SAVEPOINT s;
SELECT tracker.authenticate(:'tokF') ->> 'sub' AS sub;
ROLLBACK TO s;
SELECT tracker.current_subject();
COMMIT;
SHOW search_path;
SELECT tracker.current_subject();
BEGIN;
SET LOCAL search_path = public;
SAVEPOINT s;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SHOW search_path;
ROLLBACK TO s;
SHOW search_path;
COMMIT;
-- the same token presented again keeps the context, locally or not
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
BEGIN;
SELECT tracker.authenticate(:'tokA', true) ->> 'sub' AS sub;
COMMIT;
SELECT tracker.current_subject();

--
-- The cache of verified tokens holds tracker.context_cache_size of them
-- per backend; when it is full it evicts those least recently used, and
-- a token that comes back is verified again.  The context in use is never
-- evicted.
--
\c - :su
SET tracker.context_cache_size = 16;
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
CREATE TEMP TABLE cache_tokens AS
SELECT i, tracker.sign_token(jsonb_build_object(
		'sub', 'carol', 'tenant_id', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
		'jti', 'cache-' || i,
		'exp', extract(epoch FROM now() + interval '1 hour')::bigint), 'k1') AS token
FROM generate_series(1, 100) AS i;
-- 100 new tokens through a cache of 16, each the context in turn
SELECT count(*) FILTER (WHERE tracker.authenticate(token) ->> 'jti' = 'cache-' || i) AS verified
FROM (SELECT * FROM cache_tokens ORDER BY i) AS t;
SELECT tracker.current_subject(), tracker.claims() ->> 'jti' AS jti;
-- all of them again, in reverse: the evicted ones verify afresh
SELECT count(*) FILTER (WHERE tracker.authenticate(token) ->> 'jti' = 'cache-' || i) AS verified
FROM (SELECT * FROM cache_tokens ORDER BY i DESC) AS t;
SELECT tracker.claims() ->> 'jti' AS jti;
-- a token revoked meanwhile is refused when it comes back
SELECT tracker.revoke_token('cache-50');
SELECT regress_try(format('SELECT tracker.authenticate(%L)', token)) AS revoked
FROM cache_tokens WHERE i = 50;
DROP TABLE cache_tokens;
RESET tracker.context_cache_size;

--
-- Clean up
--
\set VERBOSITY default
\c - :su
DROP FUNCTION public.regress_definer_sets(text);
DROP FUNCTION public.regress_definer_clause();
DROP FUNCTION public.regress_context();
DROP FUNCTION public.regress_try(text);
DROP FUNCTION public.regress_unverified_claims(text);
-- the data schema is not a member of the extension (its list of objects
-- is not this test's business)
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS tracker_pool CASCADE;
RESET client_min_messages;
DROP EXTENSION tracker;
DROP ROLE regress_alice;
DROP ROLE regress_mallory;
