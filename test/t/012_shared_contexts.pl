# Verified tokens shared by every backend (src/token_cache.c).
#
# A token verified by one backend is found by the others without a second
# verification, and what the shared entry says is held to the same rules
# as a backend's own cache: a deactivation, a suspension, a revocation or a
# key retirement committed elsewhere reaches it from the next transaction;
# a transaction's uncommitted changes are neither shared nor overridden by
# what is shared; an entry is found only in the database, and under the
# verification rules, it was made in; and a tenant that presents many
# tokens holds at most its share of the cache, so the others' entries stay.
#
# tracker._verifications() counts this backend's full verifications: a
# token found in the shared cache does not count.  The cache is made small
# here (64 entries in sets of 8; a tenant's share is 8) so that a flood
# would fill it.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my $tenant_a = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
my $tenant_b = 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';
my $tenant_x = 'cccccccc-cccc-cccc-cccc-cccccccccccc';
my $secret_file = 'test/keys/test-only-hs256.secret';

my $node = tracker_node('shared_contexts');
$node->append_conf('postgresql.conf', "tracker.shared_context_cache_size = 64\n");
$node->start;

sub setup_database
{
	my ($db) = @_;
	my $secret = slurp_file($secret_file);
	$node->safe_psql($db, 'CREATE EXTENSION tracker');
	# (a test-only secret; still kept out of the server log)
	$node->safe_psql($db,
		"SET log_statement = 'none'; SELECT tracker.add_key('k1', 'HS256', '$secret')");
	$node->safe_psql($db,
		"CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL)");
}

setup_database('postgres');
$node->safe_psql(
	'postgres', qq{
	SELECT tracker.create_tenant('tap-a', 'Tap A', 'basic', tenant_id => '$tenant_a');
	SELECT tracker.create_tenant('tap-b', 'Tap B', 'basic', tenant_id => '$tenant_b');
	SELECT tracker.create_tenant('tap-x', 'Tap X', 'basic', tenant_id => '$tenant_x');
	SELECT tracker.add_user('$tenant_a', 'alice', 'alice\@a.example', 'admin');
	SELECT tracker.add_user('$tenant_b', 'bob', 'bob\@b.example', 'user');
	SELECT tracker.add_user('$tenant_x', 'xavier', 'xavier\@x.example', 'user');
	-- the flood below makes many calls a second
	SELECT tracker.set_tenant_limit(t, l, NULL)
	FROM unnest('{$tenant_a, $tenant_b, $tenant_x}'::uuid[]) t,
		 unnest('{request_burst, requests_per_second, api_calls_per_month}'::text[]) l;});

my %tok = (
	a => mint(claims => qq({"sub":"alice","tenant_id":"$tenant_a"})),
	a2 => mint(claims => qq({"sub":"alice","tenant_id":"$tenant_a","n":2})),
	b => mint(claims => qq({"sub":"bob","tenant_id":"$tenant_b"})),
	b_jti => mint(claims => qq({"sub":"bob","tenant_id":"$tenant_b","jti":"b-1"})),
	carol => mint(claims => qq({"sub":"carol","tenant_id":"$tenant_a"})),
	# expired five minutes ago: accepted only with a leeway of more than that
	late => mint(claims => qq({"sub":"bob","tenant_id":"$tenant_b"}), exp => -300),
	k2 => mint(
		claims => qq({"sub":"bob","tenant_id":"$tenant_b","n":3}),
		kid => 'k2', key => 'test/keys/test-only-hs384.secret'));
$node->safe_psql('postgres',
	'INSERT INTO toks VALUES ' . join(', ', map { "('$_', '$tok{$_}')" } sort keys %tok));
$node->safe_psql(
	'postgres', qq{
	SET log_statement = 'none';
	SELECT tracker.add_key('k2', 'HS256', '} . slurp_file('test/keys/test-only-hs384.secret') . q{');});

# verify(SESSION, NAME): authenticate with token NAME; returns the tenant
# and how many tokens this session has verified in full, or the error
sub verify
{
	my ($name, $session_sql) = @_;
	$session_sql //= '';
	my ($stdout, $stderr);
	$node->psql(
		'postgres', qq{
$session_sql
SELECT tracker.authenticate(tok) IS NOT NULL AS ok FROM toks WHERE name = '$name' \\gset
SELECT tracker.current_tenant() || ' ' || tracker.current_member_role() || ' ' || tracker._verifications();},
		stdout => \$stdout,
		stderr => \$stderr,
		on_error_stop => 1);
	return $stdout if $stdout ne '';
	return $stderr =~ /ERROR:  ([^\n]*)/ ? $1 : "failed: $stderr";
}

