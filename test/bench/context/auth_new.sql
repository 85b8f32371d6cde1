-- mint a new HS256 token and authenticate it: every token is one this backend has never seen
\set n random(1, 1000000000)
SELECT tracker.authenticate(tracker.sign_token(jsonb_build_object('sub', 'bench', 'tenant_id', :tenant::text, 'jti', :n::text), 'bench-hs256'), true) IS NOT NULL;
