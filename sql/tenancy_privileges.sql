--
-- tenancy_privileges: the catalog's word on who may do what
--
-- Row-level security enabled and forced on every tenant table (pool and
-- silo) and on the extension's own tables; nothing granted to PUBLIC; the
-- exact privileges of tracker_user (and tracker_anon, tracker_operator);
-- SECURITY DEFINER functions pinned to search_path = pg_catalog, pg_temp;
-- no views over tenant tables that are not security_invoker; and the
-- context functions C, STABLE and PARALLEL SAFE.
--
CREATE EXTENSION tracker;

-- a pooled tenant and a silo, so that both kinds of data schema exist
SELECT tracker.create_tenant('techstart', 'TechStart Solutions', 'basic') IS NOT NULL AS techstart;
SELECT tracker.create_tenant('mega-corp', 'Mega Corp', 'platinum') IS NOT NULL AS megacorp;
-- (a silo's schema gets a random name; this file names it, to show it)
SELECT tracker.rename_silo(id, 'tenant_mega_corp') FROM tracker.tenants WHERE slug = 'mega-corp';

-- the schemas this file looks at: the extension's, and the data schemas
CREATE FUNCTION pg_temp.tracker_schemas() RETURNS SETOF oid
LANGUAGE sql STABLE AS $$
	SELECT oid FROM pg_namespace
	WHERE nspname IN ('tracker', 'tracker_pool')
	   OR nspname IN (SELECT data_schema FROM tracker.tenants)
$$;
SELECT nspname FROM pg_namespace WHERE oid IN (SELECT pg_temp.tracker_schemas()) ORDER BY 1;

--
-- 1. Row-level security: enabled and forced on every table
--
SELECT n.nspname, c.relname, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas()) AND c.relkind IN ('r', 'p')
ORDER BY n.nspname = 'tracker' DESC, n.nspname COLLATE "C", c.relname COLLATE "C";
-- (the same, as an assertion: no table without both)
SELECT count(*) AS tables_without_forced_rls
FROM pg_class c
WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas()) AND c.relkind IN ('r', 'p')
  AND NOT (c.relrowsecurity AND c.relforcerowsecurity);
-- every policy applies to the tracker roles only, never to PUBLIC
SELECT schemaname = 'tracker' AS registry, tablename, policyname, cmd, roles
FROM pg_policies
WHERE schemaname IN ('tracker', 'tracker_pool')
ORDER BY schemaname = 'tracker' DESC, tablename COLLATE "C", policyname COLLATE "C";
SELECT count(*) AS policies_for_public
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas()) AND 0 = ANY (p.polroles);
-- the silo has the same policies as the pool
SELECT count(*) AS silo_policy_differences FROM (
	(SELECT tablename, policyname, cmd, roles FROM pg_policies WHERE schemaname = 'tracker_pool'
	 EXCEPT SELECT tablename, policyname, cmd, roles FROM pg_policies WHERE schemaname = 'tenant_mega_corp')
	UNION ALL
	(SELECT tablename, policyname, cmd, roles FROM pg_policies WHERE schemaname = 'tenant_mega_corp'
	 EXCEPT SELECT tablename, policyname, cmd, roles FROM pg_policies WHERE schemaname = 'tracker_pool')) d;

--
-- 2. PUBLIC has no privileges: schemas, tables (and any other relation),
--    columns, functions
--
SELECT n.nspname, a.privilege_type
FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
WHERE n.oid IN (SELECT pg_temp.tracker_schemas()) AND a.grantee = 0;
SELECT c.oid::regclass AS relation, a.privilege_type
FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas()) AND a.grantee = 0
ORDER BY c.oid::regclass::text COLLATE "C", a.privilege_type;
SELECT c.oid::regclass AS relation, t.attname, a.privilege_type
FROM pg_class c JOIN pg_attribute t ON t.attrelid = c.oid, aclexplode(t.attacl) a
WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas()) AND a.grantee = 0;
SELECT p.oid::regprocedure AS function, a.privilege_type
FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
WHERE p.pronamespace IN (SELECT pg_temp.tracker_schemas()) AND a.grantee = 0
ORDER BY p.oid::regprocedure::text COLLATE "C";
-- the one exception: PostgreSQL gives PUBLIC USAGE on every new type, and
-- the domains keep it (it lets nobody read or write a row)
SELECT t.oid::regtype AS type, a.privilege_type
FROM pg_type t, aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) a
WHERE t.typnamespace IN (SELECT pg_temp.tracker_schemas()) AND t.typtype = 'd' AND a.grantee = 0
ORDER BY t.oid::regtype::text COLLATE "C";