#
# Found by the others
#
is(verify('a'), "$tenant_a admin 1", 'the first backend verifies a token');
is(verify('a'), "$tenant_a admin 0", 'another backend finds it, verified');
is(verify('b'), "$tenant_b user 1", 'a second token');
is(verify('b'), "$tenant_b user 0", '... found too');
is( $node->safe_psql(
		'postgres', q{SELECT tracker.authenticate(tok) ->> 'sub' FROM toks WHERE name = 'a'}),
	'alice',
	'the claims come along');

#
# Changes committed elsewhere reach the shared entries
#
my $alice_id = $node->safe_psql('postgres',
	"SELECT id FROM tracker_pool.users WHERE subject = 'alice'");
$node->safe_psql('postgres', "SELECT tracker.set_user_active('$alice_id', false, '$tenant_a')");
like(verify('a'), qr/user "alice" has been deactivated/,
	'a deactivation reaches the shared entry');
$node->safe_psql('postgres', "SELECT tracker.set_user_active('$alice_id', true, '$tenant_a')");
is(verify('a'), "$tenant_a admin 1", 'the reactivated user verifies again, once');
is(verify('a'), "$tenant_a admin 0", '... and is shared again');

$node->safe_psql('postgres', "SELECT tracker.set_tenant_status('$tenant_a', 'suspended')");
like(verify('a'), qr/tenant is suspended/, 'a suspension reaches it');
$node->safe_psql('postgres', "SELECT tracker.set_tenant_status('$tenant_a', 'active')");
is(verify('a'), "$tenant_a admin 1", 'the reactivated tenant verifies again');

is(verify('b_jti'), "$tenant_b user 1", 'a token with a jti');
is(verify('b_jti'), "$tenant_b user 0", '... is shared');
$node->safe_psql('postgres', "SELECT tracker.revoke_token('b-1')");
like(verify('b_jti'), qr/token has been revoked/, 'its revocation reaches the shared entry');

is(verify('k2'), "$tenant_b user 1", 'a token of key k2');
is(verify('k2'), "$tenant_b user 0", '... is shared');
$node->safe_psql('postgres', "SELECT tracker.retire_key('k2')");
like(verify('k2'), qr/key|retired/, 'the retirement of its key reaches the shared entry');

#
# Uncommitted changes are neither shared nor overridden
#
my $s1 = $node->background_psql('postgres', on_error_stop => 0);
$s1->query_safe(
	qq{BEGIN; SELECT tracker.add_user('$tenant_a', 'carol', 'carol\@a.example', 'admin')});
is( $s1->query_safe(
		"SELECT tracker.authenticate(tok) ->> 'sub' FROM toks WHERE name = 'carol'"),
	'carol',
	'a transaction that added a user authenticates her');
$s1->query_safe('ROLLBACK');
like(verify('carol'), qr/user "carol" is not a member of this tenant/,
	'another backend does not take her from the shared cache after the rollback');
# nor does the same backend keep her in its own cache: an insert invalidates
# nothing when it commits, but a rolled-back write makes the caches stale
$s1->query(q{SELECT tracker.authenticate(tok) FROM toks WHERE name = 'carol'});
like($s1->{stderr}, qr/user "carol" is not a member of this tenant/,
	'nor the backend that verified her, after its rollback');
$s1->{stderr} = '';
$s1->query_safe(
	qq{BEGIN; SAVEPOINT s; SELECT tracker.add_user('$tenant_a', 'carol', 'carol\@a.example', 'admin')});
is( $s1->query_safe(
		"SELECT tracker.authenticate(tok) ->> 'sub' FROM toks WHERE name = 'carol'"),
	'carol',
	'a subtransaction that added her authenticates her');
$s1->query_safe('ROLLBACK TO SAVEPOINT s');
$s1->query(q{SELECT tracker.authenticate(tok) FROM toks WHERE name = 'carol'});
like($s1->{stderr}, qr/user "carol" is not a member of this tenant/,
	'after ROLLBACK TO SAVEPOINT, the same transaction refuses her');
