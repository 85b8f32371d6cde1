# The verified tenant context across connections, a server restart and
# parallel workers.  A context belongs to one backend: a new connection, or
# any connection after a restart, starts without one; a parallel worker
# verifies the leader's token again and sees exactly the leader's context.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my $tenant_a = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
my $tenant_b = 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';
my $secret_file = 'test/keys/test-only-hs256.secret';

my $node = tracker_node('context');
$node->append_conf('postgresql.conf',
	"max_worker_processes = 8\nmax_parallel_workers = 8\n");
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION tracker');
# A token is accepted only for a registered, active tenant and an active
# user of it; the role comes from the user's row.
$node->safe_psql(
	'postgres', qq{
	SELECT tracker.create_tenant('tap-a', 'Tap A', 'basic', tenant_id => '$tenant_a');
	SELECT tracker.create_tenant('tap-b', 'Tap B', 'basic', tenant_id => '$tenant_b');
	SELECT tracker.add_user('$tenant_a', 'alice', 'alice\@a.example', 'admin');
	SELECT tracker.add_user('$tenant_b', 'bob', 'bob\@b.example', 'user');});
my $alice_id = $node->safe_psql('postgres',
	"SELECT id FROM tracker_pool.users WHERE subject = 'alice'");
my $secret = slurp_file($secret_file);
# (the secret is a test-only fixture; still, keep it out of the server log)
is( $node->safe_psql(
		'postgres',
		"SET log_statement = 'none'; SELECT tracker.add_key('k1', 'HS256', '$secret')"),
	'k1',
	'HS256 key k1 registered');

# Tokens live in a table, so that no query text (which the test log shows)
# carries one.
my $tok_a = mint(claims => qq({"sub":"alice","tenant_id":"$tenant_a"}));
my $tok_b = mint(claims => qq({"sub":"bob","tenant_id":"$tenant_b"}));
# tenant A's claims and kid k1, signed with a secret that is not k1's
my $forged = mint(
	claims => qq({"sub":"alice","tenant_id":"$tenant_a"}),
	key => 'test/keys/test-only-hs384.secret');
