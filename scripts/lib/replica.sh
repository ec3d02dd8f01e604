#!/usr/bin/env bash
# shellcheck shell=bash
#
# scripts/lib/replica.sh — a throwaway Postgres primary and its streaming
# replica, for tests/replica.rs (the read-replica test of DATABASE_READ_URL).
#
# This file is a library: source it after scripts/lib/services.sh.
#
#   source scripts/lib/services.sh
#   source scripts/lib/replica.sh
#   trap 'dw_replica_cleanup; dw_cleanup' EXIT
#   dw_start_replica_pair || echo "skipped"   # exports the three variables below
#
# dw_start_replica_pair:
#   1. initdb a primary in a temp dir (wal_level=replica, a REPLICATION user
#      "replicator") and start it on a free port from 54432 upward;
#   2. pg_basebackup -R (as "replicator", WAL streamed) into the same temp dir
#      and start that copy as a hot standby on the next free port;
#   3. export
#        DOWNWATCH_TEST_PRIMARY_URL=postgres://postgres@127.0.0.1:P/postgres
#        DOWNWATCH_TEST_REPLICA_URL=postgres://postgres@127.0.0.1:S/postgres
#        DOWNWATCH_TEST_REPLICA_CTL=<dir>/standby-ctl  (stop|start the standby)
# It returns 1 with a message saying what to install when initdb, pg_ctl,
# postgres or pg_basebackup are missing, so the caller can skip just that
# test; any other failure stops the script (dw_die) with the server's log.
# dw_replica_cleanup stops both servers and deletes the temp dir; it keeps
# the caller's exit status, like dw_cleanup.

if [[ "${BASH_SOURCE[0]}" == "${0}" ]]; then
    echo "downwatch: ${0} is a library; source it from a script instead" >&2
    exit 1
fi
if [[ -z "${DW__SERVICES_LOADED:-}" ]]; then
    echo "downwatch: source scripts/lib/services.sh before scripts/lib/replica.sh" >&2
    return 1
fi
if [[ -n "${DW__REPLICA_LOADED:-}" ]]; then
    return 0
fi
DW__REPLICA_LOADED=1

DW__REPLICA_DIR=""    # temp dir holding both clusters ("" = none started)
DW__REPLICA_BINDIR="" # bin dir of the initdb/pg_ctl/pg_basebackup used
DW__REPLICA_PORT_BASE=54432

# Settings of both servers. The data is thrown away, so no fsync; full page
# writes stay on (pg_basebackup needs them). The standby must allow at least
# as many connections as its primary.
DW__REPLICA_OPTS="-c fsync=off -c max_connections=100 -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on -c wal_receiver_status_interval=1s"

# dw__replica_as_owner CMD... — run CMD as the clusters' owner (the postgres
# user when root, as in services.sh), from inside their dir.
dw__replica_as_owner() {
    if [[ "${EUID}" -eq 0 ]]; then
        (cd "${DW__REPLICA_DIR}" && runuser -u postgres -- "$@")
    else
        (cd "${DW__REPLICA_DIR}" && "$@")
    fi
}

# dw__replica_start NAME — start the cluster in <dir>/NAME on a free port
# from DW__REPLICA_PORT_BASE upward; prints the port.
dw__replica_start() {
    local name="$1" port="${DW__REPLICA_PORT_BASE}" attempt log
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port="$(dw__free_port "${port}")"
        log="${DW__REPLICA_DIR}/${name}-${port}.log"
        if dw__replica_as_owner "${DW__REPLICA_BINDIR}/pg_ctl" -D "${DW__REPLICA_DIR}/${name}" \
            -l "${log}" -w -t "${DW__START_TIMEOUT}" \
            -o "${DW__REPLICA_OPTS} -k '${DW__REPLICA_DIR}' -h 127.0.0.1 -p ${port}" \
            start >"${DW__REPLICA_DIR}/pg_ctl-${name}.log" 2>&1; then
            printf '%s' "${port}"
            return 0
        fi
        if grep -q 'Address already in use' "${log}" 2>/dev/null; then
            port=$((port + 1))
            continue
        fi
        cat "${DW__REPLICA_DIR}/pg_ctl-${name}.log" >&2
        tail -n 20 "${log}" >&2 2>/dev/null || true
        dw_die "the throwaway ${name} did not start (output above)"
    done
    dw_die "could not find a free port for the throwaway ${name} after ${attempt} attempts"
}