$s1->query('ROLLBACK');
$s1->{stderr} = '';

my $bob_id = $node->safe_psql('postgres',
	"SELECT id FROM tracker_pool.users WHERE subject = 'bob'");
# (the key retirement above made every entry stale)
is(verify('b'), "$tenant_b user 1", 'bob verifies again');
is(verify('b'), "$tenant_b user 0", 'bob is in the shared cache');
$s1->query_safe(qq{BEGIN; SELECT tracker.set_user_active('$bob_id', false, '$tenant_b')});
$s1->query(q{SELECT tracker.authenticate(tok) FROM toks WHERE name = 'b'});
like($s1->{stderr}, qr/user "bob" has been deactivated/,
	'a transaction that deactivated a user does not take him from the shared cache');
$s1->query('ROLLBACK');
is(verify('b'), "$tenant_b user 0", 'after its rollback, the shared entry still holds');
$s1->quit;

#
# The user's teams travel with the shared entry, committed ones only
#
$node->safe_psql('postgres',
	qq{SELECT tracker.add_user('$tenant_b', 'bea', 'bea\@b.example', 'admin')});
my $tok_bea = mint(claims => qq({"sub":"bea","tenant_id":"$tenant_b"}));
$node->safe_psql('postgres', "INSERT INTO toks VALUES ('bea', '$tok_bea')");
my $as_bea = q{SELECT tracker.authenticate(tok) IS NOT NULL AS ok FROM toks WHERE name = 'bea' \gset
};
$node->safe_psql('postgres', $as_bea . "SELECT tracker.create_team('t1', '', '$bob_id')");

# bob's teams, by name, as a new backend finds them, and its verifications
sub bob_teams
{
	my ($before) = @_;
	return $node->safe_psql(
		'postgres', ($before // '') . q{
SELECT tracker.authenticate(tok) IS NOT NULL AS ok FROM toks WHERE name = 'b' \gset
SELECT (SELECT string_agg(name, ',' ORDER BY name) FROM tracker_pool.teams
		WHERE id = ANY (tracker.current_teams())) || ' ' || tracker._verifications()});
}

is(bob_teams(), 't1 1', 'a backend verifies bob and reads his team');
is(bob_teams(), 't1 0', 'another finds him, with his team');
$node->safe_psql('postgres', $as_bea . "SELECT tracker.create_team('t2', '', '$bob_id')");
is(bob_teams(), 't1,t2 1', 'a second team reaches the shared entry');
is(bob_teams(), 't1,t2 0', '... and is shared');
my $t2 = $node->safe_psql('postgres', "SELECT id FROM tracker_pool.teams WHERE name = 't2'");
# an entry without its teams yet: bob verified again after a change, by a
# backend that does not ask for his teams
$node->safe_psql('postgres',
	$as_bea . "SELECT tracker.create_team('t3', '', (SELECT id FROM tracker_pool.users WHERE subject = 'bea'))");
like(verify('b'), qr/ 1$/, 'after another change, a backend verifies bob without his teams');
is( (split /\n/, $node->safe_psql(
		'postgres', qq{BEGIN;
$as_bea
SELECT tracker.remove_team_member('$t2', '$bob_id');
SELECT tracker.authenticate(tok) IS NOT NULL AS ok FROM toks WHERE name = 'b' \\gset
SELECT string_agg(name, ',' ORDER BY name) FROM tracker_pool.teams WHERE id = ANY (tracker.current_teams());
ROLLBACK;}))[-1],
	't1',
	'a transaction that took bob out of t2 sees him in t1 only');
is(bob_teams(), 't1,t2 0', 'what it read was not shared');

#
# Only the database and the rules it was verified under
#
$node->safe_psql('postgres', 'CREATE DATABASE other');
setup_database('other');
$node->safe_psql('other', "INSERT INTO toks VALUES ('a', '$tok{a}')");
my ($stdout, $stderr);
$node->psql('other', q{SELECT tracker.authenticate(tok) FROM toks WHERE name = 'a'},
	stdout => \$stdout, stderr => \$stderr);
like($stderr, qr/token tenant is not registered/,
	'a token shared in one database is not found from another');

