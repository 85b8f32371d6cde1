# One pooled server session, handed from client to client as a
# transaction-mode pooler (PgBouncer, say) hands it, played alternately by an
# attacker (a plain user of tenant "evil") and a victim (the super admin of
# the pooled tenant "acme", or the admin of the Platinum silo tenant "plat").
# Both clients log in as the same role, pool_app, a member of tracker_user,
# as they would behind a pooler.
#
# Each round is one (reset between clients x attacker leftover) pair:
#
#   1. the attacker authenticates as herself and leaves one thing behind:
#      temporary views, tables, functions or operators named like what the
#      victim uses, a search_path with her objects first, a prepared
#      statement, a WITH HOLD cursor, a LISTEN, an advisory lock, a token in
#      tracker.token, a SET ROLE;
#   2. the pooler resets the session, in one of the ways docs/security.md
#      allows or mentions (including not at all);
#   3. the victim authenticates, reads and writes with unqualified names;
#   4. the pooler resets the session the same way again, and the attacker
#      gets it back.
#
# What the test proves, for every round: the victim's reads show exactly its
# own tenant's rows, its INSERT lands in its own tenant's table (checked by
# content, as a superuser), nothing the attacker planted sees any of it, and
# the attacker, back in the session, has no context of the victim's and
# reads none of its rows.  What a reset does not clear (prepared statements,
# cursors, LISTEN, advisory locks, SET ROLE, the attacker's own context) is
# asserted to be exactly what docs/security.md ("Pooled sessions") says: it
# survives, it reaches no row of the victim's, and DISCARD ALL clears it.
# The one thing a pooler that does not reset at all leaves to the next
# client, a session-level context, is asserted as documented too.
#
# Tokens are read from the table toks, so no statement text carries one (a
# real client passes its token as a bind parameter).  The scripted attacker
# never reads toks.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

my $acme = 'a0000000-0000-4000-8000-00000000000a';
my $evil = 'e0000000-0000-4000-8000-00000000000e';
my $plat = 'c0000000-0000-4000-8000-00000000000c';
my $secret_file = 'test/keys/test-only-hs256.secret';

# what tracker.current_tenant() raises under tracker.token = 'garbage'
my $garbage_error = 'ERROR: token must have exactly three segments';

#
# A client of the pool: one psql whose server session is handed from client
# to client.  send_sql() sends a batch, then a marker on stdout and on
# stderr, and pumps until both markers are back, so each batch's output and
# errors are its own.
#
sub pool_client
{
	my ($node, $user) = @_;
	my $c = { in => '', out => '', err => '', n => 0 };
	my $connstr = $node->connstr('postgres');
	$connstr .= " user=$user" if defined $user;
	$c->{timer} = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);
	$c->{h} = IPC::Run::start(
		[
			$node->installed_command('psql'), '-XAtq',
			'-v', 'ON_ERROR_STOP=0',
			'-d', $connstr,
			'-f', '-'
		],
		'<', \$c->{in},
		'>', \$c->{out},
		'2>', \$c->{err},
		$c->{timer});
	send_sql($c, '\set VERBOSITY terse');
	return $c;
}

# send_sql(CLIENT, SQL): run SQL (statements and psql meta-commands); returns
# { out => stdout without notifications, errors => [ "ERROR: message" ],
#   notes => [ notification lines ] }
sub send_sql
{
	my ($c, $sql) = @_;
	my $marker = '__pooled_session_' . ++$c->{n} . '__';
	$c->{in} .= "$sql\n\\echo $marker\n\\warn $marker\n";
	$c->{timer}->start($PostgreSQL::Test::Utils::timeout_default);
	$c->{h}->pump
	  until $c->{out} =~ /^\Q$marker\E\n/m && $c->{err} =~ /^\Q$marker\E\n/m;
	$c->{out} =~ s/\A(.*?)^\Q$marker\E\n//ms;
	my $out = $1;
	$c->{err} =~ s/\A(.*?)^\Q$marker\E\n//ms;
	my $err = $1;

	my (@lines, @notes, @errors);
	for my $line (split /\n/, $out)
	{
		if ($line =~ /^Asynchronous notification /)
		{
			push @notes, $line;
		}
		else
		{
			push @lines, $line;
		}
	}
	for my $line (split /\n/, $err)
	{
		push @errors, "ERROR: $1"
		  if $line =~ /ERROR:\s+(.*?)(?: at character \d+)?$/;
	}
	return { out => join("\n", @lines), errors => \@errors, notes => \@notes };
}

# what a batch showed: its output, then its errors
sub shown
{
	my ($r) = @_;
	return join("\n", grep { length } $r->{out}, @{ $r->{errors} });
}

sub quit_client
{
	my ($c) = @_;
	$c->{in} .= "\\q\n";
	$c->{h}->finish;
}

# fill(TEMPLATE, NAME => VALUE, ...): TEMPLATE with each {NAME} replaced
sub fill
{
	my ($template, %vars) = @_;
	$template =~ s/\{(\w+)\}/exists $vars{$1} ? $vars{$1} : "{$1}"/ge;
	return $template;
}

