--
-- tenancy_tenants: provisioning tenants (operators only)
--
-- create_tenant for every tier (pooled tiers in tracker_pool, platinum in a
-- silo schema of its own with the same tables), the tier's default limits,
-- the issue key prefix, a fixed tenant id, every validation error and the
-- duplicates; set_tenant_limits and set_tenant_status; who may call them
-- (the operator check is on the session's role, not on a SECURITY DEFINER
-- owner); and what tracker.tenants shows to tenant users and operators.
--
CREATE EXTENSION tracker;

-- 'ok' (with the row count for DML) or 'SQLSTATE: message', run as the
-- calling role; uuids in messages are masked.
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	EXECUTE stmt;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN CASE WHEN stmt ~* '^\s*(insert|update|delete)' THEN 'ok, ' || n || ' row(s)' ELSE 'ok' END;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM,
		'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
END
$$;

CREATE ROLE regress_tenants_plain LOGIN;
CREATE ROLE regress_tenants_app LOGIN IN ROLE tracker_user;
CREATE ROLE regress_tenants_op LOGIN IN ROLE tracker_operator;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_tenants_op';

\set secret `cat test/keys/test-only-hs256.secret`
SELECT tracker.add_key('k1', 'HS256', :'secret');

--
-- 1. Tiers and their defaults
--
SELECT tier, (tracker.tier_defaults(tier)).*
FROM unnest(ARRAY['basic', 'standard', 'premium', 'platinum']) AS tier;
SELECT (tracker.tier_defaults('gold')).*;

-- the pooled schema does not exist until the first pooled tenant
SELECT to_regnamespace('tracker_pool') IS NULL AS no_pool_yet;

--
-- 2. create_tenant, one tenant per tier
--
SELECT tracker.create_tenant('techstart', 'TechStart Solutions', 'basic',
	tenant_id => '11111111-1111-1111-1111-111111111111') AS id;
SELECT tracker.create_tenant('acme-std', 'Acme Standard', 'standard') IS NOT NULL AS created;
SELECT tracker.create_tenant('devcorp', '  DevCorp Enterprise  ', 'premium', 'DEV',
	'22222222-2222-2222-2222-222222222222') AS id;
SELECT tracker.create_tenant('mega-corp', 'Mega Corp', 'platinum',
	tenant_id => '33333333-3333-3333-3333-333333333333') AS id;
-- a silo's schema name says nothing about its tenant (every role can read
-- pg_namespace): not its slug, not its name, not its id
SELECT data_schema ~ '^silo_[0-9a-f]{12}$' AS random_name,
	   strpos(data_schema, 'mega') = 0 AND strpos(data_schema, '3333') = 0 AS says_nothing
FROM tracker.tenants WHERE slug = 'mega-corp';
-- an operator may rename it (this file names it, to show it)
SELECT tracker.rename_silo('33333333-3333-3333-3333-333333333333', 'tenant_mega_corp');
-- key prefixes derived from the slug: its first four letters and digits, upper case
SELECT tracker.create_tenant('x-9-lab', 'X9 Lab', 'basic') IS NOT NULL AS created;
SELECT tracker.create_tenant('abc', 'Three Letters', 'basic') IS NOT NULL AS created;
SELECT tracker.create_tenant('q2-data-co', 'Q2 Data', 'standard', 'Q2D0') IS NOT NULL AS created;

SELECT slug, name, tier, status, max_users, api_calls_per_month, key_prefix, data_schema,
	   created_at <= now() AND updated_at = created_at AS stamped
FROM tracker.tenants ORDER BY slug;

-- the fixed ids are the ones asked for
SELECT slug, id FROM tracker.tenants
WHERE id IN ('11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222',
			 '33333333-3333-3333-3333-333333333333')
ORDER BY slug;

-- every tenant has its issue counter, in its own data schema
SELECT t.slug, c.last_number FROM tracker.tenants t JOIN tracker_pool.issue_counters c ON c.tenant_id = t.id
UNION ALL
SELECT t.slug, c.last_number FROM tracker.tenants t JOIN tenant_mega_corp.issue_counters c ON c.tenant_id = t.id
ORDER BY 1;

