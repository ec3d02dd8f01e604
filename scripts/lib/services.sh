#!/usr/bin/env bash
# shellcheck shell=bash
#
# scripts/lib/services.sh — find or start the Postgres and Redis that
# Downwatch's tests (and a hand-run server) talk to.
#
# This file is a library: source it, do not run it.
#
#   source scripts/lib/services.sh
#   trap dw_cleanup EXIT
#   dw_ensure_postgres     # exports DATABASE_URL
#   dw_ensure_redis        # exports REDIS_URL
#   dw_ensure_redis_cluster # exports DOWNWATCH_TEST_REDIS_CLUSTER_URL
#                           # (dw_start_redis_cluster: always a new one)
#
# For each service the first that works wins:
#   1. the URL already in DATABASE_URL / REDIS_URL, if it answers;
#   2. the usual local server (postgres://postgres@127.0.0.1:5432/postgres,
#      redis://127.0.0.1:6379/), if it answers;
#   3. a throwaway server started here, on a free port from 55432 (Postgres)
#      or 56379 (Redis) upward, with its data in a `mktemp -d` directory.
#      dw_cleanup stops it and deletes that directory again.
#
# Knobs (environment variables):
#   DOWNWATCH_SKIP_DEFAULT_SERVICES=1  skip step 2, so that an unusable URL
#                                      leads straight to a throwaway server.
#   DOWNWATCH_NO_APT=1                 never `apt-get install` a missing
#                                      server; fail with a hint instead.
#
# Every log line goes to stderr and starts with "downwatch:".
#
# Written to run under `set -euo pipefail` (every caller in scripts/ sets it),
# but it sets no shell options itself, so sourcing it into an interactive
# shell does not change that shell's behaviour.

# Running this file directly does nothing useful: say so.
if [[ "${BASH_SOURCE[0]}" == "${0}" ]]; then
    echo "downwatch: ${0} is a library; source it from a script instead" >&2
    exit 1
fi

# Source once only: a second `source` would reset the state below and make
# dw_cleanup forget servers that were already started.
if [[ -n "${DW__SERVICES_LOADED:-}" ]]; then
    return 0
fi
DW__SERVICES_LOADED=1

# ---------------------------------------------------------------------------
# State: what this shell started, so dw_cleanup stops exactly that and never
# anything else.
# ---------------------------------------------------------------------------
DW__PG_DIR=""        # temp dir of our throwaway Postgres ("" = none started)
DW__PG_BINDIR=""     # bin dir holding the initdb/pg_ctl we used
DW__PG_PORT=""       # port of our throwaway Postgres (for log lines)
DW__REDIS_DIR=""     # temp dir of our throwaway Redis ("" = none started)
DW__REDIS_PID=""     # pid of our redis-server ("" = none started)
DW__REDIS_PORT=""    # port of our throwaway Redis (for log lines)
DW__APT_UPDATED=""   # set once `apt-get update` has run in this shell
DW__CLUSTER_DIR=""   # temp dir of our throwaway Redis Cluster ("" = none started)
DW__CLUSTER_PIDS=()  # pids of its redis-server nodes
DW__CLUSTER_PORTS=() # their ports (for log lines)

# Where the throwaway servers' port search starts, and how far it goes.
DW__PG_PORT_BASE=55432
DW__REDIS_PORT_BASE=56379
# A cluster node also listens on its port + 10000 (the cluster bus), so its
# ports start low enough for that to stay a valid port.
DW__CLUSTER_PORT_BASE=47379
DW__CLUSTER_BUS_OFFSET=10000
DW__CLUSTER_NODES=3
DW__PORT_SPAN=200
# Seconds to wait for a throwaway server to accept connections.
DW__START_TIMEOUT=30

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

# dw_log MESSAGE... — one log line on stderr.
dw_log() {
    printf 'downwatch: %s\n' "$*" >&2
}

# dw_die MESSAGE... — log the message and exit 1 (the caller's EXIT trap
# still runs dw_cleanup).
dw_die() {
    dw_log "$@"
    exit 1
}

