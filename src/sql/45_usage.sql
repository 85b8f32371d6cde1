-- tracker: API calls per tenant (counted in shared memory by usage.c,
-- written here by its background writer), the limits operators set on
-- them, and the audit of what operators do to tenants

CREATE FUNCTION @extschema@._caller()
RETURNS name
LANGUAGE C
STABLE
AS 'MODULE_PATHNAME', 'tracker_caller';
COMMENT ON FUNCTION @extschema@._caller() IS
'The session''s role (not a SECURITY DEFINER owner): who an audit record names.';
REVOKE ALL ON FUNCTION @extschema@._caller() FROM PUBLIC;

-- What operators did to tenants: limits, resets, status.  Written only by
-- tracker's functions; operators read it.
CREATE TABLE @extschema@.operator_audit (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	actor		name NOT NULL,
	action		text NOT NULL,
	tenant_id	uuid,
	details		jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX operator_audit_tenant ON @extschema@.operator_audit (tenant_id, at);
COMMENT ON TABLE @extschema@.operator_audit IS
'What operators did to tenants (limits, usage resets, status), by whom and when; written by tracker''s functions only.';
ALTER TABLE @extschema@.operator_audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.operator_audit FORCE ROW LEVEL SECURITY;
CREATE POLICY operator_audit_operator ON @extschema@.operator_audit FOR SELECT TO tracker_operator
	USING (true);
REVOKE ALL ON @extschema@.operator_audit FROM PUBLIC;
GRANT SELECT ON @extschema@.operator_audit TO tracker_operator;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.operator_audit', '');

CREATE FUNCTION @extschema@._audit(action text, tenant_id uuid, details jsonb)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO @extschema@.operator_audit (actor, action, tenant_id, details)
	VALUES (@extschema@._caller(), action, tenant_id, details)
$$;
REVOKE ALL ON FUNCTION @extschema@._audit(text, uuid, jsonb) FROM PUBLIC;

-- API calls per tenant and day (UTC), as the usage writer adds them up;
-- forgiven: calls an operator's reset took off that month's quota.
CREATE TABLE @extschema@.api_usage (
	tenant_id	uuid NOT NULL,
	day			date NOT NULL,
	calls		bigint NOT NULL DEFAULT 0 CHECK (calls >= 0),
	forgiven	bigint NOT NULL DEFAULT 0 CHECK (forgiven >= 0),
	last_call	timestamptz,
	PRIMARY KEY (tenant_id, day)
);
COMMENT ON TABLE @extschema@.api_usage IS
'API calls per tenant and day (UTC). Written once a second from shared memory; tracker.tenant_usage() adds what is not written yet.';
COMMENT ON COLUMN @extschema@.api_usage.forgiven IS
'Calls taken off the month''s quota by tracker.reset_api_calls() on that day.';
ALTER TABLE @extschema@.api_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.api_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY api_usage_operator ON @extschema@.api_usage FOR SELECT TO tracker_operator
	USING (true);
REVOKE ALL ON @extschema@.api_usage FROM PUBLIC;
GRANT SELECT ON @extschema@.api_usage TO tracker_operator;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.api_usage', '');

CREATE FUNCTION @extschema@._usage_live(tenant uuid,
	OUT month_calls bigint, OUT counted boolean, OUT today date,
	OUT unwritten_today bigint, OUT unwritten_before bigint, OUT last_call timestamptz)
LANGUAGE C
STRICT VOLATILE
AS 'MODULE_PATHNAME', 'tracker_usage_live';
COMMENT ON FUNCTION @extschema@._usage_live(uuid) IS
'What shared memory holds of a tenant''s API calls: this month''s count against the quota, and the calls not yet in tracker.api_usage.';
REVOKE ALL ON FUNCTION @extschema@._usage_live(uuid) FROM PUBLIC;

CREATE FUNCTION @extschema@._usage_forgive(tenant uuid, calls bigint)
RETURNS void
LANGUAGE C
STRICT VOLATILE
AS 'MODULE_PATHNAME', 'tracker_usage_forgive';
REVOKE ALL ON FUNCTION @extschema@._usage_forgive(uuid, bigint) FROM PUBLIC;

-- One limit of a tenant, by name; NULL removes it (no limit).
CREATE FUNCTION @extschema@.set_tenant_limit(tenant_id uuid, limit_name text, value integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	old_value integer;
	rate integer;
	burst integer;
BEGIN
	PERFORM @extschema@._require_operator('change the limits of tenants');
	IF limit_name IS NULL OR limit_name NOT IN ('max_users', 'api_calls_per_month',
												'requests_per_second', 'request_burst') THEN
		RAISE EXCEPTION 'unknown limit "%"', limit_name
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The limits are max_users, api_calls_per_month, requests_per_second and request_burst.';
	END IF;
	IF value <= 0 THEN
		RAISE EXCEPTION 'a limit must be positive, or NULL for none'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	t := @extschema@._lock_tenant(set_tenant_limit.tenant_id);
	old_value := CASE limit_name WHEN 'max_users' THEN t.max_users
								 WHEN 'api_calls_per_month' THEN t.api_calls_per_month
								 WHEN 'requests_per_second' THEN t.requests_per_second
								 ELSE t.request_burst END;
	rate := CASE limit_name WHEN 'requests_per_second' THEN value ELSE t.requests_per_second END;
	burst := CASE limit_name WHEN 'request_burst' THEN value ELSE t.request_burst END;
	IF burst IS NOT NULL AND (rate IS NULL OR burst < rate) THEN
		RAISE EXCEPTION 'request_burst (%) must be at least requests_per_second (%)', burst, rate
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Set requests_per_second first, or a larger burst; a NULL burst means requests_per_second.';
	END IF;
	-- (searched CASEs: Citus sends a simple CASE on a variable to the copies
	-- of a reference table as a comparison of the wrong type)
	UPDATE @extschema@.tenants x
	SET max_users = CASE WHEN limit_name = 'max_users' THEN value ELSE x.max_users END,
		api_calls_per_month = CASE WHEN limit_name = 'api_calls_per_month' THEN value ELSE x.api_calls_per_month END,
		requests_per_second = rate,
		request_burst = burst,
		updated_at = now()
	WHERE x.id = t.id;
	PERFORM @extschema@._audit('set limit', t.id,
							   jsonb_build_object('limit', limit_name, 'from', old_value, 'to', value));
END
$$;
COMMENT ON FUNCTION @extschema@.set_tenant_limit(uuid, text, integer) IS
'Sets one limit of a tenant (max_users, api_calls_per_month, requests_per_second, request_burst); NULL means no limit. Audited.';

-- Every limit of a tenant back to its tier's defaults.
CREATE FUNCTION @extschema@.reset_tenant_limits(tenant_id uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	d record;
BEGIN
	PERFORM @extschema@._require_operator('change the limits of tenants');
	t := @extschema@._lock_tenant(reset_tenant_limits.tenant_id);
	SELECT * INTO d FROM @extschema@.tier_defaults(t.tier::text);
	UPDATE @extschema@.tenants x
	SET max_users = d.max_users, api_calls_per_month = d.api_calls_per_month,
		requests_per_second = d.requests_per_second, request_burst = d.request_burst,
		updated_at = now()
	WHERE x.id = t.id;
	PERFORM @extschema@._audit('reset limits', t.id,
							   jsonb_build_object('from', jsonb_build_object(
								   'max_users', t.max_users, 'api_calls_per_month', t.api_calls_per_month,
								   'requests_per_second', t.requests_per_second, 'request_burst', t.request_burst)));
END
$$;
COMMENT ON FUNCTION @extschema@.reset_tenant_limits(uuid) IS
'Sets every limit of a tenant back to its tier''s defaults. Audited.';

-- Takes this month's calls off a tenant's quota (they stay in the usage
-- record, as forgiven); returns how many.
CREATE FUNCTION @extschema@.reset_api_calls(tenant_id uuid)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	live record;
BEGIN
	PERFORM @extschema@._require_operator('reset the usage of tenants');
	t := @extschema@._lock_tenant(reset_api_calls.tenant_id);
	live := @extschema@._usage_live(t.id);
	IF live.month_calls > 0 THEN
		INSERT INTO @extschema@.api_usage AS u (tenant_id, day, forgiven)
		VALUES (t.id, live.today, live.month_calls)
		ON CONFLICT ON CONSTRAINT api_usage_pkey DO UPDATE SET forgiven = u.forgiven + excluded.forgiven;
		PERFORM @extschema@._usage_forgive(t.id, live.month_calls);
	END IF;
	PERFORM @extschema@._audit('reset API calls', t.id,
							   jsonb_build_object('forgiven', live.month_calls));
	RETURN live.month_calls;
END
$$;
COMMENT ON FUNCTION @extschema@.reset_api_calls(uuid) IS
'Takes this month''s API calls off a tenant''s quota (they stay recorded, as forgiven); returns how many. Audited.';

-- What each tenant uses, against its limits.  Counts and sizes are read
-- from the tenant's rows (a pooled tenant's bytes are the size of its
-- rows; a silo's, of its tables with their indexes), so this reads every
-- row of the tenants asked for: an operator's report, not a hot path.
CREATE FUNCTION @extschema@.tenant_usage(tenant uuid DEFAULT NULL)
RETURNS TABLE (tenant_id uuid, slug text, tier text, status text,
			   api_calls_this_month bigint, api_calls_per_month integer,
			   quota_resets_at timestamptz, requests_per_second integer, request_burst integer,
			   active_users bigint, max_users integer, issues bigint, comments bigint,
			   bytes_stored bigint, last_activity timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t @extschema@.tenants;
	live record;
	entity text;
	n bigint;
	bytes bigint;
BEGIN
	PERFORM @extschema@._require_operator('read the usage of tenants');
	FOR t IN SELECT * FROM @extschema@.tenants x
			 WHERE tenant_usage.tenant IS NULL OR x.id = tenant_usage.tenant
			 ORDER BY x.slug
	LOOP
		live := @extschema@._usage_live(t.id);
		tenant_usage.tenant_id := t.id;
		slug := t.slug;
		tier := t.tier;
		status := t.status;
		api_calls_this_month := live.month_calls;
		api_calls_per_month := t.api_calls_per_month;
		quota_resets_at := (date_trunc('month', live.today::timestamp) + interval '1 month') AT TIME ZONE 'UTC';
		requests_per_second := t.requests_per_second;
		request_burst := t.request_burst;
		max_users := t.max_users;
		issues := 0;
		comments := 0;
		active_users := 0;
		bytes_stored := 0;
		SELECT GREATEST(live.last_call, max(u.last_call)) INTO last_activity
		FROM @extschema@.api_usage u WHERE u.tenant_id = t.id;
		IF t.status = 'deleted' THEN
			RETURN NEXT;		-- a tombstone: its rows are gone
			CONTINUE;
		END IF;
		EXECUTE format('SELECT count(*) FILTER (WHERE u.active) FROM %I.users u WHERE u.tenant_id = $1',
					   t.data_schema) INTO active_users USING t.id;
		EXECUTE format('SELECT count(*) FROM %I.issues i WHERE i.tenant_id = $1', t.data_schema)
			INTO issues USING t.id;
		EXECUTE format('SELECT count(*) FROM %I.comments c WHERE c.tenant_id = $1', t.data_schema)
			INTO comments USING t.id;
		FOREACH entity IN ARRAY @extschema@._data_schema_entities() || '{issue_counters}'::text[]
		LOOP
			IF t.data_schema = 'tracker_pool' THEN
				EXECUTE format('SELECT COALESCE(sum(pg_column_size(r.*)), 0) FROM %I.%I r WHERE r.tenant_id = $1',
							   t.data_schema, entity) INTO bytes USING t.id;
			ELSE
				bytes := pg_total_relation_size(format('%I.%I', t.data_schema, entity)::regclass);
			END IF;
			bytes_stored := bytes_stored + bytes;
		END LOOP;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.tenant_usage(uuid) IS
'What a tenant (or, with NULL, every tenant) uses against its limits: API calls this month, active users, issues, comments, bytes stored, last activity.';

-- A tenant's API calls by day (UTC) in a month, the calls not yet written
-- included.
CREATE FUNCTION @extschema@.api_calls_by_day(tenant_id uuid, month date DEFAULT NULL)
RETURNS TABLE (day date, calls bigint, forgiven bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	live record;
	first date;
BEGIN
	PERFORM @extschema@._require_operator('read the usage of tenants');
	PERFORM @extschema@._tenant(api_calls_by_day.tenant_id);
	live := @extschema@._usage_live(api_calls_by_day.tenant_id);
	first := date_trunc('month', COALESCE(month, live.today)::timestamp)::date;
	RETURN QUERY
	SELECT d.day, (COALESCE(u.calls, 0) +
				   CASE WHEN d.day = live.today THEN live.unwritten_today
						WHEN d.day = live.today - 1 THEN live.unwritten_before
						ELSE 0 END)::bigint,
		   COALESCE(u.forgiven, 0)
	FROM (SELECT first + k AS day FROM generate_series(0, 30) k) d
	LEFT JOIN @extschema@.api_usage u ON u.tenant_id = api_calls_by_day.tenant_id AND u.day = d.day
	WHERE d.day < first + interval '1 month' AND d.day <= live.today
	ORDER BY d.day;
END
$$;
COMMENT ON FUNCTION @extschema@.api_calls_by_day(uuid, date) IS
'A tenant''s API calls by day (UTC) in a month (default: this one), with the calls not yet written.';

REVOKE ALL ON FUNCTION @extschema@.set_tenant_limit(uuid, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.reset_tenant_limits(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.reset_api_calls(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tenant_usage(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.api_calls_by_day(uuid, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.set_tenant_limit(uuid, text, integer),
	@extschema@.reset_tenant_limits(uuid), @extschema@.reset_api_calls(uuid),
	@extschema@.tenant_usage(uuid), @extschema@.api_calls_by_day(uuid, date)
	TO tracker_operator;
