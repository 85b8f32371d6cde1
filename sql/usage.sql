--
-- usage: API calls per tenant, the monthly quota and the rate limit, the
-- operators' overrides, resets, reports and their audit.
--
CREATE EXTENSION tracker;
SET client_min_messages = warning;
SELECT tracker.add_key('us', 'HS256', 'usage-test-secret-of-at-least-32-bytes-long');
SELECT tracker.create_tenant('metered', 'Metered', 'basic',
                             tenant_id => 'c0000000-0000-4000-8000-00000000000c') IS NOT NULL AS metered,
       tracker.create_tenant('other', 'Other', 'standard',
                             tenant_id => 'd0000000-0000-4000-8000-00000000000d') IS NOT NULL AS other,
       tracker.create_tenant('vault', 'Vault', 'platinum',
                             tenant_id => 'b0000000-0000-4000-8000-00000000000b') IS NOT NULL AS vault;
SELECT tracker.add_user('c0000000-0000-4000-8000-00000000000c', 'mia', 'mia@metered.example', 'admin') IS NOT NULL,
       tracker.add_user('d0000000-0000-4000-8000-00000000000d', 'oz', 'oz@other.example', 'user') IS NOT NULL,
       tracker.add_user('b0000000-0000-4000-8000-00000000000b', 'val', 'val@vault.example', 'user') IS NOT NULL;
-- one token per request, as an identity provider hands them out
CREATE TABLE toks (n int, tok text);
INSERT INTO toks
SELECT n, tracker.sign_token(jsonb_build_object('sub', 'mia', 'tenant_id', 'c0000000-0000-4000-8000-00000000000c',
                                                'jti', 'mia-' || n), 'us')
FROM generate_series(1, 40) n;
SELECT tracker.sign_token('{"sub": "oz", "tenant_id": "d0000000-0000-4000-8000-00000000000d"}', 'us') AS oz,
       tracker.sign_token('{"sub": "val", "tenant_id": "b0000000-0000-4000-8000-00000000000b"}', 'us') AS val \gset
SELECT tok AS mia FROM toks WHERE n = 1 \gset
CREATE ROLE regress_usage_app IN ROLE tracker_user;
CREATE ROLE regress_usage_operator IN ROLE tracker_operator;
GRANT SELECT ON toks TO regress_usage_app;

-- 1. Tier defaults: the quota of the seeds, and a rate limit, Basic lowest
SELECT t.tier, d.max_users, d.api_calls_per_month, d.requests_per_second, d.request_burst
FROM (VALUES ('basic'), ('standard'), ('premium'), ('platinum')) t (tier), tracker.tier_defaults(t.tier) d;
SELECT slug, api_calls_per_month, requests_per_second, request_burst FROM tracker.tenants ORDER BY slug;

-- 2. What counts: an authenticate() that establishes a context; the same
-- token again in the same transaction does not count twice, a new
-- transaction does; a token set with SET counts when first used
SET ROLE regress_usage_app;
SELECT tracker.authenticate(:'mia') IS NOT NULL AS mia;
BEGIN;
SELECT tracker.authenticate(:'mia') IS NOT NULL AS mia;
SELECT tracker.authenticate(:'mia', true) IS NOT NULL AS mia_again;
SELECT tracker.current_tenant() IS NOT NULL AS context;
COMMIT;
SET tracker.token = :'oz';
SELECT tracker.current_subject() AS oz;
SELECT tracker.current_subject() AS oz_again;
RESET tracker.token;
RESET ROLE;
SELECT slug, api_calls_this_month, api_calls_per_month, active_users, max_users
FROM tracker.tenant_usage() ORDER BY slug;

