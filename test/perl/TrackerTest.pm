# TrackerTest: helpers shared by the TAP tests of test/t.
#
# Tokens come from test/mint.py, which is independent of the extension.
# Users act through the login role regress_app under the context of a
# token kept in the table toks (tokens never appear in query text).

package TrackerTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(tracker_node mint as_user try_as_user);

# tracker_node(NAME[, INIT OPTIONS]): a new, initialised test server that loads tracker at
# start, the documented way to run it (docs/operations.md)
sub tracker_node
{
	my ($name, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%init);
	$node->append_conf('postgresql.conf', "shared_preload_libraries = 'tracker'\n");
	return $node;
}

# mint(claims => JSON, [alg => ALG], [key => FILE], [kid => KID],
#	   [exp => SECONDS]): a token
sub mint
{
	my (%opt) = @_;
	my @cmd = (
		'/usr/bin/python3', 'test/mint.py',
		$opt{alg} // 'HS256', $opt{key} // 'test/keys/test-only-hs256.secret',
		'--kid', $opt{kid} // 'k1', '--claims', $opt{claims});
	push @cmd, '--exp', $opt{exp} if defined $opt{exp};
	my ($token, $stderr) = run_command(\@cmd);
	die "test/mint.py failed: $stderr"
	  unless $token =~ /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
	return $token;
}

# as_user(NODE, DB, NAME, SQL): SQL run by regress_app under the context of
# the token named NAME in table toks; dies on any error.
sub as_user
{
	my ($node, $dbname, $name, $sql) = @_;
	return $node->safe_psql(
		$dbname, qq{
SET ROLE regress_app;
SELECT tracker.authenticate(tok) IS NOT NULL AS authenticated FROM toks WHERE name = '$name' \\gset
$sql});
}

# try_as_user(NODE, DB, NAME, SQL): the same, but returns the error (or
# "ok") instead of dying, for what must be refused.
sub try_as_user
{
	my ($node, $dbname, $name, $sql) = @_;
	my ($stdout, $stderr);
	my $ret = $node->psql(
		$dbname, qq{
SET ROLE regress_app;
SELECT tracker.authenticate(tok) IS NOT NULL AS authenticated FROM toks WHERE name = '$name' \\gset
$sql},
		stdout => \$stdout,
		stderr => \$stderr,
		on_error_stop => 1);
	return 'ok' if $ret == 0;
	return $stderr =~ /ERROR:  ([^\n]*)/ ? $1 : "failed: $stderr";
}

1;
