# ALTER EXTENSION tracker UPDATE from the released 1.0, with tenants in the
# pool and in two silos.  Before the update (the window in which the new
# library runs against the 1.0 SQL objects) and after it, every user sees
# exactly what the rules allow, forged and revoked tokens are refused, and
# writes work.  After it, every row is still there, every data schema is at
# the current version, and the whole database (the extension's objects and
# each data schema: tables, columns, indexes, constraints, triggers,
# policies, grants, comments) is the same as a database created fresh at the
# current version with the same tenants.  A silo altered by hand fails its
# upgrade alone and stays whole at its old version, as does a silo whose
# tables a tenant's transaction holds; running the upgrade again finishes.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my $current = slurp_file('tracker.control') =~ /default_version\s*=\s*'([^']+)'/ ? $1 : die;
my %tenant = (
	acme => 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
	bravo => 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb',
	omega => 'cccccccc-cccc-cccc-cccc-cccccccccccc',
	zeta => 'dddddddd-dddd-dddd-dddd-dddddddddddd');
my %user_tenant = (
	alice => 'acme', adam => 'acme', amy => 'acme',
	bob => 'bravo', bea => 'bravo',
	olga => 'omega', otto => 'omega',
	zoe => 'zeta', zed => 'zeta');
my @users = sort keys %user_tenant;

my $node = tracker_node('upgrade');
$node->start;
my $secret = slurp_file('test/keys/test-only-hs256.secret');

# provision(DB, VERSION): the extension at VERSION, the key, the tenants
# and their super admins, the login role and the token table
sub provision
{
	my ($db, $version) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql(
		$db, qq{
CREATE EXTENSION tracker VERSION '$version';
SET log_statement = 'none';
SELECT tracker.add_key('k1', 'HS256', '$secret');
RESET log_statement;
SELECT tracker.create_tenant('acme', 'Acme', 'basic', tenant_id => '$tenant{acme}');
SELECT tracker.create_tenant('bravo', 'Bravo', 'premium', 'BRV', '$tenant{bravo}');
SELECT tracker.create_tenant('omega', 'Omega', 'platinum', tenant_id => '$tenant{omega}');
SELECT tracker.create_tenant('zeta', 'Zeta', 'platinum', tenant_id => '$tenant{zeta}');
SELECT tracker.add_user('$tenant{acme}', 'alice', 'alice\@acme.example', 'super_admin');
SELECT tracker.add_user('$tenant{bravo}', 'bob', 'bob\@bravo.example', 'super_admin');
SELECT tracker.add_user('$tenant{omega}', 'olga', 'olga\@omega.example', 'super_admin');
SELECT tracker.add_user('$tenant{zeta}', 'zoe', 'zoe\@zeta.example', 'super_admin');
DO \$\$ BEGIN
	-- 1.1 names silos at random; the fresh database takes the names 1.0 gave
	IF '$version' <> '1.0' THEN
		PERFORM tracker.rename_silo(id, 'tenant_' || slug) FROM tracker.tenants WHERE tier = 'platinum';
	END IF;
END \$\$;
DO \$\$ BEGIN CREATE ROLE regress_app LOGIN IN ROLE tracker_user;
EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
GRANT SELECT ON toks TO tracker_user;});
}

provision('old', '1.0');
is($node->safe_psql('old', "SELECT extversion FROM pg_extension WHERE extname = 'tracker'"),
	'1.0', 'the old database starts at the released 1.0');

my %tok = map { $_ => mint(claims => qq({"sub":"$_","tenant_id":"$tenant{$user_tenant{$_}}"})) } @users;
$tok{amy_revoked} = mint(claims => qq({"sub":"amy","tenant_id":"$tenant{acme}","jti":"amy-1"}));
$tok{forged} = mint(claims => qq({"sub":"alice","tenant_id":"$tenant{acme}"}),
	key => 'test/keys/test-only-hs384.secret');
$tok{wrong_tenant} = mint(claims => qq({"sub":"olga","tenant_id":"$tenant{zeta}"}));
my $toks = 'INSERT INTO toks VALUES ' . join(', ', map { "('$_', '$tok{$_}')" } sort keys %tok);
$node->safe_psql('old', $toks);