# a dropped and re-created extension has a key table of its own: a key of
# the same name with another secret must not inherit what the old one
# verified, even when it comes back as a restore with triggers disabled
# (pg_restore --disable-triggers) would bring it.  (Entries are keyed by the
# key table's OID; recreating the tenant invalidates them here as well.)
my $other_setup = qq{
	SELECT tracker.create_tenant('tap-a', 'Tap A', 'basic', tenant_id => '$tenant_a');
	SELECT tracker.add_user('$tenant_a', 'alice', 'alice\@a.example', 'admin');};
$node->safe_psql('other', $other_setup);
my $in_other = q{SELECT tracker.authenticate(tok) IS NOT NULL AS ok FROM toks WHERE name = 'a' \gset
SELECT tracker._verifications()};
is($node->safe_psql('other', $in_other), '1', 'in the other database, the token verifies');
is($node->safe_psql('other', $in_other), '0', '... and is shared there');
$node->safe_psql('other',
	'DROP EXTENSION tracker CASCADE; DROP SCHEMA tracker_pool CASCADE; CREATE EXTENSION tracker');
$node->safe_psql('other',
	"SET log_statement = 'none'; SET session_replication_role = replica;
	 SELECT tracker.add_key('k1', 'HS256', '"
	  . slurp_file('test/keys/test-only-hs384.secret') . "')");
$node->safe_psql('other', $other_setup);
$node->psql('other', $in_other, stdout => \$stdout, stderr => \$stderr);
like($stderr, qr/signature/,
	'after DROP and CREATE EXTENSION, a key k1 with another secret does not accept it');

like(verify('late'), qr/expired/, 'an expired token is refused');
is(verify('late', 'SET tracker.leeway = 600;'),
	"$tenant_b user 1", 'with a leeway of ten minutes, it is accepted');
like(verify('late'), qr/expired/,
	'a session with the default leeway does not take it from the shared cache');

#
# Fair shares: a flood of one tenant's tokens leaves the others' entries
#
$node->safe_psql(
	'postgres', qq{
	INSERT INTO toks
	SELECT 'x' || n, tracker.sign_token(jsonb_build_object('sub', 'xavier', 'tenant_id', '$tenant_x', 'n', n), 'k1')
	FROM generate_series(1, 200) n;});
# (the keys added in the other database made every entry stale: the
# counters are the server's)
for my $name ('a', 'a2', 'b')
{
	verify($name);
	like(verify($name), qr/ 0$/, "before the flood, token $name is shared");
}
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*) FILTER (WHERE tracker.authenticate(tok) IS NOT NULL), max(tracker._verifications())
	FROM toks WHERE name LIKE 'x%'}),
	'200|200',
	'tenant X presents 200 tokens in one backend');
# newest first: without the share, the last 50 or so would all be found
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*) FILTER (WHERE tracker.authenticate(tok) IS NOT NULL) || ' '
		|| (max(tracker._verifications()) >= 192)::text
	FROM (SELECT tok FROM toks WHERE name LIKE 'x%'
		  ORDER BY substr(name, 2)::int DESC OFFSET 0) newest_first}),
	'200 true',
	'another backend finds at most 8 of them (the share of 64 entries)');
is(verify('a'), "$tenant_a admin 0", 'after the flood, alice is still shared');
is(verify('a2'), "$tenant_a admin 0", 'and her second token');
is(verify('b'), "$tenant_b user 0", 'and bob');

#
# A session's context checked again is not a new API call
#
my $calls = sub {
	$node->safe_psql('postgres',
		"SELECT api_calls_this_month FROM tracker.tenant_usage('$tenant_a')");
};
my $s2 = $node->background_psql('postgres');
$s2->query_safe(q{SELECT tracker.authenticate(tok) IS NOT NULL FROM toks WHERE name = 'a'});
my $before = $calls->();
$s2->query_safe('CREATE TEMP TABLE scratch (n int)');
$s2->query_safe('BEGIN; INSERT INTO scratch VALUES (1); ROLLBACK');
is($s2->query_safe('SELECT tracker.current_tenant()'),
	$tenant_a, 'after a rolled-back write, the session context is checked again');
is($calls->(), $before, '... and not counted as another API call');
$s2->quit;

$node->stop;
done_testing();