# dw_start_replica_pair — see the top of this file.
dw_start_replica_pair() {
    local bindir tool
    if ! bindir="$(dw__pg_find_server_bindir)" || [[ ! -x "${bindir}/pg_basebackup" ]]; then
        dw_log "replica test skipped: initdb, pg_ctl, postgres and pg_basebackup are needed — install them with: apt-get install postgresql"
        return 1
    fi
    for tool in psql pg_isready; do
        if [[ ! -x "${bindir}/${tool}" ]] && ! command -v "${tool}" >/dev/null 2>&1; then
            dw_log "replica test skipped: ${tool} not found — install it with: apt-get install postgresql-client"
            return 1
        fi
    done
    DW__REPLICA_BINDIR="${bindir}"
    dw__pg_ensure_os_user

    local dir
    dir="$(mktemp -d /tmp/downwatch-replica.XXXXXX)"
    DW__REPLICA_DIR="${dir}" # from here on dw_replica_cleanup removes it
    if [[ "${EUID}" -eq 0 ]]; then
        chown postgres: "${dir}"
    fi
    local started=${SECONDS}

    if ! dw__replica_as_owner "${bindir}/initdb" -D "${dir}/primary" -U postgres \
        --auth=trust --no-sync --encoding=UTF8 --locale=C >"${dir}/initdb.log" 2>&1; then
        tail -n 20 "${dir}/initdb.log" >&2
        dw_die "initdb of the replica test's primary failed (output above)"
    fi
    local primary_port
    primary_port="$(dw__replica_start primary)" || dw_die "the replica test's primary did not start"
    local psql
    psql="$(dw__pg_client psql)"
    if ! "${psql}" -X -q -h 127.0.0.1 -p "${primary_port}" -U postgres -d postgres \
        -c "CREATE ROLE replicator WITH REPLICATION LOGIN" >"${dir}/role.log" 2>&1; then
        cat "${dir}/role.log" >&2
        dw_die "could not create the replication user on the throwaway primary"
    fi

    # -R writes standby.signal and primary_conninfo; -X stream follows the WAL
    # written during the copy; -c fast checkpoints at once.
    if ! dw__replica_as_owner "${bindir}/pg_basebackup" -h 127.0.0.1 -p "${primary_port}" \
        -U replicator -D "${dir}/standby" -R -X stream -c fast --no-sync \
        >"${dir}/basebackup.log" 2>&1; then
        tail -n 20 "${dir}/basebackup.log" >&2
        dw_die "pg_basebackup from the throwaway primary failed (output above)"
    fi
    local standby_port
    DW__REPLICA_PORT_BASE=$((primary_port + 1))
    standby_port="$(dw__replica_start standby)" || dw_die "the replica test's standby did not start"

    # A ready standby answers queries (hot standby) and is in recovery.
    local waited=0 state=""
    while ((waited < DW__START_TIMEOUT * 10)); do
        state="$("${psql}" -X -Atq -h 127.0.0.1 -p "${standby_port}" -U postgres -d postgres \
            -c "select pg_is_in_recovery()" 2>/dev/null || true)"
        [[ "${state}" == "t" ]] && break
        sleep 0.1
        waited=$((waited + 1))
    done
    [[ "${state}" == "t" ]] || dw_die "the throwaway standby on port ${standby_port} is not a hot standby in recovery"

    local ctl="${dir}/standby-ctl"
    cat >"${ctl}" <<EOF
#!/usr/bin/env bash
# stop | start the throwaway standby of scripts/lib/replica.sh (port ${standby_port}).
set -euo pipefail
run() {
    if [[ "\${EUID}" -eq 0 ]]; then
        (cd '${dir}' && runuser -u postgres -- "\$@")
    else
        (cd '${dir}' && "\$@")
    fi
}
case "\${1:-}" in
stop) run '${bindir}/pg_ctl' -D '${dir}/standby' -m fast -w stop ;;
start) run '${bindir}/pg_ctl' -D '${dir}/standby' -l '${dir}/standby-${standby_port}.log' -w \\
    -o "${DW__REPLICA_OPTS} -k '${dir}' -h 127.0.0.1 -p ${standby_port}" start ;;
*) echo "usage: \$0 stop|start" >&2; exit 2 ;;
esac
EOF
    chmod 0755 "${ctl}"

    export DOWNWATCH_TEST_PRIMARY_URL="postgres://postgres@127.0.0.1:${primary_port}/postgres"
    export DOWNWATCH_TEST_REPLICA_URL="postgres://postgres@127.0.0.1:${standby_port}/postgres"
    export DOWNWATCH_TEST_REPLICA_CTL="${ctl}"
    dw_log "started a throwaway primary (port ${primary_port}) and its streaming replica (port ${standby_port}) in $((SECONDS - started)) s"
}

# dw_replica_cleanup — stop the primary and standby of dw_start_replica_pair
# and delete their dir. Keeps the caller's exit status; never fails.
dw_replica_cleanup() {
    local status=$? name
    if [[ -n "${DW__REPLICA_DIR}" ]]; then
        for name in standby primary; do
            if [[ -f "${DW__REPLICA_DIR}/${name}/postmaster.pid" ]]; then
                dw__replica_as_owner "${DW__REPLICA_BINDIR}/pg_ctl" -D "${DW__REPLICA_DIR}/${name}" \
                    -m immediate -w stop >/dev/null 2>&1 || true
            fi
        done
        rm -rf "${DW__REPLICA_DIR}" || true
        dw_log "stopped and removed the replica test's primary and standby"
        DW__REPLICA_DIR=""
    fi
    unset DOWNWATCH_TEST_PRIMARY_URL DOWNWATCH_TEST_REPLICA_URL DOWNWATCH_TEST_REPLICA_CTL
    return "${status}"
}