-- the silo and the pool: schemas of the extension's data, not members of it
SELECT n.nspname, d.objid IS NOT NULL AS extension_member
FROM pg_namespace n
LEFT JOIN pg_depend d ON d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e'
WHERE n.nspname IN ('tracker_pool', 'tenant_mega_corp') ORDER BY 1;

-- the same tables in the silo as in the pool
SELECT table_schema, string_agg(table_name, ', ' ORDER BY table_name) AS tables
FROM information_schema.tables
WHERE table_schema IN ('tracker_pool', 'tenant_mega_corp')
GROUP BY table_schema ORDER BY 1;
-- ... with the same columns, types, defaults aside ...
(SELECT table_name, column_name, ordinal_position, data_type, domain_name, is_nullable
 FROM information_schema.columns WHERE table_schema = 'tracker_pool'
 EXCEPT
 SELECT table_name, column_name, ordinal_position, data_type, domain_name, is_nullable
 FROM information_schema.columns WHERE table_schema = 'tenant_mega_corp')
UNION ALL
(SELECT table_name, column_name, ordinal_position, data_type, domain_name, is_nullable
 FROM information_schema.columns WHERE table_schema = 'tenant_mega_corp'
 EXCEPT
 SELECT table_name, column_name, ordinal_position, data_type, domain_name, is_nullable
 FROM information_schema.columns WHERE table_schema = 'tracker_pool');
