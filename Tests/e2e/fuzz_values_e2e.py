"""The values of the fuzz test's requests (test_faults_input.py), drawn from a seeded `random.Random`:
junk bytes, odd text, order ids (real, foreign, malformed), JSON values and bodies."""

from __future__ import annotations

import json
import random
from typing import Any

from notify_e2e import Merchant

HOOK = "http://127.0.0.1:9/fuzz"
"""The only delivery target generated bodies name: loopback, a closed port."""


class FuzzValues:
    """Random values for hostile requests, reproducible from the seed."""

    def __init__(self, seed: int, merchant: Merchant, other: Merchant, order_ids: list[str]):
        self.random = random.Random(seed)
        self.merchant = merchant
        self.other = other
        self.order_ids = order_ids

    def pick(self, items: list[Any]) -> Any:
        return items[self.random.randrange(len(items))]

    def chance(self, p: float) -> bool:
        return self.random.random() < p

    def junk(self, size: int) -> bytes:
        return bytes(self.random.randrange(256) for _ in range(size))

    def text(self, size: int) -> str:
        alphabet = 'aZ09-_.~/:%?#&=+ "\\{}[]é😀\u0301\u202e\ufeff\x00\x01\x7f'
        return "".join(self.pick(list(alphabet)) for _ in range(size))

    def order_id(self) -> str:
        return self.pick(
            self.order_ids
            + [
                "00000000-0000-0000-0000-000000000000",
                "not-a-uuid",
                "..",
                "%2e%2e",
                "01a2b3c4-0000-7000-8000-000000000000",
                "A" * 40,
                "%00",
                "",
            ]
        )

    def json_value(self, depth: int = 0) -> Any:
        kind = self.random.randrange(8 if depth < 4 else 5)
        if kind == 0:
            return self.pick([None, True, False, 0, -1, 1.5, 1e308, -1e-308, 2**63, 2**64 + 1, 10**30])
        if kind == 1:
            return self.text(self.random.randrange(0, 20))
        if kind == 2:
            return self.pick(
                ["processing", "checkout", "completed", "removed", HOOK, "/payments", "/state/currentStatus"]
            )
        if kind == 3:
            return "x" * self.pick([1024, 1025, 5000])
        if kind == 4:
            return self.pick([{}, [], "", "\u0000", "\ud800"])
        if kind == 5:
            return [self.json_value(depth + 1) for _ in range(self.random.randrange(0, 4))]
        keys = [
            "reference",
            "currentStatus",
            "url",
            "scope",
            "state",
            "payment",
            "headers",
            "method",
            "invoke",
            "schema",
            "id",
            "adapterId",
            "cart",
            "attributes",
            "notifications",
            "amount",
            "order",
            "pattern",
            "enum",
            "const",
            "type",
            "active",
            "adapter",
            self.text(3),
        ]
        return {self.pick(keys): self.json_value(depth + 1) for _ in range(self.random.randrange(0, 5))}

    def body(self) -> bytes:
        kind = self.random.randrange(12)
        if kind == 0:
            return self.junk(self.random.randrange(0, 300))
        if kind == 1:
            return b'{"reference": "' + self.pick([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]) + b'"}'
        if kind == 2:
            depth = self.pick([63, 64, 65, 100, 10000, 100000])
            return self.pick([b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth, b"[" * depth])
        if kind == 3:
            return self.pick(
                [
                    b'{"amount": 1e999999}',
                    b'{"amount": -1e400}',
                    b'{"amount": ' + b"9" * 5000 + b"}",
                    b'{"amount": 1' + b"0" * 400 + b"}",
                    b'{"amount": NaN}',
                    b'{"amount": Infinity}',
                    b'{"amount": 0x10}',
                    b'{"amount": 01}',
                    b'{"amount": .5}',
                ]
            )
        if kind == 4:
            return self.pick(
                [
                    b'{"reference": "a\\u0000b"}',
                    b'{"reference": "\\ud800"}',
                    b'{"a": 1, "a": 2}',
                    b'{"reference": "x"} trailing',
                    b"\xef\xbb\xbf{}",
                    b"{'a': 1}",
                    b'{"a": 1,}',
                    b"[1, 2",
                    b"",
                    b"null",
                    b'"just a string"',
                    b"\x00" * 10,
                ]
            )
        if kind == 5:
            return json.dumps(
                {"url": HOOK, "scope": self.json_value(1), "headers": self.json_value(1), "method": self.json_value(2)}
            ).encode()
        if kind == 6:
            return json.dumps(
                {
                    "scope": self.pick(["/payments", "/state/currentStatus", "", "x", "/~2", "/a~"]),
                    "schema": self.json_value(1),
                    "invoke": self.pick([HOOK, "{order.id}", "{", "}x"]),
                    "id": self.text(4),
                }
            ).encode()
        if kind == 7:
            return json.dumps({"currentStatus": self.json_value(3)}).encode()
        if kind == 8:
            return json.dumps(
                {
                    "id": "c1",
                    "active": self.json_value(4),
                    "adapter": self.json_value(2),
                    "order": {"notifications": [self.json_value(2), {"url": HOOK, "scope": {"payment": True}}]},
                }
            ).encode()
        if kind == 9:
            return b'{"cart": {"blob": "' + b"z" * self.pick([1000, 100000, 1048000]) + b'"}}'
        return json.dumps(self.json_value(), ensure_ascii=self.chance(0.5)).encode("utf-8", "surrogatepass")