$node->safe_psql('postgres',
	"CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
	 INSERT INTO toks VALUES ('a', '$tok_a'), ('b', '$tok_b'), ('forged', '$forged');");

#
# A context belongs to its session
#
my $s1 = $node->background_psql('postgres');
is( $s1->query_safe(
		"SELECT tracker.authenticate(tok) ->> 'sub' FROM toks WHERE name = 'a'"),
	'alice',
	'authenticate in a first session');
is($s1->query_safe('SELECT tracker.current_tenant()'),
	$tenant_a, 'the first session has tenant A');

is( $node->safe_psql(
		'postgres',
		"SELECT tracker.current_tenant() IS NULL, tracker.current_subject() IS NULL,
		        tracker.claims() IS NULL, current_setting('tracker.token') = ''"),
	't|t|t|t',
	'a new connection has no context while the first session holds one');
is($s1->query_safe('SELECT tracker.current_tenant()'),
	$tenant_a, 'the first session still has tenant A');
$s1->quit;

is($node->safe_psql('postgres', 'SELECT tracker.current_tenant() IS NULL'),
	't', 'a new connection after the first session ended has no context');

#
# A restart leaves no context behind, and tokens still verify
#
$node->restart;

is($node->safe_psql('postgres', 'SELECT tracker.current_tenant() IS NULL'),
	't', 'no context after a restart');
is( $node->safe_psql(
		'postgres',
		"SELECT tracker.authenticate(tok) ->> 'sub' FROM toks WHERE name = 'a';
		 SELECT tracker.current_tenant(), tracker.current_subject();"),
	"alice\n$tenant_a|alice",
	'the token verifies after the restart when presented again');

#
# Parallel workers see exactly the leader's context
#
$node->safe_psql('postgres',
	'CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 5000) g; ANALYZE t;');

# a Gather over a parallel scan, with every row read by a worker
my $parallel = q{
SET force_parallel_mode = on;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
};

is( $node->safe_psql(
		'postgres', $parallel . "
		SELECT tracker.authenticate(tok) ->> 'sub' FROM toks WHERE name = 'a';
		SELECT DISTINCT tracker.current_tenant() FROM t;"),
	"alice\n$tenant_a",
	'a parallel query sees the leader\'s tenant, and only that one');

my $plan = $node->safe_psql(
	'postgres', $parallel . "
	SELECT tracker.authenticate(tok) IS NOT NULL FROM toks WHERE name = 'a';
	EXPLAIN (ANALYZE, COSTS OFF, VERBOSE) SELECT DISTINCT tracker.current_tenant() FROM t;");
like($plan, qr/Gather/, 'the query runs under a Gather');
like($plan, qr/Workers Launched: [1-9]/, 'at least one worker was launched');
like(
	$plan,
	qr/Parallel Seq Scan on public\.t.*\n\s+Output: tracker\.current_tenant\(\)/,
	'the workers evaluate tracker.current_tenant()');

# the workers' context comes from the database too: alice's role and id
is( $node->safe_psql(
		'postgres', $parallel . "
		SELECT tracker.authenticate(tok) IS NOT NULL FROM toks WHERE name = 'a';
		SELECT DISTINCT tracker.current_member_role() || ' ' || tracker.current_user_id()
		FROM t WHERE id > 0;"),
	"t\nadmin $alice_id",
	'the workers see the user\'s role and id from the database');
$plan = $node->safe_psql(
	'postgres', $parallel . "
	SELECT tracker.authenticate(tok) IS NOT NULL FROM toks WHERE name = 'a';
	EXPLAIN (ANALYZE, COSTS OFF, VERBOSE)
	SELECT DISTINCT tracker.current_member_role() || ' ' || tracker.current_user_id()
	FROM t WHERE id > 0;");
like(
	$plan,
	qr/Workers Launched: [1-9].*\n\s+->  Parallel Seq Scan on public\.t.*\n\s+Output: .*tracker\.current_member_role\(\).*tracker\.current_user_id\(\)/,
	'... evaluated in the workers');

is( $node->safe_psql(
		'postgres', $parallel . "
		SELECT tracker.authenticate(tok) IS NOT NULL FROM toks WHERE name = 'a';
		SELECT tracker.authenticate(tok) ->> 'sub' FROM toks WHERE name = 'b';
		SELECT DISTINCT tracker.current_tenant()::text || ' ' || tracker.current_subject() FROM t;
		SELECT count(*) FROM t WHERE tracker.claims() ->> 'sub' = 'bob' AND id > 0;"),
	"t\nbob\n$tenant_b bob\n5000",
	'after switching to tenant B the workers see B');

# a forged token fails in the parallel query, wherever it is verified first
my ($stdout, $stderr);
my $ret = $node->psql(
	'postgres', $parallel . "
	SET tracker.token = '$forged';
	SELECT DISTINCT tracker.current_tenant() FROM t;",
	stdout => \$stdout,
	stderr => \$stderr);
isnt($ret, 0, 'a parallel query under a forged token fails');
like(
	$stderr,
	qr/ERROR:  token signature is invalid/,
	'... with the verification error');
# the leader never read the context here: a worker verified the token itself
like($stderr, qr/CONTEXT:  parallel worker/, '... raised in a parallel worker');
unlike($stdout, qr/$tenant_a/, '... and shows no tenant');

# the same after a valid context: the forged token replaces it, it does not
# fall back to it
$ret = $node->psql(
	'postgres', $parallel . "
	SELECT tracker.authenticate(tok) IS NOT NULL FROM toks WHERE name = 'a';
	SET tracker.token = '$forged';
	SELECT DISTINCT tracker.current_tenant() FROM t;",
	stdout => \$stdout,
	stderr => \$stderr);
isnt($ret, 0,
	'a parallel query under a forged token fails after a valid context');
like(
	$stderr,
	qr/ERROR:  token signature is invalid/,
	'... with the verification error');
is($stdout, 't', '... and shows no tenant');

# a token that expires between two queries of the same session: the
# second one fails, in the workers as in the leader
my $short = mint(claims => qq({"sub":"alice","tenant_id":"$tenant_a"}), exp => 10);
$node->safe_psql('postgres', "INSERT INTO toks VALUES ('short', '$short')");
$ret = $node->psql(
	'postgres', $parallel . "
	SET tracker.leeway = 0;
	SELECT tracker.authenticate(tok) ->> 'sub' FROM toks WHERE name = 'short';
	SELECT DISTINCT tracker.current_tenant() FROM t;
	SELECT pg_sleep(greatest(0, (tracker.claims() ->> 'exp')::numeric
								- extract(epoch FROM clock_timestamp()) + 1.5));
	SELECT DISTINCT tracker.current_tenant() FROM t;
	SELECT tracker.current_tenant();",
	stdout => \$stdout,
	stderr => \$stderr,
	on_error_stop => 0);
is($stdout, "alice\n$tenant_a\n",
	'the short-lived token works in a parallel query while it is valid');
my @expired = ($stderr =~ /ERROR:  token has expired/g);
is(scalar(@expired), 2,
	'once it has expired, the parallel query and the leader both fail');

$node->stop;

done_testing();