#
# Setup: three tenants, a user each, their issues, the pool's login role
#
my $node = tracker_node('pooled_session');
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION tracker');
my $secret = slurp_file($secret_file);
is( $node->safe_psql(
		'postgres',
		"SET log_statement = 'none'; SELECT tracker.add_key('k1', 'HS256', '$secret')"),
	'k1',
	'HS256 key k1 registered');

$node->safe_psql(
	'postgres', qq{
	SELECT tracker.create_tenant('acme', 'Acme', 'premium', tenant_id => '$acme');
	SELECT tracker.create_tenant('evil', 'Evil', 'basic', tenant_id => '$evil');
	SELECT tracker.create_tenant('plat', 'Plat', 'platinum', tenant_id => '$plat');
	SELECT tracker.add_user('$acme', 'victoria', 'victoria\@acme.example', 'super_admin');
	SELECT tracker.add_user('$evil', 'mallory', 'mallory\@evil.example', 'user');
	SELECT tracker.add_user('$plat', 'petra', 'petra\@plat.example', 'admin');
	-- the rounds authenticate thousands of times, far past the tiers' rate
	-- limits and monthly quotas; what is tested here is isolation, not
	-- limits (sql/usage.sql), so these tenants have none
	SELECT tracker.set_tenant_limit(t.id, l, NULL)
	FROM tracker.tenants t,
		 unnest('{request_burst, requests_per_second, api_calls_per_month}'::text[]) l;});

my %tok = (
	acme => mint(claims => qq({"sub":"victoria","tenant_id":"$acme"})),
	evil => mint(claims => qq({"sub":"mallory","tenant_id":"$evil"})),
	plat => mint(claims => qq({"sub":"petra","tenant_id":"$plat"})));

# The pool's one login role, and a schema of its own named like it, so that
# the default search_path ("$user", public) puts it first: the attacker's
# own schema.  toks is readable by tracker_user so that it stays readable
# after the attacker's SET ROLE tracker_user.
$node->safe_psql(
	'postgres', qq{
	SET log_statement = 'none';
	CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
	INSERT INTO toks VALUES ('acme', '$tok{acme}'), ('evil', '$tok{evil}'), ('plat', '$tok{plat}');
	CREATE ROLE pool_app LOGIN IN ROLE tracker_user;
	GRANT SELECT ON toks TO tracker_user;
	CREATE SCHEMA pool_app AUTHORIZATION pool_app;
	GRANT USAGE ON SCHEMA pool_app TO PUBLIC;});

# Each tenant's issues, filed by its own user
$node->safe_psql(
	'postgres', q{
	SELECT tracker.authenticate(tok) IS NOT NULL FROM toks WHERE name = 'acme';
	INSERT INTO issues (title) VALUES ('Acme Alpha'), ('Acme Beta'), ('Acme Gamma');
	SELECT tracker.authenticate(tok) IS NOT NULL FROM toks WHERE name = 'evil';
	INSERT INTO issues (title) VALUES ('Evil One'), ('Evil Two');
	SELECT tracker.authenticate(tok) IS NOT NULL FROM toks WHERE name = 'plat';
	INSERT INTO issues (title) VALUES ('Plat North'), ('Plat South'), ('Plat East'), ('Plat West');
	RESET tracker.token;
	RESET search_path;});

