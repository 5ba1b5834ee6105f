"""The fuzz test's raw HTTP/1.x requests (test_faults_input.py): methods, paths, headers and bodies,
hostile or plausible, from a seeded generator."""

from __future__ import annotations

import json
from typing import Any

from fuzz_values_e2e import HOOK, FuzzValues
from notify_e2e import ORDERS


class RequestGenerator(FuzzValues):
    """Builds raw HTTP/1.x requests from a seeded `random.Random`."""

    METHODS = [
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "HEAD",
        "OPTIONS",
        "TRACE",
        "CONNECT",
        "PROPFIND",
        "FOO",
        "get",
        "G\x01T",
        "POST ",
        "X" * 300,
    ]

    CONTENT_TYPES = [
        "application/json",
        "application/json; charset=utf-8",
        "application/problem+json",
        "application/merge-patch+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=utf-16",
        "application/",
        "*/*",
        "",
        "application/json\x7f",
        "APPLICATION/JSON",
    ]

    def path(self) -> bytes:
        oid = self.order_id()
        paths = [
            ORDERS,
            f"{ORDERS}/{oid}",
            f"{ORDERS}/{oid}/state",
            f"{ORDERS}/{oid}/notifications",
            f"{ORDERS}/{oid}/notifications/{self.text(3)}",
            f"{ORDERS}/{oid}/payments/p{self.random.randrange(9)}",
            f"{ORDERS}/{oid}/shippings/{self.text(2)}",
            "/api/v0/checkout/notifications/events",
            f"/api/v0/checkout/notifications/events/{oid}",
            f"/api/v0/checkout/notifications/events/{oid}/retry",
            "/api/v1/events",
            f"/api/v1/events/{oid}",
            f"/api/v1/configuration/merchants/{self.merchant.id}/channels/web/configurations/{self.text(4)}",
            f"/api/v1/configuration/merchants/{self.other.id}/channels/web/configurations/c1",
            "/healthz",
            "/metrics",
            "/",
            "/../../../etc/passwd",
            "/api/v0/checkout/orders/../../../../etc/passwd",
            "/api/v0/%2e%2e/%2e%2e/etc/passwd",
            "/api/v0/checkout/orders/%2F%2F",
            "//api//v0//checkout//orders",
            "/api/v0/checkout/orders%00.json",
            "/api/v0/checkout/orders/%ZZ",
            "/api/v0/checkout/orders/%",
            "/api/v0/checkout/notifications/openapi.json",
            "/API/V0/CHECKOUT/ORDERS",
            "/api/v0/checkout/orders/",
            "/.env",
            "/api/v0/checkout/orders;a=b",
            "/api/v0/checkout/orders/" + "a" * self.random.randrange(1, 9000),
        ]
        path = self.pick(paths).encode("utf-8", "surrogatepass")
        if self.chance(0.1):
            path += self.pick([b"\xff\xfe", b"\xc0\xaf", "/é😀".encode(), b"%C0%AF", b"%FF", b"/\x7f"])
        if self.chance(0.4):
            params = [
                "limit=" + self.pick(["0", "1", "100", "101", "-1", "abc", "1e3", "99999999999999999999", ""]),
                "offset=" + self.pick(["0", "-5", "1000001", "x", "%00"]),
                "orderId=" + oid,
                "order_id=" + self.text(4),
                "status=" + self.pick(["pending", "x", ""]),
                "scope=" + self.text(5),
                "a=" + "b" * self.random.randrange(0, 3000),
                "&&&",
                "=",
                "%",
            ]
            path += b"?" + "&".join(self.random.sample(params, self.random.randrange(1, 4))).encode("utf-8", "replace")
        return path

    def headers(self) -> list[bytes]:
        lines: list[bytes] = []
        who = self.random.randrange(10)
        if who < 5:
            lines += [
                f"X-Merchant: {self.merchant.id}".encode(),
                f"Authorization: Bearer {self.merchant.token}".encode(),
            ]
        elif who == 5:
            lines += [f"X-Merchant: {self.merchant.id}".encode(), f"Authorization: Bearer {self.other.token}".encode()]
        elif who == 6:
            lines += [
                b"X-Merchant: " + self.pick([b"", b"\xff\xfe", b"a" * 5000, b"../../x", b"%00", b"e2e-x y"]),
                b"Authorization: "
                + self.pick(
                    [
                        b"Bearer ",
                        b"Basic eDp5",
                        b"Bearer " + b"A" * 6000,
                        b"bearer x",
                        b"Bearer \xff",
                        b"Bearer a b c",
                        b"Digest x",
                    ]
                ),
            ]
        elif who == 7:
            lines += [
                f"X-Merchant: {self.merchant.id}".encode(),
                f"Authorization: Bearer {self.merchant.token}".encode(),
                f"Authorization: Bearer {self.other.token}".encode(),
            ]
        if self.chance(0.6):
            lines.append(
                b"X-Channel: " + self.pick([b"web", b"", b"web shop", b"x" * 200, b"\xff", b"a/b", b"w:e.b-1"])
            )
        if self.chance(0.1):
            lines.append(
                self.pick(
                    [
                        b"X-Request-Id: " + b"r" * 500,
                        b"Accept: */*",
                        b"Cookie: a=b",
                        b"X-Forwarded-For: 10.0.0.1",
                        b"Proxy: http://127.0.0.1:9",
                        b"Range: bytes=0-1",
                        b"If-None-Match: *",
                        b"X-Weird: \x01\x02",
                        b"Bad Header: x",
                        b"X-Long: " + b"l" * 9000,
                    ]
                )
            )
        return lines

    def plausible(self) -> tuple[str, bytes, bytes]:
        """A request that gets past routing and authentication: a route's own method and path,
        with a body of the right overall shape and wrong details."""
        oid = self.pick(self.order_ids) if self.chance(0.8) else self.order_id()
        value = self.json_value
        routes: list[tuple[str, str, Any]] = [
            (
                "POST",
                ORDERS,
                {
                    k: value(2)
                    for k in self.random.sample(
                        ["reference", "culture", "currency", "country", "cart", "customer", "attributes"], 2
                    )
                },
            ),
            ("PATCH", f"{ORDERS}/{oid}", {self.pick(["reference", "cart", "attributes", "state"]): value(1)}),
            (
                "PUT",
                f"{ORDERS}/{oid}/state",
                {
                    "currentStatus": self.pick(
                        ["processing", "checkout", "accepted", "completed", "removed", "declined", value(2)]
                    )
                },
            ),
            (
                "PUT",
                f"{ORDERS}/{oid}/payments/p{self.random.randrange(3)}",
                {"state": value(3), "amount": value(3), "notifications": [{"url": HOOK, "scope": value(1)}]},
            ),
            (
                "POST",
                f"{ORDERS}/{oid}/notifications",
                {
                    "url": HOOK,
                    "scope": {"state": [self.pick(["processing", "x", value(3)])], "payment": value(3)},
                    "headers": {self.text(3): self.text(4)},
                    "method": value(3),
                },
            ),
            (
                "POST",
                f"{self.pick([ORDERS, '/api/v1/checkout/orders'])}/{oid}/notifications",
                {
                    "scope": self.pick(["/payments", "/cart", "/state/currentStatus", "/~0\u0301", "/a~1b", value(3)]),
                    "schema": value(1),
                    "invoke": self.pick([HOOK, HOOK + "/{order.id}", HOOK + "/{order.x.0}", "{x}"]),
                    "id": self.pick(["n1", "n1", self.text(3)]),
                    "version": value(3),
                },
            ),
            ("DELETE", f"{ORDERS}/{oid}/notifications/{self.pick(['n1', self.text(3)])}", None),
            # never one of order_ids: the run needs its orders
            ("DELETE", f"{ORDERS}/{self.pick(['01a2b3c4-0000-7000-8000-000000000000', '..', self.text(3)])}", None),
            ("GET", f"/api/v0/checkout/notifications/events?orderId={oid}&limit={self.pick(['1', '100', '0'])}", None),
            (
                "PUT",
                f"/api/v1/configuration/merchants/{self.merchant.id}/channels/web/configurations/c1",
                {
                    "id": "c1",
                    "active": value(3),
                    "adapter": value(1),
                    "order": {"notifications": [{"url": HOOK, "scope": {"payment": True}}, value(2)]},
                },
            ),
        ]
        method, path, body = self.pick(routes)
        data = b"" if body is None else json.dumps(body, ensure_ascii=self.chance(0.5)).encode("utf-8", "surrogatepass")
        return method, path.encode("utf-8", "surrogatepass"), data

    def request(self) -> tuple[str, bytes]:
        if self.chance(0.5):
            method, path, body = self.plausible()
            lines = [
                f"X-Merchant: {self.merchant.id}".encode(),
                f"Authorization: Bearer {self.merchant.token}".encode(),
                b"X-Channel: web",
            ]
            content_type = "application/json"
        else:
            method = self.pick(self.METHODS)
            path = self.path()
            lines = self.headers()
            body = self.body() if self.chance(0.7) else b""
            content_type = self.pick(self.CONTENT_TYPES)
        if content_type:
            lines.append(f"Content-Type: {content_type}".encode())
        framing = self.random.randrange(10)
        version = b"HTTP/1.0" if self.chance(0.05) else b"HTTP/1.1"
        if framing == 0 and version == b"HTTP/1.1":
            chunks = b""
            for start in range(0, len(body), 997):
                piece = body[start : start + 997]
                chunks += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            lines.append(b"Transfer-Encoding: chunked")
            payload = chunks + b"0\r\n\r\n"
        elif framing == 1:
            lines.append(
                self.pick(
                    [
                        b"Content-Length: abc",
                        b"Content-Length: -1",
                        b"Content-Length: 1\r\nContent-Length: 2",
                        b"Transfer-Encoding: gzip",
                    ]
                )
            )
            payload = b""
        else:
            if body or method in ("POST", "PUT", "PATCH"):
                lines.append(f"Content-Length: {len(body)}".encode())
            payload = body
        host = b"" if self.chance(0.02) else b"Host: 127.0.0.1\r\n"
        head = method.encode("latin-1") + b" " + path + b" " + version + b"\r\n" + host
        head += b"".join(line + b"\r\n" for line in lines) + b"Connection: close\r\n\r\n"
        return f"{method} {path[:80]!r}", head + payload
