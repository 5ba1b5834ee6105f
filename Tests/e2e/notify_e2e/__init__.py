"""Helpers for the end-to-end tests (the fixtures that use them are in conftest.py), one module per
concern; `from notify_e2e import NAME` imports any of them.

The tests run against the services that scripts/test starts: nginx on a loopback port in front
of the notify-fcgi workers, PostgreSQL, and notify-sweep --follow. They only send traffic to
127.0.0.1 and unix sockets, and every HTTP request has a timeout.

  config     timeouts, paths of the API and the repository, env()
  merchants  notifyctl, merchants and their tokens
  api        the HTTP client (Api) and problem+json checks
  receiver   a webhook receiver on 127.0.0.1 that records what arrives
  orders     orders and their notifications through the API (new_order, register, put_state, ...)
  delivery   webhook signatures and the events API
  database   SQL look-ups with psql, PostgreSQL clusters of a test's own
  processes  services (notify-fcgi, notify-sweep) a test starts itself, CPU and health of processes
  raw_http   HTTP spoken on a socket (malformed requests)
  fastcgi    FastCGI spoken directly to a notify-fcgi socket
  load       a load of order changes whose every outcome is checked against the database
"""

from .api import Api, assert_healthy, assert_problem, expect, media_type
from .config import EVENTS, ORDERS, PGCTL, PROBLEM_JSON, ROOT, TIMEOUT, env
from .database import PrivateDatabase, db_execute, db_rows, order_events, pgctl, postgres_running, run_sql, sql_json
from .delivery import assert_signed, attempted, get_event, list_order_events, wait_for_event, webhook_signature
from .fastcgi import (
    FCGI_BEGIN_REQUEST,
    FCGI_END_REQUEST,
    FCGI_PARAMS,
    FCGI_STDERR,
    FCGI_STDIN,
    FCGI_STDOUT,
    FastCGIRequest,
    fcgi_params,
    fcgi_request,
)
from .load import (
    STATE_SCOPE,
    ChangeOutcome,
    OrderLoad,
    check_changes_applied,
    fault_report,
    order_with_toggle_hook,
    wait_delivered,
)
from .merchants import Merchant, create_merchant, notifyctl, notifyctl_json
from .orders import create_order, fire, move, nested, new_order, order_with_hook, put_state, register
from .processes import (
    Service,
    Sweep,
    alive,
    children,
    cpu_seconds,
    free_port,
    wait_for_socket,
    wait_healthy,
    wait_until,
)
from .raw_http import RawResponse, assert_raw_problem, dechunk, parse_http_head, raw_http
from .receiver import ReceivedRequest, Receiver, Responder

__all__ = [
    "Api",
    "ChangeOutcome",
    "EVENTS",
    "FCGI_BEGIN_REQUEST",
    "FCGI_END_REQUEST",
    "FCGI_PARAMS",
    "FCGI_STDERR",
    "FCGI_STDIN",
    "FCGI_STDOUT",
    "FastCGIRequest",
    "Merchant",
    "ORDERS",
    "OrderLoad",
    "PGCTL",
    "PROBLEM_JSON",
    "PrivateDatabase",
    "ROOT",
    "RawResponse",
    "ReceivedRequest",
    "Receiver",
    "Responder",
    "STATE_SCOPE",
    "Service",
    "Sweep",
    "TIMEOUT",
    "alive",
    "assert_healthy",
    "assert_problem",
    "assert_raw_problem",
    "assert_signed",
    "attempted",
    "check_changes_applied",
    "children",
    "cpu_seconds",
    "create_merchant",
    "create_order",
    "db_execute",
    "db_rows",
    "dechunk",
    "env",
    "expect",
    "fault_report",
    "fcgi_params",
    "fcgi_request",
    "fire",
    "free_port",
    "get_event",
    "list_order_events",
    "media_type",
    "move",
    "nested",
    "new_order",
    "notifyctl",
    "notifyctl_json",
    "order_events",
    "order_with_hook",
    "order_with_toggle_hook",
    "parse_http_head",
    "pgctl",
    "postgres_running",
    "put_state",
    "raw_http",
    "register",
    "run_sql",
    "sql_json",
    "wait_delivered",
    "wait_for_event",
    "wait_for_socket",
    "wait_healthy",
    "wait_until",
    "webhook_signature",
]
