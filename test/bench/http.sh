#!/usr/bin/env bash
#
# test/bench/http.sh -- an HTTP request through PostgREST, replayed with
# pgbench: tracker's pre-request against the common pattern's.
#
# Each transaction is what PostgREST 13 sends for GET /issues?status=eq.open
# &order=created_at.desc&limit=50 (test/bench/http/request.*.sql, every
# value a parameter, as test/perl/PostgrestReplay.pm replays it):
#   tracker  tracker.http_pre_request() verifies the raw bearer token from
#            request.headers with tracker's keys and rules (PostgREST having
#            checked its signature too), and tracker_pool's policies read
#            the verified context;
#   common   the pre-request copies the claims PostgREST verified
#            (request.jwt.claims) into settings that bench_common's policies
#            read with current_setting().
# Before each transaction, the same statement draws an admin of any tenant
# and the token it holds now (test/bench/http/draw.sql); tokens are
# replaced every token life, at a moment of each actor's own, as in
# test/bench/traffic.sh, whose data set and actors this uses.  Both
# scripts share one pgbench run; the first quarter of each run is left out.
#
# Reports mean, p50 and p99 of both, the throughput ratio (the common
# pattern's mean latency over tracker's), and the same for the request's
# transaction alone (pgbench's per-statement means, the draw left out).
#
# Usage: test/bench/http.sh [--quick] [--seconds S] [--rounds R] [--clients C]
#                           [--token-life S] [--report FILE] [--use-cluster DB [--reuse]]
#   --report FILE rewrites the part of FILE between "<!-- http -->" and "<!-- /http -->"

set -euo pipefail
ARGS="$*"
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/cluster.sh
. "$REPO_ROOT/test/cluster.sh"
# shellcheck source=test/bench/lib.sh
. "$REPO_ROOT/test/bench/lib.sh"

TENANTS=10000 ISSUES=1000000 COMMENTS=3000000
SECONDS_PER_RUN=120 CLIENTS=2 ROUNDS=2 LIFE=300 REPORT="" USE_DB="" REUSE=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) TENANTS=20 ISSUES=2000 COMMENTS=4000 SECONDS_PER_RUN=6 ROUNDS=1 LIFE=4 ;;
        --seconds) SECONDS_PER_RUN=$2; shift ;;
        --clients) CLIENTS=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        --token-life) LIFE=$2; shift ;;
        --report) REPORT=$(realpath "$2"); shift ;;
        --use-cluster) USE_DB=$2; shift ;;
        --reuse) REUSE=1 ;;
        *) die "unknown option $1" ;;
    esac
    shift
done
[ "$REUSE" = 1 ] && [ -z "$USE_DB" ] && die "--reuse needs --use-cluster"

H=$REPO_ROOT/test/bench/http
bench_start http "$USE_DB"
traffic_data "$TENANTS" "$ISSUES" "$COMMENTS" "$REUSE"
psql_su -f "$H/setup.sql" >&2

VARIANTS=(tracker common)
ARGS_F=()
for v in "${VARIANTS[@]}"; do
    { grep -v '^--' "$H/draw.sql"; grep -v '^--' "$H/request.$v.sql"; } > "$OUT/$v.sql"
    chmod 0644 "$OUT/$v.sql"
    ARGS_F+=(-f "$OUT/$v.sql@1")
done
ADMINS=$(psql_su -Atc "SELECT count(*) FROM bench.draw WHERE class = 'all' AND grp = 'admin'")

# request_means OUTPUT: per script (0, 1), the sum of pgbench's per-statement
# mean latencies (ms) of the request's transaction, the draw left out
request_means() {
    awk '/^SQL script [0-9]+:/ {k = $3 + 0 - 1; next}
         /^ +[0-9.]+ +[0-9]+ +/ {s = $0; sub(/^ +[0-9.]+ +[0-9]+ +/, "", s)
             if (s !~ /^\\set/ && s !~ /^SELECT jsonb_set/) sum[k] += $1}
         END {for (k in sum) printf "%d %.4f\n", k, sum[k]}' "$1" | sort -n
}

# check_same: one actor's request in both variants, through their
# pre-requests as bench_app: the same open issues, and some (a variant that
# saw nothing would be fast for the wrong reason)
check_same() {
    local v counts=()
    for v in "${VARIANTS[@]}"; do
        counts+=("$(cd /tmp && as_postgres "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -U bench_app -d "$DB" \
            -v t0="$1" -v life="$LIFE" -v variant="$v" -f "$H/check.sql")")
    done
    [ "${counts[0]}" = "${counts[1]}" ] && [ "${counts[0]}" -gt 0 ] ||
        die "the variants disagree on one actor's open issues: ${counts[*]}"
}

