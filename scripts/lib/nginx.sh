# shellcheck shell=bash
# Renders and starts the development nginx (nginx/notify-dev.conf.template). Source after common.sh.

# notify_nginx_render PREFIX LISTEN FCGI_SOCKET LOGDIR: writes PREFIX/nginx.conf and prints its path.
notify_nginx_render() {
    local prefix=$1 listen=$2 socket=$3 logdir=$4
    local template="$NOTIFY_ROOT/nginx/notify-dev.conf.template"
    local value rate=${NOTIFY_RATE_LIMIT:-50r/s} burst=${NOTIFY_RATE_BURST:-100}
    [[ "$rate" =~ ^[1-9][0-9]{0,6}r/[sm]$ ]] || notify_die "NOTIFY_RATE_LIMIT must look like 50r/s or 600r/m, not '$rate'"
    [[ "$burst" =~ ^(0|[1-9][0-9]{0,6})$ ]] || notify_die "NOTIFY_RATE_BURST must be a whole number, not '$burst'"
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
        "$template" >"$prefix/nginx.conf"
    if grep -n '@[A-Z_]*@' "$prefix/nginx.conf" | grep -v '^[0-9]*:#' >&2; then
        notify_die "unreplaced placeholder in $prefix/nginx.conf"
    fi
    printf '%s\n' "$prefix/nginx.conf"
}

# notify_nginx_start PREFIX LISTEN FCGI_SOCKET LOGDIR PIDFILE: checks the config, starts nginx
# in the foreground of its own session (daemon off) and records the master pid.
notify_nginx_start() {
    local prefix=$1 listen=$2 socket=$3 logdir=$4 pidfile=$5 conf
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
