# A tracker database through pg_dump and pg_restore.  Two pooled tenants
# and a platinum (silo) tenant get users, teams, issues and comments, all
# made through the API by their own users; then the database is dumped
# (custom format), restored into a new database of a second server, and
# compared: every row of every table must be there unchanged, the issue
# counters must go on without a gap, and the restored copy must enforce the
# same rules (the same tokens work, each user sees what they saw, other
# tenants stay invisible, a forged token and a revoked one are refused).
# A dump of the silo schema alone carries that tenant's rows.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my %tenant = (
	acme => 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
	bravo => 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb',
	omega => 'cccccccc-cccc-cccc-cccc-cccccccccccc');
my %user_tenant = (
	alice => 'acme', adam => 'acme', amy => 'acme', andy => 'acme', ann => 'acme',
	bob => 'bravo', bea => 'bravo',
	olga => 'omega', otto => 'omega');
my @users = sort keys %user_tenant;
my $db = 'tracker_src';
my $restored_db = 'tracker_copy';

# What a user sees, as one string: subject and role of the context, tenants,
# users, teams, team members, issues (keys), comments (contents).
my $view_sql = q{
SELECT 'subject: ' || tracker.current_subject();
SELECT 'role: ' || tracker.current_member_role();
SELECT 'tenants: ' || string_agg(slug, ',' ORDER BY slug) FROM tracker.tenants;
SELECT 'users: ' || coalesce(string_agg(subject, ',' ORDER BY subject), '') FROM users;
SELECT 'teams: ' || coalesce(string_agg(name, ',' ORDER BY name), '') FROM teams;
SELECT 'members: ' || count(*) FROM team_members;
SELECT 'issues: ' || coalesce(string_agg(key, ',' ORDER BY number), '') FROM issues;
SELECT 'comments: ' || coalesce(string_agg(content, ' | ' ORDER BY content COLLATE "C"), '') FROM comments;
};

sub views
{
	my ($node, $dbname) = @_;
	return { map { $_ => as_user($node, $dbname, $_, $view_sql) } @users };
}

# Every table of the tracker schema, of each data schema and of public,
# with a row count and the MD5 of its rows' text in a fixed order.
sub table_digests
{
	my ($node, $dbname) = @_;
	my @tables = split /\n/, $node->safe_psql(
		$dbname, q{
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND (n.nspname IN ('tracker', 'public')
	   OR n.nspname IN (SELECT data_schema FROM tracker.tenants))
ORDER BY 1});
	my %digest;
	for my $t (@tables)
	{
		$digest{$t} = $node->safe_psql(
			$dbname, qq{
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SELECT count(*) || ' ' || coalesce(md5(string_agg(r::text, E'\\n' ORDER BY r::text COLLATE "C")), '-')
FROM $t r});
	}
	return \%digest;
}

# The security-relevant structure of the data: row security flags, table
# privileges, policies and triggers of the tracker and data schemas.  (An
# ACL equal to the default is restored as NULL, which means the same.)
my $structure_sql = q{
WITH s AS (SELECT 'tracker'::name AS nspname UNION SELECT data_schema FROM tracker.tenants)
SELECT format('%s.%s rls=%s force=%s acl=%s', n.nspname, c.relname,
			  c.relrowsecurity, c.relforcerowsecurity,
			  coalesce(c.relacl, acldefault('r', c.relowner)))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN s USING (nspname)
WHERE c.relkind = 'r'
UNION ALL
SELECT format('policy %s.%s.%s %s %s using(%s) check(%s)', p.schemaname, p.tablename,
			  p.policyname, p.cmd, p.roles, p.qual, p.with_check)
FROM pg_policies p JOIN s ON s.nspname = p.schemaname
UNION ALL
SELECT format('trigger %s %s', t.tgenabled, pg_get_triggerdef(t.oid))
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace JOIN s USING (nspname)
WHERE NOT t.tgisinternal
ORDER BY 1};

#
# The source: three tenants and their data, made through the API
#
my $node = tracker_node('dump_source');
$node->start;
$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db, 'CREATE EXTENSION tracker');

