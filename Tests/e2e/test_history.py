"""History that stays bounded: day partitions of events and attempts, dropped by housekeeping
(`notifyctl housekeeping`, and the sweep's every minute) once wholly past NOTIFY_RETENTION_DAYS,
while an event still pending is kept until it is done."""

from __future__ import annotations

import json
import os
import subprocess

from notify_e2e import EVENTS, Api, Merchant, Receiver, env, fire, get_event, run_sql, wait_for_event

# Events back-dated `:days` days: their day partition is created the way housekeeping creates them
# (history_create_partitions), each id a UUIDv7 of that time. `:pending` = 1 makes the event pending
# with its delivery due in an hour (so no sweep takes it during the test), else succeeded with no
# queue row; either way with one attempt.
BACKDATED = """
SELECT history_create_partitions(((now() - :'days'::integer * interval '1 day') AT TIME ZONE 'UTC')::date,
                                 ((now() - :'days'::integer * interval '1 day') AT TIME ZONE 'UTC')::date);
CREATE TEMP TABLE old AS
SELECT (lpad(to_hex((extract(epoch FROM now() - :'days'::integer * interval '1 day') * 1000)::bigint), 12, '0')
        || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid AS event_id,
       now() - :'days'::integer * interval '1 day' AS created_at,
       destination_id(:'merchant', url_origin(:'url')) AS destination_id, :'pending'::integer = 1 AS pending;
INSERT INTO destinations (merchant, destination_id, origin, created_at)
SELECT :'merchant', destination_id, url_origin(:'url'), now() FROM old ON CONFLICT DO NOTHING;
INSERT INTO events (merchant, event_id, order_id, channel, notification_id, scope, status, created_at,
                    request_method, request_url, request_headers, payload, destination_id, attempt_count,
                    automatic_attempts, last_attempt_at, last_status_code)
SELECT :'merchant', event_id, gen_random_uuid(), 'web', 'old', 'state.processing',
       CASE WHEN pending THEN 'pending' ELSE 'succeeded' END, created_at, 'POST', :'url', '{}',
       jsonb_build_object('event', jsonb_build_object('id', event_id)), destination_id, 1, 1, created_at,
       CASE WHEN pending THEN 500 ELSE 204 END
FROM old;
INSERT INTO attempts (merchant, event_id, attempt_id, attempted_at, status_code, response_body, duration_ms, trigger)
SELECT :'merchant', event_id, gen_random_uuid(), created_at, CASE WHEN pending THEN 500 ELSE 204 END, '', 4,
       'automatic'
FROM old;
INSERT INTO deliveries (merchant, event_id, due_at, attempt, destination_id)
SELECT :'merchant', event_id, now() + interval '1 hour', 1, destination_id FROM old WHERE pending;
SELECT event_id FROM old;
"""


def backdated_event(merchant: Merchant, url: str, days: int, pending: bool) -> str:
    out = run_sql(BACKDATED, merchant=merchant.id, url=url, days=str(days), pending="1" if pending else "0")
    return out.strip().splitlines()[-1]


def housekeeping(retention_days: str = "1") -> subprocess.Popen[str]:
    command = [os.path.join(env("NOTIFY_BIN"), "notifyctl"), "housekeeping"]
    environment = dict(os.environ, NOTIFY_DATABASE_URL=env("NOTIFY_DATABASE_URL"), NOTIFY_RETENTION_DAYS=retention_days)
    return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def report(process: subprocess.Popen[str]) -> dict:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, f"notifyctl housekeeping exited {process.returncode}: {err}"
    return json.loads(out.strip().splitlines()[-1])


def test_housekeeping_drops_old_days_and_keeps_pending_and_today(
    api: Api, merchant: Merchant, receiver: Receiver
) -> None:
    url = receiver.url_for()
    _, today = fire(api, url)
    wait_for_event(api, today, lambda e: e["status"] == "succeeded", what="succeeded")
    old_done = backdated_event(merchant, url, days=2, pending=False)
    old_pending = backdated_event(merchant, url, days=2, pending=True)
    assert get_event(api, old_done)["status"] == "succeeded"
    assert len(get_event(api, old_pending)["attempts"]) == 1

    first = report(housekeeping())
    assert first["ran"] is True, first
    assert first["droppedDays"] >= 1 and first["keptPending"] >= 1, first
    assert first["partitions"][-1] == "events_retained", first

    gone = api.get(f"{EVENTS}/{old_done}")
    assert gone.status_code == 404, gone.text
    kept = get_event(api, old_pending)
    assert kept["status"] == "pending" and len(kept["attempts"]) == 1, kept
    assert get_event(api, today)["status"] == "succeeded"
    listed = api.get(EVENTS, params={"limit": "100"}).json()["data"]
    assert {e["id"] for e in listed} == {today, old_pending}, listed

    # Twice in a row: nothing more to drop, nothing lost.
    second = report(housekeeping())
    assert second["ran"] is True and second["droppedDays"] == 0 and second["createdDays"] == 0, second
    assert second["partitions"] == first["partitions"], (first, second)

    # Two processes at once: both succeed, at most one works (the other skips), the same result.
    runs = [housekeeping(), housekeeping()]
    reports = [report(run) for run in runs]
    assert all(r["droppedDays"] == 0 for r in reports), reports
    assert get_event(api, old_pending)["status"] == "pending"
    assert get_event(api, today)["status"] == "succeeded"

    # Once the old pending event is done, the next housekeeping removes it too.
    run_sql(
        "UPDATE deliveries SET due_at = now() WHERE merchant = :'merchant' AND event_id = :'event'::uuid",
        merchant=merchant.id,
        event=old_pending,
    )
    done = wait_for_event(api, old_pending, lambda e: e["status"] == "succeeded", what="succeeded")
    assert len(done["attempts"]) == 2, done
    third = report(housekeeping())
    assert third["removedRetained"] >= 1, third
    assert api.get(f"{EVENTS}/{old_pending}").status_code == 404
    assert get_event(api, today)["status"] == "succeeded"


def test_housekeeping_refuses_a_bad_retention() -> None:
    process = housekeeping("0")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2, (out, err)
    assert "NOTIFY_RETENTION_DAYS" in err, err
