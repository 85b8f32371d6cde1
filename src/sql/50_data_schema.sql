-- tracker: the data schema definition
--
-- Every data schema (tracker_pool, and each platinum tenant's silo) holds
-- the same tables, made by _create_data_schema() below.  The schemas and
-- their tables are created by that function, not by this script, so they
-- are not members of the extension: pg_dump dumps them as ordinary objects
-- and Citus can distribute them.

-- The tenant of the context, or an error for writes without one
CREATE FUNCTION @extschema@._context_tenant()
RETURNS uuid
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t uuid := @extschema@.current_tenant();
BEGIN
	IF t IS NULL THEN
		RAISE EXCEPTION 'permission denied: no tenant context'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Authenticate with tracker.authenticate(token) first.';
	END IF;
	RETURN t;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._context_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._context_tenant() TO tracker_user;

-- The role parts of the read policies, one C call each.  Written out in
-- SQL, as role tests, id comparisons and an EXISTS on issues, they cost
-- every query the set-up of up to five function calls (a catalog lookup
-- and a permission check each) and, for comments, a sub-plan; Citus
-- refuses sub-queries in policies altogether.
CREATE FUNCTION @extschema@.issue_readable(reporter_id uuid, assignee_id uuid, team_id uuid)
RETURNS boolean
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_issue_readable';
COMMENT ON FUNCTION @extschema@.issue_readable(uuid, uuid, uuid) IS
'Whether the context''s user may see an issue with these people: admins and super admins see all; other users those they reported, are assigned, or whose team they are in.';
REVOKE ALL ON FUNCTION @extschema@.issue_readable(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.issue_readable(uuid, uuid, uuid) TO tracker_user;

CREATE FUNCTION @extschema@.comment_readable(tenant_id uuid, issue_id uuid, internal boolean)
RETURNS boolean
LANGUAGE C
STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_comment_readable';
COMMENT ON FUNCTION @extschema@.comment_readable(uuid, uuid, boolean) IS
'Whether the context''s user may see a comment: admins and super admins see all; other users those that are not internal, on issues they may see.';
REVOKE ALL ON FUNCTION @extschema@.comment_readable(uuid, uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.comment_readable(uuid, uuid, boolean) TO tracker_user;

-- The data-schema triggers are C (src/triggers.c): they run on every write,
-- and C looks up no name through the caller's search_path.

CREATE FUNCTION @extschema@._check_statement()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_check_statement';
COMMENT ON FUNCTION @extschema@._check_statement() IS
'Statement trigger: a context is required and the table must be in its data schema; with an argument (the action), only admins and super admins pass.';

CREATE FUNCTION @extschema@._stamp_row()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_stamp_row';
COMMENT ON FUNCTION @extschema@._stamp_row() IS
'Row trigger of teams and team_members: tenant from the context, times from the clock.';

CREATE FUNCTION @extschema@._issues_write()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_issues_write';
COMMENT ON FUNCTION @extschema@._issues_write() IS
'Row trigger of issues: context fields, gapless per-tenant keys, what plain users may change, and the workflow.';

CREATE FUNCTION @extschema@._comments_write()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'tracker_comments_write';
COMMENT ON FUNCTION @extschema@._comments_write() IS
'Row trigger of comments: context fields, internal comments for admins, mentions of the tenant''s users only.';

REVOKE ALL ON FUNCTION @extschema@._check_statement(), @extschema@._stamp_row(),
	@extschema@._issues_write(), @extschema@._comments_write() FROM PUBLIC;

CREATE FUNCTION @extschema@._users_write()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._users_write() FROM PUBLIC;

CREATE FUNCTION @extschema@._create_data_schema(schema name)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = schema) THEN
		IF to_regclass(format('%I.issues', schema)) IS NULL THEN
			RAISE EXCEPTION 'schema "%" exists but is not a tracker data schema', schema
				USING ERRCODE = 'duplicate_schema';
		END IF;
		RETURN false;
	END IF;

	EXECUTE format($ddl$
CREATE SCHEMA %1$I;
COMMENT ON SCHEMA %1$I IS 'tracker data schema: tenant rows under forced row-level security.';

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
COMMENT ON TABLE %1$I.users IS 'A tenant''s members. Managed with tracker.add_user() and friends; every member can read them.';
COMMENT ON COLUMN %1$I.users.subject IS 'The sub claim of the user''s tokens.';
COMMENT ON COLUMN %1$I.users.role IS 'user, admin or super_admin: what the user may do inside the tenant.';
COMMENT ON COLUMN %1$I.users.tokens_valid_after IS 'Tokens issued before this time are refused.';

CREATE TABLE %1$I.teams (
	tenant_id	uuid NOT NULL REFERENCES @extschema@.tenants (id),
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
COMMENT ON TABLE %1$I.teams IS 'Teams of a tenant. Admins and super admins manage them.';

CREATE TABLE %1$I.team_members (
	tenant_id	uuid NOT NULL,
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
COMMENT ON TABLE %1$I.team_members IS 'Who belongs to which team. Members see the issues of their teams.';

CREATE TABLE %1$I.issue_counters (
	tenant_id	uuid PRIMARY KEY REFERENCES @extschema@.tenants (id),
	last_number	integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE %1$I.issue_counters IS 'The last issue number of each tenant. The issue trigger takes the next one under the row''s lock, so numbers have no gaps.';

CREATE TABLE %1$I.issues (
	tenant_id	uuid NOT NULL,
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
	labels		text[] NOT NULL DEFAULT '{}'
				CHECK (cardinality(labels) <= 20 AND array_position(labels, NULL) IS NULL),
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
		REFERENCES %1$I.teams (tenant_id, id) ON DELETE SET NULL (team_id)
);
CREATE INDEX issues_status_idx ON %1$I.issues (tenant_id, status, created_at DESC);
CREATE INDEX issues_created_idx ON %1$I.issues (tenant_id, created_at DESC);
CREATE INDEX issues_assignee_idx ON %1$I.issues (tenant_id, assignee_id);
CREATE INDEX issues_reporter_idx ON %1$I.issues (tenant_id, reporter_id);
CREATE INDEX issues_team_idx ON %1$I.issues (tenant_id, team_id);
CREATE INDEX issues_priority_idx ON %1$I.issues (tenant_id, priority);
COMMENT ON TABLE %1$I.issues IS 'Issues. Users see those they reported, are assigned or whose team they belong to; admins see all of their tenant''s.';
COMMENT ON COLUMN %1$I.issues.key IS 'The issue''s key, as in TECH-42: the tenant''s prefix and a gapless per-tenant number.';
COMMENT ON COLUMN %1$I.issues.status IS 'open, in_progress, in_review or closed; changes follow tracker.status_transition_allowed().';
COMMENT ON COLUMN %1$I.issues.priority_rank IS 'priority as a number (low 1 .. critical 4), for ordering.';
COMMENT ON COLUMN %1$I.issues.reporter_id IS 'Who created the issue: always the authenticated user.';

CREATE TABLE %1$I.comments (
	tenant_id	uuid NOT NULL,
	id			uuid NOT NULL DEFAULT gen_random_uuid(),
	issue_id	uuid NOT NULL,
	author_id	uuid NOT NULL,
	content		text NOT NULL CHECK (length(btrim(content)) BETWEEN 1 AND 50000),
	internal	boolean NOT NULL DEFAULT false,
	mentions	uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(mentions) <= 50),
	created_at	timestamptz NOT NULL DEFAULT now(),
	edited_at	timestamptz,
	CONSTRAINT comments_pkey PRIMARY KEY (tenant_id, id),
	CONSTRAINT comments_issue_fkey FOREIGN KEY (tenant_id, issue_id)
		REFERENCES %1$I.issues (tenant_id, id) ON DELETE CASCADE,
	CONSTRAINT comments_author_fkey FOREIGN KEY (tenant_id, author_id)
		REFERENCES %1$I.users (tenant_id, id)
);
CREATE INDEX comments_issue_idx ON %1$I.comments (tenant_id, issue_id, created_at);
COMMENT ON TABLE %1$I.comments IS 'Comments on issues, visible with their issue; internal ones only to admins and super admins.';
COMMENT ON COLUMN %1$I.comments.internal IS 'Internal notes: hidden from, and not writable by, plain users.';
COMMENT ON COLUMN %1$I.comments.mentions IS 'Ids of the tenant''s users mentioned.';


CREATE TRIGGER users_write BEFORE UPDATE ON %1$I.users
	FOR EACH ROW EXECUTE FUNCTION @extschema@._users_write();
CREATE TRIGGER users_invalidate AFTER UPDATE OR DELETE OR TRUNCATE ON %1$I.users
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches();
ALTER TABLE %1$I.users ENABLE ALWAYS TRIGGER users_invalidate;

CREATE TRIGGER teams_admin BEFORE INSERT OR UPDATE OR DELETE ON %1$I.teams
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('manage teams');
CREATE TRIGGER teams_write BEFORE INSERT OR UPDATE ON %1$I.teams
	FOR EACH ROW EXECUTE FUNCTION @extschema@._stamp_row();

CREATE TRIGGER team_members_admin BEFORE INSERT OR UPDATE OR DELETE ON %1$I.team_members
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('manage team members');
CREATE TRIGGER team_members_write BEFORE INSERT OR UPDATE ON %1$I.team_members
	FOR EACH ROW EXECUTE FUNCTION @extschema@._stamp_row();
CREATE TRIGGER team_members_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %1$I.team_members
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._invalidate_caches();
ALTER TABLE %1$I.team_members ENABLE ALWAYS TRIGGER team_members_invalidate;

CREATE TRIGGER issues_write BEFORE INSERT OR UPDATE ON %1$I.issues
	FOR EACH ROW EXECUTE FUNCTION @extschema@._issues_write();
CREATE TRIGGER issues_check BEFORE INSERT OR UPDATE ON %1$I.issues
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement();
CREATE TRIGGER issues_admin_delete BEFORE DELETE ON %1$I.issues
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement('delete issues');

CREATE TRIGGER comments_check BEFORE INSERT OR UPDATE OR DELETE ON %1$I.comments
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement();
CREATE TRIGGER comments_write BEFORE INSERT OR UPDATE ON %1$I.comments
	FOR EACH ROW EXECUTE FUNCTION @extschema@._comments_write();

-- Row-level security: the matrix of roles, per table.
ALTER TABLE %1$I.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.users FORCE ROW LEVEL SECURITY;
ALTER TABLE %1$I.teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.teams FORCE ROW LEVEL SECURITY;
ALTER TABLE %1$I.team_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.team_members FORCE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issue_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issue_counters FORCE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issues ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.issues FORCE ROW LEVEL SECURITY;
ALTER TABLE %1$I.comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.comments FORCE ROW LEVEL SECURITY;

CREATE POLICY users_read ON %1$I.users FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
-- Operators manage users, so they may list them (and nothing else here).
CREATE POLICY users_operator ON %1$I.users FOR SELECT TO tracker_operator
	USING (true);

CREATE POLICY teams_read ON %1$I.teams FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
CREATE POLICY teams_manage ON %1$I.teams FOR ALL TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.current_role() IN ('admin', 'super_admin'))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND @extschema@.current_role() IN ('admin', 'super_admin'));

CREATE POLICY team_members_read ON %1$I.team_members FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant());
CREATE POLICY team_members_manage ON %1$I.team_members FOR ALL TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.current_role() IN ('admin', 'super_admin'))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND @extschema@.current_role() IN ('admin', 'super_admin'));

