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

CREATE FUNCTION @extschema@.current_role()
RETURNS text
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_current_role';
COMMENT ON FUNCTION @extschema@.current_role() IS
'The tenant role of the verified context, or NULL when there is none.';

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
REVOKE ALL ON FUNCTION @extschema@.current_role() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.claims() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sign_token(jsonb, text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION @extschema@.authenticate(text, boolean),
	@extschema@.current_tenant(), @extschema@.current_subject(),
	@extschema@.current_role(), @extschema@.claims()
	TO tracker_user, tracker_anon, tracker_operator;
GRANT EXECUTE ON FUNCTION @extschema@.sign_token(jsonb, text) TO tracker_operator;
