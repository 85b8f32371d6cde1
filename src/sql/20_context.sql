-- tracker: the verified tenant context

CREATE FUNCTION @extschema@.authenticate(token text, local boolean DEFAULT false)
RETURNS jsonb
LANGUAGE C
VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'tracker_authenticate';
COMMENT ON FUNCTION @extschema@.authenticate(text, boolean) IS
'Verifies a JWT and makes it the session''s tenant context (the transaction''s when local is true); returns its claims.';

CREATE FUNCTION @extschema@.current_tenant()
RETURNS uuid
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_tenant';
COMMENT ON FUNCTION @extschema@.current_tenant() IS
'The tenant of the verified context, or NULL when there is none.';

CREATE FUNCTION @extschema@.current_subject()
RETURNS text
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_subject';
COMMENT ON FUNCTION @extschema@.current_subject() IS
'The subject (sub claim) of the verified context, or NULL when there is none.';

-- (named current_role() in 1.0, which the SQL keyword of that name shadows;
-- the C symbol keeps the old name, so a 1.0 database still finds it)
CREATE FUNCTION @extschema@.current_member_role()
RETURNS text
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_role';
COMMENT ON FUNCTION @extschema@.current_member_role() IS
'The role (user, admin or super_admin) of the context''s user, from the tenant''s user table; NULL when there is no context.';

CREATE FUNCTION @extschema@.current_user_id()
RETURNS uuid
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_user_id';
COMMENT ON FUNCTION @extschema@.current_user_id() IS
'The id of the tenant''s user row for the verified context, or NULL when there is none.';

CREATE FUNCTION @extschema@.current_teams()
RETURNS uuid[]
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_teams';
COMMENT ON FUNCTION @extschema@.current_teams() IS
'The teams the context''s user belongs to, or NULL when there is no context.';

CREATE FUNCTION @extschema@.allowed(action text)
RETURNS boolean
LANGUAGE C
STRICT STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_allowed';
COMMENT ON FUNCTION @extschema@.allowed(text) IS
'Whether the context''s user may take an action of the roles matrix, such as ''delete issues''; false when there is no context.';

CREATE FUNCTION @extschema@._caller_is_operator()
RETURNS boolean
LANGUAGE C
STABLE
AS 'MODULE_PATHNAME', 'tracker_caller_is_operator';
COMMENT ON FUNCTION @extschema@._caller_is_operator() IS
'True when the session''s role (not a SECURITY DEFINER owner) is a superuser or a member of tracker_operator.';

CREATE FUNCTION @extschema@._verifications()
RETURNS bigint
LANGUAGE C
STRICT VOLATILE
AS 'MODULE_PATHNAME', 'tracker_verifications';
COMMENT ON FUNCTION @extschema@._verifications() IS
'How many tokens this backend has verified in full (not found in its cache): for tests and diagnostics.';
REVOKE ALL ON FUNCTION @extschema@._verifications() FROM PUBLIC;

CREATE FUNCTION @extschema@.claims()
RETURNS jsonb
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_claims';
COMMENT ON FUNCTION @extschema@.claims() IS
'All claims of the verified token, or NULL when there is no context.';

CREATE FUNCTION @extschema@.sign_token(claims jsonb, kid text)
RETURNS text
LANGUAGE C
STRICT VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tracker_sign_token';
COMMENT ON FUNCTION @extschema@.sign_token(jsonb, text) IS
'Signs claims with a registered HS key; sets iat, and exp one hour ahead unless given.';

REVOKE ALL ON FUNCTION @extschema@.authenticate(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.current_tenant() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.current_subject() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.current_member_role() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.claims() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.current_user_id() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.current_teams() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.allowed(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._caller_is_operator() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sign_token(jsonb, text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION @extschema@.authenticate(text, boolean),
	@extschema@.current_tenant(), @extschema@.current_subject(),
	@extschema@.current_member_role(), @extschema@.claims(),
	@extschema@.current_user_id(), @extschema@.current_teams(),
	@extschema@.allowed(text)
	TO tracker_user, tracker_anon, tracker_operator;
GRANT EXECUTE ON FUNCTION @extschema@.sign_token(jsonb, text) TO tracker_operator;
