# What a backend keeps between verifications of different tokens
# (src/registry.c, src/jwt.c, src/keys.c): the users it has met and their
# teams, the set of revoked token ids, the last token header that passed,
# and each key's HMAC context.
#
# A new token of a user the backend has met is verified without reading
# the users table, so each test here has one long-lived backend meet a
# user, another session change something, and then the long-lived backend
# present a token it has never seen: the change must show, from its next
# transaction, exactly as if nothing had been kept.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my $tenant = 'dddddddd-dddd-dddd-dddd-dddddddddddd';
my $secret_file = 'test/keys/test-only-hs256.secret';

my $node = tracker_node('verification_caches');
$node->start;
my $secret = slurp_file($secret_file);
$node->safe_psql('postgres', 'CREATE EXTENSION tracker');
$node->safe_psql('postgres',
	"SET log_statement = 'none'; SELECT tracker.add_key('k1', 'HS256', '$secret')");
$node->safe_psql('postgres', qq{
	SELECT tracker.create_tenant('tap-d', 'Tap D', 'basic', tenant_id => '$tenant');
	SELECT tracker.add_user('$tenant', 'dora', 'dora\@d.example', 'admin');
	SELECT tracker.add_user('$tenant', 'dan', 'dan\@d.example', 'user');
	SELECT tracker.add_user('$tenant', 'ed', 'ed\@d.example', 'admin');
	SELECT tracker.set_tenant_limit('$tenant', l, NULL)
	FROM unnest('{request_burst, requests_per_second, api_calls_per_month}'::text[]) l;});
my $dora = $node->safe_psql('postgres', "SELECT id FROM tracker_pool.users WHERE subject = 'dora'");
my $dan = $node->safe_psql('postgres', "SELECT id FROM tracker_pool.users WHERE subject = 'dan'");
my $ed = $node->safe_psql('postgres', "SELECT id FROM tracker_pool.users WHERE subject = 'ed'");

