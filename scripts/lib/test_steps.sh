# shellcheck shell=bash
# The longer steps of scripts/test, as functions it calls: they read and set its variables (TMP, BIN,
# LOGS, PGCTL, COUNTS, scratch, the timeouts, the counts), so they are only meaningful sourced there.

# Step 1 (Python side): pytest and requests (Debian packages, or pip for another python3), then the
# pinned PyPI packages with pip only when missing: selenium drives the Debian chromium through
# chromedriver, standardwebhooks is the stock verifier of the delivery tests, ruff (not for --cluster
# or --e2e-only) lints and checks the format of every Python file.
python_packages_installed() {
    python3 -c 'import sys, importlib.metadata as m
sys.exit(any(m.version(n) != v for n, v in (a.split("==") for a in sys.argv[1:])))' "$@" 2>/dev/null
}

install_python_packages() {
    if ! python3 -c 'import pytest, requests' 2>/dev/null; then
        if [[ "$(command -v python3)" == /usr/bin/python3 ]]; then
            notify_ensure_packages python3-pytest python3-requests
        else
            notify_log "installing pytest and requests with pip for $(command -v python3)"
            python3 -m pip install -q pytest requests
        fi
        python3 -c 'import pytest, requests' || notify_die "python3 cannot import pytest and requests"
    fi
    # selenium drives the Debian chromium through chromedriver; standardwebhooks is the stock
    # verifier the delivery tests check signatures with. Pinned; pip only when missing.
    E2E_PYTHON_PACKAGES=(selenium==4.40.0 standardwebhooks==1.1.0)
    if ! python_packages_installed "${E2E_PYTHON_PACKAGES[@]}"; then
        notify_log "installing ${E2E_PYTHON_PACKAGES[*]} with pip for $(command -v python3)"
        # A Debian python3 refuses pip installs into its own site-packages (PEP 668) unless told.
        python3 -m pip install -q "${E2E_PYTHON_PACKAGES[@]}" ||
            python3 -m pip install -q --break-system-packages "${E2E_PYTHON_PACKAGES[@]}" ||
            notify_die "pip could not install ${E2E_PYTHON_PACKAGES[*]}"
    fi
    # ruff lints and checks the format of every Python file (bench/, Tests/, scripts/lib); pinned.
    RUFF_VERSION=0.17.6
    if ! ((cluster || e2e_only)) && ! python_packages_installed "ruff==$RUFF_VERSION"; then
        notify_log "installing ruff $RUFF_VERSION with pip for $(command -v python3)"
        python3 -m pip install -q "ruff==$RUFF_VERSION" ||
            python3 -m pip install -q --break-system-packages "ruff==$RUFF_VERSION" ||
            notify_die "pip could not install ruff $RUFF_VERSION"
    fi
}

# Step 4: a throwaway PostgreSQL cluster (migrated, with the runtime role), notify-fcgi, nginx on a
# free loopback port and notify-sweep --follow, with limits out of the suite's way.
start_services() {
    "$PGCTL" init "$TMP/pg" --throwaway
    "$PGCTL" start "$TMP/pg"
    "$PGCTL" createdb "$TMP/pg" notify_store_test
    NOTIFY_DATABASE_URL=$("$PGCTL" conninfo "$TMP/pg")
    export NOTIFY_DATABASE_URL
    printf '#!/bin/sh\n# restarts the throwaway PostgreSQL cluster of this scripts/test run\nexec %s restart %s\n' \
        "$(notify_shquote "$PGCTL")" "$(notify_shquote "$TMP/pg")" >"$TMP/pg-restart"
    chmod +x "$TMP/pg-restart"

    notify_log "migrating"
    "$BIN/notifyctl" migrate
    # The services run as notify_app, which cannot change the schema; migrations and the tests'
    # own tools run as the owner (NOTIFY_DATABASE_URL).
    "$PGCTL" roles "$TMP/pg"
    NOTIFY_APP_DATABASE_URL=$("$PGCTL" app-conninfo "$TMP/pg")
    export NOTIFY_APP_DATABASE_URL

    export NOTIFY_FCGI_SOCKET="$TMP/notify-fcgi.sock"
    export NOTIFY_WORKERS=2
    export NOTIFY_FCGI_SOCKET_GROUP="${NOTIFY_FCGI_SOCKET_GROUP:-$(notify_nginx_worker_group)}"
    export NOTIFY_LOG_LEVEL="${NOTIFY_LOG_LEVEL:-info}"
    export NOTIFY_ALLOW_TARGETS=127.0.0.1/32
    # A short attempt timeout for the shared sweep (and the tests that read it), so a test of a
    # receiver that hangs does not take the default 15 s.
    export NOTIFY_DELIVERY_TIMEOUT="${NOTIFY_DELIVERY_TIMEOUT:-5}"
    # The suite sends many requests as one merchant, from one address, faster than any production
    # limit: the shared services get limits out of its way. The quota tests start services of their
    # own with low limits (Tests/e2e/test_quotas.py).
    export NOTIFY_RATE_LIMIT=100000r/s NOTIFY_RATE_BURST=100000
    export NOTIFY_AUTH_FAILURE_LIMIT=1000000 NOTIFY_MANUAL_RETRY_LIMIT=1000000
    NOTIFY_DATABASE_URL=$NOTIFY_APP_DATABASE_URL notify_start_bg notify-fcgi "$TMP/pids/notify-fcgi.pid" \
        "$LOGS/notify-fcgi.log" "$BIN/notify-fcgi" --socket "$NOTIFY_FCGI_SOCKET" --workers "$NOTIFY_WORKERS"
    local port
    port=$(notify_free_port)
    notify_nginx_start "$TMP/nginx" "127.0.0.1:$port" "$NOTIFY_FCGI_SOCKET" "$LOGS" "$TMP/pids/nginx.pid"
    NOTIFY_DATABASE_URL=$NOTIFY_APP_DATABASE_URL notify_start_bg notify-sweep "$TMP/pids/notify-sweep.pid" \
        "$LOGS/notify-sweep.log" "$BIN/notify-sweep" --follow
    export NOTIFY_URL="http://127.0.0.1:$port"
    notify_wait_healthy "$NOTIFY_URL/healthz" 60 \
        "$TMP/pids/notify-fcgi.pid" "$TMP/pids/nginx.pid" "$TMP/pids/notify-sweep.pid"
    notify_log "services up: $NOTIFY_URL (state $TMP)"
}

