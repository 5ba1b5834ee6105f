# shellcheck shell=bash
# Renders and starts the development nginx (nginx/notify-dev.conf.template). Source after common.sh.

# notify_nginx_render PREFIX LISTEN FCGI_SOCKET LOGDIR: writes PREFIX/nginx.conf and prints its path.
notify_nginx_render() {
    local prefix=$1 listen=$2 socket=$3 logdir=$4
    local template="$NOTIFY_ROOT/nginx/notify-dev.conf.template"
    local value
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