my $secret = slurp_file('test/keys/test-only-hs256.secret');
my $rsa_pem = slurp_file('test/keys/test-only-rsa.pub.pem');
# (test-only fixtures; still, keep the secret out of the server log)
is( $node->safe_psql(
		$db, "SET log_statement = 'none';
		SELECT tracker.add_key('k1', 'HS256', '$secret');
		SELECT tracker.add_key('r1', 'RS256', '$rsa_pem');"),
	"k1\nr1",
	'an HS256 and an RS256 key registered');

$node->safe_psql(
	$db, qq{
SELECT tracker.create_tenant('acme', 'Acme', 'basic', tenant_id => '$tenant{acme}');
SELECT tracker.create_tenant('bravo', 'Bravo', 'standard', 'BRV', '$tenant{bravo}');
SELECT tracker.create_tenant('omega', 'Omega', 'platinum', tenant_id => '$tenant{omega}');
-- (silos are named at random; this test names its own)
SELECT tracker.rename_silo('$tenant{omega}', 'tenant_omega');
-- an operator's change, recorded in tracker.operator_audit
SELECT tracker.set_tenant_limit('$tenant{bravo}', 'requests_per_second', 20);
SELECT tracker.add_user('$tenant{acme}', 'alice', 'alice\@acme.example', 'super_admin');
SELECT tracker.add_user('$tenant{bravo}', 'bob', 'bob\@bravo.example', 'super_admin');
SELECT tracker.add_user('$tenant{omega}', 'olga', 'olga\@omega.example', 'super_admin');
CREATE ROLE regress_app LOGIN IN ROLE tracker_user;
CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
GRANT SELECT ON toks TO tracker_user;});
is( $node->safe_psql(
		$db, 'SELECT slug, key_prefix, data_schema FROM tracker.tenants ORDER BY slug'),
	"acme|ACME|tracker_pool\nbravo|BRV|tracker_pool\nomega|OMEG|tenant_omega",
	'two pooled tenants and a silo tenant');

my %tok;
for my $u (@users)
{
	$tok{$u} = mint(
		claims => qq({"sub":"$u","tenant_id":"$tenant{$user_tenant{$u}}"}),
		$u eq 'bob' ? (alg => 'RS256', key => 'test/keys/test-only-rsa.key.pem', kid => 'r1') : ());
}
# amy's token with a jti that is revoked below
$tok{amy_revoked} = mint(
	claims => qq({"sub":"amy","tenant_id":"$tenant{acme}","jti":"amy-laptop-1"}));
# alice's claims under kid k1, signed with a secret that is not k1's
$tok{forged} = mint(
	claims => qq({"sub":"alice","tenant_id":"$tenant{acme}"}),
	key => 'test/keys/test-only-hs384.secret');
$node->safe_psql($db,
	'INSERT INTO toks VALUES '
	  . join(', ', map { "('$_', '$tok{$_}')" } sort keys %tok));

# acme: the super admin adds the users, the admin makes a team and issues,
# the users report and comment
as_user(
	$node, $db, 'alice', qq{
SELECT tracker.add_user('$tenant{acme}', 'adam', 'adam\@acme.example', 'admin');
SELECT tracker.add_user('$tenant{acme}', 'amy', 'amy\@acme.example');
SELECT tracker.add_user('$tenant{acme}', 'andy', 'andy\@acme.example');
SELECT tracker.add_user('$tenant{acme}', 'ann', 'ann\@acme.example');});
as_user(
	$node, $db, 'adam', q{
SELECT tracker.create_team('Backend', 'Server side', (SELECT id FROM users WHERE subject = 'amy')) AS team \gset
SELECT tracker.add_team_member(:'team', id) FROM users WHERE subject = 'andy';
INSERT INTO issues (title, team_id, priority, labels) VALUES ('Set up CI', :'team', 'high', '{ci,infra}');
INSERT INTO issues (title, issue_type, due_date) VALUES ('Rotate secrets', 'task', '2030-01-31');});
as_user(
	$node, $db, 'amy', q{
INSERT INTO issues (title, issue_type, assignee_id, estimated_hours)
	VALUES ('Login page slow', 'bug', tracker.current_user_id(), 8);
INSERT INTO issues (title) VALUES ('Typo in footer');});
as_user(
	$node, $db, 'andy', q{
INSERT INTO issues (title, assignee_id) VALUES ('Flaky test', tracker.current_user_id());
UPDATE issues SET status = 'in_progress' WHERE key = 'ACME-5';});
as_user(
	$node, $db, 'adam', q{
UPDATE issues SET assignee_id = (SELECT id FROM users WHERE subject = 'andy') WHERE key = 'ACME-4';
UPDATE issues SET status = 'closed' WHERE key = 'ACME-3';
INSERT INTO comments (issue_id, content) SELECT id, 'CI runs on every push now' FROM issues WHERE key = 'ACME-1';
INSERT INTO comments (issue_id, content, internal) SELECT id, 'acme internal: budget is tight', true FROM issues WHERE key = 'ACME-1';
INSERT INTO comments (issue_id, content, internal) SELECT id, 'acme internal: vault access', true FROM issues WHERE key = 'ACME-2';});
as_user(
	$node, $db, 'amy', q{
INSERT INTO comments (issue_id, content, mentions)
	SELECT i.id, 'Andy, can you look?', ARRAY[(SELECT id FROM users WHERE subject = 'andy')]
	FROM issues i WHERE i.key = 'ACME-3';});
as_user(
	$node, $db, 'alice', q{
SELECT tracker.set_user_active(id, false) FROM users WHERE subject = 'ann';});

# bravo
as_user(
	$node, $db, 'bob', qq{
SELECT tracker.add_user('$tenant{bravo}', 'bea', 'bea\@bravo.example');
SELECT tracker.create_team('Ops', 'Operations');
INSERT INTO issues (title, priority) VALUES ('Bravo outage', 'critical');});
as_user(
	$node, $db, 'bea', q{
INSERT INTO issues (title, assignee_id) VALUES ('Bravo docs', tracker.current_user_id());
INSERT INTO comments (issue_id, content) SELECT id, 'Bravo docs draft is up' FROM issues WHERE key = 'BRV-2';});

# omega, in its silo
as_user(
	$node, $db, 'olga', qq{
SELECT tracker.add_user('$tenant{omega}', 'otto', 'otto\@omega.example');
SELECT tracker.create_team('Core', 'Core systems', (SELECT id FROM users WHERE subject = 'otto')) AS team \\gset
INSERT INTO issues (title, team_id, story_points) VALUES ('Omega reactor checklist', :'team', 5);});
as_user(
	$node, $db, 'otto', q{
INSERT INTO issues (title) VALUES ('Omega coolant gauge');
INSERT INTO comments (issue_id, content) SELECT id, 'Omega gauge reads low' FROM issues WHERE key = 'OMEG-2';});
as_user(
	$node, $db, 'olga', q{
INSERT INTO comments (issue_id, content, internal) SELECT id, 'omega internal: supplier late', true FROM issues WHERE key = 'OMEG-1';});

# the operator revokes one of amy's tokens
$node->safe_psql($db, "SELECT tracker.revoke_token('amy-laptop-1', now() + interval '2 hours')");

#
# What the users see before the dump; the keys each one sees follow the
# rules (admins everything of their tenant; users what they reported, are
# assigned or whose team they are in)
#
my %expected_issues = (
	alice => 'ACME-1,ACME-2,ACME-3,ACME-4,ACME-5',
	adam => 'ACME-1,ACME-2,ACME-3,ACME-4,ACME-5',
	amy => 'ACME-1,ACME-3,ACME-4',
	andy => 'ACME-1,ACME-4,ACME-5',
	bob => 'BRV-1,BRV-2',
	bea => 'BRV-2',
	olga => 'OMEG-1,OMEG-2',
	otto => 'OMEG-1,OMEG-2');
delete $user_tenant{ann};    # deactivated: has no view
@users = sort keys %user_tenant;

my $before = views($node, $db);
for my $u (@users)
{
	like($before->{$u}, qr/^issues: \Q$expected_issues{$u}\E$/m,
		"before the dump, $u sees the issues the rules allow");
}
like($before->{amy}, qr/^comments: Andy, can you look\? \| CI runs on every push now$/m,
	'before the dump, amy sees no internal comment');
like($before->{adam}, qr/\| acme internal: vault access/,
	'before the dump, adam sees the internal comment');

# the refusals hold on the source, so that checking them on the copy means
# something
my %refusal = (
	forged => 'token signature is invalid',
	amy_revoked => 'token has been revoked',
	ann => 'user "ann" has been deactivated');
for my $name (sort keys %refusal)
{
	is(try_as_user($node, $db, $name, 'SELECT 1'),
		$refusal{$name}, "before the dump, the $name token is refused");
}

# the API calls made above are all written before the copy is taken
$node->poll_query_until($db, q{
SELECT coalesce(sum(l.unwritten_today + l.unwritten_before), 0) = 0
FROM tracker.tenants t, tracker._usage_live(t.id) l})
  or die 'the usage writer did not catch up';
my $digests = table_digests($node, $db);
my @expected_tables = (
	'public.toks',
	(map { "tracker.$_" } qw(api_usage data_schemas jwt_keys operator_audit revoked_tokens tenants)),
	(map { my $s = $_; map { "$s.$_" } qw(comments issue_counters issues team_members teams users) }
	  qw(tenant_omega tracker_pool)));
is_deeply([ sort keys %$digests ], [ sort @expected_tables ],
	'the tables to compare');
for my $t (@expected_tables)
{
	unlike($digests->{$t}, qr/^0 /, "$t has rows");
}
my $structure = $node->safe_psql($db, $structure_sql);
my $counters = $node->safe_psql(
	$db, q{
SELECT string_agg(t.slug || '=' || c.last_number, ',' ORDER BY t.slug)
FROM (SELECT * FROM tracker_pool.issue_counters UNION ALL SELECT * FROM tenant_omega.issue_counters) c
JOIN tracker.tenants t ON t.id = c.tenant_id});
is($counters, 'acme=5,bravo=2,omega=2', 'the issue counters before the dump');

#
# Dump, and restore into a new database of another server
#
my $tempdir = PostgreSQL::Test::Utils::tempdir;
my $dump = "$tempdir/tracker.dump";
PostgreSQL::Test::Utils::command_ok(
	[ $node->installed_command('pg_dump'), '-Fc', '-f', $dump, '-d', $node->connstr($db) ],
	'pg_dump -Fc of the whole database');

my $copy = tracker_node('dump_copy');
$copy->start;
$copy->safe_psql('postgres', "CREATE DATABASE $restored_db");
PostgreSQL::Test::Utils::command_ok(
	[
		$copy->installed_command('pg_restore'), '--exit-on-error',
		'-d', $copy->connstr($restored_db), $dump
	],
	'pg_restore into a new database on another server');
# roles are not part of a database dump; the extension made its own
$copy->safe_psql($restored_db, 'CREATE ROLE regress_app LOGIN IN ROLE tracker_user');

#
# The copy has every row, unchanged
#
my $copy_digests = table_digests($copy, $restored_db);
is_deeply([ sort keys %$copy_digests ], [ sort @expected_tables ],
	'the copy has the same tables');
for my $t (@expected_tables)
{
	is($copy_digests->{$t}, $digests->{$t}, "$t: the same rows after the restore");
}
is($copy->safe_psql($restored_db, $structure_sql),
	$structure, 'the same row security, privileges, policies and triggers');
is( $copy->safe_psql(
		$restored_db,
		q{SELECT string_agg(kid || ':' || alg || ':' || (retired_at IS NULL), ',' ORDER BY kid) FROM tracker.jwt_keys}),
	'k1:HS256:true,r1:RS256:true',
	'the keys are there, active');

#
# The rules hold on the copy
#
my $after = views($copy, $restored_db);
for my $u (@users)
{
	is($after->{$u}, $before->{$u},
		"after the restore, $u\'s token works and $u sees exactly what $u saw");
}
for my $name (sort keys %refusal)
{
	is(try_as_user($copy, $restored_db, $name, 'SELECT 1'),
		$refusal{$name}, "after the restore, the $name token is refused");
}

# other tenants' rows stay invisible, wherever they live
is( as_user(
		$copy, $restored_db, 'bob', qq{
SELECT count(*) FROM tracker_pool.issues WHERE tenant_id <> '$tenant{bravo}';
SELECT count(*) FROM tracker_pool.users WHERE tenant_id <> '$tenant{bravo}';
SELECT count(*) FROM tracker_pool.comments WHERE tenant_id <> '$tenant{bravo}';
SELECT count(*) FROM tenant_omega.issues;
SELECT count(*) FROM tenant_omega.users;
SELECT count(*) FROM tracker.tenants WHERE id <> '$tenant{bravo}';}),
	"0\n0\n0\n0\n0\n0",
	'after the restore, bravo sees none of acme\'s or omega\'s rows');
is( as_user(
		$copy, $restored_db, 'otto', q{
SELECT count(*) FROM tracker_pool.issues;
SELECT count(*) FROM tracker_pool.users;
SELECT count(*) FROM tracker_pool.teams;}),
	"0\n0\n0",
	'after the restore, omega sees none of the pooled rows');
is( try_as_user(
		$copy, $restored_db, 'bob',
		"INSERT INTO issues (tenant_id, title) VALUES ('$tenant{acme}', 'planted')"),
	'permission denied: rows can be written only to the tenant of the context',
	'after the restore, bravo cannot write into acme');

# the write rules (triggers) are there
is( try_as_user(
		$copy, $restored_db, 'andy',
		q{UPDATE issues SET title = 'renamed' WHERE key = 'ACME-5'}),
	'permission denied: users may change only the status, description and estimated hours of an issue',
	'after the restore, a user still may not rename an issue');
is( try_as_user($copy, $restored_db, 'andy', q{DELETE FROM issues WHERE key = 'ACME-5'}),
	'permission denied: only admins and super admins may delete issues',
	'after the restore, a user still may not delete an issue');

# the counters go on where they were: no gap, no reuse
is( as_user(
		$copy, $restored_db, 'amy',
		q{INSERT INTO issues (title) VALUES ('after the restore') RETURNING key, reporter_id = tracker.current_user_id()}),
	'ACME-6|t',
	'after the restore, the next acme issue is ACME-6');
is( as_user(
		$copy, $restored_db, 'bea',
		q{INSERT INTO issues (title) VALUES ('after the restore') RETURNING key}),
	'BRV-3',
	'after the restore, the next bravo issue is BRV-3');
is( as_user(
		$copy, $restored_db, 'otto',
		q{INSERT INTO issues (title) VALUES ('after the restore') RETURNING key}),
	'OMEG-3',
	'after the restore, the next omega issue is OMEG-3');
is( as_user(
		$copy, $restored_db, 'andy',
		q{SELECT string_agg(key, ',' ORDER BY number) FROM issues}),
	$expected_issues{andy},
	'after the restore, a new issue is not shown to a user it does not concern');

# the context verifies keys and revocations the copy itself holds: a jti
# revoked only on the copy is refused there, and still works on the source
$copy->safe_psql($restored_db, "SELECT tracker.revoke_token('amy-laptop-2')");
my $tok_amy2 = mint(
	claims => qq({"sub":"amy","tenant_id":"$tenant{acme}","jti":"amy-laptop-2"}));
$node->safe_psql($db, "INSERT INTO toks VALUES ('amy2', '$tok_amy2')");
$copy->safe_psql($restored_db, "INSERT INTO toks VALUES ('amy2', '$tok_amy2')");
is(try_as_user($copy, $restored_db, 'amy2', 'SELECT 1'),
	'token has been revoked', 'a jti revoked on the copy is refused there');
is(try_as_user($node, $db, 'amy2', 'SELECT 1'),
	'ok', '... and not on the source');

#
# A dump of the silo schema alone has that tenant's rows, and no others
#
my $silo_dump = "$tempdir/tenant_omega.sql";
PostgreSQL::Test::Utils::command_ok(
	[
		$node->installed_command('pg_dump'), '-n', 'tenant_omega',
		'-f', $silo_dump, '-d', $node->connstr($db)
	],
	'pg_dump -n tenant_omega');
my $silo = slurp_file($silo_dump);
like($silo, qr/^COPY tenant_omega\.issues /m, 'the silo dump has the issues table data');
like($silo, qr/\tOmega reactor checklist\t/, 'the silo dump has an omega issue');
like($silo, qr/\tOmega gauge reads low\t/, 'the silo dump has an omega comment');
like($silo, qr/\totto\t/, 'the silo dump has an omega user');
like($silo, qr/^CREATE POLICY issues_read ON tenant_omega\.issues /m,
	'the silo dump has the row security policies');
unlike($silo, qr/Set up CI|Bravo outage|acme\.example|bravo\.example/,
	'the silo dump has no pooled tenant\'s rows');

$copy->stop;
$node->stop;

done_testing();
