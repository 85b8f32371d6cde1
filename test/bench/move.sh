#!/usr/bin/env bash
#
# test/bench/move.sh -- what a move costs the other tenants: their latency
# while one tenant with 100,000 issues and 300,000 comments moves from the
# pool into a silo of its own, against the same workload with no move.
#
# Starts its own cluster (shared_preload_libraries = 'tracker'), loads 200
# small pooled tenants and the big one, and runs one pgbench workload of the
# small tenants (each transaction: authenticate one of their users, read the
# newest 20 open issues, add a comment) twice per round, for --seconds each:
# once alone, once while tracker.change_tier() moves the big tenant to
# platinum (and, in the next round, back).  Reports p50, p99 and mean
# latency of the run alone and of the transactions of the other run that
# ended while the move ran, their p99 ratio, and how long each move took.
#
# Usage: test/bench/move.sh [--seconds S] [--clients C] [--rounds R] [--issues N]
#                           [--rate TPS] [--pace ROWS] [--windows W]
#   --rate: run the small tenants' workload at this many transactions a
#           second (pgbench -R; latency then includes the schedule lag)
#   --pace: tracker.move_rows_per_second for the move (default: its default)
#   --windows: also report the p99 of the run with the move in windows of W
#           seconds from the start of the move, to see which part of the move
#           costs the others what (the tables go one after another)

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/cluster.sh
. "$REPO_ROOT/test/cluster.sh"

SECONDS_PER_RUN=30
CLIENTS=4
ROUNDS=2
ISSUES=100000
RATE=0
PACE=
WINDOWS=0
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) SECONDS_PER_RUN=$2; shift ;;
        --clients) CLIENTS=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        --issues) ISSUES=$2; shift ;;
        --rate) RATE=$2; shift ;;
        --pace) PACE=$2; shift ;;
        --windows) WINDOWS=$2; shift ;;
        *) err "unknown option $1"; exit 1 ;;
    esac
    shift
done

ensure_packages
build_and_install >/dev/null
DIR=$(mktemp -d /tmp/tracker-bench-move.XXXXXX)
chmod 0755 "$DIR"
OUT=$(mktemp -d /tmp/tracker-bench-move-out.XXXXXX)
chmod 0777 "$OUT"
trap 'stop_cluster "$DIR"; remove_dir "$DIR"; rm -rf "$OUT"' EXIT
start_cluster "$DIR" "max_connections = 50" "shared_buffers = 1GB" "max_wal_size = 4GB"
psql_su() { (cd /tmp && as_postgres "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"); }