# dw_need_tool NAME "install hint" — exit with a one-line message unless the
# command NAME is on PATH.
#   dw_need_tool redis-cli "apt-get install redis-tools"
dw_need_tool() {
    local name="$1" hint="$2"
    if ! command -v "${name}" >/dev/null 2>&1; then
        dw_die "${name} not found — install it with: ${hint}"
    fi
}

# dw__url_hostport URL — print "host:port" of a URL, without the user name
# or password, for log lines ("127.0.0.1:5432").
dw__url_hostport() {
    local rest="${1#*://}"
    rest="${rest##*@}"
    rest="${rest%%/*}"
    rest="${rest%%\?*}"
    printf '%s' "${rest:-localhost}"
}

# dw__can_apt — true when a missing package may be installed here: running
# as root, apt-get present, and DOWNWATCH_NO_APT not set.
dw__can_apt() {
    [[ "${EUID}" -eq 0 ]] && [[ -z "${DOWNWATCH_NO_APT:-}" ]] &&
        command -v apt-get >/dev/null 2>&1
}

# dw__apt_install PACKAGE... — install Debian packages quietly. Runs
# `apt-get update` once per shell first. On failure, shows the end of
# apt's output and exits.
dw__apt_install() {
    local log
    log="$(mktemp "${TMPDIR:-/tmp}/downwatch-apt.XXXXXX")"
    dw_log "installing $* with apt-get (this can take a minute)…"
    if [[ -z "${DW__APT_UPDATED}" ]]; then
        if ! apt-get update -qq >"${log}" 2>&1; then
            tail -n 20 "${log}" >&2
            rm -f "${log}"
            dw_die "apt-get update failed (output above)"
        fi
        DW__APT_UPDATED=1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >"${log}" 2>&1; then
        tail -n 20 "${log}" >&2
        rm -f "${log}"
        dw_die "apt-get install $* failed (output above)"
    fi
    rm -f "${log}"
}

# dw__port_in_use PORT — true if something accepts TCP connections on
# 127.0.0.1:PORT. A refused connection returns at once on loopback.
dw__port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# dw__free_port START — print the first port from START upward (within
# DW__PORT_SPAN) that nothing listens on.
#
# Two runs at the same time may both be told the same port; that is fine:
# only one of them can bind it, and the starters below notice the failed
# bind and ask again from the next port.
dw__free_port() {
    local port="$1" last=$(($1 + DW__PORT_SPAN))
    while ((port < last)); do
        if ! dw__port_in_use "${port}"; then
            printf '%s' "${port}"
            return 0
        fi
        port=$((port + 1))
    done
    dw_die "no free TCP port on 127.0.0.1 between $1 and $((last - 1))"
}

# dw__make_tmpdir KIND — print a new private temp dir's path.
dw__make_tmpdir() {
    mktemp -d "${TMPDIR:-/tmp}/downwatch-$1.XXXXXX"
}

# ---------------------------------------------------------------------------
# Postgres
# ---------------------------------------------------------------------------

# dw__pg_client NAME — print the path of a Postgres client tool (psql,
# pg_isready): from PATH, else from the newest /usr/lib/postgresql/*/bin.
dw__pg_client() {
    local name="$1" dir dirs=()
    if command -v "${name}" >/dev/null 2>&1; then
        command -v "${name}"
        return 0
    fi
    mapfile -t dirs < <(dw__pg_versioned_bindirs)
    for dir in "${dirs[@]}"; do
        if [[ -x "${dir}/${name}" ]]; then
            printf '%s' "${dir}/${name}"
            return 0
        fi
    done
    return 1
}

# dw__pg_versioned_bindirs — print /usr/lib/postgresql/*/bin, newest
# version first, one a line.
dw__pg_versioned_bindirs() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [[ -d "${dir}" ]]; then
            printf '%s\n' "${dir}"
        fi
    done | sort -V -r
}