# A token nobody has presented yet: each call signs another (its "n" differs)
my $n = 0;
sub fresh
{
	my ($sub, %extra) = @_;
	$n++;
	my $claims = qq({"sub": "$sub", "tenant_id": "$tenant", "n": $n)
	  . join('', map { qq(, "$_": "$extra{$_}") } sort keys %extra) . '}';
	return $node->safe_psql('postgres', "SELECT tracker.sign_token('$claims', 'k1')");
}

my $s = $node->background_psql('postgres', on_error_stop => 0);

# present(TOKEN[, SQL]): in the long-lived backend, authenticate TOKEN in a
# transaction of its own and run SQL (by default: the role and how many
# tokens this backend has verified in full); returns the result or the error
sub present
{
	my ($token, $sql) = @_;
	$sql //= q{SELECT tracker.current_member_role() || ' ' || tracker._verifications()};
	$s->{stderr} = '';
	my $out = $s->query("BEGIN; SELECT tracker.authenticate('$token', true) IS NOT NULL; $sql; COMMIT");
	if ($s->{stderr} =~ /ERROR:  ([^\n]*)/)
	{
		my $err = $1;
		$s->query('ROLLBACK');
		$s->{stderr} = '';
		return $err;
	}
	my @lines = split /\n/, $out;
	return $lines[-1];
}

#
# Users: a new token of a user the backend has met
#
like(present(fresh('dora')), qr/^admin \d+$/, 'the backend meets dora');
$node->safe_psql('postgres', "SELECT tracker.set_user_active('$dora', false, '$tenant')");
like(present(fresh('dora')), qr/user "dora" has been deactivated/,
	'her deactivation elsewhere refuses her next new token');
$node->safe_psql('postgres', "SELECT tracker.set_user_active('$dora', true, '$tenant')");
like(present(fresh('dora')), qr/^admin /, 'her reactivation admits the next one');
$node->safe_psql('postgres', "SELECT tracker.set_user_role('$dora', 'user', '$tenant')");
like(present(fresh('dora')), qr/^user /, 'a role changed elsewhere is the role of her next token');
$node->safe_psql('postgres', "SELECT tracker.set_user_role('$dora', 'admin', '$tenant')");

# revoke_user_tokens refuses the tokens issued before it (and those that do
# not say when they were issued)
like(present(fresh('ed')), qr/^admin /, 'the backend meets ed');
my $early = $node->safe_psql('postgres',
	qq{SELECT tracker.sign_token(jsonb_build_object('sub', 'ed', 'tenant_id', '$tenant', 'n', 1000,
	   'iat', extract(epoch FROM now())::bigint - 60), 'k1')});
$node->safe_psql('postgres', "SELECT tracker.revoke_user_tokens('$ed', '$tenant')");
like(present($early), qr/issued before the user's tokens were revoked/,
	'after revoke_user_tokens elsewhere, his new token issued before it is refused');

# the user removed and added again under the same subject is another user
like(present(fresh('dan')), qr/^user /, 'the backend meets dan');
my $dan_again = $node->safe_psql('postgres', qq{
	DELETE FROM tracker_pool.users WHERE id = '$dan';
	SELECT tracker.add_user('$tenant', 'dan', 'dan\@d.example', 'admin');
	SELECT id FROM tracker_pool.users WHERE subject = 'dan'});
$dan_again = (split /\n/, $dan_again)[-1];
is(present(fresh('dan'), 'SELECT tracker.current_user_id()'), $dan_again,
	'a user removed and added again elsewhere has his new id');
$dan = $dan_again;
$node->safe_psql('postgres', "SELECT tracker.set_user_role('$dan', 'user', '$tenant')");
is(present(fresh('dan'), 'SELECT tracker.current_user_id()'), $dan, 'the backend meets him again');
$dan = $node->safe_psql('postgres', qq{
	UPDATE tracker_pool.users SET id = gen_random_uuid() WHERE id = '$dan' RETURNING id});
is(present(fresh('dan'), 'SELECT tracker.current_user_id()'), $dan,
	'a user whose id an owner changed elsewhere has his new id');

# what the backend's own transaction changed and rolled back
$s->query_safe(qq{BEGIN; SELECT tracker.set_user_active('$dora', false, '$tenant')});
$s->query(qq{SELECT tracker.authenticate('} . fresh('dora') . q{', true)});
like($s->{stderr}, qr/has been deactivated/, 'its own uncommitted deactivation refuses her');
$s->query('ROLLBACK');
like(present(fresh('dora')), qr/^admin /, 'and its rollback admits her again');

#
# Teams: a new token's teams
#
my $team = $node->safe_psql('postgres', qq{
	SELECT tracker.authenticate(tracker.sign_token('{"sub": "dora", "tenant_id": "$tenant"}', 'k1')) IS NOT NULL AS ok \\gset
	SELECT tracker.create_team('reds', '', NULL)});
$team = (split /\n/, $team)[-1];
is(present(fresh('dan'), 'SELECT cardinality(tracker.current_teams())'), '0',
	'dan is in no team');
$node->safe_psql('postgres', qq{
	SELECT tracker.authenticate(tracker.sign_token('{"sub": "dora", "tenant_id": "$tenant"}', 'k1')) IS NOT NULL AS ok \\gset
	SELECT tracker.add_team_member('$team', '$dan')});
is(present(fresh('dan'), 'SELECT tracker.current_teams()::text'), "{$team}",
	'a membership added elsewhere is in his next new token\'s teams');
$node->safe_psql('postgres', qq{
	SELECT tracker.authenticate(tracker.sign_token('{"sub": "dora", "tenant_id": "$tenant"}', 'k1')) IS NOT NULL AS ok \\gset
	SELECT tracker.remove_team_member('$team', '$dan')});
is(present(fresh('dan'), 'SELECT cardinality(tracker.current_teams())'), '0',
	'and one removed is not');

#
# Revoked token ids
#
like(present(fresh('dora', jti => 'j-1')), qr/^admin /, 'a token with a jti');
$node->safe_psql('postgres', "SELECT tracker.revoke_token('j-2')");
like(present(fresh('dora', jti => 'j-2')), qr/token has been revoked/,
	'a jti revoked elsewhere is refused in a token the backend has not seen');
like(present(fresh('dora', jti => 'j-3')), qr/^admin /, 'another jti is not');
$s->query_safe(q{BEGIN; SELECT tracker.revoke_token('j-4')});
$s->query(qq{SELECT tracker.authenticate('} . fresh('dora', jti => 'j-4') . q{', true)});
like($s->{stderr}, qr/token has been revoked/, 'its own uncommitted revocation refuses a token');
$s->query('ROLLBACK');
like(present(fresh('dora', jti => 'j-4')), qr/^admin /, 'its rollback undoes that');
$node->safe_psql('postgres', "DELETE FROM tracker.revoked_tokens WHERE jti = 'j-2'");
like(present(fresh('dora', jti => 'j-2')), qr/^admin /, 'a revocation removed elsewhere is gone');

# more revocations than the backend reads into memory: looked up one by one
$node->safe_psql('postgres', q{
	INSERT INTO tracker.revoked_tokens (jti) SELECT 'bulk-' || i FROM generate_series(1, 10001) i});
like(present(fresh('dora', jti => 'bulk-7777')), qr/token has been revoked/,
	'with 10,001 revocations, a revoked jti is refused');
like(present(fresh('dora', jti => 'j-5')), qr/^admin /, '... and another accepted');
$node->safe_psql('postgres', q{DELETE FROM tracker.revoked_tokens WHERE jti LIKE 'bulk-%'});
like(present(fresh('dora', jti => 'bulk-7777')), qr/^admin /,
	'once they are purged, the same jti is accepted');
$node->safe_psql('postgres', "SELECT tracker.revoke_token('j-6')");
like(present(fresh('dora', jti => 'j-6')), qr/token has been revoked/,
	'and a new revocation is refused again');

#
# The header of the last token that passed
#
my $good = fresh('dora');
my $after_retirement = fresh('dora');
like(present($good), qr/^admin /, 'a token of key k1');
my ($h, $p) = split /\./, fresh('dora');
like(present("$h.$p.AAAA"), qr/token signature is invalid/,
	'the same header with a bad signature is refused');
my $other_secret = slurp_file('test/keys/test-only-hs384.secret');
my $forged = $node->safe_psql('postgres', qq{
	SET log_statement = 'none';
	SELECT tracker.add_key('k-other', 'HS256', '$other_secret');
	SELECT tracker.sign_token('{"sub": "dora", "tenant_id": "$tenant", "n": 5000}', 'k-other')});
$forged = (split /\n/, $forged)[-1];
my (undef, $fp, $fs) = split /\./, $forged;
like(present("$h.$fp.$fs"), qr/token signature is invalid/,
	'a payload signed with another key under k1\'s header is refused');
$node->safe_psql('postgres', "SELECT tracker.retire_key('k1')");
like(present($after_retirement), qr/retired/,
	'a key retired elsewhere refuses the next token with the header the backend knows');

$s->quit;

#
# A hot standby: it replays the rows, but not the invalidation counters,
# which live in the primary's memory.  Its backends keep none of the
# tables above, so what they have met does not outlive a change replayed
# there.
#
my $primary = tracker_node('vc_primary', allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION tracker');
$primary->safe_psql('postgres',
	"SET log_statement = 'none'; SELECT tracker.add_key('k1', 'HS256', '$secret')");
$primary->safe_psql('postgres', qq{
	SELECT tracker.create_tenant('tap-s', 'Tap S', 'basic', tenant_id => '$tenant');
	SELECT tracker.add_user('$tenant', 'sam', 'sam\@s.example', 'admin');
	SELECT tracker.add_user('$tenant', 'sue', 'sue\@s.example', 'admin');
	SELECT tracker.set_tenant_limit('$tenant', l, NULL)
	FROM unnest('{request_burst, requests_per_second, api_calls_per_month}'::text[]) l;});
$primary->backup('vc_backup');
my $standby = PostgreSQL::Test::Cluster->new('vc_standby');
$standby->init_from_backup($primary, 'vc_backup', has_streaming => 1);
$standby->start;
my $sam = $primary->safe_psql('postgres', "SELECT id FROM tracker_pool.users WHERE subject = 'sam'");

sub signed
{
	my ($claims) = @_;
	$n++;
	return $primary->safe_psql('postgres',
		qq{SELECT tracker.sign_token('{"tenant_id": "$tenant", "n": $n, $claims}', 'k1')});
}

my $r = $standby->background_psql('postgres', on_error_stop => 0);

# on_standby(TOKEN): the standby's long-lived backend authenticates TOKEN
sub on_standby
{
	my ($token) = @_;
	$r->{stderr} = '';
	my $out = $r->query(qq{SELECT tracker.authenticate('$token') ->> 'sub'});
	return $r->{stderr} =~ /ERROR:  ([^\n]*)/ ? $1 : $out;
}

is(on_standby(signed('"sub": "sam"')), 'sam', 'a standby backend meets sam');
is(on_standby(signed('"sub": "sue", "jti": "s-1"')), 'sue', '... and sue, with a jti');
$primary->safe_psql('postgres', "SELECT tracker.set_user_active('$sam', false, '$tenant')");
$primary->safe_psql('postgres', "SELECT tracker.revoke_token('s-2')");
$primary->wait_for_catchup($standby);
like(on_standby(signed('"sub": "sam"')), qr/user "sam" has been deactivated/,
	'a deactivation replayed on the standby refuses his next new token there');
like(on_standby(signed('"sub": "sue", "jti": "s-2"')), qr/token has been revoked/,
	'a revocation replayed there refuses a new token with that jti');
$primary->safe_psql('postgres', "SELECT tracker.set_tenant_status('$tenant', 'suspended')");
$primary->wait_for_catchup($standby);
like(on_standby(signed('"sub": "sue"')), qr/tenant is suspended/,
	'a suspension replayed there refuses the next new token');
$r->quit;
$standby->stop;
$primary->stop;

done_testing();