# Data, made by the tenants' own users through the 1.0 rules
my %data = (
	acme => [ 'alice', 'adam', 'amy' ],
	bravo => [ 'bob', 'bea' ],
	omega => [ 'olga', 'otto' ],
	zeta => [ 'zoe', 'zed' ]);
sub populate
{
	my ($db) = @_;
	for my $t (sort keys %data)
	{
		my ($boss, $admin, $plain) = @{ $data{$t} };
		as_user($node, $db, $boss, join("\n",
			$plain
			? ("SELECT tracker.add_user('$tenant{$t}', '$admin', '$admin\@$t.example', 'admin');",
			   "SELECT tracker.add_user('$tenant{$t}', '$plain', '$plain\@$t.example');")
			: ("SELECT tracker.add_user('$tenant{$t}', '$admin', '$admin\@$t.example');")));
		my $lead = $plain // $admin;
		as_user($node, $db, $boss, qq{
SELECT tracker.create_team('Core $t', 'The core team', (SELECT id FROM users WHERE subject = '$lead')) AS team \\gset
INSERT INTO issues (title, team_id, priority, labels) VALUES ('$t: set up CI', :'team', 'high', '{ci}');
INSERT INTO issues (title, issue_type, due_date) VALUES ('$t: rotate secrets', 'task', '2030-01-31');
INSERT INTO comments (issue_id, content) SELECT id, '$t: CI runs on push' FROM issues WHERE number = 1;
INSERT INTO comments (issue_id, content, internal) SELECT id, '$t internal: budget', true FROM issues WHERE number = 2;});
		my $user = $plain // $admin;
		as_user($node, $db, $user, qq{
INSERT INTO issues (title, assignee_id) VALUES ('$t: flaky test', tracker.current_user_id());
UPDATE issues SET status = 'in_progress' WHERE number = 3;
INSERT INTO comments (issue_id, content) SELECT id, '$t: looking into it' FROM issues WHERE number = 3;});
	}
}
populate('old');
$node->safe_psql('old', "SELECT tracker.revoke_token('amy-1', now() + interval '1 hour')");

# What each user sees; who is refused and why
my $view_sql = q{
SELECT 'role: ' || role FROM users WHERE id = tracker.current_user_id();
SELECT 'users: ' || string_agg(subject, ',' ORDER BY subject) FROM users;
SELECT 'teams: ' || coalesce(string_agg(name, ',' ORDER BY name), '') FROM teams;
SELECT 'issues: ' || coalesce(string_agg(key || ' ' || status, ',' ORDER BY number), '') FROM issues;
SELECT 'comments: ' || coalesce(string_agg(content, ' | ' ORDER BY content COLLATE "C"), '') FROM comments;
};
sub views
{
	my ($db) = @_;
	return join("\n", map { "== $_\n" . as_user($node, $db, $_, $view_sql) } @users);
}
my %refusal = (
	forged => 'token signature is invalid',
	amy_revoked => 'token has been revoked',
	wrong_tenant => 'user "olga" is not a member of this tenant');
sub check_refusals
{
	my ($db, $when) = @_;
	is(try_as_user($node, $db, $_, 'SELECT 1'), $refusal{$_}, "$when: the $_ token is refused")
	  for sort keys %refusal;
	is(try_as_user($node, $db, 'amy', "DELETE FROM issues"),
		'permission denied: only admins and super admins may delete issues',
		"$when: a plain user may not delete issues");
	is(try_as_user($node, $db, 'zed', "INSERT INTO tracker_pool.issues (title) VALUES ('x')"),
		'permission denied: the tenant\'s rows are in schema "tenant_zeta", not "tracker_pool"',
		"$when: a silo user cannot write to the pool");
}

my $before = views('old');
like($before, qr/== amy\nrole: user\nusers: adam,alice,amy\nteams: Core acme\nissues: ACME-1 open,ACME-3 in_progress\ncomments: acme: CI runs on push \| acme: looking into it$/m,
	'a plain user sees her team\'s and her own issues, and no internal comment');
like($before, qr/== zoe\nrole: super_admin\nusers: zed,zoe\nteams: Core zeta\nissues: ZETA-1 open,ZETA-2 open,ZETA-3 in_progress\ncomments: zeta internal: budget \| zeta: CI runs on push \| zeta: looking into it$/m,
	'a silo super admin sees all of her tenant\'s, and nothing else');
