# shellcheck shell=bash
# Helpers of scripts/cluster (and of scripts/stop for it). Source after common.sh and nginx.sh.
#
# A cluster kept in one folder DIR (default .state/cluster):
#   DIR/ports          the ports chosen at start (NGINX, PG1, PG2, API1, API2, ETCD, ETCD_PEER)
#   DIR/etcd/          etcd's data           DIR/pg1/, DIR/pg2/  a Patroni node each (patroni.yml, data/)
#   DIR/fcgi-a.sock, DIR/fcgi-b.sock         the two worker hosts
#   DIR/nginx/         nginx in front of both    DIR/pids/, DIR/logs/, DIR/env

# Debian packages the cluster needs on top of NOTIFY_APT_PACKAGES (python3-etcd: Patroni's etcd client).
NOTIFY_CLUSTER_PACKAGES=(patroni etcd-server etcd-client python3-etcd util-linux)

# The programs of one cluster, in the order they are stopped (front first, database last).
NOTIFY_CLUSTER_FRONT=(nginx notify-sweep-a notify-sweep-b notify-fcgi-a notify-fcgi-b)

# notify_cluster_expect NAME: the text the command line of NAME's process contains.
notify_cluster_expect() {
    case "$1" in
        nginx) echo nginx ;;
        notify-sweep-*) echo notify-sweep ;;
        notify-fcgi-*) echo notify-fcgi ;;
        patroni-*) echo patroni ;;
        etcd) echo etcd ;;
        *) return 1 ;;
    esac
}

# Runs a command as the OS user that owns the PostgreSQL data (postgres when we are root:
# PostgreSQL refuses to run as root).
notify_cluster_as_pg() {
    if ((EUID == 0)); then
        setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
    else
        "$@"
    fi
}

# notify_cluster_member_role DIR N: prints "primary", "replica" or "down" for Patroni node N.
notify_cluster_member_role() {
    local dir=$1 n=$2 port code
    port=$(notify_cluster_port "$dir" "API$n") || {
        echo down
        return 0
    }
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/primary" 2>/dev/null || true)
    if [[ "$code" == 200 ]]; then
        echo primary
    elif [[ "$code" == 503 ]]; then
        echo replica
    else
        echo down
    fi
}

# notify_cluster_port DIR NAME: a port recorded in DIR/ports.
notify_cluster_port() {
    local dir=$1 name=$2 line
    [[ -f "$dir/ports" ]] || return 1
    line=$(grep -E "^$name=" "$dir/ports" | head -n1) || return 1
    printf '%s\n' "${line#*=}"
}

# notify_cluster_stop DIR: stops every process of the cluster in DIR that is still running,
# found through DIR/pids and checked by command line. Safe when nothing runs.
notify_cluster_stop() {
    local dir=$1 name n role
    [[ -d "$dir/pids" ]] || return 0
    for name in "${NOTIFY_CLUSTER_FRONT[@]}"; do
        notify_stop_pidfile "$name" "$dir/pids/$name.pid" "$(notify_cluster_expect "$name")" 20
    done
    # Replicas before the primary, so stopping the primary does not start a failover.
    for role in replica down primary; do
        for n in 1 2; do
            [[ -f "$dir/pids/patroni-pg$n.pid" ]] || continue
            [[ "$(notify_cluster_member_role "$dir" "$n")" == "$role" ]] || continue
            notify_stop_pidfile "patroni-pg$n" "$dir/pids/patroni-pg$n.pid" patroni 60
        done
    done
    # A PostgreSQL whose Patroni was killed outlives it: stop it too (its data folder is ours).
    for n in 1 2; do
        if [[ -f "$dir/pg$n/data/postmaster.pid" ]] &&
            notify_cluster_as_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$dir/pg$n/data" status >/dev/null 2>&1; then
            notify_log "stopping the PostgreSQL of pg$n left without its Patroni"
            notify_cluster_as_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$dir/pg$n/data" -m immediate -w -t 30 stop \
                >/dev/null 2>&1 || true
        fi
    done
    notify_stop_pidfile etcd "$dir/pids/etcd.pid" etcd 20
    rm -f "$dir/fcgi-a.sock" "$dir/fcgi-b.sock"
}

