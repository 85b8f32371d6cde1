# Tenants on a Citus cluster: tracker.distribute() on a database with
# tenants in the pool and in a silo, then the context and isolation on
# every node (docs/scaling.md).
#
# Through the coordinator and on a worker directly: each tenant sees only
# its rows, pooled and silo, and the role matrix holds; writes land in the
# tenant's shard; the list, detail, create and comment statements name
# tenant_id and touch one shard; revocation, deactivation, suspension and
# key retirement take effect on every node from the next transaction; a
# session reused across tenants, and the three ways of setting a context
# (authenticate, SET, SET LOCAL), give the workers exactly the context the
# coordinator has.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/citus';
use lib 'test/perl';
use CitusCluster;
use TrackerTest;

citus_installed() or plan skip_all => 'Citus is not installed in this PostgreSQL (the Citus suite is skipped)';

my ($c, @workers) = citus_cluster('c2', 2);

my %tenant = (
	techstart => 'aaaaaaaa-0000-4000-8000-000000000001',
	devcorp => 'bbbbbbbb-0000-4000-8000-000000000002',
	megacorp => 'cccccccc-0000-4000-8000-000000000003');
my $secret = slurp_file('test/keys/test-only-hs256.secret');
$c->safe_psql('postgres', qq{
CREATE EXTENSION tracker;
SET log_statement = 'none';
SELECT tracker.add_key('k1', 'HS256', '$secret');
SELECT tracker.add_key('k2', 'HS256', '$secret');
RESET log_statement;
SELECT tracker.create_tenant('techstart', 'TechStart', 'basic', tenant_id => '$tenant{techstart}');
SELECT tracker.create_tenant('devcorp', 'DevCorp', 'premium', tenant_id => '$tenant{devcorp}');
SELECT tracker.create_tenant('megacorp', 'MegaCorp', 'platinum', tenant_id => '$tenant{megacorp}');
SELECT tracker.add_user('$tenant{techstart}', 'tina', 'tina\@techstart.example', 'super_admin'),
       tracker.add_user('$tenant{techstart}', 'tom', 'tom\@techstart.example', 'user'),
       tracker.add_user('$tenant{devcorp}', 'dora', 'dora\@devcorp.example', 'super_admin'),
       tracker.add_user('$tenant{devcorp}', 'dan', 'dan\@devcorp.example', 'user'),
       tracker.add_user('$tenant{megacorp}', 'max', 'max\@megacorp.example', 'super_admin');
-- the suite calls faster than the tiers' rate limits allow
SELECT tracker.set_tenant_limit(t, l, NULL)
FROM unnest(ARRAY['$tenant{techstart}', '$tenant{devcorp}', '$tenant{megacorp}']::uuid[]) t,
	 unnest(ARRAY['request_burst', 'requests_per_second', 'api_calls_per_month']) WITH ORDINALITY l (l, n)
ORDER BY t, n;
CREATE ROLE regress_app LOGIN IN ROLE tracker_user;
CREATE ROLE regress_ops LOGIN IN ROLE tracker_operator;
CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
SELECT create_reference_table('toks');
GRANT SELECT ON toks TO regress_app;});