# dw__pg_reachable URL — true if we can log in to URL and run `select 1`
# (psql), or, without psql, if the server accepts connections (pg_isready).
# Returns 2 when neither tool is installed, so the answer is unknown.
dw__pg_reachable() {
    local url="$1" tool
    if tool="$(dw__pg_client psql)"; then
        [[ "$(PGCONNECT_TIMEOUT=3 "${tool}" -X -Atq -d "${url}" -c 'select 1' 2>/dev/null)" == "1" ]]
        return
    fi
    if tool="$(dw__pg_client pg_isready)"; then
        "${tool}" -q -t 3 -d "${url}" >/dev/null 2>&1
        return
    fi
    return 2
}

# dw__pg_find_server_bindir — print a directory holding initdb, pg_ctl and
# postgres: the newest /usr/lib/postgresql/*/bin, else `pg_config --bindir`,
# else wherever initdb is on PATH.
dw__pg_find_server_bindir() {
    local dir candidates=()
    mapfile -t candidates < <(dw__pg_versioned_bindirs)
    if command -v pg_config >/dev/null 2>&1; then
        candidates+=("$(pg_config --bindir 2>/dev/null || true)")
    fi
    if command -v initdb >/dev/null 2>&1; then
        candidates+=("$(dirname "$(command -v initdb)")")
    fi
    for dir in "${candidates[@]}"; do
        if [[ -n "${dir}" && -x "${dir}/initdb" && -x "${dir}/pg_ctl" && -x "${dir}/postgres" ]]; then
            printf '%s' "${dir}"
            return 0
        fi
    done
    return 1
}

# dw__pg_as_owner CMD... — run a Postgres server command as the owner of the
# throwaway cluster. initdb and postgres refuse to run as root, so as root
# that is the `postgres` system user; otherwise it is the current user.
# Runs from inside the cluster's dir so a cwd the user can't read (/root)
# doesn't matter.
dw__pg_as_owner() {
    if [[ "${EUID}" -eq 0 ]]; then
        (cd "${DW__PG_DIR}" && runuser -u postgres -- "$@")
    else
        (cd "${DW__PG_DIR}" && "$@")
    fi
}

# dw__pg_ensure_os_user — as root, make sure the `postgres` system user
# exists (Debian's postgresql package normally creates it).
dw__pg_ensure_os_user() {
    [[ "${EUID}" -eq 0 ]] || return 0
    dw_need_tool runuser "apt-get install util-linux"
    if id -u postgres >/dev/null 2>&1; then
        return 0
    fi
    dw_log "creating the 'postgres' system user to own the throwaway cluster"
    local group_opt=(--user-group)
    if getent group postgres >/dev/null 2>&1; then
        group_opt=(--gid postgres)
    fi
    useradd --system "${group_opt[@]}" --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin postgres
}

