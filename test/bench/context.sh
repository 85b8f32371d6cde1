#!/usr/bin/env bash
#
# test/bench/context.sh -- what the verified context costs per statement.
#
# Starts a throwaway cluster, then runs pgbench three times, each run with
# the trivial baseline (SELECT 1) side by side with the statements measured,
# so that every ratio compares numbers taken in the same run:
#   1. SELECT 1 | SELECT tracker.current_tenant()   (session token, verified once)
#   2. SELECT 1 | tracker.authenticate(token already verified, local)
#   3. SELECT 1 | sign a new HS256 token | sign a new token and authenticate it
# The cost of verifying a new token is (3c - 3b).  Also times the context
# function in a tight loop inside one statement, to show its per-call cost.
#
# Usage: test/bench/context.sh [SECONDS per run, default 10] [CLIENTS, default 1]

set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_ROOT/test/cluster.sh"
SECONDS_PER_RUN=${1:-10}
CLIENTS=${2:-1}
DIR=$(mktemp -d /tmp/tracker-bench.XXXXXX)
trap '[ -s "$DIR/pgbench.err" ] && tail -5 "$DIR/pgbench.err" >&2; stop_cluster "$DIR"; remove_dir "$DIR"' EXIT

cd "$REPO_ROOT"
ensure_packages
build_and_install >/dev/null
start_cluster "$DIR"
PSQL=("$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d postgres)
TENANT=5e0b3c1e-6f59-4a47-9d7e-3f1f3c6f2a10

SECRET=$(openssl rand -hex 32)
"${PSQL[@]}" -c "CREATE EXTENSION tracker"
"${PSQL[@]}" -c "SELECT tracker.add_key('bench-hs256', 'HS256', '$SECRET')" >/dev/null
"${PSQL[@]}" -c "SELECT tracker.create_tenant('bench', 'Bench', 'platinum', tenant_id => '$TENANT')" >/dev/null
"${PSQL[@]}" -c "SELECT tracker.add_user('$TENANT', 'bench', 'bench@bench.example', 'user')" >/dev/null
# no rate limit: the runs authenticate thousands of times a second (counted all the same)
"${PSQL[@]}" -c "SELECT tracker.set_tenant_limit('$TENANT', l, NULL)
                 FROM unnest('{request_burst, requests_per_second}'::text[]) l" >/dev/null
TOKEN=$("${PSQL[@]}" -At -c "SELECT tracker.sign_token(jsonb_build_object('sub','bench','tenant_id','$TENANT','exp', extract(epoch FROM now() + interval '1 day')::bigint), 'bench-hs256')")

B=test/bench/context
run() {  # run NAME script... : prints per-script "latency average" in ms
    PGOPTIONS="-c tracker.token=$TOKEN" "$PG_BINDIR/pgbench" -n -M prepared -T "$SECONDS_PER_RUN" \
        -c "$CLIENTS" -j "$CLIENTS" -D tenant="$TENANT" -D token="$TOKEN" "$@" postgres 2>"$DIR/pgbench.err" |
        awk '/^SQL script [0-9]+:/ {name=$4} /^ - latency average/ {print name, $5}'
}

printf '\n| run | statement | mean latency (ms) | ratio to SELECT 1 |\n|---|---|---|---|\n'
report() {  # report RUN: reads "script latency" pairs
    local run=$1 base=""
    while read -r script lat; do
        [ -z "$base" ] && base=$lat
        awk -v r="$run" -v s="$(basename "$script" .sql)" -v l="$lat" -v b="$base" \
            'BEGIN { printf "| %s | %s | %.4f | %.3f |\n", r, s, l, l / b }'
    done
}
run -f $B/select1.sql -f $B/current_tenant.sql | report 1
run -f $B/select1.sql -f $B/auth_cached.sql | report 2
run -f $B/select1.sql -f $B/sign_only.sql -f $B/auth_new.sql | report 3

printf '\nPer call, inside one statement (1,000,000 calls, baseline count(1) subtracted):\n'
PGOPTIONS="-c tracker.token=$TOKEN" "${PSQL[@]}" <<'SQL'
DO $$
DECLARE
	t0 timestamptz;
	t1 timestamptz;
	t2 timestamptz;
BEGIN
	PERFORM tracker.current_tenant();		-- first use verifies the token
	t0 := clock_timestamp();
	PERFORM count(1) FROM generate_series(1, 1000000);
	t1 := clock_timestamp();
	PERFORM count(tracker.current_tenant()) FROM generate_series(1, 1000000);
	t2 := clock_timestamp();
	RAISE NOTICE 'tracker.current_tenant(): % ns per call',
		round(extract(epoch FROM (t2 - t1) - (t1 - t0)) * 1000, 1);
END
$$;
SQL
