#!/usr/bin/env bash
#
# test/bench/cluster.sh -- what the context costs on a Citus cluster, against
# the same queries with no security at all, and against that cost on one
# server.
#
# Needs a Citus installed in the local PostgreSQL (from Citus's packages:
# docs/scaling.md).  Builds and installs tracker, starts a coordinator and two
# workers (each its own throwaway server, Unix sockets only), loads the data
# set of docs/benchmarks.md into the coordinator (test/bench/tenancy/generate.sql,
# smaller by default), and runs the workloads of test/bench/cluster/ for
# tracker and the baseline (bench_base: the same tables and rows, no
# row-level security), in rounds:
#   1. on the coordinator alone, before anything is distributed: one server;
#   2. after tracker.distribute() (and the baseline's tables distributed the
#      same way, by tenant_id, co-located with the pool): through the
#      coordinator, with every tenant's rows on a worker.
# The queries name the tenant, as docs/scaling.md tells clients to, so that
# each touches one shard.  Reports TPS, mean latency and the ratio of
# tracker's TPS to the baseline's, per phase, as markdown; --report FILE
# writes the table into FILE between "<!-- cluster -->" and "<!-- /cluster -->".
#
# Usage: test/bench/cluster.sh [--quick] [--tenants N] [--issues N] [--comments N]
#                              [--seconds S] [--clients C] [--rounds R]
#                              [--workloads "1 3 4 5"] [--shards N] [--report FILE]

set -euo pipefail
ARGS="$*"
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_ROOT/test/cluster.sh"
. "$REPO_ROOT/test/bench/lib.sh"

TENANTS=1000 ISSUES=100000 COMMENTS=300000
SECONDS_PER_RUN=20 CLIENTS=4 ROUNDS=2 WORKLOADS="1 3 4 5" SHARDS=32 REPORT=""
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
        --shards) SHARDS=$2; shift ;;
        --report) REPORT=$(realpath -m "$2"); shift ;;
        *) die "unknown option $1" ;;
    esac
    shift
done

[ -f "$("$PG_BINDIR/pg_config" --pkglibdir)/citus.so" ] ||
    die "Citus is not installed in this PostgreSQL (docs/scaling.md says how to install it)"

W=$REPO_ROOT/test/bench/cluster
OUT=$(mktemp -d /tmp/tracker-cluster-out.XXXXXX)
chmod 0777 "$OUT"
NODES=()
cleanup() {
    local d
    for d in "${NODES[@]}"; do stop_cluster "$d"; remove_dir "$d"; done
    if [ -n "${KEEP_OUT:-}" ]; then log "kept $OUT"; else rm -rf "$OUT"; fi
}
trap cleanup EXIT

ensure_packages
build_and_install >/dev/null

# node NAME: a started server for the cluster, its directory in NODES; sets
# PGHOST and PGPORT to it (start_cluster)
node() {
    local dir
    dir=$(mktemp -d "/tmp/tracker-cluster-$1.XXXXXX")
    NODES+=("$dir")
    start_cluster "$dir" "shared_preload_libraries = 'citus, tracker'" \
        "citus.node_conninfo = 'sslmode=disable'" "citus.local_hostname = '$dir'" \
        "shared_buffers = 1GB" "synchronous_commit = off" "max_connections = 100" \
        "max_wal_size = 4GB" "checkpoint_timeout = 30min" >/dev/null
    (cd /tmp && as_postgres "$PG_BINDIR/createdb" bench)
    (cd /tmp && as_postgres "$PG_BINDIR/psql" -X -q -d bench -c 'CREATE EXTENSION citus')
}
DB=bench
node worker1; W1=("$PGHOST" "$PGPORT")
node worker2; W2=("$PGHOST" "$PGPORT")
node coordinator
psql_su -c "SELECT citus_set_coordinator_host('$PGHOST', $PGPORT)" \
        -c "SELECT citus_add_node('${W1[0]}', ${W1[1]})" \
        -c "SELECT citus_add_node('${W2[0]}', ${W2[1]})" >/dev/null

generate "$TENANTS" "$ISSUES" "$COMMENTS"

# run PHASE VARIANT WORKLOAD ROUND: prints "tps mean_ms"
run() {
    local p=$1 v=$2 w=$3 r=$4 out="$OUT/$1.w$3.$2.r$4"
    if ! (cd /tmp && as_postgres "$PG_BINDIR/pgbench" -n -M prepared -U bench_app \
            -T "$SECONDS_PER_RUN" -c "$CLIENTS" -j "$(( CLIENTS < 2 ? 1 : 2 ))" \
            -D tenants="$TENANTS" -f "$W/w$w.$v.sql" "$DB") >"$out" 2>"$out.err"; then
        cat "$out.err" >&2
        die "pgbench failed: $p, workload $w, $v"
    fi
    awk '/^latency average/ {m = $4} /^tps = / {t = $3} END {printf "%.1f %.3f\n", t, m}' "$out"
}

