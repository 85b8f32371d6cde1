# A table name whose catalog-cache hash collides with tracker.jwt_keys's
# costs other backends nothing.
#
# invalidation.c watches the RELNAMENSP syscache (pg_class by relname and
# relnamespace) for invalidations with the hash value of ("jwt_keys", oid of
# schema tracker), the "anchor" behind which every backend's caches hang, so
# that a drop or rename of it (DROP EXTENSION, then CREATE EXTENSION) makes
# the anchor be resolved again.  It used to take any such invalidation for a
# change of the anchor and throw away every token the backend had verified.
# But a catcache hash is 32 bits, and anyone can find offline a name whose
# hash, in a schema of her own, equals the anchor's: a user with nothing but
# the TEMP privilege then created and dropped a temporary table of that name
# in a loop, and every other backend of the database verified its token in
# full again on every transaction.  Now such an invalidation only asks for
# the anchor to be looked up again, and the caches go stale only if it
# really has gone or changed.
#
# The test computes a colliding name for the attacker's own temporary schema
# (in Perl, by inverting PostgreSQL's hash, see below), checks that it does
# collide, runs the attack against a victim session that holds a verified
# token, and asserts with tracker._verifications() (this backend's count of
# full verifications) that the victim verified its token once and never
# again.  A control shows that a real change of the anchor, a rename and a
# rename back, still makes the victim verify again.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use lib 'test/perl';
use TrackerTest;

#
# PostgreSQL 15's catalog-cache hash, in Perl
#
# catcache.c, CatalogCacheComputeHashValue, for a cache of two keys:
#
#	hash = hashfunc[0](key1) ^ pg_rotate_left32(hashfunc[1](key2), 8)
#
# RELNAMENSP's keys are relname (a name: namehashfast, which is
# hash_any(bytes, strlen), that is hash_bytes of src/common/hashfn.c, Bob
# Jenkins' lookup3) and relnamespace (an oid: int4hashfast, which is
# murmurhash32 of common/hashfn.h).  All arithmetic is on 32-bit unsigned
# words, so every result is masked to 32 bits.  The three state words that
# hashfn.c calls a, b, c are $A, $B, $C here (Perl's $a and $b belong to
# sort).
#

use constant MASK32 => 0xffffffff;

sub rot32
{
	my ($x, $k) = @_;
	return (($x << $k) | ($x >> (32 - $k))) & MASK32;
}

# a 32-bit product, in two halves so that Perl never leaves integers
sub mul32
{
	my ($x, $m) = @_;
	return ($x * ($m & 0xffff) + ((($x * ($m >> 16)) & 0xffff) << 16)) & MASK32;
}

sub murmurhash32
{
	my ($h) = @_;
	$h ^= $h >> 16;
	$h = mul32($h, 0x85ebca6b);
	$h ^= $h >> 13;
	$h = mul32($h, 0xc2b2ae35);
	$h ^= $h >> 16;
	return $h;
}

# hashfn.c's mix(a, b, c)
sub lookup3_mix
{
	my ($A, $B, $C) = @_;
	$A = ($A - $C) & MASK32; $A ^= rot32($C, 4);  $C = ($C + $B) & MASK32;
	$B = ($B - $A) & MASK32; $B ^= rot32($A, 6);  $A = ($A + $C) & MASK32;
	$C = ($C - $B) & MASK32; $C ^= rot32($B, 8);  $B = ($B + $A) & MASK32;
	$A = ($A - $C) & MASK32; $A ^= rot32($C, 16); $C = ($C + $B) & MASK32;
	$B = ($B - $A) & MASK32; $B ^= rot32($A, 19); $A = ($A + $C) & MASK32;
	$C = ($C - $B) & MASK32; $C ^= rot32($B, 4);  $B = ($B + $A) & MASK32;
	return ($A, $B, $C);
}

# hashfn.c's final(a, b, c)
sub lookup3_final
{
	my ($A, $B, $C) = @_;
	$C ^= $B; $C = ($C - rot32($B, 14)) & MASK32;
	$A ^= $C; $A = ($A - rot32($C, 11)) & MASK32;
	$B ^= $A; $B = ($B - rot32($A, 25)) & MASK32;
	$C ^= $B; $C = ($C - rot32($B, 16)) & MASK32;
	$A ^= $C; $A = ($A - rot32($C, 4)) & MASK32;
	$B ^= $A; $B = ($B - rot32($A, 14)) & MASK32;
	$C ^= $B; $C = ($C - rot32($B, 24)) & MASK32;
	return ($A, $B, $C);
}

