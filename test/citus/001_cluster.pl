# tracker on a Citus cluster: a coordinator (in the metadata) and two
# workers, each its own server, started by the TAP framework.  Uses the Citus
# that is installed in the local PostgreSQL; without one the whole script is
# skipped, and says so (docs/scaling.md).
#
# What this script establishes: the cluster the Citus suite runs on, the
# extension created on the coordinator reaching every worker, the one rule
# that holds on every node whatever else is distributed (no context, or a
# forged one, on a worker queried directly yields none), and an operator's
# revocation written to every node through Citus's two-phase commit.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/citus';
use CitusCluster;

citus_installed() or plan skip_all => 'Citus is not installed in this PostgreSQL (the Citus suite is skipped)';

my ($coordinator, @workers) = citus_cluster('c1', 2);

is($coordinator->safe_psql('postgres', 'SELECT count(*) FROM citus_get_active_worker_nodes()'),
	'2', 'the coordinator sees two active workers');

$coordinator->safe_psql('postgres', 'CREATE EXTENSION tracker');
for my $w (@workers)
{
	is($w->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'tracker'}),
		$coordinator->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'tracker'}),
		'CREATE EXTENSION tracker on the coordinator reaches worker ' . $w->name);
	is($w->safe_psql('postgres',
			q{SELECT count(*) FROM pg_roles WHERE rolname IN ('tracker_user', 'tracker_anon', 'tracker_operator', 'tracker_authenticator')}),
		'4', '... with its roles');
}

# A worker queried directly, as a tenant user: no context, and a forged
# token in the token setting is an error, not a context
$coordinator->safe_psql('postgres', 'CREATE ROLE regress_app LOGIN IN ROLE tracker_user');
for my $w (@workers)
{
	is($w->safe_psql('postgres', q{
		SET ROLE regress_app;
		SELECT tracker.current_tenant() IS NULL AND tracker.current_user_id() IS NULL;}),
		't', 'worker ' . $w->name . ' queried directly: no context without a token');
	my ($rc, $out, $err) = $w->psql('postgres', q{
		SET ROLE regress_app;
		SET tracker.token = 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJzYW0iLCJ0ZW5hbnRfaWQiOiJhMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMGEiLCJleHAiOjQxMDI0NDQ4MDB9.AAAA';
		SELECT tracker.current_tenant();});
	like($err, qr/ERROR:  .*(signature|key)/, '... and a forged token set directly on it is refused, not a context')
	  or diag("stdout: $out");
}

# Citus writes a reference table on every node in one two-phase commit
# (PREPARE TRANSACTION on each): an operator's change to what contexts are
# made of may be prepared, so the revocation list can be a reference table
# and a revocation reaches every node's placement
$coordinator->safe_psql('postgres', q{
	SET citus.enable_unsafe_triggers = on;
	SELECT create_reference_table('tracker.revoked_tokens');});
my ($rc, $out, $err) = $coordinator->psql('postgres', q{SELECT tracker.revoke_token('citus-jti-1', NULL)});
is($rc, 0, 'an operator revokes a token in the reference table, through two-phase commit') or diag($err);
my $placement = $coordinator->safe_psql('postgres', q{
	SELECT shard_name('tracker.revoked_tokens'::regclass, shardid) FROM pg_dist_shard
	WHERE logicalrelid = 'tracker.revoked_tokens'::regclass});
for my $w (@workers)
{
	is($w->safe_psql('postgres', "SELECT count(*) FROM $placement WHERE jti = 'citus-jti-1'"),
		'1', '... and it is in the placement of worker ' . $w->name);
}
is($coordinator->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts'), '0',
	'... with no prepared transaction left behind');

done_testing();
