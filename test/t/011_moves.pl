# Moves between the pool and a silo, crashed at several points.
#
# tracker.change_tier() moves a tenant in one transaction.  The server is
# crashed (the moving backend killed with SIGKILL, so that the postmaster
# reinitialises everything) while the move waits for the tenant's writers,
# after it has copied every row but before it has removed them, and after it
# has done everything but commit.  After each restart the tenant is whole in
# exactly one place, its old one, with no row lost or doubled, and no silo
# left behind; running change_tier again finishes the move.  A move that
# committed survives a crash.  While the tenant moves, another tenant's
# reads and writes go on.  pg_dump -n of the silo a move made restores into
# a fresh database as a complete copy; and the offboarding round trip,
# export, delete and import into a fresh database, keeps every row.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my $big = 'b1000000-0000-4000-8000-00000000000b';
my $other = '01000000-0000-4000-8000-00000000000e';
my $node = tracker_node('moves');
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;
my $secret = slurp_file('test/keys/test-only-hs256.secret');
$node->safe_psql('postgres', qq{
CREATE EXTENSION tracker;
SET log_statement = 'none';
SELECT tracker.add_key('k1', 'HS256', '$secret');
RESET log_statement;
SELECT tracker.create_tenant('big', 'Big', 'premium', tenant_id => '$big');
SELECT tracker.create_tenant('other', 'Other', 'basic', tenant_id => '$other');
SELECT tracker.add_user('$big', 'bea', 'bea\@big.example', 'super_admin');
SELECT tracker.add_user('$other', 'oli', 'oli\@other.example', 'super_admin');
SELECT tracker.set_tenant_limit(t.id, l, NULL)
FROM tracker.tenants t, unnest('{request_burst, requests_per_second, api_calls_per_month}'::text[]) l;
CREATE ROLE regress_app LOGIN IN ROLE tracker_user;
CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
GRANT SELECT ON toks TO regress_app;});
$node->safe_psql('postgres', "INSERT INTO toks VALUES ('bea', '"
	  . mint(claims => qq({"sub":"bea","tenant_id":"$big"}))
	  . "'), ('oli', '" . mint(claims => qq({"sub":"oli","tenant_id":"$other"})) . "')");
as_user($node, 'postgres', 'bea', q{
SELECT tracker.create_team('Team', '') IS NOT NULL;
INSERT INTO issues (title, team_id) SELECT 'big ' || n, (SELECT id FROM teams) FROM generate_series(1, 3000) n;
INSERT INTO comments (issue_id, content) SELECT id, 'on ' || title FROM issues;});
as_user($node, 'postgres', 'oli', q{INSERT INTO issues (title) VALUES ('other 1'), ('other 2');});