# hash_bytes(k, len) on a little-endian machine (the aligned and unaligned
# paths of hashfn.c read the same words there)
sub hash_bytes
{
	my ($str) = @_;
	my @k = unpack('C*', $str);
	my $len = scalar(@k);
	my $A = (0x9e3779b9 + $len + 3923095) & MASK32;
	my ($B, $C) = ($A, $A);
	my $i = 0;

	# whole blocks of 12 bytes: three little-endian words, then mix
	while ($len >= 12)
	{
		my ($w0, $w1, $w2) = unpack('V3', substr($str, $i, 12));
		$A = ($A + $w0) & MASK32;
		$B = ($B + $w1) & MASK32;
		$C = ($C + $w2) & MASK32;
		($A, $B, $C) = lookup3_mix($A, $B, $C);
		$i += 12;
		$len -= 12;
	}

	# the last 0 to 11 bytes: bytes 0-3 into a, 4-7 into b, 8-10 into c
	# from its second byte up (its lowest byte is left for the length)
	my @t = (@k[$i .. $#k], (0) x 11);
	$A = ($A + $t[0] + ($t[1] << 8) + ($t[2] << 16) + ($t[3] << 24)) & MASK32
	  if $len >= 1;
	$B = ($B + $t[4] + ($t[5] << 8) + ($t[6] << 16) + ($t[7] << 24)) & MASK32
	  if $len >= 5;
	$C = ($C + ($t[8] << 8) + ($t[9] << 16) + ($t[10] << 24)) & MASK32
	  if $len >= 9;

	($A, $B, $C) = lookup3_final($A, $B, $C);
	return $C;
}

# the RELNAMENSP hash of (relname, relnamespace)
sub relnamensp_hash
{
	my ($relname, $nsp_oid) = @_;
	return hash_bytes($relname) ^ rot32(murmurhash32($nsp_oid), 8);
}

#
# Finding a colliding name: hash_bytes run backwards
#
# For a name of exactly 12 bytes, hash_bytes is
#
#	a = b = c = 0x9e3779b9 + 12 + 3923095
#	a += w0; b += w1; c += w2		(the name's three little-endian words)
#	mix(a, b, c); final(a, b, c); return c
#
# mix and final are each a bijection of the three words (every step is an
# add, subtract or xor of one word with a function of another), so both
# can be undone step by step, last step first.  Choose the outputs a and b
# at random and c = the hash wanted, undo final, undo mix, subtract the
# initial value: the result is a 12-byte string that hashes to the value
# wanted.  It is kept when its bytes are all usable in an identifier and
# drawn again otherwise.
#
# Which bytes are usable decides the cost.  Lower-case letters and digits,
# 36 of 256 byte values, would take (256/36)^12, about 1.7e10 draws: too
# many for Perl (the 7-letter name of the report took a search of the
# order of 2^32 names).  So the name is a quoted identifier of printable
# ASCII without the double quote (the quoting character), the colon and
# the backslash (special to psql, which sends the name): 91 byte values,
# (256/91)^12, about 2.5e5 draws on average, a second or two.
#

# undoes lookup3_mix: its steps in reverse, each one inverted
sub lookup3_unmix
{
	my ($A, $B, $C) = @_;
	$B = ($B - $A) & MASK32; $C ^= rot32($B, 4);  $C = ($C + $B) & MASK32;
	$A = ($A - $C) & MASK32; $B ^= rot32($A, 19); $B = ($B + $A) & MASK32;
	$C = ($C - $B) & MASK32; $A ^= rot32($C, 16); $A = ($A + $C) & MASK32;
	$B = ($B - $A) & MASK32; $C ^= rot32($B, 8);  $C = ($C + $B) & MASK32;
	$A = ($A - $C) & MASK32; $B ^= rot32($A, 6);  $B = ($B + $A) & MASK32;
	$C = ($C - $B) & MASK32; $A ^= rot32($C, 4);  $A = ($A + $C) & MASK32;
	return ($A, $B, $C);
}

# undoes lookup3_final: "x ^= y; x -= rot(y, k)" is undone by
# "x += rot(y, k); x ^= y", y being unchanged by that step
sub lookup3_unfinal
{
	my ($A, $B, $C) = @_;
	$C = (($C + rot32($B, 24)) & MASK32) ^ $B;
	$B = (($B + rot32($A, 14)) & MASK32) ^ $A;
	$A = (($A + rot32($C, 4)) & MASK32) ^ $C;
	$C = (($C + rot32($B, 16)) & MASK32) ^ $B;
	$B = (($B + rot32($A, 25)) & MASK32) ^ $A;
	$A = (($A + rot32($C, 11)) & MASK32) ^ $C;
	$C = (($C + rot32($B, 14)) & MASK32) ^ $B;
	return ($A, $B, $C);
}

# a 12-byte name whose hash_bytes is $want
sub name_with_hash
{
	my ($want) = @_;
	my $init = (0x9e3779b9 + 12 + 3923095) & MASK32;
	my $usable = qr/^[\x21\x23-\x39\x3b-\x5b\x5d-\x7e]{12}\z/;

	# a fixed seed: the same oids give the same name on every run
	srand(8);
	for my $draw (1 .. 20_000_000)
	{
		my ($A, $B, $C) = lookup3_unmix(
			lookup3_unfinal(int(rand(2**32)), int(rand(2**32)), $want));
		my $name = pack('V3',
			($A - $init) & MASK32, ($B - $init) & MASK32, ($C - $init) & MASK32);
		if ($name =~ $usable)
		{
			note "colliding name found after $draw draws";
			return $name;
		}
	}
	die "no usable name with hash $want";
}

# a name as a SQL string literal (standard_conforming_strings is on)
sub sql_literal
{
	my ($str) = @_;
	$str =~ s/'/''/g;
	return "'$str'";
}

#
# The Perl hash against the server's and against the original report
#
my $tenant_a = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
my $secret_file = 'test/keys/test-only-hs256.secret';

my $node = tracker_node('name_collision');
# what is counted is this backend's own cache: a token it has thrown away
# must not come back from the server's shared cache instead
$node->append_conf('postgresql.conf', "tracker.shared_context_cache_size = 0\n");
$node->start;

# hashtext() is hash_any over the bytes of the text: the same hash_bytes as
# namehashfast's.  Lengths 0 to 30 cover no block, one, two, and every size
# of tail.
for my $str ('', 'a', 'abcd', 'jwt_keys', 'tracker', 'abcdefghijk',
	'abcdefghijkl', 'abcdefghijklm', 'xmmwu3y', 'The quick brown fox jumps over')
{
	my $server = $node->safe_psql('postgres',
		'SELECT hashtext(' . sql_literal($str) . ')::bigint & 4294967295');
	is(hash_bytes($str), $server, "hash_bytes('$str') is the server's hashtext()");
}

# The collision of the report (schema tracker with oid 16384, the
# attacker's temporary schema with oid 16894), found against a real server:
# it checks the combination of the two keys' hashes, murmurhash32 included,
# which no SQL function exposes.
is( relnamensp_hash('xmmwu3y', 16894),
	relnamensp_hash('jwt_keys', 16384),
	'RELNAMENSP hash of ("xmmwu3y", 16894) = that of ("jwt_keys", 16384)');

#
# A victim with a verified token
#
$node->safe_psql('postgres', 'CREATE EXTENSION tracker');
$node->safe_psql(
	'postgres', qq{
	SELECT tracker.create_tenant('tap-a', 'Tap A', 'basic', tenant_id => '$tenant_a');
	SELECT tracker.add_user('$tenant_a', 'alice', 'alice\@a.example', 'admin');});
my $secret = slurp_file($secret_file);
# (a test-only secret; still kept out of the server log)
$node->safe_psql('postgres',
	"SET log_statement = 'none'; SELECT tracker.add_key('k1', 'HS256', '$secret')");
my $tok_a = mint(claims => qq({"sub":"alice","tenant_id":"$tenant_a"}));
# tokens live in a table, so that no query text (which the log shows) has one
$node->safe_psql('postgres',
	"CREATE TABLE toks (name text PRIMARY KEY, tok text NOT NULL);
	 INSERT INTO toks VALUES ('a', '$tok_a');");

# the attacker: a login role with TEMP on the database and nothing else
$node->safe_psql(
	'postgres', q{
	CREATE ROLE regress_attacker LOGIN;
	REVOKE TEMPORARY ON DATABASE postgres FROM PUBLIC;
	GRANT TEMPORARY ON DATABASE postgres TO regress_attacker;});

my $victim = $node->background_psql('postgres');
is( $victim->query_safe(
		"SELECT tracker.authenticate(tok) ->> 'sub' FROM toks WHERE name = 'a'"),
	'alice',
	'the victim authenticates');
is($victim->query_safe('SELECT tracker._verifications()'),
	'1', 'the victim has verified its token once');
is($victim->query_safe('SELECT tracker.current_tenant()'),
	$tenant_a, 'the victim has tenant A');

#
# The attacker computes her name
#
my $attacker = $node->background_psql('postgres',
	extra_params => [ '-U', 'regress_attacker' ]);
is($attacker->query_safe('SELECT current_user'),
	'regress_attacker', 'the attacker is connected as regress_attacker');
# her temporary schema exists once she has a temporary object
$attacker->query_safe('CREATE TEMP TABLE warm_up ()');
my $temp_nsp = $attacker->query_safe('SELECT pg_my_temp_schema()::oid');
my $tracker_nsp =
  $attacker->query_safe("SELECT 'tracker'::regnamespace::oid");
note "schema tracker: $tracker_nsp, the attacker's temporary schema: $temp_nsp";
isnt($temp_nsp, $tracker_nsp,
	'the attacker\'s temporary schema is not schema tracker');

my $anchor_hash = relnamensp_hash('jwt_keys', $tracker_nsp);
# what the name's own hash_bytes must be for the pair to hash to the anchor's
my $name = name_with_hash($anchor_hash ^ rot32(murmurhash32($temp_nsp), 8));
note "colliding name: $name";
isnt($name, 'jwt_keys', 'the colliding name is not jwt_keys');
is(relnamensp_hash($name, $temp_nsp),
	$anchor_hash,
	'the name in the attacker\'s temporary schema has the anchor\'s hash');
is( $node->safe_psql(
		'postgres',
		'SELECT hashtext(' . sql_literal($name) . ')::bigint & 4294967295'),
	hash_bytes($name),
	'... and the server hashes the name as Perl does');

#
# The attack: create and drop a temporary table of that name, each in its own
# transaction, 50 times; each sends every backend an invalidation with the
# anchor's hash
#
$attacker->query_safe(qq{CREATE TEMP TABLE "$name" ()});
is( $attacker->query_safe(
		'SELECT relnamespace = pg_my_temp_schema() FROM pg_class WHERE relname = '
		  . sql_literal($name)),
	't',
	'the table has the colliding name, in the attacker\'s temporary schema');
$attacker->query_safe(qq{DROP TABLE "$name"});
for my $i (2 .. 50)
{
	$attacker->query_safe(qq{CREATE TEMP TABLE "$name" ()});
	$attacker->query_safe(qq{DROP TABLE "$name"});
}

# the victim's next transactions: each reads the invalidations that came
# before it, and its context
my @tenants;
push @tenants, $victim->query_safe('SELECT tracker.current_tenant()')
  for 1 .. 20;
is(scalar(grep { $_ eq $tenant_a } @tenants),
	20, 'the victim has tenant A in 20 transactions after the attack');
is($victim->query_safe('SELECT tracker._verifications()'),
	'1', '... and has verified its token no more');

# the attack as reported: an invalidation before every transaction of the
# victim's
@tenants = ();
for my $i (1 .. 20)
{
	$attacker->query_safe(qq{CREATE TEMP TABLE "$name" ()});
	$attacker->query_safe(qq{DROP TABLE "$name"});
	push @tenants, $victim->query_safe('SELECT tracker.current_tenant()');
}
is(scalar(grep { $_ eq $tenant_a } @tenants),
	20, 'the victim has tenant A in 20 transactions, each after an attack');
is($victim->query_safe('SELECT tracker._verifications()'),
	'1', '... and still has verified its token only once');

#
# Control: a real change of the anchor does reach the victim.  A rename of
# tracker.jwt_keys sends a relcache invalidation of the anchor itself, and
# relcache_callback moves the victim's generation at once; it also sends the
# name invalidations of the old and the new name, after which the victim
# looks the anchor up again and finds the same table (renamed back).  The
# victim reads both renames' invalidations at the start of its next
# transaction, so it verifies its token once more, not twice, and then
# holds it again.
#
$node->safe_psql(
	'postgres', q{
	ALTER TABLE tracker.jwt_keys RENAME TO jwt_keys_x;
	ALTER TABLE tracker.jwt_keys_x RENAME TO jwt_keys;});
is($victim->query_safe('SELECT tracker.current_tenant()'),
	$tenant_a, 'after a rename and a rename back, the victim has tenant A');
is($victim->query_safe('SELECT tracker._verifications()'),
	'2', '... which it has verified again, once');
is($victim->query_safe('SELECT tracker.current_tenant()'),
	$tenant_a, 'in its next transaction the victim has tenant A');
is($victim->query_safe('SELECT tracker._verifications()'),
	'2', '... from its cache');

$attacker->quit;
$victim->quit;
$node->stop;

done_testing();
