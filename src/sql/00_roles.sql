-- tracker: roles, schema privileges
\echo Use "CREATE EXTENSION tracker" to load this file. \quit

-- Roles are cluster-wide: create them once, keep them if the extension goes.
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'tracker_operator') THEN
		CREATE ROLE tracker_operator NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'tracker_user') THEN
		CREATE ROLE tracker_user NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'tracker_anon') THEN
		CREATE ROLE tracker_anon NOLOGIN;
	END IF;
END
$roles$;

COMMENT ON ROLE tracker_operator IS 'Platform operators: manage keys and tenants.';
COMMENT ON ROLE tracker_user IS 'What tenant users run as; sees rows only through a verified tenant context.';
COMMENT ON ROLE tracker_anon IS 'Unauthenticated HTTP requests; sees nothing.';

REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO tracker_operator, tracker_user, tracker_anon;
