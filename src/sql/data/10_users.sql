-- tracker data schema: users, a tenant's members

CREATE FUNCTION @extschema@._data_users_tables(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE TABLE %1$I.users (
	tenant_id	uuid NOT NULL REFERENCES @extschema@.tenants (id),
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	subject		text COLLATE "C" NOT NULL CHECK (length(subject) BETWEEN 1 AND 256),
	email		text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND length(email) <= 320),
	display_name text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
	role		@extschema@.member_role NOT NULL DEFAULT 'user',
	active		boolean NOT NULL DEFAULT true,
	tokens_valid_after timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id),
	CONSTRAINT users_subject_key UNIQUE (tenant_id, subject),
	CONSTRAINT users_email_key UNIQUE (tenant_id, email)
);
$ddl$, schema);
END
$body$;

CREATE FUNCTION @extschema@._data_users_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
COMMENT ON TABLE %1$I.users IS 'A tenant''s members. Managed with tracker.add_user() and friends; every member can read them.';
COMMENT ON COLUMN %1$I.users.subject IS 'The sub claim of the user''s tokens.';
COMMENT ON COLUMN %1$I.users.role IS 'user, admin or super_admin: what the user may do inside the tenant.';
COMMENT ON COLUMN %1$I.users.tokens_valid_after IS 'Tokens issued before this time are refused.';

CREATE TRIGGER users_write BEFORE UPDATE ON %1$I.users
	FOR EACH ROW EXECUTE FUNCTION @extschema@._users_write();
-- Only what a context is made of reaches cached contexts, and only the
-- user's tenant's: a new display name or email changes nothing there.
CREATE TRIGGER users_invalidate AFTER UPDATE ON %1$I.users
	FOR EACH ROW
	WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id
		  OR OLD.subject IS DISTINCT FROM NEW.subject
		  OR OLD.role IS DISTINCT FROM NEW.role OR OLD.active IS DISTINCT FROM NEW.active
		  OR OLD.tokens_valid_after IS DISTINCT FROM NEW.tokens_valid_after)
	EXECUTE FUNCTION @extschema@._invalidate_caches('tenant', 'tenant_id');
CREATE TRIGGER users_invalidate_removal AFTER DELETE ON %1$I.users
	FOR EACH ROW EXECUTE FUNCTION @extschema@._invalidate_caches('tenant', 'tenant_id');
CREATE TRIGGER users_invalidate_truncate AFTER TRUNCATE ON %1$I.users
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches('all');
ALTER TABLE %1$I.users ENABLE ALWAYS TRIGGER users_invalidate;
ALTER TABLE %1$I.users ENABLE ALWAYS TRIGGER users_invalidate_removal;
ALTER TABLE %1$I.users ENABLE ALWAYS TRIGGER users_invalidate_truncate;

ALTER TABLE %1$I.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_read ON %1$I.users FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
-- Operators manage users, so they may list them (and nothing else here).
CREATE POLICY users_operator ON %1$I.users FOR SELECT TO tracker_operator
	USING (true);

REVOKE ALL ON %1$I.users FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;
GRANT SELECT ON %1$I.users TO tracker_user, tracker_operator;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_users_tables(name),
	@extschema@._data_users_rules(name) FROM PUBLIC;