check_refusals('old', 'at 1.0');

# Every row of every table, as count and digest
sub digests
{
	my ($db) = @_;
	return $node->safe_psql($db, q{
SET TimeZone = 'UTC';
SELECT string_agg(format('%s %s', t, (xpath('/row/d/text()',
	query_to_xml(format('SELECT count(*) || '' '' || coalesce(md5(string_agg(r::text, E''\n'' ORDER BY r::text COLLATE "C")), ''-'') AS d FROM (SELECT %s FROM %s x) r',
		-- the columns 1.0 has (1.1 adds the rate limit to tenants)
		CASE t WHEN 'tracker.tenants'
			THEN 'id, slug, name, tier, status, max_users, api_calls_per_month, key_prefix, data_schema, created_at, updated_at'
			ELSE 'x.*' END, t), false, true, '')))[1]), E'\n' ORDER BY t)
FROM (SELECT format('%I.%I', n.nspname, c.relname) AS t
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	  WHERE c.relkind = 'r' AND n.nspname IN ('tracker', 'public', 'tracker_pool', 'tenant_omega', 'tenant_zeta')
		AND c.relname NOT IN ('data_schemas', 'api_usage', 'operator_audit')) s});
}
my $rows_before = digests('old');
like($rows_before, qr/^tenant_zeta\.issues 3 /m, 'the silo has its issues');

#
# The window: the new library with the 1.0 SQL objects
#
is(views('old'), $before, 'in the window, every user sees what she saw');
check_refusals('old', 'in the window');
like(as_user($node, 'old', 'zed', q{
INSERT INTO issues (title, assignee_id) VALUES ('zeta: window', tracker.current_user_id()) RETURNING key;}),
	qr/^ZETA-4$/m, 'in the window, a silo user still writes through the 1.0 rules');
is(try_as_user($node, 'old', 'zed', "UPDATE issues SET status = 'closed' WHERE number = 3"),
	'ok', 'in the window, the workflow and the policies answer');
is(try_as_user($node, 'old', 'zed', "UPDATE issues SET status = 'open' WHERE number = 3"),
	'permission denied: only admins and super admins may reopen a closed issue',
	'in the window, the roles matrix answers');
$before = views('old');
$rows_before = digests('old');

# The library reads its tables by column name: a column it does not know
# changes nothing, and a column it needs but does not find is a clear error
# that names the command to run.
$node->safe_psql('postgres', 'CREATE DATABASE columns');
$node->safe_psql('columns', qq{
CREATE EXTENSION tracker VERSION '1.0';
SET log_statement = 'none';
SELECT tracker.add_key('k1', 'HS256', '$secret');
RESET log_statement;
SELECT tracker.create_tenant('acme', 'Acme', 'basic', tenant_id => '$tenant{acme}');
SELECT tracker.add_user('$tenant{acme}', 'alice', 'alice\@acme.example', 'super_admin');
CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
INSERT INTO toks VALUES ('alice', '$tok{alice}');
ALTER TABLE tracker.jwt_keys ADD COLUMN note text;
ALTER TABLE tracker.jwt_keys ADD COLUMN rotated_from text;});
is($node->safe_psql('columns', q{SELECT tracker.authenticate(tok) ->> 'sub' FROM toks}),
	'alice', 'a key table with columns the library does not know still verifies tokens');
$node->safe_psql('columns', 'ALTER TABLE tracker.jwt_keys RENAME COLUMN audience TO aud');
my ($cret, $cout, $cerr) = $node->psql('columns', q{\set VERBOSITY verbose
SELECT tracker.authenticate(tok) FROM toks});
like($cerr, qr/ERROR:  55000: relation "jwt_keys" has no column "audience"\nDETAIL:  The tracker library and the extension's SQL objects are of different versions\.\nHINT:  Run ALTER EXTENSION tracker UPDATE\./,
	'a key table without a column the library needs is refused, naming the command to run');
$node->safe_psql('columns', 'ALTER TABLE tracker.jwt_keys RENAME COLUMN aud TO audience');
is($node->safe_psql('columns', q{SELECT tracker.authenticate(tok) ->> 'sub' FROM toks}),
	'alice', 'and verification resumes once the column is back (no half-loaded key cache)');