--
-- 3. What the tracker roles are granted, exactly
--
CREATE FUNCTION pg_temp.grants(role name) RETURNS TABLE (object text, privilege text)
LANGUAGE sql STABLE AS $$
	SELECT g.object, g.privilege FROM (
	SELECT 'schema ' || n.nspname AS object, a.privilege_type AS privilege
	FROM pg_namespace n, aclexplode(n.nspacl) a
	WHERE n.oid IN (SELECT pg_temp.tracker_schemas()) AND a.grantee = role::regrole
	UNION ALL
	SELECT 'table ' || c.oid::regclass::text, a.privilege_type
	FROM pg_class c, aclexplode(c.relacl) a
	WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas()) AND a.grantee = role::regrole
	UNION ALL
	SELECT 'column ' || c.oid::regclass::text || '.' || t.attname, a.privilege_type
	FROM pg_class c JOIN pg_attribute t ON t.attrelid = c.oid, aclexplode(t.attacl) a
	WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas()) AND a.grantee = role::regrole
	UNION ALL
	SELECT 'function ' || p.oid::regprocedure::text, a.privilege_type
	FROM pg_proc p, aclexplode(p.proacl) a
	WHERE p.pronamespace IN (SELECT pg_temp.tracker_schemas()) AND a.grantee = role::regrole
	) g
	ORDER BY g.object COLLATE "C", g.privilege COLLATE "C"
$$;
SELECT * FROM pg_temp.grants('tracker_user');
SELECT * FROM pg_temp.grants('tracker_anon');
SELECT * FROM pg_temp.grants('tracker_operator');
-- none of them holds grant options, and none owns anything
SELECT count(*) AS grant_options
FROM pg_class c, aclexplode(c.relacl) a
WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas()) AND a.is_grantable;
SELECT count(*) AS owned_by_tracker_roles
FROM pg_class c
WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas())
  AND c.relowner IN ('tracker_user'::regrole, 'tracker_anon'::regrole, 'tracker_operator'::regrole);
SELECT r.rolname, r.rolsuper, r.rolcanlogin, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb
FROM pg_roles r WHERE r.rolname IN ('tracker_user', 'tracker_anon', 'tracker_operator') ORDER BY 1;

-- every function of schema tracker that tenant users can execute
-- (directly, through a role they are in, or through PUBLIC)
SELECT p.oid::regprocedure AS function, l.lanname, p.prosecdef AS definer
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'tracker'::regnamespace
  AND has_function_privilege('tracker_user', p.oid, 'EXECUTE')
ORDER BY p.oid::regprocedure::text COLLATE "C";
-- ... and every table they can touch, with what
SELECT c.oid::regclass AS relation,
	   array_to_string(ARRAY(SELECT m FROM unnest('{SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER}'::text[]) m
							 WHERE has_table_privilege('tracker_user', c.oid, m)), ', ') AS privileges
FROM pg_class c
WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas()) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
ORDER BY c.oid::regclass::text COLLATE "C";

--
-- 4. SECURITY DEFINER functions: search_path pinned, owned by a superuser
--
SELECT n.nspname, p.oid::regprocedure AS function, p.proconfig,
	   r.rolsuper AS owner_is_superuser
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles r ON r.oid = p.proowner
WHERE p.pronamespace IN (SELECT pg_temp.tracker_schemas()) AND p.prosecdef
ORDER BY n.nspname COLLATE "C", p.oid::regprocedure::text COLLATE "C";
SELECT count(*) AS definers_without_the_search_path
FROM pg_proc p
WHERE p.pronamespace IN (SELECT pg_temp.tracker_schemas()) AND p.prosecdef
  AND p.proconfig IS DISTINCT FROM ARRAY['search_path=pg_catalog, pg_temp'];
