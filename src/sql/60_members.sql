-- tracker: managing a tenant's users (super admins, operators) and teams (admins)

-- Who may manage the users of a tenant: an operator, or a super admin of
-- that very tenant.  Returns 'operator' or 'super_admin'.
CREATE FUNCTION @extschema@._user_manager(tenant uuid)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF @extschema@._caller_is_operator() THEN
		RETURN 'operator';
	END IF;
	IF tenant IS NOT NULL
	   AND @extschema@.current_tenant() IS NOT DISTINCT FROM tenant
	   AND @extschema@.allowed('manage users') THEN
		RETURN 'super_admin';
	END IF;
	RAISE EXCEPTION 'permission denied to manage the users of this tenant'
		USING ERRCODE = 'insufficient_privilege',
			  HINT = 'Only the tenant''s super admins and members of tracker_operator can.';
END
$$;
REVOKE ALL ON FUNCTION @extschema@._user_manager(uuid) FROM PUBLIC;

-- Fails unless the tenant has room for one more active user; call it
-- with the tenant's row locked.
CREATE FUNCTION @extschema@._check_user_limit(t @extschema@.tenants)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	active_users bigint;
BEGIN
	IF t.max_users IS NULL THEN
		RETURN;
	END IF;
	EXECUTE format('SELECT count(*) FROM %I.users WHERE tenant_id = $1 AND active', t.data_schema)
		INTO active_users USING t.id;
	IF active_users >= t.max_users THEN
		RAISE EXCEPTION 'tenant "%" has reached its limit of % active users', t.slug, t.max_users
			USING ERRCODE = 'configuration_limit_exceeded',
				  HINT = 'Deactivate a user, or ask an operator to raise the limit or change the tier.';
	END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._check_user_limit(@extschema@.tenants) FROM PUBLIC;

CREATE FUNCTION @extschema@.add_user(tenant_id uuid, subject text, email text,
									 role text DEFAULT 'user', display_name text DEFAULT '')
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	who		text := @extschema@._user_manager(tenant_id);
	t		@extschema@.tenants;
	id		uuid;
