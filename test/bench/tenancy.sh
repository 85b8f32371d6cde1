#!/usr/bin/env bash
#
# test/bench/tenancy.sh -- what verified tenancy costs, against the unprotected
# baseline and the common set_config pattern, measured side by side.
#
# Builds and installs the extension, starts a throwaway cluster (unless
# --use-cluster is given: then PGHOST/PGPORT say where), generates the data
# set, and runs every workload (test/bench/tenancy/workloads/wN.VARIANT.sql)
# for each variant -- tracker, baseline, common -- in rounds, each run with
# the same duration and client count.  Reports TPS, mean and p95 latency and
# the ratios, as markdown; --report FILE writes the tables into FILE between
# the markers "<!-- results -->" and "<!-- /results -->".
#
# Usage: test/bench/tenancy.sh [--quick] [--tenants N] [--issues N] [--comments N]
#                              [--seconds S] [--clients C] [--rounds R]
#                              [--workloads "1 2 3"] [--scale] [--breakdown]
#                              [--report FILE] [--use-cluster DB]
#   --quick      tiny data set, 3 s runs, one round (the harness's smoke test)
#   --scale      also run workload 1 at 1,000, 10,000 and 100,000 tenants
#   --breakdown  also say where tracker's extra time per transaction goes:
#                one client runs each variant's script interleaved with the
#                others', for one actor, and the mean latencies are compared

set -euo pipefail
ARGS="$*"
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_ROOT/test/cluster.sh"
. "$REPO_ROOT/test/bench/lib.sh"

TENANTS=10000 ISSUES=1000000 COMMENTS=3000000
SECONDS_PER_RUN=30 CLIENTS=4 ROUNDS=2 WORKLOADS="1 2 3 4 5 6"
SCALE=0 BREAKDOWN=0 REPORT="" USE_DB=""
while [ $# -gt 0 ]; do
    case $1 in
        --quick) TENANTS=50 ISSUES=5000 COMMENTS=10000 SECONDS_PER_RUN=3 ROUNDS=1 ;;
        --tenants) TENANTS=$2; shift ;;
        --issues) ISSUES=$2; shift ;;
        --comments) COMMENTS=$2; shift ;;
        --seconds) SECONDS_PER_RUN=$2; shift ;;
        --clients) CLIENTS=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        --workloads) WORKLOADS=$2; shift ;;
        --scale) SCALE=1 ;;
        --breakdown) BREAKDOWN=1 ;;
        --report) REPORT=$(realpath -m "$2"); shift ;;
        --use-cluster) USE_DB=$2; shift ;;
        *) die "unknown option $1" ;;
    esac
    shift
done

W=$REPO_ROOT/test/bench/tenancy
# a token cache that holds every actor of the scale run's 100,000 tenants
bench_start bench "$USE_DB" "tracker.context_cache_size = 100000"
# steady PREFIX: the figures of one pgbench run, from its per-transaction
# logs PREFIX.*, taken over the steady part of the run: each connection's
# first transaction of each script is left out (the tracker scripts present
# every actor in it, as a connection of a pool that has served a while has;
# see "Warm connections" in docs/benchmarks.md), and so is every transaction
# that ends before the last of those.  Prints, per script number in the
# order given to pgbench: "script tps mean_us p95_us"; nothing when no
# transaction ended in the steady part.
steady() {
    cat "$1".[0-9]* | awk '
        {t = $5 + $6 / 1e6; k = $1 " " $4
         if (!(k in first)) {first[k] = 1; skip[NR] = 1; if (t > start) start = t}
         if (t > end) end = t; at[NR] = t; lat[NR] = $3; script[NR] = $4}
        END {for (i = 1; i <= NR; i++) if (!skip[i] && at[i] > start) printf "%d %d %.6f %.6f\n", script[i], lat[i], start, end}' |
    sort -k1,1n -k2,2n |
    awk '{n[$1]++; s[$1] += $2; a[$1, n[$1]] = $2; start = $3; end = $4}
        END {for (k in n) {i = int(n[k] * 0.95); if (i < 1) i = 1
                           printf "%d %.1f %.1f %.1f\n", k, (end > start ? n[k] / (end - start) : 0), s[k] / n[k], a[k, i]}}' |
    sort -n
}

