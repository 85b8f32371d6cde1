-- mint a new HS256 token (the part of auth_new.sql that is not verification)
\set n random(1, 1000000000)
SELECT length(tracker.sign_token(jsonb_build_object('sub', 'bench', 'tenant_id', :tenant::text, 'jti', :n::text), 'bench-hs256'));
