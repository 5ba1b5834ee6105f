"""The HTTP client of the API through nginx, and the checks of problem+json answers."""

from __future__ import annotations

from typing import Any

import requests

from .config import PROBLEM_JSON, TIMEOUT
from .merchants import Merchant


class Api:
    """Requests to Notify through nginx, authenticated as `merchant` unless told otherwise.

    `headers` entries override the authentication headers; a value of None removes the header
    (e.g. `headers={"X-Merchant": None}`). Every request has a timeout (TIMEOUT by default).
    """

    def __init__(self, base_url: str, merchant: Merchant | None = None, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.merchant = merchant
        self.session = session or requests.Session()

    def as_merchant(self, merchant: Merchant | None) -> Api:
        return Api(self.base_url, merchant, self.session)

    def request(
        self, method: str, path: str, *, headers: dict[str, str | None] | None = None, **kwargs: Any
    ) -> requests.Response:
        merged: dict[str, str | None] = dict(self.merchant.auth_headers()) if self.merchant else {}
        merged.update(headers or {})
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        # requests drops headers whose value is None, also from the session's defaults.
        return self.session.request(method, self.base_url + path, headers=merged, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def expect(response: requests.Response, status: int = 200) -> Any:
    """Asserts the status of a 2xx answer and, when it has a body, that the body is JSON; returns the
    parsed body (None when empty, as a 204 must be)."""
    request = response.request
    assert response.status_code == status, (
        f"{request.method} {request.path_url}: expected {status}, got {response.status_code} {response.text[:500]!r}"
    )
    if status == 204:
        assert response.content == b"", response.content
    if not response.content:
        return None
    assert media_type(response) == "application/json", response.headers.get("Content-Type")
    return response.json()


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    """Asserts an RFC 9457 problem response with this status; returns its JSON body."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.path_url}: expected {status}, "
        f"got {response.status_code}: {response.text[:500]!r}"
    )
    assert media_type(response) == PROBLEM_JSON, (
        f"expected Content-Type {PROBLEM_JSON}, got {response.headers.get('Content-Type')!r}: {response.text[:300]!r}"
    )
    body = response.json()
    assert body.get("status") == status, body
    for key in ("type", "title", "detail"):
        assert isinstance(body.get(key), str) and body[key], f"problem member {key!r} missing: {body}"
    return body


def assert_healthy(base_url: str) -> None:
    """GET /healthz answers 200 {"status": "ok"}."""
    response = requests.get(base_url.rstrip("/") + "/healthz", timeout=TIMEOUT)
    assert response.status_code == 200, f"/healthz: {response.status_code} {response.text[:300]!r}"
    assert response.json().get("status") == "ok", response.text