BIG=b1900000-0000-4000-8000-0000000b1900
SECRET=$(openssl rand -hex 32)
log "loading 200 small tenants and one with $ISSUES issues and $((ISSUES * 3)) comments"
psql_su <<SQL >/dev/null
CREATE EXTENSION tracker;
SET log_statement = 'none';
SELECT tracker.add_key('bench', 'HS256', '$SECRET');
RESET log_statement;
SELECT tracker.create_tenant('big', 'Big', 'premium', tenant_id => '$BIG');
SELECT tracker.add_user('$BIG', 'big-1', 'big-1@big.example', 'super_admin');
SELECT tracker.create_tenant('small-' || n, 'Small ' || n, 'standard',
                             tenant_id => ('51000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid)
FROM generate_series(1, 200) n;
SELECT tracker.add_user(('51000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'u' || n, 'u' || n || '@small.example', 'admin')
FROM generate_series(1, 200) n;
-- no quota and no rate limit: the runs make many calls a second
SELECT tracker.set_tenant_limit(t.id, l, NULL)
FROM tracker.tenants t, unnest('{request_burst, requests_per_second, api_calls_per_month}'::text[]) l;
-- the rows, loaded as the owner with the row triggers off (numbers given here)
SET session_replication_role = replica;
INSERT INTO tracker_pool.issues (tenant_id, number, key, title, reporter_id, created_at)
SELECT t.id, n, t.key_prefix || '-' || n, 'issue ' || n, u.id, now() - n * interval '1 minute'
FROM tracker.tenants t JOIN tracker_pool.users u ON u.tenant_id = t.id,
     LATERAL generate_series(1, CASE WHEN t.id = '$BIG' THEN $ISSUES ELSE 200 END) n;
UPDATE tracker_pool.issue_counters c SET last_number = CASE WHEN c.tenant_id = '$BIG' THEN $ISSUES ELSE 200 END;
INSERT INTO tracker_pool.comments (tenant_id, issue_id, author_id, content)
SELECT i.tenant_id, i.id, i.reporter_id, 'comment ' || k
FROM tracker_pool.issues i, generate_series(1, 3) k WHERE i.tenant_id = '$BIG';
RESET session_replication_role;
VACUUM ANALYZE;
CREATE ROLE bench_app LOGIN IN ROLE tracker_user;
CREATE TABLE bench_tokens (n int PRIMARY KEY, tok text NOT NULL);
INSERT INTO bench_tokens
SELECT n, tracker.sign_token(jsonb_build_object('sub', 'u' || n,
                             'tenant_id', ('51000000-0000-4000-8000-' || lpad(n::text, 12, '0')),
                             'exp', extract(epoch FROM now() + interval '1 day')::bigint), 'bench')
FROM generate_series(1, 200) n;
GRANT SELECT ON bench_tokens TO bench_app;
SQL

cat >"$OUT/small.sql" <<'SQL'
\set k random(1, 200)
BEGIN;
SELECT tracker.authenticate(tok, true) IS NOT NULL FROM bench_tokens WHERE n = :k;
SELECT count(*) FROM (SELECT id FROM issues WHERE status = 'open' ORDER BY created_at DESC LIMIT 20) s;
INSERT INTO comments (issue_id, content) SELECT id, 'benchmark comment' FROM issues ORDER BY number DESC LIMIT 1;
COMMIT;
SQL
chmod 0644 "$OUT/small.sql"

# run NAME: the workload for SECONDS_PER_RUN seconds, logged per transaction
run() {
    local prefix="$OUT/$1"
    local rate=()
    [ "$RATE" -gt 0 ] && rate=(-R "$RATE")
    (cd /tmp && as_postgres "$PG_BINDIR/pgbench" -n -M prepared -U bench_app -T "$SECONDS_PER_RUN" "${rate[@]}" \
        -c "$CLIENTS" -j 2 -l --log-prefix="$prefix" -f "$OUT/small.sql" postgres) >"$prefix.out" 2>&1 ||
        { cat "$prefix.out" >&2; exit 1; }
}

# stats NAME [FROM TO]: "p50 p99 mean count" in ms of the transactions of
# run NAME that ended between FROM and TO (Unix time; all of them without)
stats() {
    cat "$OUT/$1".[0-9]* |
        awk -v from="${2:-0}" -v to="${3:-1e12}" '{t = $5 + $6 / 1e6} t >= from && t <= to {print $3}' |
        sort -n |
        awk '{a[NR] = $1; s += $1}
             END {if (NR == 0) {print "- - - 0"; exit}
                  i = int(NR * 0.5); if (i < 1) i = 1; j = int(NR * 0.99); if (j < 1) j = 1
                  printf "%.3f %.3f %.3f %d\n", a[i] / 1000, a[j] / 1000, s / NR / 1000, NR}'
}

printf '\n| round | move | alone p50 / p99 / mean (ms) | during the move p50 / p99 / mean (ms) | p99 ratio | move took (s) |\n|---|---|---|---|---:|---:|\n'
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) -eq 1 ]; then tier=platinum; what="pool to silo"; else tier=premium; what="silo to pool"; fi
    # the previous move left dead rows behind: vacuum them now, so that
    # neither run of this round pays for it
    psql_su -c "VACUUM ANALYZE" >/dev/null
    run "alone.$r"
    # the move starts a few seconds into the run; only the small tenants'
    # transactions that ended while it ran count as "during"
    (
        sleep 3
        date +%s.%N >"$OUT/move.$r.from"
        psql_su -At -c "SET tracker.move_rows_per_second = ${PACE:-DEFAULT}" \
            -c "SELECT tracker.change_tier('$BIG', '$tier')" >"$OUT/move.$r" 2>&1
        date +%s.%N >"$OUT/move.$r.to"
    ) &
    mover=$!
    run "during.$r"
    wait "$mover"
    from=$(cat "$OUT/move.$r.from")
    to=$(cat "$OUT/move.$r.to")
    took=$(awk -v a="$from" -v b="$to" 'BEGIN {printf "%.1f", b - a}')
    if awk -v a="$from" -v b="$to" -v s="$SECONDS_PER_RUN" 'BEGIN {exit !(b - a > s - 3)}'; then
        err "the move took ${took}s, longer than the run; use --seconds $(( ${took%.*} + 10 )) or more"
        exit 1
    fi
    read -r a50 a99 am an <<<"$(stats "alone.$r")"
    read -r d50 d99 dm dn <<<"$(stats "during.$r" "$from" "$to")"
    printf '| %d | %s | %s / %s / %s (%d) | %s / %s / %s (%d) | %.2f | %s |\n' "$r" "$what" "$a50" "$a99" "$am" "$an" \
        "$d50" "$d99" "$dm" "$dn" "$(awk -v a="$a99" -v d="$d99" 'BEGIN {print d / a}')" "$took"
    if [ "$WINDOWS" -gt 0 ]; then
        w=0
        while awk -v a="$from" -v b="$to" -v w="$w" 'BEGIN {exit !(a + w < b)}'; do
            read -r w50 w99 wm wn <<<"$(stats "during.$r" "$(awk -v a="$from" -v w="$w" 'BEGIN {printf "%.6f", a + w}')" \
                                          "$(awk -v a="$from" -v b="$to" -v w="$w" -v s="$WINDOWS" 'BEGIN {e = a + w + s; if (e > b) e = b; printf "%.6f", e}')")"
            printf '|   | %s s to %s s of the move | | %s / %s / %s (%d) | | |\n' "$w" "$((w + WINDOWS))" "$w50" "$w99" "$wm" "$wn"
            w=$((w + WINDOWS))
        done
    fi
done
printf '\n(in brackets: the number of transactions measured)\n'
printf '\nThe big tenant: %s\n' "$(psql_su -At -c "SELECT tier || ', ' || data_schema FROM tracker.tenants WHERE slug = 'big'")"
