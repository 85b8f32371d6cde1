#!/usr/bin/env bash
#
# test/bench/traffic.sh -- tracker against the unprotected baseline, under
# traffic shaped as a connection pool sees it: the headline figures of
# docs/benchmarks.md.
#
# Builds and installs the extension, starts a throwaway cluster with
# tracker's default cache sizes (unless --use-cluster: then PGHOST/PGPORT say
# where), generates the data set (test/bench/tenancy/generate.sql: Zipf-like
# tenant sizes) and the actors (test/bench/traffic/setup.sql: every user of
# every tenant).  Then, per round, it mints a fresh token for every actor and
# every token life (test/bench/traffic/mint.sql) and makes one pgbench run
# given every script at once: each workload, in both variants (tracker and
# baseline), for each draw class (all tenants, the small ones, the median
# ones, the largest), so that pgbench picks one for each transaction and all
# of them share every second of the run.  No connection is warmed: each
# transaction presents whichever actor it drew, with the token that actor
# holds at that moment, and every actor's token is replaced once per token
# life, at a moment of its own, so some requests carry a token no backend
# has seen.  The first quarter of each run is left out.
#
# Reports, per workload and class, mean, p50 and p99 latency of both
# variants and their ratios, the medians over the rounds.
#
# Usage: test/bench/traffic.sh [--quick] [--tenants N] [--issues N] [--comments N]
#                              [--seconds S] [--clients C] [--rounds R]
#                              [--token-life S] [--shared-cache N] [--report FILE]
#                              [--use-cluster DB [--reuse]]
#   --quick       tiny data set, short runs (the harness's smoke test)
#   --token-life  seconds an actor keeps a token (default 300)
#   --shared-cache N  tracker.shared_context_cache_size of the throwaway
#                 cluster (default: the setting's default)
#   --reuse       with --use-cluster: the database holds the data set of an
#                 earlier run (rows written by its runs included); do not load it again
#   --report FILE rewrites the part of FILE between "<!-- traffic -->" and
#                 "<!-- /traffic -->"

set -euo pipefail
ARGS="$*"
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/cluster.sh
. "$REPO_ROOT/test/cluster.sh"
# shellcheck source=test/bench/lib.sh
. "$REPO_ROOT/test/bench/lib.sh"

TENANTS=10000 ISSUES=1000000 COMMENTS=3000000
SECONDS_PER_RUN=240 CLIENTS=2 ROUNDS=2 LIFE=300 REPORT="" USE_DB="" REUSE=0 SHARED_CACHE=""
while [ $# -gt 0 ]; do
    case $1 in
        --quick) TENANTS=20 ISSUES=2000 COMMENTS=4000 SECONDS_PER_RUN=8 ROUNDS=1 LIFE=4 ;;
        --tenants) TENANTS=$2; shift ;;
        --issues) ISSUES=$2; shift ;;
        --comments) COMMENTS=$2; shift ;;
        --seconds) SECONDS_PER_RUN=$2; shift ;;
        --clients) CLIENTS=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        --token-life) LIFE=$2; shift ;;
        --shared-cache) SHARED_CACHE=$2; shift ;;
        --report) REPORT=$(realpath -m "$2"); shift ;;
        --use-cluster) USE_DB=$2; shift ;;
        --reuse) REUSE=1 ;;
        *) die "unknown option $1" ;;
    esac
    shift
done

[ "$REUSE" = 1 ] && [ -z "$USE_DB" ] && die "--reuse needs --use-cluster"
T=$REPO_ROOT/test/bench/traffic
bench_start traffic "$USE_DB" ${SHARED_CACHE:+"tracker.shared_context_cache_size = $SHARED_CACHE"}

traffic_data "$TENANTS" "$ISSUES" "$COMMENTS" "$REUSE"
# what the database holds (an earlier run's, with --reuse)
read -r TENANTS ISSUES COMMENTS <<< "$(psql_su -At -F ' ' -c "SELECT count(*), sum(n_issues), (SELECT count(*) FROM bench_base.comments) FROM bench.tenants")"

WORKLOADS=(1 2 3 4 5 6)
CLASSES=(all small median largest)
# each class's scripts get this weight: most transactions draw from every
# tenant, and each size class gets enough of them for its p99
declare -A WEIGHT=([all]=4 [small]=1 [median]=1 [largest]=1)