SELECT count(*) AS pool_columns FROM information_schema.columns WHERE table_schema = 'tracker_pool';
-- ... the same indexes, policies and triggers, and RLS enabled and forced
SELECT c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
	   (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) AS indexes,
	   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
	   (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal) AS triggers,
	   (SELECT count(*) FROM pg_class s WHERE s.relnamespace = 'tenant_mega_corp'::regnamespace
		  AND s.relname = c.relname AND s.relkind = c.relkind
		  AND s.relrowsecurity AND s.relforcerowsecurity
		  AND (SELECT count(*) FROM pg_index i WHERE i.indrelid = s.oid)
			  = (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid)
		  AND (SELECT count(*) FROM pg_policy p WHERE p.polrelid = s.oid)
			  = (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
		  AND (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = s.oid AND NOT g.tgisinternal)
			  = (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal))
	   AS same_in_silo
FROM pg_class c
WHERE c.relnamespace = 'tracker_pool'::regnamespace AND c.relkind = 'r'
ORDER BY c.relname;
SELECT count(*) AS silo_tables FROM pg_class
WHERE relnamespace = 'tenant_mega_corp'::regnamespace AND relkind = 'r';

--
-- 3. Validation errors: 22023 for a bad tier, slug, name or prefix
--
SELECT pg_temp.try($$SELECT tracker.create_tenant('gold-co', 'Gold', 'gold')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('gold-co', 'Gold', 'Basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('gold-co', 'Gold', NULL)$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('ab', 'Too short', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('Acme', 'Upper case', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('1acme', 'Leading digit', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('-acme', 'Leading hyphen', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('acme-', 'Trailing hyphen', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('acme_co', 'Underscore', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('acme co', 'Space', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant(E'acme\nco', 'Newline', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('acmé', 'Non-ASCII', 'basic')$$);
SELECT pg_temp.try(format('SELECT tracker.create_tenant(%L, %L, %L)', 'a' || repeat('b', 40), '41 characters', 'basic'));
SELECT pg_temp.try($$SELECT tracker.create_tenant(NULL, 'No slug', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('noname', '', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('noname', '   ', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('noname', NULL, 'basic')$$);
SELECT pg_temp.try(format('SELECT tracker.create_tenant(%L, %L, %L)', 'longname', repeat('n', 201), 'basic'));
SELECT pg_temp.try($$SELECT tracker.create_tenant('badprefix', 'Bad prefix', 'basic', 'acme')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('badprefix', 'Bad prefix', 'basic', '1ACME')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('badprefix', 'Bad prefix', 'basic', 'AC-ME')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('badprefix', 'Bad prefix', 'basic', '')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('badprefix', 'Bad prefix', 'basic', 'ABCDEFGHIJK')$$);
-- the limits of the valid ranges are accepted
SELECT tracker.create_tenant('a' || repeat('b', 39), repeat('n', 200), 'basic', 'ABCDEFGHIJ')
	IS NOT NULL AS created;
SELECT length(slug) AS slug_length, length(name) AS name_length, key_prefix
FROM tracker.tenants WHERE slug LIKE 'abbb%';

-- duplicates: 42710, for the slug and for the id, in any tier
SELECT pg_temp.try($$SELECT tracker.create_tenant('techstart', 'Again', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('mega-corp', 'Again', 'platinum')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('mega-corp', 'Again', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('other', 'Same id', 'basic',
	tenant_id => '11111111-1111-1111-1111-111111111111')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('other', 'Same id', 'platinum',
	tenant_id => '33333333-3333-3333-3333-333333333333')$$);
-- a silo schema name that is already taken by something else, and names
-- that are not for silos
CREATE SCHEMA tenant_taken;
SELECT pg_temp.try($$SELECT tracker.rename_silo('33333333-3333-3333-3333-333333333333', 'tenant_taken')$$);
DROP SCHEMA tenant_taken;
SELECT pg_temp.try($$SELECT tracker.rename_silo('33333333-3333-3333-3333-333333333333', 'pg_silo')$$);
SELECT pg_temp.try($$SELECT tracker.rename_silo('33333333-3333-3333-3333-333333333333', 'Silo')$$);
SELECT pg_temp.try($$SELECT tracker.rename_silo('11111111-1111-1111-1111-111111111111')$$);
-- none of the refusals left a tenant or a schema behind
SELECT count(*) AS tenants FROM tracker.tenants;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\_%' ORDER BY 1;

--
-- 4. set_tenant_limits: overrides, and NULL for the tier's default
--
SELECT tracker.set_tenant_limits('11111111-1111-1111-1111-111111111111', 7, 2500);
SELECT tracker.set_tenant_limits('33333333-3333-3333-3333-333333333333', 500, 1000000);
SELECT slug, max_users, api_calls_per_month FROM tracker.tenants
WHERE slug IN ('techstart', 'mega-corp') ORDER BY slug;
SELECT tracker.set_tenant_limits('11111111-1111-1111-1111-111111111111', NULL, 3000);
SELECT tracker.set_tenant_limits('33333333-3333-3333-3333-333333333333', 600, NULL);
SELECT slug, max_users, api_calls_per_month FROM tracker.tenants
WHERE slug IN ('techstart', 'mega-corp') ORDER BY slug;
SELECT tracker.set_tenant_limits('11111111-1111-1111-1111-111111111111', NULL, NULL);
SELECT tracker.set_tenant_limits('33333333-3333-3333-3333-333333333333', NULL, NULL);
SELECT slug, max_users, api_calls_per_month, updated_at > created_at AS updated FROM tracker.tenants
WHERE slug IN ('techstart', 'mega-corp') ORDER BY slug;
SELECT pg_temp.try($$SELECT tracker.set_tenant_limits('11111111-1111-1111-1111-111111111111', 0, 10)$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_limits('11111111-1111-1111-1111-111111111111', 10, -1)$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_limits('99999999-9999-9999-9999-999999999999', 10, 10)$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_limits(NULL, 10, 10)$$);
SELECT max_users, api_calls_per_month FROM tracker.tenants WHERE slug = 'techstart';

--
-- 5. set_tenant_status, and what it does to the tenant's tokens
--
SELECT tracker.add_user('11111111-1111-1111-1111-111111111111', 'boss', 'boss@techstart.example', 'super_admin') IS NOT NULL AS added;
SELECT tracker.add_user('22222222-2222-2222-2222-222222222222', 'dana', 'dana@devcorp.example', 'user') IS NOT NULL AS added;
SELECT tracker.add_user('33333333-3333-3333-3333-333333333333', 'maya', 'maya@mega.example', 'admin') IS NOT NULL AS added;
SELECT tracker.sign_token('{"sub": "boss", "tenant_id": "11111111-1111-1111-1111-111111111111"}', 'k1') AS boss \gset
SELECT tracker.sign_token('{"sub": "dana", "tenant_id": "22222222-2222-2222-2222-222222222222"}', 'k1') AS dana \gset
SELECT tracker.sign_token('{"sub": "maya", "tenant_id": "33333333-3333-3333-3333-333333333333"}', 'k1') AS maya \gset

SET ROLE regress_tenants_app;
SELECT tracker.authenticate(:'dana') IS NOT NULL AS dana;
SELECT tracker.current_member_role(), current_setting('search_path') AS search_path;
RESET ROLE;
SELECT tracker.set_tenant_status('22222222-2222-2222-2222-222222222222', 'suspended');
SELECT slug, status FROM tracker.tenants WHERE slug = 'devcorp';
SET ROLE regress_tenants_app;
-- the established context stops working at once, and so does a new login
SELECT pg_temp.try('SELECT tracker.current_tenant()');
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'dana'));
RESET ROLE;
-- suspending twice is harmless; then back to active
SELECT tracker.set_tenant_status('22222222-2222-2222-2222-222222222222', 'suspended');
SELECT tracker.set_tenant_status('22222222-2222-2222-2222-222222222222', 'active');
SELECT slug, status FROM tracker.tenants WHERE slug = 'devcorp';
SET ROLE regress_tenants_app;
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'dana'));
SELECT tracker.current_subject();
RESET ROLE;
SELECT pg_temp.try($$SELECT tracker.set_tenant_status('22222222-2222-2222-2222-222222222222', 'deleted')$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_status('22222222-2222-2222-2222-222222222222', 'Active')$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_status('22222222-2222-2222-2222-222222222222', NULL)$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_status('99999999-9999-9999-9999-999999999999', 'active')$$);
-- the platinum tenant's silo follows the same rules
SELECT tracker.set_tenant_status('33333333-3333-3333-3333-333333333333', 'suspended');
SET ROLE regress_tenants_app;
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'maya'));
RESET ROLE;
SELECT tracker.set_tenant_status('33333333-3333-3333-3333-333333333333', 'active');
SET ROLE regress_tenants_app;
SELECT pg_temp.try(format('SELECT tracker.authenticate(%L)', :'maya'));
SELECT current_setting('search_path') AS search_path;
RESET ROLE;

--
-- 6. Who may provision: operators only, checked on the session's role
--
-- a plain role cannot even reach the schema
SET ROLE regress_tenants_plain;
SELECT pg_temp.try($$SELECT tracker.create_tenant('plain-co', 'Plain', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_limits('11111111-1111-1111-1111-111111111111', 1, 1)$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_status('11111111-1111-1111-1111-111111111111', 'suspended')$$);
SELECT pg_temp.try('SELECT count(*) FROM tracker.tenants');
RESET ROLE;

-- a tenant user whose context is a super admin's is no operator either
SET ROLE regress_tenants_app;
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT tracker.current_member_role();
SELECT pg_temp.try($$SELECT tracker.create_tenant('user-co', 'User', 'basic')$$);
SELECT pg_temp.try($$SELECT tracker.create_tenant('user-co', 'User', 'platinum')$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_limits('11111111-1111-1111-1111-111111111111', 100, 100000)$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_status('11111111-1111-1111-1111-111111111111', 'active')$$);
SELECT pg_temp.try($$SELECT tracker.set_tenant_status('22222222-2222-2222-2222-222222222222', 'suspended')$$);
-- nor can it change the registry directly
SELECT pg_temp.try($$UPDATE tracker.tenants SET max_users = 100$$);
SELECT pg_temp.try($$INSERT INTO tracker.tenants (slug, name, tier, key_prefix, data_schema)
	VALUES ('sneaky', 'Sneaky', 'basic', 'SNEA', 'tracker_pool')$$);
SELECT pg_temp.try($$DELETE FROM tracker.tenants$$);
RESET ROLE;
SELECT slug, status, max_users FROM tracker.tenants WHERE slug IN ('techstart', 'devcorp') ORDER BY 1;

-- an operator that is not a superuser may do all of it
SET ROLE regress_tenants_op;
SELECT tracker.create_tenant('op-basic', 'Operator Basic', 'basic') IS NOT NULL AS created;
SELECT tracker.create_tenant('op-silo', 'Operator Silo', 'platinum',
	tenant_id => '44444444-4444-4444-4444-444444444444') AS id;
SELECT tracker.rename_silo('44444444-4444-4444-4444-444444444444', 'tenant_op_silo');
SELECT tracker.set_tenant_limits('44444444-4444-4444-4444-444444444444', 50, 50000);
SELECT tracker.set_tenant_status('44444444-4444-4444-4444-444444444444', 'suspended');
SELECT slug, tier, status, max_users, api_calls_per_month, key_prefix, data_schema
FROM tracker.tenants WHERE slug LIKE 'op-%' ORDER BY slug;
SELECT tracker.set_tenant_status('44444444-4444-4444-4444-444444444444', 'active');
SELECT pg_temp.try($$SELECT tracker.create_tenant('op-basic', 'Again', 'basic')$$);
-- operators read the registry, but change it only through the functions
SELECT pg_temp.try($$UPDATE tracker.tenants SET max_users = 100$$);
RESET ROLE;
SELECT nspname, pg_get_userbyid(nspowner) = current_user AS owned_by_extension_owner
FROM pg_namespace WHERE nspname = 'tenant_op_silo';

-- a SECURITY DEFINER function owned by a superuser does not make its
-- caller an operator: the check is on the session's role
CREATE FUNCTION pg_temp.definer_create(slug text) RETURNS uuid
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT tracker.create_tenant(slug, 'Via definer', 'basic') $$;
CREATE FUNCTION pg_temp.definer_status(tenant uuid, status text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT tracker.set_tenant_status(tenant, status) $$;
CREATE FUNCTION pg_temp.definer_limits(tenant uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT tracker.set_tenant_limits(tenant, 1000, 1000000) $$;
SELECT pg_temp.definer_create('definer-su') IS NOT NULL AS superuser_may;
SET ROLE regress_tenants_plain;
SELECT pg_temp.try($$SELECT pg_temp.definer_create('definer-plain')$$);
SELECT pg_temp.try($$SELECT pg_temp.definer_status('11111111-1111-1111-1111-111111111111', 'suspended')$$);
SELECT pg_temp.try($$SELECT pg_temp.definer_limits('11111111-1111-1111-1111-111111111111')$$);
RESET ROLE;
SET ROLE regress_tenants_app;
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT pg_temp.try($$SELECT pg_temp.definer_create('definer-app')$$);
SELECT pg_temp.try($$SELECT pg_temp.definer_limits('11111111-1111-1111-1111-111111111111')$$);
RESET ROLE;
SELECT slug FROM tracker.tenants WHERE slug LIKE 'definer%' ORDER BY 1;
SELECT status, max_users FROM tracker.tenants WHERE slug = 'techstart';

--
-- 7. What tracker.tenants shows: tenant users their own row, operators all
--
SET ROLE regress_tenants_app;
SELECT tracker.authenticate(:'boss') IS NOT NULL AS boss;
SELECT slug, tier, key_prefix FROM tracker.tenants;
SELECT count(*) AS others FROM tracker.tenants WHERE id <> tracker.current_tenant();
SELECT count(*) AS devcorp_by_id FROM tracker.tenants WHERE id = '22222222-2222-2222-2222-222222222222';
SELECT tracker.authenticate(:'dana') IS NOT NULL AS dana;
SELECT slug, tier, key_prefix FROM tracker.tenants;
SELECT tracker.authenticate(:'maya') IS NOT NULL AS maya;
SELECT slug, tier, key_prefix, data_schema FROM tracker.tenants;
-- without a context: nothing
RESET tracker.token;
SELECT tracker.current_tenant() IS NULL AS no_context, count(*) AS rows FROM tracker.tenants;
RESET ROLE;
SET ROLE regress_tenants_op;
SELECT count(*) AS operator_count FROM tracker.tenants;
SELECT string_agg(slug, ', ' ORDER BY slug) AS operator_sees FROM tracker.tenants;
RESET ROLE;
SELECT count(*) AS superuser_sees FROM tracker.tenants;
-- tracker_anon has no business with the registry
SET ROLE tracker_anon;
SELECT pg_temp.try('SELECT count(*) FROM tracker.tenants');
RESET ROLE;

--
-- Clean up
--
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA tracker_pool CASCADE;
DROP SCHEMA tenant_mega_corp CASCADE;
DROP SCHEMA tenant_op_silo CASCADE;
DROP EXTENSION tracker;
RESET client_min_messages;
DROP ROLE regress_tenants_plain;
DROP ROLE regress_tenants_app;
DROP ROLE regress_tenants_op;