# notify_cluster_running DIR: true when a process recorded in DIR/pids is alive.
notify_cluster_running() {
    local dir=$1 pidfile name
    [[ -d "$dir/pids" ]] || return 1
    for pidfile in "$dir"/pids/*.pid; do
        [[ -f "$pidfile" ]] || continue
        name=$(basename "$pidfile" .pid)
        notify_pid_matches "$(head -n1 "$pidfile" 2>/dev/null || true)" "$(notify_cluster_expect "$name" || echo "$name")" &&
            return 0
    done
    return 1
}

# notify_cluster_nginx_render PREFIX LISTEN SOCKET_A SOCKET_B LOGDIR: the development nginx
# configuration, with one upstream of two worker hosts instead of one socket.
notify_cluster_nginx_render() {
    local prefix=$1 listen=$2 socket_a=$3 socket_b=$4 logdir=$5 conf marker=/notify-cluster-upstream.sock
    conf=$(notify_nginx_render "$prefix" "$listen" "$marker" "$logdir")
    python3 - "$conf" "$marker" "$socket_a" "$socket_b" <<'EOF'
import sys
path, marker, socket_a, socket_b = sys.argv[1:]
text = open(path).read()
upstream = f"""
    # ---- scripts/cluster: two worker hosts behind one upstream ----
    # A host that is down refuses the connection before any byte of the request is sent, so
    # nginx passes the request to the other host, whatever its method. A request already sent to
    # a host that then died is passed on only when its method is idempotent (GET, PUT, DELETE):
    # nginx never resends a POST or PATCH (no "non_idempotent" below), since the dead host may
    # have committed it. "timeout" covers a connect that timed out (nothing sent either).
    upstream notify_workers {{
        server unix:{socket_a} max_fails=1 fail_timeout=5s;
        server unix:{socket_b} max_fails=1 fail_timeout=5s;
    }}
    fastcgi_next_upstream error timeout;
    fastcgi_next_upstream_tries 2;
    fastcgi_next_upstream_timeout 10s;
"""
head, sep, tail = text.partition("\nhttp {\n")
assert sep, "no http block in the nginx template"
needle = f"fastcgi_pass unix:{marker};"
assert tail.count(needle) >= 1, "no fastcgi_pass in the nginx template"
open(path, "w").write(head + sep + upstream + tail.replace(needle, "fastcgi_pass notify_workers;"))
EOF
    printf '%s\n' "$conf"
}

# notify_cluster_patroni_config DIR N: writes DIR/pgN/patroni.yml.
notify_cluster_patroni_config() {
    local dir=$1 n=$2 pg api etcd
    pg=$(notify_cluster_port "$dir" "PG$n")
    api=$(notify_cluster_port "$dir" "API$n")
    etcd=$(notify_cluster_port "$dir" ETCD)
    cat >"$dir/pg$n/patroni.yml" <<EOF
# Written by scripts/cluster: Patroni node pg$n of the loopback cluster in $dir.
scope: notify
namespace: /notify/
name: pg$n
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$api
  connect_address: 127.0.0.1:$api
etcd3:
  hosts: 127.0.0.1:$etcd
bootstrap:
  dcs:
    # Failover within seconds on a loopback cluster: a crashed primary gives up the leader key at
    # once (primary_start_timeout 0) instead of trying to restart for 5 minutes, and Patroni looks
    # every second. ttl >= loop_wait + 2 * retry_timeout.
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    primary_start_timeout: 0
    # Only a synchronous standby may be promoted, so a commit acknowledged to a client is never
    # lost; not strict, so the primary goes on alone (and says so) when its standby is gone.
    synchronous_mode: true
    synchronous_mode_strict: false
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        synchronous_commit: 'on'
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_connections: 200
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        # A standby that stops answering (frozen, cut off) holds every commit until its walsender
        # gives up on it; then Patroni lets the primary go on alone. 10 s instead of 60.
        wal_sender_timeout: 10s
  initdb:
    - encoding: UTF8
    - no-locale
postgresql:
  listen: 127.0.0.1:$pg
  connect_address: 127.0.0.1:$pg
  data_dir: $dir/pg$n/data
  bin_dir: /usr/lib/postgresql/15/bin
  pgpass: $dir/pg$n/pgpass
  authentication:
    superuser:
      username: notify
    replication:
      username: notify
    rewind:
      username: notify
  # Development cluster on loopback only: trust, like scripts/pgctl (real hosts use scram-sha-256).
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - local replication all trust
    - host replication all 127.0.0.1/32 trust
  parameters:
    unix_socket_directories: '$dir/pg$n'
    logging_collector: 'on'
    log_directory: '$dir/pg$n/log'
    log_filename: 'postgresql.log'
    log_line_prefix: '%m [%p] %q%u@%d '
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
EOF
}

# ---- helpers of scripts/cluster's start-up (they read its STATE, PIDS and LOGS) ----

wait_for() { # wait_for WHAT TIMEOUT_S PIDFILE COMMAND...: until COMMAND succeeds
    local what=$1 timeout=$2 pidfile=$3
    shift 3
    local deadline=$((SECONDS + timeout)) pid
    while ((SECONDS < deadline)); do
        "$@" && return 0
        pid=$(head -n1 "$pidfile" 2>/dev/null || true)
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            notify_die "$(basename "$pidfile" .pid) exited while waiting for $what"
        fi
        sleep 0.3
    done
    notify_die "timed out after ${timeout}s waiting for $what"
}

# Which node has which role, and whether the synchronous standby is in place; starting one node.
is_role() { [[ "$(notify_cluster_member_role "$STATE" "$1")" == "$2" ]]; }
any_primary() { is_role 1 primary || is_role 2 primary; }
sync_standby() { # true when one node is the primary and the other its synchronous standby
    local n api
    for n in 1 2; do
        api=$(notify_cluster_port "$STATE" "API$n")
        [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$api/sync" 2>/dev/null)" == 200 ]] &&
            return 0
    done
    return 1
}
start_patroni() {
    local n=$1 as_pg=()
    notify_cluster_patroni_config "$STATE" "$n"
    if ((EUID == 0)); then
        chown postgres: "$STATE/pg$n/patroni.yml"
        as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
    fi
    notify_start_bg "patroni-pg$n" "$PIDS/patroni-pg$n.pid" "$LOGS/patroni-pg$n.log" \
        "${as_pg[@]}" env HOME="$STATE/pg$n" patroni "$STATE/pg$n/patroni.yml"
}