# run VARIANT WORKLOAD ROUND TENANTS: prints "tps mean_ms p95_ms"
run() {
    local v=$1 w=$2 r=$3 t=$4 prefix="$OUT/w$2.$1.r$3.t$4"
    rm -f "$prefix".*
    # every statement is planned once per connection (see docs/benchmarks.md),
    # plus any settings the workload file asks for in a "-- pgoptions:" line
    local options
    options="-c plan_cache_mode=force_generic_plan $(sed -n 's/^-- pgoptions: //p' "$W/workloads/w$w.$v.sql")"
    if ! (cd /tmp && as_postgres env PGOPTIONS="$options" "$PG_BINDIR/pgbench" -n -M prepared -U bench_app \
            -T "$SECONDS_PER_RUN" -c "$CLIENTS" -j "$(( CLIENTS < 2 ? 1 : 2 ))" \
            -D tenants="$t" -D first=1 -l --log-prefix="$prefix" -f "$W/workloads/w$w.$v.sql" "$DB") \
          >"$prefix.out" 2>"$prefix.err"; then
        cat "$prefix.err" >&2
        die "pgbench failed: workload $w, $v"
    fi
    local stats
    stats=$(steady "$prefix")
    [ -n "$stats" ] || die "no transaction in the steady part of workload $w, $v"
    awk '{printf "%.1f %.3f %.3f\n", $2, $3 / 1000, $4 / 1000}' <<< "$stats"
}


# rotation R V...: the variants in the order round R runs them; each round
# starts with the next one, so no variant always runs first or last
rotation() {
    local r=$1; shift
    local v=("$@") n=$# i
    for ((i = 0; i < n; i++)); do printf '%s ' "${v[(r - 1 + i) % n]}"; done
}

# round_ratio PREFIX A B: median over the rounds of A's TPS divided by B's in
# the same round.  The machine's speed drifts between minutes; runs of one
# round are minutes apart at most, so their ratio carries less of the drift
# than a ratio of medians taken over the whole run.
round_ratio() {
    local p=$1 a=$2 b=$3 f
    for f in "$OUT/$p.$a".r*; do
        paste "$f" "$OUT/$p.$b.${f##*.}" | awk '{printf "%.6f\n", $1 / $4}'
    done | median
}

declare -A NAME=([1]="list newest 50 open issues, admin" [2]="the same, plain user"
                 [3]="one issue with its comments" [4]="create an issue" [5]="add a comment"
                 [6]="PostgREST request, new tenant per transaction")

# warm_up TENANTS: a few seconds of workload 1 per variant, not measured, so
# that the first measured run does not pay for the first reads after loading
warm_up() {
    local v
    for v in tracker baseline common; do
        (cd /tmp && as_postgres "$PG_BINDIR/pgbench" -n -M prepared -U bench_app -T 3 -c "$CLIENTS" \
            -j "$(( CLIENTS < 2 ? 1 : 2 ))" -D tenants="$1" -D first=1 -f "$W/workloads/w1.$v.sql" "$DB") >/dev/null 2>&1 ||
            die "pgbench failed: warm-up, $v"
    done
}

TABLE="$OUT/table.md"
generate "$TENANTS" "$ISSUES" "$COMMENTS"
warm_up "$TENANTS"
{
    printf '| workload | variant | TPS | mean latency (ms) | p95 latency (ms) | TPS ratio to baseline | TPS ratio to common |\n'
    printf '|---|---|---:|---:|---:|---:|---:|\n'
} > "$TABLE"
for w in $WORKLOADS; do
    for r in $(seq 1 "$ROUNDS"); do
        for v in $(rotation "$r" tracker baseline common); do
            log "workload $w, round $r, $v"
            run "$v" "$w" "$r" "$TENANTS" > "$OUT/res.w$w.$v.r$r"
        done
    done
    declare -A TPS=() MEAN=() P95=()
    for v in tracker baseline common; do
        TPS[$v]=$(cat "$OUT"/res.w$w.$v.r* | awk '{print $1}' | median)
        MEAN[$v]=$(cat "$OUT"/res.w$w.$v.r* | awk '{print $2}' | median)
        P95[$v]=$(cat "$OUT"/res.w$w.$v.r* | awk '{print $3}' | median)
    done
    for v in tracker baseline common; do
        awk -v w="$w. ${NAME[$w]}" -v v="$v" -v t="${TPS[$v]}" -v m="${MEAN[$v]}" -v p="${P95[$v]}" \
            -v b="$(round_ratio "res.w$w" "$v" baseline)" -v c="$(round_ratio "res.w$w" "$v" common)" \
            'BEGIN {printf "| %s | %s | %.0f | %.3f | %.3f | %.3f | %.3f |\n", w, v, t, m, p, b, c}'
    done >> "$TABLE"
    unset TPS MEAN P95
