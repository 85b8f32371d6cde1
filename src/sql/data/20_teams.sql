-- tracker data schema: teams

CREATE FUNCTION @extschema@._data_teams_tables(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE TABLE %1$I.teams (
	tenant_id	uuid NOT NULL DEFAULT @extschema@._context_tenant() REFERENCES @extschema@.tenants (id),
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	name		text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
	description	text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
	lead_id		uuid,
	status		@extschema@.team_status NOT NULL DEFAULT 'active',
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT teams_pkey PRIMARY KEY (tenant_id, id),
	CONSTRAINT teams_name_key UNIQUE (tenant_id, name),
	CONSTRAINT teams_lead_fkey FOREIGN KEY (tenant_id, lead_id) REFERENCES %1$I.users (tenant_id, id)
);
$ddl$, schema);
END
$body$;

CREATE FUNCTION @extschema@._data_teams_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
COMMENT ON TABLE %1$I.teams IS 'Teams of a tenant. Admins and super admins manage them.';

CREATE TRIGGER teams_admin BEFORE INSERT OR UPDATE OR DELETE ON %1$I.teams
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('manage teams');
CREATE TRIGGER teams_write BEFORE INSERT OR UPDATE ON %1$I.teams
	FOR EACH ROW EXECUTE FUNCTION @extschema@._stamp_row();

ALTER TABLE %1$I.teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.teams FORCE ROW LEVEL SECURITY;
CREATE POLICY teams_read ON %1$I.teams FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
CREATE POLICY teams_manage ON %1$I.teams FOR ALL TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.allowed('manage teams'))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND @extschema@.allowed('manage teams'));

REVOKE ALL ON %1$I.teams FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.teams TO tracker_user;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_teams_tables(name),
	@extschema@._data_teams_rules(name) FROM PUBLIC;
