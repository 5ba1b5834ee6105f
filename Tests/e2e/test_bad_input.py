"""Every bad input on the orders, notifications and configuration endpoints: each is a
problem+json with the right status (and, for a 400 about one field, `field` naming it), changes
nothing, and leaves the service healthy."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from notify_e2e import ORDERS, Api, Merchant, assert_problem, create_order, db_rows

HOOK = "http://127.0.0.1:9/hook"
JSON_TYPE = {"Content-Type": "application/json"}


# The endpoints that take a body: (name, method, path maker, extra headers). The path maker gets
# the merchant id and an order id.
BODY_ENDPOINTS: list[tuple[str, str, Callable[[str, str], str], dict[str, str]]] = [
    ("create order", "POST", lambda m, o: ORDERS, {"X-Channel": "web"}),
    ("patch order", "PATCH", lambda m, o: f"{ORDERS}/{o}", {}),
    ("put state", "PUT", lambda m, o: f"{ORDERS}/{o}/state", {}),
    ("put payment", "PUT", lambda m, o: f"{ORDERS}/{o}/payments/p1", {}),
    ("put shipping", "PUT", lambda m, o: f"{ORDERS}/{o}/shippings/s1", {}),
    ("post notification", "POST", lambda m, o: f"{ORDERS}/{o}/notifications", {}),
    (
        "put configuration",
        "PUT",
        lambda m, o: f"/api/v1/configuration/merchants/{m}/channels/web/configurations/c1",
        {},
    ),
]


def orders_of(merchant: Merchant) -> int:
    return db_rows("SELECT count(*) AS n FROM orders WHERE merchant = :'merchant'", merchant=merchant.id)[0]["n"]


def unchanged(api: Api, order: dict[str, Any]) -> None:
    response = api.get(f"{ORDERS}/{order['id']}")
    assert response.status_code == 200, response.text
    assert response.json() == order, "a refused request changed the order"


@pytest.mark.parametrize(("name", "method", "path", "headers"), BODY_ENDPOINTS, ids=[e[0] for e in BODY_ENDPOINTS])
def test_unreadable_bodies(
    api: Api,
    merchant: Merchant,
    healthy,
    name: str,
    method: str,
    path: Callable[[str, str], str],
    headers: dict[str, str],
) -> None:
    order = create_order(api)
    target = path(merchant.id, order["id"])
    cases: list[tuple[str, bytes, str, int]] = [
        ("malformed JSON", b'{"reference": "x",', "application/json", 400),
        ("trailing garbage", b'{"reference": "x"} x', "application/json", 400),
        ("not UTF-8", b'{"reference": "\xff\xfe"}', "application/json", 400),
        ("JSON array", b'[{"reference": "x"}]', "application/json", 400),
        ("JSON string", b'"reference"', "application/json", 400),
        ("JSON null", b"null", "application/json", 400),
        ("text/plain", b'{"reference": "x"}', "text/plain", 415),
        ("form", b"reference=x", "application/x-www-form-urlencoded", 415),
        ("no content type", b'{"reference": "x"}', "", 415),
        ("2 MiB", b'{"reference": "' + b"x" * (2 * 1024 * 1024) + b'"}', "application/json", 413),
    ]
    for case, body, content_type, status in cases:
        response = api.request(method, target, data=body, headers={**headers, "Content-Type": content_type or None})
        assert_problem(response, status)
        assert response.json().get("status") == status, case
    unchanged(api, order)
    assert orders_of(merchant) == 1, "a refused create stored an order"
    if name == "put configuration":
        assert_problem(api.get(target), 404)
    healthy()


# ---- orders ---------------------------------------------------------------------------------


def test_create_order_wrong_types_and_unknown_fields(api: Api, merchant: Merchant, healthy) -> None:
    for body, field in [
        ({"reference": 1}, "reference"),
        ({"culture": True}, "culture"),
        ({"currency": ["SEK"]}, "currency"),
        ({"country": {"code": "SE"}}, "country"),
        ({"cart": []}, "cart"),
        ({"customer": "someone"}, "customer"),
        ({"attributes": 3}, "attributes"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"state": {"currentStatus": "completed"}}, "state"),
        ({"notifications": []}, "notifications"),
        ({"payments": []}, "payments"),
        ({"referenc": "typo"}, "referenc"),
    ]:
        problem = assert_problem(api.post(ORDERS, headers={"X-Channel": "web"}, json=body), 400)
        assert problem.get("field") == field, (body, problem)
    assert orders_of(merchant) == 0
    healthy()


def test_create_order_needs_a_valid_x_channel(api: Api, merchant: Merchant, healthy) -> None:
    for channel in (None, "", "web shop", "web/shop", "x" * 129):
        problem = assert_problem(api.post(ORDERS, headers={"X-Channel": channel}, json={"reference": "r"}), 400)
        assert problem.get("field") == "X-Channel", (channel, problem)
    assert orders_of(merchant) == 0
    healthy()


# ---- notifications --------------------------------------------------------------------------

SIMPLE = {"url": HOOK, "scope": {"state": ["completed"]}}
POINTER = {"scope": "/payments/0/state", "schema": {"const": "captured"}, "invoke": HOOK}

BAD_NOTIFICATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("ftp url", {**SIMPLE, "url": "ftp://127.0.0.1/hook"}, "url"),
    ("file url", {**SIMPLE, "url": "file:///etc/passwd"}, "url"),
    ("user-info", {**SIMPLE, "url": "http://user:secret@127.0.0.1:9/hook"}, "url"),
    ("user only", {**SIMPLE, "url": "http://user@127.0.0.1:9/hook"}, "url"),
    ("relative url", {**SIMPLE, "url": "/hook"}, "url"),
    ("space in url", {**SIMPLE, "url": "http://127.0.0.1:9/a b"}, "url"),
    ("url too long", {**SIMPLE, "url": "http://127.0.0.1:9/" + "a" * 2048}, "url"),
    ("url not a string", {**SIMPLE, "url": 9}, "url"),
    ("no url", {"scope": {"payment": True}}, "url"),
    ("CR/LF in header", {**SIMPLE, "headers": {"X-Foo": "a\r\nX-Injected: 1"}}, "headers.X-Foo"),
    ("LF in header", {**SIMPLE, "headers": {"X-Foo": "a\nb"}}, "headers.X-Foo"),
    ("NUL in header", {**SIMPLE, "headers": {"X-Foo": "a\u0000b"}}, "headers.X-Foo"),
    ("Host header", {**SIMPLE, "headers": {"Host": "internal.example"}}, "headers.Host"),
    ("host header", {**SIMPLE, "headers": {"host": "internal.example"}}, "headers.host"),
    ("Content-Length", {**SIMPLE, "headers": {"Content-Length": "1"}}, "headers.Content-Length"),
    ("Transfer-Encoding", {**SIMPLE, "headers": {"Transfer-Encoding": "chunked"}}, "headers.Transfer-Encoding"),
    ("Connection", {**SIMPLE, "headers": {"Connection": "close"}}, "headers.Connection"),
    ("header name not a token", {**SIMPLE, "headers": {"Bad Name": "x"}}, "headers.Bad Name"),
    ("header name with colon", {**SIMPLE, "headers": {"X-A:": "x"}}, "headers.X-A:"),
    ("header value not a string", {**SIMPLE, "headers": {"X-Num": 1}}, "headers.X-Num"),
    ("headers not an object", {**SIMPLE, "headers": ["X-Foo: 1"]}, "headers"),
    ("method DELETE", {**SIMPLE, "method": "DELETE"}, "method"),
    ("method not a string", {**SIMPLE, "method": 1}, "method"),
    ("unknown field", {**SIMPLE, "secret": "x"}, "secret"),
    ("no scope", {"url": HOOK}, "scope"),
    ("scope a number", {"url": HOOK, "scope": 1}, "scope"),
    ("empty scope", {"url": HOOK, "scope": {}}, "scope"),
    ("empty state list", {"url": HOOK, "scope": {"state": []}}, "scope"),
    ("unknown scope key", {"url": HOOK, "scope": {"refund": True}}, "scope.refund"),
    ("state not a list", {"url": HOOK, "scope": {"state": "completed"}}, "scope.state"),
    ("unknown status", {"url": HOOK, "scope": {"state": ["completed", "shipped"]}}, "scope.state[1]"),
    ("payment not a boolean", {"url": HOOK, "scope": {"payment": "yes"}}, "scope.payment"),
    ("pointer without slash", {**POINTER, "scope": "no-slash"}, "scope"),
    ("pointer bad escape", {**POINTER, "scope": "/a/~2"}, "scope"),
    ("pointer trailing tilde", {**POINTER, "scope": "/a~"}, "scope"),
    ("schema if", {**POINTER, "schema": {"if": {"const": 1}}}, "schema.if"),
    ("schema format not a string", {**POINTER, "schema": {"format": 1}}, "schema.format"),
    (
        "schema additionalProperties",
        {**POINTER, "schema": {"additionalProperties": False}},
        "schema.additionalProperties",
    ),
    ("schema $ref", {**POINTER, "schema": {"$ref": "#/x"}}, "schema.$ref"),
    ("schema not an object", {**POINTER, "schema": "captured"}, "schema"),
    ("schema minimum not a number", {**POINTER, "schema": {"minimum": "1"}}, "schema.minimum"),
    ("schema bad pattern", {**POINTER, "schema": {"type": "string", "pattern": "(["}}, "schema.pattern"),
    ("no invoke", {"scope": "/payments"}, "invoke"),
    ("ftp invoke", {**POINTER, "invoke": "ftp://127.0.0.1/x"}, "invoke"),
    ("url in pointer form", {**POINTER, "url": HOOK}, "url"),
    ("id with a slash", {**POINTER, "id": "a/b"}, "id"),
    ("id not a string", {**POINTER, "id": 7}, "id"),
    ("configuration without adapterId", {**POINTER, "invoke": "{configuration.adapter.internalUrl}/x"}, "invoke"),
    ("unknown placeholder", {**POINTER, "invoke": "http://127.0.0.1:9/{merchant}"}, "invoke"),
]


@pytest.mark.parametrize(("case", "notification", "field"), BAD_NOTIFICATIONS, ids=[c[0] for c in BAD_NOTIFICATIONS])
def test_bad_notification_is_400_with_its_field(api: Api, healthy, case: str, notification: dict, field: str) -> None:
    order = create_order(api)
    problem = assert_problem(api.post(f"{ORDERS}/{order['id']}/notifications", json=notification), 400)
    assert problem.get("field") == field, problem
    # In a payment's list the field is nested under its index.
    response = api.put(
        f"{ORDERS}/{order['id']}/payments/p1", json={"state": "new", "notifications": [SIMPLE, notification]}
    )
    problem = assert_problem(response, 400)
    assert problem.get("field") == f"notifications[1].{field}", problem
    unchanged(api, order)
    healthy()


def test_nested_unsupported_schema_keyword_is_400(api: Api, healthy) -> None:
    order = create_order(api)
    notification = {**POINTER, "schema": {"properties": {"state": {"format": "date", "uniqueItems": True}}}}
    problem = assert_problem(api.post(f"{ORDERS}/{order['id']}/notifications", json=notification), 400)
    assert problem.get("field", "").startswith("schema.") and problem["field"].endswith("uniqueItems"), problem
    unchanged(api, order)
    healthy()


def test_supported_schema_keywords_are_accepted(api: Api) -> None:
    order = create_order(api)
    schema = {
        "type": ["string", "number", "object", "array"],
        "not": {"const": "x"},
        "allOf": [True],
        "anyOf": [
            {"enum": ["a", 1]},
            {"minLength": 1, "maxLength": 9, "pattern": "^a"},
            {"minimum": 0, "maximum": 9, "exclusiveMinimum": -1, "exclusiveMaximum": 10},
            {"properties": {"a": {"const": 1}}, "required": ["a"]},
            {"items": {"type": "string"}, "minItems": 1, "maxItems": 3},
        ],
        "oneOf": [True, False],
    }
    response = api.post(f"{ORDERS}/{order['id']}/notifications", json={**POINTER, "schema": schema})
    assert response.status_code == 201, response.text
    assert response.json()["schema"] == schema


# ---- routes and methods ---------------------------------------------------------------------


def test_unknown_routes_are_404(api: Api, healthy) -> None:
    order = create_order(api)
    oid = order["id"]
    for path in (
        "/api/v0/checkout/order",
        f"{ORDERS}/{oid}/bogus",
        f"{ORDERS}/{oid}/payments",
        f"{ORDERS}/{oid}/state/x",
        f"{ORDERS}/{oid}/notifications/n/x",
        "/api/v2/orders",
        "/api/v1/configuration/merchants/m/channels/web",
    ):
        assert_problem(api.get(path), 404)
        assert_problem(api.post(path, json={}), 404)
    healthy()


@pytest.mark.parametrize(
    ("method", "suffix", "allowed"),
    [
        ("PUT", "", {"GET", "PATCH", "DELETE"}),
        ("POST", "", {"GET", "PATCH", "DELETE"}),
        ("GET", "/state", {"PUT"}),
        ("POST", "/payments/p1", {"PUT", "DELETE"}),
        ("GET", "/shippings/s1", {"PUT", "DELETE"}),
        ("PUT", "/notifications", {"GET", "POST"}),
        ("GET", "/notifications/n1", {"DELETE"}),
    ],
)
def test_wrong_method_is_405_with_allow(api: Api, healthy, method: str, suffix: str, allowed: set[str]) -> None:
    order = create_order(api)
    response = api.request(method, f"{ORDERS}/{order['id']}{suffix}", json={})
    assert_problem(response, 405)
    allow = {m.strip().upper() for m in response.headers.get("Allow", "").split(",") if m.strip()}
    assert allow == allowed, response.headers.get("Allow")
    unchanged(api, order)
    healthy()


def test_configuration_path_wrong_method_is_405(api: Api, merchant: Merchant, healthy) -> None:
    path = f"/api/v1/configuration/merchants/{merchant.id}/channels/web/configurations/c1"
    response = api.patch(path, json={})
    assert_problem(response, 405)
    allow = {m.strip().upper() for m in response.headers.get("Allow", "").split(",") if m.strip()}
    assert allow == {"PUT", "GET", "DELETE"}, response.headers.get("Allow")
    healthy()
