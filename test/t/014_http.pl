# HTTP through PostgREST, replayed: each request is the transaction
# PostgREST 13 sends for it (test/perl/PostgrestReplay.pm says which part of
# PostgREST's source each statement comes from), on connections of a pool
# logged in as tracker_authenticator, and the HTTP response is what
# PostgREST makes of the database's answer.
#
# Tenants: acme (basic) and beta (standard) in the pool, plat (platinum) in
# a silo.  Every case checks the status, and the body or headers that say
# why; the last part runs two tenants' clients at once on a small pool of
# connections reused across tenants, and checks every response for rows of
# the other tenant.

use strict;
use warnings;

use JSON::PP;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use PostgrestReplay;
use TrackerTest;

my $acme = 'a0000000-0000-4000-8000-00000000000a';
my $beta = 'b0000000-0000-4000-8000-00000000000b';
my $plat = 'c0000000-0000-4000-8000-00000000000c';
my $secret_file = 'test/keys/test-only-hs256.secret';
my $secret = slurp_file($secret_file);

my $node = tracker_node('http');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION tracker');
$node->safe_psql('postgres',
	"SET log_statement = 'none'; SELECT tracker.add_key('k1', 'HS256', '$secret')");
$node->safe_psql(
	'postgres', qq{
	SELECT tracker.create_tenant('acme', 'Acme', 'basic', tenant_id => '$acme');
	SELECT tracker.create_tenant('beta', 'Beta', 'standard', tenant_id => '$beta');
	SELECT tracker.create_tenant('plat', 'Plat', 'platinum', tenant_id => '$plat');
	SELECT tracker.add_user('$acme', 'sam', 'sam\@acme.example', 'super_admin');
	SELECT tracker.add_user('$acme', 'ada', 'ada\@acme.example', 'admin');
	SELECT tracker.add_user('$acme', 'uma', 'uma\@acme.example', 'user');
	SELECT tracker.add_user('$acme', 'ulf', 'ulf\@acme.example', 'user');
	SELECT tracker.add_user('$beta', 'bob', 'bob\@beta.example', 'admin');
	SELECT tracker.add_user('$plat', 'pia', 'pia\@plat.example', 'admin');
	-- the one thing an operator does for PostgREST (docs/http.md)
	ALTER ROLE tracker_authenticator LOGIN;
});
my $silo = $node->safe_psql('postgres', "SELECT data_schema FROM tracker.tenants WHERE id = '$plat'");

# tokens as the identity provider mints them, with the role claim PostgREST reads
sub token
{
	my ($sub, $tenant, %extra) = @_;
	my %claims = (sub => $sub, tenant_id => $tenant, role => 'tracker_user', %extra);
	return mint(claims => encode_json(\%claims));
}
my %tok = (
	sam => token('sam', $acme),
	ada => token('ada', $acme),
	uma => token('uma', $acme),
	ulf => token('ulf', $acme),
	bob => token('bob', $beta),
	pia => token('pia', $plat),
	revoked => token('uma', $acme, jti => 'http-revoked-1'),
	norole => mint(claims => encode_json({ sub => 'uma', tenant_id => $acme })),
	expired => mint(claims => encode_json({ sub => 'uma', tenant_id => $acme, role => 'tracker_user' }), exp => -120),
);
# the same token with another signature
(my $forged = $tok{uma}) =~ s/\.(.)([^.]*)$/'.' . ($1 eq 'A' ? 'B' : 'A') . $2/e;
$tok{forged} = $forged;

# PostgREST's db-schemas, as db-pre-config sets them (checked below)
my $schemas = $node->safe_psql('postgres', 'SELECT tracker.http_schemas()');
is($schemas, "tracker_pool, $silo", 'the pool is the default profile, then every silo');
my @schemas = split /, /, $schemas;

my $dsn = 'dbi:Pg:dbname=postgres;host=' . $node->host . ';port=' . $node->port;
sub client
{
	return PostgrestReplay->new(dsn => $dsn, user => 'tracker_authenticator',
		secret => $secret, schemas => \@schemas);
}
my $pg = client();