done

# interleaved NAME CLIENTS TENANTS FILE...: one pgbench run given every
# file; pgbench picks one of them for each transaction, so they share every
# second of the run and the machine's drift cancels out of their comparison.
# The connections are shared too, so they get the union of the files'
# "-- pgoptions:" settings.  Prints the mean latency of each file in us, in
# the order given.
interleaved() {
    local name=$1 clients=$2 tenants=$3 prefix="$OUT/il.$1" args=() f
    local options="-c plan_cache_mode=force_generic_plan"
    shift 3
    for f in "$@"; do
        args+=(-f "$f")
        options="$options $(sed -n 's/^-- pgoptions: //p' "$f")"
    done
    rm -f "$prefix".*
    if ! (cd /tmp && as_postgres env PGOPTIONS="$options" \
            "$PG_BINDIR/pgbench" -n -M prepared -U bench_app -T "$SECONDS_PER_RUN" -c "$clients" \
            -j "$(( clients < 2 ? 1 : 2 ))" -D tenants="$tenants" -D first=1 -l --log-prefix="$prefix" \
            "${args[@]}" "$DB") >"$prefix.out" 2>"$prefix.err"; then
        cat "$prefix.err" >&2
        die "pgbench failed: interleaved run $name"
    fi
    local stats
    stats=$(steady "$prefix")
    [ -n "$stats" ] || die "no transaction in the steady part of the interleaved run $name"
    awk '{print $3}' <<< "$stats"
}

# The same workloads with the three variants interleaved in each run (the
# same clients and tenants as above), a run per round: the ratio of mean
# latencies is the ratio of throughput each variant would reach alone, at
# the same load, without the drift between separate runs.
MIXED_TABLE="$OUT/mixed.md"
{
    printf '| workload | tracker (us) | baseline (us) | common (us) | tracker to baseline | tracker to common |\n'
    printf '|---|---:|---:|---:|---:|---:|\n'
} > "$MIXED_TABLE"
for w in $WORKLOADS; do
    for r in $(seq 1 "$ROUNDS"); do
        log "workload $w, round $r, variants interleaved"
        interleaved "w$w.r$r" "$CLIENTS" "$TENANTS" "$W/workloads/w$w.tracker.sql" \
            "$W/workloads/w$w.baseline.sql" "$W/workloads/w$w.common.sql" | xargs > "$OUT/mixed.w$w.r$r"
    done
    cat "$OUT"/mixed.w$w.r* | awk -v w="$w. ${NAME[$w]}" '
        {t[NR] = $1; b[NR] = $2; c[NR] = $3; rb[NR] = $2 / $1; rc[NR] = $3 / $1}
        function med(a, n,    i, j, x) {
            for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {x = a[j]; a[j] = a[j - 1]; a[j - 1] = x}
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        END {n = NR; printf "| %s | %.1f | %.1f | %.1f | %.3f | %.3f |\n", w, med(t, n), med(b, n), med(c, n), med(rb, n), med(rc, n)}' \
        >> "$MIXED_TABLE"
done

BREAKDOWN_TABLE="$OUT/breakdown.md"
if [ "$BREAKDOWN" = 1 ]; then
    B=$W/breakdown
    {
        printf '| part | tracker (us) | baseline (us) | common (us) | tracker minus baseline (us) | tracker minus common (us) |\n'
        printf '|---|---:|---:|---:|---:|---:|\n'
    } > "$BREAKDOWN_TABLE"
    row() {  # row LABEL TRACKER BASELINE COMMON
        awk -v l="$1" -v t="$2" -v b="$3" -v c="$4" \
            'BEGIN {printf "| %s | %.1f | %.1f | %s | %+.1f | %s |\n", l, t, b, c == "" ? "" : c, t - b,
                    c == "" ? "" : sprintf("%+.1f", t - c)}' >> "$BREAKDOWN_TABLE"
    }
    log "breakdown: presenting the actor"
    read -r t b c <<< "$(interleaved present 1 1 "$B/present.tracker.sql" "$B/present.baseline.sql" "$B/present.common.sql" | xargs)"
    row "presenting the actor, the same token every time" "$t" "$b" "$c"
    log "breakdown: presenting the actor with many tokens"
    read -r t b <<< "$(interleaved present_many 1 1 "$B/present_many.tracker.sql" "$B/present_many.baseline.sql" | xargs)"
    row "presenting the actor, one of 10,000 cached tokens" "$t" "$b" ""
    for w in 1 3 5; do
        log "breakdown: workload $w"
        read -r t b c <<< "$(interleaved "one.w$w" 1 1 "$W/workloads/w$w.tracker.sql" "$W/workloads/w$w.baseline.sql" \
                              "$W/workloads/w$w.common.sql" | xargs)"
        row "workload $w, whole transaction" "$t" "$b" "$c"
    done
