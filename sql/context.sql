--
-- context: the verified tenant context, and every attempt to forge it
--
-- The context is the raw token in tracker.token; whoever puts a value there,
-- it is verified before any context function answers.  Every forgery below
-- must end in "no context" or in error 28000, never in tenant A's id.
--
CREATE EXTENSION tracker;

-- the superuser that runs the test, to come back to after each \c
SELECT current_user AS su \gset

\set secret `cat test/keys/test-only-hs256.secret`
SELECT tracker.add_key('k1', 'HS256', :'secret');

-- Tokens (never printed).  A: alice in tenant A, with a tenant role.
\set tokA `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"alice","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","tracker_role":"owner"}'`
-- B: bob in tenant B, no tenant role
\set tokB `/usr/bin/python3 test/mint.py HS256 test/keys/test-only-hs256.secret --kid k1 --claims '{"sub":"bob","tenant_id":"bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"}'`
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
  AND p.proname IN ('current_tenant', 'current_subject', 'current_role', 'claims',
					'authenticate')
ORDER BY p.proname;

--
-- The context as regress_alice
--
\c - regress_alice
-- no token: no context
SELECT tracker.current_tenant() IS NULL AS no_tenant,
	   tracker.current_subject() IS NULL AS no_subject,
	   tracker.current_role() IS NULL AS no_role,
	   tracker.claims() IS NULL AS no_claims;
SELECT current_setting('tracker.token') = '' AS token_empty;

-- NULL is not a token
SELECT regress_try('SELECT tracker.authenticate(NULL)');
SELECT regress_context();

-- authenticate returns the claims and makes them the session's context
SELECT tracker.authenticate(:'tokA') ->> 'sub' AS sub;
SELECT tracker.current_tenant(), tracker.current_subject(), tracker.current_role(),
	   tracker.claims() ->> 'sub' AS claims_sub,
	   tracker.claims() ->> 'tenant_id' AS claims_tenant;
SELECT current_setting('tracker.token') = :'tokA' AS token_is_a;

-- the same token again: same context
SELECT tracker.authenticate(:'tokA') ->> 'tenant_id' AS tenant;
SELECT tracker.current_tenant(), tracker.current_subject(), tracker.current_role();

-- another token switches the context; a token without tracker_role has no role
SELECT tracker.authenticate(:'tokB') ->> 'sub' AS sub;
SELECT tracker.current_tenant(), tracker.current_subject(),
	   tracker.current_role() IS NULL AS no_role,
	   tracker.claims() ->> 'sub' AS claims_sub;

-- a failed authenticate changes nothing: still B, not A, not nothing
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
SELECT tracker.current_role();
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
-- Before the library is loaded in a backend, PostgreSQL keeps such a name as
-- a placeholder; loading the library removes it, and nothing ever reads it.
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
-- set before the library is loaded, or in the startup packet, the value is
-- dropped with a warning when the library loads
\c - regress_mallory
SET tracker.tenant_claim = 'sub';
SELECT regress_context();
SHOW tracker.tenant_claim;
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
SELECT regress_context();
SELECT 'user=regress_mallory options=''-c tracker.tenant_claim=sub''' AS conn \gset
\c -reuse-previous=on :conn
SELECT regress_context();
SHOW tracker.tenant_claim;
SELECT tracker.authenticate(:'tokM') ->> 'tenant_id' AS tenant;
SELECT regress_context();
\c -reuse-previous=on "user=regress_mallory options=''"
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
SELECT tracker.current_subject(), tracker.current_role();
SET tracker.token = :'forged';
SELECT current_user, regress_context();
RESET ROLE;
SELECT current_user = :'su' AS superuser, regress_context();
RESET tracker.token;
SELECT current_user = :'su' AS superuser, regress_context();
ALTER ROLE regress_mallory RESET tracker.token;

-- 11. a SECURITY DEFINER function cannot hand out a context: running as the
-- superuser makes a forged token no better, and a SET clause on the
-- function ends with the function
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
-- Clean up
--
\set VERBOSITY default
\c - :su
DROP FUNCTION public.regress_definer_sets(text);
DROP FUNCTION public.regress_definer_clause();
DROP FUNCTION public.regress_context();
DROP FUNCTION public.regress_try(text);
DROP FUNCTION public.regress_unverified_claims(text);
DROP EXTENSION tracker;
DROP ROLE regress_alice;
DROP ROLE regress_mallory;
