--
-- tenancy_random: a seeded random walk through the tenancy rules
--
-- 23 tenants (9 basic, 6 standard and 5 premium in tracker_pool, 3 platinum
-- silos), each with super admins, admins and users, teams with members,
-- issues and comments, all made through the API.  Then 10,000 operations
-- drawn by a seeded PRNG, run as random users of random tenants through the
-- login-less role regress_rand (a member of tracker_user) with each user's
-- token, and some as the operator (this superuser session): reads, issue
-- and comment writes (allowed and forbidden fields, valid and invalid
-- workflow steps, other tenants' ids), deletes, team changes, role changes,
-- deactivations, new users, suspended tenants, and a few plain attacks.
--
-- Before each operation an oracle, written below in plain SQL from the rules
-- and reading the raw tables as the superuser (never through the policies),
-- predicts success with the rows affected or returned, or refusal with the
-- SQLSTATEs of the rules broken (where the rules leave the code open, every
-- plausible one).  The effect of every success is replayed on a shadow copy
-- of all tenant rows.  After every 100 operations the shadow must equal the
-- tables, and every user of every tenant must see exactly the issues and
-- comments the rules allow, all of the tenant's users, teams and members,
-- and not a single row of another tenant in any data schema.  Users whose
-- context an operation may change (team members, roles, deactivations,
-- suspended tenants) are also checked just before it and at the next
-- transaction.  A third of the operations and every other check set the
-- token as a pooler would (SET LOCAL tracker.token and the search_path,
-- verified at first use) instead of calling tracker.authenticate().
-- Every disagreement lands in rr.mismatch with what it takes to debug it.
--
-- Deterministic: all choices come from random() after setseed(), rows are
-- picked in stable orders (issue numbers, subjects, names, creation order),
-- and only counts are printed.  About 25 seconds.
--
CREATE EXTENSION tracker;
SET client_min_messages = warning;
SET synchronous_commit = off;

CREATE ROLE regress_rand NOLOGIN;
GRANT tracker_user TO regress_rand;

\set secret `cat test/keys/test-only-hs256.secret`
SELECT tracker.add_key('regress-rand', 'HS256', :'secret');

-- Everything the test keeps lives in schema rr, owned by the superuser;
-- regress_rand has no access to it (the tokens included).
CREATE SCHEMA rr;
REVOKE ALL ON SCHEMA rr FROM PUBLIC;

CREATE TABLE rr.tenant (
	idx			integer PRIMARY KEY,
	id			uuid NOT NULL UNIQUE,
	slug		text NOT NULL,
	tier		text NOT NULL,
	schema		name NOT NULL,
	prefix		text NOT NULL,
	next_number integer NOT NULL DEFAULT 1
);
CREATE TABLE rr.tok (
	tenant_id	uuid,
	user_id		uuid,
	token		text NOT NULL,
	PRIMARY KEY (tenant_id, user_id)
);
-- creation order of comments (their ids are random)
CREATE TABLE rr.cseq (id uuid PRIMARY KEY, seq bigint NOT NULL);
-- the oracle's copy of every tenant row, normalised as rr.v_norm shows them
CREATE TABLE rr.shadow (
	tbl			text,
	id			uuid,
	tenant_id	uuid NOT NULL,
	val			jsonb NOT NULL,
	last_op		integer,
	PRIMARY KEY (tbl, id)
);
CREATE TABLE rr.log (
	op			integer PRIMARY KEY,
	kind		text NOT NULL,
	who			text NOT NULL,
	sql			text NOT NULL,
	params		jsonb,
	expected	text NOT NULL,
	got			text NOT NULL,
	nrows		bigint,
	either_way	boolean NOT NULL,	-- the rules allow both: no change, or a refusal
	ok			boolean NOT NULL,
	msg			text
);
CREATE TABLE rr.vcheck (
	chk			integer,		-- round (every 100 operations), or
	op			integer,		-- the operation whose users are checked before and after
	tenant_id	uuid,
	user_id		uuid,
	auth		boolean,
	state		text,
	n_issues	integer,
	n_comments	integer,
	foreign_rows bigint,
	ok			boolean
);
CREATE TABLE rr.mismatch (
	n			serial PRIMARY KEY,
	op			integer,
	chk			integer,
	kind		text,
	who			text,
	detail		text
);

--
-- Random choices (never called inside a multi-row query, so the sequence
-- does not depend on plans)
--
CREATE FUNCTION rr.rnd(n integer) RETURNS integer
LANGUAGE sql VOLATILE AS $$ SELECT CASE WHEN n > 0 THEN floor(random() * n)::integer ELSE 0 END $$;

CREATE FUNCTION rr.pick(a uuid[]) RETURNS uuid
LANGUAGE plpgsql AS $$
BEGIN
	IF coalesce(cardinality(a), 0) = 0 THEN
		RETURN NULL;
	END IF;
	RETURN a[1 + rr.rnd(cardinality(a))];
END $$;

CREATE FUNCTION rr.pickt(a text[]) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	RETURN a[1 + rr.rnd(cardinality(a))];
END $$;

-- index 1..n, with the given weights
CREATE FUNCTION rr.roll(w integer[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	k integer := rr.rnd((SELECT sum(x)::integer FROM unnest(w) x));
BEGIN
	FOR i IN 1 .. cardinality(w) LOOP
		IF k < w[i] THEN
			RETURN i;
		END IF;
		k := k - w[i];
	END LOOP;
	RETURN cardinality(w);
END $$;

CREATE FUNCTION rr.priority() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	RETURN CASE WHEN random() < 0.03 THEN 'urgent' ELSE rr.pickt('{low,medium,high,critical}') END;
END $$;
CREATE FUNCTION rr.issue_type() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	RETURN CASE WHEN random() < 0.02 THEN 'epic' ELSE rr.pickt('{bug,feature,task,story}') END;
END $$;
CREATE FUNCTION rr.status() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	RETURN CASE WHEN random() < 0.02 THEN 'done' ELSE rr.pickt('{open,in_progress,in_review,closed}') END;
END $$;
-- mostly a step of the workflow (towards in_review, its least travelled
-- state), otherwise a step it forbids from there
CREATE FUNCTION rr.next_status(cur text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	IF cur IS NULL OR random() < 0.1 THEN
		RETURN rr.status();
	ELSIF cur = 'in_progress' THEN
		RETURN CASE WHEN random() < 0.6 THEN 'in_review' ELSE rr.pickt('{open,closed,done}') END;
	ELSIF random() < 0.5 THEN
		RETURN rr.pickt(CASE cur WHEN 'open' THEN '{in_progress,closed}'::text[]
						WHEN 'in_review' THEN '{in_progress,closed}' ELSE '{open}' END);
	END IF;
	RETURN rr.pickt(CASE cur WHEN 'open' THEN '{in_review}'::text[] WHEN 'in_review' THEN '{open}'
					ELSE '{in_progress,in_review}' END);
END $$;
CREATE FUNCTION rr.hours() RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
	RETURN CASE WHEN random() < 0.03 THEN -1 ELSE round(rr.rnd(400) / 10.0, 1) END;
END $$;
CREATE FUNCTION rr.points() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
	RETURN CASE WHEN random() < 0.03 THEN 5000 ELSE rr.rnd(21) END;
END $$;
CREATE FUNCTION rr.due_date() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	RETURN to_char(date '2030-01-01' + rr.rnd(365), 'YYYY-MM-DD');
END $$;
CREATE FUNCTION rr.labels() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	l text[] := '{}';
BEGIN
	FOR i IN 1 .. rr.rnd(4) LOOP
		l := l || rr.pickt('{ui,backend,perf,security,docs}');
	END LOOP;
	RETURN to_jsonb(l);
END $$;

--
-- Running a statement as a tenant user (SET ROLE regress_rand, then the
-- user's token, transaction-local) or as the operator.  flavor: 'ids' (the
-- statement returns one uuid[]), 'val' (one value), 'dml' (row count).
-- The token is made the context by tracker.authenticate(), or (lazy) just
-- set, as a pooler would, with the search_path: verified at first use.
--
CREATE FUNCTION rr.exec_user(token text, stmt text, params jsonb, flavor text,
	lazy boolean DEFAULT false, schema name DEFAULT NULL,
	OUT state text, OUT nrows bigint, OUT ids uuid[], OUT val text, OUT msg text)
LANGUAGE plpgsql AS $$
DECLARE
	path text := current_setting('search_path');
	outer_token text := current_setting('tracker.token', true);
BEGIN
	state := '00000';
	BEGIN
		EXECUTE 'SET ROLE regress_rand';
		IF token IS NOT NULL AND lazy THEN
			PERFORM set_config('tracker.token', token, true);
			PERFORM set_config('search_path', quote_ident(schema) || ', public', true);
		ELSIF token IS NOT NULL THEN
			PERFORM tracker.authenticate(token, true);
		ELSE
			PERFORM set_config('tracker.token', '', true);		-- no context at all
		END IF;
		IF flavor = 'ids' THEN
			EXECUTE stmt INTO ids USING params;
			nrows := coalesce(cardinality(ids), 0);
		ELSIF flavor = 'val' THEN
			EXECUTE stmt INTO val USING params;
			nrows := 1;
		ELSE
			EXECUTE stmt USING params;
			GET DIAGNOSTICS nrows = ROW_COUNT;
		END IF;
		EXECUTE 'RESET ROLE';
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
		nrows := NULL;
		ids := NULL;
		val := NULL;
	END;
	EXECUTE 'RESET ROLE';
	PERFORM set_config('search_path', path, true);
	PERFORM set_config('tracker.token', coalesce(outer_token, ''), true);
END $$;

CREATE FUNCTION rr.exec_operator(stmt text, params jsonb, flavor text,
	OUT state text, OUT nrows bigint, OUT ids uuid[], OUT val text, OUT msg text)
LANGUAGE plpgsql AS $$
BEGIN
	state := '00000';
	BEGIN
		IF flavor = 'val' THEN
			EXECUTE stmt INTO val USING params;
			nrows := 1;
		ELSE
			EXECUTE stmt USING params;
			GET DIAGNOSTICS nrows = ROW_COUNT;
		END IF;
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
		nrows := NULL;
		val := NULL;
	END;
END $$;

-- One view per table over every data schema, for the oracle (superuser:
-- row-level security does not apply to it).
CREATE FUNCTION rr.build_views() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	tbl text;
	body text;
BEGIN
	FOREACH tbl IN ARRAY ARRAY['users', 'teams', 'team_members', 'issues', 'comments', 'issue_counters'] LOOP
		SELECT string_agg(format('SELECT * FROM %I.%I', s, tbl), ' UNION ALL ' ORDER BY s) INTO body
		FROM (SELECT DISTINCT data_schema::text AS s FROM tracker.tenants) x;
		EXECUTE format('CREATE VIEW rr.%I AS %s', 'v_' || tbl, body);
	END LOOP;
END $$;

--
-- Tenants and users (as the operator), and a token for every user
--
DO $$
DECLARE
	tier text;
	slug text;
	tid uuid;
	n_sa integer;
	n_ad integer;
	n_us integer;
BEGIN
	PERFORM setseed(0.2718);
	FOR i IN 1 .. 23 LOOP
		tier := CASE WHEN i <= 9 THEN 'basic' WHEN i <= 15 THEN 'standard'
					 WHEN i <= 20 THEN 'premium' ELSE 'platinum' END;
		-- most pooled tenants share a key prefix (BTEN, STEN, PTEN): keys collide
		slug := CASE tier WHEN 'platinum' THEN 'plat-' ELSE left(tier, 1) || '-tenant-' END
				|| to_char(i, 'FM00');
		tid := tracker.create_tenant(slug, 'Tenant ' || i, tier,
									 CASE i WHEN 5 THEN 'FIVE' WHEN 12 THEN 'BTEN' END,
									 md5('regress-rand-tenant-' || i)::uuid);
		-- this test makes thousands of requests a second, which the tiers'
		-- rate limits would refuse (sql/usage.sql tests those): no limits
		PERFORM tracker.set_tenant_limit(tid, l, NULL)
		FROM unnest('{request_burst, requests_per_second, api_calls_per_month}'::text[]) l;
		-- (silos get random names; these are named, to show them)
		IF tier = 'platinum' THEN
			PERFORM tracker.rename_silo(tid, 'tenant_' || replace(slug, '-', '_'));
		END IF;
		INSERT INTO rr.tenant (idx, id, slug, tier, schema, prefix)
		SELECT i, t.id, t.slug, t.tier, t.data_schema, t.key_prefix FROM tracker.tenants t WHERE t.id = tid;
		SELECT x[1], x[2], x[3] INTO n_sa, n_ad, n_us
		FROM (SELECT CASE tier WHEN 'basic' THEN '{1,1,3}'::integer[] WHEN 'standard' THEN '{1,2,6}'
							   WHEN 'premium' THEN '{2,3,9}' ELSE '{1,2,8}' END) AS c(x);
		-- the same subjects in every tenant: only the token's tenant tells them apart
		FOR j IN 1 .. n_sa LOOP
			PERFORM tracker.add_user(tid, 'sa' || j, 'sa' || j || '@' || slug || '.example', 'super_admin');
		END LOOP;
		FOR j IN 1 .. n_ad LOOP
			PERFORM tracker.add_user(tid, 'ad' || j, 'ad' || j || '@' || slug || '.example', 'admin');
		END LOOP;
		FOR j IN 1 .. n_us LOOP
			PERFORM tracker.add_user(tid, 'us' || j, 'us' || j || '@' || slug || '.example', 'user');
		END LOOP;
	END LOOP;
	-- one platinum tenant with a limit, the others unlimited
	PERFORM tracker.set_tenant_limits(md5('regress-rand-tenant-22')::uuid, 12, NULL);
	PERFORM rr.build_views();
	INSERT INTO rr.tok
	SELECT u.tenant_id, u.id,
		   tracker.sign_token(jsonb_build_object('sub', u.subject, 'tenant_id', u.tenant_id), 'regress-rand')
	FROM rr.v_users u;
END $$;

SELECT tier, count(DISTINCT t.idx) AS tenants, count(*) AS users,
	   count(*) FILTER (WHERE u.role = 'super_admin') AS super_admins,
	   count(*) FILTER (WHERE u.role = 'admin') AS admins,
	   count(*) FILTER (WHERE u.role = 'user') AS plain_users,
	   string_agg(DISTINCT t.schema, ', ') AS schemas
FROM rr.tenant t JOIN rr.v_users u ON u.tenant_id = t.id
GROUP BY tier ORDER BY min(t.idx);

--
-- The oracle: the tenancy rules (docs/tenancy.md, SPEC section 4), in SQL
--
CREATE TYPE rr.actor AS (
	tenant		uuid,
	tidx		integer,
	slug		text,
	schema		name,
	uid			uuid,
	subject		text,
	role		text,
	active		boolean,
	tstatus		text,
	auth		boolean,		-- may log in: tenant active and user active
	adm			boolean,		-- admin or super_admin
	teams		uuid[],
	token		text
);

-- A token for every user that has none yet (users the operator or a super
-- admin added; also any a faulty add_user made behind the oracle's back)
CREATE FUNCTION rr.sign_missing() RETURNS void
LANGUAGE sql AS $$
	INSERT INTO rr.tok
	SELECT u.tenant_id, u.id,
		   tracker.sign_token(jsonb_build_object('sub', u.subject, 'tenant_id', u.tenant_id), 'regress-rand')
	FROM rr.v_users u
	WHERE NOT EXISTS (SELECT 1 FROM rr.tok k WHERE k.tenant_id = u.tenant_id AND k.user_id = u.id)
$$;

CREATE FUNCTION rr.get_actor(t uuid, u uuid) RETURNS rr.actor
LANGUAGE plpgsql AS $$
DECLARE
	a rr.actor;
BEGIN
	PERFORM rr.sign_missing() WHERE NOT EXISTS (SELECT 1 FROM rr.tok k WHERE k.tenant_id = t AND k.user_id = u);
	SELECT tn.id, r.idx, r.slug, tn.data_schema, us.id, us.subject, us.role::text, us.active,
		   tn.status::text, tn.status = 'active' AND us.active, us.role IN ('admin', 'super_admin'),
		   ARRAY(SELECT tm.team_id FROM rr.v_team_members tm
				 WHERE tm.tenant_id = t AND tm.user_id = u ORDER BY tm.team_id),
		   k.token
	INTO a
	FROM tracker.tenants tn
	JOIN rr.tenant r ON r.id = tn.id
	JOIN rr.v_users us ON us.tenant_id = tn.id AND us.id = u
	JOIN rr.tok k ON k.tenant_id = tn.id AND k.user_id = u
	WHERE tn.id = t;
	IF a.uid IS NULL THEN
		RAISE EXCEPTION 'no user % in tenant %', u, t;
	END IF;
	RETURN a;
END $$;

-- Issues: a user sees those they reported, are assigned or whose team they
-- belong to; admins and super admins all of the tenant's.
CREATE FUNCTION rr.iv2(a rr.actor, i_tenant uuid, reporter uuid, assignee uuid, team uuid)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(i_tenant = a.tenant
					AND (a.adm OR reporter = a.uid OR coalesce(assignee = a.uid, false)
						 OR coalesce(team = ANY (a.teams), false)), false)
$$;
CREATE FUNCTION rr.iv(a rr.actor, r jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT rr.iv2(a, (r->>'tenant_id')::uuid, (r->>'reporter_id')::uuid,
				  (r->>'assignee_id')::uuid, (r->>'team_id')::uuid)
$$;
-- Comments: visible with their issue; internal ones only to admins.
CREATE FUNCTION rr.cv(a rr.actor, c jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce((c->>'tenant_id')::uuid = a.tenant
					AND (NOT (c->>'internal')::boolean OR a.adm)
					AND rr.iv(a, c->'issue'), false)
$$;

-- The workflow: open -> in_progress | closed; in_progress -> open |
-- in_review | closed; in_review -> in_progress | closed; closed -> open.
CREATE FUNCTION rr.o_transition(f text, t text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT f = t OR (f = 'open' AND t IN ('in_progress', 'closed'))
		OR (f = 'in_progress' AND t IN ('open', 'in_review', 'closed'))
		OR (f = 'in_review' AND t IN ('in_progress', 'closed'))
		OR (f = 'closed' AND t = 'open')
$$;

-- Rows as the shadow keeps them: every column a rule or an operation can
-- touch; times reduced to what the rules say about them.
CREATE FUNCTION rr.jn_issue(i rr.v_issues) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object(
		'number', i.number, 'key', i.key, 'title', i.title, 'description', i.description,
		'status', i.status, 'priority', i.priority, 'issue_type', i.issue_type,
		'reporter_id', i.reporter_id, 'assignee_id', i.assignee_id, 'team_id', i.team_id,
		'due_date', i.due_date, 'labels', to_jsonb(i.labels), 'estimated_hours', i.estimated_hours,
		'story_points', i.story_points,
		'closed', i.closed_at IS NOT NULL,
		'sane', i.priority_rank = CASE i.priority::text WHEN 'low' THEN 1 WHEN 'medium' THEN 2
								  WHEN 'high' THEN 3 WHEN 'critical' THEN 4 END
				AND i.created_at > '2001-01-01' AND i.updated_at >= i.created_at
				AND (i.closed_at IS NULL OR i.closed_at >= i.created_at))
$$;
CREATE FUNCTION rr.jn_comment(c rr.v_comments) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object(
		'issue_id', c.issue_id, 'author_id', c.author_id, 'content', c.content,
		'internal', c.internal, 'mentions', to_jsonb(c.mentions),
		'edited', c.edited_at IS NOT NULL,
		'sane', c.created_at > '2001-01-01' AND (c.edited_at IS NULL OR c.edited_at >= c.created_at))
$$;

CREATE VIEW rr.v_norm AS
	SELECT 'issue'::text AS tbl, i.id, i.tenant_id, rr.jn_issue(i) AS val FROM rr.v_issues i
	UNION ALL
	SELECT 'comment', c.id, c.tenant_id, rr.jn_comment(c) FROM rr.v_comments c
	UNION ALL
	SELECT 'user', u.id, u.tenant_id,
		   jsonb_build_object('subject', u.subject, 'email', u.email, 'role', u.role, 'active', u.active)
	FROM rr.v_users u
	UNION ALL
	SELECT 'team', t.id, t.tenant_id,
		   jsonb_build_object('name', t.name, 'description', t.description, 'status', t.status,
							  'lead_id', t.lead_id)
	FROM rr.v_teams t
	UNION ALL
	SELECT 'member', md5(m.team_id::text || m.user_id::text)::uuid, m.tenant_id,
		   jsonb_build_object('team_id', m.team_id, 'user_id', m.user_id)
	FROM rr.v_team_members m
	UNION ALL
	SELECT 'counter', c.tenant_id, c.tenant_id, jsonb_build_object('last_number', c.last_number)
	FROM rr.v_issue_counters c
	UNION ALL
	SELECT 'tenant', t.id, t.id, jsonb_build_object('status', t.status, 'max_users', t.max_users)
	FROM tracker.tenants t;

-- One raw issue or comment (with its issue), as jsonb with id and tenant_id
CREATE FUNCTION rr.issue_row(t uuid, i_id uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT rr.jn_issue(i) || jsonb_build_object('id', i.id, 'tenant_id', i.tenant_id)
	FROM rr.v_issues i WHERE i.tenant_id = t AND i.id = i_id
$$;
CREATE FUNCTION rr.comment_row(t uuid, c_id uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT rr.jn_comment(c) || jsonb_build_object('id', c.id, 'tenant_id', c.tenant_id,
												 'issue', rr.issue_row(c.tenant_id, c.issue_id))
	FROM rr.v_comments c WHERE c.tenant_id = t AND c.id = c_id
$$;

CREATE FUNCTION rr.is_user_of(t uuid, u uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM rr.v_users x WHERE x.tenant_id = t AND x.id = u) $$;
CREATE FUNCTION rr.is_team_of(t uuid, tm uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM rr.v_teams x WHERE x.tenant_id = t AND x.id = tm) $$;
CREATE FUNCTION rr.active_users(t uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT count(*) FROM rr.v_users x WHERE x.tenant_id = t AND x.active $$;
CREATE FUNCTION rr.max_users(t uuid) RETURNS integer
LANGUAGE sql STABLE AS $$ SELECT max_users FROM tracker.tenants WHERE id = t $$;
-- the tier defaults of the brief
CREATE FUNCTION rr.tier_max_users(tier text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE tier WHEN 'basic' THEN 5 WHEN 'standard' THEN 10 WHEN 'premium' THEN 25 END
$$;

-- The issues and comments a user may see, as sorted id arrays
CREATE FUNCTION rr.o_issues(a rr.actor) RETURNS uuid[]
LANGUAGE sql STABLE AS $$
	SELECT coalesce(array_agg(i.id ORDER BY i.id), '{}') FROM rr.v_issues i
	WHERE i.tenant_id = a.tenant AND rr.iv2(a, i.tenant_id, i.reporter_id, i.assignee_id, i.team_id)
$$;
-- a tenant's comments with what the rules say about each for this user
CREATE FUNCTION rr.o_comments(a rr.actor)
RETURNS TABLE (id uuid, issue_id uuid, author_id uuid, vis boolean)
LANGUAGE sql STABLE AS $$
	SELECT c.id, c.issue_id, c.author_id,
		   (NOT c.internal OR a.adm) AND rr.iv2(a, i.tenant_id, i.reporter_id, i.assignee_id, i.team_id)
	FROM rr.v_comments c JOIN rr.v_issues i ON i.tenant_id = c.tenant_id AND i.id = c.issue_id
	WHERE c.tenant_id = a.tenant
$$;

-- Values of an issue that any writer must respect: domains, checks and
-- same-tenant references.
CREATE FUNCTION rr.o_issue_values(a rr.actor, f jsonb) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
	codes text[] := '{}';
BEGIN
	IF f ? 'title' AND length(btrim(coalesce(f->>'title', ''))) = 0 THEN
		codes := codes || '23514'::text;
	END IF;
	IF f ? 'priority' AND (f->>'priority') NOT IN ('low', 'medium', 'high', 'critical') THEN
		codes := codes || '23514'::text;
	END IF;
	IF f ? 'issue_type' AND (f->>'issue_type') NOT IN ('bug', 'feature', 'task', 'story') THEN
		codes := codes || '23514'::text;
	END IF;
	IF f ? 'estimated_hours' AND (f->>'estimated_hours')::numeric < 0 THEN
		codes := codes || '23514'::text;
	END IF;
	IF f ? 'story_points' AND (f->>'story_points')::integer NOT BETWEEN 0 AND 1000 THEN
		codes := codes || '23514'::text;
	END IF;
	IF f->>'assignee_id' IS NOT NULL AND NOT rr.is_user_of(a.tenant, (f->>'assignee_id')::uuid) THEN
		codes := codes || '23503'::text;
	END IF;
	IF f->>'team_id' IS NOT NULL AND NOT rr.is_team_of(a.tenant, (f->>'team_id')::uuid) THEN
		codes := codes || '23503'::text;
	END IF;
	RETURN codes;
END $$;

-- Creating an issue with the given columns
CREATE FUNCTION rr.o_issue_new(a rr.actor, f jsonb) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
	codes text[] := rr.o_issue_values(a, f);
BEGIN
	IF f->>'tenant_id' IS NOT NULL AND (f->>'tenant_id')::uuid <> a.tenant THEN
		codes := codes || '42501'::text;
	END IF;
	IF f->>'reporter_id' IS NOT NULL AND (f->>'reporter_id')::uuid <> a.uid THEN
		codes := codes || '42501'::text;
	END IF;
	IF f ? 'status' AND coalesce(f->>'status', '') <> 'open' THEN
		codes := codes || '23514'::text;
	END IF;
	IF NOT a.adm AND f->>'team_id' IS NOT NULL THEN
		codes := codes || '42501'::text;
	END IF;
	IF NOT a.adm AND f->>'assignee_id' IS NOT NULL AND (f->>'assignee_id')::uuid <> a.uid THEN
		codes := codes || '42501'::text;
	END IF;
	RETURN codes;
END $$;

-- Changing a visible issue r (raw row) with the given columns (keys that
-- start with _ are not columns)
CREATE FUNCTION rr.o_issue_change(a rr.actor, r jsonb, f jsonb) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
	codes text[] := rr.o_issue_values(a, f);
	k text;
	st_old text := r->>'status';
	st_new text;
BEGIN
	FOR k IN SELECT jsonb_object_keys(f) LOOP
		CONTINUE WHEN left(k, 1) = '_';
		IF k IN ('tenant_id', 'id', 'number', 'key', 'reporter_id', 'created_at') THEN
			-- never change (created_at is not in r: a client value is never the stored one)
			IF k = 'created_at' OR (f->k) IS DISTINCT FROM (r->k) THEN
				codes := codes || '42501'::text;
			END IF;
		ELSIF NOT a.adm AND k NOT IN ('status', 'description', 'estimated_hours')
			  AND (f->k) IS DISTINCT FROM (r->k) THEN
			codes := codes || '42501'::text;
		END IF;
	END LOOP;
	IF NOT a.adm AND (r->>'assignee_id') IS DISTINCT FROM a.uid::text THEN
		codes := codes || '42501'::text;
	END IF;
	IF f ? 'status' THEN
		st_new := f->>'status';
		IF st_new IS NULL OR st_new NOT IN ('open', 'in_progress', 'in_review', 'closed') THEN
			codes := codes || '23514'::text;
		ELSIF NOT rr.o_transition(st_old, st_new) THEN
			codes := codes || '23514'::text;
		ELSIF st_old = 'closed' AND st_new = 'open' AND NOT a.adm THEN
			codes := codes || '42501'::text;
		END IF;
	END IF;
	RETURN codes;
END $$;

-- A comment's content and mentions
CREATE FUNCTION rr.o_comment_values(a rr.actor, f jsonb) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
	codes text[] := '{}';
BEGIN
	IF f ? 'content' AND length(btrim(coalesce(f->>'content', ''))) = 0 THEN
		codes := codes || '23514'::text;
	END IF;
	IF f ? 'mentions' AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(f->'mentions') AS m(v)
								  WHERE NOT rr.is_user_of(a.tenant, m.v::uuid)) THEN
		codes := codes || '23503'::text;
	END IF;
	RETURN codes;
END $$;

--
-- Picking actors and targets (stable orders, so the walk is repeatable)
--
CREATE FUNCTION rr.other_tenant(a rr.actor) RETURNS rr.tenant
LANGUAGE plpgsql AS $$
DECLARE
	k integer := 1 + rr.rnd(22);
	t rr.tenant;
BEGIN
	IF k >= a.tidx THEN
		k := k + 1;
	END IF;
	SELECT * INTO t FROM rr.tenant WHERE idx = k;
	RETURN t;
END $$;

CREATE FUNCTION rr.random_tenant() RETURNS rr.tenant
LANGUAGE plpgsql AS $$
DECLARE
	k integer := 1 + rr.rnd(23);
	t rr.tenant;
BEGIN
	SELECT * INTO t FROM rr.tenant WHERE idx = k;
	RETURN t;
END $$;

-- mode: any | admin | sa | user (which roles are preferred, and how much)
-- | author: plain users who wrote comments, preferably comments they can no
-- longer see (internal notes from before a demotion, comments on issues out
-- of their sight): the edge of "only the author" against "visible with".
CREATE FUNCTION rr.pick_actor(mode text) RETURNS rr.actor
LANGUAGE plpgsql AS $$
DECLARE
	t rr.tenant := rr.random_tenant();
	roles text[] := CASE mode WHEN 'any' THEN '{admin,super_admin}' WHEN 'admin' THEN '{admin,super_admin}'
						 WHEN 'sa' THEN '{super_admin}' ELSE '{user}' END;
	p float8 := CASE mode WHEN 'any' THEN 0.35 WHEN 'admin' THEN 0.7 WHEN 'sa' THEN 0.75 ELSE 0.9 END;
	pref uuid[];
	u uuid;
	blind text[];
BEGIN
	IF mode = 'author' AND random() < 0.6 THEN
		-- in any tenant
		blind := ARRAY(SELECT us.tenant_id || '/' || us.id FROM rr.v_users us JOIN rr.tenant r ON r.id = us.tenant_id
					   WHERE us.role = 'user'
					   AND EXISTS (SELECT 1 FROM rr.v_comments c JOIN rr.v_issues i
								   ON i.tenant_id = c.tenant_id AND i.id = c.issue_id
								   WHERE c.tenant_id = us.tenant_id AND c.author_id = us.id
								   AND (c.internal OR NOT (i.reporter_id = us.id
										OR coalesce(i.assignee_id = us.id, false)
										OR coalesce(i.team_id IN (SELECT tm.team_id FROM rr.v_team_members tm
																  WHERE tm.tenant_id = us.tenant_id
																  AND tm.user_id = us.id), false))))
					   ORDER BY r.idx, us.subject);
		IF cardinality(blind) > 0 THEN
			u := split_part(rr.pickt(blind), '/', 2)::uuid;
			RETURN rr.get_actor((SELECT x.tenant_id FROM rr.v_users x WHERE x.id = u), u);
		END IF;
	END IF;
	IF mode = 'author' THEN
		pref := ARRAY(SELECT us.id FROM rr.v_users us WHERE us.tenant_id = t.id AND us.role = 'user'
					  AND EXISTS (SELECT 1 FROM rr.v_comments c WHERE c.tenant_id = t.id AND c.author_id = us.id)
					  ORDER BY us.subject);
	ELSIF mode <> 'author' THEN
		pref := ARRAY(SELECT us.id FROM rr.v_users us WHERE us.tenant_id = t.id AND us.role = ANY (roles)
					  ORDER BY us.subject);
	END IF;
	IF cardinality(pref) > 0 AND random() < p THEN
		u := rr.pick(pref);
	ELSE
		u := rr.pick(ARRAY(SELECT x.id FROM rr.v_users x WHERE x.tenant_id = t.id ORDER BY x.subject));
	END IF;
	RETURN rr.get_actor(t.id, u);
END $$;

-- own (any user of the actor's tenant), other (not the actor), for(eign), none
CREATE FUNCTION rr.pick_user(a rr.actor, mode text, op integer) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
	t rr.tenant;
	u uuid;
BEGIN
	IF mode = 'for' THEN
		t := rr.other_tenant(a);
		u := rr.pick(ARRAY(SELECT x.id FROM rr.v_users x WHERE x.tenant_id = t.id ORDER BY x.subject));
	ELSIF mode = 'none' THEN
		u := md5('no-user-' || op)::uuid;
	ELSE
		u := rr.pick(ARRAY(SELECT x.id FROM rr.v_users x WHERE x.tenant_id = a.tenant
						   AND (mode = 'own' OR x.id <> a.uid) ORDER BY x.subject));
	END IF;
	RETURN coalesce(u, md5('no-user-' || op)::uuid);
END $$;

CREATE FUNCTION rr.pick_team(a rr.actor, mode text, op integer) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
	t uuid := a.tenant;
	u uuid;
BEGIN
	IF mode = 'for' THEN
		t := (rr.other_tenant(a)).id;
	END IF;
	IF mode <> 'none' THEN
		u := rr.pick(ARRAY(SELECT x.id FROM rr.v_teams x WHERE x.tenant_id = t ORDER BY x.name));
	END IF;
	RETURN coalesce(u, md5('no-team-' || op)::uuid);
END $$;

-- w: weights of visible, assigned, own tenant, foreign, nonexistent, and
-- (optionally) visible and no longer open; the raw row as jsonb (just
-- {"id": ...} for a nonexistent one)
CREATE FUNCTION rr.pick_issue(a rr.actor, op integer, w integer[]) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	k integer := rr.roll(w);
	t uuid := a.tenant;
	ids uuid[];
	i_id uuid;
	st text;
BEGIN
	IF k = 1 THEN
		ids := ARRAY(SELECT i.id FROM rr.v_issues i WHERE i.tenant_id = t
					 AND rr.iv2(a, i.tenant_id, i.reporter_id, i.assignee_id, i.team_id) ORDER BY i.number);
	ELSIF k = 2 THEN
		ids := ARRAY(SELECT i.id FROM rr.v_issues i WHERE i.tenant_id = t AND i.assignee_id = a.uid
					 ORDER BY i.number);
	ELSIF k = 4 THEN
		t := (rr.other_tenant(a)).id;
	ELSIF k = 6 THEN
		-- the rarer states of the workflow: one of them first, then an issue in it
		st := rr.pickt('{in_progress,in_review,closed}');
		ids := ARRAY(SELECT i.id FROM rr.v_issues i WHERE i.tenant_id = t AND i.status = st
					 AND rr.iv2(a, i.tenant_id, i.reporter_id, i.assignee_id, i.team_id) ORDER BY i.number);
		IF cardinality(ids) = 0 THEN
			ids := ARRAY(SELECT i.id FROM rr.v_issues i WHERE i.tenant_id = t AND i.status <> 'open'
						 AND rr.iv2(a, i.tenant_id, i.reporter_id, i.assignee_id, i.team_id) ORDER BY i.number);
		END IF;
	END IF;
	IF k IN (3, 4) OR (k IN (1, 2, 6) AND cardinality(ids) = 0) THEN
		ids := ARRAY(SELECT i.id FROM rr.v_issues i WHERE i.tenant_id = t ORDER BY i.number);
	END IF;
	i_id := CASE WHEN k <> 5 THEN rr.pick(ids) END;
	IF i_id IS NULL THEN
		RETURN jsonb_build_object('id', md5('no-issue-' || op)::uuid);
	END IF;
	RETURN rr.issue_row(t, i_id);
END $$;

-- w: weights of visible, authored by the actor, own tenant, foreign, nonexistent
CREATE FUNCTION rr.pick_comment(a rr.actor, op integer, w integer[]) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	k integer := rr.roll(w);
	t uuid := a.tenant;
	ids uuid[];
	c_id uuid;
BEGIN
	IF k = 1 THEN
		ids := ARRAY(SELECT c.id FROM rr.o_comments(a) c JOIN rr.cseq q ON q.id = c.id
					 WHERE c.vis ORDER BY q.seq);
	ELSIF k = 2 THEN
		ids := ARRAY(SELECT c.id FROM rr.v_comments c JOIN rr.cseq q ON q.id = c.id
					 WHERE c.tenant_id = t AND c.author_id = a.uid ORDER BY q.seq);
	ELSIF k = 4 THEN
		t := (rr.other_tenant(a)).id;
	END IF;
	IF k IN (3, 4) OR (k IN (1, 2) AND cardinality(ids) = 0) THEN
		ids := ARRAY(SELECT c.id FROM rr.v_comments c JOIN rr.cseq q ON q.id = c.id
					 WHERE c.tenant_id = t ORDER BY q.seq);
	END IF;
	c_id := CASE WHEN k <> 5 THEN rr.pick(ids) END;
	IF c_id IS NULL THEN
		RETURN jsonb_build_object('id', md5('no-comment-' || op)::uuid);
	END IF;
	RETURN rr.comment_row(t, c_id);
END $$;

--
-- Statements from a jsonb of columns: $1->>'col', cast to the column's type
--
CREATE FUNCTION rr.expr(col text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
		WHEN col IN ('tenant_id', 'reporter_id', 'assignee_id', 'team_id', 'issue_id', 'author_id', 'lead_id')
			THEN format('($1->>%L)::uuid', col)
		WHEN col = 'due_date' THEN '($1->>''due_date'')::date'
		WHEN col = 'estimated_hours' THEN '($1->>''estimated_hours'')::numeric'
		WHEN col IN ('story_points', 'number') THEN format('($1->>%L)::integer', col)
		WHEN col = 'created_at' THEN '($1->>''created_at'')::timestamptz'
		WHEN col = 'internal' THEN '($1->>''internal'')::boolean'
		WHEN col = 'labels' THEN 'ARRAY(SELECT jsonb_array_elements_text($1->''labels''))'
		WHEN col = 'mentions' THEN 'ARRAY(SELECT jsonb_array_elements_text($1->''mentions''))::uuid[]'
		ELSE format('($1->>%L)', col)
	END
$$;
CREATE FUNCTION rr.insert_sql(tbl text, f jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT format('INSERT INTO %s (%s) VALUES (%s)', tbl,
				  string_agg(quote_ident(k), ', ' ORDER BY k), string_agg(rr.expr(k), ', ' ORDER BY k))
	FROM jsonb_object_keys(f) k WHERE left(k, 1) <> '_'
$$;
CREATE FUNCTION rr.update_sql(tbl text, f jsonb, cond text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT format('UPDATE %s SET %s%s', tbl,
				  string_agg(quote_ident(k) || ' = ' || rr.expr(k), ', ' ORDER BY k),
				  CASE WHEN cond IS NOT NULL THEN ' WHERE ' || cond ELSE '' END)
	FROM jsonb_object_keys(f) k WHERE left(k, 1) <> '_'
$$;
-- the columns of f (keys without a leading _)
CREATE FUNCTION rr.cols(f jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(jsonb_object_agg(k, v), '{}') FROM jsonb_each(f) e(k, v) WHERE left(k, 1) <> '_'
$$;
CREATE FUNCTION rr.jids(ids uuid[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(to_jsonb(ids), '[]') $$;

--
-- A planned operation: the statement and the oracle's prediction
--
CREATE TYPE rr.plan AS (
	kind		text,
	stmt		text,
	params		jsonb,
	flavor		text,		-- ids | val | dml
	operator	boolean,	-- run as the operator, not as the actor
	ok			boolean,	-- success allowed
	nrows		bigint,		-- on success: rows affected (NULL: not checked)
	codes		text[],		-- refusal allowed with these SQLSTATEs
	ids			uuid[],		-- on success: the ids returned (sorted)
	val			text,		-- on success: the value returned
	effect		jsonb,		-- on success: the change, for the shadow
	watch		uuid[]		-- users whose context the operation may change
);

CREATE FUNCTION rr.refuse(p rr.plan, codes text[]) RETURNS rr.plan
LANGUAGE plpgsql AS $$
BEGIN
	p.ok := false;
	p.codes := ARRAY(SELECT DISTINCT c FROM unnest(codes) c ORDER BY c);
	RETURN p;
END $$;
CREATE FUNCTION rr.succeed(p rr.plan, nrows bigint, effect jsonb) RETURNS rr.plan
LANGUAGE plpgsql AS $$
BEGIN
	p.ok := true;
	p.nrows := nrows;
	p.effect := effect;
	RETURN p;
END $$;

--
-- Reads
--
CREATE FUNCTION rr.gen_read(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	r jsonb;
	s text;
	tbl text;
	agg constant text := 'SELECT coalesce(array_agg(x ORDER BY x), ''{}'') FROM (%s) s';
BEGIN
	p.flavor := 'ids';
	p.params := '{}';
	CASE rr.roll('{40,25,30,20,10,10,10,5,5,15}')
	WHEN 1 THEN
		p.kind := 'read issues';
		p.stmt := format(agg, 'SELECT id AS x FROM issues');
		p.ids := rr.o_issues(a);
	WHEN 2 THEN
		-- keys collide across tenants (BTEN-3 is in several): only the own one, if visible
		p.kind := 'read issue by key';
		r := rr.pick_issue(a, op, '{0,0,40,50,10}');
		p.params := jsonb_build_object('key', coalesce(r->>'key', 'NONE-1'));
		p.stmt := format(agg, 'SELECT id AS x FROM issues WHERE key = ($1->>''key'')');
		p.ids := ARRAY(SELECT i.id FROM rr.v_issues i WHERE i.tenant_id = a.tenant
					   AND i.key = p.params->>'key'
					   AND rr.iv2(a, i.tenant_id, i.reporter_id, i.assignee_id, i.team_id) ORDER BY i.id);
	WHEN 3 THEN
		p.kind := 'read comments';
		p.stmt := format(agg, 'SELECT id AS x FROM comments');
		p.ids := ARRAY(SELECT c.id FROM rr.o_comments(a) c WHERE c.vis ORDER BY c.id);
	WHEN 4 THEN
		p.kind := 'read comments of issue';
		r := rr.pick_issue(a, op, '{50,0,25,20,5}');
		p.params := jsonb_build_object('issue', r->>'id');
		p.stmt := format(agg, 'SELECT id AS x FROM comments WHERE issue_id = ($1->>''issue'')::uuid');
		p.ids := ARRAY(SELECT c.id FROM rr.o_comments(a) c WHERE c.vis AND c.issue_id = (r->>'id')::uuid
					   ORDER BY c.id);
	WHEN 5 THEN
		p.kind := 'read users';
		p.stmt := format(agg, 'SELECT id AS x FROM users');
		p.ids := ARRAY(SELECT u.id FROM rr.v_users u WHERE u.tenant_id = a.tenant ORDER BY u.id);
	WHEN 6 THEN
		p.kind := 'read teams';
		p.stmt := format(agg, 'SELECT id AS x FROM teams');
		p.ids := ARRAY(SELECT t.id FROM rr.v_teams t WHERE t.tenant_id = a.tenant ORDER BY t.id);
	WHEN 7 THEN
		p.kind := 'read team members';
		p.stmt := format(agg, 'SELECT md5(team_id::text || user_id::text)::uuid AS x FROM team_members');
		p.ids := ARRAY(SELECT md5(m.team_id::text || m.user_id::text)::uuid AS x
					   FROM rr.v_team_members m WHERE m.tenant_id = a.tenant ORDER BY x);
	WHEN 8 THEN
		p.kind := 'read tenants';
		p.stmt := format(agg, 'SELECT id AS x FROM tracker.tenants');
		p.ids := ARRAY[a.tenant];
	WHEN 9 THEN
		p.kind := 'read issue counters';
		p.stmt := format(agg, 'SELECT tenant_id AS x FROM issue_counters');
		p := rr.refuse(p, '{42501}');
	ELSE
		-- naming another data schema (or the own one) explicitly
		p.kind := 'read a named data schema';
		s := (ARRAY(SELECT DISTINCT t.schema::text FROM rr.tenant t ORDER BY 1))[1 + rr.rnd(4)];
		tbl := rr.pickt('{issues,comments,users,teams}');
		p.params := jsonb_build_object('schema', s, 'table', tbl);
		p.stmt := format(agg, format('SELECT id AS x FROM %I.%I', s, tbl));
		IF s <> a.schema THEN
			p.ids := '{}';
		ELSIF tbl = 'issues' THEN
			p.ids := rr.o_issues(a);
		ELSIF tbl = 'comments' THEN
			p.ids := ARRAY(SELECT c.id FROM rr.o_comments(a) c WHERE c.vis ORDER BY c.id);
		ELSIF tbl = 'users' THEN
			p.ids := ARRAY(SELECT u.id FROM rr.v_users u WHERE u.tenant_id = a.tenant ORDER BY u.id);
		ELSE
			p.ids := ARRAY(SELECT t.id FROM rr.v_teams t WHERE t.tenant_id = a.tenant ORDER BY t.id);
		END IF;
	END CASE;
	IF p.kind <> 'read issue counters' THEN
		p.ok := true;
	END IF;
	IF NOT a.auth THEN
		p := rr.refuse(p, '{28000}');
	END IF;
	RETURN p;
END $$;

--
-- Issues
--
CREATE FUNCTION rr.gen_insert_issue(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	f jsonb;
	codes text[];
	n integer;
	prefix text;
BEGIN
	p.kind := 'insert issue';
	p.flavor := 'dml';
	f := jsonb_build_object('title', CASE WHEN random() < 0.02 THEN '   ' ELSE 'i' || op END);
	IF random() < 0.5 THEN f := f || jsonb_build_object('description', 'd' || op); END IF;
	IF random() < 0.6 THEN f := f || jsonb_build_object('priority', rr.priority()); END IF;
	IF random() < 0.5 THEN f := f || jsonb_build_object('issue_type', rr.issue_type()); END IF;
	IF random() < 0.3 THEN f := f || jsonb_build_object('due_date', rr.due_date()); END IF;
	IF random() < 0.3 THEN f := f || jsonb_build_object('labels', rr.labels()); END IF;
	IF random() < 0.3 THEN f := f || jsonb_build_object('estimated_hours', rr.hours()); END IF;
	IF random() < 0.3 THEN f := f || jsonb_build_object('story_points', rr.points()); END IF;
	CASE rr.roll('{40,25,20,8,2,5}')
	WHEN 2 THEN f := f || jsonb_build_object('assignee_id', a.uid);
	WHEN 3 THEN f := f || jsonb_build_object('assignee_id', rr.pick_user(a, 'other', op));
	WHEN 4 THEN f := f || jsonb_build_object('assignee_id', rr.pick_user(a, 'for', op));
	WHEN 5 THEN f := f || jsonb_build_object('assignee_id', rr.pick_user(a, 'none', op));
	WHEN 6 THEN f := f || jsonb_build_object('assignee_id', NULL);
	ELSE NULL;
	END CASE;
	CASE rr.roll('{65,25,7,3}')
	WHEN 2 THEN f := f || jsonb_build_object('team_id', rr.pick_team(a, 'own', op));
	WHEN 3 THEN f := f || jsonb_build_object('team_id', rr.pick_team(a, 'for', op));
	WHEN 4 THEN f := f || jsonb_build_object('team_id', rr.pick_team(a, 'none', op));
	ELSE NULL;
	END CASE;
	CASE rr.roll('{93,4,3}')
	WHEN 2 THEN f := f || jsonb_build_object('status', 'open');
	WHEN 3 THEN f := f || jsonb_build_object('status', rr.pickt('{in_progress,in_review,closed}'));
	ELSE NULL;
	END CASE;
	-- client-supplied context columns: the same value passes, another is refused
	IF random() < 0.05 THEN
		f := f || jsonb_build_object('tenant_id', CASE WHEN random() < 0.6 THEN a.tenant
													ELSE (rr.other_tenant(a)).id END);
	END IF;
	IF random() < 0.05 THEN
		f := f || jsonb_build_object('reporter_id', CASE WHEN random() < 0.6 THEN a.uid
													  ELSE rr.pick_user(a, 'other', op) END);
	END IF;
	-- number, key and times are filled in, whatever the client says
	IF random() < 0.03 THEN f := f || jsonb_build_object('number', 999999); END IF;
	IF random() < 0.03 THEN f := f || jsonb_build_object('key', 'ZZ-1'); END IF;
	IF random() < 0.03 THEN f := f || jsonb_build_object('created_at', '2000-01-01 00:00:00+00'); END IF;
	p.params := f;
	p.stmt := rr.insert_sql('issues', f);
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	codes := rr.o_issue_new(a, f);
	IF cardinality(codes) > 0 THEN
		RETURN rr.refuse(p, codes);
	END IF;
	SELECT t.next_number, t.prefix INTO n, prefix FROM rr.tenant t WHERE t.id = a.tenant;
	RETURN rr.succeed(p, 1, jsonb_build_object('t', 'issue_ins', 'tenant', a.tenant, 'number', n,
		'row', jsonb_build_object(
			'number', n, 'key', prefix || '-' || n, 'title', f->'title',
			'description', coalesce(f->'description', '""'), 'status', 'open',
			'priority', coalesce(f->'priority', '"medium"'), 'issue_type', coalesce(f->'issue_type', '"task"'),
			'reporter_id', a.uid, 'assignee_id', coalesce(f->'assignee_id', 'null'),
			'team_id', coalesce(f->'team_id', 'null'), 'due_date', coalesce(f->'due_date', 'null'),
			'labels', coalesce(f->'labels', '[]'), 'estimated_hours', coalesce(f->'estimated_hours', 'null'),
			'story_points', coalesce(f->'story_points', 'null'), 'closed', false, 'sane', true)));
END $$;

-- A random change of some columns of issue r
CREATE FUNCTION rr.issue_changes(op integer, a rr.actor, r jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	f jsonb := '{}';
	k text;
	allowed constant text[] := '{status,description,estimated_hours}';
	editable constant text[] := '{status,description,estimated_hours,title,priority,issue_type,assignee_id,team_id,due_date,labels,story_points}';
BEGIN
	CASE rr.roll('{45,40,10,5}')
	WHEN 1 THEN
		FOR i IN 0 .. rr.rnd(3) LOOP
			k := rr.pickt(allowed);
			f := f || jsonb_build_object(k, NULL);
		END LOOP;
	WHEN 2 THEN
		FOR i IN 0 .. rr.rnd(3) LOOP
			k := rr.pickt(editable);
			f := f || jsonb_build_object(k, NULL);
		END LOOP;
	WHEN 3 THEN
		k := rr.pickt('{tenant_id,reporter_id,number,key,created_at}');
		f := jsonb_build_object(k, CASE k
			WHEN 'tenant_id' THEN to_jsonb((rr.other_tenant(a)).id)
			WHEN 'reporter_id' THEN to_jsonb(rr.pick_user(a, 'own', op))
			WHEN 'number' THEN to_jsonb(coalesce((r->>'number')::integer, 0) + 1000)
			WHEN 'key' THEN '"ZZ-1"'
			ELSE '"2000-01-01 00:00:00+00"' END);
		IF random() < 0.5 THEN
			f := f || jsonb_build_object('description', 'u' || op);
		END IF;
		RETURN f;
	ELSE
		-- the current values: not a change
		RETURN jsonb_build_object('title', coalesce(r->'title', '"x"'), 'labels', coalesce(r->'labels', '[]'),
								  'description', 'u' || op);
	END CASE;
	-- values for the chosen columns
	FOR k IN SELECT jsonb_object_keys(f) ORDER BY 1 LOOP
		f := f || jsonb_build_object(k, CASE k
			WHEN 'status' THEN to_jsonb(rr.next_status(r->>'status'))
			WHEN 'description' THEN to_jsonb('u' || op)
			WHEN 'estimated_hours' THEN to_jsonb(rr.hours())
			WHEN 'title' THEN to_jsonb(CASE WHEN random() < 0.03 THEN ' ' ELSE 't' || op END)
			WHEN 'priority' THEN to_jsonb(rr.priority())
			WHEN 'issue_type' THEN to_jsonb(rr.issue_type())
			WHEN 'assignee_id' THEN CASE rr.roll('{30,40,15,10,5}')
				WHEN 1 THEN to_jsonb(a.uid) WHEN 2 THEN to_jsonb(rr.pick_user(a, 'own', op))
				WHEN 3 THEN 'null' WHEN 4 THEN to_jsonb(rr.pick_user(a, 'for', op))
				ELSE to_jsonb(rr.pick_user(a, 'none', op)) END
			WHEN 'team_id' THEN CASE rr.roll('{60,25,10,5}')
				WHEN 1 THEN to_jsonb(rr.pick_team(a, 'own', op)) WHEN 2 THEN 'null'
				WHEN 3 THEN to_jsonb(rr.pick_team(a, 'for', op)) ELSE to_jsonb(rr.pick_team(a, 'none', op)) END
			WHEN 'due_date' THEN CASE WHEN random() < 0.2 THEN 'null' ELSE to_jsonb(rr.due_date()) END
			WHEN 'labels' THEN rr.labels()
			ELSE to_jsonb(rr.points()) END);
	END LOOP;
	RETURN f;
END $$;

CREATE FUNCTION rr.gen_update_issue(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	r jsonb := rr.pick_issue(a, op, CASE WHEN a.adm THEN '{30,0,15,15,10,30}'::integer[]
										 ELSE '{20,25,15,10,5,25}' END);
	f jsonb := rr.issue_changes(op, a, r) || jsonb_build_object('_id', r->>'id');
	codes text[];
BEGIN
	p.kind := 'update issue';
	p.flavor := 'dml';
	p.params := f;
	p.stmt := rr.update_sql('issues', f, 'id = ($1->>''_id'')::uuid');
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	IF NOT rr.iv(a, r) THEN
		RETURN rr.succeed(p, 0, NULL);		-- not visible: nothing to update
	END IF;
	codes := rr.o_issue_change(a, r, f);
	IF cardinality(codes) > 0 THEN
		RETURN rr.refuse(p, codes);
	END IF;
	RETURN rr.succeed(p, 1, jsonb_build_object('t', 'issue_upd', 'ids', jsonb_build_array(r->'id'),
											   'set', rr.cols(f)));
END $$;

-- UPDATE ... WHERE status = s: every visible issue in that status
CREATE FUNCTION rr.gen_update_issues(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	s text := rr.pickt('{open,in_progress,in_review,closed}');
	f jsonb;
	v_rows jsonb[];
	r jsonb;
	codes text[] := '{}';
BEGIN
	p.kind := 'update issues in a status';
	p.flavor := 'dml';
	CASE rr.roll('{40,20,20,20}')
	WHEN 1 THEN f := jsonb_build_object('description', 'b' || op);
	WHEN 2 THEN f := jsonb_build_object('estimated_hours', rr.hours());
	WHEN 3 THEN f := jsonb_build_object('priority', rr.priority());
	ELSE f := jsonb_build_object('status', rr.next_status(s));
	END CASE;
	-- now and then with no WHERE clause at all: every visible issue
	IF random() < 0.2 THEN
		s := NULL;
		p.kind := 'update all issues (no WHERE)';
		p.stmt := rr.update_sql('issues', f, NULL);
	ELSE
		f := f || jsonb_build_object('_s', s);
		p.stmt := rr.update_sql('issues', f, 'status = ($1->>''_s'')');
	END IF;
	p.params := f;
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	v_rows := ARRAY(SELECT rr.jn_issue(i) || jsonb_build_object('id', i.id, 'tenant_id', i.tenant_id)
				  FROM rr.v_issues i WHERE i.tenant_id = a.tenant AND (s IS NULL OR i.status = s)
				  AND rr.iv2(a, i.tenant_id, i.reporter_id, i.assignee_id, i.team_id) ORDER BY i.number);
	FOREACH r IN ARRAY v_rows LOOP
		codes := codes || rr.o_issue_change(a, r, f);
	END LOOP;
	IF cardinality(codes) > 0 THEN
		RETURN rr.refuse(p, codes);
	END IF;
	RETURN rr.succeed(p, cardinality(v_rows), jsonb_build_object('t', 'issue_upd',
		'ids', (SELECT coalesce(jsonb_agg(x->'id'), '[]') FROM unnest(v_rows) x), 'set', rr.cols(f)));
END $$;

CREATE FUNCTION rr.gen_delete_issue(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	r jsonb := rr.pick_issue(a, op, '{50,0,30,15,5}');
BEGIN
	p.kind := 'delete issue';
	p.flavor := 'dml';
	p.params := jsonb_build_object('_id', r->>'id');
	p.stmt := 'DELETE FROM issues WHERE id = ($1->>''_id'')::uuid';
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	IF NOT a.adm THEN
		RETURN rr.refuse(p, '{42501}');		-- admins and super admins only, whatever the row
	END IF;
	IF NOT rr.iv(a, r) THEN
		RETURN rr.succeed(p, 0, NULL);
	END IF;
	RETURN rr.succeed(p, 1, jsonb_build_object('t', 'issue_del', 'ids', jsonb_build_array(r->'id')));
END $$;

CREATE FUNCTION rr.gen_delete_issues(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	prio text := rr.pickt('{low,medium,high,critical}');
	ids uuid[];
BEGIN
	p.kind := 'delete closed issues of a priority';
	p.flavor := 'dml';
	p.params := jsonb_build_object('_p', prio);
	p.stmt := 'DELETE FROM issues WHERE status = ''closed'' AND priority = ($1->>''_p'')';
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	IF NOT a.adm THEN
		RETURN rr.refuse(p, '{42501}');
	END IF;
	ids := ARRAY(SELECT i.id FROM rr.v_issues i WHERE i.tenant_id = a.tenant
				 AND i.status = 'closed' AND i.priority = prio ORDER BY i.number);
	RETURN rr.succeed(p, cardinality(ids), jsonb_build_object('t', 'issue_del', 'ids', rr.jids(ids)));
END $$;

--
-- Comments
--
CREATE FUNCTION rr.mentions(a rr.actor, op integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	m uuid[] := '{}';
BEGIN
	CASE rr.roll('{70,20,10}')
	WHEN 1 THEN
		FOR i IN 0 .. rr.rnd(2) LOOP
			m := m || rr.pick_user(a, 'own', op);
		END LOOP;
	WHEN 2 THEN
		m := ARRAY[rr.pick_user(a, 'own', op), rr.pick_user(a, 'for', op)];
	ELSE
		m := ARRAY[rr.pick_user(a, 'none', op)];
	END CASE;
	RETURN to_jsonb(m);
END $$;

CREATE FUNCTION rr.gen_insert_comment(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	r jsonb := rr.pick_issue(a, op, '{60,0,25,10,5}');
	f jsonb;
	codes text[];
BEGIN
	p.kind := 'insert comment';
	p.flavor := 'dml';
	f := jsonb_build_object('issue_id', r->>'id',
							'content', CASE WHEN random() < 0.02 THEN '  ' ELSE 'c' || op END);
	IF random() < (CASE WHEN a.adm THEN 0.3 ELSE 0.1 END) THEN
		f := f || '{"internal": true}';
	ELSIF random() < 0.5 THEN
		f := f || '{"internal": false}';
	END IF;
	IF random() < 0.5 THEN
		f := f || jsonb_build_object('mentions', rr.mentions(a, op));
	END IF;
	IF random() < 0.05 THEN
		f := f || jsonb_build_object('author_id', CASE WHEN random() < 0.6 THEN a.uid
													ELSE rr.pick_user(a, 'other', op) END);
	END IF;
	IF random() < 0.04 THEN
		f := f || jsonb_build_object('tenant_id', CASE WHEN random() < 0.5 THEN a.tenant
													ELSE (rr.other_tenant(a)).id END);
	END IF;
	IF random() < 0.02 THEN
		f := f || jsonb_build_object('created_at', '2000-01-01 00:00:00+00');
	END IF;
	p.params := f;
	p.stmt := rr.insert_sql('comments', f);
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	codes := rr.o_comment_values(a, f);
	IF f->>'tenant_id' IS NOT NULL AND (f->>'tenant_id')::uuid <> a.tenant THEN
		codes := codes || '42501'::text;
	END IF;
	IF f->>'author_id' IS NOT NULL AND (f->>'author_id')::uuid <> a.uid THEN
		codes := codes || '42501'::text;
	END IF;
	IF (f->>'internal')::boolean AND NOT a.adm THEN
		codes := codes || '42501'::text;
	END IF;
	-- only on issues the user can see; another tenant's or no issue: refused
	IF (r->>'tenant_id')::uuid IS DISTINCT FROM a.tenant THEN
		codes := codes || '{42501,23503}'::text[];
	ELSIF NOT rr.iv(a, r) THEN
		codes := codes || '42501'::text;
	END IF;
	IF cardinality(codes) > 0 THEN
		RETURN rr.refuse(p, codes);
	END IF;
	RETURN rr.succeed(p, 1, jsonb_build_object('t', 'comment_ins', 'tenant', a.tenant, 'seq', 1000000 + op,
		'row', jsonb_build_object('issue_id', r->'id', 'author_id', a.uid, 'content', f->'content',
								  'internal', coalesce(f->'internal', 'false'),
								  'mentions', coalesce(f->'mentions', '[]'), 'edited', false, 'sane', true)));
END $$;

CREATE FUNCTION rr.gen_edit_comment(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	c jsonb := rr.pick_comment(a, op, '{35,30,20,10,5}');
	f jsonb;
	codes text[];
	k text;
BEGIN
	p.kind := 'edit comment';
	p.flavor := 'dml';
	f := jsonb_build_object('_id', c->>'id', 'content', CASE WHEN random() < 0.02 THEN ' ' ELSE 'e' || op END);
	IF random() < 0.3 THEN
		f := f || jsonb_build_object('mentions', rr.mentions(a, op));
	END IF;
	IF random() < 0.1 THEN
		k := rr.pickt('{internal,author_id,issue_id,created_at}');
		f := f || jsonb_build_object(k, CASE k
			WHEN 'internal' THEN to_jsonb(NOT coalesce((c->>'internal')::boolean, false))
			WHEN 'author_id' THEN to_jsonb(rr.pick_user(a, 'other', op))
			WHEN 'issue_id' THEN rr.pick_issue(a, op, '{0,0,100,0,0}')->'id'
			ELSE '"2000-01-01 00:00:00+00"' END);
	END IF;
	p.params := f;
	p.stmt := rr.update_sql('comments', f, 'id = ($1->>''_id'')::uuid');
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	IF NOT rr.cv(a, c) THEN
		RETURN rr.succeed(p, 0, NULL);
	END IF;
	IF (c->>'author_id')::uuid <> a.uid THEN
		-- only the author edits: nothing changes (silently, or with an error)
		p := rr.refuse(p, '{42501}');
		RETURN rr.succeed(p, 0, NULL);
	END IF;
	codes := rr.o_comment_values(a, f);
	FOR k IN SELECT x FROM jsonb_object_keys(rr.cols(f)) x WHERE x NOT IN ('content', 'mentions') LOOP
		IF k = 'created_at' OR (f->k) IS DISTINCT FROM (c->k) THEN
			codes := codes || '42501'::text;
		END IF;
	END LOOP;
	IF cardinality(codes) > 0 THEN
		RETURN rr.refuse(p, codes);
	END IF;
	RETURN rr.succeed(p, 1, jsonb_build_object('t', 'comment_upd', 'ids', jsonb_build_array(c->'id'),
											   'set', rr.cols(f)));
END $$;

-- UPDATE comments SET content = ... with no WHERE clause: the actor's own
-- comments, among those the actor can see
CREATE FUNCTION rr.gen_edit_comments(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	f jsonb := jsonb_build_object('content', 'b' || op);
	ids uuid[];
BEGIN
	p.kind := 'edit all comments (no WHERE)';
	p.flavor := 'dml';
	p.params := f;
	p.stmt := rr.update_sql('comments', f, NULL);
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	-- others' comments in sight are not the actor's to edit: the statement
	-- is refused; with none, the actor's own are edited
	IF EXISTS (SELECT 1 FROM rr.o_comments(a) c WHERE c.vis AND c.author_id <> a.uid) THEN
		RETURN rr.refuse(p, '{42501}');
	END IF;
	ids := ARRAY(SELECT c.id FROM rr.o_comments(a) c WHERE c.vis AND c.author_id = a.uid ORDER BY c.id);
	RETURN rr.succeed(p, cardinality(ids), jsonb_build_object('t', 'comment_upd', 'ids', rr.jids(ids),
															  'set', f));
END $$;

CREATE FUNCTION rr.gen_delete_comment(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	c jsonb := rr.pick_comment(a, op, '{40,25,20,10,5}');
BEGIN
	p.kind := 'delete comment';
	p.flavor := 'dml';
	p.params := jsonb_build_object('_id', c->>'id');
	p.stmt := 'DELETE FROM comments WHERE id = ($1->>''_id'')::uuid';
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	IF NOT rr.cv(a, c) THEN
		RETURN rr.succeed(p, 0, NULL);
	END IF;
	IF (c->>'author_id')::uuid <> a.uid AND NOT a.adm THEN
		p := rr.refuse(p, '{42501}');
		RETURN rr.succeed(p, 0, NULL);
	END IF;
	RETURN rr.succeed(p, 1, jsonb_build_object('t', 'comment_del', 'ids', jsonb_build_array(c->'id')));
END $$;

-- DELETE FROM comments WHERE issue_id = ..., or with no WHERE at all
CREATE FUNCTION rr.gen_delete_comments(op integer, a rr.actor, everything boolean) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	r jsonb;
	ids uuid[];
BEGIN
	p.flavor := 'dml';
	IF everything THEN
		p.kind := 'delete all comments (no WHERE)';
		p.params := '{}';
		p.stmt := 'DELETE FROM comments';
	ELSE
		p.kind := 'delete comments of issue';
		r := rr.pick_issue(a, op, '{70,0,20,10,0}');
		p.params := jsonb_build_object('_issue', r->>'id');
		p.stmt := 'DELETE FROM comments WHERE issue_id = ($1->>''_issue'')::uuid';
	END IF;
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	-- the visible comments the actor may delete; others' are left alone
	ids := ARRAY(SELECT c.id FROM rr.o_comments(a) c
				 WHERE c.vis AND (c.author_id = a.uid OR a.adm)
				 AND (everything OR c.issue_id = (r->>'id')::uuid) ORDER BY c.id);
	RETURN rr.succeed(p, cardinality(ids), jsonb_build_object('t', 'comment_del', 'ids', rr.jids(ids)));
END $$;

--
-- Teams and members (admins and super admins)
--
CREATE FUNCTION rr.gen_team(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	v integer := rr.roll('{20,15,8,7,5,2,3}');
	team uuid;
	usr uuid;
	member boolean;
	codes text[] := '{}';
	nm text;
	f jsonb;
BEGIN
	team := rr.pick_team(a, CASE rr.roll('{85,10,5}') WHEN 1 THEN 'own' WHEN 2 THEN 'for' ELSE 'none' END, op);
	IF v = 2 AND random() < 0.6 THEN
		usr := rr.pick(ARRAY(SELECT m.user_id FROM rr.v_team_members m JOIN rr.v_users u
							 ON u.tenant_id = m.tenant_id AND u.id = m.user_id
							 WHERE m.tenant_id = a.tenant AND m.team_id = team ORDER BY u.subject));
	END IF;
	usr := coalesce(usr, rr.pick_user(a, CASE WHEN random() < 0.85 THEN 'own' ELSE 'for' END, op));
	member := EXISTS (SELECT 1 FROM rr.v_team_members m
					  WHERE m.tenant_id = a.tenant AND m.team_id = team AND m.user_id = usr);
	p.watch := ARRAY[usr];
	p.flavor := 'dml';
	p.params := jsonb_build_object('team', team, 'user', usr);
	IF NOT rr.is_team_of(a.tenant, team) THEN
		codes := codes || '23503'::text;
	END IF;
	IF NOT rr.is_user_of(a.tenant, usr) THEN
		codes := codes || '23503'::text;
	END IF;
	CASE v
	WHEN 1 THEN
		p.kind := 'add team member';
		p.stmt := 'SELECT tracker.add_team_member(($1->>''team'')::uuid, ($1->>''user'')::uuid)';
		IF cardinality(codes) > 0 THEN
			p := rr.refuse(p, codes);
		ELSE
			p := rr.succeed(p, NULL, jsonb_build_object('t', 'member_add', 'tenant', a.tenant,
														'team', team, 'user', usr));
		END IF;
	WHEN 2 THEN
		p.kind := 'remove team member';
		p.flavor := 'val';
		p.stmt := 'SELECT tracker.remove_team_member(($1->>''team'')::uuid, ($1->>''user'')::uuid)::text';
		p := rr.succeed(p, NULL, jsonb_build_object('t', 'member_del', 'team', team, 'user', usr));
		p.val := member::text;
	WHEN 3 THEN
		p.kind := 'insert team_members';
		p.stmt := 'INSERT INTO team_members (team_id, user_id) VALUES (($1->>''team'')::uuid, ($1->>''user'')::uuid)';
		IF member THEN
			codes := codes || '23505'::text;
		END IF;
		IF cardinality(codes) > 0 THEN
			p := rr.refuse(p, codes);
		ELSE
			p := rr.succeed(p, 1, jsonb_build_object('t', 'member_add', 'tenant', a.tenant,
													 'team', team, 'user', usr));
		END IF;
	WHEN 4 THEN
		p.kind := 'delete team_members';
		p.stmt := 'DELETE FROM team_members WHERE team_id = ($1->>''team'')::uuid AND user_id = ($1->>''user'')::uuid';
		p := rr.succeed(p, CASE WHEN member THEN 1 ELSE 0 END,
						jsonb_build_object('t', 'member_del', 'team', team, 'user', usr));
	WHEN 5 THEN
		p.kind := 'create team';
		p.flavor := 'val';
		p.watch := NULL;
		nm := CASE rr.roll('{80,15,5}') WHEN 1 THEN 'team-' || op
				WHEN 2 THEN (SELECT t.name FROM rr.v_teams t WHERE t.tenant_id = a.tenant AND t.id = team)
				ELSE ' ' END;
		nm := coalesce(nm, 'team-' || op);
		usr := CASE rr.roll('{50,40,10}') WHEN 2 THEN rr.pick_user(a, 'own', op)
				 WHEN 3 THEN rr.pick_user(a, 'for', op) END;
		p.params := jsonb_build_object('name', nm, 'description', 'td' || op, 'lead', usr);
		p.stmt := 'SELECT tracker.create_team($1->>''name'', $1->>''description'', ($1->>''lead'')::uuid)::text';
		codes := '{}';
		IF length(btrim(nm)) = 0 THEN
			codes := codes || '23514'::text;
		END IF;
		IF EXISTS (SELECT 1 FROM rr.v_teams t WHERE t.tenant_id = a.tenant AND t.name = nm) THEN
			codes := codes || '23505'::text;
		END IF;
		IF usr IS NOT NULL AND NOT rr.is_user_of(a.tenant, usr) THEN
			codes := codes || '23503'::text;
		END IF;
		IF cardinality(codes) > 0 THEN
			p := rr.refuse(p, codes);
		ELSE
			p := rr.succeed(p, NULL, jsonb_build_object('t', 'team_ins', 'tenant', a.tenant, 'lead', usr,
				'row', jsonb_build_object('name', nm, 'description', 'td' || op, 'status', 'active',
										  'lead_id', usr)));
		END IF;
	WHEN 6 THEN
		p.kind := 'delete team';
		p.watch := ARRAY(SELECT m.user_id FROM rr.v_team_members m WHERE m.tenant_id = a.tenant AND m.team_id = team
						 ORDER BY m.user_id);
		p.params := jsonb_build_object('_id', team);
		p.stmt := 'DELETE FROM teams WHERE id = ($1->>''_id'')::uuid';
		IF rr.is_team_of(a.tenant, team) THEN
			p := rr.succeed(p, 1, jsonb_build_object('t', 'team_del', 'id', team));
		ELSE
			p := rr.succeed(p, 0, NULL);
		END IF;
	ELSE
		p.kind := 'update team';
		p.watch := NULL;
		f := CASE rr.roll('{70,20,10}')
			 WHEN 1 THEN jsonb_build_object('status', rr.pickt('{active,archived}'))
			 WHEN 2 THEN jsonb_build_object('description', 'tu' || op)
			 ELSE jsonb_build_object('tenant_id', (rr.other_tenant(a)).id) END;
		p.params := f || jsonb_build_object('_id', team);
		p.stmt := rr.update_sql('teams', p.params, 'id = ($1->>''_id'')::uuid');
		IF NOT rr.is_team_of(a.tenant, team) THEN
			p := rr.succeed(p, 0, NULL);
		ELSIF f ? 'tenant_id' THEN
			p := rr.refuse(p, '{42501}');
		ELSE
			p := rr.succeed(p, 1, jsonb_build_object('t', 'team_upd', 'id', team, 'set', f));
		END IF;
	END CASE;
	IF NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	IF NOT a.adm THEN
		RETURN rr.refuse(p, '{42501}');		-- plain users manage no team
	END IF;
	RETURN p;
END $$;

--
-- Users: roles, deactivation, new users (super admins of the tenant, or the operator)
--
-- The target (own tenant, another tenant, nobody) and the tenant argument
CREATE FUNCTION rr.pick_target(a rr.actor, op integer, as_operator boolean,
							   OUT target uuid, OUT tenant_arg uuid)
LANGUAGE plpgsql AS $$
BEGIN
	target := rr.pick_user(a, CASE rr.roll('{85,10,5}') WHEN 1 THEN 'own' WHEN 2 THEN 'for' ELSE 'none' END, op);
	IF as_operator THEN
		tenant_arg := CASE rr.roll('{90,5,5}') WHEN 1 THEN a.tenant WHEN 2 THEN NULL
						   ELSE (rr.other_tenant(a)).id END;
	ELSE
		tenant_arg := CASE rr.roll('{70,20,10}') WHEN 1 THEN NULL WHEN 2 THEN a.tenant
						   ELSE (rr.other_tenant(a)).id END;
	END IF;
END $$;

-- Who may manage users of tenant tt, and is the target one of them:
-- refusals that come before the change itself; NULL when it may go on.
CREATE FUNCTION rr.o_manage(a rr.actor, as_operator boolean, tenant_arg uuid, target uuid,
							OUT codes text[], OUT t_role text, OUT t_active boolean)
LANGUAGE plpgsql AS $$
DECLARE
	tt uuid := CASE WHEN as_operator THEN tenant_arg ELSE coalesce(tenant_arg, a.tenant) END;
BEGIN
	codes := '{}';
	IF NOT as_operator AND (a.role <> 'super_admin' OR tt <> a.tenant) THEN
		codes := '{42501}';
		RETURN;
	END IF;
	IF tt IS NULL THEN
		codes := '{22004,22023,42501,42704}';	-- no tenant: which code is not specified
		RETURN;
	END IF;
	SELECT u.role, u.active INTO t_role, t_active FROM rr.v_users u WHERE u.tenant_id = tt AND u.id = target;
	IF t_role IS NULL THEN
		codes := '{42704,42501}';				-- no such user in the tenant
	ELSIF t_role = 'super_admin' AND NOT as_operator THEN
		codes := '{42501}';						-- only operators touch super admins
	END IF;
END $$;

CREATE FUNCTION rr.gen_set_role(op integer, a rr.actor, as_operator boolean) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	x record;
	m record;
	new_role text := (ARRAY['user', 'admin', 'super_admin', 'owner'])[rr.roll('{40,40,15,5}')];
	codes text[] := '{}';
BEGIN
	x := rr.pick_target(a, op, as_operator);
	p.kind := CASE WHEN as_operator THEN 'set_user_role (operator)' ELSE 'set_user_role (tenant user)' END;
	p.watch := ARRAY[x.target];
	p.operator := as_operator;
	p.flavor := 'dml';
	p.params := jsonb_build_object('user', x.target, 'role', new_role, 'tenant', x.tenant_arg);
	p.stmt := 'SELECT tracker.set_user_role(($1->>''user'')::uuid, $1->>''role'', ($1->>''tenant'')::uuid)';
	IF NOT as_operator AND NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	IF new_role NOT IN ('user', 'admin', 'super_admin') THEN
		codes := '{22023}';
	END IF;
	m := rr.o_manage(a, as_operator, x.tenant_arg, x.target);
	codes := codes || m.codes;
	IF new_role = 'super_admin' AND NOT as_operator THEN
		codes := codes || '42501'::text;		-- only operators make super admins
	END IF;
	IF cardinality(codes) > 0 THEN
		RETURN rr.refuse(p, codes);
	END IF;
	RETURN rr.succeed(p, NULL, jsonb_build_object('t', 'user_upd', 'id', x.target,
												  'set', jsonb_build_object('role', new_role)));
END $$;

CREATE FUNCTION rr.gen_set_active(op integer, a rr.actor, as_operator boolean) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	x record;
	m record;
	cur boolean;
	act boolean;
	tt uuid;
BEGIN
	x := rr.pick_target(a, op, as_operator);
	tt := CASE WHEN as_operator THEN x.tenant_arg ELSE coalesce(x.tenant_arg, a.tenant) END;
	cur := (SELECT u.active FROM rr.v_users u WHERE u.id = x.target AND u.tenant_id = coalesce(tt, a.tenant));
	act := CASE WHEN cur THEN random() < 0.6 WHEN NOT cur THEN random() < 0.85 ELSE random() < 0.5 END;
	p.kind := CASE WHEN as_operator THEN 'set_user_active (operator)' ELSE 'set_user_active (tenant user)' END;
	p.watch := ARRAY[x.target];
	p.operator := as_operator;
	p.flavor := 'dml';
	p.params := jsonb_build_object('user', x.target, 'active', act, 'tenant', x.tenant_arg);
	p.stmt := 'SELECT tracker.set_user_active(($1->>''user'')::uuid, ($1->>''active'')::boolean, ($1->>''tenant'')::uuid)';
	IF NOT as_operator AND NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	m := rr.o_manage(a, as_operator, x.tenant_arg, x.target);
	IF cardinality(m.codes) > 0 THEN
		RETURN rr.refuse(p, m.codes);
	END IF;
	IF m.t_active = act THEN
		RETURN rr.succeed(p, NULL, NULL);		-- already so: nothing to do
	END IF;
	IF act AND rr.active_users(tt) >= rr.max_users(tt) THEN
		RETURN rr.refuse(p, '{53400}');			-- reactivation is within the limit
	END IF;
	RETURN rr.succeed(p, NULL, jsonb_build_object('t', 'user_upd', 'id', x.target,
												  'set', jsonb_build_object('active', act)));
END $$;

CREATE FUNCTION rr.gen_add_user(op integer, a rr.actor, as_operator boolean) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	tt uuid := CASE WHEN as_operator OR random() < 0.9 THEN a.tenant ELSE (rr.other_tenant(a)).id END;
	slug text := (SELECT t.slug FROM rr.tenant t WHERE t.id = tt);
	existing uuid := rr.pick(ARRAY(SELECT u.id FROM rr.v_users u WHERE u.tenant_id = tt ORDER BY u.subject));
	subj text := 'n' || op;
	v_email text;
	new_role text;
	codes text[] := '{}';
BEGIN
	-- now and then the subject or the email of an existing user of the tenant
	CASE rr.roll('{70,15,15}')
	WHEN 2 THEN
		subj := (SELECT u.subject FROM rr.v_users u WHERE u.tenant_id = tt AND u.id = existing);
		v_email := 'n' || op || '@' || slug || '.example';
	WHEN 3 THEN
		v_email := (SELECT u.email FROM rr.v_users u WHERE u.tenant_id = tt AND u.id = existing);
	ELSE
		v_email := subj || '@' || slug || '.example';
	END CASE;
	new_role := (ARRAY['user', 'admin', 'super_admin', 'owner'])[
		rr.roll(CASE WHEN as_operator THEN '{40,30,25,5}'::integer[] ELSE '{50,35,10,5}' END)];
	p.kind := CASE WHEN as_operator THEN 'add_user (operator)' ELSE 'add_user (tenant user)' END;
	p.operator := as_operator;
	p.flavor := 'val';
	p.params := jsonb_build_object('tenant', tt, 'subject', subj, 'email', v_email, 'role', new_role);
	p.stmt := 'SELECT tracker.add_user(($1->>''tenant'')::uuid, $1->>''subject'', $1->>''email'', $1->>''role'')::text';
	IF NOT as_operator AND NOT a.auth THEN
		RETURN rr.refuse(p, '{28000}');
	END IF;
	IF NOT as_operator AND (a.role <> 'super_admin' OR tt <> a.tenant) THEN
		codes := '{42501}';
	END IF;
	IF new_role NOT IN ('user', 'admin', 'super_admin') THEN
		codes := codes || '22023'::text;
	END IF;
	IF new_role = 'super_admin' AND NOT as_operator THEN
		codes := codes || '42501'::text;
	END IF;
	IF rr.active_users(tt) >= rr.max_users(tt) THEN
		codes := codes || '53400'::text;
	END IF;
	IF EXISTS (SELECT 1 FROM rr.v_users u WHERE u.tenant_id = tt AND (u.subject = subj OR u.email = v_email)) THEN
		codes := codes || '23505'::text;
	END IF;
	IF cardinality(codes) > 0 THEN
		RETURN rr.refuse(p, codes);
	END IF;
	RETURN rr.succeed(p, NULL, jsonb_build_object('t', 'user_ins', 'tenant', tt, 'subject', subj,
		'row', jsonb_build_object('subject', subj, 'email', v_email, 'role', new_role, 'active', true)));
END $$;

-- Operator: suspend and reactivate tenants, change their limits
CREATE FUNCTION rr.gen_tenant(op integer) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	t rr.tenant;
	st text;
	mx integer;
	k integer;
	suspended integer[] := ARRAY(SELECT r.idx FROM rr.tenant r JOIN tracker.tenants x ON x.id = r.id
								 WHERE x.status = 'suspended' ORDER BY r.idx);
BEGIN
	p.operator := true;
	p.flavor := 'dml';
	IF random() < 0.75 THEN
		p.kind := 'set_tenant_status (operator)';
		IF cardinality(suspended) > 0 AND random() < 0.7 THEN
			k := suspended[1 + rr.rnd(cardinality(suspended))];
			SELECT * INTO t FROM rr.tenant WHERE idx = k;
			st := 'active';
		ELSE
			t := rr.random_tenant();
			st := CASE WHEN random() < 0.8 THEN 'suspended' ELSE 'active' END;
		END IF;
		p.params := jsonb_build_object('tenant', t.id, 'status', st);
		p.watch := ARRAY(SELECT u.id FROM rr.v_users u WHERE u.tenant_id = t.id ORDER BY u.subject LIMIT 3);
		p.stmt := 'SELECT tracker.set_tenant_status(($1->>''tenant'')::uuid, $1->>''status'')';
		RETURN rr.succeed(p, NULL, jsonb_build_object('t', 'tenant_upd', 'id', t.id,
													  'set', jsonb_build_object('status', st)));
	END IF;
	p.kind := 'set_tenant_limits (operator)';
	t := rr.random_tenant();
	mx := CASE WHEN random() < 0.5 THEN NULL ELSE greatest(1, rr.active_users(t.id)::integer + rr.rnd(3) - 1) END;
	p.params := jsonb_build_object('tenant', t.id, 'max', mx);
	p.stmt := 'SELECT tracker.set_tenant_limits(($1->>''tenant'')::uuid, ($1->>''max'')::integer, NULL)';
	RETURN rr.succeed(p, NULL, jsonb_build_object('t', 'tenant_upd', 'id', t.id,
		'set', jsonb_build_object('max_users', coalesce(mx, rr.tier_max_users(t.tier)))));
END $$;

-- Plain attacks: writing users, writing into another data schema (rows that
-- would carry the own tenant, in a schema that does not hold it)
CREATE FUNCTION rr.gen_attack(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	s text := (ARRAY(SELECT DISTINCT t.schema::text FROM rr.tenant t WHERE t.schema <> a.schema ORDER BY 1))[1 + rr.rnd(3)];
	r jsonb;
BEGIN
	p.flavor := 'dml';
	CASE rr.roll('{3,2,2,2,2,3}')
	WHEN 1 THEN
		p.kind := 'attack: update users';
		p.params := jsonb_build_object('_id', a.uid);
		p.stmt := 'UPDATE users SET role = ''super_admin'' WHERE id = ($1->>''_id'')::uuid';
		p := rr.refuse(p, '{42501}');
	WHEN 2 THEN
		p.kind := 'attack: insert issue into another schema';
		p.params := jsonb_build_object('title', 'x' || op, 'schema', s);
		p.stmt := format('INSERT INTO %I.issues (title) VALUES ($1->>''title'')', s);
		p := rr.refuse(p, '{42501,23503,55000}');
	WHEN 3 THEN
		p.kind := 'attack: insert comment into another schema';
		r := rr.pick_issue(a, op, '{0,0,0,100,0}');
		p.params := jsonb_build_object('issue', r->>'id', 'schema', s);
		p.stmt := format('INSERT INTO %I.comments (issue_id, content) VALUES (($1->>''issue'')::uuid, ''x'')', s);
		p := rr.refuse(p, '{42501,23503}');
	WHEN 4 THEN
		p.kind := 'attack: insert team into another schema';
		p.params := jsonb_build_object('name', 'x' || op, 'schema', s);
		p.stmt := format('INSERT INTO %I.teams (name) VALUES ($1->>''name'')', s);
		p := rr.refuse(p, '{42501}');
	WHEN 5 THEN
		p.kind := 'attack: insert team member into another schema';
		p.params := jsonb_build_object('team', rr.pick_team(a, 'own', op), 'user', a.uid, 'schema', s);
		p.stmt := format('INSERT INTO %I.team_members (team_id, user_id) VALUES (($1->>''team'')::uuid, ($1->>''user'')::uuid)', s);
		p := rr.refuse(p, '{42501,23503}');
	ELSE
		-- the own tenant has no rows there: nothing to change, or refused
		p.kind := 'attack: update or delete in another schema';
		p.params := jsonb_build_object('schema', s);
		p.stmt := format(rr.pickt('{"UPDATE %I.issues SET description = ''x''","UPDATE %I.comments SET content = ''x''","UPDATE %I.teams SET description = ''x''","DELETE FROM %I.comments","DELETE FROM %I.team_members"}'), s);
		p := rr.refuse(p, '{42501}');
		p := rr.succeed(p, 0, NULL);
	END CASE;
	IF NOT a.auth THEN
		p := rr.refuse(p, '{28000}');
	END IF;
	RETURN p;
END $$;

-- A tenant user's role with no token at all: no rows, no writes
CREATE FUNCTION rr.gen_no_context(op integer, a rr.actor) RETURNS rr.plan
LANGUAGE plpgsql AS $$
DECLARE
	p rr.plan;
	r jsonb := rr.pick_issue(a, op, '{0,0,100,0,0}');
BEGIN
	p.flavor := 'dml';
	p.params := jsonb_build_object('issue', r->>'id', 'title', 'x' || op);
	CASE rr.roll('{3,3,2,2,2}')
	WHEN 1 THEN
		p.kind := 'no context: read';
		p.flavor := 'ids';
		p.stmt := format('SELECT coalesce(array_agg(x ORDER BY x), ''{}'') FROM (SELECT id AS x FROM %1$I.issues '
						 'UNION ALL SELECT id FROM %1$I.comments UNION ALL SELECT id FROM %1$I.users '
						 'UNION ALL SELECT id FROM %1$I.teams UNION ALL SELECT id FROM tracker.tenants) s', a.schema);
		p.ids := '{}';
		RETURN rr.succeed(p, NULL, NULL);
	WHEN 2 THEN
		p.kind := 'no context: insert issue';
		p.stmt := format('INSERT INTO %I.issues (title) VALUES ($1->>''title'')', a.schema);
		RETURN rr.refuse(p, '{42501}');
	WHEN 3 THEN
		p.kind := 'no context: insert comment';
		p.stmt := format('INSERT INTO %I.comments (issue_id, content) VALUES (($1->>''issue'')::uuid, ''x'')', a.schema);
		RETURN rr.refuse(p, '{42501}');
	WHEN 4 THEN
		-- nothing is visible, so nothing changes; an error is as good
		p.kind := 'no context: update';
		p.stmt := format(rr.pickt('{"UPDATE %I.issues SET description = ''x''","UPDATE %I.comments SET content = ''x''","UPDATE %I.teams SET description = ''x''"}'),
						 a.schema);
		p := rr.refuse(p, '{42501}');
		RETURN rr.succeed(p, 0, NULL);
	ELSE
		p.kind := 'no context: delete';
		p.stmt := format(rr.pickt('{"DELETE FROM %I.issues","DELETE FROM %I.comments","DELETE FROM %I.team_members"}'),
						 a.schema);
		p := rr.refuse(p, '{42501}');
		RETURN rr.succeed(p, 0, NULL);
	END CASE;
END $$;

--
-- Replaying a success on the shadow; returns a complaint when the new row
-- cannot be found where the rules put it
--
CREATE FUNCTION rr.apply(op integer, e jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	t uuid := (e->>'tenant')::uuid;
	new_id uuid;
	ids uuid[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(e->'ids', '[]'))::uuid);
BEGIN
	CASE e->>'t'
	WHEN 'issue_ins' THEN
		UPDATE rr.tenant SET next_number = (e->>'number')::integer + 1 WHERE id = t;
		UPDATE rr.shadow SET val = jsonb_build_object('last_number', (e->>'number')::integer), last_op = op
		WHERE tbl = 'counter' AND id = t;
		SELECT i.id INTO new_id FROM rr.v_issues i WHERE i.tenant_id = t AND i.number = (e->>'number')::integer;
		IF new_id IS NULL THEN
			RETURN 'no issue numbered ' || (e->>'number');
		END IF;
		INSERT INTO rr.shadow VALUES ('issue', new_id, t, e->'row', op);
	WHEN 'issue_upd' THEN
		UPDATE rr.shadow SET val = (val || (e->'set')) || jsonb_build_object('closed', (val || (e->'set'))->>'status' = 'closed'),
							 last_op = op
		WHERE tbl = 'issue' AND id = ANY (ids);
	WHEN 'issue_del' THEN
		DELETE FROM rr.shadow WHERE tbl = 'issue' AND id = ANY (ids);
		DELETE FROM rr.shadow WHERE tbl = 'comment' AND (val->>'issue_id')::uuid = ANY (ids);
	WHEN 'comment_ins' THEN
		SELECT c.id INTO new_id FROM rr.v_comments c WHERE c.tenant_id = t AND c.content = e->'row'->>'content';
		IF new_id IS NULL THEN
			RETURN 'no comment with content ' || (e->'row'->>'content');
		END IF;
		INSERT INTO rr.shadow VALUES ('comment', new_id, t, e->'row', op);
		INSERT INTO rr.cseq VALUES (new_id, (e->>'seq')::bigint);
	WHEN 'comment_upd' THEN
		UPDATE rr.shadow SET val = val || (e->'set') || '{"edited": true}', last_op = op
		WHERE tbl = 'comment' AND id = ANY (ids);
	WHEN 'comment_del' THEN
		DELETE FROM rr.shadow WHERE tbl = 'comment' AND id = ANY (ids);
	WHEN 'member_add' THEN
		INSERT INTO rr.shadow VALUES ('member', md5((e->>'team') || (e->>'user'))::uuid, t,
									  jsonb_build_object('team_id', e->'team', 'user_id', e->'user'), op)
		ON CONFLICT DO NOTHING;
	WHEN 'member_del' THEN
		DELETE FROM rr.shadow WHERE tbl = 'member' AND id = md5((e->>'team') || (e->>'user'))::uuid;
	WHEN 'team_ins' THEN
		SELECT x.id INTO new_id FROM rr.v_teams x WHERE x.tenant_id = t AND x.name = e->'row'->>'name';
		IF new_id IS NULL THEN
			RETURN 'no team named ' || (e->'row'->>'name');
		END IF;
		INSERT INTO rr.shadow VALUES ('team', new_id, t, e->'row', op);
		IF e->>'lead' IS NOT NULL THEN
			INSERT INTO rr.shadow VALUES ('member', md5(new_id::text || (e->>'lead'))::uuid, t,
										  jsonb_build_object('team_id', new_id, 'user_id', e->'lead'), op);
		END IF;
	WHEN 'team_del' THEN
		DELETE FROM rr.shadow WHERE tbl = 'team' AND id = (e->>'id')::uuid;
		DELETE FROM rr.shadow WHERE tbl = 'member' AND val->>'team_id' = e->>'id';
		UPDATE rr.shadow SET val = val || '{"team_id": null}', last_op = op
		WHERE tbl = 'issue' AND val->>'team_id' = e->>'id';
	WHEN 'team_upd' THEN
		UPDATE rr.shadow SET val = val || (e->'set'), last_op = op WHERE tbl = 'team' AND id = (e->>'id')::uuid;
	WHEN 'user_upd' THEN
		UPDATE rr.shadow SET val = val || (e->'set'), last_op = op WHERE tbl = 'user' AND id = (e->>'id')::uuid;
	WHEN 'user_ins' THEN
		SELECT u.id INTO new_id FROM rr.v_users u WHERE u.tenant_id = t AND u.subject = e->>'subject';
		IF new_id IS NULL THEN
			RETURN 'no user ' || (e->>'subject');
		END IF;
		INSERT INTO rr.shadow VALUES ('user', new_id, t, e->'row', op);
		INSERT INTO rr.tok VALUES (t, new_id, tracker.sign_token(
			jsonb_build_object('sub', e->>'subject', 'tenant_id', t), 'regress-rand'))
		ON CONFLICT DO NOTHING;
	WHEN 'tenant_upd' THEN
		UPDATE rr.shadow SET val = val || (e->'set'), last_op = op WHERE tbl = 'tenant' AND id = (e->>'id')::uuid;
	END CASE;
	RETURN NULL;
END $$;

-- The shadow from the tables (at the start, and after a mismatch)
CREATE FUNCTION rr.resync() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM rr.shadow;
	INSERT INTO rr.shadow SELECT tbl, id, tenant_id, val, 0 FROM rr.v_norm;
	UPDATE rr.tenant t SET next_number = c.last_number + 1
	FROM rr.v_issue_counters c WHERE c.tenant_id = t.id;
	INSERT INTO rr.cseq
	SELECT c.id, 900000 + row_number() OVER (ORDER BY c.content, c.issue_id)
	FROM rr.v_comments c WHERE NOT EXISTS (SELECT 1 FROM rr.cseq q WHERE q.id = c.id);
END $$;

CREATE FUNCTION rr.describe(p rr.plan) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT concat_ws(' or ',
		CASE WHEN p.ok THEN 'ok' || coalesce(' rows=' || p.nrows, '') || coalesce(' val=' || p.val, '')
							|| coalesce(' ids=' || cardinality(p.ids), '') END,
		CASE WHEN cardinality(p.codes) > 0 THEN 'refused ' || array_to_string(p.codes, '|') END)
$$;

CREATE FUNCTION rr.diff(got uuid[], want uuid[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT format('missing %s, extra %s',
				  coalesce((SELECT array_agg(x) FROM unnest(want) x WHERE x <> ALL (coalesce(got, '{}')))::text, '{}'),
				  coalesce((SELECT array_agg(x) FROM unnest(got) x WHERE x <> ALL (coalesce(want, '{}')))::text, '{}'))
$$;

--
-- One operation: draw it, predict it, run it, compare, replay
--
CREATE FUNCTION rr.step(op integer) RETURNS uuid[]
LANGUAGE plpgsql AS $$
DECLARE
	a rr.actor;
	p rr.plan;
	r record;
	good boolean;
	complaint text;
	who text;
	lazy boolean;
BEGIN
	CASE rr.roll('{161,190,170,30,42,8,120,50,10,35,6,4,60,40,40,10,8,11,5}')
	WHEN 1 THEN a := rr.pick_actor('any'); p := rr.gen_read(op, a);
	WHEN 2 THEN a := rr.pick_actor('any'); p := rr.gen_insert_issue(op, a);
	WHEN 3 THEN a := rr.pick_actor('any'); p := rr.gen_update_issue(op, a);
	WHEN 4 THEN a := rr.pick_actor('any'); p := rr.gen_update_issues(op, a);
	WHEN 5 THEN a := rr.pick_actor('any'); p := rr.gen_delete_issue(op, a);
	WHEN 6 THEN a := rr.pick_actor('admin'); p := rr.gen_delete_issues(op, a);
	WHEN 7 THEN a := rr.pick_actor('any'); p := rr.gen_insert_comment(op, a);
	WHEN 8 THEN a := rr.pick_actor('any'); p := rr.gen_edit_comment(op, a);
	WHEN 9 THEN a := rr.pick_actor('author'); p := rr.gen_edit_comments(op, a);
	WHEN 10 THEN a := rr.pick_actor('any'); p := rr.gen_delete_comment(op, a);
	WHEN 11 THEN a := rr.pick_actor('any'); p := rr.gen_delete_comments(op, a, false);
	WHEN 12 THEN a := rr.pick_actor('author'); p := rr.gen_delete_comments(op, a, true);
	WHEN 13 THEN a := rr.pick_actor('admin'); p := rr.gen_team(op, a);
	WHEN 14 THEN a := rr.pick_actor('sa'); p := rr.gen_set_role(op, a, random() < 0.3);
	WHEN 15 THEN a := rr.pick_actor('sa'); p := rr.gen_set_active(op, a, random() < 0.3);
	WHEN 16 THEN a := rr.pick_actor('sa'); p := rr.gen_add_user(op, a, random() < 0.3);
	WHEN 17 THEN p := rr.gen_tenant(op);
	WHEN 18 THEN a := rr.pick_actor('any'); p := rr.gen_attack(op, a);
	ELSE a := rr.pick_actor('any'); p := rr.gen_no_context(op, a); a.token := NULL;
	END CASE;

	IF cardinality(p.watch) > 0 THEN
		PERFORM rr.check_all(NULL, p.watch, op);	-- before (and with their contexts cached)
	END IF;
	lazy := random() < 0.3;
	IF lazy AND NOT a.auth AND p.kind IN ('read issue counters', 'attack: update users') THEN
		-- the missing privilege may well be found before the token is first used
		p := rr.refuse(p, '{28000,42501}');
	END IF;
	IF coalesce(p.operator, false) THEN
		r := rr.exec_operator(p.stmt, p.params, p.flavor);
		who := 'operator';
	ELSE
		r := rr.exec_user(a.token, p.stmt, p.params, p.flavor, lazy, a.schema);
		who := CASE WHEN a.token IS NULL THEN 'no context' ELSE
			   format('%s/%s (%s%s)', a.slug, a.subject, a.role,
					  CASE WHEN a.tstatus <> 'active' THEN ', tenant suspended'
						   WHEN NOT a.active THEN ', deactivated' ELSE '' END) END;
	END IF;
	IF r.state = '00000' THEN
		good := coalesce(p.ok, false) AND (p.nrows IS NULL OR r.nrows = p.nrows)
				AND (p.ids IS NULL OR r.ids = p.ids) AND (p.val IS NULL OR r.val = p.val);
		IF p.ok AND p.effect IS NOT NULL THEN
			complaint := rr.apply(op, p.effect);
		END IF;
	ELSE
		good := r.state = ANY (coalesce(p.codes, '{}'));
	END IF;
	INSERT INTO rr.log VALUES (op, p.kind, who, p.stmt, p.params, rr.describe(p), r.state, r.nrows,
							   coalesce(p.ok AND cardinality(p.codes) > 0, false), good AND complaint IS NULL, r.msg);
	IF NOT good OR complaint IS NOT NULL THEN
		INSERT INTO rr.mismatch (op, kind, who, detail)
		VALUES (op, p.kind, who,
				format('%s; params %s; expected %s; got %s rows=%s val=%s %s%s%s', p.stmt, p.params,
					   rr.describe(p), r.state, r.nrows, r.val, coalesce(r.msg, ''),
					   CASE WHEN p.ids IS NOT NULL AND r.ids IS NOT NULL AND r.ids <> p.ids
							THEN '; ' || rr.diff(r.ids, p.ids) ELSE '' END,
					   coalesce('; ' || complaint, '')));
	END IF;
	RETURN p.watch;
END $$;

--
-- After every 100 operations: the shadow against the tables, and what
-- every user sees against what the rules allow
--
CREATE FUNCTION rr.compare_shadow(chk integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	INSERT INTO rr.mismatch (op, chk, kind, who, detail)
	SELECT s.last_op, chk, 'state of ' || coalesce(s.tbl, v.tbl), NULL,
		   format('%s %s of tenant %s: expected %s, found %s', coalesce(s.tbl, v.tbl), coalesce(s.id, v.id),
				  coalesce(s.tenant_id, v.tenant_id), coalesce(s.val::text, '(no row)'),
				  coalesce(v.val::text, '(no row)'))
	FROM rr.shadow s FULL JOIN rr.v_norm v ON v.tbl = s.tbl AND v.id = s.id
	WHERE s.val IS DISTINCT FROM v.val OR s.tenant_id IS DISTINCT FROM v.tenant_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		PERFORM rr.resync();
	END IF;
END $$;

CREATE TYPE rr.expect AS (
	tidx		integer,
	subject		text,
	tenant		uuid,
	schema		name,
	uid			uuid,
	token		text,
	auth		boolean,
	issues		uuid[],
	comments	uuid[],
	n_users		bigint,
	n_teams		bigint,
	n_members	bigint
);
CREATE FUNCTION rr.expected_all() RETURNS SETOF rr.expect
LANGUAGE sql STABLE AS $$
	WITH u AS (
		SELECT r.idx, us.subject, us.tenant_id, r.schema, us.id, k.token,
			   us.active AND tn.status = 'active' AS auth,
			   us.role IN ('admin', 'super_admin') AS adm,
			   ARRAY(SELECT tm.team_id FROM rr.v_team_members tm
					 WHERE tm.tenant_id = us.tenant_id AND tm.user_id = us.id) AS teams
		FROM rr.v_users us
		JOIN tracker.tenants tn ON tn.id = us.tenant_id
		JOIN rr.tenant r ON r.id = us.tenant_id
		JOIN rr.tok k ON k.tenant_id = us.tenant_id AND k.user_id = us.id)
	SELECT u.idx, u.subject, u.tenant_id, u.schema, u.id, u.token, u.auth,
		   (SELECT coalesce(array_agg(i.id ORDER BY i.id), '{}') FROM rr.v_issues i
			WHERE i.tenant_id = u.tenant_id
			AND (u.adm OR i.reporter_id = u.id OR i.assignee_id = u.id OR i.team_id = ANY (u.teams))),
		   (SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}')
			FROM rr.v_comments c JOIN rr.v_issues i ON i.tenant_id = c.tenant_id AND i.id = c.issue_id
			WHERE c.tenant_id = u.tenant_id AND (u.adm OR NOT c.internal)
			AND (u.adm OR i.reporter_id = u.id OR i.assignee_id = u.id OR i.team_id = ANY (u.teams))),
		   (SELECT count(*) FROM rr.v_users x WHERE x.tenant_id = u.tenant_id),
		   (SELECT count(*) FROM rr.v_teams x WHERE x.tenant_id = u.tenant_id),
		   (SELECT count(*) FROM rr.v_team_members x WHERE x.tenant_id = u.tenant_id)
	FROM u ORDER BY u.idx, u.subject
$$;

-- rr.check_all(chk) is generated: its queries name every data schema, and
-- are static so that their plans are kept from one user to the next.
DO $gen$
DECLARE
	everything text;
BEGIN
	SELECT string_agg(format(
		'SELECT tenant_id AS t FROM %1$I.issues UNION ALL SELECT tenant_id FROM %1$I.comments '
		'UNION ALL SELECT tenant_id FROM %1$I.users UNION ALL SELECT tenant_id FROM %1$I.teams '
		'UNION ALL SELECT tenant_id FROM %1$I.team_members', s), ' UNION ALL ' ORDER BY s)
		|| ' UNION ALL SELECT id FROM tracker.tenants'
	INTO everything
	FROM (SELECT DISTINCT schema::text AS s FROM rr.tenant) x;

	EXECUTE format($f$
CREATE FUNCTION rr.check_all(chk integer, only_users uuid[] DEFAULT NULL, op integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $body$
DECLARE
	e rr.expect;
	all_e rr.expect[];
	me uuid;
	st text;
	msg text;
	s_issues uuid[];
	s_comments uuid[];
	n_users bigint;
	n_teams bigint;
	n_members bigint;
	n_foreign bigint;
	good boolean;
	why text;
	path text := current_setting('search_path');
	outer_token text := current_setting('tracker.token', true);
BEGIN
	PERFORM rr.sign_missing();
	all_e := ARRAY(SELECT x FROM rr.expected_all() x WHERE only_users IS NULL OR x.uid = ANY (only_users));
	FOREACH e IN ARRAY all_e LOOP
		me := e.tenant;
		st := '00000';
		msg := NULL;
		s_issues := NULL;
		s_comments := NULL;
		n_foreign := NULL;
		BEGIN
			EXECUTE 'SET ROLE regress_rand';
			IF coalesce(chk, op) %% 2 = 1 THEN
				-- as a pooler would: the token and the search_path, verified at first use
				PERFORM set_config('tracker.token', e.token, true);
				PERFORM set_config('search_path', quote_ident(e.schema) || ', public', true);
			ELSE
				PERFORM tracker.authenticate(e.token, true);
			END IF;
			SELECT (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM issues),
				   (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM comments),
				   (SELECT count(*) FROM users),
				   (SELECT count(*) FROM teams),
				   (SELECT count(*) FROM team_members),
				   (SELECT count(*) FROM (%s) s WHERE s.t IS DISTINCT FROM me)
			INTO s_issues, s_comments, n_users, n_teams, n_members, n_foreign;
			EXECUTE 'RESET ROLE';
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
		END;
		EXECUTE 'RESET ROLE';
		IF e.auth THEN
			good := st = '00000' AND s_issues = e.issues AND s_comments = e.comments
					AND n_users = e.n_users AND n_teams = e.n_teams AND n_members = e.n_members
					AND n_foreign = 0;
		ELSE
			good := st = '28000';
		END IF;
		INSERT INTO rr.vcheck VALUES (chk, op, e.tenant, e.uid, e.auth, st, cardinality(s_issues),
									  cardinality(s_comments), n_foreign, good);
		IF NOT good THEN
			why := CASE WHEN st <> '00000' OR NOT e.auth THEN format('state %%s (%%s), login allowed: %%s', st, msg, e.auth)
				ELSE format('issues: %%s; comments: %%s; users %%s/%%s, teams %%s/%%s, members %%s/%%s, foreign rows %%s',
							rr.diff(s_issues, e.issues), rr.diff(s_comments, e.comments),
							n_users, e.n_users, n_teams, e.n_teams, n_members, e.n_members, n_foreign) END;
			INSERT INTO rr.mismatch (op, chk, kind, who, detail)
			VALUES (op, chk, CASE WHEN op IS NULL THEN 'visibility' ELSE 'visibility around an operation' END,
					(SELECT t.slug FROM rr.tenant t WHERE t.id = e.tenant) || '/' || e.subject, why);
		END IF;
	END LOOP;
	PERFORM set_config('search_path', path, true);
	PERFORM set_config('tracker.token', coalesce(outer_token, ''), true);
END $body$
$f$, everything);
END $gen$;

CREATE PROCEDURE rr.run(n integer)
LANGUAGE plpgsql AS $$
DECLARE
	watch uuid[];
BEGIN
	FOR op IN 1 .. n LOOP
		watch := rr.step(op);
		COMMIT;
		-- a change of teams, roles, activity or tenant reaches the next transaction
		IF cardinality(watch) > 0 THEN
			PERFORM rr.check_all(NULL, watch, op);
			COMMIT;
		END IF;
		IF op % 100 = 0 THEN
			PERFORM rr.compare_shadow(op / 100);
			PERFORM rr.check_all(op / 100);
			COMMIT;
		END IF;
	END LOOP;
END $$;

--
-- Teams, members, issues and comments of every tenant, made through the
-- API by the tenants' own users
--
CREATE FUNCTION rr.setup_call(a rr.actor, stmt text, params jsonb, flavor text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r record := rr.exec_user(a.token, stmt, params, flavor);
BEGIN
	IF r.state <> '00000' THEN
		RAISE EXCEPTION 'setup failed for %/%: % % (%)', a.slug, a.subject, r.state, r.msg, stmt;
	END IF;
	RETURN r.val;
END $$;

DO $$
DECLARE
	t rr.tenant;
	sa rr.actor;
	a rr.actor;
	u uuid;
	team uuid;
	iss uuid;
	users uuid[];
	k integer;
	f jsonb;
	n integer := 0;
BEGIN
	FOR k IN 1 .. 23 LOOP
		SELECT * INTO t FROM rr.tenant WHERE idx = k;
		users := ARRAY(SELECT x.id FROM rr.v_users x WHERE x.tenant_id = t.id ORDER BY x.subject);
		sa := rr.get_actor(t.id, (SELECT x.id FROM rr.v_users x WHERE x.tenant_id = t.id
								  AND x.role = 'super_admin' ORDER BY x.subject LIMIT 1));
		FOR j IN 1 .. CASE WHEN t.tier = 'basic' THEN 2 ELSE 3 END LOOP
			PERFORM rr.setup_call(sa,
				'SELECT tracker.create_team($1->>''name'', $1->>''description'', ($1->>''lead'')::uuid)::text',
				jsonb_build_object('name', 'team-' || chr(96 + j), 'description', 'Team ' || j,
					'lead', rr.pick(ARRAY(SELECT x.id FROM rr.v_users x WHERE x.tenant_id = t.id
										  AND x.role <> 'super_admin' ORDER BY x.subject))), 'val');
		END LOOP;
		FOREACH team IN ARRAY ARRAY(SELECT x.id FROM rr.v_teams x WHERE x.tenant_id = t.id ORDER BY x.name) LOOP
			FOREACH u IN ARRAY users LOOP
				IF random() < 0.35 THEN
					PERFORM rr.setup_call(sa,
						'SELECT tracker.add_team_member(($1->>''team'')::uuid, ($1->>''user'')::uuid)',
						jsonb_build_object('team', team, 'user', u), 'dml');
				END IF;
			END LOOP;
		END LOOP;
		-- admins and super admins: two issues each, assigned and given to teams at random
		FOREACH u IN ARRAY users LOOP
			a := rr.get_actor(t.id, u);
			FOR j IN 1 .. CASE WHEN a.adm THEN 2 ELSE 1 END LOOP
				f := jsonb_build_object('title', 'setup ' || a.subject || '/' || j,
										'priority', rr.pickt('{low,medium,high,critical}'),
										'issue_type', rr.pickt('{bug,feature,task,story}'));
				IF a.adm THEN
					IF random() < 0.7 THEN f := f || jsonb_build_object('assignee_id', rr.pick(users)); END IF;
					IF random() < 0.6 THEN f := f || jsonb_build_object('team_id', rr.pick_team(a, 'own', 0)); END IF;
				ELSIF random() < 0.5 THEN
					f := f || jsonb_build_object('assignee_id', a.uid);
				END IF;
				PERFORM rr.setup_call(a, rr.insert_sql('issues', f), f, 'dml');
			END LOOP;
		END LOOP;
		-- comments: by the reporter, and by admins (internal half of the time)
		FOREACH iss IN ARRAY ARRAY(SELECT x.id FROM rr.v_issues x WHERE x.tenant_id = t.id ORDER BY x.number) LOOP
			IF random() < 0.6 THEN
				a := rr.get_actor(t.id, (SELECT x.reporter_id FROM rr.v_issues x WHERE x.tenant_id = t.id AND x.id = iss));
				n := n + 1;
				f := jsonb_build_object('issue_id', iss, 'content', 's' || n);
				PERFORM rr.setup_call(a, rr.insert_sql('comments', f), f, 'dml');
				INSERT INTO rr.cseq SELECT c.id, n FROM rr.v_comments c WHERE c.tenant_id = t.id AND c.content = 's' || n;
			END IF;
			IF random() < 0.5 THEN
				a := rr.get_actor(t.id, rr.pick(ARRAY(SELECT x.id FROM rr.v_users x WHERE x.tenant_id = t.id
													  AND x.role <> 'user' ORDER BY x.subject)));
				n := n + 1;
				f := jsonb_build_object('issue_id', iss, 'content', 's' || n, 'internal', random() < 0.5);
				PERFORM rr.setup_call(a, rr.insert_sql('comments', f), f, 'dml');
				INSERT INTO rr.cseq SELECT c.id, n FROM rr.v_comments c WHERE c.tenant_id = t.id AND c.content = 's' || n;
			END IF;
		END LOOP;
	END LOOP;
	PERFORM rr.resync();
END $$;

-- What the setup made; numbers are gapless from 1 in every tenant
SELECT count(*) AS tenants, sum(teams) AS teams, sum(members) AS team_members, sum(issues) AS issues,
	   sum(comments) AS comments, sum(internal) AS internal_comments,
	   bool_and(gapless) AS issue_numbers_gapless
FROM (SELECT t.idx,
			 (SELECT count(*) FROM rr.v_teams x WHERE x.tenant_id = t.id) AS teams,
			 (SELECT count(*) FROM rr.v_team_members x WHERE x.tenant_id = t.id) AS members,
			 (SELECT count(*) FROM rr.v_issues x WHERE x.tenant_id = t.id) AS issues,
			 (SELECT count(*) FROM rr.v_comments x WHERE x.tenant_id = t.id) AS comments,
			 (SELECT count(*) FROM rr.v_comments x WHERE x.tenant_id = t.id AND x.internal) AS internal,
			 (SELECT min(x.number) = 1 AND max(x.number) = count(*) AND count(DISTINCT x.number) = count(*)
			  AND bool_and(x.key = t.prefix || '-' || x.number)
			  FROM rr.v_issues x WHERE x.tenant_id = t.id) AS gapless
	  FROM rr.tenant t) s;

-- Round 0: every user sees exactly what the rules allow before anything happens
SELECT rr.check_all(0);
SELECT count(*) AS users_checked, count(*) FILTER (WHERE ok) AS as_expected FROM rr.vcheck WHERE chk = 0;

--
-- The walk: 10,000 operations, a check round after every 100
--
CALL rr.run(10000);

--
-- Results
--
SELECT count(*) AS operations, count(*) >= 10000 AS at_least_10000,
	   count(*) FILTER (WHERE got = '00000' AND NOT either_way) AS succeeded,
	   count(*) FILTER (WHERE got <> '00000' AND NOT either_way) AS refused,
	   count(*) FILTER (WHERE either_way) AS either_way,
	   count(*) FILTER (WHERE who = 'operator') AS as_operator,
	   count(DISTINCT split_part(who, ' ', 1)) FILTER (WHERE who NOT IN ('operator', 'no context')) AS users_acting
FROM rr.log;

SELECT count(*) AS visibility_checks, count(DISTINCT chk) AS rounds,
	   min(per_round) AS fewest_users_in_a_round,
	   count(*) FILTER (WHERE op IS NOT NULL) AS checks_around_operations,
	   count(DISTINCT op) AS operations_watched,
	   count(*) FILTER (WHERE NOT auth) AS refused_logins_expected
FROM (SELECT chk, op, auth, count(*) OVER (PARTITION BY chk) AS per_round FROM rr.vcheck) s;

SELECT count(*) AS mismatches FROM rr.mismatch;

-- No user ever saw a row of another tenant, in any data schema
SELECT coalesce(sum(foreign_rows), 0) AS foreign_rows_seen,
	   count(*) FILTER (WHERE foreign_rows > 0) AS checks_with_foreign_rows,
	   count(*) FILTER (WHERE auth AND foreign_rows IS NULL) AS checks_without_answer
FROM rr.vcheck;

-- Per kind of operation: successes, refusals and their SQLSTATEs; either_way
-- counts those where the rules allow no change or a refusal alike (a comment
-- of someone else's, writes without a context), whichever happened
SELECT kind, count(*) AS total,
	   count(*) FILTER (WHERE got = '00000' AND NOT either_way) AS succeeded,
	   count(*) FILTER (WHERE got <> '00000' AND NOT either_way) AS refused,
	   count(*) FILTER (WHERE either_way) AS either_way,
	   coalesce(string_agg(DISTINCT got, ' ') FILTER (WHERE got <> '00000' AND NOT either_way), '') AS sqlstates
FROM rr.log GROUP BY kind ORDER BY kind;

-- Rows affected by the successful writes, per kind
SELECT kind, sum(nrows) FILTER (WHERE got = '00000') AS rows_affected
FROM rr.log WHERE kind NOT LIKE 'read%' AND sql NOT LIKE 'SELECT%' GROUP BY kind ORDER BY kind;

-- Where the walk left the tenants
SELECT count(*) AS users, count(*) FILTER (WHERE NOT active) AS deactivated,
	   count(*) FILTER (WHERE role = 'super_admin') AS super_admins,
	   count(*) FILTER (WHERE role = 'admin') AS admins
FROM rr.v_users;
SELECT (SELECT count(*) FROM rr.v_issues) AS issues, (SELECT count(*) FROM rr.v_comments) AS comments,
	   (SELECT count(*) FROM rr.v_teams) AS teams, (SELECT count(*) FROM rr.v_team_members) AS team_members;

-- Empty unless something went wrong: the first disagreements, to debug
SELECT op, chk, kind, who, detail FROM rr.mismatch ORDER BY n LIMIT 25;

--
-- Clean up
--
RESET search_path;
DROP SCHEMA rr CASCADE;
DROP SCHEMA tracker_pool CASCADE;
DROP SCHEMA tenant_plat_21 CASCADE;
DROP SCHEMA tenant_plat_22 CASCADE;
DROP SCHEMA tenant_plat_23 CASCADE;
DROP EXTENSION tracker;
RESET client_min_messages;
DROP ROLE regress_rand;