#
# The update
#
$node->safe_psql('old', 'ALTER EXTENSION tracker UPDATE');
is($node->safe_psql('old', "SELECT extversion FROM pg_extension WHERE extname = 'tracker'"),
	$current, "the extension is at $current");
ok($node->poll_query_until('old',
	'SELECT bool_and(version = tracker._data_schema_version()) FROM tracker.data_schemas'),
	'the background worker brings every data schema to the current version');
is($node->safe_psql('old', 'SELECT string_agg(schema_name || coalesce(last_error, \'\'), \',\' ORDER BY schema_name) FROM tracker.data_schemas'),
	'tenant_omega,tenant_zeta,tracker_pool', 'the pool and both silos are registered, with no error');
ok($node->wait_for_log(qr/LOG:  tracker: 3 data schemas upgraded/), 'the worker says what it did');

is(digests('old'), $rows_before, 'every row of every table is still there, unchanged');
is($node->safe_psql('old', q{
SELECT string_agg(format('%s:%s/%s', t.tier, t.requests_per_second, t.request_burst), ',' ORDER BY t.slug)
FROM tracker.tenants t}),
	join(",", split /\n/, $node->safe_psql('old', q{
SELECT format('%s:%s/%s', t.tier, d.requests_per_second, d.request_burst)
FROM tracker.tenants t, tracker.tier_defaults(t.tier::text) d ORDER BY t.slug})),
	'and every tenant has its tier\'s rate limit');
is(views('old'), $before, 'every user sees exactly what she saw');
check_refusals('old', 'after the update');
like(as_user($node, 'old', 'otto', q{
INSERT INTO issues (title) VALUES ('omega: after') RETURNING key;}), qr/^OMEG-4$/m,
	'numbers go on without a gap after the update');

#
# The same database made fresh at the current version
#
provision('fresh', $current);
$node->safe_psql('fresh', $toks);
populate('fresh');
$node->safe_psql('fresh', "SELECT tracker.revoke_token('amy-1', now() + interval '1 hour')");
as_user($node, 'fresh', 'zed', "INSERT INTO issues (title, assignee_id) VALUES ('zeta: window', tracker.current_user_id())");
as_user($node, 'fresh', 'zed', "UPDATE issues SET status = 'closed' WHERE number = 3");
as_user($node, 'fresh', 'otto', "INSERT INTO issues (title) VALUES ('omega: after')");

# The schema of a whole database: pg_dump --binary-upgrade dumps every
# member of the extension too; object ids and the dump's own noise go.
sub structure
{
	my ($db) = @_;
	my ($out, $err);
	IPC::Run::run([ 'pg_dump', '--binary-upgrade', '--schema-only', '-d', $node->connstr($db) ],
		'>', \$out, '2>', \$err) or die "pg_dump failed: $err";
	$out =~ s/^\\(un)?restrict .*\n//mg;
	$out =~ s/^.*binary_upgrade_set_next_.*\n//mg;
	$out =~ s/^SET relfrozenxid = .*\n//mg;
	$out =~ s/'\{[0-9,]+\}'/'{OIDS}'/g;
	$out =~ s/WHERE oid = '[0-9]+'/WHERE oid = 'OID'/g;
	return $out;
}
my ($old_structure, $fresh_structure) = (structure('old'), structure('fresh'));
like($fresh_structure, qr/CREATE POLICY issues_read ON tenant_zeta\.issues/, 'the dump shows the silos\' policies');
like($fresh_structure, qr/ALTER EXTENSION tracker ADD FUNCTION tracker\.allowed/, 'the dump shows the extension\'s members');
if ($old_structure eq $fresh_structure)
{
	pass('the updated database is the same as a fresh one: extension objects and every data schema');
}
else
{
	my ($a, $b) = ("$PostgreSQL::Test::Utils::tmp_check/old.sql", "$PostgreSQL::Test::Utils::tmp_check/fresh.sql");
	PostgreSQL::Test::Utils::append_to_file($a, $old_structure);
	PostgreSQL::Test::Utils::append_to_file($b, $fresh_structure);
	my ($diff) = run_command([ 'diff', '-u', $b, $a ]);
	fail('the updated database is the same as a fresh one: extension objects and every data schema');
	diag($diff);
}