# dw__pg_start_throwaway — initdb a cluster in a temp dir, start it on a
# free port and export DATABASE_URL for it.
dw__pg_start_throwaway() {
    local bindir
    if ! bindir="$(dw__pg_find_server_bindir)"; then
        if dw__can_apt; then
            dw__apt_install postgresql
            bindir="$(dw__pg_find_server_bindir)" ||
                dw_die "installed postgresql but still found no initdb/pg_ctl/postgres"
        else
            dw_die "Postgres server binaries (initdb, pg_ctl, postgres) not found — install them with: apt-get install postgresql (or point DATABASE_URL at a running server)"
        fi
    fi
    DW__PG_BINDIR="${bindir}"
    dw__pg_ensure_os_user

    # The temp dir must be reachable by the cluster's owner; as root that is
    # the postgres user, who may not be able to enter a private $TMPDIR.
    local dir
    dir="$(dw__make_tmpdir pg)"
    DW__PG_DIR="${dir}" # from here on dw_cleanup removes it
    if [[ "${EUID}" -eq 0 ]]; then
        chown postgres: "${dir}"
        if ! runuser -u postgres -- test -w "${dir}"; then
            rm -rf "${dir}"
            dir="$(mktemp -d /tmp/downwatch-pg.XXXXXX)"
            DW__PG_DIR="${dir}"
            chown postgres: "${dir}"
        fi
    fi

    # A fresh cluster: trust auth, superuser "postgres", no fsyncs (its data
    # is thrown away anyway), C locale so the host's locales don't matter.
    if ! dw__pg_as_owner "${bindir}/initdb" -D "${dir}/data" -U postgres \
        --auth=trust --no-sync --encoding=UTF8 --locale=C \
        >"${dir}/initdb.log" 2>&1; then
        tail -n 20 "${dir}/initdb.log" >&2
        dw_die "initdb failed (output above)"
    fi

    # Start on a free port. If another run grabbed the port between our probe
    # and the server's bind, the server exits with "Address already in use":
    # then try again further up.
    local port="${DW__PG_PORT_BASE}" attempt log
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port="$(dw__free_port "${port}")"
        log="${dir}/postgres-${port}.log"
        dw_log "starting throwaway Postgres on port ${port}; waiting up to ${DW__START_TIMEOUT} s for it to accept connections…"
        # pg_ctl -w waits until this very cluster (its postmaster.pid) reports
        # ready, so a server of another run on the same port can't fool it.
        if dw__pg_as_owner "${bindir}/pg_ctl" -D "${dir}/data" -l "${log}" \
            -w -t "${DW__START_TIMEOUT}" \
            -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -k '${dir}' -h 127.0.0.1 -p ${port}" \
            start >"${dir}/pg_ctl.log" 2>&1; then
            export DATABASE_URL="postgres://postgres@127.0.0.1:${port}/postgres"
            DW__PG_PORT="${port}"
            dw_log "started throwaway Postgres on port ${port} (data in ${dir})"
            return 0
        fi
        if grep -q 'Address already in use' "${log}" 2>/dev/null; then
            dw_log "port ${port} was taken meanwhile (attempt ${attempt}); trying the next one"
            port=$((port + 1))
            continue
        fi
        # Not a port clash: show why, and give up. (A server that is still
        # starting after the timeout is stopped by dw_cleanup.)
        cat "${dir}/pg_ctl.log" >&2
        tail -n 20 "${log}" >&2 2>/dev/null || true
        dw_die "throwaway Postgres did not start within ${DW__START_TIMEOUT} s (output above)"
    done
    dw_die "could not find a free port for Postgres after ${attempt} attempts"
}

# dw_ensure_postgres — make DATABASE_URL point at a Postgres that answers
# (see the top of this file for the order) and export it.
dw_ensure_postgres() {
    local rc
    if [[ -n "${DATABASE_URL:-}" ]]; then
        rc=0
        dw__pg_reachable "${DATABASE_URL}" || rc=$?
        if ((rc == 0)); then
            export DATABASE_URL
            dw_log "using Postgres at $(dw__url_hostport "${DATABASE_URL}") (from DATABASE_URL)"
            return 0
        elif ((rc == 2)); then
            export DATABASE_URL
            dw_log "using Postgres at $(dw__url_hostport "${DATABASE_URL}") (from DATABASE_URL; not checked: no psql or pg_isready installed)"
            return 0
        fi
        dw_log "DATABASE_URL ($(dw__url_hostport "${DATABASE_URL}")) did not answer 'select 1'; looking for another Postgres"
    fi

    local default_url="postgres://postgres@127.0.0.1:5432/postgres"
    if [[ -n "${DOWNWATCH_SKIP_DEFAULT_SERVICES:-}" ]]; then
        dw_log "DOWNWATCH_SKIP_DEFAULT_SERVICES is set: not trying Postgres at 127.0.0.1:5432"
    elif dw__pg_reachable "${default_url}"; then
        export DATABASE_URL="${default_url}"
        dw_log "using Postgres at 127.0.0.1:5432 (already running)"
        return 0
    fi

    dw__pg_start_throwaway
}

# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------

