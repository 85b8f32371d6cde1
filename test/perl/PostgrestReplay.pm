# PostgrestReplay: what PostgREST 13 sends to the database for an HTTP
# request, replayed statement for statement on one connection of its pool,
# and the HTTP response PostgREST makes of the database's answer.
#
# Read from PostgREST's source at tag v13.0.8 (and v12.2.12, where noted):
#
#   - src/PostgREST/Auth.hs: the token is checked before anything reaches
#     the database (signature, exp/nbf/iat with 30 s of leeway); a bad token
#     is a 401 (PGRST301, PGRST303) with WWW-Authenticate; no token means the
#     anonymous role; the role is the token's role claim (jwt-role-claim-key
#     ".role"), and request.jwt.claims gets a "role" member.
#   - src/PostgREST/ApiRequest.hs: the profile is Accept-Profile for GET and
#     HEAD, Content-Profile for the other methods; one not in db-schemas is a
#     406 (PGRST106) without a statement; request.headers holds every header
#     but Cookie, with lower-cased names.
#   - hasql-transaction (Private/SQL.hs): "BEGIN ISOLATION LEVEL READ
#     COMMITTED READ ONLY" for GET, HEAD and POST to a STABLE function,
#     "... READ WRITE" otherwise; "COMMIT", or "ABORT" after an error.
#   - src/PostgREST/Query.hs (setPgLocals, runPreReq): one statement of
#     set_config(..., true) calls with every value a parameter, then
#     select "schema"."function"() for db-pre-request.
#   - src/PostgREST/Query/QueryBuilder.hs, SqlFragment.hs, Statements.hs:
#     the main statement (the WITH pgrst_source AS (...) shapes below).
#   - src/PostgREST/Error.hs (pgErrorStatus, parseRaisePGRST): the HTTP
#     status of an SQLSTATE, and the response a RAISE SQLSTATE 'PGRST' with
#     JSON message and detail asks for.
#
# Statements are sent through the extended protocol with $n parameters, as
# PostgREST's prepared statements are; the request body is a json
# parameter.
#
# PostgREST 12.2.12 sends the same statements with the same tokens (only
# whitespace differs) for everything replayed here.  Where 12 differs, it is
# outside what the tests use: GET /rpc with arguments (12 passes them
# through json_to_record), PATCH and DELETE with limit, and the status of a
# role claim naming a role that does not exist (400 in 12, 401 in 13).

package PostgrestReplay;

use strict;
use warnings;

use DBI;
use DBD::Pg qw(:pg_types);
use Digest::SHA qw(hmac_sha256);
use JSON::PP;
use MIME::Base64 qw(decode_base64);

my $json = JSON::PP->new->canonical;

# new(dsn => DBI DSN, user => LOGIN ROLE, secret => HS256 SECRET (jwt-secret),
#	  schemas => [db-schemas], anon => db-anon-role, pre_request => db-pre-request)
sub new
{
	my ($class, %opt) = @_;
	my $dbh = DBI->connect($opt{dsn}, $opt{user}, '',
		{ AutoCommit => 1, RaiseError => 0, PrintError => 0, pg_server_prepare => 1 })
	  or die "cannot connect: $DBI::errstr";
	# what hasql sends once per connection
	$dbh->do("SET client_encoding = 'UTF8'");
	$dbh->do("SET client_min_messages TO WARNING");
	return bless {
		dbh => $dbh,
		secret => $opt{secret},
		schemas => $opt{schemas} // ['tracker_pool'],
		anon => $opt{anon} // 'tracker_anon',
		pre_request => $opt{pre_request} // 'tracker.http_pre_request',
		log => [],
	}, $class;
}

sub disconnect { $_[0]{dbh}->disconnect; }

# The statements of the last request, in order (for the tests' own checks)
sub statements { return @{ $_[0]{log} }; }

sub _b64url_decode
{
	my ($s) = @_;
	return undef unless defined $s && $s =~ /^[A-Za-z0-9_-]*$/;
	$s =~ tr{-_}{+/};
	$s .= '=' x ((4 - length($s) % 4) % 4);
	return decode_base64($s);
}