my $iat = time() - 5;
sub add_token
{
	my ($name, $sub, $slug, %opt) = @_;
	my $tok = mint(
		claims => sprintf('{"sub":"%s","tenant_id":"%s","iat":%d,"jti":"%s"}',
			$sub, $tenant{$slug}, $iat, "jti-$name"),
		kid => $opt{kid} // 'k1');
	$c->safe_psql('postgres', "INSERT INTO toks VALUES ('$name', '$tok')");
	return $tok;
}
add_token('tina', 'tina', 'techstart');
add_token('tom', 'tom', 'techstart');
add_token('dora', 'dora', 'devcorp');
add_token('dan', 'dan', 'devcorp');
add_token('max', 'max', 'megacorp');
my $tina_k2 = add_token('tina2', 'tina', 'techstart', kid => 'k2');

# Rows from before the cluster: issues, a team with its issue, comments
as_user($c, 'postgres', 'tina', q{
INSERT INTO teams (name) VALUES ('Core');
INSERT INTO team_members (team_id, user_id)
	SELECT t.id, u.id FROM teams t, users u WHERE t.name = 'Core' AND u.subject = 'tom';
INSERT INTO issues (title) VALUES ('TS one'), ('TS two');
INSERT INTO issues (title, team_id) SELECT 'TS team', id FROM teams WHERE name = 'Core';
INSERT INTO comments (issue_id, content) SELECT id, 'a note' FROM issues WHERE title = 'TS one';});
as_user($c, 'postgres', 'dora', q{INSERT INTO issues (title) VALUES ('DC one'), ('DC two');});
as_user($c, 'postgres', 'max', q{
INSERT INTO issues (title) VALUES ('MC one');
INSERT INTO comments (issue_id, content) SELECT id, 'silo note' FROM issues;});

my $counts = q{SELECT count(*) FROM issues; SELECT count(*) FROM comments};
my %before = map { $_ => as_user($c, 'postgres', $_, $counts) } qw(tina tom dora max);

#
# tracker.distribute()
#
like(try_as_user($c, 'postgres', 'tina', 'SELECT tracker.distribute(8)'),
	qr/permission denied for function distribute/, 'a tenant user may not distribute the database');
my ($rc, $out, $err) = $c->psql('postgres', 'SET ROLE regress_ops; SELECT tracker.distribute(8)');
is($rc, 0, 'an operator distributes the database') or diag($err);
my $layout = q{
	SELECT string_agg(logicalrelid::text || ':' || partmethod::text, ' ' ORDER BY logicalrelid::text)
	FROM pg_dist_partition WHERE logicalrelid::text NOT LIKE 'silo%' AND logicalrelid::text <> 'toks'};
is($c->safe_psql('postgres', $layout),
	'tracker.data_schemas:n tracker.jwt_keys:n tracker.revoked_tokens:n tracker.tenants:n '
	  . 'tracker_pool.comments:h tracker_pool.issue_counters:h tracker_pool.issues:h '
	  . 'tracker_pool.team_members:h tracker_pool.teams:h tracker_pool.users:h',
	"tracker's tables are reference tables, the pool's are distributed by hash");
is($c->safe_psql('postgres', q{
	SELECT count(DISTINCT colocationid) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'tracker_pool.%'}),
	'1', "... all the pool's tables in one co-location group");
my $silo = $c->safe_psql('postgres', "SELECT data_schema FROM tracker.tenants WHERE slug = 'megacorp'");
is($c->safe_psql('postgres', "SELECT count(*) FROM pg_dist_schema WHERE schemaid = '$silo'::regnamespace"),
	'1', 'the silo is a distributed schema');
($rc, $out, $err) = $c->psql('postgres', 'SET ROLE regress_ops; SELECT tracker.distribute(8)');
is($rc, 0, 'distribute() runs again') or diag($err);
is($c->safe_psql('postgres', "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'tracker%'"),
	'10', '... and changes nothing');

my %after = map { $_ => as_user($c, 'postgres', $_, $counts) } qw(tina tom dora max);
is_deeply(\%after, \%before, 'every tenant sees the same issues and comments after distribution')
  or diag explain \%after;

#
# Isolation and the role matrix, through the coordinator
#
is(as_user($c, 'postgres', 'tina', q{SELECT string_agg(key, ',' ORDER BY key) FROM issues}),
	'TECH-1,TECH-2,TECH-3', "a pooled tenant's admin sees exactly its issues");
is(as_user($c, 'postgres', 'dora', q{SELECT string_agg(key, ',' ORDER BY key) FROM issues}),
	'DEVC-1,DEVC-2', '... and another pooled tenant its own');
is(as_user($c, 'postgres', 'max', q{SELECT string_agg(key, ',' ORDER BY key) FROM issues}),
	'MEGA-1', "... and the silo tenant its own");
is(as_user($c, 'postgres', 'tom', q{SELECT string_agg(key, ',' ORDER BY key) FROM issues}),
	'TECH-3', "a plain user sees only his team's issue");
is(as_user($c, 'postgres', 'tom', q{SELECT count(*) FROM users}), '2', '... and his tenant\'s users');
like(try_as_user($c, 'postgres', 'tom', q{DELETE FROM issues}),
	qr/permission denied/, '... and may not delete issues');
like(try_as_user($c, 'postgres', 'dan', qq{INSERT INTO issues (tenant_id, title) VALUES ('$tenant{techstart}', 'sneak')}),
	qr/row-level security|tenant/, "a user may not write into another tenant's shard");

# writes: routed by the tenant, into its shard
as_user($c, 'postgres', 'tina', q{
	INSERT INTO issues (title) VALUES ('TS routed');
	INSERT INTO comments (issue_id, content) SELECT id, 'routed note' FROM issues WHERE title = 'TS routed';});
as_user($c, 'postgres', 'max', q{INSERT INTO issues (title) VALUES ('MC routed')});

sub shard_of
{
	my ($table, $tenant_id) = @_;
	my $method = $c->safe_psql('postgres', "SELECT partmethod FROM pg_dist_partition WHERE logicalrelid = '$table'::regclass");
	my $shard = $c->safe_psql('postgres', $method eq 'h'
		? "SELECT get_shard_id_for_distribution_column('$table', '$tenant_id')"
		: "SELECT shardid FROM pg_dist_shard WHERE logicalrelid = '$table'::regclass");
	my $port = $c->safe_psql('postgres', "SELECT nodeport FROM pg_dist_placement JOIN pg_dist_node USING (groupid) WHERE shardid = $shard");
	my ($node) = grep { $_->port == $port } @workers;
	my ($other) = grep { $_->port != $port } @workers;
	return ($c->safe_psql('postgres', "SELECT shard_name('$table', $shard)"), $node, $other);
}

my ($ts_issues, $ts_node, $ts_other) = shard_of('tracker_pool.issues', $tenant{techstart});
is($ts_node->safe_psql('postgres', "SELECT count(*) FROM $ts_issues WHERE title = 'TS routed' AND tenant_id = '$tenant{techstart}'"),
	'1', "a pooled tenant's new issue is in its shard, on the worker that holds it");
my ($ts_comments) = shard_of('tracker_pool.comments', $tenant{techstart});
is($ts_node->safe_psql('postgres', "SELECT count(*) FROM $ts_comments WHERE content = 'routed note'"),
	'1', '... and its comment beside it');
my ($mc_issues, $mc_node) = shard_of("$silo.issues", $tenant{megacorp});
is($mc_node->safe_psql('postgres', "SELECT count(*) FROM $mc_issues WHERE title = 'MC routed'"),
	'1', "the silo tenant's new issue is in the silo's shard");

# an insert as PostgREST sends it (a JSON document, RETURNING) is checked on
# the shard; an INSERT ... SELECT that Citus would copy is refused there
is(as_user($c, 'postgres', 'tina', q{
	WITH pgrst_source AS (INSERT INTO tracker_pool."issues"("title") SELECT "pgrst_body"."title"
		FROM (SELECT '{"title":"TS posted"}'::json AS json_data) pgrst_payload,
		LATERAL (SELECT "title" FROM json_to_record(pgrst_payload.json_data) AS _("title" text)) pgrst_body
		RETURNING tracker_pool."issues".*)
	SELECT key, tenant_id = tracker.current_tenant() FROM pgrst_source}),
	'TECH-5|t', "an insert in PostgREST's shape works on the cluster, numbered and owned by the context");
like(try_as_user($c, 'postgres', 'tina', q{INSERT INTO issues (title) SELECT 'copied ' || g FROM generate_series(1, 2) g}),
	qr/COPY FROM not supported with row-level security/,
	'an INSERT ... SELECT without RETURNING, which Citus copies, is refused');
as_user($c, 'postgres', 'tina', q{DELETE FROM issues WHERE tenant_id = tracker.current_tenant() AND title = 'TS posted'});

# routing: the benchmark's statements, naming tenant_id, touch one shard
for my $stmt (
	[ 'list', "SELECT key, title FROM issues WHERE tenant_id = '$tenant{techstart}' AND status = 'open' ORDER BY created_at DESC LIMIT 50" ],
	[ 'detail', "SELECT * FROM issues WHERE tenant_id = '$tenant{techstart}' AND key = 'TECH-1'" ],
	[ 'create', "INSERT INTO issues (title) VALUES ('explained')" ],
	[ 'comment', "INSERT INTO comments (issue_id, content) VALUES ('00000000-0000-4000-8000-000000000000', 'explained')" ])
{
	like(as_user($c, 'postgres', 'tina', "EXPLAIN (COSTS OFF) $stmt->[1]"),
		qr/Task Count: 1\n/, "the $stmt->[0] statement is routed to one shard");
}

#
# A worker queried directly
#
is(as_user($ts_node, 'postgres', 'tina', q{SELECT string_agg(key, ',' ORDER BY key) FROM issues}),
	'TECH-1,TECH-2,TECH-3,TECH-4', "on the worker that holds a tenant's shard, its admin sees exactly its issues");
is(as_user($ts_node, 'postgres', 'tom', q{SELECT string_agg(key, ',' ORDER BY key) FROM issues}),
	'TECH-3', '... and the plain user only his team\'s');
like(try_as_user($ts_other, 'postgres', 'tina', 'SELECT count(*) FROM issues'),
	qr/this node holds none of the token's tenant's rows/,
	'on a worker that holds none of its rows, authenticate() says so');
my $forged = $tina_k2 =~ s/.{6}$/AAAAAA/r;
for my $w (@workers)
{
	is($w->safe_psql('postgres', q{SET ROLE regress_app; SELECT count(*) FROM tracker_pool.issues}),
		'0', 'worker ' . $w->name . ': without a token, nothing');
	my ($r, $o, $e) = $w->psql('postgres', qq{
		SET ROLE regress_app;
		SET tracker.token = '$forged';
		SELECT count(*) FROM tracker_pool.issues;});
	like($e, qr/ERROR:  .*signature/, '... and a forged token SET on it is refused');
}

# what Citus lets every role do on the workers is not a tenant's
like(try_as_user($c, 'postgres', 'tina2', q{SELECT * FROM run_command_on_workers('SELECT 1')}),
	qr/permission denied for function run_command_on_workers/,
	"a tenant user may not run commands on the workers through Citus's functions");
my ($ts_members) = shard_of('tracker_pool.team_members', $tenant{techstart});
my ($core, $tina_uid) = split /\|/, $c->safe_psql('postgres', qq{
	SELECT t.id, u.id FROM tracker_pool.teams t, tracker_pool.users u
	WHERE t.tenant_id = '$tenant{techstart}' AND u.tenant_id = '$tenant{techstart}' AND t.name = 'Core' AND u.subject = 'tina'});
($rc, $out, $err) = $ts_node->psql('postgres', qq{
	SET ROLE regress_app;
	SET tracker.token = '$tina_k2';
	BEGIN;
	INSERT INTO $ts_members (tenant_id, team_id, user_id) VALUES ('$tenant{techstart}', '$core', '$tina_uid');
	PREPARE TRANSACTION 'tenant-prepared';});
like($err, qr/cannot PREPARE a transaction that has changed tracker's keys, tenants or members/,
	"on a worker, a tenant user's own session may not leave a change to its teams prepared");
is($ts_node->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts'), '0', '... and nothing is left prepared');
$ts_node->safe_psql('postgres', q{SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'tenant-prepared'}) eq '0'
  or $ts_node->safe_psql('postgres', q{ROLLBACK PREPARED 'tenant-prepared'});

#
# The three ways of setting a context reach the workers
#
my $tina = $c->safe_psql('postgres', "SELECT tok FROM toks WHERE name = 'tina'");
my $dora = $c->safe_psql('postgres', "SELECT tok FROM toks WHERE name = 'dora'");
is($c->safe_psql('postgres', qq{
	SET ROLE regress_app;
	SET tracker.token = '$tina';
	SELECT count(*) FROM tracker_pool.issues;}),
	'4', 'a token SET for the session reaches the workers, outside a transaction block');
is($c->safe_psql('postgres', qq{
	SET ROLE regress_app;
	BEGIN;
	SET LOCAL tracker.token = '$dora';
	SELECT count(*) FROM tracker_pool.issues;
	COMMIT;
	SELECT count(*) FROM tracker_pool.issues;}),
	"2\n0", 'a token SET LOCAL reaches them for the transaction only');
is($c->safe_psql('postgres', qq{
	SET ROLE regress_app;
	BEGIN;
	SELECT tracker.authenticate('$dora', true) IS NOT NULL;
	SELECT count(*) FROM tracker_pool.issues;
	COMMIT;
	SELECT count(*) FROM tracker_pool.issues;}),
	"t\n2\n0", 'so does authenticate(token, true)');

# a read that runs on a worker only is counted on the coordinator
my $calls = q{SELECT api_calls_this_month FROM tracker.tenant_usage('%s')};
my $before_calls = $c->safe_psql('postgres', sprintf($calls, $tenant{techstart}));
for (1 .. 3)
{
	$c->safe_psql('postgres', qq{
		SET ROLE regress_app;
		SET tracker.token = '$tina';
		SELECT count(*) FROM tracker_pool.issues WHERE tenant_id = '$tenant{techstart}';});
}
is($c->safe_psql('postgres', sprintf($calls, $tenant{techstart})) - $before_calls, 3,
	'three sessions that set a token and read from one shard count three API calls');

# savepoints: a token changed in one, then rolled back, is the outer one
# again on the workers; one released stays
is($c->safe_psql('postgres', qq{
	SET ROLE regress_app;
	BEGIN;
	SET LOCAL tracker.token = '$tina';
	SELECT count(*) FROM tracker_pool.issues;
	SAVEPOINT s;
	SET LOCAL tracker.token = '$dora';
	SELECT count(*) FROM tracker_pool.issues;
	ROLLBACK TO SAVEPOINT s;
	SELECT count(*) FROM tracker_pool.issues;
	SAVEPOINT t;
	SET LOCAL tracker.token = '$dora';
	RELEASE SAVEPOINT t;
	SELECT count(*) FROM tracker_pool.issues;
	COMMIT;}),
	"4\n2\n4\n2", "a token set in a savepoint reaches the workers, and goes with its rollback");

# a session reused across tenants keeps them apart on every node
my $pooled = $c->background_psql('postgres');
$pooled->query_safe('SET ROLE regress_app');
my @seen;
for my $round (1 .. 3)
{
	for my $who ([ 'tina', 4 ], [ 'dora', 2 ], [ 'max', 2 ])
	{
		push @seen, $pooled->query_safe(
			"SELECT tracker.authenticate(tok) IS NOT NULL FROM toks WHERE name = '$who->[0]';
			 SELECT count(*) FROM issues WHERE tenant_id <> tracker.current_tenant()
			 UNION ALL SELECT count(*) - $who->[1] FROM issues;");
	}
	push @seen, $pooled->query_safe("RESET tracker.token; SELECT count(*) FROM tracker_pool.issues");
}
is(join(' ', map { s/\s+/,/gr } @seen), join(' ', ('t,0,0 t,0,0 t,0,0 0') x 3),
	"one session, three tenants in turn, three rounds: each sees exactly its own issues, and none once it lets go");

#
# Changes take effect on every node from the next transaction
#
my %session;
sub open_sessions
{
	for my $where ([ 'c', $c ], [ 'w', $ts_node ])
	{
		my $s = $where->[1]->background_psql('postgres', on_error_stop => 0);
		$s->query_safe("SET ROLE regress_app; SELECT tracker.authenticate(tok) FROM toks WHERE name = 'tina'");
		is($s->query_safe('SELECT count(*) FROM issues'), '4', "tina's session on the " . ($where->[0] eq 'c' ? 'coordinator' : 'worker') . ' works');
		$session{ $where->[0] } = $s;
	}
}
sub refused_everywhere
{
	my ($what, $pattern) = @_;
	for my $where (qw(c w))
	{
		my $s = $session{$where};
		$s->query('SELECT count(*) FROM issues');
		like($s->{stderr}, $pattern, "$what: refused in the next transaction of the session on the "
			  . ($where eq 'c' ? 'coordinator' : 'worker'));
		$s->quit;
	}
	like(try_as_user($c, 'postgres', 'tina', 'SELECT count(*) FROM issues'), $pattern,
		"$what: ... and in a new session");
}

open_sessions();
$c->safe_psql('postgres', "SELECT tracker.revoke_token('jti-tina', NULL)");
refused_everywhere('a revoked token', qr/revoked/);
$c->safe_psql('postgres', "DELETE FROM tracker.revoked_tokens WHERE jti = 'jti-tina'");

my $tina_id = $c->safe_psql('postgres',
	"SELECT id FROM tracker_pool.users WHERE tenant_id = '$tenant{techstart}' AND subject = 'tina'");
open_sessions();
$c->safe_psql('postgres', "SELECT tracker.set_user_active('$tina_id', false, '$tenant{techstart}')");
refused_everywhere('a deactivated user', qr/deactivated/);
$c->safe_psql('postgres', "SELECT tracker.set_user_active('$tina_id', true, '$tenant{techstart}')");

open_sessions();
$c->safe_psql('postgres', "SELECT tracker.revoke_user_tokens('$tina_id', '$tenant{techstart}')");
refused_everywhere("a user's revoked tokens", qr/issued before the user's tokens were revoked/);
$c->safe_psql('postgres', "UPDATE tracker_pool.users SET tokens_valid_after = NULL WHERE tenant_id = '$tenant{techstart}' AND id = '$tina_id'");

open_sessions();
$c->safe_psql('postgres', "SELECT tracker.set_tenant_status('$tenant{techstart}', 'suspended')");
refused_everywhere('a suspended tenant', qr/tenant is suspended/);
$c->safe_psql('postgres', "SELECT tracker.set_tenant_status('$tenant{techstart}', 'active')");

open_sessions();
$c->safe_psql('postgres', "SELECT tracker.retire_key('k1')");
refused_everywhere('a retired key', qr/key/);
is(as_user($c, 'postgres', 'tina2', 'SELECT count(*) FROM issues'), '4',
	'... while a token of the key that is still active works');
is(as_user($ts_node, 'postgres', 'tina2', 'SELECT count(*) FROM issues'), '4',
	'... on the worker too');

# a role change reaches sessions on every node from their next transaction
add_token('tom2', 'tom', 'techstart', kid => 'k2');
my $tom_id = $c->safe_psql('postgres',
	"SELECT id FROM tracker_pool.users WHERE tenant_id = '$tenant{techstart}' AND subject = 'tom'");
my %toms;
for my $where ([ 'coordinator', $c ], [ 'worker', $ts_node ])
{
	my $s = $where->[1]->background_psql('postgres', on_error_stop => 0);
	$s->query_safe("SET ROLE regress_app; SELECT tracker.authenticate(tok) FROM toks WHERE name = 'tom2'");
	is($s->query_safe('SELECT tracker.current_member_role(), count(*) FROM issues'), 'user|1',
		"a plain user's session on the $where->[0] sees his team's issue");
	$toms{ $where->[0] } = $s;
}
$c->safe_psql('postgres', "SELECT tracker.set_user_role('$tom_id', 'admin', '$tenant{techstart}')");
for my $where (qw(coordinator worker))
{
	is($toms{$where}->query_safe('SELECT tracker.current_member_role(), count(*) FROM issues'), 'admin|4',
		"... and once made an admin, every issue of his tenant, in the next transaction on the $where");
	$toms{$where}->quit;
}
$c->safe_psql('postgres', "SELECT tracker.set_user_role('$tom_id', 'user', '$tenant{techstart}')");

#
# Tenants created after distribution are distributed as they are created
#
$c->safe_psql('postgres', q{
SELECT tracker.create_tenant('latecomer', 'Latecomer', 'standard', tenant_id => 'dddddddd-0000-4000-8000-000000000004');
SELECT tracker.create_tenant('bigco', 'BigCo', 'platinum', tenant_id => 'eeeeeeee-0000-4000-8000-000000000005');
SELECT tracker.add_user('dddddddd-0000-4000-8000-000000000004', 'lee', 'lee@latecomer.example', 'admin'),
       tracker.add_user('eeeeeeee-0000-4000-8000-000000000005', 'bea', 'bea@bigco.example', 'admin');});
$tenant{latecomer} = 'dddddddd-0000-4000-8000-000000000004';
$tenant{bigco} = 'eeeeeeee-0000-4000-8000-000000000005';
add_token('lee', 'lee', 'latecomer', kid => 'k2');
add_token('bea', 'bea', 'bigco', kid => 'k2');
my $big_silo = $c->safe_psql('postgres', "SELECT data_schema FROM tracker.tenants WHERE slug = 'bigco'");
is($c->safe_psql('postgres', "SELECT count(*) FROM pg_dist_schema WHERE schemaid = '$big_silo'::regnamespace"),
	'1', "a platinum tenant's silo created afterwards is a distributed schema");
is(as_user($c, 'postgres', 'lee', q{INSERT INTO issues (title) VALUES ('late'); SELECT string_agg(key, ',') FROM issues}),
	'LATE-1', 'a pooled tenant created afterwards works, and sees only its issue');
is(as_user($c, 'postgres', 'bea', q{INSERT INTO issues (title) VALUES ('big'); SELECT string_agg(key, ',') FROM issues}),
	'BIGC-1', '... and so does the new silo tenant');
my ($late_issues, $late_node) = shard_of('tracker_pool.issues', $tenant{latecomer});
is($late_node->safe_psql('postgres', "SELECT count(*) FROM $late_issues WHERE title = 'late'"),
	'1', "... whose issue is in its shard");

# the operator's functions on a distributed database
($rc, $out, $err) = $c->psql('postgres', qq{
	SET ROLE regress_ops;
	SELECT tracker.set_tenant_limit('$tenant{devcorp}', 'requests_per_second', 50);
	SELECT tracker.set_tenant_limit('$tenant{devcorp}', 'request_burst', 80);});
is($rc, 0, "an operator changes a tenant's limits (a reference table's row, on every node)") or diag($err);
my $moved = $c->safe_psql('postgres', "SET ROLE regress_ops; SELECT tracker.change_tier('$tenant{devcorp}', 'platinum')");
is($c->safe_psql('postgres', "SELECT count(*) FROM pg_dist_schema WHERE schemaid = '$moved'::regnamespace"),
	'1', 'a pooled tenant that becomes platinum moves to a silo that is a distributed schema');
add_token('dora2', 'dora', 'devcorp', kid => 'k2');
is(as_user($c, 'postgres', 'dora2', q{SELECT string_agg(key, ',' ORDER BY key) FROM issues}),
	'DEVC-1,DEVC-2', '... with its issues, which its admin sees there');
is(as_user($c, 'postgres', 'tina2', q{SELECT count(*) FROM issues WHERE key LIKE 'DEVC%'}),
	'0', "... and which no other tenant sees");
($rc, $out, $err) = $c->psql('postgres', qq{
	SET ROLE regress_ops;
	SELECT tracker.set_tenant_status('$tenant{devcorp}', 'suspended');
	SELECT tracker.delete_tenant('$tenant{devcorp}');});
is($rc, 0, 'an operator deletes a tenant') or diag($err);
like(try_as_user($c, 'postgres', 'dora2', 'SELECT count(*) FROM issues'), qr/tenant has been deleted|not registered/,
	"... whose tokens no longer give a context");

# a tenant admin's team functions on the cluster
is(as_user($c, 'postgres', 'tina2', qq{
	SELECT tracker.add_team_member('$core', '$tina_uid');
	SELECT tracker.remove_team_member('$core', '$tina_uid'), tracker.remove_team_member('$core', '$tina_uid');}),
	"\nt|f", "a tenant admin adds a member to a team and removes her, once");

# a deleted team's issues lose it (a trigger, where a foreign key's SET NULL was)
is(as_user($c, 'postgres', 'tina2', q{
	DELETE FROM team_members;
	DELETE FROM teams WHERE name = 'Core';
	SELECT count(*) FROM issues WHERE title = 'TS team' AND team_id IS NULL;}),
	'1', "deleting a team unassigns its issues on the cluster");

done_testing();