# Every row of a tenant, wherever its registry row says it is
my $digest_sql = q{
SELECT string_agg(e || '=' || d, ' ' ORDER BY e)
FROM unnest('{users, teams, team_members, issues, comments, issue_counters}'::text[]) e,
	 LATERAL (SELECT (xpath('/row/d/text()', query_to_xml(format(
		'SELECT count(*) || '':'' || md5(coalesce(string_agg(r::text, ''|'' ORDER BY r::text COLLATE "C"), '''')) AS d '
		'FROM %I.%I r WHERE r.tenant_id = %L', t.data_schema, e, t.id), false, true, '')))[1]::text AS d
			  FROM tracker.tenants t WHERE t.slug = '%s') x};
sub digest
{
	my ($slug, $db) = @_;
	return $node->safe_psql($db // 'postgres', sprintf($digest_sql, $slug));
}
sub where_is
{
	return $node->safe_psql('postgres', q{
SELECT t.data_schema || ' ' || (SELECT count(*) FROM tracker_pool.issues i WHERE i.tenant_id = t.id)
	|| ' ' || (SELECT count(*) FROM tracker.data_schemas) || ' '
	|| (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'silo\_%')
FROM tracker.tenants t WHERE t.slug = 'big'});
}
my $big_rows = digest('big');
my $other_rows = digest('other');
like($big_rows, qr/issues=3000:/, 'big has 3000 issues');
is(where_is(), 'tracker_pool 3000 1 0', 'in the pool, no silo');

# Kill the backend of a background session and wait for the server to
# come back from the crash
sub crash
{
	my ($session) = @_;
	kill 'KILL', $session->{pid_of_backend};
	eval { $session->quit; };
	$node->poll_query_until('postgres', 'SELECT 1', '1')
	  or die 'the server did not come back after the crash';
	return;
}

sub mover
{
	my $s = $node->background_psql('postgres', on_error_stop => 0);
	$s->{pid_of_backend} = $s->query_safe('SELECT pg_backend_pid()');
	return $s;
}

# Wait until the backend with this pid waits for a lock
sub wait_for_lock_wait
{
	my ($pid) = @_;
	$node->poll_query_until('postgres',
		"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $pid")
	  or die "backend $pid never waited for a lock";
	return;
}

#
# 1. Crash while the move waits for the tenant's writers
#
my $writer = $node->background_psql('postgres');
$writer->query_safe(q{SET ROLE regress_app});
$writer->query_safe(q{BEGIN});
$writer->query_safe(q{SELECT tracker.authenticate(tok, true) FROM toks WHERE name = 'bea'});
$writer->query_safe(q{INSERT INTO issues (title) VALUES ('written before the move')});
my $m = mover();
$m->query_until(qr/started/, qq{\\echo started\nSELECT tracker.change_tier('$big', 'platinum');\n});
wait_for_lock_wait($m->{pid_of_backend});
is( $node->safe_psql('postgres', q{
SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%change_tier%'}),
	'1', 'the move waits for the tenant\'s writing transaction');
# another tenant is not held up meanwhile
is( as_user($node, 'postgres', 'oli', q{
SET lock_timeout = '2s';
INSERT INTO issues (title) VALUES ('other, during the move') RETURNING key;
SELECT count(*) FROM issues;}),
	"OTHE-3\n3", 'another pooled tenant reads and writes while the move waits');
crash($m);
eval { $writer->quit; };
is(digest('big'), $big_rows, 'after a crash while waiting: big is whole, unchanged');
is(where_is(), 'tracker_pool 3000 1 0', '... in the pool only, with no silo');
$other_rows = digest('other');

#
# 2. Crash after the copy, before the rows leave the pool: a superuser's
# SHARE lock on the pool's comments stops the move at its first DELETE
#
my $blocker = $node->background_psql('postgres');
$blocker->query_safe('BEGIN');
$blocker->query_safe('LOCK TABLE tracker_pool.comments IN SHARE MODE');
$m = mover();
$m->query_until(qr/started/, qq{\\echo started\nSELECT tracker.change_tier('$big', 'platinum');\n});
wait_for_lock_wait($m->{pid_of_backend});
like( $node->safe_psql('postgres', q{
SELECT string_agg(c.relname, ',') FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = } . $m->{pid_of_backend} . q{ AND NOT l.granted}),
	qr/^comments$/, 'the move has copied every row and waits to remove them from the pool');
crash($m);
eval { $blocker->quit; };
is(digest('big'), $big_rows, 'after a crash between the copy and the removal: big is whole, unchanged');
is(where_is(), 'tracker_pool 3000 1 0', '... in the pool only; the half-made silo is gone with the transaction');

#
# 3. Crash after everything but the commit
#
$m = mover();
$m->query_safe('BEGIN');
like($m->query_safe(qq{SELECT tracker.change_tier('$big', 'platinum')}), qr/^silo_/, 'the move is done, not committed');
crash($m);
is(digest('big'), $big_rows, 'after a crash before the commit: big is whole, unchanged');
is(where_is(), 'tracker_pool 3000 1 0', '... in the pool only');

#
# 4. Run again, the move finishes; committed, it survives a crash
#
like($node->safe_psql('postgres', qq{SELECT tracker.change_tier('$big', 'platinum')}), qr/^silo_/,
	'change_tier run again moves big into a silo');
is(digest('big'), $big_rows, 'every row of big is there, unchanged (ids, numbers, keys)');
like(where_is(), qr/^silo_[0-9a-f]{12} 0 2 1$/, 'in its silo only');
$m = mover();
crash($m);
like(where_is(), qr/^silo_[0-9a-f]{12} 0 2 1$/, 'after a crash the committed move stands');
is(digest('big'), $big_rows, '... with every row');
is(digest('other'), $other_rows, 'the other tenant\'s rows were never touched');
like(as_user($node, 'postgres', 'bea', q{INSERT INTO issues (title) VALUES ('in the silo') RETURNING key;}),
	qr/^BIG-3001$/, 'big writes in its silo, numbering on');

# pg_dump -n of the new silo restores into a fresh database with tracker as
# a complete copy of the tenant's rows
my $silo = $node->safe_psql('postgres', q{SELECT data_schema FROM tracker.tenants WHERE slug = 'big'});
my $silo_dump = $node->basedir . '/silo.sql';
command_ok([ $node->installed_command('pg_dump'), '-n', $silo, '-f', $silo_dump, '-d', $node->connstr('postgres') ],
	"pg_dump -n $silo");
# the dump holds the silo; the tenant's registry rows go first (docs/tenancy.md)
my $registry = $node->safe_psql('postgres', qq{
SELECT format('INSERT INTO tracker.tenants SELECT * FROM jsonb_populate_record(NULL::tracker.tenants, %L);', to_jsonb(t))
FROM tracker.tenants t WHERE t.slug = 'big'
UNION ALL
SELECT format('INSERT INTO tracker.data_schemas SELECT * FROM jsonb_populate_record(NULL::tracker.data_schemas, %L);', to_jsonb(d))
FROM tracker.data_schemas d WHERE d.schema_name = '$silo'});
$node->safe_psql('postgres', 'CREATE DATABASE from_dump');
$node->safe_psql('from_dump', 'CREATE EXTENSION tracker');
$node->safe_psql('from_dump', $registry);
command_ok([ $node->installed_command('psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $silo_dump,
		'-d', $node->connstr('from_dump') ],
	'the silo\'s dump restores into a fresh database');
my $silo_rows_sql = qq{
SELECT string_agg(c.relname || '=' || (xpath('/row/d/text()', query_to_xml(format(
	'SELECT count(*) || '':'' || md5(coalesce(string_agg(r::text, ''|'' ORDER BY r::text COLLATE "C"), '''')) AS d FROM %I.%I r',
	'$silo', c.relname), false, true, '')))[1]::text, ' ' ORDER BY c.relname)
FROM pg_class c WHERE c.relnamespace = '$silo'::regnamespace AND c.relkind = 'r'};
is($node->safe_psql('from_dump', $silo_rows_sql), $node->safe_psql('postgres', $silo_rows_sql),
	'... with every row of every table of the silo');
