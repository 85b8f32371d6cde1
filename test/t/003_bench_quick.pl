# test/t/003_bench_quick.pl: the benchmark harness, on a tiny data set.
#
# The benchmarks are not timed tests; this only keeps them from rotting:
# the generator loads, the three variants of the list workloads return the
# same rows for the same actor (so the comparison is fair), every workload
# script runs without error in every variant, and the runner produces its
# report.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my $node = tracker_node('bench');
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE bench');
$node->safe_psql('bench', 'CREATE EXTENSION tracker');

my ($tenants, $issues, $comments) = (20, 2000, 4000);
my ($rc, $out, $err) = $node->psql('bench', undef,
	extra_params => [ '-v', "tenants=$tenants", '-v', "issues=$issues",
		'-v', "comments=$comments", '-f', 'test/bench/tenancy/generate.sql' ]);
is($rc, 0, 'the generator loads the data set') or diag($err);
is($node->safe_psql('bench', 'SELECT count(*) FROM bench.tenants'), $tenants, 'all tenants are there');
is($node->safe_psql('bench',
	"SELECT (SELECT count(*) FROM tracker_pool.issues) = (SELECT count(*) FROM bench_base.issues)
	    AND (SELECT count(*) FROM bench_base.issues) = (SELECT count(*) FROM bench_common.issues)"),
	't', 'the three variants hold the same issues');

# The same actor must see the same list in each variant.
my %query = (
	tracker => "SELECT tracker.authenticate(token) IS NOT NULL FROM bench.actors WHERE n = %d;
	            SELECT string_agg(key, ',' ORDER BY created_at DESC) FROM (SELECT key, created_at FROM tracker_pool.issues
	            WHERE status = 'open' ORDER BY created_at DESC LIMIT 50) s",
	baseline => "SELECT string_agg(key, ',' ORDER BY created_at DESC) FROM (SELECT i.key, i.created_at
	            FROM bench_base.issues i, bench.actors a WHERE a.n = %d AND i.tenant_id = a.tenant_id
	            AND i.status = 'open' AND (a.role <> 'user' OR i.reporter_id = a.user_id OR i.assignee_id = a.user_id
	            OR i.team_id = ANY (coalesce(a.teams, '{}')::uuid[]))
	            ORDER BY i.created_at DESC LIMIT 50) s",
	common => "SELECT set_config('app.tenant_id', tenant_id::text, false), set_config('app.user_id', user_id::text, false),
	            set_config('app.role', role, false), set_config('app.teams', coalesce(teams, '{}'), false)
	            FROM bench.actors WHERE n = %d;
	            SELECT string_agg(key, ',' ORDER BY created_at DESC) FROM (SELECT key, created_at FROM bench_common.issues
	            WHERE status = 'open' ORDER BY created_at DESC LIMIT 50) s");
my $mismatches = 0;
for my $n (1, 2, 3, $tenants, $tenants + 1, $tenants + 2, $tenants + 5, 2 * $tenants)
{
	my %seen;
	for my $v (sort keys %query)
	{
		my $q = sprintf($query{$v}, $n);
		my $res = $node->safe_psql('bench', "SET ROLE bench_app;\n$q");
		my @lines = split /\n/, $res;
		$seen{$v} = $lines[-1] // '';
	}
	$mismatches++ if $seen{tracker} ne $seen{baseline} || $seen{tracker} ne $seen{common};
	$mismatches++ if $seen{tracker} eq '' && $n <= $tenants;
}
is($mismatches, 0, 'tracker, baseline and common pattern list the same issues for the same actor');

# Workload 3 as each variant writes it: tracker and the common pattern leave
# the tenant to their policies, the baseline names it, also in the join.
my %issue_query = (
	tracker => "SELECT tracker.authenticate(token) IS NOT NULL FROM bench.actors WHERE n = %d;
	            SELECT string_agg(i.key || ':' || coalesce(c.id::text, '-'), ',' ORDER BY c.created_at, c.id)
	            FROM tracker_pool.issues i LEFT JOIN tracker_pool.comments c ON c.issue_id = i.id
	            WHERE i.number = %d",
	baseline => "SELECT string_agg(i.key || ':' || coalesce(c.id::text, '-'), ',' ORDER BY c.created_at, c.id)
	            FROM bench.actors a, bench_base.issues i
	            LEFT JOIN bench_base.comments c ON c.tenant_id = i.tenant_id AND c.issue_id = i.id
	            WHERE a.n = %d AND i.tenant_id = a.tenant_id AND i.number = %d",
	common => "SELECT set_config('app.tenant_id', tenant_id::text, false), set_config('app.user_id', user_id::text, false),
	            set_config('app.role', role, false), set_config('app.teams', coalesce(teams, '{}'), false)
	            FROM bench.actors WHERE n = %d;
	            SELECT string_agg(i.key || ':' || coalesce(c.id::text, '-'), ',' ORDER BY c.created_at, c.id)
	            FROM bench_common.issues i LEFT JOIN bench_common.comments c ON c.issue_id = i.id
	            WHERE i.number = %d");
$mismatches = 0;
for my $n (1, 2, 3, $tenants)
{
	for my $number (1, 2, 5)
	{
		my %seen;
		for my $v (sort keys %issue_query)
		{
			my $res = $node->safe_psql('bench', "SET ROLE bench_app;\n" . sprintf($issue_query{$v}, $n, $number));
			my @lines = split /\n/, $res;
			$seen{$v} = $lines[-1] // '';
		}
		$mismatches++ if $seen{tracker} ne $seen{baseline} || $seen{tracker} ne $seen{common};
		$mismatches++ if $seen{tracker} eq '';
	}
}
is($mismatches, 0, 'the three variants of workload 3 return the same issue and comments');

# Every script runs, in every variant.
for my $w (1 .. 6)
{
	for my $v (qw(tracker baseline common))
	{
		$node->command_ok(
			[ 'pgbench', '-n', '-M', 'prepared', '-U', 'bench_app', '-t', '20', '-c', '2',
			  '-D', "tenants=$tenants", '-D', 'first=1', '-f', "test/bench/tenancy/workloads/w$w.$v.sql", 'bench' ],
			"workload $w runs as $v");
	}
}

# And the breakdown's scripts, for one actor.
for my $script (glob 'test/bench/tenancy/breakdown/*.sql')
{
	$node->command_ok(
		[ 'pgbench', '-n', '-M', 'prepared', '-U', 'bench_app', '-t', '20', '-c', '1',
		  '-D', 'tenants=1', '-D', 'first=1', '-f', $script, 'bench' ],
		"breakdown script $script runs");
}

# The runner itself, on the same cluster.
{
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = getpwuid($<) // 'postgres';
	my $report = $PostgreSQL::Test::Utils::tmp_check . '/bench-report.md';
	$node->safe_psql('postgres', 'CREATE DATABASE bench_runner');
	$node->command_ok(
		[ 'bash', 'test/bench/tenancy.sh', '--quick', '--seconds', '1', '--breakdown',
		  '--use-cluster', 'bench_runner', '--report', $report ],
		'the runner completes');
	my $text = slurp_file($report);
	like($text, qr/\| 6\. PostgREST request[^\n]*\| tracker \|/, 'the report has every workload');
	like($text, qr/\| workload 5, whole transaction \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|/,
		'the report has the breakdown');
}

# The traffic runner (the headline figures): every workload, both variants
# and every size class in one run, with tokens replaced during it.
{
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = getpwuid($<) // 'postgres';
	my $report = $PostgreSQL::Test::Utils::tmp_check . '/traffic-report.md';
	$node->safe_psql('postgres', 'CREATE DATABASE bench_traffic');
	$node->command_ok(
		[ 'bash', 'test/bench/traffic.sh', '--quick', '--seconds', '4', '--token-life', '2',
		  '--use-cluster', 'bench_traffic', '--report', $report ],
		'the traffic runner completes');
	my $text = slurp_file($report);
	my $rows = () = $text =~ /^\| [1-6]\. [^|]+ \| (?:all|small|median|largest) \| [0-9]+ \/ [0-9]+ \/ [0-9]+ \| [0-9]+ \/ [0-9]+ \/ [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$/mg;
	is($rows, 24, 'its report has every workload for every class, with figures');
	like($text, qr/token no backend had seen: about [0-9.]+%/, 'and the share of new tokens');
	is( $node->safe_psql('bench_traffic',
			"SELECT count(DISTINCT class || grp) FROM bench.draw"),
		'8', 'every class has admins and plain users to draw from');

	# plans.sh, on the data set the traffic runner left
	my ($out, $err) = run_command(
		[ 'bash', 'test/bench/plans.sh', '--seconds', '2', '--use-cluster', 'bench_traffic', '--reuse' ]);
	$rows = () = $out =~ /^\| [1-6]\. [^|]+ \| (?:largest|small) \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$/mg;
	is($rows, 12, 'plans.sh measures every statement for both tenants') or diag($err);

	# http.sh, on a data set of its own (the traffic runs wrote issues into
	# tracker's tables and the baseline's, not the common pattern's): the
	# PostgREST request with both pre-requests, after checking that both see
	# the same open issues of one actor
	$node->safe_psql('postgres', 'CREATE DATABASE bench_http');
	($out, $err) = run_command(
		[ 'bash', 'test/bench/http.sh', '--quick', '--seconds', '3', '--use-cluster', 'bench_http' ]);
	$rows = () = $out =~ /^\| (?:tracker|common) \| [0-9]+ \| [0-9]+ \/ [0-9]+ \/ [0-9]+ \| [0-9]+ \|$/mg;
	is($rows, 2, 'http.sh replays the PostgREST request with both pre-requests') or diag($err);
	like($out, qr/Throughput ratio[^\n]*\*\*[0-9.]+\*\*/, 'and reports the ratio');
}

$node->stop;
done_testing();