# PostgREST's own check of the token (Auth.hs): undef and the claims, or an
# error response
sub _check_jwt
{
	my ($self, $token) = @_;
	my $fail = sub {
		my ($code, $message) = @_;
		(my $desc = $message) =~ s/"/\\"/g;
		return {
			status => 401,
			headers => { 'www-authenticate' => qq{Bearer error="invalid_token", error_description="$desc"} },
			body => { code => $code, message => $message, details => undef, hint => undef },
		};
	};
	my @parts = split /\./, $token, -1;
	return (undef, undef, $fail->('PGRST301', 'Expected 3 parts in JWT; got ' . scalar(@parts)))
	  unless @parts == 3;
	my $header = eval { decode_json(_b64url_decode($parts[0]) // '') };
	my $claims = eval { decode_json(_b64url_decode($parts[1]) // '') };
	my $sig = _b64url_decode($parts[2]);
	return (undef, undef, $fail->('PGRST301', 'JWT cryptographic operation failed'))
	  unless ref $header eq 'HASH' && ref $claims eq 'HASH' && defined $sig;
	return (undef, undef, $fail->('PGRST301', 'No suitable key or wrong key type'))
	  unless ($header->{alg} // '') eq 'HS256'
	  && $sig eq hmac_sha256("$parts[0].$parts[1]", $self->{secret});
	my $now = time;
	return (undef, undef, $fail->('PGRST303', 'JWT expired'))
	  if defined $claims->{exp} && $now - 30 > $claims->{exp};
	return (undef, undef, $fail->('PGRST303', 'JWT not yet valid'))
	  if defined $claims->{nbf} && $now + 30 < $claims->{nbf};
	return (undef, undef, $fail->('PGRST303', 'JWT issued at future'))
	  if defined $claims->{iat} && $now + 30 < $claims->{iat};
	return ($claims, $claims->{role} // $self->{anon}, undef);
}

# The HTTP status of a database error (Error.hs, pgErrorStatus)
sub _status_of
{
	my ($self, $state, $message, $authed) = @_;
	return 503 if $state =~ /^08/;
	return 403 if $state =~ /^0[LP]/;
	return 409 if $state eq '23503' || $state eq '23505';
	return 405 if $state eq '25006';
	return 401 if $state eq '22023' && $message =~ /^role .* does not exist$/;
	return 500 if $state =~ /^(09|25|2D|38|39|3B|40|53400|54|55|57|58|F0|HV|XX)/;
	return 403 if $state =~ /^28/;
	return 503 if $state =~ /^53/;
	return 400 if $state eq 'P0001';
	return 500 if $state =~ /^P0/;
	return 404 if $state eq '42883' || $state eq '42P01';
	return 500 if $state eq '42P17';
	return ($authed ? 403 : 401) if $state eq '42501';
	return ($1 + 0) if $state =~ /^PT(\d\d\d)$/;
	return 400;
}

# The response to a failed statement
sub _error_response
{
	my ($self, $dbh, $authed) = @_;
	my $state = $dbh->state;
	my ($message, $detail, $hint) = ('', undef, undef);
	for my $line (split /\n/, $dbh->errstr // '')
	{
		if ($line =~ /^ERROR:  (.*)$/) { $message = $1; }
		elsif ($line =~ /^DETAIL:  (.*)$/) { $detail = $1; }
		elsif ($line =~ /^HINT:  (.*)$/) { $hint = $1; }
	}
	if ($state eq 'PGRST')
	{
		my $m = eval { decode_json($message) };
		my $d = defined $detail ? eval { decode_json($detail) } : undef;
		return {
			status => 500,
			headers => {},
			body => { code => 'PGRST121', message => qq{Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error} },
		} unless ref $m eq 'HASH' && defined $m->{code} && defined $m->{message}
		  && ref $d eq 'HASH' && defined $d->{status} && ref $d->{headers} eq 'HASH';
		return {
			status => $d->{status},
			headers => { map { lc($_) => $d->{headers}{$_} } keys %{ $d->{headers} } },
			body => { code => $m->{code}, message => $m->{message}, details => $m->{details}, hint => $m->{hint} },
		};
	}
	my $status = $self->_status_of($state, $message, $authed);
	return {
		status => $status,
		headers => $status == 401 ? { 'www-authenticate' => 'Bearer' } : {},
		body => { code => $state, message => $message, details => $detail, hint => $hint },
	};
}

# request(method => M, path => P, headers => {name => value}, sql => MAIN,
#		  params => [..], body => JSON TEXT (the request body, parameter $1),
#		  read_only => BOOL, kind => read|write|rpc, created => BOOL)
# Returns { status, headers => {lower-cased}, body => decoded JSON or undef }
sub request
{
	my ($self, %r) = @_;
	my $dbh = $self->{dbh};
	my %headers = map { lc($_) => $r{headers}{$_} } keys %{ $r{headers} // {} };
	$self->{log} = [];

	# the profile (ApiRequest.hs, getSchema)
	my $profile_header = ($r{method} eq 'GET' || $r{method} eq 'HEAD') ? 'accept-profile' : 'content-profile';
	my $schema = $headers{$profile_header} // $self->{schemas}[0];
	unless (grep { $_ eq $schema } @{ $self->{schemas} })
	{
		return {
			status => 406,
			headers => {},
			body => {
				code => 'PGRST106',
				message => "Invalid schema: $schema",
				hint => 'Only the following schemas are exposed: ' . join(', ', @{ $self->{schemas} }),
			},
		};
	}

	# the token (Auth.hs)
	my ($claims, $role) = ({}, $self->{anon});
	if (defined $headers{authorization})
	{
		my ($token) = $headers{authorization} =~ /^Bearer (.*)$/i;
		if (defined $token && $token ne '')
		{
			my $error;
			($claims, $role, $error) = $self->_check_jwt($token);
			return $error if $error;
		}
	}
	$claims = { %$claims, role => $role };
	my $authed = $role ne $self->{anon};

	my $sql = $r{sql};
	$sql =~ s/\@SCHEMA\@/"$schema"/g;
	my @steps = (
		[ 'BEGIN ISOLATION LEVEL READ COMMITTED ' . ($r{read_only} ? 'READ ONLY' : 'READ WRITE') ],
		[
			"select set_config('search_path', \$1, true), set_config('role', \$2, true), "
			  . "set_config('request.jwt.claims', \$3, true), set_config('request.method', \$4, true), "
			  . "set_config('request.path', \$5, true), set_config('request.headers', \$6, true), "
			  . "set_config('request.cookies', \$7, true)",
			qq{"$schema", "public"}, $role, $json->encode($claims), $r{method}, $r{path},
			$json->encode(\%headers), '{}'
		],
		[ 'select ' . join('.', map { qq{"$_"} } split /\./, $self->{pre_request}, 2) . '()' ],
	);
	my $result;
	for my $step (@steps, [ $sql, @{ $r{params} // [] } ])
	{
		my ($text, @params) = @$step;
		push @{ $self->{log} }, $text;
		my $sth = $dbh->prepare($text);
		my $i = 0;
		for my $p (@params)
		{
			$i++;
			if ($i == 1 && defined $r{body} && $step->[0] eq $sql)
			{
				$sth->bind_param($i, $p, { pg_type => PG_JSON });
			}
			else
			{
				$sth->bind_param($i, $p);
			}
		}
		unless (defined $sth->execute)
		{
			my $response = $self->_error_response($dbh, $authed);
			push @{ $self->{log} }, 'ABORT';
			$dbh->do('ABORT');
			return $response;
		}
		$result = $sth->fetchrow_hashref if $text eq $sql;
	}
	push @{ $self->{log} }, 'COMMIT';
	$dbh->do('COMMIT') or return $self->_error_response($dbh, $authed);

	# the response (Response.hs)
	my %out_headers;
	my $status;
	my $body = defined $result->{body} && $result->{body} ne '' ? decode_json($result->{body}) : undef;
	if ($r{kind} eq 'read')
	{
		my $n = $result->{page_total};
		my $total = $result->{total_result_set};
		my $offset = $r{offset} // 0;
		$out_headers{'content-range'} =
		  ($n > 0 ? $offset . '-' . ($offset + $n - 1) : '*') . '/' . (defined $total ? $total : '*');
		$status = (defined $total && $n < $total && $n > 0) ? 206 : 200;
	}
	elsif ($r{kind} eq 'rpc')
	{
		$status = $r{void} ? 204 : 200;
		$body = undef if $r{void};
	}
	elsif ($r{method} eq 'POST')
	{
		$status = 201;
	}
	else
	{
		$status = defined $body ? 200 : 204;
	}
	$status = $result->{response_status} if defined $result->{response_status};
	return { status => $status, headers => \%out_headers, body => $body, rows => $result->{page_total} };
}

# --------------------------------------------------------------------------
# The main statements, as QueryBuilder.hs builds them (v13.0.8).  @SCHEMA@
# stands for the quoted profile schema.

# A filter col=op.value: [column, operator, value]; eq, neq, lt, gt, is
sub _where
{
	my ($table, $filters, $n) = @_;
	my %ops = (eq => '=', neq => '<>', lt => '<', lte => '<=', gt => '>', gte => '>=');
	my (@conds, @params);
	for my $f (@$filters)
	{
		my ($col, $op, $value) = @$f;
		if ($op eq 'is')
		{
			push @conds, qq{ \@SCHEMA\@."$table"."$col" IS } . uc($value);
		}
		else
		{
			push @conds, qq{ \@SCHEMA\@."$table"."$col" $ops{$op} \$} . ++$$n;
			push @params, $value;
		}
	}
	return ('', ()) unless @conds;
	return (' WHERE ' . join(' AND ', @conds), @params);
}

# GET /table?select=*[,child(*)]&filters&order=c.dir&limit=&offset= [Prefer: count=exact]
# read(table => T, filters => [...], order => [[col, 'desc'|'asc']], limit => N,
#	   offset => N, count => 1, embed => {table => C, on => [[child col, parent col], ...]})
sub read_sql
{
	my (%q) = @_;
	my $t = $q{table};
	my $n = 0;
	my $select = qq{\@SCHEMA\@."$t".*};
	my $join = '';
	if (my $e = $q{embed})
	{
		my $c = $e->{table};
		my $agg = "${t}_${c}_1";
		my $on = join(' AND ', map { qq{"${c}_1"."$_->[0]" = \@SCHEMA\@."$t"."$_->[1]"} } @{ $e->{on} });
		$select .= qq{, COALESCE( "$agg"."$agg", '[]') AS "$c"};
		$join = qq{ LEFT JOIN LATERAL ( SELECT json_agg("$agg")::jsonb AS "$agg" FROM (SELECT "${c}_1".* FROM \@SCHEMA\@."$c" AS "${c}_1" WHERE $on    ) AS "$agg" ) AS "$agg" ON TRUE};
	}
	my ($where, @params) = _where($t, $q{filters} // [], \$n);
	my $order = '';
	if ($q{order})
	{
		$order = ' ORDER BY ' . join(', ', map { qq{\@SCHEMA\@."$t"."$_->[0]" } . uc($_->[1]) . ' ' } @{ $q{order} });
	}
	my $range = '';
	if (defined $q{limit})
	{
		my ($l, $o) = ($n + 1, $n + 2);
		$n += 2;
		$range = " LIMIT \$$l OFFSET \$$o";
		push @params, $q{limit}, $q{offset} // 0;
	}
	my $sql = qq{WITH pgrst_source AS ( SELECT $select FROM \@SCHEMA\@."$t"$join$where $order$range ) };
	my $total = 'null::bigint';
	if ($q{count})
	{
		my ($cwhere, @cparams) = _where($t, $q{filters} // [], \$n);
		$sql .= qq{, pgrst_source_count AS (SELECT 1  FROM \@SCHEMA\@."$t"$cwhere) };
		push @params, @cparams;
		$total = '(SELECT pg_catalog.count(*) FROM pgrst_source_count)';
	}
	$sql .= qq{SELECT $total AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, }
	  . q{coalesce(json_agg(_postgrest_t), '[]') AS body, }
	  . q{nullif(current_setting('response.headers', true), '') AS response_headers, }
	  . q{nullif(current_setting('response.status', true), '') AS response_status, }
	  . q{'' AS response_inserted FROM ( SELECT * FROM pgrst_source ) _postgrest_t};
	return (sql => $sql, params => \@params, read_only => 1, kind => 'read', offset => $q{offset});
}

# The tail of a write's statement: with return=representation the rows as
# JSON, else nothing
sub _write_tail
{
	my ($t, $representation) = @_;
	return q{SELECT '' AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, array[]::text[] AS header, }
	  . ($representation ? q{coalesce(json_agg(_postgrest_t), '[]')} : q{''::text}) . ' AS body, '
	  . q{nullif(current_setting('response.headers', true), '') AS response_headers, }
	  . q{nullif(current_setting('response.status', true), '') AS response_status, }
	  . q{'' AS response_inserted FROM }
	  . ($representation ? qq{(SELECT "$t".* FROM "pgrst_source" AS "$t"   ) _postgrest_t} : q{(SELECT * FROM pgrst_source) _postgrest_t});
}

# The columns a JSON body sets, sorted, with their types (format_type, as
# PostgREST's schema cache reads them): "c" type, ...
sub _record_columns
{
	my ($types, $body) = @_;
	my @cols = sort keys %$body;
	return (\@cols, join(', ', map { qq{"$_" $types->{$_}} } @cols));
}

# POST /table, a JSON object body [Prefer: return=representation]
# insert_sql(table => T, types => {col => type}, body => {...}, representation => 1)
sub insert_sql
{
	my (%q) = @_;
	my $t = $q{table};
	my ($cols, $record) = _record_columns($q{types}, $q{body});
	my $list = join(', ', map { qq{"$_"} } @$cols);
	my $sql = qq{WITH pgrst_source AS (INSERT INTO \@SCHEMA\@."$t"($list) SELECT }
	  . join(', ', map { qq{"pgrst_body"."$_"} } @$cols)
	  . qq{ FROM (SELECT \$1 AS json_data) pgrst_payload, LATERAL (SELECT $list FROM json_to_record(pgrst_payload.json_data) AS _($record) ) pgrst_body  RETURNING }
	  . ($q{representation} ? qq{\@SCHEMA\@."$t".*} : '1') . ') '
	  . _write_tail($t, $q{representation});
	my $body = $json->encode($q{body});
	return (sql => $sql, params => [$body], body => $body, read_only => 0, kind => 'write');
}

# PATCH /table?filters, a JSON object body [Prefer: return=representation]
sub update_sql
{
	my (%q) = @_;
	my $t = $q{table};
	my ($cols, $record) = _record_columns($q{types}, $q{body});
	my $list = join(', ', map { qq{"$_"} } @$cols);
	my $n = 1;
	my ($where, @params) = _where($t, $q{filters} // [], \$n);
	my $sql = qq{WITH pgrst_source AS (UPDATE \@SCHEMA\@."$t" SET }
	  . join(', ', map { qq{"$_" = "pgrst_body"."$_"} } @$cols)
	  . qq{ FROM (SELECT \$1 AS json_data) pgrst_payload, LATERAL (SELECT $list FROM json_to_record(pgrst_payload.json_data) AS _($record) ) pgrst_body $where RETURNING }
	  . ($q{representation} ? qq{\@SCHEMA\@."$t".*} : '1') . ') '
	  . _write_tail($t, $q{representation});
	my $body = $json->encode($q{body});
	return (sql => $sql, params => [ $body, @params ], body => $body, read_only => 0, kind => 'write');
}

# DELETE /table?filters
sub delete_sql
{
	my (%q) = @_;
	my $t = $q{table};
	my $n = 0;
	my ($where, @params) = _where($t, $q{filters} // [], \$n);
	my $sql = qq{WITH pgrst_source AS (DELETE FROM \@SCHEMA\@."$t" $where RETURNING 1) } . _write_tail($t, 0);
	return (sql => $sql, params => \@params, read_only => 0, kind => 'write');
}

# POST /rpc/fn with a JSON object of named arguments (types as declared);
# returns => 'scalar', 'void' or 'set'; volatile => 1 for READ WRITE
sub rpc_sql
{
	my (%q) = @_;
	my $f = $q{function};
	my %args = %{ $q{args} // {} };
	my @names = @{ $q{order} // [ sort keys %args ] };
	my $record = join(', ', map { qq{"$_" $q{types}{$_}} } @names);
	my $call_args = join(', ', map { qq{"$_" := pgrst_body."$_"} } @names);
	my $payload = qq{(SELECT \$1 AS json_data) pgrst_payload, LATERAL (SELECT }
	  . join(', ', map { qq{"$_"} } @names)
	  . qq{ FROM json_to_record(pgrst_payload.json_data) AS _($record) LIMIT 1) pgrst_body };
	my $body = $json->encode(\%args);
	my ($source, $agg, $page);
	if ($q{returns} eq 'set')
	{
		$source = @names
		  ? qq{SELECT "pgrst_call".* FROM $payload, LATERAL \@SCHEMA\@."$f"($call_args) pgrst_call}
		  : qq{SELECT "pgrst_call".* FROM \@SCHEMA\@."$f"() pgrst_call};
		$agg = q{coalesce(json_agg(_postgrest_t), '[]')};
		$page = 'pg_catalog.count(_postgrest_t)';
	}
	else
	{
		$source = @names
		  ? qq{SELECT pgrst_call.pgrst_scalar FROM $payload, LATERAL (SELECT \@SCHEMA\@."$f"($call_args) pgrst_scalar) pgrst_call}
		  : qq{SELECT pgrst_call.pgrst_scalar FROM (SELECT \@SCHEMA\@."$f"() pgrst_scalar) pgrst_call};
		$agg = q{coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')};
		$page = '1';
	}
	my $sql = qq{WITH pgrst_source AS ($source) SELECT null::bigint AS total_result_set, $page AS page_total, $agg AS body, }
	  . q{nullif(current_setting('response.headers', true), '') AS response_headers, }
	  . q{nullif(current_setting('response.status', true), '') AS response_status, }
	  . qq{'' AS response_inserted FROM (SELECT "$f".* FROM "pgrst_source" AS "$f"   ) _postgrest_t};
	return (
		sql => $sql,
		params => @names ? [$body] : [],
		body => @names ? $body : undef,
		read_only => !$q{volatile},
		kind => 'rpc',
		void => $q{returns} eq 'void');
}

1;