# dw__redis_reachable URL — true if `redis-cli -u URL ping` answers PONG.
# Returns 2 when redis-cli is not installed, so the answer is unknown.
dw__redis_reachable() {
    command -v redis-cli >/dev/null 2>&1 || return 2
    local out
    out="$(timeout 5 redis-cli --no-auth-warning -u "$1" ping 2>/dev/null || true)"
    [[ "${out}" == "PONG" ]]
}

# dw__redis_owns_port PORT PID — true if the Redis answering on PORT is the
# process PID (and not another run's server that got the port first).
dw__redis_owns_port() {
    local info
    info="$(timeout 5 redis-cli -h 127.0.0.1 -p "$1" info server 2>/dev/null || true)"
    [[ "${info}" == *"process_id:$2"$'\r'* || "${info}" == *"process_id:$2" ]]
}

# dw__redis_start_throwaway — start redis-server on a free port with its
# working dir in a temp dir, and export REDIS_URL for it.
dw__redis_start_throwaway() {
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        if dw__can_apt; then
            dw__apt_install redis-server
        fi
        dw_need_tool redis-server "apt-get install redis-server (or point REDIS_URL at a running server)"
        dw_need_tool redis-cli "apt-get install redis-tools"
    fi

    local dir
    dir="$(dw__make_tmpdir redis)"
    DW__REDIS_DIR="${dir}" # from here on dw_cleanup removes it

    local port="${DW__REDIS_PORT_BASE}" attempt pid log waited
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port="$(dw__free_port "${port}")"
        log="${dir}/redis-${port}.log"
        dw_log "starting throwaway Redis on port ${port}; waiting up to ${DW__START_TIMEOUT} s for PONG…"
        # In the foreground (no --daemonize) as our own child, so its pid is
        # known for certain and dw_cleanup can stop exactly it. Nothing is
        # kept on disk.
        redis-server --port "${port}" --bind 127.0.0.1 --save "" \
            --appendonly no --daemonize no --dir "${dir}" \
            </dev/null >"${log}" 2>&1 &
        pid=$!
        DW__REDIS_PID="${pid}"

        # Poll every 0.1 s until our server answers, or it exits.
        waited=0
        while ((waited < DW__START_TIMEOUT * 10)); do
            if ! kill -0 "${pid}" 2>/dev/null; then
                break
            fi
            if dw__redis_owns_port "${port}" "${pid}"; then
                export REDIS_URL="redis://127.0.0.1:${port}/"
                DW__REDIS_PORT="${port}"
                dw_log "started throwaway Redis on port ${port} (pid ${pid})"
                return 0
            fi
            sleep 0.1
            waited=$((waited + 1))
        done

        if kill -0 "${pid}" 2>/dev/null; then
            # Still running but never answered: give up (dw_cleanup kills it).
            tail -n 20 "${log}" >&2
            dw_die "throwaway Redis did not answer PING within ${DW__START_TIMEOUT} s (log above)"
        fi
        wait "${pid}" 2>/dev/null || true
        DW__REDIS_PID=""
        if grep -q 'Address already in use' "${log}" 2>/dev/null; then
            dw_log "port ${port} was taken meanwhile (attempt ${attempt}); trying the next one"
            port=$((port + 1))
            continue
        fi
        tail -n 20 "${log}" >&2
        dw_die "throwaway Redis exited during startup (log above)"
    done
    dw_die "could not find a free port for Redis after ${attempt} attempts"
}

# dw_ensure_redis — make REDIS_URL point at a Redis that answers PING (see
# the top of this file for the order) and export it.
dw_ensure_redis() {
    local rc
    if [[ -n "${REDIS_URL:-}" ]]; then
        rc=0
        dw__redis_reachable "${REDIS_URL}" || rc=$?
        if ((rc == 0)); then
            export REDIS_URL
            dw_log "using Redis at $(dw__url_hostport "${REDIS_URL}") (from REDIS_URL)"
            return 0
        elif ((rc == 2)); then
            export REDIS_URL
            dw_log "using Redis at $(dw__url_hostport "${REDIS_URL}") (from REDIS_URL; not checked: no redis-cli installed)"
            return 0
        fi
        dw_log "REDIS_URL ($(dw__url_hostport "${REDIS_URL}")) does not answer PING; looking for another Redis"
    fi

    local default_url="redis://127.0.0.1:6379/"
    if [[ -n "${DOWNWATCH_SKIP_DEFAULT_SERVICES:-}" ]]; then
        dw_log "DOWNWATCH_SKIP_DEFAULT_SERVICES is set: not trying Redis at 127.0.0.1:6379"
    elif dw__redis_reachable "${default_url}"; then
        export REDIS_URL="${default_url}"
        dw_log "using Redis at 127.0.0.1:6379 (already running)"
        return 0
    fi

    dw__redis_start_throwaway
}

