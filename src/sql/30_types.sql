-- tracker: the values the tracker speaks
--
-- These are domains over text, not enums: PostgreSQL's enum comparison
-- operators are not LEAKPROOF, so under row-level security a filter such
-- as status = 'open' could not use an index.  text's operators are
-- leakproof, and the CHECK keeps the values to the list.

CREATE DOMAIN @extschema@.tier AS text
	CHECK (VALUE IN ('basic', 'standard', 'premium', 'platinum'));
COMMENT ON DOMAIN @extschema@.tier IS 'Subscription tier: basic, standard, premium or platinum.';

CREATE DOMAIN @extschema@.tenant_status AS text
	CONSTRAINT tenant_status_check CHECK (VALUE IN ('active', 'suspended', 'deleted'));
COMMENT ON DOMAIN @extschema@.tenant_status IS 'Tenant status: active, suspended, or deleted (a tombstone: delete_tenant).';

CREATE DOMAIN @extschema@.member_role AS text
	CHECK (VALUE IN ('user', 'admin', 'super_admin'));
COMMENT ON DOMAIN @extschema@.member_role IS 'Role of a user inside a tenant: user, admin or super_admin.';

CREATE DOMAIN @extschema@.issue_status AS text
	CHECK (VALUE IN ('open', 'in_progress', 'in_review', 'closed'));
COMMENT ON DOMAIN @extschema@.issue_status IS 'Issue workflow status: open, in_progress, in_review or closed.';

CREATE DOMAIN @extschema@.priority AS text
	CHECK (VALUE IN ('low', 'medium', 'high', 'critical'));
COMMENT ON DOMAIN @extschema@.priority IS 'Issue priority: low, medium, high or critical (issues.priority_rank orders them).';

CREATE DOMAIN @extschema@.issue_type AS text
	CHECK (VALUE IN ('bug', 'feature', 'task', 'story'));
COMMENT ON DOMAIN @extschema@.issue_type IS 'Issue type: bug, feature, task or story.';

CREATE DOMAIN @extschema@.team_status AS text
	CHECK (VALUE IN ('active', 'archived'));
COMMENT ON DOMAIN @extschema@.team_status IS 'Team status: active or archived.';

-- Allowed status changes: the table in src/workflow.c, which the issues
-- trigger enforces.  Who may reopen a closed issue is the roles matrix's
-- business (tracker.allowed('reopen a closed issue')).
CREATE FUNCTION @extschema@.status_transition_allowed(from_status text, to_status text)
RETURNS boolean
LANGUAGE C
STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tracker_status_transition_allowed';
COMMENT ON FUNCTION @extschema@.status_transition_allowed(text, text) IS
'The issue workflow: open -> in_progress | closed; in_progress -> open | in_review | closed; in_review -> in_progress | closed; closed -> open (admins only).';
REVOKE ALL ON FUNCTION @extschema@.status_transition_allowed(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.status_transition_allowed(text, text) TO tracker_user, tracker_operator;
