# shellcheck shell=bash
#
# test/bench/lib.sh -- what tenancy.sh and traffic.sh share: their cluster,
# the data set, and the arithmetic of their reports.
#
# Source it after test/cluster.sh.  It sets no shell options.

die() { err "$*"; exit 1; }

# bench_cluster DIR SETTING...: a throwaway cluster in DIR for the data set
# (three copies of about 1.7 GB), with shared buffers to hold it when memory
# allows, synchronous_commit off, and no checkpoint of the load during a run,
# plus the SETTINGs given.
bench_cluster() {
    local dir=$1 mem_mb buffers_mb
    shift
    mem_mb=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
    buffers_mb=$(( mem_mb * 2 / 5 < 8192 ? mem_mb * 2 / 5 : 8192 ))
    start_cluster "$dir" "shared_buffers = ${buffers_mb}MB" "synchronous_commit = off" \
        "max_wal_size = 8GB" "checkpoint_timeout = 30min" "max_connections = 50" "$@"
}

# bench_start NAME USE_DB [SETTING...]: where a benchmark runs.  Sets OUT (a
# directory for its scripts and logs, removed at exit unless KEEP_OUT is set)
# and DB: USE_DB on the cluster PGHOST/PGPORT name when it is not empty;
# otherwise the extension is built and installed and a throwaway cluster
# (bench_cluster, with the SETTINGs; stopped and removed at exit) gets a
# database "bench".
bench_start() {
    local name=$1 use_db=$2
    shift 2
    OUT=$(mktemp -d "/tmp/tracker-$name-out.XXXXXX")
    chmod 0777 "$OUT"
    BENCH_DIR=""
    trap bench_cleanup EXIT
    if [ -n "$use_db" ]; then
        DB=$use_db
        return 0
    fi
    ensure_packages
    build_and_install >/dev/null
    BENCH_DIR=$(mktemp -d "/tmp/tracker-$name.XXXXXX")
    bench_cluster "$BENCH_DIR" "$@"
    DB=bench
    (cd "$BENCH_DIR" && as_postgres "$PG_BINDIR/createdb" "$DB")
}

bench_cleanup() {
    [ -n "${BENCH_DIR:-}" ] && { stop_cluster "$BENCH_DIR"; remove_dir "$BENCH_DIR"; }
    if [ -n "${KEEP_OUT:-}" ]; then log "kept $OUT"; else rm -rf "$OUT"; fi
}

# psql_su ARGS...: psql as the superuser into $DB
psql_su() { (cd /tmp && as_postgres "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"); }

# generate TENANTS ISSUES COMMENTS: the data set (test/bench/tenancy/generate.sql),
# then every table of it read into shared buffers and a checkpoint, so that no
# variant starts from disk and no checkpoint of the load runs during a run
generate() {
    log "generating $1 tenants, $2 issues, $3 comments"
    psql_su -c "CREATE EXTENSION IF NOT EXISTS tracker" >/dev/null
    psql_su -v tenants="$1" -v issues="$2" -v comments="$3" \
        -f "$REPO_ROOT/test/bench/tenancy/generate.sql" >&2
    prewarm
}

# traffic_data TENANTS ISSUES COMMENTS REUSE: the data set and the traffic
# benchmark's actors (test/bench/traffic/setup.sql), unless REUSE is 1: then
# the database holds them from an earlier run
traffic_data() {
    [ "$4" = 1 ] && return 0
    generate "$1" "$2" "$3"
    psql_su -f "$REPO_ROOT/test/bench/traffic/setup.sql" >&2
}

# traffic_name W: the short name of traffic workload W, for reports
traffic_name() { sed -n 's/^-- name: //p' "$REPO_ROOT/test/bench/traffic/w$1.tracker.sql"; }

# traffic_group W: the actors traffic workload W draws: admin or user
traffic_group() { sed -n 's/^-- group: //p' "$REPO_ROOT/test/bench/traffic/w$1.tracker.sql"; }

prewarm() {
    psql_su -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
            -c "SELECT count(pg_prewarm(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname IN ('bench', 'bench_base', 'bench_common', 'tracker', 'tracker_pool')
                  AND c.relkind IN ('r', 'i')" -c "CHECKPOINT" >/dev/null
}

# pgbench_stats PREFIX FROM: per script, over the transactions of the pgbench logs
# PREFIX.* that ended after FROM (epoch seconds): "script count seconds
# mean_us p50_us p99_us"
pgbench_stats() {
    cat "$1".[0-9]* | awk -v from="$2" '{t = $5 + $6 / 1e6; if (t > from) printf "%d %d %.6f\n", $4, $3, t}' |
    sort -k1,1n -k2,2n |
    awk '{k = $1; n[k]++; s[k] += $2; a[k, n[k]] = $2
          if (!(k in lo) || $3 < lo[k]) lo[k] = $3; if ($3 > hi[k]) hi[k] = $3}
        function at(k, q,    i) {i = int(n[k] * q + 0.5); if (i < 1) i = 1; return a[k, i]}
        END {for (k in n) printf "%d %d %.3f %.1f %d %d\n", k, n[k], hi[k] - lo[k], s[k] / n[k], at(k, 0.5), at(k, 0.99)}' |
    sort -n
}

# median: of the numbers on standard input, one a line
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# machine_lines: the markdown list that says where a report was measured
machine_lines() {
    printf -- '- Machine: %s cores (%s), %s of memory\n' "$(nproc)" \
        "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" "$(free -h | awk '/Mem:/ {print $2}')"
    printf -- '- PostgreSQL: %s\n' "$(psql_su -Atc 'SHOW server_version')"
    printf -- '- Settings: %s\n' "$(psql_su -Atc "SELECT string_agg(name || ' = ' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'max_wal_size', 'work_mem', 'jit', 'max_parallel_workers_per_gather', 'tracker.context_cache_size', 'tracker.shared_context_cache_size')")"
}

# report_to FILE MARKER MACHINE TABLE: the measurement (when, where: the
# file MACHINE; what: the file TABLE) between "<!-- MARKER -->" and
# "<!-- /MARKER -->" in FILE (splice_report)
report_to() {
    {
        printf '<!-- %s -->\n' "$2"
        printf '_Measured %s._\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
        cat "$3"; printf '\n'; cat "$4"
        printf '<!-- /%s -->\n' "$2"
    } > "$OUT/report.md"
    splice_report "$1" "$OUT/report.md" "$2"
    log "results written to $1"
}

# splice_report FILE REPORT MARKER: replaces what lies between the lines
# "<!-- MARKER -->" and "<!-- /MARKER -->" of FILE with REPORT (a file that
# starts and ends with those lines), or appends REPORT when FILE has none
splice_report() {
    local file=$1 report=$2 marker=$3
    if [ -f "$file" ] && grep -q "<!-- $marker -->" "$file"; then
        awk -v f="$report" -v first="<!-- $marker -->" -v last="<!-- /$marker -->" '
            $0 == first {while ((getline l < f) > 0) print l; skip = 1; next}
            $0 == last {skip = 0; next}
            !skip' "$file" > "$file.new" && mv "$file.new" "$file"
    else
        cat "$report" >> "$file"
    fi
}
