# API calls under concurrency, restarts and crashes.
#
# Four sessions of one tenant authenticate as fast as they can against a
# monthly quota: exactly the quota gets through, however they interleave,
# and exactly that many calls are written to tracker.api_usage.  A clean
# restart loses no call.  A crash (a backend killed with SIGKILL, after
# which the postmaster reinitialises shared memory) loses at most the calls
# not yet written, and never counts one twice.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my $tenant = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
my $node = tracker_node('usage');
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;
my $secret = slurp_file('test/keys/test-only-hs256.secret');
$node->safe_psql('postgres', qq{
CREATE EXTENSION tracker;
SET log_statement = 'none';
SELECT tracker.add_key('k1', 'HS256', '$secret');
RESET log_statement;
SELECT tracker.create_tenant('metered', 'Metered', 'standard', tenant_id => '$tenant');
SELECT tracker.add_user('$tenant', 'mia', 'mia\@metered.example');
SELECT tracker.set_tenant_limit('$tenant', 'request_burst', NULL);
SELECT tracker.set_tenant_limit('$tenant', 'requests_per_second', NULL);
SELECT tracker.set_tenant_limit('$tenant', 'api_calls_per_month', 600);
-- one token per request (a token counts once per transaction)
CREATE TABLE toks (n int PRIMARY KEY, tok text NOT NULL);
INSERT INTO toks
SELECT n, tracker.sign_token(jsonb_build_object('sub', 'mia', 'tenant_id', '$tenant', 'n', n), 'k1')
FROM generate_series(1, 2000) n;
-- each call in a transaction of its own; returns the calls that got through
CREATE PROCEDURE calls(first int, last int, INOUT ok int DEFAULT 0, INOUT refused int DEFAULT 0)
LANGUAGE plpgsql AS \$\$
DECLARE
	t text;
BEGIN
	FOR i IN first .. last LOOP
		SELECT tok INTO t FROM toks WHERE n = i;
		BEGIN
			PERFORM tracker.authenticate(t, true);
			ok := ok + 1;
		EXCEPTION WHEN sqlstate 'PT429' THEN
			refused := refused + 1;
		END;
		COMMIT;
	END LOOP;
END
\$\$;});

# Calls written to tracker.api_usage, once the writer has nothing left
sub written
{
	$node->poll_query_until('postgres', qq{
SELECT unwritten_today + unwritten_before = 0 FROM tracker._usage_live('$tenant')})
	  or die 'the usage writer did not catch up';
	return $node->safe_psql('postgres',
		"SELECT coalesce(sum(calls), 0) FROM tracker.api_usage WHERE tenant_id = '$tenant'");
}

sub month_calls
{
	return $node->safe_psql('postgres',
		"SELECT api_calls_this_month FROM tracker.tenant_usage('$tenant')");
}

# 1. Four sessions at once, 1,200 calls against a quota of 600
my @runs;
for my $s (0 .. 3)
{
	my ($out, $err) = ('', '');
	my $first = $s * 300 + 1;
	my $last = $first + 299;
	my $h = IPC::Run::start(
		[
			'psql', '-XAtq', '-d', $node->connstr('postgres'),
			'-c', "CALL calls($first, $last)"
		],
		'>', \$out, '2>', \$err);
	push @runs, [ $h, \$out, \$err ];
}
my ($ok, $refused) = (0, 0);
for my $r (@runs)
{
	$r->[0]->finish;
	my ($o, $f) = split /\|/, ${ $r->[1] };
	$ok += $o // 0;
	$refused += $f // 0;
	is(${ $r->[2] }, '', 'a session ran its calls without other errors');
}
is($ok, 600, 'exactly the quota got through, from four sessions at once');
is($refused, 600, 'and the rest were refused with PT429');
is(month_calls(), '600', 'the month counts 600');
is(written(), '600', 'and 600 were written to tracker.api_usage, none twice');

# 2. A clean restart loses nothing, and the quota still holds after it
$node->safe_psql('postgres', "SELECT tracker.set_tenant_limit('$tenant', 'api_calls_per_month', 700)");
is($node->safe_psql('postgres', 'CALL calls(1201, 1250)'), '50|0', '50 more calls');
$node->restart;
is(month_calls(), '650', 'after a clean restart the month still counts 650');
is(written(), '650', 'all written, at shutdown if not before');
is($node->safe_psql('postgres', 'CALL calls(1251, 1350)'), '50|50',
	'after the restart the quota lets through only what is left of it');

# 3. A crash: the calls already written survive; those not yet written may
# be lost, never doubled
$node->safe_psql('postgres', "SELECT tracker.set_tenant_limit('$tenant', 'api_calls_per_month', NULL)");
is($node->safe_psql('postgres', 'CALL calls(1351, 1450)'), '100|0', '100 calls');
my $before_crash = written();
is($before_crash, '800', 'written: 800');
is($node->safe_psql('postgres', 'CALL calls(1451, 1470)'), '20|0', '20 more, perhaps not yet written');
my $victim = $node->background_psql('postgres');
my $pid = $victim->query_safe('SELECT pg_backend_pid()');
kill 'KILL', $pid;
$victim->quit;
$node->poll_query_until('postgres', 'SELECT 1', '1')
  or die 'the server did not come back after the crash';
like($node->safe_psql('postgres', 'SELECT 1'), qr/^1$/, 'the server restarted after the crash');
my $after = month_calls();
ok($after >= 800 && $after <= 820,
	"after the crash the month counts $after: every written call, at most the 20 made since");
is(written(), $after, 'and the table says the same');

$node->stop;
done_testing();
