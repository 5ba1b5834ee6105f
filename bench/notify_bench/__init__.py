"""The measurements of scripts/bench (issue 7). Run by scripts/bench, which builds everything and
starts PostgreSQL, notify-fcgi, the C hello world (bench/hello_fcgi.c), the nginx in front of each
and the 204 receiver nginx, and passes their addresses in the environment:

  BENCH_API_URL       nginx in front of notify-fcgi (nginx/notify-dev.conf.template)
  BENCH_HELLO_URL     nginx in front of hello_fcgi (the same template)
  BENCH_RENDER_URL    nginx in front of notify-fcgi with NOTIFY_KEEP_EVENT_PAGES=0 (renders every read)
  BENCH_RECEIVER_URL  nginx answering 204 at /hook (bench/nginx-receiver.conf.template)
  BENCH_BIN           folder of notify-fcgi, notify-sweep, notifyctl
  BENCH_PGBIN         folder of psql and pgbench
  BENCH_TMP           the run's temporary folder (logs in BENCH_TMP/logs)
  BENCH_FCGI_PIDFILE  pid file of the notify-fcgi master
  NOTIFY_DATABASE_URL the database (libpq conninfo)

It loads data with SQL (INSERT ... SELECT generate_series, copies of an order, event and attempt
that the API and the sweep made themselves), runs each figure and its baseline in alternation,
writes the table and, as the report's last line, `bench: {json}` to --report. Python's standard
library only. Every request loop is bounded in count and time, and talks to 127.0.0.1 only.

Modules: config (modes, goals, the data's constants), common (log, errors, statistics),
services (Database, Api, the latency receiver), meter (process CPU and memory), statements (the
application's SQL for the pgbench baselines), context (Bench: the run's state and tools),
loading (the data set-up), figures/ (one module per figure), report (summary, table, goals),
main (the order of the run and the report).
"""
