#!/usr/bin/env bash
#
# test/bench/usage.sh -- what counting API calls costs: 16 sessions of one
# tenant authenticate in a loop, one call per transaction, with counting on
# and off.  The two scripts differ only in the value they give
# tracker.count_usage for the transaction, and run interleaved in the same
# pgbench run (each client picks one at random for each transaction), so
# that both see the same machine at the same moments; the run is repeated
# for --rounds rounds.  Prints the throughput of each and the ratio, as
# markdown.  Starts its own throwaway cluster with shared_preload_libraries
# = 'tracker', as test/run does.
#
# Usage: test/bench/usage.sh [--seconds S] [--clients C] [--rounds R]

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/cluster.sh
. "$REPO_ROOT/test/cluster.sh"

SECONDS_PER_RUN=20
CLIENTS=16
ROUNDS=3
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) SECONDS_PER_RUN=$2; shift ;;
        --clients) CLIENTS=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        *) err "unknown option $1"; exit 1 ;;
    esac
    shift
done

ensure_packages
build_and_install >/dev/null
DIR=$(mktemp -d /tmp/tracker-bench-usage.XXXXXX)
chmod 0755 "$DIR"
trap 'stop_cluster "$DIR"; remove_dir "$DIR"' EXIT
start_cluster "$DIR" "max_connections = 50" "synchronous_commit = off"
psql_su() { (cd /tmp && as_postgres "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"); }

TENANT=0b5e55ed-0000-4000-8000-00000000b0b0
SECRET=$(openssl rand -hex 32)
psql_su -c "CREATE EXTENSION tracker"
psql_su -c "SET log_statement = 'none'" -c "SELECT tracker.add_key('bench', 'HS256', '$SECRET')" >/dev/null
psql_su -c "SELECT tracker.create_tenant('busy', 'Busy', 'premium', tenant_id => '$TENANT')" >/dev/null
psql_su -c "SELECT tracker.add_user('$TENANT', 'bench', 'bench@busy.example', 'user')" >/dev/null
# no quota and no rate limit: what is measured is the counting itself
psql_su -c "SELECT tracker.set_tenant_limit('$TENANT', l, NULL)
            FROM unnest('{request_burst, requests_per_second, api_calls_per_month}'::text[]) l" >/dev/null
TOKEN=$(psql_su -At -c "SELECT tracker.sign_token(jsonb_build_object('sub', 'bench', 'tenant_id', '$TENANT',
                          'exp', extract(epoch FROM now() + interval '1 day')::bigint), 'bench')")

SCRIPTS=$(mktemp -d /tmp/tracker-bench-usage-scripts.XXXXXX)
chmod 0755 "$SCRIPTS"
for v in on off; do
    printf "SELECT pg_catalog.set_config('tracker.count_usage', '%s', true), tracker.authenticate(:token, true) IS NOT NULL;\n" \
        "$v" >"$SCRIPTS/$v.sql"
    chmod 0644 "$SCRIPTS/$v.sql"
done

log "$ROUNDS rounds of $SECONDS_PER_RUN s, $CLIENTS clients, counting on and off interleaved"
printf '\n| round | counting on (TPS) | counting off (TPS) | on to off |\n|---|---:|---:|---:|\n'
ratios=()
for r in $(seq 1 "$ROUNDS"); do
    out=$(cd /tmp && as_postgres "$PG_BINDIR/pgbench" -n -M prepared -T "$SECONDS_PER_RUN" \
              -c "$CLIENTS" -j 2 -D token="$TOKEN" \
              -f "$SCRIPTS/on.sql@1" -f "$SCRIPTS/off.sql@1" postgres)
    on=$(awk '/^SQL script 1:/ {s = 1} /^SQL script 2:/ {s = 2} /^ - [0-9]+ transactions/ && s == 1 {print $2}' <<<"$out")
    off=$(awk '/^SQL script 1:/ {s = 1} /^SQL script 2:/ {s = 2} /^ - [0-9]+ transactions/ && s == 2 {print $2}' <<<"$out")
    ratio=$(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.3f", a / b}')
    ratios+=("$ratio")
    printf '| %d | %.0f | %.0f | %s |\n' "$r" "$(awk -v n="$on" -v s="$SECONDS_PER_RUN" 'BEGIN {print n / s}')" \
        "$(awk -v n="$off" -v s="$SECONDS_PER_RUN" 'BEGIN {print n / s}')" "$ratio"
done
printf '\nMedian ratio, counting on to off: %s\n' \
    "$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')"
printf 'API calls counted for the tenant: %s\n' \
    "$(psql_su -At -c "SELECT api_calls_this_month FROM tracker.tenant_usage('$TENANT')")"
rm -rf "$SCRIPTS"
