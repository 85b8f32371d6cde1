-- test/bench/http/setup.sql: what the PostgREST benchmark needs beyond the
-- traffic data set (test/bench/traffic/setup.sql): the common pattern's
-- pre-request, which trusts the claims PostgREST verified and copies them
-- into the settings bench_common's policies read.  Run as a superuser.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE OR REPLACE FUNCTION bench.common_pre_request()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c json := current_setting('request.jwt.claims', true)::json;
BEGIN
	PERFORM set_config('app.tenant_id', c ->> 'tenant_id', true),
			set_config('app.user_id', c ->> 'user_id', true),
			set_config('app.role', c ->> 'tracker_role', true),
			set_config('app.teams', '{}', true);
END
$$;
GRANT USAGE ON SCHEMA bench TO tracker_user;
GRANT EXECUTE ON FUNCTION bench.common_pre_request() TO tracker_user;
