-- tracker data schema: the functions a tenant's users call where their
-- tables are, so that PostgREST serves them as /rpc/<name> in every profile
-- (docs/http.md).  Each calls the extension's function of the same name
-- for the context's tenant; the rules are that function's.  Not an entity
-- (it has no table): _apply_data_schema_rules() makes them after the
-- entities' rules.

CREATE FUNCTION @extschema@._data_api(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE OR REPLACE FUNCTION %1$I.me()
RETURNS TABLE (tenant_id uuid, user_id uuid, subject text, role text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.current_tenant(), @extschema@.current_user_id(),
			  @extschema@.current_subject(), @extschema@.current_member_role() $f$;
COMMENT ON FUNCTION %1$I.me() IS
$c$Who the token says the caller is: tenant, user id, subject and role in the tenant.$c$;

CREATE OR REPLACE FUNCTION %1$I.add_user(subject text, email text, role text DEFAULT 'user',
										  display_name text DEFAULT '')
RETURNS uuid
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.add_user(@extschema@.current_tenant(), subject, email, role, display_name) $f$;
COMMENT ON FUNCTION %1$I.add_user(text, text, text, text) IS
$c$Adds a user to the caller's tenant (role user or admin) and returns its id. Super admins only; the tier's user limit applies.$c$;

CREATE OR REPLACE FUNCTION %1$I.set_user_role(user_id uuid, role text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.set_user_role(user_id, role, @extschema@.current_tenant()) $f$;
COMMENT ON FUNCTION %1$I.set_user_role(uuid, text) IS
$c$Changes a user's role (user or admin). Super admins only; it takes effect at the user's next request.$c$;

CREATE OR REPLACE FUNCTION %1$I.set_user_active(user_id uuid, active boolean)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.set_user_active(user_id, active, @extschema@.current_tenant()) $f$;
COMMENT ON FUNCTION %1$I.set_user_active(uuid, boolean) IS
$c$Deactivates or reactivates a user; a deactivated user's tokens stop working at once. Super admins only.$c$;

CREATE OR REPLACE FUNCTION %1$I.revoke_user_tokens(user_id uuid)
RETURNS timestamptz
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.revoke_user_tokens(user_id, @extschema@.current_tenant()) $f$;
COMMENT ON FUNCTION %1$I.revoke_user_tokens(uuid) IS
$c$Revokes every token issued to a user until now (a lost device, say). Super admins only.$c$;

CREATE OR REPLACE FUNCTION %1$I.create_team(name text, description text DEFAULT '', lead_id uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.create_team(name, description, lead_id) $f$;
COMMENT ON FUNCTION %1$I.create_team(text, text, uuid) IS
$c$Creates a team (its lead becomes a member) and returns its id. Admins and super admins only; names are unique in a tenant.$c$;

CREATE OR REPLACE FUNCTION %1$I.add_team_member(team_id uuid, user_id uuid)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.add_team_member(team_id, user_id) $f$;
COMMENT ON FUNCTION %1$I.add_team_member(uuid, uuid) IS
$c$Adds a user to a team. Admins and super admins only.$c$;

CREATE OR REPLACE FUNCTION %1$I.remove_team_member(team_id uuid, user_id uuid)
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $f$ SELECT @extschema@.remove_team_member(team_id, user_id) $f$;
COMMENT ON FUNCTION %1$I.remove_team_member(uuid, uuid) IS
$c$Removes a user from a team; returns whether they were a member. Admins and super admins only.$c$;

REVOKE ALL ON FUNCTION %1$I.me(), %1$I.add_user(text, text, text, text),
	%1$I.set_user_role(uuid, text), %1$I.set_user_active(uuid, boolean),
	%1$I.revoke_user_tokens(uuid), %1$I.create_team(text, text, uuid),
	%1$I.add_team_member(uuid, uuid), %1$I.remove_team_member(uuid, uuid)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION %1$I.me(), %1$I.add_user(text, text, text, text),
	%1$I.set_user_role(uuid, text), %1$I.set_user_active(uuid, boolean),
	%1$I.revoke_user_tokens(uuid), %1$I.create_team(text, text, uuid),
	%1$I.add_team_member(uuid, uuid), %1$I.remove_team_member(uuid, uuid)
	TO tracker_user;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_api(name) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._data_api(name) IS
'Creates, or replaces, the functions a data schema offers its tenant''s users (PostgREST''s /rpc/ endpoints); part of a data schema''s rules.';
