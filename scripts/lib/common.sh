# shellcheck shell=bash
# shellcheck disable=SC2034 # NOTIFY_ROOT, NOTIFY_APT_PACKAGES: used by the scripts that source this file
# Helpers shared by scripts/run, scripts/stop and scripts/test. Source this file; do not run it.
#
# Every process a script starts is started with notify_start_bg (own session, stdin closed,
# output to a log file), and its pid is written to a pid file, so that the matching stop
# stops exactly those processes and nothing else.

NOTIFY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NOTIFY_SCRIPT="${NOTIFY_SCRIPT:-$(basename "$0")}"

# Debian packages needed to build and to run the local services.
NOTIFY_APT_PACKAGES=(libfcgi-dev libpq-dev libcurl4-openssl-dev postgresql nginx curl python3 procps)

notify_log() { printf '[%s] %s\n' "$NOTIFY_SCRIPT" "$*" >&2; }
notify_die() {
    notify_log "error: $*"
    exit 1
}

# Quotes a value for a POSIX shell: 'value' with embedded single quotes escaped.
notify_shquote() {
    local s=${1//\'/\'\\\'\'}
    printf "'%s'" "$s"
}

notify_pkg_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# Installs the given Debian packages that are not installed yet (apt-get update only then).
# The distribution's service scripts are kept from starting their own nginx or PostgreSQL
# during the install (policy-rc.d answers 101), so nothing runs that we did not start.
notify_ensure_packages() {
    local missing=() p
    for p in "$@"; do
        notify_pkg_installed "$p" || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    command -v apt-get >/dev/null || notify_die "missing packages (${missing[*]}) and no apt-get to install them"
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || notify_die "missing packages (${missing[*]}); install them as root"
        sudo=(sudo)
    fi
    notify_log "installing missing packages: ${missing[*]}"
    local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# temporary, from Notify scripts: do not start services during install\nexit 101\n' |
            "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 0755 "$policy"
        made_policy=1
    fi
    {
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q &&
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
    } || rc=$?
    if ((made_policy)); then "${sudo[@]}" rm -f "$policy"; fi
    ((rc == 0)) || notify_die "apt-get install failed (exit $rc) for: ${missing[*]}"
}

# Puts the Swift toolchain on PATH (it lives in /opt/swift on our machines).
notify_ensure_swift() {
    if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null || notify_die "swift toolchain not found (not on PATH, not in /opt/swift/usr/bin)"
}

# Arguments for swift build/test: NOTIFY_SCRATCH_PATH selects another build folder than .build.
notify_swift_scratch_args() {
    if [[ -n "${NOTIFY_SCRATCH_PATH:-}" ]]; then
        printf '%s\n' "--scratch-path" "$NOTIFY_SCRATCH_PATH"
    fi
}

# Prints a TCP port on 127.0.0.1 that is free right now.
notify_free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# notify_raise_nofile: raises this shell's open-file limit (ulimit -n, inherited by what it
# starts afterwards: nginx, wrk, pytest) towards 65,536: each of 10,000 clients is a descriptor in
# nginx and in the load generator. The hard limit is raised too where allowed (root with
# CAP_SYS_RESOURCE); otherwise the soft limit goes up to the hard one, with a warning when that is
# too low for 10,000 clients.
notify_raise_nofile() {
    local want=65536 soft hard
    soft=$(ulimit -Sn)
    [[ "$soft" == unlimited ]] && return 0
    ((soft >= want)) && return 0
    hard=$(ulimit -Hn)
    if [[ "$hard" != unlimited ]] && ((hard < want)); then
        ulimit -Hn "$want" 2>/dev/null || want=$hard
    fi
    ulimit -Sn "$want"
    if ((want < 12000)); then
        notify_log "warning: open-file limit $want (hard limit): too low for 10,000 concurrent clients"
    fi
}

# notify_nofile_ceiling: the open-file limit nginx's master can give its workers without
# privileges: the hard limit, at most 65,536.
notify_nofile_ceiling() {
    local hard
    hard=$(ulimit -Hn)
    if [[ "$hard" == unlimited ]] || ((hard > 65536)); then hard=65536; fi
    printf '%s\n' "$hard"
}

# notify_start_bg NAME PIDFILE LOGFILE CMD... : starts CMD in its own session (so a Ctrl-C
# or a closed terminal does not reach it; the scripts stop it explicitly), records its pid.
# Sets NOTIFY_LAST_PID.
notify_start_bg() {
    local name=$1 pidfile=$2 logfile=$3
    shift 3
    setsid "$@" >>"$logfile" 2>&1 </dev/null &
    NOTIFY_LAST_PID=$!
    printf '%s\n' "$NOTIFY_LAST_PID" >"$pidfile"
    notify_log "started $name (pid $NOTIFY_LAST_PID, log $logfile)"
}

# True if PID is alive and its command line contains EXPECT (guards against a reused pid).
notify_pid_matches() {
    local pid=$1 expect=$2 cmdline
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ "$cmdline" == *"$expect"* ]]
}

