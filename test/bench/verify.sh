#!/usr/bin/env bash
#
# test/bench/verify.sh -- what a token costs the first time: presented one
# request per transaction, as PostgREST and pooled clients present it.
#
# Starts its own cluster (shared_preload_libraries = 'tracker'), loads 1,000
# pooled tenants with 3 users and 100 issues each, mints tokens, and runs
# one pgbench run (2 clients, -M prepared) of three scripts side by side,
# pgbench choosing one of them for each transaction:
#   warm:   a token this backend has verified before (any user's)
#   shared: a token this backend has not seen, that another backend
#           verified before the round: found in the server's shared cache
#   new:    a token no backend has seen: verified in full
# Each transaction authenticates its token (transaction-local) and reads
# the tenant's newest 50 open issues.  Reports each script's mean latency
# and its extra time over "warm": the cost of the first verification of a
# token in this server, and of one found in the shared cache.
#
# Usage: test/bench/verify.sh [--seconds S] [--rounds R]

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/cluster.sh
. "$REPO_ROOT/test/cluster.sh"

SECONDS_PER_RUN=20
ROUNDS=3
CLIENTS=2
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) SECONDS_PER_RUN=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        *) err "unknown option $1"; exit 1 ;;
    esac
    shift
done
# tokens for the "shared" and "new" scripts, one per transaction, with room
# to spare (a third of at most 18,000 transactions a second per client)
PER_CLIENT=$((SECONDS_PER_RUN * 6000))

ensure_packages
build_and_install >/dev/null
DIR=$(mktemp -d /tmp/tracker-bench-verify.XXXXXX)
chmod 0755 "$DIR"
OUT=$(mktemp -d /tmp/tracker-bench-verify-out.XXXXXX)
chmod 0777 "$OUT"
trap 'stop_cluster "$DIR"; remove_dir "$DIR"; rm -rf "$OUT"' EXIT
start_cluster "$DIR" "shared_buffers = 512MB" "tracker.shared_context_cache_size = $((PER_CLIENT * CLIENTS * 2))"
die() { err "$*"; exit 1; }
psql_su() { (cd /tmp && as_postgres "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"); }