BEGIN
	IF role IS NULL OR role NOT IN ('user', 'admin', 'super_admin') THEN
		RAISE EXCEPTION 'invalid role "%"', role
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A role is user, admin or super_admin.';
	END IF;
	IF role = 'super_admin' AND who <> 'operator' THEN
		RAISE EXCEPTION 'permission denied: only operators can make super admins'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF subject IS NULL OR length(subject) NOT BETWEEN 1 AND 256 OR subject ~ '[[:cntrl:]]' THEN
		RAISE EXCEPTION 'invalid subject'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A subject has 1 to 256 characters and no control characters.';
	END IF;
	IF email IS NULL OR email !~ '^[^@[:space:]]+@[^@[:space:]]+$' OR length(email) > 320 THEN
		RAISE EXCEPTION 'invalid email address "%"', left(email, 64)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	t := @extschema@._lock_tenant(add_user.tenant_id);
	PERFORM @extschema@._check_user_limit(t);
	BEGIN
		EXECUTE format('INSERT INTO %I.users (tenant_id, subject, email, role, display_name)
						VALUES ($1, $2, $3, $4, $5) RETURNING id', t.data_schema)
			INTO id USING t.id, subject, lower(email), role, COALESCE(display_name, '');
	EXCEPTION WHEN unique_violation THEN
		RAISE EXCEPTION 'a user with this subject or email already exists in tenant "%"', t.slug
			USING ERRCODE = 'unique_violation';
	END;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.add_user(uuid, text, text, text, text) IS
'Adds a user to a tenant, within its tier''s user limit; returns the user''s id. Operators for any tenant; super admins for their own (roles user and admin).';

-- Locks and returns a user row for a change by an operator or a super admin.
CREATE FUNCTION @extschema@._managed_user(user_id uuid, tenant uuid, change text,
										  OUT t @extschema@.tenants, OUT who text,
										  OUT user_role text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	tenant := COALESCE(tenant, @extschema@.current_tenant());
	who := @extschema@._user_manager(tenant);
	IF tenant IS NULL THEN
		RAISE EXCEPTION 'tenant_id is required'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	t := @extschema@._lock_tenant(tenant);
	EXECUTE format('SELECT role FROM %I.users WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
				   t.data_schema)
		INTO user_role USING t.id, user_id;
	IF user_role IS NULL THEN
		RAISE EXCEPTION 'user % does not exist in tenant "%"', user_id, t.slug
			USING ERRCODE = 'undefined_object';
	END IF;
	IF who <> 'operator' AND user_role = 'super_admin' THEN
		RAISE EXCEPTION 'permission denied: only operators can % a super admin', change
			USING ERRCODE = 'insufficient_privilege';
	END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._managed_user(uuid, uuid, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.set_user_role(user_id uuid, role text, tenant_id uuid DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
BEGIN
	m := @extschema@._managed_user(user_id, tenant_id, 'change the role of');
	IF role IS NULL OR role NOT IN ('user', 'admin', 'super_admin') THEN
		RAISE EXCEPTION 'invalid role "%"', role
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A role is user, admin or super_admin.';
	END IF;
	IF role = 'super_admin' AND m.who <> 'operator' THEN
		RAISE EXCEPTION 'permission denied: only operators can make super admins'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	EXECUTE format('UPDATE %I.users SET role = $3 WHERE tenant_id = $1 AND id = $2 AND role <> $3',
				   (m.t).data_schema)
		USING (m.t).id, user_id, role;
END
$$;
COMMENT ON FUNCTION @extschema@.set_user_role(uuid, text, uuid) IS
'Changes a user''s role; takes effect in every session at once. tenant_id defaults to the caller''s tenant.';

CREATE FUNCTION @extschema@.set_user_active(user_id uuid, active boolean, tenant_id uuid DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
	was boolean;
BEGIN
	IF active IS NULL THEN
		RAISE EXCEPTION 'active must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- a super admin's own row is a super admin's: only operators reach it
	m := @extschema@._managed_user(user_id, tenant_id,
								   CASE WHEN active THEN 'reactivate' ELSE 'deactivate' END);
	EXECUTE format('SELECT active FROM %I.users WHERE tenant_id = $1 AND id = $2', (m.t).data_schema)
		INTO was USING (m.t).id, user_id;
	IF was = active THEN
		RETURN;
	END IF;
	IF active THEN
		PERFORM @extschema@._check_user_limit(m.t);
	END IF;
	EXECUTE format('UPDATE %I.users SET active = $3 WHERE tenant_id = $1 AND id = $2', (m.t).data_schema)
		USING (m.t).id, user_id, active;
END
$$;
COMMENT ON FUNCTION @extschema@.set_user_active(uuid, boolean, uuid) IS
'Deactivates (false) or reactivates (true) a user; a deactivated user''s tokens stop working at once.';

CREATE FUNCTION @extschema@.revoke_user_tokens(user_id uuid, tenant_id uuid DEFAULT NULL)
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
	at timestamptz := clock_timestamp();
BEGIN
	m := @extschema@._managed_user(user_id, tenant_id, 'revoke the tokens of');
	EXECUTE format('UPDATE %I.users SET tokens_valid_after = $3 WHERE tenant_id = $1 AND id = $2',
				   (m.t).data_schema)
		USING (m.t).id, user_id, at;
	RETURN at;
END
$$;
COMMENT ON FUNCTION @extschema@.revoke_user_tokens(uuid, uuid) IS
'Refuses every token of a user issued before now (including the current second); returns the cut-off.';

-- Team management, for admins and super admins of the caller's tenant.
-- These run with the caller's rights: row-level security and the teams'
-- triggers decide.

CREATE FUNCTION @extschema@._context_schema()
RETURNS name
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s name;
BEGIN
	SELECT t.data_schema INTO s FROM @extschema@.tenants t
	WHERE t.id = @extschema@._context_tenant();
	RETURN s;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._context_schema() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._context_schema() TO tracker_user;

CREATE FUNCTION @extschema@.create_team(name text, description text DEFAULT '',
										lead_id uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s	name := @extschema@._context_schema();
	id	uuid;
BEGIN
	EXECUTE format('INSERT INTO %I.teams (name, description, lead_id) VALUES ($1, $2, $3)
					RETURNING id', s)
		INTO id USING name, COALESCE(description, ''), lead_id;
	IF lead_id IS NOT NULL THEN
		EXECUTE format('INSERT INTO %I.team_members (team_id, user_id) VALUES ($1, $2)', s)
			USING id, lead_id;
	END IF;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.create_team(text, text, uuid) IS
'Creates a team in the caller''s tenant (its lead becomes a member); returns its id. Admins and super admins only.';

CREATE FUNCTION @extschema@.add_team_member(team_id uuid, user_id uuid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE format('INSERT INTO %I.team_members (team_id, user_id) VALUES ($1, $2)
					ON CONFLICT DO NOTHING', @extschema@._context_schema())
		USING team_id, user_id;
END
$$;
COMMENT ON FUNCTION @extschema@.add_team_member(uuid, uuid) IS
'Adds a user of the caller''s tenant to a team. Admins and super admins only.';

CREATE FUNCTION @extschema@.remove_team_member(team_id uuid, user_id uuid)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	-- the tenant named, so that on a Citus cluster one shard is asked
	EXECUTE format('DELETE FROM %I.team_members WHERE tenant_id = $3 AND team_id = $1 AND user_id = $2',
				   @extschema@._context_schema())
		USING team_id, user_id, @extschema@._context_tenant();
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n > 0;
END
$$;
COMMENT ON FUNCTION @extschema@.remove_team_member(uuid, uuid) IS
'Removes a user from a team; returns whether they were a member. Admins and super admins only.';

DO $grants$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'add_user(uuid, text, text, text, text)',
		'set_user_role(uuid, text, uuid)',
		'set_user_active(uuid, boolean, uuid)',
		'revoke_user_tokens(uuid, uuid)']
	LOOP
		EXECUTE format('REVOKE ALL ON FUNCTION @extschema@.%s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO tracker_operator, tracker_user', f);
	END LOOP;
	FOREACH f IN ARRAY ARRAY[
		'create_team(text, text, uuid)',
		'add_team_member(uuid, uuid)',
		'remove_team_member(uuid, uuid)']
	LOOP
		EXECUTE format('REVOKE ALL ON FUNCTION @extschema@.%s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO tracker_user', f);
	END LOOP;
END
$grants$;
