"""URL templates expanded into the event: order and configuration placeholders, a placeholder without
a value (a failed event), and the deepest accepted cart still delivered."""

from __future__ import annotations

from notifications_e2e import assert_queued
from notify_e2e import (
    ORDERS,
    Api,
    Merchant,
    assert_problem,
    create_order,
    db_execute,
    expect,
    nested,
    order_events,
    put_state,
    register,
)


def test_order_placeholders_are_expanded_into_the_event(api: Api) -> None:
    order = create_order(api, "web", {"reference": "a b/c&d"})
    oid = order["id"]
    register(
        api,
        oid,
        {
            "url": "http://127.0.0.1:9/orders/{order.id}/x?id={order_id}&ref={order.reference}",
            "method": "PUT",
            "scope": {"state": ["processing"]},
        },
    )
    register(
        api,
        oid,
        {
            "scope": "/state/currentStatus",
            "invoke": "http://127.0.0.1:9/{order.state.currentStatus}/{order.state.transitions.1.status}",
        },
    )
    put_state(api, oid, "processing")
    events = order_events(oid)
    by_scope = {e["scope"]: e for e in events}
    assert set(by_scope) == {"state.processing", "/state/currentStatus"}, by_scope.keys()
    simple = by_scope["state.processing"]
    assert simple["request_method"] == "PUT"
    assert simple["request_url"] == f"http://127.0.0.1:9/orders/{oid}/x?id={oid}&ref=a%20b%2Fc%26d"
    assert by_scope["/state/currentStatus"]["request_url"] == "http://127.0.0.1:9/processing/processing"
    for event in events:
        assert_queued(event)


def test_configuration_placeholder_is_expanded_into_the_event(api: Api, merchant: Merchant) -> None:
    configuration = {
        "id": "psp-1",
        "adapter": {"publicUrl": "https://psp.example/p", "internalUrl": "http://127.0.0.1:9/internal"},
        "merchantCode": "m 1",
    }
    path = f"/api/v1/configuration/merchants/{merchant.id}/channels/web/configurations/psp-1"
    expect(api.put(path, json=configuration), 201)
    order = create_order(api)
    oid = order["id"]
    register(
        api,
        oid,
        {
            "adapterId": "psp-1",
            "scope": "/state/currentStatus",
            "invoke": "{configuration.adapter.internalUrl}/orders/{order.id}?m={configuration.merchantCode}",
        },
    )
    put_state(api, oid, "processing")
    events = order_events(oid)
    assert len(events) == 1, events
    assert events[0]["adapter_id"] == "psp-1"
    assert events[0]["request_url"] == f"http://127.0.0.1:9/internal/orders/{oid}?m=m%201"
    assert_queued(events[0])


def test_placeholder_without_a_value_records_a_failed_event(api: Api) -> None:
    order = create_order(api)
    oid = order["id"]
    register(api, oid, {"url": "http://127.0.0.1:9/c/{order.customer.email}", "scope": {"state": ["processing"]}})
    register(
        api,
        oid,
        {
            "adapterId": "no-such-configuration",
            "scope": "/state/currentStatus",
            "invoke": "{configuration.adapter.internalUrl}/x",
        },
    )
    put_state(api, oid, "processing")
    events = order_events(oid)
    assert len(events) == 2, events
    for event in events:
        assert event["status"] == "failed", event
        assert event["error"], event
        assert event["deliveries"] == 0, event
    errors = {e["scope"]: e["error"] for e in events}
    assert "{order.customer.email}" in errors["state.processing"], errors
    assert "{configuration.adapter.internalUrl}" in errors["/state/currentStatus"], errors


def test_deepest_accepted_cart_is_still_delivered(api: Api, receiver) -> None:
    # The create body is as deep as the parser allows (the body and 63 levels of cart). The event's
    # payload holds that order one level deeper ({"order": {...}}): the pipeline must still deliver it
    # or the API must refuse the order; it must not accept an event nobody can send.
    response = api.post(ORDERS, headers={"X-Channel": "web"}, json={"cart": nested(63)})
    if response.status_code == 400:
        assert_problem(response, 400)
        return
    assert response.status_code == 201, response.text[:300]
    oid = response.json()["id"]
    register(api, oid, {"url": receiver.url_for(f"/deep/{oid}"), "scope": {"state": ["processing"]}})
    put_state(api, oid, "processing")
    [event] = order_events(oid)
    assert_queued(event)
    try:
        got = receiver.wait_for(1, timeout=5.0)
    except AssertionError:
        after = order_events(oid)[0]
        # Take the undeliverable event out of the shared sweep's queue, so later tests' deliveries
        # are not claimed in a batch with it.
        db_execute("DELETE FROM deliveries WHERE event_id = :'event_id'::uuid", event_id=event["event_id"])
        raise AssertionError(
            f"the event was never delivered: status {after['status']}, attempts {after['attempt_count']},"
            f" error {after['error']!r} (see notify-sweep.log)"
        ) from None
    assert got[0].path == f"/deep/{oid}"
    assert got[0].json()["order"]["cart"] == nested(63)