# Step 5: swift test against the cluster (database notify_store_test), counted from its output.
run_swift_test() {
    current_step="swift test"
    NOTIFY_TEST_DATABASE_URL=$("$PGCTL" conninfo "$TMP/pg" notify_store_test)
    export NOTIFY_TEST_DATABASE_URL
    export NOTIFY_TEST_PG_RESTART="$TMP/pg-restart"
    notify_log "swift test"
    local rc=0 counts swift_failed
    # timeout signals its whole process group, so the test runner goes too.
    timeout --kill-after=30 "$SWIFT_TEST_TIMEOUT" swift test --skip-build "${scratch[@]}" \
        --xunit-output "$TMP/swift-xunit.xml" 2>&1 | tee "$LOGS/swift-test.log" || rc=$?
    counts=$(python3 "$COUNTS" swift "$LOGS/swift-test.log" "$TMP/swift-xunit.xml")
    add_counts "$counts"
    read -r _ swift_failed _ <<<"$counts"
    if ((rc == 124 || rc == 137)); then
        step_failed "swift test (timed out after ${SWIFT_TEST_TIMEOUT}s)"
    elif ((rc != 0 && swift_failed == 0)); then
        step_failed "swift test (exit $rc without a failed test: crash or runner error)"
    fi
}

# Step 7: schemathesis (pinned, installed with pip when missing) against the running service.
schemathesis_installed() {
    python3 -c 'import sys, importlib.metadata as m; sys.exit(m.version("schemathesis") != sys.argv[1])' \
        "$SCHEMATHESIS_VERSION" 2>/dev/null
}

run_schemathesis() {
    current_step="schemathesis"
    if ! schemathesis_installed; then
        notify_log "installing schemathesis $SCHEMATHESIS_VERSION with pip for $(command -v python3)"
        # A Debian python3 refuses pip installs into its own site-packages (PEP 668) unless told.
        python3 -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION" >"$LOGS/schemathesis-pip.log" 2>&1 ||
            python3 -m pip install -q --break-system-packages "schemathesis==$SCHEMATHESIS_VERSION" \
                >>"$LOGS/schemathesis-pip.log" 2>&1 || true
        if ! schemathesis_installed; then
            tail -n 20 "$LOGS/schemathesis-pip.log" >&2
            step_failed "schemathesis (pip could not install schemathesis $SCHEMATHESIS_VERSION)"
            return 0
        fi
    fi
    # Nothing schemathesis registers may be delivered: its generated URLs name arbitrary hosts.
    notify_stop_pidfile notify-sweep "$TMP/pids/notify-sweep.pid" notify-sweep 15
    local merchant token
    merchant="schemathesis-$(date +%s)-$$"
    token=$("$BIN/notifyctl" merchant create "$merchant" | tail -n 1 |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    mkdir -p "$TMP/schemathesis" # its working folder: it writes .hypothesis/ and reports there
    # The {merchant} of the configuration paths is this merchant's, so those calls get past the 403.
    printf '[parameters]\n"path.merchant" = "%s"\n' "$merchant" >"$TMP/schemathesis/schemathesis.toml"
    notify_log "schemathesis $SCHEMATHESIS_VERSION: Sources/FCGIHandler/openapi.json against $NOTIFY_URL (log $LOGS/schemathesis.log)"
    local rc=0
    (cd "$TMP/schemathesis" && timeout --kill-after=10 "$SCHEMATHESIS_TIMEOUT" python3 -m schemathesis.cli \
        --config-file schemathesis.toml run "$NOTIFY_ROOT/Sources/FCGIHandler/openapi.json" --url "$NOTIFY_URL" \
        -H "Authorization: Bearer $token" -H "X-Merchant: $merchant" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --phases examples,coverage,fuzzing,stateful --max-examples 10 --seed "${NOTIFY_SCHEMATHESIS_SEED:-6}" \
        --request-timeout 10 --workers 1 --generation-database none --suppress-health-check all --no-color \
        --report junit --report-junit-path "$TMP/schemathesis.xml") >"$LOGS/schemathesis.log" 2>&1 || rc=$?
    # --workers 1: with more, Python 3.11 sometimes fails inside hypothesis (concurrent ast.parse).
    # --suppress-health-check: hypothesis' checks of its own generation speed, not of the API, would
    # fail a run on a busy machine.
    if ((rc == 0)); then
        passed=$((passed + 1))
        notify_log "schemathesis: passed ($(grep -E '[0-9]+ generated' "$LOGS/schemathesis.log" | tr -s ' ' | head -n 1))"
    else
        tail -n 80 "$LOGS/schemathesis.log" >&2
        if ((rc == 124 || rc == 137)); then
            step_failed "schemathesis (timed out after ${SCHEMATHESIS_TIMEOUT}s; log $LOGS/schemathesis.log)"
        else
            step_failed "schemathesis (exit $rc; log $LOGS/schemathesis.log)"
        fi
    fi
}