is( $node->safe_psql('from_dump', qq{
SELECT count(*) FILTER (WHERE relrowsecurity AND relforcerowsecurity) || '/' || count(*) || ' '
	|| (SELECT count(*) FROM pg_policy p JOIN pg_class pc ON pc.oid = p.polrelid WHERE pc.relnamespace = '$silo'::regnamespace)
FROM pg_class WHERE relnamespace = '$silo'::regnamespace AND relkind = 'r'}),
	$node->safe_psql('postgres', qq{
SELECT count(*) FILTER (WHERE relrowsecurity AND relforcerowsecurity) || '/' || count(*) || ' '
	|| (SELECT count(*) FROM pg_policy p JOIN pg_class pc ON pc.oid = p.polrelid WHERE pc.relnamespace = '$silo'::regnamespace)
FROM pg_class WHERE relnamespace = '$silo'::regnamespace AND relkind = 'r'}),
	'... with row security forced on every table, and the same policies');

#
# 5. And back to the pool
#
is($node->safe_psql('postgres', qq{SELECT tracker.change_tier('$big', 'premium')}), 'tracker_pool',
	'back to a pooled tier, back to the pool');
is(where_is(), 'tracker_pool 3001 1 0', 'the silo is dropped');
$big_rows = digest('big');

#
# 6. Offboarding round trip: export, delete, import into a fresh database,
# every row compared
#
$node->safe_psql('postgres', qq{SELECT tracker.set_tenant_status('$big', 'suspended')});
my @lines = split /\n/, $node->safe_psql('postgres', qq{SELECT tracker.export_tenant('$big')});
like($lines[0], qr/"format": "tracker-tenant-export"/, 'the export starts with its header');
is(scalar(grep { /"table": "issues"/ } @lines), 3001, '... and has a line for every issue');
$node->safe_psql('postgres', qq{SELECT tracker.delete_tenant('$big')});
is( $node->safe_psql('postgres', qq{
SELECT status || ' ' || (SELECT count(*) FROM tracker_pool.issues WHERE tenant_id = '$big')
FROM tracker.tenants WHERE id = '$big'}),
	'deleted 0', 'deleted: a tombstone and no rows');
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION tracker');
$node->safe_psql('fresh',
	'SELECT tracker.import_tenant(ARRAY[' . join(',', map { '$l$' . $_ . '$l$' } @lines) . ']::jsonb[])');
is(digest('big', 'fresh'), $big_rows, 'imported into a fresh database: every row as it was exported');
is( $node->safe_psql('fresh', qq{SELECT tier || ' ' || status || ' ' || key_prefix FROM tracker.tenants WHERE id = '$big'}),
	'premium suspended BIG', '... in the registry as it was: tier, status, key prefix');

$node->stop;
done_testing();