for r in $(seq 1 "$ROUNDS"); do
    t0=$(date +%s)
    gens=$(( (SECONDS_PER_RUN + 60) / LIFE + 2 ))
    log "round $r: minting $gens tokens per actor"
    psql_su -v t0="$t0" -v life="$LIFE" -v gens="$gens" -f "$REPO_ROOT/test/bench/traffic/mint.sql" >&2
    psql_su -c "CHECKPOINT" >/dev/null
    check_same "$t0"
    log "round $r: both variants, $SECONDS_PER_RUN s"
    prefix="$OUT/r$r"
    start=$(date +%s.%N)
    if ! (cd /tmp && as_postgres "$PG_BINDIR/pgbench" -n -M prepared -U bench_app -r \
            -T "$SECONDS_PER_RUN" -c "$CLIENTS" -j "$(( CLIENTS < 2 ? 1 : 2 ))" \
            -D t0="$t0" -D life="$LIFE" -D n_all_admin="$ADMINS" \
            -D path_tracker='"tracker_pool", "public"' -D path_common='"bench_common", "public"' \
            -D role=tracker_user -D method=GET -D rpath=/issues -D cookies='{}' \
            -D status=open -D lim=50 -D off=0 \
            -l --log-prefix="$prefix" "${ARGS_F[@]}" "$DB") >"$prefix.out" 2>"$prefix.err"; then
        cat "$prefix.err" >&2
        die "pgbench failed in round $r"
    fi
    grep -q "number of failed transactions: 0 " "$prefix.out" || { cat "$prefix.out" >&2; die "round $r: failed transactions"; }
    from=$(awk -v s="$start" -v d="$SECONDS_PER_RUN" 'BEGIN {printf "%.6f", s + d / 4}')
    pgbench_stats "$prefix" "$from" > "$OUT/stats.r$r"
    [ "$(wc -l < "$OUT/stats.r$r")" -eq 2 ] || die "round $r: a variant ran no transaction in the measured part"
    request_means "$prefix.out" > "$OUT/request.r$r"
    [ "$(wc -l < "$OUT/request.r$r")" -eq 2 ] || die "round $r: no per-statement latencies"
done

# col K COL: the median over the rounds of column COL of script K's stats
col() { for f in "$OUT"/stats.r*; do awk -v k="$1" -v c="$2" '$1 == k {print $c}' "$f"; done | median; }
# req K: the same for the request's transaction alone (us)
req() { for f in "$OUT"/request.r*; do awk -v k="$1" '$1 == k {print $2 * 1000}' "$f"; done | median; }
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

TABLE="$OUT/table.md"
{
    printf '| variant | transactions | mean / p50 / p99 (us), draw included | the request alone, mean (us) |\n'
    printf '|---|---:|---:|---:|\n'
    for k in 0 1; do
        printf '| %s | %s | %.0f / %.0f / %.0f | %.0f |\n' "${VARIANTS[$k]}" "$(col "$k" 2)" \
            "$(col "$k" 4)" "$(col "$k" 5)" "$(col "$k" 6)" "$(req "$k")"
    done
    printf '\n'
    printf -- '- Throughput ratio, tracker to the common pattern (its mean latency over tracker'"'"'s): **%s** for the request alone, %s with the draw\n' \
        "$(ratio_of "$(req 1)" "$(req 0)")" "$(ratio_of "$(col 1 4)" "$(col 0 4)")"
    printf -- '- p99, tracker over the common pattern: %s\n' "$(ratio_of "$(col 0 6)" "$(col 1 6)")"
} > "$TABLE"

MACHINE="$OUT/machine.md"
{
    machine_lines
    printf -- '- Data: %s tenants, %s issues; %s admins drawn from every tenant, tokens replaced every %s s\n' \
        "$TENANTS" "$ISSUES" "$ADMINS" "$LIFE"
    printf -- '- pgbench: both scripts in one run per round, %s s, %s clients, %s round(s), the first quarter of each left out, -M prepared; medians over the rounds\n' \
        "$SECONDS_PER_RUN" "$CLIENTS" "$ROUNDS"
    printf -- '- Command: `test/bench/http.sh%s`\n' "$( [ -n "${ARGS:-}" ] && echo " $ARGS")"
} > "$MACHINE"

printf '\n'; cat "$MACHINE"; printf '\n'; cat "$TABLE"

if [ -n "$REPORT" ]; then report_to "$REPORT" http "$MACHINE" "$TABLE"; fi