sub bearer { return { Authorization => "Bearer $_[0]", %{ $_[1] // {} } }; }

# column types as PostgREST's schema cache reads them (format_type)
my %types = map { split /\|/ } split /\n/, $node->safe_psql('postgres', q{
	SELECT c.relname || '.' || a.attname || '|' || format_type(a.atttypid, a.atttypmod)
	FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	WHERE c.relnamespace = 'tracker_pool'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped});
sub types_of
{
	my ($table) = @_;
	return { map { my $k = $_; $k =~ s/^\Q$table\E\.//; ($k => $types{$_}) } grep { /^\Q$table\E\./ } keys %types };
}

# GET /issues?select=*&order=created_at.desc&limit=L&offset=O [filters] [count=exact]
sub list_issues
{
	my ($headers, %q) = @_;
	return $pg->request(method => 'GET', path => '/issues', headers => $headers,
		PostgrestReplay::read_sql(table => 'issues', order => [ [ 'created_at', 'desc' ] ], %q));
}

#
# 1. Configuration: db-pre-config, the statements of a request, NOTIFY
#
is( $node->safe_psql(
		'postgres', q{
	SET ROLE tracker_authenticator;
	WITH kv_settings AS (
	  SELECT null as database, x as k, current_setting(x, true) as v
	  FROM unnest('{pgrst.db_schemas}'::text[]) x
	  JOIN tracker.http_pre_config() _ ON TRUE)
	SELECT replace(k, 'pgrst.', '') || '=' || v FROM kv_settings WHERE v IS NOT NULL}),
	"db_schemas=$schemas",
	"db-pre-config, called as PostgREST's in-database configuration query calls it, sets db-schemas");

my $r = list_issues(bearer($tok{sam}), limit => 50, offset => 0);
is($r->{status}, 200, 'GET /issues as a super admin: 200');
my @statements = $pg->statements;
$statements[3] =~ s/^(WITH pgrst_source AS \().*/$1.../;
is_deeply(
	\@statements,
	[
		'BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY',
		"select set_config('search_path', \$1, true), set_config('role', \$2, true), "
		  . "set_config('request.jwt.claims', \$3, true), set_config('request.method', \$4, true), "
		  . "set_config('request.path', \$5, true), set_config('request.headers', \$6, true), "
		  . "set_config('request.cookies', \$7, true)",
		'select "tracker"."http_pre_request"()',
		'WITH pgrst_source AS (...',
		'COMMIT'
	],
	'a GET is BEGIN ... READ ONLY, the settings, the pre-request, the statement, COMMIT');

{
	my $listener = DBI->connect($dsn, 'tracker_authenticator', '', { AutoCommit => 1, RaiseError => 1 });
	$listener->do('LISTEN pgrst');
	$node->safe_psql('postgres', q{SELECT tracker.create_tenant('plat2', 'Plat 2', 'platinum')});
	my %got;
	for (1 .. 50)
	{
		while (my $n = $listener->pg_notifies) { $got{ $n->[2] } = 1; }
		last if keys %got == 2;
		select(undef, undef, undef, 0.1);
	}
	is_deeply([ sort keys %got ], [ 'reload config', 'reload schema' ],
		'a new silo tells PostgREST to reload its configuration and its schema cache');
	$node->safe_psql('postgres',
		q{SELECT tracker.set_tenant_status(id, 'suspended'), tracker.delete_tenant(id) FROM tracker.tenants WHERE slug = 'plat2'});
	$listener->disconnect;
}

#
# 2. Anonymous and bad tokens
#
$r = list_issues({}, limit => 50, offset => 0);
is($r->{status}, 401, 'GET /issues without a token: 401');
is($r->{headers}{'www-authenticate'}, 'Bearer', '... with WWW-Authenticate');

$r = list_issues(bearer($tok{expired}), limit => 50, offset => 0);
is($r->{status}, 401, 'an expired token: 401 from PostgREST');
is(scalar($pg->statements), 0, '... and nothing reaches the database');

$r = list_issues(bearer($tok{forged}), limit => 50, offset => 0);
is($r->{status}, 401, 'a forged token: 401 from PostgREST');

# A PostgREST given another key (misconfigured) lets the forged token
# through: tracker refuses it itself
{
	my $lax = PostgrestReplay->new(dsn => $dsn, user => 'tracker_authenticator',
		secret => $secret, schemas => \@schemas);
	no warnings 'redefine';
	local *PostgrestReplay::_check_jwt = sub { return ({ sub => 'uma', tenant_id => $acme, role => 'tracker_user' }, 'tracker_user', undef) };
	$r = $lax->request(method => 'GET', path => '/issues', headers => bearer($tok{forged}),
		PostgrestReplay::read_sql(table => 'issues', limit => 50, offset => 0));
	is($r->{status}, 401, 'a forged token that PostgREST let through: 401 from the pre-request');
	like($r->{headers}{'www-authenticate'}, qr/^Bearer error="invalid_token", error_description="[^"]*signature/,
		'... with a WWW-Authenticate that says why');
	is($r->{body}{code}, '28000', '... and code 28000 in the body');
	$lax->disconnect;
}

# Two Authorization headers: PostgREST checks the first and puts the last in
# request.headers
{
	my $two = PostgrestReplay->new(dsn => $dsn, user => 'tracker_authenticator',
		secret => $secret, schemas => \@schemas);
	my ($ada_claims) = PostgrestReplay::_check_jwt($two, $tok{ada});
	no warnings 'redefine';
	local *PostgrestReplay::_check_jwt = sub { return ($ada_claims, 'tracker_user', undef) };
	$r = $two->request(method => 'GET', path => '/issues', headers => bearer($tok{uma}),
		PostgrestReplay::read_sql(table => 'issues', limit => 50, offset => 0));
	is($r->{status}, 401, 'a request whose checked token is not the one in request.headers: 401');
	like($r->{body}{message}, qr/more than one token/, '... saying so');
	$two->disconnect;
}

# A PostgREST that can switch to more roles than the two (here one that
# bypasses row-level security): the pre-request runs requests only as
# tracker_user, with a token, or tracker_anon, without one
$node->safe_psql('postgres', q{
	CREATE ROLE regress_bypass NOLOGIN BYPASSRLS;
	GRANT USAGE ON SCHEMA tracker, tracker_pool TO regress_bypass;
	GRANT SELECT ON tracker_pool.issues TO regress_bypass;
	GRANT EXECUTE ON FUNCTION tracker.http_pre_request() TO regress_bypass;
	GRANT regress_bypass TO tracker_authenticator;});
{
	my $loose = PostgrestReplay->new(dsn => $dsn, user => 'tracker_authenticator',
		secret => $secret, schemas => \@schemas, anon => 'regress_bypass');
	my $bypass_token = mint(claims => encode_json({ sub => 'uma', tenant_id => $acme, role => 'regress_bypass' }));
	$r = $loose->request(method => 'GET', path => '/issues', headers => bearer($bypass_token),
		PostgrestReplay::read_sql(table => 'issues', limit => 50, offset => 0));
	is($r->{status}, 401, "a token whose role claim names a role that bypasses row-level security: 401");
	$r = $loose->request(method => 'GET', path => '/issues', headers => {},
		PostgrestReplay::read_sql(table => 'issues', limit => 50, offset => 0));
	is($r->{status}, 500, 'an anonymous role that is not tracker_anon: 500, no rows');
	like($r->{body}{hint}, qr/db-anon-role/, '... and the hint says what to fix');
	$loose->disconnect;
}
$node->safe_psql('postgres', q{REVOKE regress_bypass FROM tracker_authenticator});

$node->safe_psql('postgres', q{SELECT tracker.revoke_token('http-revoked-1', NULL)});
$r = list_issues(bearer($tok{revoked}), limit => 50, offset => 0);
is($r->{status}, 401, 'a revoked token: 401 from the pre-request');
like($r->{body}{message}, qr/revoked/, '... saying it was revoked');

$r = list_issues(bearer($tok{norole}), limit => 50, offset => 0);
is($r->{status}, 401, 'a good token without the role claim: 401, with the reason');
like($r->{body}{hint}, qr/jwt-role-claim-key/, '... and a hint for the operator');

$r = $pg->request(method => 'GET', path => '/issues', headers => bearer($tok{uma}, { 'Accept-Profile' => 'tracker' }),
	PostgrestReplay::read_sql(table => 'issues'));
is($r->{status}, 406, 'a profile PostgREST does not expose: 406');

#
# 3. Plain user, admin, super admin in the pool
#
my %issue_types = %{ types_of('issues') };
$r = $pg->request(method => 'POST', path => '/issues', headers => bearer($tok{uma}),
	PostgrestReplay::insert_sql(table => 'issues', types => \%issue_types,
		body => { title => 'Printer on fire', priority => 'high' }, representation => 1));
is($r->{status}, 201, 'POST /issues as a plain user: 201');
my $uma_issue = $r->{body}[0];
is($uma_issue->{tenant_id}, $acme, '... in her tenant');
like($uma_issue->{key}, qr/^ACME-\d+$/, '... with its key');

$r = $pg->request(method => 'POST', path => '/issues', headers => bearer($tok{sam}),
	PostgrestReplay::insert_sql(table => 'issues', types => \%issue_types,
		body => { title => 'Quarterly report', issue_type => 'task' }, representation => 1));
is($r->{status}, 201, 'POST /issues as a super admin: 201');
my $sam_issue = $r->{body}[0];

$r = list_issues(bearer($tok{uma}), limit => 10, offset => 0, count => 1);
is($r->{status}, 200, 'GET /issues as a plain user, with an exact count: 200');
is_deeply([ map { $_->{id} } @{ $r->{body} } ], [ $uma_issue->{id} ], '... only the issue she reported');
is($r->{headers}{'content-range'}, '0-0/1', '... Content-Range says one of one');

$r = list_issues(bearer($tok{ada}), limit => 1, offset => 0, count => 1,
	filters => [ [ 'status', 'eq', 'open' ] ]);
is($r->{status}, 206, 'GET /issues?status=eq.open&limit=1 as an admin, with a count: 206 (a page of 2)');
is($r->{headers}{'content-range'}, '0-0/2', '... Content-Range 0-0/2');

$r = $pg->request(method => 'POST', path => '/comments', headers => bearer($tok{ada}),
	PostgrestReplay::insert_sql(table => 'comments', types => types_of('comments'),
		body => { issue_id => $uma_issue->{id}, content => 'On it' }, representation => 1));
is($r->{status}, 201, 'POST /comments as an admin: 201');
my $ada_comment = $r->{body}[0];
$r = $pg->request(method => 'POST', path => '/comments', headers => bearer($tok{ada}),
	PostgrestReplay::insert_sql(table => 'comments', types => types_of('comments'),
		body => { issue_id => $uma_issue->{id}, content => 'Vendor is slow', internal => JSON::PP::true }));
is($r->{status}, 201, 'POST /comments, an internal note, without return=representation: 201');
is($r->{body}, undef, '... and no body');

my %embed = (embed => { table => 'comments', on => [ [ 'tenant_id', 'tenant_id' ], [ 'issue_id', 'id' ] ] });
$r = $pg->request(method => 'GET', path => '/issues', headers => bearer($tok{uma}),
	PostgrestReplay::read_sql(table => 'issues', filters => [ [ 'number', 'eq', $uma_issue->{number} ] ], %embed));
is($r->{status}, 200, 'GET /issues?number=eq.N&select=*,comments(*) as the reporter: 200');
is_deeply([ map { $_->{content} } @{ $r->{body}[0]{comments} } ], ['On it'],
	'... the public comment embedded, the internal note not');
$r = $pg->request(method => 'GET', path => '/issues', headers => bearer($tok{ada}),
	PostgrestReplay::read_sql(table => 'issues', filters => [ [ 'number', 'eq', $uma_issue->{number} ] ], %embed));
is(scalar @{ $r->{body}[0]{comments} }, 2, '... an admin sees both');

$r = $pg->request(method => 'PATCH', path => '/comments', headers => bearer($tok{uma}),
	PostgrestReplay::update_sql(table => 'comments', types => types_of('comments'),
		body => { content => 'hijacked' }, filters => [ [ 'id', 'eq', $ada_comment->{id} ] ]));
is($r->{status}, 403, "PATCH another author's comment: 403");
like($r->{body}{message}, qr/only its author/, '... saying only its author can edit it');

$r = $pg->request(method => 'POST', path => '/comments', headers => bearer($tok{uma}),
	PostgrestReplay::insert_sql(table => 'comments', types => types_of('comments'),
		body => { issue_id => $uma_issue->{id}, content => 'Never mind' }, representation => 1));
$r = $pg->request(method => 'DELETE', path => '/comments', headers => bearer($tok{uma}),
	PostgrestReplay::delete_sql(table => 'comments', filters => [ [ 'id', 'eq', $r->{body}[0]{id} ] ]));
is($r->{status}, 204, 'DELETE /comments of her own comment: 204');

$r = list_issues({ Authorization => 'Basic dW1hOnNlY3JldA==' }, limit => 50, offset => 0);
is($r->{status}, 401, 'an Authorization header that is not a bearer token: 401');

$r = $pg->request(method => 'DELETE', path => '/issues', headers => bearer($tok{uma}),
	PostgrestReplay::delete_sql(table => 'issues', filters => [ [ 'id', 'eq', $uma_issue->{id} ] ]));
is($r->{status}, 403, 'DELETE /issues as a plain user: 403');

$r = $pg->request(method => 'PATCH', path => '/issues', headers => bearer($tok{ada}),
	PostgrestReplay::update_sql(table => 'issues', types => \%issue_types,
		body => { status => 'closed' }, filters => [ [ 'id', 'eq', $uma_issue->{id} ] ], representation => 1));
is($r->{status}, 200, 'PATCH an issue to closed, as an admin, with return=representation: 200');
is($r->{body}[0]{status}, 'closed', '... closed');
$r = $pg->request(method => 'PATCH', path => '/issues', headers => bearer($tok{ada}),
	PostgrestReplay::update_sql(table => 'issues', types => \%issue_types,
		body => { status => 'in_review' }, filters => [ [ 'id', 'eq', $uma_issue->{id} ] ]));
is($r->{status}, 400, 'a transition the workflow does not allow (closed to in review): 400');
like($r->{body}{message}, qr/closed.*in_review|in_review.*closed/, '... naming the transition');

$r = $pg->request(method => 'POST', path => '/issues', headers => bearer($tok{uma}),
	PostgrestReplay::insert_sql(table => 'issues', types => \%issue_types, body => { title => ' ' }));
is($r->{status}, 400, 'an issue with a blank title: 400');

$r = $pg->request(method => 'DELETE', path => '/issues', headers => bearer($tok{ada}),
	PostgrestReplay::delete_sql(table => 'issues', filters => [ [ 'id', 'eq', $sam_issue->{id} ] ]));
is($r->{status}, 204, 'DELETE /issues as an admin: 204');

# teams and users through /rpc/ (POST: volatile functions, READ WRITE)
my %team_args = (function => 'create_team', types => { name => 'text' }, returns => 'scalar', volatile => 1);
$r = $pg->request(method => 'POST', path => '/rpc/create_team', headers => bearer($tok{ada}),
	PostgrestReplay::rpc_sql(%team_args, args => { name => 'Backend' }));
is($r->{status}, 200, 'POST /rpc/create_team as an admin: 200');
like($r->{body}, qr/^[0-9a-f-]{36}$/, "... the team's id");
my $team = $r->{body};
$r = $pg->request(method => 'POST', path => '/rpc/create_team', headers => bearer($tok{ada}),
	PostgrestReplay::rpc_sql(%team_args, args => { name => 'Backend' }));
is($r->{status}, 409, 'the same team name again: 409');
$r = $pg->request(method => 'POST', path => '/rpc/create_team', headers => bearer($tok{uma}),
	PostgrestReplay::rpc_sql(%team_args, args => { name => 'Skunkworks' }));
is($r->{status}, 403, 'POST /rpc/create_team as a plain user: 403');

$r = $pg->request(method => 'GET', path => '/teams', headers => bearer($tok{uma}),
	PostgrestReplay::read_sql(table => 'teams'));
is_deeply([ map { $_->{name} } @{ $r->{body} } ], ['Backend'], 'GET /teams as a plain user: her tenant\'s teams');

my $ulf_id = $node->safe_psql('postgres', q{SELECT id FROM tracker_pool.users WHERE subject = 'ulf'});
$r = $pg->request(method => 'POST', path => '/rpc/add_team_member', headers => bearer($tok{ada}),
	PostgrestReplay::rpc_sql(function => 'add_team_member', types => { team_id => 'uuid', user_id => 'uuid' },
		args => { team_id => $team, user_id => $ulf_id }, order => [ 'team_id', 'user_id' ],
		returns => 'void', volatile => 1));
is($r->{status}, 204, 'POST /rpc/add_team_member (void) as an admin: 204');

$r = $pg->request(method => 'POST', path => '/rpc/add_user', headers => bearer($tok{sam}),
	PostgrestReplay::rpc_sql(function => 'add_user', types => { subject => 'text', email => 'text', role => 'text' },
		args => { subject => 'val', email => 'val@acme.example', role => 'user' },
		order => [ 'subject', 'email', 'role' ], returns => 'scalar', volatile => 1));
is($r->{status}, 200, 'POST /rpc/add_user as the super admin: 200');
$r = $pg->request(method => 'POST', path => '/rpc/add_user', headers => bearer($tok{ada}),
	PostgrestReplay::rpc_sql(function => 'add_user', types => { subject => 'text', email => 'text' },
		args => { subject => 'vic', email => 'vic@acme.example' }, order => [ 'subject', 'email' ],
		returns => 'scalar', volatile => 1));
is($r->{status}, 403, 'POST /rpc/add_user as an admin: 403');

$r = $pg->request(method => 'GET', path => '/rpc/me', headers => bearer($tok{ulf}),
	PostgrestReplay::rpc_sql(function => 'me', returns => 'set'));
is_deeply([ $r->{status}, $r->{body}[0]{role}, $r->{body}[0]{tenant_id} ], [ 200, 'user', $acme ],
	'GET /rpc/me: who the token says the caller is');

$r = $pg->request(method => 'POST', path => '/rpc/set_user_active', headers => bearer($tok{sam}),
	PostgrestReplay::rpc_sql(function => 'set_user_active', types => { user_id => 'uuid', active => 'boolean' },
		args => { user_id => $ulf_id, active => JSON::PP::false }, order => [ 'user_id', 'active' ],
		returns => 'void', volatile => 1));
is($r->{status}, 204, 'POST /rpc/set_user_active: the super admin deactivates a user');
$r = list_issues(bearer($tok{ulf}), limit => 50, offset => 0);
is($r->{status}, 401, "the deactivated user's next request: 401");
like($r->{headers}{'www-authenticate'}, qr/deactivated/, '... WWW-Authenticate says why');

# a write through a read-only transaction: what PostgREST answers a write
# in a GET (a volatile function behind GET /rpc)
$r = $pg->request(method => 'GET', path => '/rpc/create_team', headers => bearer($tok{ada}),
	PostgrestReplay::rpc_sql(%team_args, args => { name => 'Read only' }, volatile => 0));
is($r->{status}, 405, 'a write inside a READ ONLY request: 405 (25006), the pre-request having passed');

#
# 4. The silo, and profiles that do not match the token
#
$r = $pg->request(method => 'POST', path => '/issues', headers => bearer($tok{pia}, { 'Content-Profile' => $silo }),
	PostgrestReplay::insert_sql(table => 'issues', types => \%issue_types, body => { title => 'Silo issue' },
		representation => 1));
is($r->{status}, 201, 'POST /issues with Content-Profile: the silo tenant writes to its silo');
is($r->{body}[0]{tenant_id}, $plat, '... as itself');
$r = $pg->request(method => 'GET', path => '/issues', headers => bearer($tok{pia}, { 'Accept-Profile' => $silo }),
	PostgrestReplay::read_sql(table => 'issues'));
is_deeply([ $r->{status}, scalar @{ $r->{body} } ], [ 200, 1 ], 'GET /issues with Accept-Profile: the silo\'s issue');

$r = list_issues(bearer($tok{pia}), limit => 50, offset => 0);
is($r->{status}, 403, 'the silo tenant without a profile (the pool): 403, not an empty list');
like($r->{body}{hint}, qr/\Q$silo\E/, '... the hint names its own profile');

$r = $pg->request(method => 'GET', path => '/issues', headers => bearer($tok{uma}, { 'Accept-Profile' => $silo }),
	PostgrestReplay::read_sql(table => 'issues'));
is($r->{status}, 403, "a pooled tenant's token with the silo's profile: 403");
unlike(encode_json($r->{body}), qr/plat|$plat/i, '... and nothing in the answer names the silo tenant');
$r = $pg->request(method => 'POST', path => '/issues', headers => bearer($tok{uma}, { 'Content-Profile' => $silo }),
	PostgrestReplay::insert_sql(table => 'issues', types => \%issue_types, body => { title => 'Planted' }));
is($r->{status}, 403, "... nor can it write there");
is($node->safe_psql('postgres', qq{SELECT count(*) FROM "$silo".issues}), '1', '... the silo holds only its issue');

#
# 5. Quotas: 429 with Retry-After
#
$node->safe_psql('postgres', qq{
	SELECT tracker.set_tenant_limit('$beta', 'requests_per_second', 1);
	SELECT tracker.set_tenant_limit('$beta', 'request_burst', 1);});
my @statuses;
for (1 .. 3)
{
	$r = list_issues(bearer($tok{bob}), limit => 5, offset => 0);
	push @statuses, $r->{status};
	last if $r->{status} == 429;
}
is($statuses[-1], 429, 'requests beyond the rate limit: 429');
like($r->{headers}{'retry-after'}, qr/^[1-9]\d*$/, '... with Retry-After in whole seconds');
is($r->{body}{code}, 'PT429', '... and code PT429');

# the monthly quota: Retry-After is the time left until the month ends
$node->safe_psql('postgres', qq{
	SELECT tracker.set_tenant_limit('$beta', 'request_burst', NULL);
	SELECT tracker.set_tenant_limit('$beta', 'requests_per_second', NULL);
	SELECT tracker.set_tenant_limit('$beta', 'api_calls_per_month',
		(SELECT api_calls_this_month::integer FROM tracker.tenant_usage('$beta')));});
$r = list_issues(bearer($tok{bob}), limit => 5, offset => 0);
is($r->{status}, 429, 'a tenant whose monthly quota is used up: 429');
my $to_month_end = $node->safe_psql('postgres',
	q{SELECT ceil(extract(epoch FROM date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month' - (now() AT TIME ZONE 'UTC')))});
ok($r->{headers}{'retry-after'} > 0 && abs($r->{headers}{'retry-after'} - $to_month_end) <= 5,
	'... with Retry-After until the month ends (UTC)')
  or diag("Retry-After $r->{headers}{'retry-after'}, month ends in $to_month_end s");
like($r->{body}{message}, qr/monthly API call quota exceeded/, '... and says which limit');

# no rate limit or quota for what follows, which is about isolation
$node->safe_psql('postgres', qq{
	SELECT tracker.set_tenant_limit(id, 'api_calls_per_month', NULL) FROM tracker.tenants WHERE id IN ('$acme', '$beta');
	SELECT tracker.set_tenant_limit(id, 'request_burst', NULL) FROM tracker.tenants WHERE id IN ('$acme', '$beta');
	SELECT tracker.set_tenant_limit(id, 'requests_per_second', NULL) FROM tracker.tenants WHERE id IN ('$acme', '$beta');});

#
# 6. Two tenants' clients at once on a pool of 3 connections that serve
#	 both: every response holds only its client's tenant's rows
#
$pg->disconnect;
my $per_worker = 800;
my @pids;
my $out = "${PostgreSQL::Test::Utils::tmp_check}/http_pool";
mkdir $out;
for my $w (1 .. 3)
{
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		# whatever happens, the child leaves by POSIX::_exit: the test's END
		# blocks would stop the server
		eval { pool_worker($w); 1 } or print STDERR "worker $w: $@";
		POSIX::_exit(0);
	}
	push @pids, $pid;
}

sub pool_worker
{
	my ($w) = @_;
	{
		my $c = client();
		my ($done, @bad) = (0);
		srand($w);
		for my $i (1 .. $per_worker)
		{
			my ($who, $tenant) = rand() < 0.5 ? ('uma', $acme) : ('bob', $beta);
			my $pick = rand();
			my $resp;
			if ($pick < 0.2)
			{
				$resp = $c->request(method => 'POST', path => '/issues', headers => bearer($tok{$who}),
					PostgrestReplay::insert_sql(table => 'issues', types => \%issue_types,
						body => { title => "w$w-$i" }, representation => 1));
				push @bad, "$i: POST $resp->{status}" unless $resp->{status} == 201;
			}
			else
			{
				$resp = $c->request(method => 'GET', path => '/issues', headers => bearer($tok{$who}),
					PostgrestReplay::read_sql(table => 'issues', order => [ [ 'created_at', 'desc' ] ],
						limit => 20, offset => 0, $pick < 0.6 ? %embed : ()));
				push @bad, "$i: GET $resp->{status}" unless $resp->{status} == 200;
			}
			for my $row (ref $resp->{body} eq 'ARRAY' ? @{ $resp->{body} } : ())
			{
				push @bad, "$i: $who got a row of tenant $row->{tenant_id}" if $row->{tenant_id} ne $tenant;
				for my $cm (@{ $row->{comments} // [] })
				{
					push @bad, "$i: $who got a comment of tenant $cm->{tenant_id}" if $cm->{tenant_id} ne $tenant;
				}
			}
			$done++;
		}
		$c->disconnect;
		open my $fh, '>', "$out/$w" or die;
		print $fh "$done\n", map { "$_\n" } @bad;
		close $fh;
	}
}
waitpid($_, 0) for @pids;
my ($done, @bad) = (0);
for my $w (1 .. 3)
{
	my @lines = split /\n/, slurp_file("$out/$w");
	$done += shift @lines;
	push @bad, @lines;
}
is($done, 3 * $per_worker, "$done requests of two tenants on a pool of 3 connections");
is_deeply(\@bad, [], '... every one answered as expected, with no row of the other tenant')
  or diag(join("\n", @bad[ 0 .. ($#bad < 9 ? $#bad : 9) ]));
my $planted = $node->safe_psql('postgres', qq{
	SELECT count(*) FROM tracker_pool.issues
	WHERE title ~ '^w[0-9]' AND reporter_id NOT IN (SELECT id FROM tracker_pool.users WHERE subject IN ('uma', 'bob'))});
is($planted, '0', "... and every issue created has its client's user as reporter");

# A silo named after its tenant, as 1.0 named them, is not exposed:
# PostgREST shows its list of schemas to anyone who asks for another
$node->safe_psql('postgres', qq{SELECT tracker.rename_silo('$plat', 'tenant_plat')});
is($node->safe_psql('postgres', 'SELECT tracker.http_schemas()'), 'tracker_pool',
	'a silo named after its tenant is not in the list PostgREST exposes');
like($node->safe_psql('postgres', 'SELECT tracker.http_config()'), qr/1 silo\(s\) named after their tenant .*rename_silo/,
	'... and the printed configuration says how to expose it');
$node->safe_psql('postgres', qq{SELECT tracker.rename_silo('$plat')});
like($node->safe_psql('postgres', 'SELECT tracker.http_schemas()'), qr/^tracker_pool, silo_[0-9a-f]{12}\z/,
	'... until it has a random name');

$node->stop;
done_testing();
