# Moving tenants on a Citus cluster while their users work: a large pooled
# tenant isolated onto shards of its own (isolate_tenant_to_new_shard), and
# a tenant's shards moved to the other worker (citus_move_shard_placement),
# each under pgbench load of two tenants that write and read through the
# coordinator.  Every load transaction checks that it sees no other
# tenant's row (it fails by division by zero if it does); afterwards each
# tenant has exactly the rows it had plus those its committed transactions
# added.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/citus';
use lib 'test/perl';
use CitusCluster;
use TrackerTest;

citus_installed() or plan skip_all => 'Citus is not installed in this PostgreSQL (the Citus suite is skipped)';

my ($c, @workers) = citus_cluster('c3', 2);

my %tenant = (
	big => 'aaaaaaaa-0000-4000-8000-0000000000b1',
	small => 'bbbbbbbb-0000-4000-8000-0000000000b2');
my $secret = slurp_file('test/keys/test-only-hs256.secret');
$c->safe_psql('postgres', qq{
CREATE EXTENSION tracker;
SET log_statement = 'none';
SELECT tracker.add_key('k1', 'HS256', '$secret');
RESET log_statement;
SELECT tracker.create_tenant('bigco', 'BigCo', 'premium', tenant_id => '$tenant{big}');
SELECT tracker.create_tenant('smallco', 'SmallCo', 'basic', tenant_id => '$tenant{small}');
SELECT tracker.add_user('$tenant{big}', 'bob', 'bob\@big.example', 'admin'),
       tracker.add_user('$tenant{small}', 'sue', 'sue\@small.example', 'admin');
-- the load is heavier than the tiers' rate limits allow
SELECT tracker.set_tenant_limit(t, l, NULL)
FROM unnest(ARRAY['$tenant{big}', '$tenant{small}']::uuid[]) t,
	 unnest(ARRAY['request_burst', 'requests_per_second', 'api_calls_per_month']) WITH ORDINALITY l (l, n)
ORDER BY t, n;
CREATE ROLE regress_app LOGIN IN ROLE tracker_user;
CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
GRANT SELECT ON toks TO regress_app;
SELECT tracker.distribute(4);
SELECT create_reference_table('toks');});
for my $who ([ 'bob', 'big' ], [ 'sue', 'small' ])
{
	my $tok = mint(claims => sprintf('{"sub":"%s","tenant_id":"%s"}', $who->[0], $tenant{ $who->[1] }));
	$c->safe_psql('postgres', "INSERT INTO toks VALUES ('$who->[0]', '$tok')");
}
# the large tenant has many issues, the small one a few
# (VALUES: Citus copies the rows of an INSERT ... SELECT from no table of
# its own when it has no RETURNING, and COPY is refused under row-level
# security; docs/scaling.md)
sub values_of { my ($n) = @_; return join(', ', map { "('old $_')" } 1 .. $n) }
as_user($c, 'postgres', 'bob', 'INSERT INTO issues (title) VALUES ' . values_of(500));
as_user($c, 'postgres', 'sue', 'INSERT INTO issues (title) VALUES ' . values_of(20));

my $count = q{SELECT count(*) FROM issues};
my %rows = (bob => as_user($c, 'postgres', 'bob', $count), sue => as_user($c, 'postgres', 'sue', $count));
is_deeply(\%rows, { bob => 500, sue => 20 }, 'the two tenants start with their issues');

# one load transaction per tenant: authenticate for the transaction, write
# an issue, read the list, and fail if any row of another tenant shows
my $dir = PostgreSQL::Test::Utils::tempdir;
for my $who (qw(bob sue))
{
	open(my $fh, '>', "$dir/$who.sql") or die;
	print $fh qq{BEGIN;
SELECT tracker.authenticate(tok, true) IS NOT NULL FROM toks WHERE name = '$who';
INSERT INTO issues (title) VALUES ('load $who');
SELECT key, title FROM issues ORDER BY created_at DESC LIMIT 20;
SELECT 1 / (CASE WHEN count(*) = 0 THEN 1 ELSE 0 END) FROM issues WHERE tenant_id <> tracker.current_tenant();
COMMIT;
};
	close($fh);
}

