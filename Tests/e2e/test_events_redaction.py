"""Secret header values are never shown: not in events, attempts or configuration answers."""

from __future__ import annotations

import secrets

from events_e2e import EVENTS_V1, ok_hook, order_event_list, wait_event
from notify_e2e import EVENTS, ORDERS, Api, Merchant, Receiver, attempted, create_order, expect, new_order


def test_secret_header_values_are_never_shown(api: Api, receiver: Receiver) -> None:
    secret_values = {
        "Authorization": "Bearer tok-" + secrets.token_hex(8),
        "X-Api-Key": "key-" + secrets.token_hex(8),
        "Cookie": "sid=" + secrets.token_hex(8),
        "X-Auth-Token": "tok2-" + secrets.token_hex(8),
    }
    headers = {**secret_values, "X-Shop": "north"}
    responses = []

    order = new_order(api, {})
    created = api.post(
        f"{ORDERS}/{order}/notifications",
        json={"url": ok_hook(receiver), "headers": headers, "scope": {"state": ["processing"]}},
    )
    responses.append(created)
    assert expect(created, 201)["headers"] == {**{name: "***" for name in secret_values}, "X-Shop": "north"}
    responses.append(
        api.put(
            f"{ORDERS}/{order}/payments/p1",
            json={
                "state": "authorized",
                "notifications": [
                    {"id": "psp", "scope": "/payments", "headers": headers, "invoke": ok_hook(receiver, "/psp")}
                ],
            },
        )
    )
    responses.append(api.put(f"{ORDERS}/{order}/state", json={"currentStatus": "processing"}))
    responses.append(api.put(f"{ORDERS}/{order}/payments/p1", json={"state": "captured"}))
    deliveries = receiver.wait_for(2)
    for request in deliveries:  # the receiver gets the real values: they are needed to deliver
        for name, value in secret_values.items():
            assert request.headers.get(name) == value, (name, dict(request.headers))
        assert request.headers.get("X-Shop") == "north"
        for value in secret_values.values():
            assert value not in request.body.decode(), "the payload's notification is redacted"

    events = order_event_list(api, order, 2)
    for event in events:
        wait_event(api, event["id"], attempted, "attempted")
        shown = expect(api.get(f"{EVENTS}/{event['id']}"), 200)["request"]["headers"]
        assert shown == {**{name: "***" for name in secret_values}, "X-Shop": "north"}, shown
        responses.append(api.get(f"{EVENTS}/{event['id']}"))
        responses.append(api.get(f"{EVENTS_V1}/{event['id']}"))
        responses.append(api.post(f"{EVENTS}/{event['id']}/retry"))
    responses += [
        api.get(f"{EVENTS}?orderId={order}"),
        api.get(f"{EVENTS_V1}?order_id={order}"),
        api.get(f"{ORDERS}/{order}"),
        api.get(f"{ORDERS}/{order}/notifications"),
        api.patch(f"{ORDERS}/{order}", json={"reference": "r"}),
        api.delete(f"{ORDERS}/{order}/payments/p1"),
    ]
    for event in events:  # the retries finished before the receiver goes away
        wait_event(api, event["id"], lambda e: e["status"] == "succeeded" and e["attemptCount"] >= 2, "retried")
    for response in responses:
        assert response.status_code < 300, f"{response.request.method} {response.request.path_url}: {response.text}"
        for value in secret_values.values():
            assert value not in response.text, f"{response.request.method} {response.request.path_url} shows a secret"
        assert "***" in response.text, f"{response.request.method} {response.request.path_url}: {response.text[:300]}"


def test_configuration_responses_redact_secret_headers(api: Api, merchant: Merchant) -> None:
    secret = "key-" + secrets.token_hex(8)
    path = f"/api/v1/configuration/merchants/{merchant.id}/channels/web/configurations/psp"
    document = {
        "order": {
            "notifications": [
                {"url": "http://127.0.0.1:9/hook", "headers": {"X-Api-Key": secret}, "scope": {"payment": True}}
            ]
        }
    }
    put = api.put(path, json=document)
    get = api.get(path)
    order = create_order(api, body={})
    assert put.status_code == 201 and get.status_code == 200, (put.text, get.text)
    assert order["notifications"][0]["headers"] == {"X-Api-Key": "***"}, order
    assert secret not in put.text, put.text
    assert secret not in get.text, get.text
