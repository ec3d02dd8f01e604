# shellcheck shell=bash
#
# scripts/lib/app.sh — run a real `downwatch` process for a script's own checks
# (scripts/browser-test, scripts/api-fuzz): a database and a Redis key prefix of
# its own, the debug binary, a wait until it serves, and a cleanup that removes
# all of it again.
#
# This file is a library: source it after scripts/lib/services.sh.
#
#   source scripts/lib/services.sh
#   source scripts/lib/app.sh
#   dw_ensure_postgres; dw_ensure_redis
#   dw_app_database browser   # creates a database; sets DW_APP_DB_URL, DW_APP_PREFIX
#   trap dw_app_cleanup EXIT  # stops DW_APP_PID, drops the database and the keys
#   bin="$(dw_app_binary)"    # cargo build; prints the binary's path
#   "${bin}" serve … >log 2>&1 & DW_APP_PID=$!
#   dw_app_wait_for "${log}" "Downwatch is serving" 120
#
# DW_APP_KEEP=1 leaves the database and the keys for a look afterwards.

if [[ "${BASH_SOURCE[0]}" == "${0}" ]]; then
    echo "downwatch: ${0} is a library; source it from a script instead" >&2
    exit 1
fi

DW_APP_RUN_ID=""   # database name and key prefix stem ("" = none created)
DW_APP_ADMIN_URL="" # the maintenance database the run's database was created from
DW_APP_DB_URL=""   # the run's own database
DW_APP_PREFIX=""   # the run's own Redis key prefix
DW_APP_PID=""      # the downwatch process to stop at cleanup
DW_APP_TMP=""      # a temp dir removed at cleanup (data dir and such)

# dw_app_database KIND — create a fresh database on DATABASE_URL's server and
# pick a Redis key prefix, both named KIND_<pid>_<random>.
dw_app_database() {
    DW_APP_RUN_ID="$1_$$_${RANDOM}"
    DW_APP_ADMIN_URL="${DATABASE_URL}"
    # shellcheck disable=SC2034 # read by the sourcing script
    DW_APP_DB_URL="${DATABASE_URL%/*}/${DW_APP_RUN_ID}"
    DW_APP_PREFIX="${DW_APP_RUN_ID}:"
    DW_APP_TMP="$(dw__make_tmpdir "$1")"
    psql -q "${DW_APP_ADMIN_URL}" -c "CREATE DATABASE ${DW_APP_RUN_ID}" >/dev/null
}

# dw_app_binary — build the debug `downwatch` (quietly unless it fails) and
# print its path, honouring CARGO_TARGET_DIR.
dw_app_binary() {
    cargo build --locked --bin downwatch >&2
    local target="${CARGO_TARGET_DIR:-target}"
    printf '%s/debug/downwatch' "${target}"
}

# dw_app_wait_for LOG TEXT SECONDS — wait until LOG contains TEXT; die with the
# log's tail if DW_APP_PID exits first or SECONDS pass.
dw_app_wait_for() {
    local log="$1" text="$2" limit=$(($3 * 2)) i
    for ((i = 0; i < limit; i++)); do
        if grep -q "${text}" "${log}" 2>/dev/null; then
            return 0
        fi
        if [[ -n "${DW_APP_PID}" ]] && ! kill -0 "${DW_APP_PID}" 2>/dev/null; then
            tail -n 30 "${log}" >&2
            dw_die "downwatch stopped before serving (log above)"
        fi
        sleep 0.5
    done
    tail -n 30 "${log}" >&2
    dw_die "downwatch did not start serving within $3 s (log above)"
}

# dw_app_cleanup — stop DW_APP_PID, drop the run's database and keys (unless
# DW_APP_KEEP), then dw_cleanup. Keeps the exit status; never fails.
dw_app_cleanup() {
    local status=$?
    if [[ -n "${DW_APP_PID}" ]]; then
        kill "${DW_APP_PID}" 2>/dev/null || true
        wait "${DW_APP_PID}" 2>/dev/null || true
        DW_APP_PID=""
    fi
    if [[ -n "${DW_APP_RUN_ID}" && -z "${DW_APP_KEEP:-}" ]]; then
        psql -q "${DW_APP_ADMIN_URL}" -c "DROP DATABASE IF EXISTS ${DW_APP_RUN_ID} WITH (FORCE)" >/dev/null 2>&1 || true
        redis-cli -u "${REDIS_URL}" --scan --pattern "${DW_APP_PREFIX}*" 2>/dev/null |
            xargs -r -n 500 redis-cli -u "${REDIS_URL}" del >/dev/null 2>&1 || true
    fi
    DW_APP_RUN_ID=""
    if [[ -n "${DW_APP_TMP}" ]]; then
        rm -rf "${DW_APP_TMP}" || true
        DW_APP_TMP=""
    fi
    dw_cleanup
    return "${status}"
}