declare -A NAME=([1]="list newest 50 open issues, admin" [3]="one issue with its comments"
                 [4]="create an issue" [5]="add a comment")

# phase NAME: every workload, both variants, in rounds that alternate which
# runs first; RES.NAME.wW.VARIANT holds one "tps mean_ms" line per round
phase() {
    local p=$1 w r v
    for v in tracker baseline; do   # warm-up, not measured
        (cd /tmp && as_postgres "$PG_BINDIR/pgbench" -n -M prepared -U bench_app -T 3 -c "$CLIENTS" \
            -D tenants="$TENANTS" -f "$W/w1.$v.sql" "$DB") >/dev/null 2>&1 || die "pgbench failed: warm-up, $v"
    done
    for w in $WORKLOADS; do
        for r in $(seq 1 "$ROUNDS"); do
            for v in $( ((r % 2)) && echo tracker baseline || echo baseline tracker); do
                log "$p: workload $w, round $r, $v"
                run "$p" "$v" "$w" "$r" >> "$OUT/res.$p.w$w.$v"
            done
        done
    done
}

# ratio P W: median over the rounds of tracker's TPS over the baseline's
ratio() {
    paste "$OUT/res.$1.w$2.tracker" "$OUT/res.$1.w$2.baseline" | awk '{printf "%.6f\n", $1 / $3}' | median
}
col() { awk -v c="$3" '{print $c}' "$OUT/res.$1.$2" | median; }

phase one_server

log "distributing: tracker.distribute($SHARDS), and the baseline's tables by tenant_id beside the pool's"
psql_su >/dev/null <<SQL
DROP SCHEMA bench_common CASCADE;
DO \$\$
DECLARE
	fk record;
BEGIN
	FOR fk IN SELECT conrelid::regclass AS rel, conname FROM pg_constraint
			  WHERE contype = 'f' AND connamespace = 'bench_base'::regnamespace LOOP
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.rel, fk.conname);
	END LOOP;
END
\$\$;
SELECT tracker.distribute($SHARDS);
SELECT create_distributed_table('bench_base.' || t, 'tenant_id', colocate_with => 'tracker_pool.users')
FROM unnest(ARRAY['users', 'teams', 'team_members', 'issue_counters', 'issues', 'comments']) t;
VACUUM ANALYZE;
SQL
prewarm

phase cluster

TABLE="$OUT/table.md"
{
    printf '| workload | one server: tracker TPS | baseline TPS | tracker / baseline | cluster: tracker TPS | baseline TPS | tracker / baseline |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|\n'
    for w in $WORKLOADS; do
        printf '| %s. %s | %.0f | %.0f | %.3f | %.0f | %.0f | %.3f |\n' "$w" "${NAME[$w]}" \
            "$(col one_server "w$w.tracker" 1)" "$(col one_server "w$w.baseline" 1)" "$(ratio one_server "$w")" \
            "$(col cluster "w$w.tracker" 1)" "$(col cluster "w$w.baseline" 1)" "$(ratio cluster "$w")"
    done
    printf '\nMean latency (ms), same runs:\n\n'
    printf '| workload | one server: tracker | baseline | cluster: tracker | baseline |\n'
    printf '|---|---:|---:|---:|---:|\n'
    for w in $WORKLOADS; do
        printf '| %s | %.3f | %.3f | %.3f | %.3f |\n' "$w" \
            "$(col one_server "w$w.tracker" 2)" "$(col one_server "w$w.baseline" 2)" \
            "$(col cluster "w$w.tracker" 2)" "$(col cluster "w$w.baseline" 2)"
    done
} > "$TABLE"

MACHINE="$OUT/machine.md"
{
    machine_lines
    printf -- '- Cluster: a coordinator (in the metadata, holding no shard of the pool) and 2 workers on this machine, Unix sockets; Citus %s; %s shards\n' \
        "$(psql_su -Atc "SELECT extversion FROM pg_extension WHERE extname = 'citus'")" "$SHARDS"
    printf -- '- Data: %s tenants, %s issues, %s comments; %s clients, %s s per run, %s rounds (median)\n' \
        "$TENANTS" "$ISSUES" "$COMMENTS" "$CLIENTS" "$SECONDS_PER_RUN" "$ROUNDS"
    printf -- '- Command: test/bench/cluster.sh %s\n' "$ARGS"
} > "$MACHINE"
cat "$MACHINE"; echo; cat "$TABLE"
[ -n "$REPORT" ] && report_to "$REPORT" cluster "$MACHINE" "$TABLE"
exit 0