-- 3. The monthly quota: the call that would exceed it fails with PT429,
-- the limit and the reset date in its message; failed calls do not count
SELECT tracker.set_tenant_limit('c0000000-0000-4000-8000-00000000000c', 'api_calls_per_month', 5);
SET ROLE regress_usage_app;
CREATE FUNCTION pg_temp.calls(first int, last int) RETURNS TABLE (n int, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
	t record;
	state text;
	msg text;
	detail text;
	hint text;
BEGIN
	FOR t IN SELECT * FROM toks WHERE toks.n BETWEEN first AND last ORDER BY toks.n LOOP
		BEGIN
			PERFORM tracker.authenticate(t.tok, true);
			n := t.n; outcome := 'ok';
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
									detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
			n := t.n;
			outcome := state || ': ' || msg ||
				CASE WHEN detail LIKE 'limit=api_calls_per_month; used=5; resets_at=' ||
						  to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month', 'YYYY-MM-DD') ||
						  ' 00:00:00+00'
					 THEN ' (detail: used 5, resets next month)'
					 WHEN detail LIKE 'limit=requests_per_second; retry_after=%'
					 THEN ' (detail: retry after a moment)'
					 ELSE ' (detail: ' || detail || ')' END ||
				CASE WHEN hint IS NOT NULL THEN ' (with a hint)' ELSE '' END;
		END;
		RETURN NEXT;
	END LOOP;
END
$$;
SELECT * FROM pg_temp.calls(2, 5);
RESET ROLE;
-- the same in psql's words
SET ROLE regress_usage_app;
\set VERBOSITY terse
SELECT tracker.authenticate(tok) FROM toks WHERE n = 6;
\set VERBOSITY default
RESET ROLE;
SELECT api_calls_this_month FROM tracker.tenant_usage('c0000000-0000-4000-8000-00000000000c');
-- another tenant is not held to it
SET ROLE regress_usage_app;
SELECT tracker.authenticate(:'oz', true) IS NOT NULL AS oz;
RESET ROLE;

-- 4. An operator's reset takes the month's calls off the quota; they stay
-- recorded as forgiven.  Raising the limit works at once too.
SET ROLE regress_usage_operator;
SELECT tracker.reset_api_calls('c0000000-0000-4000-8000-00000000000c') AS forgiven;
SELECT api_calls_this_month FROM tracker.tenant_usage('c0000000-0000-4000-8000-00000000000c');
SET ROLE regress_usage_app;
SELECT * FROM pg_temp.calls(7, 8);
RESET ROLE;
SELECT tracker.set_tenant_limit('c0000000-0000-4000-8000-00000000000c', 'api_calls_per_month', NULL);

-- 5. The rate limit: a bucket of request_burst tokens refilled at
-- requests_per_second.  With 1 per second and a burst of 3, a quick run of
-- calls gets three through (four if a second passes), then PT429.
SELECT tracker.set_tenant_limit('c0000000-0000-4000-8000-00000000000c', 'requests_per_second', 1);
SELECT tracker.set_tenant_limit('c0000000-0000-4000-8000-00000000000c', 'request_burst', 3);
SET ROLE regress_usage_app;
SELECT count(*) FILTER (WHERE outcome = 'ok') BETWEEN 3 AND 4 AS burst_went_through,
       count(*) FILTER (WHERE outcome LIKE 'PT429: rate limit exceeded: 1 requests per second (detail: retry after a moment) (with a hint)') >= 6 AS then_limited
FROM pg_temp.calls(11, 20);
RESET ROLE;
-- after a quiet second and a half, one more
SELECT pg_sleep(1.5);
SET ROLE regress_usage_app;
SELECT outcome FROM pg_temp.calls(21, 21);
RESET ROLE;
SELECT tracker.reset_tenant_limits('c0000000-0000-4000-8000-00000000000c');
SELECT api_calls_per_month, requests_per_second, request_burst FROM tracker.tenants WHERE slug = 'metered';

-- 6. Limits are checked
\set VERBOSITY terse
SELECT tracker.set_tenant_limit('c0000000-0000-4000-8000-00000000000c', 'api_calls', 10);
SELECT tracker.set_tenant_limit('c0000000-0000-4000-8000-00000000000c', 'requests_per_second', 0);
SELECT tracker.set_tenant_limit('c0000000-0000-4000-8000-00000000000c', 'request_burst', 1);
SELECT tracker.set_tenant_limit('00000000-0000-4000-8000-000000000000', 'max_users', 10);
\set VERBOSITY default

-- 7. The usage writer adds the calls to tracker.api_usage within a second
-- or two; the report by day counts them once, written or not
DO $$
BEGIN
	FOR i IN 1..100 LOOP
		EXIT WHEN NOT EXISTS (SELECT FROM tracker._usage_live('c0000000-0000-4000-8000-00000000000c')
							  WHERE unwritten_today + unwritten_before > 0);
		PERFORM pg_sleep(0.1);
	END LOOP;
END
$$;
SELECT (SELECT sum(calls) FROM tracker.api_usage WHERE tenant_id = 'c0000000-0000-4000-8000-00000000000c')
       = (SELECT sum(calls) FROM tracker.api_calls_by_day('c0000000-0000-4000-8000-00000000000c')) AS written,
       (SELECT sum(forgiven) FROM tracker.api_usage) AS forgiven,
       (SELECT count(*) FROM tracker.api_calls_by_day('c0000000-0000-4000-8000-00000000000c'))
       = extract(day FROM now() AT TIME ZONE 'UTC') AS one_row_per_day_so_far;
SELECT slug, api_calls_this_month > 0 AS counted, quota_resets_at = (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC' AS resets,
       issues, comments, bytes_stored > 0 AS stored, last_activity IS NOT NULL AS active
FROM tracker.tenant_usage() ORDER BY slug;

-- 8. The audit: who did what to which tenant
SELECT actor, action, t.slug, details FROM tracker.operator_audit a JOIN tracker.tenants t ON t.id = a.tenant_id
ORDER BY a.id;

-- 9. Only operators: tenant users can neither read usage nor set limits,
-- nor switch counting off
SET ROLE regress_usage_app;
SELECT tracker.authenticate(:'val') IS NOT NULL AS val;
\set VERBOSITY terse
SELECT * FROM tracker.tenant_usage();
SELECT * FROM tracker.api_usage;
SELECT * FROM tracker.operator_audit;
SELECT tracker.set_tenant_limit('b0000000-0000-4000-8000-00000000000b', 'api_calls_per_month', NULL);
SELECT tracker.reset_api_calls('b0000000-0000-4000-8000-00000000000b');
SELECT * FROM tracker._usage_live('b0000000-0000-4000-8000-00000000000b');
SELECT tracker._usage_forgive('b0000000-0000-4000-8000-00000000000b', 1000);
SET tracker.count_usage = off;
\set VERBOSITY default
RESET tracker.token;
RESET ROLE;

RESET search_path;
DROP FUNCTION pg_temp.calls(int, int);
DROP TABLE toks;
SELECT format('DROP SCHEMA %I CASCADE', data_schema) AS drop_vault FROM tracker.tenants WHERE slug = 'vault' \gset
:drop_vault;
DROP SCHEMA tracker_pool CASCADE;
DROP EXTENSION tracker;
DROP ROLE regress_usage_app;
DROP ROLE regress_usage_operator;
