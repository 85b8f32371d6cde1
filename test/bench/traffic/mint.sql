-- test/bench/traffic/mint.sql: a fresh set of tokens for one run.
--
-- psql variables: t0 (the run's start, epoch seconds), life (seconds a token
-- is used before its replacement), gens (how many tokens per actor).
-- Token g of an actor is used from t0 + g * life - phase to t0 + (g + 1) *
-- life - phase, so every actor's token changes once every life seconds, each
-- at its own moment; it expires a token life after its replacement, as an
-- access token does that a client refreshes ahead of time, and it carries a
-- jti, as the access tokens of most identity providers do (so that its first
-- verification asks whether it has been revoked).  Each run mints
-- new tokens: none of them is in any cache when the run starts.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
UPDATE bench.people SET phase = floor(random() * :life)::int;
TRUNCATE bench.passes;
INSERT INTO bench.passes (n, gen, token)
SELECT p.n, g,
	   tracker.sign_token(jsonb_build_object(
		   'sub', p.subject, 'tenant_id', p.tenant_id, 'user_id', p.user_id,
		   'tracker_role', p.role, 'role', 'tracker_user', 'jti', :t0 || '-' || p.n || '-' || g,
		   'iat', :t0 + g * :life - p.phase,
		   'exp', :t0 + (g + 2) * :life - p.phase), 'bench-hs256')
FROM bench.people p, generate_series(0, :gens - 1) g;
ANALYZE bench.people, bench.passes;
