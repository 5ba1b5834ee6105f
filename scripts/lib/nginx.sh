# shellcheck shell=bash
# Renders and starts the development nginx (nginx/notify-dev.conf.template). Source after common.sh.

# notify_nginx_render PREFIX LISTEN FCGI_SOCKET LOGDIR: writes PREFIX/nginx.conf and prints its path.
notify_nginx_render() {
    local prefix=$1 listen=$2 socket=$3 logdir=$4
    local template="$NOTIFY_ROOT/nginx/notify-dev.conf.template"
    local value rate=${NOTIFY_RATE_LIMIT:-50r/s} burst=${NOTIFY_RATE_BURST:-100} in_flight=${NOTIFY_MAX_IN_FLIGHT:-256}
    local nofile connections=16384
    # worker_rlimit_nofile: the most this nginx may set on its workers (a limit it cannot set
    # would be an alert in its log at every start); worker_connections fits within it.
    nofile=$(notify_nofile_ceiling)
    ((nofile - 256 >= connections)) || connections=$((nofile - 256))
    ((connections >= 64)) || notify_die "open-file limit $nofile is too low for nginx"
    [[ "$rate" =~ ^[1-9][0-9]{0,6}r/[sm]$ ]] || notify_die "NOTIFY_RATE_LIMIT must look like 50r/s or 600r/m, not '$rate'"
    [[ "$burst" =~ ^(0|[1-9][0-9]{0,6})$ ]] || notify_die "NOTIFY_RATE_BURST must be a whole number, not '$burst'"
    # At most the FastCGI socket's backlog (4096): beyond it the accept queue would overflow.
    [[ "$in_flight" =~ ^[1-9][0-9]{0,3}$ ]] && ((in_flight <= 4096)) ||
        notify_die "NOTIFY_MAX_IN_FLIGHT must be a number from 1 to 4096, not '$in_flight'"
    for value in "$prefix" "$listen" "$socket" "$logdir"; do
        [[ "$value" != *[\|\&\\\;\ ]* ]] || notify_die "unsupported character in nginx path or address: $value"
    done
    mkdir -p "$prefix/tmp" "$logdir"
    chmod 0755 "$prefix" "$prefix/tmp"
    # The dashboard is served from a copy next to the config: nginx's workers (nobody, when we
    # are root) can read it whatever the permissions of the checkout. Re-render to pick up edits.
    rm -rf "$prefix/dashboard"
    cp -R "$NOTIFY_ROOT/dashboard" "$prefix/dashboard"
    chmod -R a+rX "$prefix/dashboard"
    sed -e "s|@PREFIX@|$prefix|g" \
        -e "s|@ERROR_LOG@|$logdir/nginx-error.log|g" \
        -e "s|@ACCESS_LOG@|$logdir/nginx-access.log|g" \
        -e "s|@LISTEN@|$listen|g" \
        -e "s|@FCGI_SOCKET@|$socket|g" \
        -e "s|@DASHBOARD_ROOT@|$prefix/dashboard|g" \
        -e "s|@RATE_LIMIT@|$rate|g" \
        -e "s|@RATE_BURST@|$burst|g" \
        -e "s|@MAX_IN_FLIGHT@|$in_flight|g" \
        -e "s|@WORKER_RLIMIT_NOFILE@|$nofile|g" \
        -e "s|@WORKER_CONNECTIONS@|$connections|g" \
        "$template" >"$prefix/nginx.conf"
    if grep -n '@[A-Z_]*@' "$prefix/nginx.conf" | grep -v '^[0-9]*:#' >&2; then
        notify_die "unreplaced placeholder in $prefix/nginx.conf"
    fi
    printf '%s\n' "$prefix/nginx.conf"
}

# notify_nginx_start PREFIX LISTEN FCGI_SOCKET LOGDIR PIDFILE: checks the config, starts nginx
# in the foreground of its own session (daemon off) and records the master pid. Raises the
# calling script's open-file limit first (nginx and whatever the script starts later inherit it).
notify_nginx_start() {
    local prefix=$1 listen=$2 socket=$3 logdir=$4 pidfile=$5 conf
    notify_raise_nofile
    conf=$(notify_nginx_render "$prefix" "$listen" "$socket" "$logdir")
    local nginx_args=(-p "$prefix/" -c "$conf" -e "$logdir/nginx-error.log")
    if ! nginx "${nginx_args[@]}" -t -q; then
        notify_tail_logs "$logdir/nginx-error.log"
        notify_die "nginx rejected $conf"
    fi
    notify_start_bg nginx "$pidfile" "$logdir/nginx.out" nginx "${nginx_args[@]}"
}

# notify_nginx_worker_group: prints the group nginx's worker processes run as (the group that
# notify-fcgi gives its 0660 socket, NOTIFY_FCGI_SOCKET_GROUP): nginx started as root runs its
# workers as nobody:nogroup (no `user` directive in the dev config); otherwise as ourselves.
notify_nginx_worker_group() {
    if ((EUID == 0)); then
        if getent group nogroup >/dev/null; then printf 'nogroup\n'; else printf 'nobody\n'; fi
    else
        id -gn
    fi
}