# Probes the harness runs, not the clients.  rows_like() counts the rows of a
# relation that match a pattern, -1 if there is no such relation; it runs as
# its caller, so it sees the caller's temporary tables.  where_comment()
# says, for the superuser, in which permanent comments table and under which
# tenant a comment's content was stored.
$node->safe_psql(
	'postgres', q{
CREATE FUNCTION public.rows_like(rel text, pattern text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
	n bigint;
BEGIN
	IF to_regclass(rel) IS NULL THEN
		RETURN -1;
	END IF;
	EXECUTE format('SELECT count(*) FROM %s AS r WHERE r::text ~* $1', rel) INTO n USING pattern;
	RETURN n;
END
$f$;
CREATE FUNCTION public.where_comment(marker text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
DECLARE
	r record;
	t record;
	found text := '';
BEGIN
	FOR r IN SELECT c.oid::regclass AS rel, n.nspname
			 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			 WHERE c.relname = 'comments' AND c.relkind = 'r' AND c.relpersistence = 'p'
			 ORDER BY n.nspname
	LOOP
		FOR t IN EXECUTE format('SELECT tenant_id::text AS tenant FROM %s WHERE content = $1', r.rel)
				 USING marker
		LOOP
			found := found || r.nspname || '|' || coalesce(t.tenant, 'null') || ';';
		END LOOP;
	END LOOP;
	RETURN found;
END
$f$;
REVOKE ALL ON FUNCTION public.where_comment(text) FROM PUBLIC;});

my $silo = $node->safe_psql('postgres',
	"SELECT data_schema FROM tracker.tenants WHERE slug = 'plat'");
like($silo, qr/^silo_[0-9a-f]{12}$/, 'plat has a silo schema of its own');

# The victims.  pattern finds anything of theirs in what the attacker holds.
my @victims = (
	{
		name => 'acme',
		tenant => $acme,
		schema => 'tracker_pool',
		key => 'ACME-1',
		by_number => [ 'Acme Alpha', 'Acme Beta', 'Acme Gamma' ],
		pattern => 'acme|victoria|a0000000',
	},
	{
		name => 'plat',
		tenant => $plat,
		schema => $silo,
		key => 'PLAT-1',
		by_number => [ 'Plat North', 'Plat South', 'Plat East', 'Plat West' ],
		pattern => 'plat|petra|c0000000',
	});
for my $v (@victims)
{
	$v->{comments_oid} = $node->safe_psql('postgres',
		"SELECT '$v->{schema}.comments'::regclass::oid");
	$v->{count} = scalar @{ $v->{by_number} };
	$v->{lowered} = lc join(',', @{ $v->{by_number} });
	$v->{by_title} = join(',', sort @{ $v->{by_number} });
}

# what the attacker sees of a schema's issues under her own context
my %evil_titles = (tracker_pool => 'Evil One,Evil Two', $silo => '');

my $su = pool_client($node);
my $pool = pool_client($node, 'pool_app');

# pool_app's schema, emptied (by the superuser) after a round that planted
# in it; USAGE for PUBLIC only so that the harness's probes still read it
# after the attacker's SET ROLE
my $own_schema_used = 0;

sub empty_own_schema
{
	my $r = send_sql(
		$su, q{SET client_min_messages = warning;
DROP SCHEMA pool_app CASCADE;
CREATE SCHEMA pool_app AUTHORIZATION pool_app;
GRANT USAGE ON SCHEMA pool_app TO PUBLIC;});
	die "could not empty schema pool_app: @{ $r->{errors} }"
	  if @{ $r->{errors} };
	return;
}

# What every leftover below relies on: the attacker can create nothing in
# the schemas a tenant session's search path holds (public in PostgreSQL 15,
# the data schemas), only in pg_temp and in her own schema.
is( shown(send_sql($pool, 'CREATE TABLE public.issues (title text);')),
	'ERROR: permission denied for schema public',
	'the pool role cannot create objects in public');
for my $schema ('tracker_pool', $silo)
{
	is( shown(send_sql($pool, "CREATE VIEW $schema.spy AS SELECT 1;")),
		"ERROR: permission denied for schema $schema",
		"the pool role cannot create objects in data schema $schema");
}

#
# The resets between clients.  victim says how the victim authenticates:
# "session" (authenticate(token) for the session, in autocommit), "local"
# (authenticate(token, true) inside BEGIN ... end), "session_tx" (a
# session-level authenticate inside BEGIN ... ROLLBACK, which undoes it).
# clears lists what the reset removes: context (tracker.token), settings
# (search_path and the rest), role (SET ROLE), temp (temporary objects),
# prepared, cursors, listen, advisory.
#
my @methods = (
	# No reset at all (also PgBouncer's transaction mode with its default
	# server_reset_query_always = 0): each client authenticates for the
	# session, which replaces the context and the search path.
	{ name => 'no reset', reset => undef, victim => 'session', clears => [] },

	# Only the context is removed.
	{
		name => 'RESET tracker.token',
		reset => 'RESET tracker.token;',
		victim => 'session',
		clears => ['context']
	},

	# No reset; the victim's context is transaction-local and ends with its
	# COMMIT ...
	{
		name => 'local context, COMMIT',
		reset => undef,
		victim => 'local',
		end => 'COMMIT',
		clears => []
	},

	# ... or with its ROLLBACK (its write is undone, nowhere diverted)
	{
		name => 'local context, ROLLBACK',
		reset => undef,
		victim => 'local',
		end => 'ROLLBACK',
		clears => []
	},

	# A session-level authenticate inside a transaction that rolls back is
	# undone with it.
	{
		name => 'session context, ROLLBACK',
		reset => undef,
		victim => 'session_tx',
		end => 'ROLLBACK',
		clears => []
	},

	# The parts of DISCARD ALL that docs/security.md names one by one; the
	# victim uses a transaction-local context, as the docs recommend.
	{
		name => 'DISCARD TEMP',
		reset => 'DISCARD TEMP;',
		victim => 'local',
		end => 'COMMIT',
		clears => ['temp']
	},
	{
		name => 'DEALLOCATE ALL',
		reset => 'DEALLOCATE ALL;',
		victim => 'local',
		end => 'COMMIT',
		clears => ['prepared']
	},
	{
		name => 'CLOSE ALL',
		reset => 'CLOSE ALL;',
		victim => 'local',
		end => 'COMMIT',
		clears => ['cursors']
	},
	{
		name => 'UNLISTEN *',
		reset => 'UNLISTEN *;',
		victim => 'local',
		end => 'COMMIT',
		clears => ['listen']
	},
	{
		name => 'pg_advisory_unlock_all()',
		reset => 'SELECT pg_catalog.pg_advisory_unlock_all();',
		victim => 'local',
		end => 'COMMIT',
		clears => ['advisory']
	},

	# RESET ALL resets every setting, tracker.token and search_path among
	# them, but not the role of a SET ROLE.
	{
		name => 'RESET ALL',
		reset => 'RESET ALL;',
		victim => 'session',
		clears => [ 'context', 'settings' ]
	},
	{
		name => 'RESET ALL + RESET SESSION AUTHORIZATION',
		reset => "RESET ALL;\nRESET SESSION AUTHORIZATION;",
		victim => 'session',
		clears => [ 'context', 'settings', 'role' ]
	},

	# What docs/security.md requires between clients, and PgBouncer's
	# default server_reset_query (with server_reset_query_always = 1 in
	# transaction mode).
	{
		name => 'DISCARD ALL',
		reset => 'DISCARD ALL;',
		victim => 'session',
		clears => [
			'context', 'settings', 'role', 'temp',
			'prepared', 'cursors', 'listen', 'advisory'
		]
	});

#
# The attacker's leftovers.  Every round starts with her authenticating as
# herself (a session context) and planting a spy kit: pg_temp.stolen, and
# pg_temp.spy(text), which copies whatever it is passed into it.  {S} is the
# victim's data schema (the attacker can read every schema name).  sql is
# planted before the kit is emptied, after once it has been.
#
my $spy_kit = q{
CREATE TABLE pg_temp.stolen (what text);
GRANT SELECT, INSERT, DELETE ON pg_temp.stolen TO PUBLIC;
CREATE FUNCTION pg_temp.spy(what text) RETURNS boolean LANGUAGE plpgsql
AS $f$BEGIN INSERT INTO pg_temp.stolen VALUES (what); RETURN true; END$f$;
};

# functions and an operator, in schema {N}, named like what a client calls:
# each tells the spy what it was given
my $spy_routines = q{
CREATE FUNCTION {N}.lower(t text) RETURNS text LANGUAGE plpgsql
AS $f$BEGIN PERFORM {SPY}('lower: ' || t); RETURN pg_catalog.lower(t); END$f$;
CREATE FUNCTION {N}.now() RETURNS timestamptz LANGUAGE plpgsql
AS $f$BEGIN PERFORM {SPY}('now'); RETURN pg_catalog.now(); END$f$;
CREATE FUNCTION {N}.eq(a text, b text) RETURNS boolean LANGUAGE plpgsql
AS $f$BEGIN PERFORM {SPY}('=: ' || a || ' ' || b); RETURN a OPERATOR(pg_catalog.=) b; END$f$;
CREATE OPERATOR {N}.= (LEFTARG = text, RIGHTARG = text, FUNCTION = {N}.eq);
CREATE FUNCTION {N}.authenticate(token text, local boolean DEFAULT false) RETURNS jsonb
LANGUAGE plpgsql AS $f$BEGIN PERFORM {SPY}('token: ' || token); RETURN tracker.authenticate(token, local); END$f$;
CREATE FUNCTION {N}.current_tenant() RETURNS uuid LANGUAGE plpgsql
AS $f$BEGIN PERFORM {SPY}('current_tenant'); RETURN tracker.current_tenant(); END$f$;
};

# a view named like the tenant table that copies every row it is shown, and
# a table named like the other that would keep whatever is inserted into it
my $spy_relations = q{
CREATE VIEW {N}.issues AS SELECT * FROM {S}.issues WHERE {SPY}(title);
CREATE TABLE {N}.comments AS SELECT * FROM {S}.comments WITH NO DATA;
GRANT SELECT, INSERT ON {N}.comments TO PUBLIC;
};

my @leftovers = (
	# Nothing but her own session context (and the empty spy kit): the
	# baseline.
	{ name => 'nothing' },

	# A temporary view named issues over the victim's table, whose spy copies
	# every row it is shown, with the default search_path (where pg_temp comes
	# first for relations).  Must fail: authenticate() puts pg_temp last, so
	# "issues" is the data schema's table, and the view is never read.
	{
		name => 'temporary view issues with a spy',
		sql => fill($spy_relations, N => 'pg_temp', SPY => 'pg_temp.spy')
		  =~ s/^CREATE TABLE.*\n^GRANT.*\n//mr . "RESET search_path;\n",
	},

	# A temporary table named comments that would swallow the victim's
	# INSERT.  Must fail for the same reason.
	{
		name => 'temporary table comments',
		sql => fill($spy_relations, N => 'pg_temp', SPY => 'pg_temp.spy')
		  =~ s/^CREATE VIEW.*\n//mr . "RESET search_path;\n",
		temp_comments => 1,
	},

	# Temporary functions lower(), now(), authenticate(), current_tenant()
	# and an operator = (text, text).  Must fail: PostgreSQL never looks
	# functions or operators up in pg_temp without an explicit pg_temp.
	{
		name => 'temporary functions and operators',
		sql => fill($spy_routines, N => 'pg_temp', SPY => 'pg_temp.spy')
		  . "RESET search_path;\n",
	},

	# All of the above, with pg_temp first on the session's search path,
	# even before pg_catalog.  Must fail: authenticate() replaces the search
	# path, and pg_temp never serves functions or operators anyway.
	{
		name => 'search_path with pg_temp first',
		sql => fill($spy_relations . $spy_routines,
			N => 'pg_temp',
			SPY => 'pg_temp.spy')
		  . "SET search_path = pg_temp, pg_catalog, {S}, public;\n",
		temp_comments => 1,
	},

	# The same objects in her own schema (pool_app, which the default
	# search_path "$user", public also puts first), with that schema first,
	# before pg_catalog, where its functions and operator would win.  They
	# are permanent: no reset removes them.  Must fail: authenticate()
	# replaces the search path with the data schema, public and pg_temp.
	{
		name => 'search_path with her own schema first',
		sql => q{
CREATE TABLE pool_app.stolen (what text);
GRANT SELECT, INSERT ON pool_app.stolen TO PUBLIC;
CREATE FUNCTION pool_app.spy(what text) RETURNS boolean LANGUAGE plpgsql
AS $f$BEGIN INSERT INTO pool_app.stolen VALUES (what); RETURN true; END$f$;
}
		  . fill($spy_relations . $spy_routines,
			N => 'pool_app',
			SPY => 'pool_app.spy')
		  . "SET search_path = pool_app, pg_catalog, {S}, public;\n",
		own_schema => 1,
	},

	# A prepared statement under the name a client would prepare, with a
	# spy in it.  The victim's PREPARE of that name must be refused (it never
	# runs the attacker's statement), and when the attacker executes it
	# again it runs under her context, not the victim's.
	{
		name => 'prepared statement',
		sql => q{PREPARE count_issues AS SELECT pg_catalog.count(*) FROM {S}.issues WHERE pg_temp.spy(title);
},
	},

	# A WITH HOLD cursor under the name a client would declare.  Its rows
	# were read at her commit, under her context; the victim's DECLARE must
	# be refused, and the rows stay hers.
	{
		name => 'WITH HOLD cursor',
		sql => q{DECLARE c_issues CURSOR WITH HOLD FOR SELECT title FROM {S}.issues WHERE pg_temp.spy(title) ORDER BY title;
},
	},

	# LISTEN on the channel the victim's application notifies.  Whoever holds
	# the session gets the notifications: it must be the victim during its
	# turn, and nothing of it must reach the attacker afterwards.
	{ name => 'LISTEN', sql => "LISTEN tracker_events;\n" },

	# A session advisory lock on the key the victim's application uses: it
	# outlives her, but gives her nothing of the victim's.
	{
		name => 'advisory lock',
		sql => "SELECT pg_catalog.pg_advisory_lock(4242) IS NOT NULL;\n"
	},

	# Her own token written into tracker.token with set_config (a SET).  Must
	# fail: the victim's authenticate replaces it, for the session or for its
	# transaction.
	{
		name => 'SET tracker.token to her own token',
		sql => q{SELECT pg_catalog.set_config('tracker.token', t.tok, false) IS NOT NULL
FROM public.toks AS t WHERE t.name OPERATOR(pg_catalog.=) 'evil';
},
		garbage => 0,
	},

	# Garbage in tracker.token.  Must fail the same way; and where it
	# survives, it makes every context function raise, never "no context".
	{
		name => 'SET tracker.token to garbage',
		sql => "SET tracker.token = 'garbage';\n",
		garbage => 1,
	},

	# SET ROLE to a role the pool role belongs to.  Must fail: the context
	# belongs to the session, not to a role, and tracker_user's policies are
	# the same.
	{ name => 'SET ROLE', after => "SET ROLE tracker_user;\n" });

my $attacker_login = q{SELECT tracker.authenticate(t.tok) IS NOT NULL
FROM public.toks AS t WHERE t.name OPERATOR(pg_catalog.=) 'evil';};

# The harness's view of the session's state, fully qualified so that nothing
# the attacker planted can answer instead
my $state_probe = q{SELECT
	(SELECT pg_catalog.count(*) FROM pg_catalog.pg_prepared_statements AS p
	 WHERE p.name OPERATOR(pg_catalog.=) 'count_issues'),
	(SELECT pg_catalog.count(*) FROM pg_catalog.pg_cursors AS c
	 WHERE c.name OPERATOR(pg_catalog.=) 'c_issues'),
	(SELECT pg_catalog.count(*) FROM pg_catalog.pg_listening_channels() AS l),
	(SELECT pg_catalog.count(*) FROM pg_catalog.pg_locks AS k
	 WHERE k.locktype OPERATOR(pg_catalog.=) 'advisory'
	   AND k.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()),
	current_user;};

# rows matching {P} in each place the attacker could have put the victim's
# data: her spy tables and comments tables, temporary and in her schema
my $spy_tables = q{SELECT public.rows_like('pg_temp.stolen', '{P}'),
	public.rows_like('pg_temp.comments', '{P}'),
	public.rows_like('pool_app.stolen', '{P}'),
	public.rows_like('pool_app.comments', '{P}');};

my $context_probe =
  q{SELECT coalesce(tracker.current_tenant()::text, 'none');};

#
# The rounds
#
my $round = 0;
for my $v (@victims)
{
	for my $m (@methods)
	{
		for my $l (@leftovers)
		{
			play_round($v, $m, $l, ++$round);
		}
	}
}

# The checks of a round: like is() and like(), but collected, so that a
# round (a reset, a leftover and a victim) counts as one assertion
our @round_failures;
our $round_checks;

sub check_is
{
	my ($got, $expected, $name) = @_;
	$round_checks++;
	push @round_failures, "$name:\n  got:      " . ($got // 'undef') . "\n  expected: " . ($expected // 'undef')
	  unless defined $got && defined $expected ? $got eq $expected : !defined $got && !defined $expected;
	return;
}

sub check_like
{
	my ($got, $re, $name) = @_;
	$round_checks++;
	push @round_failures, "$name:\n  got:      " . ($got // 'undef') . "\n  expected to match: $re"
	  unless defined $got && $got =~ $re;
	return;
}

sub play_round
{
	my ($v, $m, $l, $n) = @_;
	my $tag = "[$m->{name} / $l->{name} / victim $v->{name}]";
	my %clears = map { $_ => 1 } @{ $m->{clears} };
	my $S = $v->{schema};
	my $marker = "comment of $v->{name} in round $n";

	# every check of the round is collected, and the round is one assertion
	# that lists the checks that failed
	local @round_failures = ();
	local $round_checks = 0;

	# What survives the reset, by docs/security.md's table
	my %kept = (
		prepared => ($l->{name} eq 'prepared statement' && !$clears{prepared}),
		cursor => ($l->{name} eq 'WITH HOLD cursor' && !$clears{cursors}),
		listen => ($l->{name} eq 'LISTEN' && !$clears{listen}),
		advisory => ($l->{name} eq 'advisory lock' && !$clears{advisory}),
		role => ($l->{name} eq 'SET ROLE' && !$clears{role}),
		temp_stolen => !$clears{temp},
		temp_comments => ($l->{temp_comments} && !$clears{temp}),
		own_schema => $l->{own_schema});

	# A fresh session, as after a reconnect, and an empty pool_app schema
	send_sql($pool, "DISCARD ALL;");
	empty_own_schema() if $own_schema_used;
	$own_schema_used = $l->{own_schema};

	#
	# The attacker's turn
	#
	my $plant = send_sql(
		$pool,
		fill(
			join("\n",
				$attacker_login, $spy_kit, $l->{sql} // '',
				'DELETE FROM pg_temp.stolen;',
				$l->{after} // ''),
			S => $S));
	check_is(join("\n", @{ $plant->{errors} }),
		'', "$tag the attacker's leftovers are in place");

	#
	# The pooler's reset, then the victim's turn
	#
	my @victim_notes;
	my $reset_errors = '';
	if (defined $m->{reset})
	{
		my $r = send_sql($pool, $m->{reset});
		$reset_errors = join(';', @{ $r->{errors} });
		push @victim_notes, @{ $r->{notes} };
	}

	my $in_tx = $m->{victim} ne 'session';
	my $local = $m->{victim} eq 'local' ? 'true' : 'false';
	my $auth = "SELECT tracker.authenticate(t.tok, $local) IS NOT NULL\n"
	  . "FROM public.toks AS t WHERE t.name OPERATOR(pg_catalog.=) '$v->{name}';";
	my $open = $in_tx ? "BEGIN;\n$auth" : $auth;
	my $close = $in_tx ? "$m->{end};" : '';

	# Reads, written as the victim's application writes them: unqualified,
	# calling lower(), now() and =, and through a prepared statement run
	# often enough to get a generic plan (kept, as drivers keep theirs).
	my $reads = send_sql(
		$pool, qq{$open
SHOW search_path;
SELECT count(*) FROM issues;
SELECT string_agg(lower(title), ',' ORDER BY number) FROM issues WHERE created_at <= now();
PREPARE victim_titles AS SELECT coalesce(string_agg(title, ',' ORDER BY title), '') FROM issues;
} . "EXECUTE victim_titles;\n" x 6);
	push @victim_notes, @{ $reads->{notes} };
	my @read_lines = split /\n/, $reads->{out};
	check_is($read_lines[2] // '',
		$v->{count},
		"$tag the victim's count(*) FROM issues is $v->{name}'s own ($v->{count})");
	check_is( shown($reads),
		join("\n",
			't', "$S, public, pg_temp",
			$v->{count}, $v->{lowered}, ($v->{by_title}) x 6),
		"$tag the victim reads exactly $v->{name}'s rows, on its own search path");

	# Meanwhile the victim's application notifies its channel from elsewhere
	send_sql($su, "NOTIFY tracker_events, '$v->{name} secret of round $n';");

	# The write: an unqualified INSERT INTO comments, then the end of the
	# victim's transaction
	my $write = send_sql(
		$pool, qq{INSERT INTO comments (issue_id, content)
SELECT id, '$marker' FROM issues WHERE key = '$v->{key}'
RETURNING tableoid, tenant_id;
$close});
	push @victim_notes, @{ $write->{notes} };
	check_is(shown($write), "$v->{comments_oid}|$v->{tenant}",
		"$tag the victim's INSERT INTO comments goes to $S.comments, as $v->{name}");

	# What the victim does with the name or the key the attacker took
	my ($probe, $probe_expected);
	if ($l->{name} eq 'prepared statement')
	{
		$probe = q{PREPARE count_issues AS SELECT count(*) FROM issues;
\if :ERROR
\echo refused
\else
EXECUTE count_issues;
DEALLOCATE count_issues;
\endif};
		$probe_expected =
		  $kept{prepared}
		  ? "refused\nERROR: prepared statement \"count_issues\" already exists"
		  : $v->{count};
	}
	elsif ($l->{name} eq 'WITH HOLD cursor')
	{
		$probe = q{DECLARE c_issues CURSOR WITH HOLD FOR SELECT title FROM issues ORDER BY number;
\if :ERROR
\echo refused
\else
FETCH ALL FROM c_issues;
CLOSE c_issues;
\endif};
		$probe_expected =
		  $kept{cursor}
		  ? "refused\nERROR: cursor \"c_issues\" already exists"
		  : join("\n", @{ $v->{by_number} });
	}
	elsif ($l->{name} eq 'advisory lock')
	{
		# in the same session the lock is granted again, whoever took it
		$probe = 'SELECT pg_try_advisory_lock(4242), pg_advisory_unlock(4242);';
		$probe_expected = 't|t';
	}
	if (defined $probe)
	{
		my $r = send_sql($pool, $in_tx ? "$open\n$probe\n$close" : $probe);
		push @victim_notes, @{ $r->{notes} };
		check_is(shown($r), ($in_tx ? "t\n" : '') . $probe_expected,
			"$tag the victim's own use of that name is "
			  . ($probe_expected =~ /^refused/ ? 'refused' : 'its own'));
	}

	# Can another session take the application's advisory lock?
	my $outsider =
	  send_sql($su, 'SELECT pg_try_advisory_xact_lock(4242);')->{out};

	# The session's state after the victim's turn: what survived the reset
	my $state = send_sql($pool, $state_probe);
	push @victim_notes, @{ $state->{notes} };
	my $notified =
	  grep { /"tracker_events" with payload "$v->{name} secret of round $n"/ }
	  @victim_notes;
	check_is( join(', ',
			"state " . shown($state),
			"notifications $notified",
			"outsider locks $outsider",
			"reset errors '$reset_errors'"),
		join(', ',
			'state '
			  . join('|',
				$kept{prepared} ? 1 : 0,
				$kept{cursor} ? 1 : 0,
				$kept{listen} ? 1 : 0,
				$kept{advisory} ? 1 : 0,
				$kept{role} ? 'tracker_user' : 'pool_app'),
			'notifications ' . ($kept{listen} ? 1 : 0),
			'outsider locks ' . ($kept{advisory} ? 'f' : 't'),
			"reset errors ''"),
		"$tag what survives the reset is what docs/security.md says");

	# The spy tables and the attacker's comments tables hold nothing
	my $expected_spy = join('|',
		$kept{temp_stolen} ? 0 : -1,
		$kept{temp_comments} ? 0 : -1,
		$kept{own_schema} ? 0 : -1,
		$kept{own_schema} ? 0 : -1);
	check_is(shown(send_sql($pool, fill($spy_tables, P => ''))),
		$expected_spy,
		"$tag nothing the attacker planted caught a row, a call or a write");

	# The superuser finds the victim's comment in its own tenant's table, and
	# nowhere else (nowhere at all if its transaction rolled back)
	check_is( send_sql($su, "SELECT public.where_comment('$marker');")->{out},
		($m->{end} // '') eq 'ROLLBACK' ? '' : "$S|$v->{tenant};",
		"$tag the victim's comment is "
		  . (($m->{end} // '') eq 'ROLLBACK'
			? 'nowhere, rolled back'
			: "in $S.comments under $v->{name}"));

	#
	# The same reset, and the attacker has the session again
	#
	my @attacker_notes;
	if (defined $m->{reset})
	{
		push @attacker_notes, @{ send_sql($pool, $m->{reset})->{notes} };
	}

	# Her context: none, her own, or her garbage; never the victim's.
	# Without any reset the victim's session context is still there, as
	# documented, until she authenticates as herself.
	my $context_now;
	if ($m->{victim} ne 'session')
	{
		$context_now = $l->{garbage} ? $garbage_error : $evil;
	}
	elsif ($clears{context})
	{
		$context_now = 'none';
	}
	else
	{
		my $r = send_sql($pool, "$context_probe\n$attacker_login");
		push @attacker_notes, @{ $r->{notes} };
		check_is(shown($r), "$v->{tenant}\nt",
			"$tag documented: with no reset, the victim's session context stays "
			  . 'in the session until the next client authenticates');
		$context_now = $evil;
	}
	my $ctx = send_sql($pool, $context_probe);
	push @attacker_notes, @{ $ctx->{notes} };
	check_is(shown($ctx), $context_now,
		"$tag back in the session, the attacker's context is "
		  . ($context_now eq $evil ? 'her own' : $context_now eq 'none' ? 'none' : 'her garbage'));

	# What she reads of the victim's schema: her own rows or nothing
	my $own_rows =
	  $context_now eq $garbage_error ? $garbage_error
	  : $context_now eq $evil ? "$evil_titles{$S}|0"
	  : '|0';
	my $reread = send_sql(
		$pool, qq{SELECT
	(SELECT coalesce(pg_catalog.string_agg(i.title, ',' ORDER BY i.title), '') FROM $S.issues AS i),
	(SELECT pg_catalog.count(*) FROM $S.comments AS c);});
	push @attacker_notes, @{ $reread->{notes} };
	check_is(shown($reread), $own_rows,
		"$tag the attacker reads none of $v->{name}'s issues or comments");

	# The victim's prepared statement, left as drivers leave theirs: when it
	# is still there it runs under the attacker's context (re-planned under
	# her search path, if that differs), and shows none of the victim's rows
	my $theirs = send_sql($pool, 'EXECUTE victim_titles;');
	push @attacker_notes, @{ $theirs->{notes} };
	if ($clears{prepared})
	{
		check_is(shown($theirs),
			'ERROR: prepared statement "victim_titles" does not exist',
			"$tag the victim's prepared statement is gone");
	}
	else
	{
		check_like(
			shown($theirs),
			qr/^(?:|Evil One,Evil Two|ERROR: .+)$/,
			"$tag the victim's prepared statement shows the attacker only her own rows");
	}

	# Her own leftover, used again
	if ($l->{name} eq 'prepared statement')
	{
		my $r = send_sql($pool, 'EXECUTE count_issues;');
		push @attacker_notes, @{ $r->{notes} };
		# gone; or broken, its spy dropped with the temporary objects; or
		# run under her context, whatever it is now
		my $expected;
		if (!$kept{prepared})
		{
			$expected = 'ERROR: prepared statement "count_issues" does not exist';
		}
		elsif ($clears{temp})
		{
			$expected = 'ERROR: function pg_temp.spy(text) does not exist';
		}
		elsif ($context_now eq $garbage_error)
		{
			$expected = $garbage_error;
		}
		else
		{
			$expected = $context_now eq $evil && $S eq 'tracker_pool' ? 2 : 0;
		}
		check_is(shown($r), $expected,
			"$tag the attacker's prepared statement counts only what she may see");
	}
	elsif ($l->{name} eq 'WITH HOLD cursor')
	{
		my $r = send_sql($pool, 'FETCH ALL FROM c_issues;');
		push @attacker_notes, @{ $r->{notes} };
		my $expected =
		  !$kept{cursor} ? 'ERROR: cursor "c_issues" does not exist'
		  : join("\n", grep { length } split /,/, $evil_titles{$S});
		check_is(shown($r), $expected,
			"$tag the attacker's cursor holds only the rows she read herself");
	}

	# Her loot: nothing of the victim's in any spy table, comments table or
	# notification
	my $loot = send_sql($pool, fill($spy_tables, P => $v->{pattern}));
	push @attacker_notes, @{ $loot->{notes} };
	my $leaked_notes = grep { /$v->{pattern}/i } @attacker_notes;
	check_is( shown($loot) . " notifications $leaked_notes",
		"$expected_spy notifications 0",
		"$tag the attacker holds nothing of $v->{name}'s");
	is(join("\n", @round_failures), '', "$tag all $round_checks checks hold");
	return;
}

note "$round rounds played";

#
# A setting the attacker leaves (row_security = off) is a denial of service
# where it survives, never a leak: the victim's statements fail.
#
send_sql($pool, "DISCARD ALL;");
send_sql($pool, "$attacker_login\nSET row_security = off;");
send_sql($pool, 'RESET tracker.token;');
my $denied = send_sql(
	$pool, q{SELECT tracker.authenticate(t.tok) IS NOT NULL
FROM public.toks AS t WHERE t.name OPERATOR(pg_catalog.=) 'acme';
SELECT count(*) FROM issues;
INSERT INTO comments (issue_id, content)
SELECT id, 'comment refused under row_security = off' FROM issues WHERE key = 'ACME-1';});
is( shown($denied),
	"t\nERROR: query would be affected by row-level security policy for table \"issues\"\n"
	  . 'ERROR: query would be affected by row-level security policy for table "issues"',
	'row_security = off left behind makes the victim\'s reads and writes fail');
is( send_sql($su,
		"SELECT public.where_comment('comment refused under row_security = off');")->{out},
	'',
	'... and stores nothing');
send_sql($pool, 'DISCARD ALL;');
is( shown(
		send_sql(
			$pool, q{SELECT tracker.authenticate(t.tok) IS NOT NULL
FROM public.toks AS t WHERE t.name OPERATOR(pg_catalog.=) 'acme';
SELECT count(*) FROM issues;})),
	"t\n3",
	'... until DISCARD ALL');

quit_client($pool);
quit_client($su);
$node->stop;

done_testing();