# ---------------------------------------------------------------------------
# Redis Cluster
# ---------------------------------------------------------------------------

# dw__redis_cluster_supported — true when redis-server can run in cluster
# mode and redis-cli can create a cluster (`redis-cli --cluster`, Redis 5+);
# otherwise say what is missing on stderr.
dw__redis_cluster_supported() {
    local version help
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        dw_log "redis-server and redis-cli are needed for the Redis Cluster (apt-get install redis-server)"
        return 1
    fi
    # `redis-cli --cluster help` exits 1 even where it works: look at its text.
    help="$(redis-cli --cluster help 2>&1 || true)"
    if [[ "${help}" != *create* ]]; then
        version="$(redis-cli --version 2>/dev/null || echo 'unknown version')"
        dw_log "${version} cannot create a Redis Cluster (redis-cli --cluster needs Redis 5 or newer)"
        return 1
    fi
    version="$(redis-server --version 2>/dev/null | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')"
    if [[ -n "${version}" ]] && ((version < 5)); then
        dw_log "redis-server ${version}.x is too old for the Redis Cluster test (needs Redis 5 or newer)"
        return 1
    fi
    return 0
}

# dw__redis_cluster_ok HOST:PORT — true if that cluster node reports
# cluster_state:ok (every slot served).
dw__redis_cluster_ok() {
    local info
    info="$(timeout 5 redis-cli -h "${1%:*}" -p "${1##*:}" cluster info 2>/dev/null || true)"
    [[ "${info}" == *"cluster_state:ok"* ]]
}

# dw_ensure_redis_cluster — make DOWNWATCH_TEST_REDIS_CLUSTER_URL point at a
# Redis Cluster whose first node reports cluster_state:ok: the one already in
# that variable, else a throwaway one (dw_start_redis_cluster).
dw_ensure_redis_cluster() {
    local url="${DOWNWATCH_TEST_REDIS_CLUSTER_URL:-}" first
    if [[ -n "${url}" ]]; then
        first="$(dw__url_hostport "${url}")"
        first="${first%%,*}"
        if command -v redis-cli >/dev/null 2>&1 && dw__redis_cluster_ok "${first}"; then
            export DOWNWATCH_TEST_REDIS_CLUSTER_URL
            dw_log "using the Redis Cluster at ${first} (from DOWNWATCH_TEST_REDIS_CLUSTER_URL)"
            return 0
        fi
        dw_log "DOWNWATCH_TEST_REDIS_CLUSTER_URL (${first}) is not a healthy Redis Cluster; starting a throwaway one"
    fi
    dw_start_redis_cluster
}

# dw__cluster_free_port START — print the first port from START upward
# whose cluster-bus port (port + 10000) is free as well.
dw__cluster_free_port() {
    local port="$1" last=$(($1 + DW__PORT_SPAN))
    while ((port < last)); do
        port="$(dw__free_port "${port}")"
        if ! dw__port_in_use $((port + DW__CLUSTER_BUS_OFFSET)); then
            printf '%s' "${port}"
            return 0
        fi
        port=$((port + 1))
    done
    dw_die "no free TCP port pair (port, port + ${DW__CLUSTER_BUS_OFFSET}) on 127.0.0.1 from $1 to $((last - 1))"
}

# dw__cluster_start_node FROM — start one cluster-enabled redis-server on a
# free port from FROM upward, in DW__CLUSTER_DIR; on success its port is the
# last entry of DW__CLUSTER_PORTS (and its pid of DW__CLUSTER_PIDS).
dw__cluster_start_node() {
    local dir="${DW__CLUSTER_DIR}" port="$1" attempt pid log waited
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port="$(dw__cluster_free_port "${port}")"
        log="${dir}/redis-${port}.log"
        redis-server --port "${port}" --bind 127.0.0.1 \
            --cluster-enabled yes --cluster-config-file "${dir}/nodes-${port}.conf" \
            --cluster-node-timeout 5000 --save "" --appendonly no \
            --daemonize no --dir "${dir}" \
            </dev/null >"${log}" 2>&1 &
        pid=$!
        DW__CLUSTER_PIDS+=("${pid}")

        waited=0
        while ((waited < DW__START_TIMEOUT * 10)); do
            if ! kill -0 "${pid}" 2>/dev/null; then
                break
            fi
            if dw__redis_owns_port "${port}" "${pid}"; then
                DW__CLUSTER_PORTS+=("${port}")
                return 0
            fi
            sleep 0.1
            waited=$((waited + 1))
        done

        if kill -0 "${pid}" 2>/dev/null; then
            tail -n 20 "${log}" >&2
            dw_die "Redis Cluster node on port ${port} did not answer PING within ${DW__START_TIMEOUT} s (log above)"
        fi
        wait "${pid}" 2>/dev/null || true
        unset 'DW__CLUSTER_PIDS[-1]'
        if grep -q 'Address already in use' "${log}" 2>/dev/null; then
            dw_log "port ${port} was taken meanwhile (attempt ${attempt}); trying the next one"
            port=$((port + 1))
            continue
        fi
        tail -n 20 "${log}" >&2
        dw_die "Redis Cluster node on port ${port} exited during startup (log above; does this redis-server support --cluster-enabled?)"
    done
    dw_die "could not find free ports for a Redis Cluster node after ${attempt} attempts"
}

# dw_start_redis_cluster — start a throwaway Redis Cluster of three masters
# (no replicas, nothing kept on disk) on free ports from 47379 upward, wait
# until every node reports cluster_state:ok, and export
#   DOWNWATCH_TEST_REDIS_CLUSTER_URL=redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
# dw_cleanup stops the nodes and deletes their temp dir. Exits with a clear
# message when the installed Redis cannot run a cluster.
dw_start_redis_cluster() {
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        if dw__can_apt; then
            dw__apt_install redis-server
        fi
    fi
    dw__redis_cluster_supported ||
        dw_die "cannot start a Redis Cluster (see above): install Redis 5 or newer, or set DOWNWATCH_SKIP_REDIS_CLUSTER=1 (or pass --no-cluster) to skip the cluster pass"

    DW__CLUSTER_DIR="$(dw__make_tmpdir redis-cluster)" # from here on dw_cleanup removes it
    DW__CLUSTER_PIDS=()
    DW__CLUSTER_PORTS=()
    local i next="${DW__CLUSTER_PORT_BASE}"
    for ((i = 0; i < DW__CLUSTER_NODES; i++)); do
        dw__cluster_start_node "${next}"
        next=$((DW__CLUSTER_PORTS[-1] + 1))
    done

    local port nodes=() list=""
    for port in "${DW__CLUSTER_PORTS[@]}"; do
        nodes+=("127.0.0.1:${port}")
    done
    list="$(IFS=,; printf '%s' "${nodes[*]}")"
    dw_log "creating a throwaway Redis Cluster of ${#nodes[@]} masters on ${list}…"
    if ! timeout 60 redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 \
        --cluster-yes >"${DW__CLUSTER_DIR}/create.log" 2>&1; then
        tail -n 20 "${DW__CLUSTER_DIR}/create.log" >&2
        dw_die "redis-cli --cluster create failed (output above)"
    fi

    # Every node must agree that all slots are served before a client connects.
    local waited=0 ok
    while :; do
        ok=0
        for port in "${DW__CLUSTER_PORTS[@]}"; do
            if dw__redis_cluster_ok "127.0.0.1:${port}"; then
                ok=$((ok + 1))
            fi
        done
        if ((ok == ${#DW__CLUSTER_PORTS[@]})); then
            break
        fi
        if ((waited >= DW__START_TIMEOUT * 10)); then
            redis-cli -p "${DW__CLUSTER_PORTS[0]}" cluster info >&2 2>/dev/null || true
            dw_die "the Redis Cluster did not reach cluster_state:ok within ${DW__START_TIMEOUT} s"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    export DOWNWATCH_TEST_REDIS_CLUSTER_URL="redis+cluster://${list}"
    dw_log "started throwaway Redis Cluster on ports ${DW__CLUSTER_PORTS[*]} (pids ${DW__CLUSTER_PIDS[*]})"
}

# dw__stop_redis_cluster — stop the cluster nodes this shell started.
dw__stop_redis_cluster() {
    local pid stopped=0
    for pid in "${DW__CLUSTER_PIDS[@]}"; do
        # Only kill the pid if it is still our redis-server child.
        if kill -0 "${pid}" 2>/dev/null &&
            grep -q redis-server "/proc/${pid}/cmdline" 2>/dev/null; then
            kill -TERM "${pid}" 2>/dev/null || true
            stopped=1
        fi
    done
    for pid in "${DW__CLUSTER_PIDS[@]}"; do
        wait "${pid}" 2>/dev/null || true
    done
    if ((stopped)); then
        dw_log "stopped throwaway Redis Cluster${DW__CLUSTER_PORTS[0]:+ on ports ${DW__CLUSTER_PORTS[*]}}"
    fi
    DW__CLUSTER_PIDS=()
    DW__CLUSTER_PORTS=()
    if [[ -n "${DW__CLUSTER_DIR}" ]]; then
        rm -rf "${DW__CLUSTER_DIR}" || true
        DW__CLUSTER_DIR=""
    fi
}

# ---------------------------------------------------------------------------
# Cleanup
# ---------------------------------------------------------------------------

# dw_cleanup — stop the servers this shell started and delete their temp
# dirs. Servers that were already running are never touched. Safe to call
# more than once; never fails. Install it with `trap dw_cleanup EXIT`.
dw_cleanup() {
    # Keep the caller's exit status: the EXIT trap must not change it.
    local status=$?

    dw__stop_redis_cluster

    if [[ -n "${DW__REDIS_PID}" ]]; then
        # Only kill the pid if it is still our redis-server child.
        if kill -0 "${DW__REDIS_PID}" 2>/dev/null &&
            grep -q redis-server "/proc/${DW__REDIS_PID}/cmdline" 2>/dev/null; then
            kill -TERM "${DW__REDIS_PID}" 2>/dev/null || true
            wait "${DW__REDIS_PID}" 2>/dev/null || true
            dw_log "stopped throwaway Redis${DW__REDIS_PORT:+ on port ${DW__REDIS_PORT}}"
        fi
        DW__REDIS_PID=""
        DW__REDIS_PORT=""
    fi
    if [[ -n "${DW__REDIS_DIR}" ]]; then
        rm -rf "${DW__REDIS_DIR}" || true
        DW__REDIS_DIR=""
    fi

    if [[ -n "${DW__PG_DIR}" ]]; then
        if [[ -f "${DW__PG_DIR}/data/postmaster.pid" ]]; then
            # "immediate": no shutdown checkpoint; the data is discarded anyway.
            dw__pg_as_owner "${DW__PG_BINDIR}/pg_ctl" -D "${DW__PG_DIR}/data" \
                -m immediate -w stop >/dev/null 2>&1 || true
            dw_log "stopped throwaway Postgres${DW__PG_PORT:+ on port ${DW__PG_PORT}}"
        fi
        rm -rf "${DW__PG_DIR}" || true
        DW__PG_DIR=""
        DW__PG_PORT=""
    fi

    return "${status}"
}