-- Admins and super admins see every issue of their tenant; other users
-- those they reported, are assigned, or whose team they are in.
CREATE POLICY issues_read ON %1$I.issues FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.issue_readable(reporter_id, assignee_id, team_id));
CREATE POLICY issues_create ON %1$I.issues FOR INSERT TO tracker_user
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND reporter_id = @extschema@.current_user_id()
				AND (@extschema@.current_role() IN ('admin', 'super_admin')
					 OR (team_id IS NULL
						 AND (assignee_id IS NULL OR assignee_id = @extschema@.current_user_id()))));
CREATE POLICY issues_change ON %1$I.issues FOR UPDATE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.issue_readable(reporter_id, assignee_id, team_id))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND (@extschema@.current_role() IN ('admin', 'super_admin')
					 OR assignee_id = @extschema@.current_user_id()));
CREATE POLICY issues_remove ON %1$I.issues FOR DELETE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.current_role() IN ('admin', 'super_admin'));

-- A comment is visible with its issue, and internal notes only to admins
-- and super admins (tracker.comment_readable(), which reads the issue in
-- C with the statement's snapshot).
CREATE POLICY comments_read ON %1$I.comments FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.comment_readable(tenant_id, issue_id, internal));
CREATE POLICY comments_create ON %1$I.comments FOR INSERT TO tracker_user
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND author_id = @extschema@.current_user_id()
				AND @extschema@.comment_readable(tenant_id, issue_id, internal));