#
# An upgrade that fails in the middle
#
$node->safe_psql('postgres', 'CREATE DATABASE broken');
$node->safe_psql('broken', qq{
CREATE EXTENSION tracker VERSION '1.0';
SELECT tracker.create_tenant('pooled-one', 'Pooled', 'basic');
SELECT tracker.create_tenant('silo-one', 'Silo one', 'platinum');
SELECT tracker.create_tenant('silo-two', 'Silo two', 'platinum');
SELECT tracker.create_tenant('silo-three', 'Silo three', 'platinum');
-- someone renames a column of one silo by hand
ALTER TABLE tenant_silo_two.issues RENAME COLUMN reporter_id TO reported_by;});
# (by object id: the policies and triggers that are there are the very ones
# 1.0 made, not made again)
my $rules_sql = q{
SELECT string_agg(x, E'\n' ORDER BY x) FROM (
	SELECT format('policy %s %s', p.oid, p.polname) AS x
	FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
	WHERE c.relnamespace = 'tenant_silo_two'::regnamespace
	UNION ALL
	SELECT format('trigger %s %s', t.oid, t.tgname)
	FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	WHERE c.relnamespace = 'tenant_silo_two'::regnamespace AND NOT t.tgisinternal) r};
my $rules_before = $node->safe_psql('broken', $rules_sql);
# and a tenant's long transaction holds another silo's table
my $holder = $node->background_psql('broken');
$holder->query_safe('BEGIN; LOCK TABLE tenant_silo_three.comments IN ACCESS SHARE MODE;');
$node->safe_psql('broken', 'ALTER EXTENSION tracker UPDATE');
ok($node->poll_query_until('broken',
	"SELECT count(*) = 2 FROM tracker.data_schemas WHERE last_error IS NOT NULL"),
	'the worker tries every schema');
is($node->safe_psql('broken',
	'SELECT string_agg(format(\'%s %s %s\', schema_name, version, left(last_error, 5)), \',\' ORDER BY schema_name) FROM tracker.data_schemas'),
	'tenant_silo_one 2 ,tenant_silo_three 1 55P03,tenant_silo_two 1 42703,tracker_pool 2 ',
	'the altered silo and the held silo stay at version 1, each with its reason; the others are upgraded');
like($node->safe_psql('broken', "SELECT last_error FROM tracker.data_schemas WHERE schema_name = 'tenant_silo_two'"),
	qr/column "reporter_id" of relation "tenant_silo_two.issues" does not exist/, 'the error says what is wrong');
is($node->safe_psql('broken', $rules_sql), $rules_before,
	'the failed silo keeps every policy and trigger of its old version: nothing half done');
ok($node->wait_for_log(qr/WARNING:  data schema "tenant_silo_two" was not upgraded: column "reporter_id" of relation "tenant_silo_two.issues" does not exist/),
	'the server log names the schema and the reason');
my ($ret, $stdout, $stderr) = $node->psql('broken', 'CALL tracker.upgrade_data_schemas(lock_timeout => \'100ms\')');
like($stderr, qr/ERROR:  2 data schemas could not be upgraded to version \d+\nDETAIL:  tenant_silo_three \(55P03: .*\); tenant_silo_two \(42703: column "reporter_id" of relation "tenant_silo_two.issues" does not exist\)/,
	'running the upgrade again while the causes remain reports both schemas and why');
($ret, $stdout, $stderr) = $node->psql('broken', "SELECT tracker._create_data_schema('tenant_silo_two')");
like($stderr, qr/ERROR:  data schema "tenant_silo_two" is at version 1, not \d+/,
	'a schema at an older version is never taken as current (create_tenant reuses schemas through this)');
$holder->query_safe('COMMIT;');
$holder->quit;
$node->safe_psql('broken', 'ALTER TABLE tenant_silo_two.issues RENAME COLUMN reported_by TO reporter_id');
($ret, $stdout, $stderr) = $node->psql('broken', 'CALL tracker.upgrade_data_schemas()');
is($ret, 0, 'once the causes are gone, running the upgrade again finishes') or diag($stderr);
is($node->safe_psql('broken',
	'SELECT count(*) FROM tracker.data_schemas WHERE version < tracker._data_schema_version() OR last_error IS NOT NULL'),
	'0', 'every schema is at the current version, with no error left');

done_testing();
