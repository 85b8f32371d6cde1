# shellcheck shell=bash
#
# test/cluster.sh -- helpers shared by test/run and demo/run.
#
# Source it; it defines functions only (plus a few variables) and changes no
# shell options.  Every function returns non-zero on failure instead of
# exiting, so the caller decides what a failure means.
#
# The throwaway PostgreSQL 15 clusters run as the `postgres` system user
# (the server refuses to run as root).  Commands are run as postgres through
# `runuser` when we are root and through `sudo -u postgres` otherwise; root
# work (apt-get, make install, chown, rm) goes through `sudo` when we are not
# root.

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PG_CONFIG_BIN="$PG_BINDIR/pg_config"

# Debian packages needed to build the extension and run every test suite.
TRACKER_PACKAGES=(
    postgresql-15
    postgresql-server-dev-15
    libssl-dev
    pkg-config
    make
    gcc
    libipc-run-perl
    libdbd-pg-perl
    python3
    python3-jwt
    python3-cryptography
    openssl
)

# The scripts drive their own make runs; flags inherited from an outer
# `make test` / `make demo` (jobserver descriptors, -k, variable overrides)
# must not leak into them.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

# ---------------------------------------------------------------- messages --

log()  { printf '==> %s\n' "$*" >&2; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
err()  { printf '==> ERROR: %s\n' "$*" >&2; }

# ------------------------------------------------------- privilege helpers --

is_root() { [ "$(id -u)" -eq 0 ]; }

# need_sudo: when not root, make sure sudo exists.
need_sudo() {
    is_root && return 0
    if ! command -v sudo >/dev/null 2>&1; then
        err "not running as root and sudo is not installed; run as root or install sudo"
        return 1
    fi
}

# as_root CMD...: run CMD as root.  sudo resets the environment, so callers
# pass whatever variables they need through `env`.
as_root() {
    if is_root; then
        "$@"
    else
        need_sudo || return 1
        sudo -- "$@"
    fi
}

# as_postgres CMD...: run CMD as the postgres system user, in the current
# directory (callers cd somewhere postgres may enter first), with PG15's
# binaries first on PATH and the connection variables of the current cluster.
# TMPDIR is set to POSTGRES_TMPDIR when that is set.
as_postgres() {
    local home
    home=$(getent passwd postgres | cut -d: -f6)
    local envs=(
        "PATH=$PG_BINDIR:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        "HOME=${home:-/var/lib/postgresql}"
        "LANG=C.UTF-8"
        "PG_CONFIG=$PG_CONFIG_BIN"
    )
    [ -n "${PGHOST:-}" ] && envs+=("PGHOST=$PGHOST")
    [ -n "${PGPORT:-}" ] && envs+=("PGPORT=$PGPORT")
    [ -n "${PGUSER:-}" ] && envs+=("PGUSER=$PGUSER")
    [ -n "${POSTGRES_TMPDIR:-}" ] && envs+=("TMPDIR=$POSTGRES_TMPDIR")
    if [ "$(id -un)" = postgres ]; then
        env -u LC_ALL "${envs[@]}" "$@"
    elif is_root; then
        runuser -u postgres -- env -u LC_ALL "${envs[@]}" "$@"
    else
        need_sudo || return 1
        sudo -u postgres -- env -u LC_ALL "${envs[@]}" "$@"
    fi
}

# The command prefix a user should type to act as postgres (for messages).
postgres_prefix() {
    if is_root; then
        printf 'runuser -u postgres --'
    else
        printf 'sudo -u postgres'
    fi
}

# --------------------------------------------------------------- packages --

# ensure_packages: install whatever of TRACKER_PACKAGES is missing.
ensure_packages() {
    local missing=() p status
    if ! command -v dpkg-query >/dev/null 2>&1; then
        err "dpkg-query not found: this needs a Debian (bookworm) system"
        return 1
    fi
    for p in "${TRACKER_PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || status=""
        [ "$status" = installed ] || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "required packages are installed"
        return 0
    fi

    need_sudo || return 1
    local aptlog
    aptlog=$(mktemp "${TMPDIR:-/tmp}/tracker-apt.XXXXXX") || return 1
    log "installing missing packages: ${missing[*]} (log: $aptlog)"
    if as_root env DEBIAN_FRONTEND=noninteractive apt-get update >"$aptlog" 2>&1 &&
       as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >>"$aptlog" 2>&1; then
        rm -f "$aptlog"
        log "packages installed"
        return 0
    fi
    err "package installation failed; last lines of $aptlog:"
    tail -n 40 "$aptlog" >&2
    return 1
}

# ----------------------------------------------------------------- build --

# build_and_install [SRCDIR]: build as the invoking user, install as root.
build_and_install() {
    local src=${1:-${REPO_ROOT:-.}}
    local jobs
    jobs=$(nproc 2>/dev/null || echo 2)
    if [ ! -x "$PG_CONFIG_BIN" ]; then
        err "$PG_CONFIG_BIN not found (is postgresql-server-dev-15 installed?)"
        return 1
    fi
    log "building the extension in $src"
    if ! (cd "$src" && PATH="$PG_BINDIR:$PATH" make -j"$jobs" PG_CONFIG="$PG_CONFIG_BIN"); then
        err "build failed (make in $src)"
        return 1
    fi
    log "installing the extension (make install, as root)"
    if ! (cd "$src" && as_root env PATH="$PG_BINDIR:$PATH" make install PG_CONFIG="$PG_CONFIG_BIN"); then
        err "make install failed"
        return 1
    fi
}

# copy_tree SRC DEST: copy the source tree SRC to DEST (created; must not
# exist) without .git and test outputs, then give it to postgres.
# The tree is read as the invoking user and written as root, because DEST may
# be inside a directory that already belongs to postgres.
copy_tree() {
    local src=$1 dest=$2
    as_root mkdir -p "$dest" || return 1
    tar -C "$src" -cf - \
        --exclude=./.git \
        --exclude=./results \
        --exclude=./tmp_check \
        --exclude=./tmp_check_iso \
        --exclude=./output_upgraded \
        --exclude=./log \
        --exclude=./output_iso \
        --exclude=./test/isolation/output_iso \
        --exclude=./regression.diffs \
        --exclude=./regression.out \
        . | as_root tar -C "$dest" -xf - || return 1
    as_root chown -R postgres:postgres "$dest"
}

# remove_dir DIR: rm -rf DIR as root, refusing obviously wrong arguments.
remove_dir() {
    local dir=$1
    case "$dir" in
        "" | / | /tmp | /tmp/ | /root | /home | /var | /usr | /etc | .*)
            err "remove_dir: refusing to remove '$dir'"
            return 1 ;;
        /*) ;;
        *)  err "remove_dir: '$dir' is not an absolute path"
            return 1 ;;
    esac
    [ -e "$dir" ] || return 0
    as_root rm -rf -- "$dir"
}

# --------------------------------------------------------------- cluster --

# port_in_use PORT: true if something listens on PORT (TCP on any address,
# or a PostgreSQL unix socket for that port in the usual places).
port_in_use() {
    local p=$1
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && return 0
        ss -Hlxn 2>/dev/null | grep -q "\.s\.PGSQL\.${p}[[:space:]]" && return 0
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && return 0
    fi
    [ -e "/var/run/postgresql/.s.PGSQL.$p" ] && return 0
    [ -e "/tmp/.s.PGSQL.$p" ] && return 0
    return 1
}

# pick_port: print the first free port from 54320 up.
pick_port() {
    local p
    for ((p = 54320; p < 54320 + 1000; p++)); do
        if ! port_in_use "$p"; then
            printf '%s\n' "$p"
            return 0
        fi
    done
    err "no free port found in 54320-55319"
    return 1
}

# start_cluster DIR [CONF_LINE...]: initdb DIR/data as postgres, start it on a
# free port with its unix socket in DIR (no TCP), log to DIR/server.log, wait
# until it accepts connections, and export PGHOST, PGPORT and PGUSER.
# Extra postgresql.conf lines may be given as further arguments.
start_cluster() {
    local dir=$1
    shift
    local data="$dir/data" port out line i

    as_root mkdir -p "$dir" || return 1
    as_root chown postgres:postgres "$dir" || return 1
    # 0755: the socket lives here and other local users may connect to it.
    as_root chmod 0755 "$dir" || return 1

    log "initdb $data"
    if ! out=$(cd "$dir" && as_postgres "$PG_BINDIR/initdb" -D "$data" -U postgres \
                   -A trust --auth-local=trust -E UTF8 --locale=C --no-sync 2>&1); then
        printf '%s\n' "$out" >&2
        err "initdb failed"
        return 1
    fi

    port=$(pick_port) || return 1
    {
        printf '\n# added by test/cluster.sh\n'
        printf "port = %s\n" "$port"
        printf "listen_addresses = ''\n"
        printf "unix_socket_directories = '%s'\n" "$dir"
        # the documented way to run tracker (docs/operations.md)
        printf "shared_preload_libraries = 'tracker'\n"
        for line in "$@"; do
            printf '%s\n' "$line"
        done
    } | (cd "$dir" && as_postgres tee -a "$data/postgresql.conf" >/dev/null) || return 1

    log "starting PostgreSQL 15 on port $port (socket in $dir, log $dir/server.log)"
    if ! out=$(cd "$dir" && as_postgres "$PG_BINDIR/pg_ctl" -D "$data" -l "$dir/server.log" \
                   -w -t 120 start 2>&1); then
        printf '%s\n' "$out" >&2
        err "the server did not start; last lines of $dir/server.log:"
        (cd "$dir" && as_postgres tail -n 40 "$dir/server.log") >&2
        return 1
    fi
    for ((i = 0; i < 60; i++)); do
        if (cd "$dir" && as_postgres "$PG_BINDIR/pg_isready" -q -h "$dir" -p "$port"); then
            break
        fi
        sleep 1
    done
    if [ "$i" -ge 60 ]; then
        err "the server on port $port is not accepting connections"
        return 1
    fi

    export PGHOST="$dir" PGPORT="$port" PGUSER=postgres
}

# stop_cluster DIR: stop the cluster in DIR/data if it runs; never fails.
stop_cluster() {
    local dir=$1
    [ -n "$dir" ] || return 0
    (cd / && as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" stop -m fast -w -t 60) >/dev/null 2>&1 && return 0
    # Not running (pg_ctl status 3), or fast shutdown hung: make sure.
    if (cd / && as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" status) >/dev/null 2>&1; then
        (cd / && as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" stop -m immediate -w -t 60) >/dev/null 2>&1
    fi
    return 0
}