-- An UPDATE that reads no column is not filtered by the SELECT policy, so
-- this one repeats the visibility rule: an author whose issue is out of
-- sight, or who lost the role that wrote an internal note, cannot edit it.
CREATE POLICY comments_edit ON %1$I.comments FOR UPDATE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND author_id = @extschema@.current_user_id()
		   AND @extschema@.comment_readable(tenant_id, issue_id, internal))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND author_id = @extschema@.current_user_id());
-- Like edits, deletes that read no column skip the SELECT policy: the
-- author's branch repeats the visibility rule.
CREATE POLICY comments_remove ON %1$I.comments FOR DELETE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND (@extschema@.current_role() IN ('admin', 'super_admin')
				OR (author_id = @extschema@.current_user_id()
					AND @extschema@.comment_readable(tenant_id, issue_id, internal))));

REVOKE ALL ON ALL TABLES IN SCHEMA %1$I FROM PUBLIC;
GRANT USAGE ON SCHEMA %1$I TO tracker_user, tracker_operator;
GRANT SELECT ON %1$I.users TO tracker_user, tracker_operator;
GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.teams, %1$I.team_members,
	%1$I.issues, %1$I.comments TO tracker_user;
$ddl$, schema);
	RETURN true;
END
$body$;
REVOKE ALL ON FUNCTION @extschema@._create_data_schema(name) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._create_data_schema(name) IS
'Creates a data schema with every tenant table, index, trigger and policy; the one definition of a data schema.';