# notify_stop_pidfile NAME PIDFILE EXPECT [TIMEOUT_S]: sends SIGTERM to the recorded process,
# waits, then SIGKILLs it and any of its children still alive (e.g. FastCGI or nginx workers
# of a master that had to be killed). Removes the pid file. Quiet if it is not running.
notify_stop_pidfile() {
    local name=$1 pidfile=$2 expect=$3 timeout=${4:-15}
    [[ -f "$pidfile" ]] || return 0
    local pid
    pid=$(head -n1 "$pidfile" 2>/dev/null || true)
    if ! notify_pid_matches "$pid" "$expect"; then
        rm -f "$pidfile"
        return 0
    fi
    local children
    children=$(pgrep -P "$pid" 2>/dev/null | tr '\n' ' ' || true)
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        # A child of ours that already exited stays a zombie until we wait for it.
        if [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]]; then break; fi
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; then
        notify_log "$name (pid $pid) did not stop within ${timeout}s; killing it"
        children="$children $(pgrep -P "$pid" 2>/dev/null | tr '\n' ' ' || true)"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    # Workers of that master (same program) that outlived it: give them a moment, then kill.
    local child left=()
    for child in $children; do
        notify_pid_matches "$child" "$expect" && left+=("$child")
    done
    if ((${#left[@]} > 0)); then
        sleep 1
        for child in "${left[@]}"; do
            if notify_pid_matches "$child" "$expect"; then
                notify_log "killing leftover $name worker (pid $child)"
                kill -KILL "$child" 2>/dev/null || true
            fi
        done
    fi
    rm -f "$pidfile"
    notify_log "stopped $name (pid $pid)"
}

# notify_wait_healthy URL TIMEOUT_S PIDFILE... : waits until GET URL answers 200; fails early
# (and says which) if a recorded process dies meanwhile.
notify_wait_healthy() {
    notify_wait_status "$1" 200 "${@:2}"
}

# notify_wait_status URL STATUS TIMEOUT_S PIDFILE... : the same for another status (a service
# that is up but answers a request without credentials, or before it has its data, with STATUS).
notify_wait_status() {
    local url=$1 status=$2 timeout=$3
    shift 3
    local deadline=$((SECONDS + timeout)) pf pid
    while ((SECONDS < deadline)); do
        if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)" == "$status" ]]; then
            return 0
        fi
        for pf in "$@"; do
            pid=$(head -n1 "$pf" 2>/dev/null || true)
            if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
                notify_log "$(basename "$pf" .pid) (pid $pid) exited during start-up"
                return 1
            fi
        done
        sleep 0.2
    done
    notify_log "$url did not answer $status within ${timeout}s"
    return 1
}

# Prints the last lines of each existing log file given, under a header.
notify_tail_logs() {
    local f
    for f in "$@"; do
        [[ -s "$f" ]] || continue
        printf '\n----- last lines of %s -----\n' "$f" >&2
        tail -n 40 "$f" >&2 || true
    done
}

# notify_json_field KEY < json: prints one top-level field of a JSON object.
notify_json_field() {
    python3 -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"
}

# notify_demo_merchant DEMO_JSON BIN LOGDIR: makes sure the merchant `demo` exists (with
# NOTIFY_DATABASE_URL) and that DEMO_JSON holds its token and signing secret: created on the first
# run, reused after, renewed when the merchant exists but the file was lost. Sets
# NOTIFY_DEMO_TOKEN and NOTIFY_DEMO_SECRET.
notify_demo_merchant() {
    local demo_json=$1 bin=$2 logdir=$3 rc=0 created token_json secret_json
    created=$("$bin/notifyctl" merchant create demo 2>"$logdir/notifyctl.err") || rc=$?
    case "$rc" in
        0)
            notify_log "created merchant demo"
            (umask 077 && printf '%s\n' "$created" >"$demo_json")
            ;;
        3)
            if [[ -s "$demo_json" ]] && notify_json_field token <"$demo_json" >/dev/null 2>&1 &&
                notify_json_field signingSecret <"$demo_json" >/dev/null 2>&1; then
                notify_log "reusing merchant demo ($demo_json)"
            else
                notify_log "merchant demo exists but $demo_json is missing: new token and signing secret"
                token_json=$("$bin/notifyctl" token create demo)
                secret_json=$("$bin/notifyctl" merchant rotate-secret demo)
                (umask 077 && python3 -c 'import json, sys
t, s = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({"merchant": "demo", "token": t["token"], "signingSecret": s["signingSecret"]}))' \
                    "$token_json" "$secret_json" >"$demo_json")
            fi
            ;;
        *)
            cat "$logdir/notifyctl.err" >&2
            notify_die "notifyctl merchant create demo failed (exit $rc)"
            ;;
    esac
    NOTIFY_DEMO_TOKEN=$(notify_json_field token <"$demo_json")
    NOTIFY_DEMO_SECRET=$(notify_json_field signingSecret <"$demo_json")
}