# pgbench through the coordinator while MOVE runs; returns the transactions
# each tenant's script committed, and pgbench's exit status
sub under_load
{
	my ($name, $move) = @_;
	my ($out, $err) = ('', '');
	my $bench = IPC::Run::start(
		[ 'pgbench', '-n', '-T', '6', '-c', '4', '-j', '2', '-h', $c->host, '-p', $c->port,
		  '-U', 'regress_app', '-f', "$dir/bob.sql", '-f', "$dir/sue.sql", 'postgres' ],
		'>', \$out, '2>', \$err);
	sleep 1;
	my ($rc, $mout, $merr) = $c->psql('postgres', $move);
	is($rc, 0, "$name, under load") or diag($merr);
	ok($bench->finish, "... and no load transaction failed or saw another tenant's row")
	  or diag($err);
	my %done;
	while ($out =~ /SQL script \d+: \S+\/(\w+)\.sql\n(?:.*\n)*? - (\d+) transactions/g)
	{
		$done{$1} = $2;
	}
	ok($done{bob} && $done{sue}, "... while both tenants worked ($done{bob} and $done{sue} transactions)");
	return %done;
}

sub check_rows
{
	my ($name, %done) = @_;
	$rows{$_} += $done{$_} for keys %done;
	my %now = (bob => as_user($c, 'postgres', 'bob', $count), sue => as_user($c, 'postgres', 'sue', $count));
	is_deeply(\%now, \%rows, "$name: every tenant has its rows and those its load added, no more")
	  or diag explain \%now;
	is(as_user($c, 'postgres', 'bob', q{SELECT count(*) FROM issues WHERE tenant_id <> tracker.current_tenant()}),
		'0', "$name: the large tenant sees none of the other's rows");
}

# 1. isolate the large tenant: its rows get shards of their own
my $shard_before = $c->safe_psql('postgres', "SELECT get_shard_id_for_distribution_column('tracker_pool.issues', '$tenant{big}')");
my %done = under_load('isolate_tenant_to_new_shard',
	"SELECT isolate_tenant_to_new_shard('tracker_pool.issues', '$tenant{big}', 'CASCADE', shard_transfer_mode => 'block_writes')");
check_rows('after the isolation', %done);
my $shard_after = $c->safe_psql('postgres', "SELECT get_shard_id_for_distribution_column('tracker_pool.issues', '$tenant{big}')");
isnt($shard_after, $shard_before, 'the large tenant has a shard of its own');
is($c->safe_psql('postgres', "SELECT shardminvalue = shardmaxvalue FROM pg_dist_shard WHERE shardid = $shard_after"),
	't', '... holding the hash of its id alone');

# 2. move the large tenant's shards to the other worker
my $from = $c->safe_psql('postgres', "SELECT nodeport FROM pg_dist_placement JOIN pg_dist_node USING (groupid) WHERE shardid = $shard_after");
my ($to) = grep { $_->port != $from } @workers;
my ($source) = grep { $_->port == $from } @workers;
# a session on the worker the shards leave, whose context was verified there
my $held = $source->background_psql('postgres', on_error_stop => 0);
$held->query_safe("SET ROLE regress_app; SELECT tracker.authenticate(tok) FROM toks WHERE name = 'bob'");
is($held->query_safe("SELECT tracker.current_member_role()"), 'admin',
	"the large tenant's admin has a context on the worker that holds its shards");
%done = under_load('citus_move_shard_placement',
	sprintf(q{SELECT citus_move_shard_placement(%s, '%s', %d, '%s', %d, shard_transfer_mode => 'block_writes')},
		$shard_after, $c->host, $from, $to->host, $to->port));
check_rows('after the move', %done);
is($c->safe_psql('postgres', "SELECT nodeport FROM pg_dist_placement JOIN pg_dist_node USING (groupid) WHERE shardid = $shard_after"),
	$to->port, "the large tenant's shard is on the other worker");
is(as_user($to, 'postgres', 'bob', $count), $rows{bob},
	"... where its admin, on that worker directly, sees all its rows");

# the worker the shards left no longer trusts what it verified from them,
# even before Citus drops its old copy, and refuses a deactivated user
is($held->query_safe('SELECT tracker.current_member_role() IS NULL'), 't',
	"the session on the worker the shards left has no context there any more");
like(try_as_user($source, 'postgres', 'bob', 'SELECT 1'), qr/this node holds none of the token's tenant's rows/,
	'... and a new session there is told so');
my $bob_id = $c->safe_psql('postgres', "SELECT id FROM tracker_pool.users WHERE tenant_id = '$tenant{big}' AND subject = 'bob'");
$c->safe_psql('postgres', "SELECT tracker.set_user_active('$bob_id', false, '$tenant{big}')");
$held->query('SELECT count(*) FROM issues');
like($held->{stderr}, qr/deactivated/, "... and once the user is deactivated, the session's next read is refused");
$held->quit;
like(try_as_user($c, 'postgres', 'bob', 'SELECT 1'), qr/deactivated/, '... as it is through the coordinator');

done_testing();
