"""Signing secrets per destination and rotation with a grace period (issue 14).

A destination signs with its merchant's secret until it is given its own through
`POST .../destinations/{id}/secret/rotate` (shown once). After a rotation, of a destination's
secret or of the merchant's (`notifyctl merchant rotate-secret`), deliveries carry both signatures
(`v1,<new> v1,<old>`) until NOTIFY_SECRET_GRACE has passed, then the new one only. The rotation
call goes to a notify-fcgi of the test's own with a grace of a few seconds (over FastCGI); the
deliveries are the shared sweep's, to receivers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from notify_e2e import (
    Api,
    Merchant,
    ReceivedRequest,
    Receiver,
    Service,
    env,
    fcgi_request,
    fire,
    get_event,
    wait_for_socket,
    webhook_signature,
)

DESTINATIONS = "/api/v0/checkout/notifications/destinations"
GRACE = 4.0


def signatures(request: ReceivedRequest) -> list[str]:
    return request.headers["webhook-signature"].split()


def signed_with(request: ReceivedRequest, secret: str) -> bool:
    expected = webhook_signature(
        secret, request.headers["webhook-id"], request.headers["webhook-timestamp"], request.body
    )
    return expected in signatures(request)


def deliver(api: Api, receiver: Receiver, count: int) -> ReceivedRequest:
    """Fires one event to the receiver's /hook and returns the request it got (the `count`th)."""
    fire(api, receiver.url_for("/hook"))
    return receiver.wait_for(count)[count - 1]


@pytest.fixture(scope="module")
def rotating_worker(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("secrets")
    socket_path = str(folder / "fcgi.sock")
    environment = dict(
        os.environ, NOTIFY_DATABASE_URL=env("NOTIFY_APP_DATABASE_URL"), NOTIFY_SECRET_GRACE=str(int(GRACE))
    )
    master = Service(
        [os.path.join(env("NOTIFY_BIN"), "notify-fcgi"), "--socket", socket_path, "--workers", "1"],
        environment,
        str(folder / "notify-fcgi.log"),
    )
    master.start()
    try:
        wait_for_socket(socket_path, master)
        yield socket_path
    finally:
        master.stop()


def rotate(socket_path: str, merchant: Merchant, destination_id: str):
    return fcgi_request(
        socket_path,
        "POST",
        f"{DESTINATIONS}/{destination_id}/secret/rotate",
        headers={"X-Merchant": merchant.id, "Authorization": f"Bearer {merchant.token}"},
    )


def test_destination_secret_rotation_signs_with_both_during_the_grace(
    api: Api, merchant: Merchant, merchant_factory, rotating_worker: str
) -> None:
    with Receiver() as receiver, Receiver() as other:
        first = deliver(api, receiver, 1)
        assert len(signatures(first)) == 1 and signed_with(first, merchant.signing_secret)
        event_id = first.headers["webhook-id"]
        destination_id = get_event(api, event_id)["destinationId"]

        # Another merchant cannot rotate it; an unknown id is a 404 too.
        stranger = merchant_factory()
        assert rotate(rotating_worker, stranger, destination_id).status == 404
        assert rotate(rotating_worker, merchant, "00000000-0000-4000-8000-000000000000").status == 404

        rotated = rotate(rotating_worker, merchant, destination_id)
        rotated_at = time.monotonic()
        assert rotated.status == 200, rotated.body
        secret = rotated.json()["secret"]
        assert secret.startswith("whsec_") and secret != merchant.signing_secret
        # Shown once: the destination's answers never carry it.
        assert secret not in api.get(f"{DESTINATIONS}/{destination_id}").text

        during = deliver(api, receiver, 2)
        assert len(signatures(during)) == 2, signatures(during)
        assert signed_with(during, secret) and signed_with(during, merchant.signing_secret)
        assert signatures(during)[0] == webhook_signature(
            secret, during.headers["webhook-id"], during.headers["webhook-timestamp"], during.body
        )
        # The merchant's other destinations keep the merchant's secret alone.
        elsewhere = deliver(api, other, 1)
        assert len(signatures(elsewhere)) == 1 and signed_with(elsewhere, merchant.signing_secret)

        time.sleep(max(0.0, GRACE + 0.5 - (time.monotonic() - rotated_at)))
        after = deliver(api, receiver, 3)
        assert len(signatures(after)) == 1, signatures(after)
        assert signed_with(after, secret) and not signed_with(after, merchant.signing_secret)


def test_merchant_rotate_secret_has_the_same_grace(api: Api, merchant: Merchant) -> None:
    result = subprocess.run(
        [os.path.join(env("NOTIFY_BIN"), "notifyctl"), "merchant", "rotate-secret", merchant.id],
        env=dict(os.environ, NOTIFY_SECRET_GRACE=str(int(GRACE))),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rotated_at = time.monotonic()
    secret = json.loads(result.stdout.strip().splitlines()[-1])["signingSecret"]
    assert secret != merchant.signing_secret
    with Receiver() as receiver:
        during = deliver(api, receiver, 1)
        assert len(signatures(during)) == 2, signatures(during)
        assert signed_with(during, secret) and signed_with(during, merchant.signing_secret)
        time.sleep(max(0.0, GRACE + 0.5 - (time.monotonic() - rotated_at)))
        after = deliver(api, receiver, 2)
        assert len(signatures(after)) == 1 and signed_with(after, secret)
        assert not signed_with(after, merchant.signing_secret)


def test_bad_grace_setting_is_refused(merchant: Merchant) -> None:
    result = subprocess.run(
        [os.path.join(env("NOTIFY_BIN"), "notifyctl"), "merchant", "rotate-secret", merchant.id],
        env=dict(os.environ, NOTIFY_SECRET_GRACE="a day"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "NOTIFY_SECRET_GRACE" in result.stderr, result.stderr
