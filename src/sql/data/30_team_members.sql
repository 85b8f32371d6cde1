-- tracker data schema: team_members, who belongs to which team

CREATE FUNCTION @extschema@._data_team_members_tables(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE TABLE %1$I.team_members (
	tenant_id	uuid NOT NULL DEFAULT @extschema@._context_tenant(),
	team_id		uuid NOT NULL,
	user_id		uuid NOT NULL,
	added_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT team_members_pkey PRIMARY KEY (tenant_id, team_id, user_id),
	CONSTRAINT team_members_team_fkey FOREIGN KEY (tenant_id, team_id)
		REFERENCES %1$I.teams (tenant_id, id) ON DELETE CASCADE,
	CONSTRAINT team_members_user_fkey FOREIGN KEY (tenant_id, user_id)
		REFERENCES %1$I.users (tenant_id, id)
);
CREATE INDEX team_members_user_idx ON %1$I.team_members (tenant_id, user_id);
$ddl$, schema);
END
$body$;

CREATE FUNCTION @extschema@._data_team_members_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
COMMENT ON TABLE %1$I.team_members IS 'Who belongs to which team. Members see the issues of their teams.';

CREATE TRIGGER team_members_admin BEFORE INSERT OR UPDATE OR DELETE ON %1$I.team_members
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('manage team members');
CREATE TRIGGER team_members_write BEFORE INSERT OR UPDATE ON %1$I.team_members
	FOR EACH ROW EXECUTE FUNCTION @extschema@._stamp_row();
-- A membership change reaches the cached contexts of its tenant only; a
-- statement that changes no row reaches none.
CREATE TRIGGER team_members_invalidate AFTER INSERT OR UPDATE OR DELETE ON %1$I.team_members
	FOR EACH ROW EXECUTE FUNCTION @extschema@._invalidate_caches('tenant', 'tenant_id');
CREATE TRIGGER team_members_invalidate_truncate AFTER TRUNCATE ON %1$I.team_members
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches('all');
ALTER TABLE %1$I.team_members ENABLE ALWAYS TRIGGER team_members_invalidate;
ALTER TABLE %1$I.team_members ENABLE ALWAYS TRIGGER team_members_invalidate_truncate;

ALTER TABLE %1$I.team_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.team_members FORCE ROW LEVEL SECURITY;
CREATE POLICY team_members_read ON %1$I.team_members FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
CREATE POLICY team_members_manage ON %1$I.team_members FOR ALL TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.allowed('manage team members'))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND @extschema@.allowed('manage team members'));

REVOKE ALL ON %1$I.team_members FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.team_members TO tracker_user;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_team_members_tables(name),
	@extschema@._data_team_members_rules(name) FROM PUBLIC;
