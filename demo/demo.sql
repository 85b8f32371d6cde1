-- demo/demo.sql: the verified tenant context, shown end to end.
-- Run by `make demo` (demo/run) as the cluster's superuser in database tracker_demo.
\set ON_ERROR_STOP 1
\pset footer off
\set QUIET 1
SET client_min_messages = warning;

\echo
\echo '== 1. Install the extension and register a signing key (operators only)'
CREATE EXTENSION tracker;
-- A fresh random 256-bit secret; it is stored, never printed.
SELECT tracker.add_key('demo-hs256', 'HS256',
                       replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
       AS registered_kid;
SELECT kid, alg, key_type, active FROM tracker.list_keys();

\echo
\echo '== 2. Mint tokens for two tenants (what an identity provider would do)'
SELECT tracker.sign_token('{"sub": "john@techstart.com",
                            "tenant_id": "0c0a0001-0000-4000-8000-000000000001",
                            "tracker_role": "user"}', 'demo-hs256') AS techstart_token \gset
SELECT tracker.sign_token('{"sub": "mike@devcorp.com",
                            "tenant_id": "0c0a0002-0000-4000-8000-000000000002",
                            "tracker_role": "admin"}', 'demo-hs256') AS devcorp_token \gset
\echo 'two tokens minted (not shown)'

DROP ROLE IF EXISTS demo_app;
CREATE ROLE demo_app LOGIN IN ROLE tracker_user;
SET ROLE demo_app;

\echo
\echo '== 3. As an ordinary tenant-user role: no token, no context'
SELECT tracker.current_tenant() AS tenant, tracker.current_subject() AS subject;

\echo
\echo '== 4. Authenticate as TechStart (john), then as DevCorp (mike)'
SELECT tracker.authenticate(:'techstart_token') ->> 'sub' AS authenticated;
SELECT tracker.current_tenant() AS tenant, tracker.current_subject() AS subject,
       tracker.current_role() AS role;
SELECT tracker.authenticate(:'devcorp_token') ->> 'sub' AS authenticated;
SELECT tracker.current_tenant() AS tenant, tracker.current_subject() AS subject,
       tracker.current_role() AS role;

\echo
\echo '== 5. Forgeries are refused'
\set ON_ERROR_STOP 0
\echo '-- a token whose payload was edited to claim TechStart, keeping DevCorp''s signature:'
SELECT tracker.authenticate(split_part(:'devcorp_token', '.', 1) || '.' ||
                            split_part(:'techstart_token', '.', 2) || '.' ||
                            split_part(:'devcorp_token', '.', 3));
\echo '-- an unsigned token (alg none):'
SELECT tracker.authenticate('eyJhbGciOiJub25lIiwia2lkIjoiZGVtby1oczI1NiJ9.' ||
                            split_part(:'techstart_token', '.', 2) || '.');
\echo '-- setting a variable instead of presenting a token:'
SELECT set_config('tracker.tenant_id', '0c0a0001-0000-4000-8000-000000000001', false);
\echo '-- placing a forged token in tracker.token directly: verified at first use'
SET tracker.token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJldmUifQ.c2lnbmF0dXJl';
SELECT tracker.current_tenant();
\set ON_ERROR_STOP 1
RESET tracker.token;
SELECT tracker.current_tenant() AS tenant_after_reset;

RESET ROLE;
\echo
\echo 'The demo cluster keeps running. Connect with the command printed below;'
\echo 'mint a token with tracker.sign_token(...) as the superuser, then call'
\echo 'tracker.authenticate(token) as any member of tracker_user.'