-- no function in the data schemas at all (the triggers live in schema tracker)
SELECT count(*) AS data_schema_functions FROM pg_proc
WHERE pronamespace IN (SELECT pg_temp.tracker_schemas()) AND pronamespace <> 'tracker'::regnamespace;
-- the SQL and PL/pgSQL functions of schema tracker all pin their search_path
-- (but for upgrade_data_schemas: a procedure that commits cannot, so every
-- name in it is qualified)
SELECT p.oid::regprocedure AS function
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'tracker'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
  AND p.proconfig IS DISTINCT FROM ARRAY['search_path=pg_catalog, pg_temp']
ORDER BY p.oid::regprocedure::text COLLATE "C";

--
-- 5. No views over tenant tables, or only security_invoker ones
--
SELECT c.oid::regclass AS view, c.relkind, c.reloptions
FROM pg_class c
WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas()) AND c.relkind IN ('v', 'm');
-- anywhere in the database: views that read a tracker table without security_invoker
SELECT DISTINCT v.oid::regclass AS view, t.oid::regclass AS reads
FROM pg_rewrite w
JOIN pg_class v ON v.oid = w.ev_class
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
				AND d.refclassid = 'pg_class'::regclass
JOIN pg_class t ON t.oid = d.refobjid
WHERE v.relkind IN ('v', 'm') AND t.oid <> v.oid
  AND t.relnamespace IN (SELECT pg_temp.tracker_schemas())
  AND NOT coalesce('security_invoker=true' = ANY (v.reloptions)
				   OR 'security_invoker=on' = ANY (v.reloptions), false);
-- (the check finds one when there is one, and passes a security_invoker view)
CREATE VIEW public.regress_issue_titles AS SELECT key, title FROM tracker_pool.issues;
CREATE VIEW public.regress_issue_keys WITH (security_invoker = true) AS SELECT key FROM tracker_pool.issues;
SELECT DISTINCT v.oid::regclass AS view, t.oid::regclass AS reads
FROM pg_rewrite w
JOIN pg_class v ON v.oid = w.ev_class
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
				AND d.refclassid = 'pg_class'::regclass
JOIN pg_class t ON t.oid = d.refobjid
WHERE v.relkind IN ('v', 'm') AND t.oid <> v.oid
  AND t.relnamespace IN (SELECT pg_temp.tracker_schemas())
  AND NOT coalesce('security_invoker=true' = ANY (v.reloptions)
				   OR 'security_invoker=on' = ANY (v.reloptions), false);
DROP VIEW public.regress_issue_titles, public.regress_issue_keys;

--
-- 6. The context functions: C, STABLE, PARALLEL SAFE, not SECURITY DEFINER
--
SELECT p.oid::regprocedure AS function, l.lanname, p.provolatile, p.proparallel, p.prosecdef, p.proisstrict
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'tracker'::regnamespace
  AND p.proname IN ('current_tenant', 'current_subject', 'current_member_role', 'current_user_id',
					'current_teams', 'claims', 'allowed')
ORDER BY p.oid::regprocedure::text COLLATE "C";
-- the policies call context functions only (the ones above)
SELECT f AS called_by_policies FROM (
	SELECT DISTINCT p.oid::regprocedure::text AS f
	FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
	JOIN pg_depend d ON d.classid = 'pg_policy'::regclass AND d.objid = pol.oid
					AND d.refclassid = 'pg_proc'::regclass
	JOIN pg_proc p ON p.oid = d.refobjid
	WHERE c.relnamespace IN (SELECT pg_temp.tracker_schemas())) s
ORDER BY f COLLATE "C";
-- the text domains' equality is leakproof, so filters on them can use indexes under RLS
SELECT t.oid::regtype AS domain, o.oprcode::regproc AS equality, f.proleakproof
FROM pg_type t
JOIN pg_operator o ON o.oprname = '=' AND o.oprleft = t.typbasetype AND o.oprright = t.typbasetype
JOIN pg_proc f ON f.oid = o.oprcode
WHERE t.typnamespace = 'tracker'::regnamespace AND t.typtype = 'd'
ORDER BY t.oid::regtype::text COLLATE "C";

--
-- Clean up
--
SET client_min_messages = warning;
DROP SCHEMA tracker_pool CASCADE;
DROP SCHEMA tenant_mega_corp CASCADE;
DROP EXTENSION tracker;