# The scripts, one per workload, variant and class (pgbench takes at most
# 128): the variant's presentation of an actor of the workload's group
# ("-- group:"), the workload's statement, COMMIT.  Line k of scripts.txt
# says what script k - 1 is: "workload variant class group".
ARGS_F=() OPTIONS="-c plan_cache_mode=force_generic_plan"
: > "$OUT/scripts.txt"
for w in "${WORKLOADS[@]}"; do
    for v in tracker baseline; do
        OPTIONS="$OPTIONS $(sed -n 's/^-- pgoptions: //p' "$T/w$w.$v.sql")"
        g=$(traffic_group "$w")
        for c in "${CLASSES[@]}"; do
            f="$OUT/w$w.$v.$c.sql"
            { sed "s/@CLASS@/$c/g; s/@GROUP@/$g/g" "$T/present.$v.sql"
              grep -v '^--' "$T/w$w.$v.sql"
              echo 'COMMIT;'; } > "$f"
            chmod 0644 "$f"
            ARGS_F+=(-f "$f@${WEIGHT[$c]}")
            echo "$w $v $c $g" >> "$OUT/scripts.txt"
        done
    done
done
# how many actors each draw picks from
COUNTS=()
while read -r name count; do
    COUNTS+=(-D "n_$name=$count")
done < <(psql_su -At -F ' ' -c "SELECT class || '_' || grp, count(*) FROM bench.draw GROUP BY 1 ORDER BY 1")

for r in $(seq 1 "$ROUNDS"); do
    t0=$(date +%s)
    gens=$(( (SECONDS_PER_RUN + 60) / LIFE + 2 ))
    log "round $r: minting $gens tokens per actor"
    psql_su -v t0="$t0" -v life="$LIFE" -v gens="$gens" -f "$T/mint.sql" >&2
    psql_su -c "CHECKPOINT" >/dev/null
    log "round $r: every workload, both variants, every class, $SECONDS_PER_RUN s"
    prefix="$OUT/r$r"
    start=$(date +%s.%N)
    if ! (cd /tmp && as_postgres env PGOPTIONS="$OPTIONS" "$PG_BINDIR/pgbench" -n -M prepared -U bench_app \
            -T "$SECONDS_PER_RUN" -c "$CLIENTS" -j "$(( CLIENTS < 2 ? 1 : 2 ))" \
            -D t0="$t0" -D life="$LIFE" "${COUNTS[@]}" -l --log-prefix="$prefix" "${ARGS_F[@]}" "$DB") \
          >"$prefix.out" 2>"$prefix.err"; then
        cat "$prefix.err" >&2
        die "pgbench failed in round $r"
    fi
    from=$(awk -v s="$start" -v d="$SECONDS_PER_RUN" 'BEGIN {printf "%.6f", s + d / 4}')
    pgbench_stats "$prefix" "$from" > "$OUT/stats.r$r"
    [ "$(wc -l < "$OUT/stats.r$r")" -eq "$(wc -l < "$OUT/scripts.txt")" ] ||
        die "round $r: some script ran no transaction in the measured part"
done

# figures WORKLOAD VARIANT CLASS: "count tps mean p50 p99" of that script,
# the medians over the rounds (count and tps summed and averaged)
figures() {
    local k
    k=$(awk -v w="$1" -v v="$2" -v c="$3" '$1 == w && $2 == v && $3 == c {print NR - 1}' "$OUT/scripts.txt")
    local f col
    for col in 2 3 4 5 6; do
        for f in "$OUT"/stats.r*; do
            awk -v k="$k" -v col="$col" '$1 == k {print (col == 3 ? $2 / $3 : $col)}' "$f"
        done | median
    done | xargs
}
# ratio WORKLOAD CLASS COL: the median over the rounds of baseline's value in
# column COL divided by tracker's (COL 6, p99: tracker's divided by baseline's)
ratio() {
    local kt kb f
    kt=$(awk -v w="$1" -v c="$2" '$1 == w && $2 == "tracker" && $3 == c {print NR - 1}' "$OUT/scripts.txt")
    kb=$(awk -v w="$1" -v c="$2" '$1 == w && $2 == "baseline" && $3 == c {print NR - 1}' "$OUT/scripts.txt")
    for f in "$OUT"/stats.r*; do
        awk -v kt="$kt" -v kb="$kb" -v col="$3" '$1 == kt {t = $col} $1 == kb {b = $col}
            END {printf "%.6f\n", col == 6 ? t / b : b / t}' "$f"
    done | median
}