SECRET=$(openssl rand -hex 32)
log "loading 1,000 tenants, 3,000 users, 100,000 issues; minting tokens"
psql_su <<SQL >/dev/null
CREATE EXTENSION tracker;
SET log_statement = 'none';
SELECT tracker.add_key('bench', 'HS256', '$SECRET');
RESET log_statement;
SELECT tracker.create_tenant('tenant-' || n, 'Tenant ' || n, 'standard',
                             tenant_id => ('7e000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid)
FROM generate_series(1, 1000) n;
SELECT tracker.add_user(t.id, t.slug || '-u' || k, t.slug || '-u' || k || '@bench.example',
                        CASE k WHEN 1 THEN 'admin' ELSE 'user' END)
FROM tracker.tenants t, generate_series(1, 3) k;
-- no quota and no rate limit: the run makes thousands of calls a second
SELECT tracker.set_tenant_limit(t.id, l, NULL)
FROM tracker.tenants t, unnest('{request_burst, requests_per_second, api_calls_per_month}'::text[]) l;
SET session_replication_role = replica;
INSERT INTO tracker_pool.issues (tenant_id, number, key, title, reporter_id, created_at)
SELECT u.tenant_id, row_number() OVER (PARTITION BY u.tenant_id ORDER BY u.subject, n),
       'K-' || row_number() OVER (PARTITION BY u.tenant_id ORDER BY u.subject, n), 'issue ' || n, u.id,
       now() - n * interval '1 minute'
FROM tracker_pool.users u, generate_series(1, 34) n;
RESET session_replication_role;
VACUUM ANALYZE;
CREATE ROLE bench_app LOGIN IN ROLE tracker_user;
-- every user's token, for "warm"; for "shared" and "new", tokens minted
-- with a jti so that each is a different token, client c of round r
-- taking the next from (r * CLIENTS + c) * 10,000,000
CREATE TABLE bench_tokens (kind text, n int, tok text NOT NULL, PRIMARY KEY (kind, n));
INSERT INTO bench_tokens
SELECT 'user', row_number() OVER (ORDER BY u.tenant_id, u.subject),
       tracker.sign_token(jsonb_build_object('sub', u.subject, 'tenant_id', u.tenant_id,
                                             'exp', extract(epoch FROM now() + interval '1 day')::bigint), 'bench')
FROM tracker_pool.users u;
CREATE TABLE bench_users AS
SELECT row_number() OVER (ORDER BY tenant_id, subject) - 1 AS k, subject, tenant_id FROM tracker_pool.users;
INSERT INTO bench_tokens
SELECT kind, (r * $CLIENTS + c) * 10000000 + i,
       tracker.sign_token(jsonb_build_object('sub', u.subject, 'tenant_id', u.tenant_id, 'jti', kind || '-' || r || '-' || c || '-' || i,
                                             'exp', extract(epoch FROM now() + interval '1 day')::bigint), 'bench')
FROM unnest('{shared, new}'::text[]) kind, generate_series(1, $ROUNDS) r, generate_series(0, $CLIENTS - 1) c,
     generate_series(1, $PER_CLIENT) i
JOIN bench_users u ON u.k = (i * 7919) % 3000;
GRANT SELECT ON bench_tokens TO bench_app;
SQL

# script NAME PICK WHICH: a transaction that picks a token (a pgbench \set),
# authenticates the token of bench_tokens WHICH selects, and reads the list
script() {
    cat >"$OUT/$1.sql" <<SQL
$2
BEGIN;
SELECT tracker.authenticate(tok, true) IS NOT NULL FROM bench_tokens WHERE $3;
SELECT count(*) FROM (SELECT id FROM issues WHERE status = 'open' ORDER BY created_at DESC LIMIT 50) s;
COMMIT;
SQL
}
# warm: any user's token, from every tenant like the others (so that the
# data read is as cold as theirs); after its first few seconds, each is in
# this backend's own cache
script warm '\set k random(1, 3000)' "kind = 'user' AND n = :k"
# shared: the client's next token that another backend has verified
script shared '\set j :j + 1' "kind = 'shared' AND n = :j + :client_id * 10000000"
# new: the client's next token that no backend has seen
script new '\set i :i + 1' "kind = 'new' AND n = :i + :client_id * 10000000"
chmod 0644 "$OUT"/*.sql

# the warm tokens, verified once
psql_su -c "SELECT count(tracker.authenticate(tok)) FROM bench_tokens WHERE kind = 'user'" >/dev/null

printf '\n| round | warm: mean (us) | shared: mean (us) | new: mean (us) | shared - warm (us) | new - warm (us) |\n|---|---:|---:|---:|---:|---:|\n'
for r in $(seq 1 "$ROUNDS"); do
    # this round's "shared" tokens, verified by another backend (this one),
    # which reads the users' teams too, as serving a request would
    psql_su -c "SELECT count(*) FROM (SELECT tracker.authenticate(tok) AS claims, tracker.current_teams() AS teams
                                      FROM bench_tokens WHERE kind = 'shared' AND n / 10000000 / $CLIENTS = $r) s" >/dev/null
    (cd /tmp && as_postgres "$PG_BINDIR/pgbench" -n -M prepared -U bench_app -T "$SECONDS_PER_RUN" \
        -c "$CLIENTS" -j "$CLIENTS" -D i="$((r * CLIENTS * 10000000))" -D j="$((r * CLIENTS * 10000000))" \
        -l --log-prefix="$OUT/log.$r" -f "$OUT/warm.sql" -f "$OUT/shared.sql" -f "$OUT/new.sql" postgres) >"$OUT/run.$r" 2>&1 ||
        { cat "$OUT/run.$r" >&2; exit 1; }
    # each script's mean latency in us, from the per-transaction logs (script
    # numbers in the order of the -f options)
    mapfile -t means < <(cat "$OUT/log.$r".* | awk '{n[$4]++; s[$4] += $3}
                                               END {for (k = 0; k < 3; k++) printf "%.1f\n", n[k] ? s[k] / n[k] : 0}')
    [ "${#means[@]}" -eq 3 ] || { cat "$OUT/run.$r" >&2; die "pgbench logged no transactions"; }
    printf '| %d | %s | %s | %s | %.1f | %.1f |\n' "$r" "${means[0]}" "${means[1]}" "${means[2]}" \
        "$(awk -v a="${means[1]}" -v b="${means[0]}" 'BEGIN {print a - b}')" \
        "$(awk -v a="${means[2]}" -v b="${means[0]}" 'BEGIN {print a - b}')"
done
verified=$(psql_su -At -c "SELECT count(*) FROM bench_tokens WHERE kind = 'new'")
printf '\n(%s tokens minted for "new"; %d clients, %d s per round, -M prepared)\n' "$verified" "$CLIENTS" "$SECONDS_PER_RUN"
