# tracker without shared_preload_libraries: what still works.  The
# documented way to run tracker loads it at server start (docs/operations.md);
# without that, the context is verified and enforced all the same, and
# every change still reaches every backend from its next transaction, only
# less narrowly: a change in one tenant makes every tenant's sessions verify
# their tokens again.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my $node = PostgreSQL::Test::Cluster->new('without_preload');
$node->init;
$node->start;
my $secret = slurp_file('test/keys/test-only-hs256.secret');
$node->safe_psql('postgres', qq{
CREATE EXTENSION tracker;
SET log_statement = 'none';
SELECT tracker.add_key('k1', 'HS256', '$secret');
RESET log_statement;
SELECT tracker.create_tenant('one', 'One', 'basic', tenant_id => 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa');
SELECT tracker.create_tenant('two', 'Two', 'basic', tenant_id => 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb');
SELECT tracker.add_user('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'ann', 'ann\@one.example');
SELECT tracker.add_user('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', 'ben', 'ben\@two.example');
CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
CREATE FUNCTION try_context() RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
	RETURN tracker.current_tenant()::text;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLERRM;
END
\$\$;});
$node->safe_psql('postgres', "INSERT INTO toks VALUES ('ann', '"
	  . mint(claims => '{"sub":"ann","tenant_id":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}')
	  . "')");

is($node->safe_psql('postgres', "SHOW shared_preload_libraries"), '', 'tracker is not preloaded');

my $ann = $node->background_psql('postgres');
is($ann->query_safe(q{SELECT tracker.authenticate(tok) ->> 'sub' FROM toks WHERE name = 'ann'}),
	'ann', 'a token verifies');
is($ann->query_safe('SELECT tracker._verifications()'), '1', 'once');

# a change in the other tenant: correct, but it costs ann a verification
$node->safe_psql('postgres', q{
SELECT tracker.set_user_role(id, 'admin', tenant_id) FROM tracker_pool.users WHERE subject = 'ben'});
is($ann->query_safe('SELECT tracker.current_member_role(), tracker._verifications()'),
	"user|2", 'another tenant\'s change makes her verify again (coarse, but correct)');

# her own deactivation reaches her session from its next transaction
$node->safe_psql('postgres', q{
SELECT tracker.set_user_active(id, false, tenant_id) FROM tracker_pool.users WHERE subject = 'ann'});
is($ann->query_safe('SELECT try_context()'), 'user "ann" has been deactivated',
	'a deactivation is seen from the next transaction');
$ann->quit;

done_testing();
