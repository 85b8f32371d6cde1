#!/usr/bin/env bash
#
# test/bench/plans.sh -- does a tenant's latency depend on the tenant its
# connection served first?
#
# A statement prepared on a pooled connection is planned for whichever
# tenant is current when it is planned, and the plan is kept.  For each
# tracker statement of the traffic benchmark (test/bench/traffic/wN.tracker.sql)
# and for the largest and the smallest tenant, one pgbench run has two
# connections run the same prepared statement for that tenant: the first
# ("fresh") has only ever served it; the second ("switched") ran the
# statement six times for the other tenant first (the smallest for the
# largest, and the other way round), so that its plans, custom and then the
# generic one the connection keeps, were made there.  Both share every
# second of the run; each connection's first ten transactions are left out.
# PostgreSQL's default plan_cache_mode.  Reports each mean latency and the
# ratio switched / fresh.
#
# Usage: test/bench/plans.sh [--seconds S] [--tenants N] [--issues N] [--comments N]
#                            [--use-cluster DB [--reuse]]
#   --reuse  with --use-cluster: the database holds the traffic data set
#            (test/bench/traffic.sh --use-cluster DB made it); do not load it

set -euo pipefail
ARGS="$*"
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/cluster.sh
. "$REPO_ROOT/test/cluster.sh"
# shellcheck source=test/bench/lib.sh
. "$REPO_ROOT/test/bench/lib.sh"

TENANTS=10000 ISSUES=1000000 COMMENTS=3000000 SECONDS_PER_RUN=10 USE_DB="" REUSE=0
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) SECONDS_PER_RUN=$2; shift ;;
        --tenants) TENANTS=$2; shift ;;
        --issues) ISSUES=$2; shift ;;
        --comments) COMMENTS=$2; shift ;;
        --use-cluster) USE_DB=$2; shift ;;
        --reuse) REUSE=1 ;;
        *) die "unknown option $1" ;;
    esac
    shift
done

[ "$REUSE" = 1 ] && [ -z "$USE_DB" ] && die "--reuse needs --use-cluster"
T=$REPO_ROOT/test/bench/traffic
bench_start plans "$USE_DB"
traffic_data "$TENANTS" "$ISSUES" "$COMMENTS" "$REUSE"
# one token per actor, good for the whole run (generation 0)
psql_su -v t0="$(date +%s)" -v life=86400 -v gens=1 -f "$T/mint.sql" >&2

# actor GROUP largest|small: an actor of that group (admin or user) in the
# tenant with the most issues, or the fewest
actor() {
    psql_su -At -c "SELECT n FROM bench.people WHERE (role = 'user') = ('$1' = 'user')
                    ORDER BY issue_count $( [ "$2" = largest ] && echo DESC ), n LIMIT 1"
}

# script WORKLOAD: the workload's statement for the actor :target; client 1
# serves :other six times first
script() {
    {
        printf '\\set k :k + 1\n'
        printf '\\if :client_id = 1 and :k <= 6\n\\set actor :other\n\\else\n\\set actor :target\n\\endif\n'
        printf 'BEGIN;\n'
        printf 'SELECT tracker.authenticate(t.token, true) IS NOT NULL AS ok, p.issue_count\n'
        printf 'FROM bench.people p JOIN bench.passes t ON t.n = p.n WHERE p.n = :actor AND t.gen = 0 \\gset\n'
        grep -v '^--' "$T/w$1.tracker.sql"
        printf 'COMMIT;\n'
    } > "$OUT/w$1.sql"
    chmod 0644 "$OUT/w$1.sql"
}

TABLE="$OUT/table.md"
{
    printf '| statement | tenant | fresh connection (us) | after the other tenant (us) | ratio |\n'
    printf '|---|---|---:|---:|---:|\n'
} > "$TABLE"
for w in 1 2 3 4 5 6; do
    script "$w"
    grp=$(traffic_group "$w")
    for target in largest small; do
        other=small
        [ "$target" = small ] && other=largest
        log "statement $w, $target tenant"
        prefix="$OUT/log.w$w.$target"
        (cd /tmp && as_postgres "$PG_BINDIR/pgbench" -n -M prepared -U bench_app -T "$SECONDS_PER_RUN" \
            -c 2 -j 2 -D k=0 -D target="$(actor "$grp" "$target")" -D other="$(actor "$grp" "$other")" \
            -l --log-prefix="$prefix" -f "$OUT/w$w.sql" "$DB") >"$prefix.out" 2>&1 ||
            { cat "$prefix.out" >&2; die "pgbench failed: statement $w, $target"; }
        read -r fresh switched <<< "$(cat "$prefix".[0-9]* |
            awk '$2 >= 10 {n[$1]++; s[$1] += $3} END {printf "%.1f %.1f\n", s[0] / n[0], s[1] / n[1]}')"
        awk -v w="$w. $(traffic_name "$w")" -v t="$target" -v f="$fresh" -v s="$switched" \
            'BEGIN {printf "| %s | %s | %.1f | %.1f | %.3f |\n", w, t, f, s, s / f}' >> "$TABLE"
    done
done

printf '\n'
machine_lines
printf -- '- Largest tenant: %s issues; smallest: %s issues\n' \
    "$(psql_su -Atc 'SELECT max(n_issues) FROM bench.tenants')" "$(psql_su -Atc 'SELECT min(n_issues) FROM bench.tenants')"
printf -- '- pgbench: %s s per run, 2 connections, -M prepared, plan_cache_mode = %s\n' \
    "$SECONDS_PER_RUN" "$(psql_su -Atc 'SHOW plan_cache_mode')"
printf -- '- Command: `test/bench/plans.sh%s`\n\n' "$( [ -n "${ARGS:-}" ] && echo " $ARGS")"
cat "$TABLE"