fi

SCALE_TABLE="$OUT/scale.md"
if [ "$SCALE" = 1 ]; then
    {
        printf '| tenants | variant | TPS | mean latency (ms) | p95 latency (ms) | mean latency vs 1,000 tenants |\n'
        printf '|---:|---|---:|---:|---:|---:|\n'
    } > "$SCALE_TABLE"
    declare -A BASE_MEAN=()
    for t in 1000 10000 100000; do
        generate "$t" 1000000 0
        warm_up "$t"
        for r in $(seq 1 "$ROUNDS"); do
            for v in $(rotation "$r" tracker baseline); do
                log "scale: $t tenants, round $r, $v"
                run "$v" 1 "$r" "$t" > "$OUT/scale.t$t.$v.r$r"
            done
        done
        for v in tracker baseline; do
            tps=$(cat "$OUT"/scale.t$t.$v.r* | awk '{print $1}' | median)
            mean=$(cat "$OUT"/scale.t$t.$v.r* | awk '{print $2}' | median)
            p95=$(cat "$OUT"/scale.t$t.$v.r* | awk '{print $3}' | median)
            [ "$t" = 1000 ] && BASE_MEAN[$v]=$mean
            awk -v t="$t" -v v="$v" -v s="$tps" -v m="$mean" -v p="$p95" -v b="${BASE_MEAN[$v]}" \
                'BEGIN {printf "| %d | %s | %.0f | %.3f | %.3f | %.3f |\n", t, v, s, m, p, m / b}'
        done >> "$SCALE_TABLE"
    done
fi

MACHINE="$OUT/machine.md"
{
    machine_lines
    printf -- '- Data: %s tenants, %s issues, %s comments (Zipf-like tenant sizes, largest tenant %s issues)\n' \
        "$TENANTS" "$ISSUES" "$COMMENTS" "$(psql_su -Atc 'SELECT max(n_issues) FROM bench.tenants' 2>/dev/null || echo '?')"
    printf -- '- pgbench: %s s per run, %s clients, %s round(s) per variant (medians shown), -M prepared\n' \
        "$SECONDS_PER_RUN" "$CLIENTS" "$ROUNDS"
    printf -- '- Command: `test/bench/tenancy.sh%s`\n' "$( [ -n "${ARGS:-}" ] && echo " $ARGS")"
} > "$MACHINE"

printf '\n'; cat "$MACHINE"; printf '\n'; cat "$TABLE"
printf '\n'; cat "$MIXED_TABLE"
[ -f "$BREAKDOWN_TABLE" ] && { printf '\n'; cat "$BREAKDOWN_TABLE"; }
[ -f "$SCALE_TABLE" ] && { printf '\n'; cat "$SCALE_TABLE"; }

if [ -n "$REPORT" ]; then
    {
        printf '<!-- results -->\n'
        printf '_Measured %s._\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
        cat "$MACHINE"; printf '\n'; cat "$TABLE"
        printf '\nThe same workloads with the three variants interleaved in each run (mean latency per transaction; a ratio is the other variant'"'"'s latency divided by tracker'"'"'s, the median over the rounds):\n\n'
        cat "$MIXED_TABLE"
        [ -f "$BREAKDOWN_TABLE" ] && { printf '\nBreakdown (one client, one actor: the admin of the largest tenant; mean latency per transaction, the variants interleaved in one run):\n\n'; cat "$BREAKDOWN_TABLE"; }
        [ -f "$SCALE_TABLE" ] && { printf '\nScale run (workload 1, 1,000,000 issues spread over the tenants):\n\n'; cat "$SCALE_TABLE"; }
        printf '<!-- /results -->\n'
    } > "$OUT/report.md"
    splice_report "$REPORT" "$OUT/report.md" results
    log "results written to $REPORT"
fi
