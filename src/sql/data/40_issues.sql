-- tracker data schema: issues, and the counters their numbers come from

CREATE FUNCTION @extschema@._data_issues_tables(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE TABLE %1$I.issue_counters (
	tenant_id	uuid PRIMARY KEY REFERENCES @extschema@.tenants (id),
	last_number	integer NOT NULL DEFAULT 0
);

CREATE TABLE %1$I.issues (
	tenant_id	uuid NOT NULL DEFAULT @extschema@._context_tenant(),
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	number		integer NOT NULL,
	key			text COLLATE "C" NOT NULL,
	title		text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
	description	text NOT NULL DEFAULT '' CHECK (length(description) <= 100000),
	status		@extschema@.issue_status NOT NULL DEFAULT 'open',
	priority	@extschema@.priority NOT NULL DEFAULT 'medium',
	priority_rank smallint GENERATED ALWAYS AS (
		CASE priority::text WHEN 'low' THEN 1 WHEN 'medium' THEN 2
						    WHEN 'high' THEN 3 WHEN 'critical' THEN 4 END) STORED,
	issue_type	@extschema@.issue_type NOT NULL DEFAULT 'task',
	reporter_id	uuid NOT NULL,
	assignee_id	uuid,
	team_id		uuid,
	due_date	date,
	labels		text[] NOT NULL DEFAULT '{}' CHECK (@extschema@.labels_valid(labels)),
	estimated_hours numeric(8,2) CHECK (estimated_hours >= 0),
	story_points integer CHECK (story_points BETWEEN 0 AND 1000),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	closed_at	timestamptz,
	CONSTRAINT issues_pkey PRIMARY KEY (tenant_id, id),
	CONSTRAINT issues_number_key UNIQUE (tenant_id, number),
	CONSTRAINT issues_key_key UNIQUE (tenant_id, key),
	CONSTRAINT issues_reporter_fkey FOREIGN KEY (tenant_id, reporter_id)
		REFERENCES %1$I.users (tenant_id, id),
	CONSTRAINT issues_assignee_fkey FOREIGN KEY (tenant_id, assignee_id)
		REFERENCES %1$I.users (tenant_id, id),
	CONSTRAINT issues_team_fkey FOREIGN KEY (tenant_id, team_id)
		REFERENCES %1$I.teams (tenant_id, id)
);
CREATE INDEX issues_status_idx ON %1$I.issues (tenant_id, status, created_at DESC);
CREATE INDEX issues_created_idx ON %1$I.issues (tenant_id, created_at DESC);
CREATE INDEX issues_assignee_idx ON %1$I.issues (tenant_id, assignee_id);
CREATE INDEX issues_reporter_idx ON %1$I.issues (tenant_id, reporter_id);
CREATE INDEX issues_team_idx ON %1$I.issues (tenant_id, team_id);
CREATE INDEX issues_priority_idx ON %1$I.issues (tenant_id, priority);
$ddl$, schema);
END
$body$;

CREATE FUNCTION @extschema@._data_issues_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
COMMENT ON TABLE %1$I.issue_counters IS 'The last issue number of each tenant. The issue trigger takes the next one under the row''s lock, so numbers are unique and increase; a rolled-back insert gives its number back, a row skipped by ON CONFLICT does not.';
COMMENT ON TABLE %1$I.issues IS 'Issues. Users see those they reported, are assigned or whose team they belong to; admins see all of their tenant''s.';
COMMENT ON COLUMN %1$I.issues.key IS 'The issue''s key, as in TECH-42: the tenant''s prefix and its per-tenant number.';
COMMENT ON COLUMN %1$I.issues.labels IS 'At most 20 labels, each 1 to 64 characters without control characters (tracker.labels_valid()).';
COMMENT ON COLUMN %1$I.issues.status IS 'open, in_progress, in_review or closed; changes follow tracker.status_transition_allowed().';
COMMENT ON COLUMN %1$I.issues.priority_rank IS 'priority as a number (low 1 .. critical 4), for ordering.';
COMMENT ON COLUMN %1$I.issues.reporter_id IS 'Who created the issue: always the authenticated user.';

CREATE TRIGGER issues_write BEFORE INSERT OR UPDATE ON %1$I.issues
	FOR EACH ROW EXECUTE FUNCTION @extschema@._issues_write();
CREATE TRIGGER issues_check BEFORE INSERT OR UPDATE ON %1$I.issues
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement();
CREATE TRIGGER issues_admin_delete BEFORE DELETE ON %1$I.issues
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('delete issues');
-- A deleted team's issues keep no team: a foreign key's ON DELETE SET NULL
-- would, but Citus refuses one on a key that includes tenant_id
CREATE TRIGGER teams_issues_unassign BEFORE DELETE ON %1$I.teams
	FOR EACH ROW EXECUTE FUNCTION @extschema@._team_issues_unassign();

-- Only the issue trigger, as the table's owner, touches the counters.
ALTER TABLE %1$I.issue_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issue_counters FORCE ROW LEVEL SECURITY;
REVOKE ALL ON %1$I.issue_counters FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;

-- Everyone with a role that sees every issue sees all of the tenant's;
-- other users those they reported, are assigned, or whose team they are in.
-- allowed('see every issue') comes first: planned as a parameter (its
-- argument is a constant, src/plans.c), it spares admins' reads a call of
-- issue_readable() per row.
ALTER TABLE %1$I.issues ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issues FORCE ROW LEVEL SECURITY;
CREATE POLICY issues_read ON %1$I.issues FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND (@extschema@.allowed('see every issue')
				OR @extschema@.issue_readable(reporter_id, assignee_id, team_id)));
CREATE POLICY issues_create ON %1$I.issues FOR INSERT TO tracker_user
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND reporter_id = @extschema@.current_user_id()
				AND (@extschema@.allowed('assign issues to others and to teams')
					 OR (team_id IS NULL
						 AND (assignee_id IS NULL OR assignee_id = @extschema@.current_user_id()))));
CREATE POLICY issues_change ON %1$I.issues FOR UPDATE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND (@extschema@.allowed('see every issue')
				OR @extschema@.issue_readable(reporter_id, assignee_id, team_id)))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND (@extschema@.allowed('change any issue')
					 OR assignee_id = @extschema@.current_user_id()));
CREATE POLICY issues_remove ON %1$I.issues FOR DELETE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.allowed('delete issues'));

REVOKE ALL ON %1$I.issues FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.issues TO tracker_user;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_issues_tables(name),
	@extschema@._data_issues_rules(name) FROM PUBLIC;
