# Prepared transactions outlive their session, and hold their locks until a
# superuser ends them: a tenant user must not leave one holding what
# operators or other sessions need.  With max_prepared_transactions set (it
# is 0 by default), a tenant's super admin may not prepare a transaction
# that has locked the tenant's registry row (adding or changing a user does,
# to hold the user limit); an ordinary write of her own tenant's rows may be
# prepared.
#
# An operator's transaction that changed what cached contexts are made of
# (a revocation, say: Citus writes its reference tables with two-phase
# commit) may be prepared, and its change reaches every backend from its
# next transaction once it is committed, from whatever session: also a
# backend that verified the token while the change was prepared, also
# through the shared cache, and also after a restart between PREPARE and
# COMMIT PREPARED.  A tenant user's may not: while it is prepared, no
# session trusts its caches.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my $node = tracker_node('prepared');
$node->append_conf('postgresql.conf', "max_prepared_transactions = 4\n");
$node->start;
my $secret = slurp_file('test/keys/test-only-hs256.secret');
$node->safe_psql('postgres', qq{
CREATE EXTENSION tracker;
SET log_statement = 'none';
SELECT tracker.add_key('k1', 'HS256', '$secret');
RESET log_statement;
SELECT tracker.create_tenant('acme', 'Acme', 'premium', tenant_id => 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa');
SELECT tracker.add_user('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'sam', 'sam\@acme.example', 'super_admin');
SELECT tracker.add_user('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'uma', 'uma\@acme.example', 'user');
CREATE ROLE regress_app LOGIN IN ROLE tracker_user;
CREATE ROLE regress_ops LOGIN IN ROLE tracker_operator;
CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
GRANT SELECT ON toks TO regress_app;});
$node->safe_psql('postgres', "INSERT INTO toks VALUES ('sam', '"
	  . mint(claims => '{"sub":"sam","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}')
	  . "')");

# Prepare as sam whatever SQL says; the error, or 'prepared'
sub prepare_as_sam
{
	my ($name, $sql) = @_;
	my ($stdout, $stderr);
	my $ret = $node->psql(
		'postgres', qq{
SET ROLE regress_app;
BEGIN;
SELECT tracker.authenticate(tok, true) IS NOT NULL FROM toks WHERE name = 'sam';
$sql;
PREPARE TRANSACTION '$name';},
		stdout => \$stdout,
		stderr => \$stderr,
		on_error_stop => 1);
	return 'prepared' if $ret == 0 && $stderr eq '';
	return $stderr =~ /ERROR:  ([^\n]*)/ ? $1 : "failed: $stderr";
}

is( prepare_as_sam(
		'add',
		q{SELECT tracker.add_user('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'tmp', 'tmp@acme.example', 'user')}),
	'cannot PREPARE a transaction that has locked a tenant',
	'adding a user locks the tenant: not preparable');
like(
	prepare_as_sam(
		'role',
		q{SELECT tracker.set_user_role(id, 'admin') FROM users WHERE subject = 'uma'}),
	qr/^cannot PREPARE a transaction that has (locked a tenant|changed tracker's keys, tenants or members)$/,
	'changing a user\'s role: not preparable either (it also changes a context)');
is( prepare_as_sam(
		'same',
		q{SELECT tracker.set_user_active(id, true) FROM users WHERE subject = 'uma'}),
	'cannot PREPARE a transaction that has locked a tenant',
	'nor a change that changes nothing, which locks the tenant all the same');
is( prepare_as_sam(
		'team',
		q{SELECT tracker.create_team('Prepared', '', (SELECT id FROM users WHERE subject = 'uma'))}),
	"cannot PREPARE a transaction that has changed tracker's keys, tenants or members",
	'nor a change of team members (while it is prepared no session trusts its caches: operators only)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts'), '0',
	'nothing was left prepared');

# an operator's suspension does not wait on the refused transactions
is( $node->safe_psql(
		'postgres', q{
SET ROLE regress_ops;
SET lock_timeout = '2s';
SELECT tracker.set_tenant_status('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'suspended');
SELECT tracker.set_tenant_status('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'active');
SELECT status FROM tracker.tenants}),
	"\n\nactive",
	'the operator suspends and reactivates the tenant at once');

# her own rows: preparable, and committed later
is(prepare_as_sam('issue', q{INSERT INTO issues (title) VALUES ('prepared issue')}),
	'prepared', 'a write of her own tenant\'s rows may be prepared');
$node->safe_psql('postgres', q{COMMIT PREPARED 'issue'});
is($node->safe_psql('postgres', q{SELECT count(*) FROM tracker_pool.issues WHERE title = 'prepared issue'}),
	'1', 'and committed');

# What a backend cached while a transaction it then prepared was open rests
# on rows that are not committed: a user inserted directly (which invalidates
# nothing) and met by this backend is not kept once the transaction is
# rolled back from another session.
my $b = $node->background_psql('postgres', on_error_stop => 0);
my $tok_ivy = $node->safe_psql('postgres', q{SELECT tracker.sign_token(
	'{"sub": "ivy", "tenant_id": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "n": 1}', 'k1')});
my $tok_ivy2 = $node->safe_psql('postgres', q{SELECT tracker.sign_token(
	'{"sub": "ivy", "tenant_id": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "n": 2}', 'k1')});
$b->query_safe(q{BEGIN;
INSERT INTO tracker_pool.users (tenant_id, subject, email, role)
VALUES ('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'ivy', 'ivy@acme.example', 'admin');});
is($b->query_safe(qq{SELECT tracker.authenticate('$tok_ivy', true) ->> 'sub'}), 'ivy',
	'a transaction that inserted a user authenticates her');
$b->query_safe(q{PREPARE TRANSACTION 'ivy'});
$node->safe_psql('postgres', q{ROLLBACK PREPARED 'ivy'});
$b->query(qq{SELECT tracker.authenticate('$tok_ivy2')});
like($b->{stderr}, qr/user "ivy" is not a member of this tenant/,
	'after ROLLBACK PREPARED elsewhere, the backend that met her refuses her next token');
$b->{stderr} = '';
$b->quit;

#
# A revocation, prepared by an operator, then committed or rolled back
#
sub uma_token { return mint(claims => qq({"sub":"uma","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","jti":"$_[0]"})); }
my %jti_tok = map { ($_ => uma_token($_)) } qw(p1 p2 p3);

# a session of uma's, as a pool keeps one: the token, verified and cached
sub uma_session
{
	my ($jti) = @_;
	my $s = $node->background_psql('postgres', on_error_stop => 0);
	$s->query_safe(qq{SET ROLE regress_app; SELECT tracker.authenticate('$jti_tok{$jti}') IS NOT NULL});
	return $s;
}
# what her next transaction in that session says: her subject, or the error
sub next_request
{
	my ($s) = @_;
	$s->{stderr} = '';
	my $out = $s->query(q{SELECT tracker.current_subject()});
	my $err = $s->{stderr};
	$s->{stderr} = '';
	return $err =~ /ERROR:  ([^\n]*)/ ? $1 : $out;
}

my $held = uma_session('p1');
is($node->safe_psql('postgres', q{BEGIN; SELECT tracker.revoke_token('p1', NULL); PREPARE TRANSACTION 'revoke_p1';}),
	'', 'an operator may prepare a revocation');
is(next_request($held), 'uma', 'while it is prepared, the token still works in the session that held it');
my $during = uma_session('p1');
is(next_request($during), 'uma', '... and in a session that verified it meanwhile (and shared it)');
$node->safe_psql('postgres', q{COMMIT PREPARED 'revoke_p1'});
like(next_request($held), qr/revoked/, 'COMMIT PREPARED from another session: refused in the session that held it');
like(next_request($during), qr/revoked/, '... and in the one that verified it while it was prepared');
my $fresh = $node->background_psql('postgres', on_error_stop => 0);
$fresh->query(qq{SET ROLE regress_app; SELECT tracker.authenticate('$jti_tok{p1}')});
like($fresh->{stderr}, qr/revoked/, '... and in a new session, which must not take it from the shared cache');
$_->quit for $held, $during, $fresh;

$held = uma_session('p2');
$node->safe_psql('postgres', q{BEGIN; SELECT tracker.revoke_token('p2', NULL); PREPARE TRANSACTION 'revoke_p2';});
$node->safe_psql('postgres', q{ROLLBACK PREPARED 'revoke_p2'});
is(next_request($held), 'uma', 'a revocation rolled back after PREPARE changes nothing');
$held->quit;

# a restart between PREPARE and COMMIT PREPARED: shared memory is new, the
# prepared transaction is not
$node->safe_psql('postgres', q{BEGIN; SELECT tracker.revoke_token('p3', NULL); PREPARE TRANSACTION 'revoke_p3';});
$node->restart;
$held = uma_session('p3');
is(next_request($held), 'uma', 'after a restart, the token works while its revocation is still prepared');
$node->safe_psql('postgres', q{COMMIT PREPARED 'revoke_p3'});
like(next_request($held), qr/revoked/, '... and is refused from the next transaction once it is committed');
$held->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts'), '0', 'no prepared transaction is left');

$node->stop;
done_testing();
