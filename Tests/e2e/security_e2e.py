"""Helpers of the security tests (test_security*.py): a problem+json check for raw and requests answers."""

from __future__ import annotations

from typing import Any

from notify_e2e import PROBLEM_JSON, RawResponse


def problem(response: RawResponse | Any, status: int) -> dict[str, Any]:
    code = response.status if isinstance(response, RawResponse) else response.status_code
    body = response.body if isinstance(response, RawResponse) else response.content
    assert code == status, f"expected {status}, got {code}: {body[:500]!r}"
    media = (
        response.media_type
        if isinstance(response, RawResponse)
        else response.headers.get("Content-Type", "").split(";")[0]
    )
    assert media == PROBLEM_JSON, media
    document = response.json()
    assert document["status"] == status and document["detail"], document
    return document