TABLE="$OUT/table.md"
{
    printf '| workload | tenants | tracker mean / p50 / p99 (us) | baseline mean / p50 / p99 (us) | mean ratio | p50 ratio | p99 ratio |\n'
    printf '|---|---|---:|---:|---:|---:|---:|\n'
    for w in "${WORKLOADS[@]}"; do
        for c in "${CLASSES[@]}"; do
            read -r _ _ tm t50 t99 <<< "$(figures "$w" tracker "$c")"
            read -r _ _ bm b50 b99 <<< "$(figures "$w" baseline "$c")"
            printf '| %s. %s | %s | %.0f / %.0f / %.0f | %.0f / %.0f / %.0f | %.3f | %.3f | %.3f |\n' \
                "$w" "$(traffic_name "$w")" "$c" "$tm" "$t50" "$t99" "$bm" "$b50" "$b99" \
                "$(ratio "$w" "$c" 4)" "$(ratio "$w" "$c" 5)" "$(ratio "$w" "$c" 6)"
        done
    done
} > "$TABLE"

# Requests carrying a token no backend has seen, estimated: an actor that
# makes r requests a second presents each of its tokens, used for LIFE
# seconds, first to the server once if it makes any request in that time,
# so a share (1 - exp(-r LIFE)) / (r LIFE) of its requests do.
for f in "$OUT"/stats.r*; do
    awk 'NR == FNR {split($0, s, " "); v[NR - 1] = s[2]; c[NR - 1] = s[3]; g[NR - 1] = s[4]; next}
         v[$1] == "tracker" {print c[$1], g[$1], $2 / $3}' \
        "$OUT/scripts.txt" "$f"
done > "$OUT/rates.txt"
cat > "$OUT/new_share.sql" <<EOF
CREATE TEMP TABLE rates (class text, grp text, tps float8);
\\copy rates FROM '$OUT/rates.txt' WITH (DELIMITER ' ')
WITH per_draw AS (
    SELECT class, grp, sum(tps) / $ROUNDS AS tps FROM rates GROUP BY 1, 2
), per_actor AS (
    SELECT d.n, sum(r.tps / c.actors) AS rate
    FROM bench.draw d
    JOIN per_draw r USING (class, grp)
    JOIN (SELECT class, grp, count(*) AS actors FROM bench.draw GROUP BY 1, 2) c USING (class, grp)
    GROUP BY d.n
)
SELECT round((100 * sum((1 - exp(-least(rate * $LIFE, 700))) / $LIFE) / sum(rate))::numeric, 2) FROM per_actor;
EOF
chmod 0644 "$OUT/new_share.sql" "$OUT/rates.txt"
NEW_SHARE=$(psql_su -At -f "$OUT/new_share.sql")

MACHINE="$OUT/machine.md"
{
    machine_lines
    printf -- '- Data: %s tenants, %s issues, %s comments (Zipf-like tenant sizes, largest tenant %s issues); %s actors (every user: %s admins, %s plain users)\n' \
        "$TENANTS" "$ISSUES" "$COMMENTS" "$(psql_su -Atc 'SELECT max(n_issues) FROM bench.tenants')" \
        "$(psql_su -Atc 'SELECT count(*) FROM bench.people')" \
        "$(psql_su -Atc "SELECT count(*) FROM bench.people WHERE role <> 'user'")" \
        "$(psql_su -Atc "SELECT count(*) FROM bench.people WHERE role = 'user'")"
    printf -- '- Classes: all (every tenant), small (%s tenants, %s issues or fewer), median (%s tenants, about %s issues), largest (1 tenant)\n' \
        "$(psql_su -Atc "SELECT count(DISTINCT p.tenant_n) FROM bench.draw d JOIN bench.people p USING (n) WHERE class = 'small'")" \
        "$(psql_su -Atc "SELECT max(p.issue_count) FROM bench.draw d JOIN bench.people p USING (n) WHERE class = 'small'")" \
        "$(psql_su -Atc "SELECT count(DISTINCT p.tenant_n) FROM bench.draw d JOIN bench.people p USING (n) WHERE class = 'median'")" \
        "$(psql_su -Atc "SELECT round(avg(p.issue_count)) FROM bench.draw d JOIN bench.people p USING (n) WHERE class = 'median'")"
    printf -- '- Tokens: replaced every %s s per actor; requests carrying a token no backend had seen: about %s%% (estimated from each actor'"'"'s request rate)\n' \
        "$LIFE" "${NEW_SHARE:-?}"
    printf -- '- pgbench: %s scripts in one run per round, %s s, %s clients, %s round(s), the first quarter of each left out, -M prepared; medians over the rounds\n' \
        "$(wc -l < "$OUT/scripts.txt")" "$SECONDS_PER_RUN" "$CLIENTS" "$ROUNDS"
    printf -- '- Command: `test/bench/traffic.sh%s`\n' "$( [ -n "${ARGS:-}" ] && echo " $ARGS")"
} > "$MACHINE"

printf '\n'; cat "$MACHINE"; printf '\n'; cat "$TABLE"

if [ -n "$REPORT" ]; then report_to "$REPORT" traffic "$MACHINE" "$TABLE"; fi
