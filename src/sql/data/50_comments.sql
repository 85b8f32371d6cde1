-- tracker data schema: comments on issues

CREATE FUNCTION @extschema@._data_comments_tables(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
CREATE TABLE %1$I.comments (
	tenant_id	uuid NOT NULL DEFAULT @extschema@._context_tenant(),
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
$ddl$, schema);
END
$body$;

CREATE FUNCTION @extschema@._data_comments_rules(schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
	EXECUTE format($ddl$
COMMENT ON TABLE %1$I.comments IS 'Comments on issues, visible with their issue; internal ones only to admins and super admins.';
COMMENT ON COLUMN %1$I.comments.internal IS 'Internal notes: hidden from, and not writable by, plain users.';
COMMENT ON COLUMN %1$I.comments.mentions IS 'Ids of the tenant''s users mentioned.';

CREATE TRIGGER comments_check BEFORE INSERT OR UPDATE OR DELETE ON %1$I.comments
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._check_statement();
CREATE TRIGGER comments_write BEFORE INSERT OR UPDATE ON %1$I.comments
	FOR EACH ROW EXECUTE FUNCTION @extschema@._comments_write();

-- A comment is visible with its issue, and internal notes only to the
-- roles that may read them (tracker.comment_readable(), which reads the
-- issue in C with the statement's snapshot).
ALTER TABLE %1$I.comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE %1$I.comments FORCE ROW LEVEL SECURITY;
CREATE POLICY comments_read ON %1$I.comments FOR SELECT TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND ((@extschema@.allowed('see every issue') AND @extschema@.allowed('read internal comments'))
				OR @extschema@.comment_readable(tenant_id, issue_id, internal)));
CREATE POLICY comments_create ON %1$I.comments FOR INSERT TO tracker_user
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND author_id = @extschema@.current_user_id()
				AND @extschema@.comment_readable(tenant_id, issue_id, internal));
-- An UPDATE that reads no column is not filtered by the SELECT policy, so
-- this one repeats the visibility rule: an author whose issue is out of
-- sight, or who lost the role that wrote an internal note, cannot edit it.
-- Someone else's comment in sight is let through, for the comment trigger
-- to refuse with 42501 (an HTTP client gets 403, not a silent no-op).
CREATE POLICY comments_edit ON %1$I.comments FOR UPDATE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND @extschema@.comment_readable(tenant_id, issue_id, internal))
	WITH CHECK (tenant_id = @extschema@.current_tenant()
				AND author_id = @extschema@.current_user_id());
-- Like edits, deletes that read no column skip the SELECT policy: the
-- author's branch repeats the visibility rule.
CREATE POLICY comments_remove ON %1$I.comments FOR DELETE TO tracker_user
	USING (tenant_id = @extschema@.current_tenant()
		   AND (@extschema@.allowed('delete any comment')
				OR (author_id = @extschema@.current_user_id()
					AND @extschema@.comment_readable(tenant_id, issue_id, internal))));

REVOKE ALL ON %1$I.comments FROM PUBLIC, tracker_user, tracker_operator, tracker_anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON %1$I.comments TO tracker_user;
$ddl$, schema);
END
$body$;

REVOKE ALL ON FUNCTION @extschema@._data_comments_tables(name),
	@extschema@._data_comments_rules(name) FROM PUBLIC;
