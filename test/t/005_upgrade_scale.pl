# The upgrade of a database with 200 silos and a pool, timed.  The update
# itself touches only the extension's objects; the background worker then
# upgrades the data schemas one transaction each.  The figures (printed,
# not judged) are how long the update and the whole upgrade take, how long
# each schema's transaction holds its tables, and the slowest answer a
# tenant got while it ran.  What is judged: every schema reaches the
# current version and keeps every row.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;
use Time::HiRes qw(time);

my $silos = 200;
my $node = tracker_node('upgrade_scale');
$node->append_conf('postgresql.conf', "fsync = off\nsynchronous_commit = off\n");
$node->start;
my $secret = slurp_file('test/keys/test-only-hs256.secret');

# A pooled tenant and the silos, each with a user, 3 issues and 2 comments,
# written under each tenant's own context; 25 tenants a transaction (every
# one of them takes a few dozen locks)
$node->safe_psql('postgres', qq{
CREATE EXTENSION tracker VERSION '1.0';
SET log_statement = 'none';
SELECT tracker.add_key('k1', 'HS256', '$secret');});
for (my $first = 0; $first <= $silos; $first += 25)
{
	my $last = $first + 24 > $silos ? $silos : $first + 24;
	$node->safe_psql('postgres', qq{
DO \$\$
DECLARE
	t uuid;
	s name;
BEGIN
	FOR i IN $first .. $last LOOP
		t := tracker.create_tenant(CASE i WHEN 0 THEN 'pooled' ELSE 'silo-' || i END,
								   'Tenant ' || i, CASE i WHEN 0 THEN 'basic' ELSE 'platinum' END);
		PERFORM tracker.add_user(t, 'owner', 'owner\@t' || i || '.example', 'admin');
		s := (SELECT data_schema FROM tracker.tenants WHERE id = t);
		PERFORM tracker.authenticate(tracker.sign_token(
			jsonb_build_object('sub', 'owner', 'tenant_id', t), 'k1'), true);
		EXECUTE format('INSERT INTO %I.issues (title) SELECT ''issue '' || n FROM generate_series(1, 3) n', s);
		EXECUTE format('INSERT INTO %I.comments (issue_id, content) SELECT id, ''a comment'' FROM %I.issues WHERE tenant_id = \$1 AND number <= 2', s, s) USING t;
	END LOOP;
END
\$\$;});
}

my $count_sql = q{
SELECT string_agg(format('%s:%s', schema_name,
	(xpath('/row/n/text()', query_to_xml(format(
		'SELECT (SELECT count(*) FROM %1$I.issues) || ''/'' || (SELECT count(*) FROM %1$I.comments) || ''/'' || (SELECT count(*) FROM %1$I.users) AS n',
		schema_name), false, true, '')))[1]), ',' ORDER BY schema_name)
FROM (SELECT DISTINCT data_schema AS schema_name FROM tracker.tenants) s};
my $counts = $node->safe_psql('postgres', $count_sql);
is(scalar(() = $counts =~ /:3\/2\/1/g), $silos + 1, "$silos silos and the pool, each with its rows");

# a tenant of a silo in the middle keeps asking while the upgrade runs
my $probe = $node->background_psql('postgres');
my $probe_tenant = $node->safe_psql('postgres', "SELECT id FROM tracker.tenants WHERE slug = 'silo-100'");
$probe->query_safe(qq{
SELECT tracker.authenticate(tracker.sign_token(
	jsonb_build_object('sub', 'owner', 'tenant_id', '$probe_tenant'::uuid), 'k1')) IS NOT NULL});

my $t0 = time;
$node->safe_psql('postgres', 'ALTER EXTENSION tracker UPDATE');
my $update_s = time - $t0;
my ($slowest, $probes) = (0, 0);
my $done;
for (1 .. 3000)
{
	my $p0 = time;
	$probe->query_safe('SELECT count(*) FROM issues');
	my $p = time - $p0;
	$slowest = $p if $p > $slowest;
	$probes++;
	$done = $node->safe_psql('postgres',
		'SELECT bool_and(version = tracker._data_schema_version()) FROM tracker.data_schemas');
	last if $done eq 't';
}
my $total_s = time - $t0;
$probe->quit;
is($done, 't', 'every data schema reaches the current version');
is($node->safe_psql('postgres', $count_sql), $counts, 'every schema keeps every row');
is($node->safe_psql('postgres', 'SELECT count(*) FROM tracker.data_schemas WHERE last_error IS NOT NULL'),
	'0', 'no schema failed');

# each schema's transaction starts (upgraded_at is its now()) when the one
# before ends: the gaps are how long each held its tables
my ($per_max, $per_median) = split /\|/, $node->safe_psql('postgres', q{
SELECT round(max(d), 1), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d)::numeric, 1)
FROM (SELECT 1000 * extract(epoch FROM upgraded_at - lag(upgraded_at) OVER (ORDER BY upgraded_at)) AS d
	  FROM tracker.data_schemas) g WHERE d IS NOT NULL});
diag(sprintf('upgrade of %d silos and the pool: ALTER EXTENSION UPDATE %.2f s; every data schema upgraded %.2f s after it began',
	$silos, $update_s, $total_s));
diag(sprintf('one schema\'s upgrade holds its tables %s ms (median), %s ms at most; slowest of %d answers to a silo tenant during the upgrade: %.1f ms',
	$per_median, $per_max, $probes, 1000 * $slowest));

done_testing();
