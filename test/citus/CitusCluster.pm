# CitusCluster: a Citus cluster of TAP nodes for the Citus suite (test/citus).
#
# citus_installed(): whether the local PostgreSQL has Citus (its library and
# control file); the suite skips itself when it has not.
# citus_cluster(NAME, WORKERS): a started coordinator, in the metadata, and
# WORKERS started workers added to it, each with citus and tracker preloaded
# (Citus first, as it requires), logical WAL (shard moves) and connections
# between nodes, and of a node to itself (shard splits), over the nodes'
# Unix sockets without SSL.

package CitusCluster;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(citus_installed citus_cluster);

sub citus_installed
{
	my ($libdir) = run_command([ 'pg_config', '--pkglibdir' ]);
	my ($sharedir) = run_command([ 'pg_config', '--sharedir' ]);
	chomp($libdir, $sharedir);
	return -f "$libdir/citus.so" && -f "$sharedir/extension/citus.control";
}

sub citus_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'citus, tracker'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
max_connections = 100
citus.node_conninfo = 'sslmode=disable'
citus.local_hostname = '@{[ $node->host ]}'
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
	return $node;
}

sub citus_cluster
{
	my ($name, $nworkers) = @_;
	my $coordinator = citus_node("${name}_coordinator");
	$coordinator->safe_psql('postgres',
		sprintf(q{SELECT citus_set_coordinator_host('%s', %d)}, $coordinator->host, $coordinator->port));
	my @workers;
	for my $i (1 .. $nworkers)
	{
		my $w = citus_node("${name}_worker$i");
		$coordinator->safe_psql('postgres',
			sprintf(q{SELECT citus_add_node('%s', %d)}, $w->host, $w->port));
		push @workers, $w;
	}
	return ($coordinator, @workers);
}

1;
