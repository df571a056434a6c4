"""Webhook delivery against a real HTTP receiver on 127.0.0.1: signed, logged, retried or refused."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.alerts import webhook
from portal.alerts.errors import DeliveryError
from portal.models import AlertChannel, Notification, Subscription, WebhookDelivery
from portal.settings import Settings
from tests.alerts_channels.conftest import NOW, event_of
from tests.support.http_server import Close, Hang, Reply, ScriptedServer, free_port, scripted_server

MakeHook = Callable[..., tuple[Subscription, Notification]]


@pytest.fixture
def receiver() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        yield server


def attempts(db: Session, notification: Notification) -> list[WebhookDelivery]:
    return list(db.scalars(select(WebhookDelivery).where(WebhookDelivery.notification_id == notification.id)
                           .order_by(WebhookDelivery.id)))


def test_a_signed_post_reaches_the_receiver(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer, fixed_clock: Any
) -> None:
    subscription, notification = make_hook(receiver.url + "/hooks/bob?team=ops", secret="s3cret")
    receiver.script(Reply(204))

    webhook.post_notification(db, local_settings, notification)

    [seen] = receiver.requests
    assert seen.method == "POST" and seen.path == "/hooks/bob?team=ops"
    headers = seen.headers
    timestamp = headers["x-bob-timestamp"]
    assert timestamp == str(int(NOW.timestamp()))
    assert headers["x-bob-signature"] == webhook.sign("s3cret", timestamp, seen.body)
    assert webhook.verify("s3cret", timestamp, seen.body, headers["x-bob-signature"], now=NOW.timestamp())
    assert not webhook.verify("other", timestamp, seen.body, headers["x-bob-signature"], now=NOW.timestamp())
    assert headers["x-bob-delivery"] == str(notification.id)
    assert headers["x-bob-event"] == "spec.state_changed"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("BOB/")
    assert headers["host"] == receiver.url.removeprefix("http://")

    event = event_of(db, notification)
    body = json.loads(seen.body)
    assert body["notification"] == {"id": notification.id, "reason": notification.reason}
    assert body["event"]["id"] == event.id and body["event"]["kind"] == "spec.state_changed"
    assert body["event"]["payload"]["to_state"] == "implemented"
    project, spec = body["event"]["project"], body["event"]["spec"]
    assert body["event"]["url"] == f"https://bob.example.org/projects/{project}/specs/{spec}"
    assert body["event"]["created_at"] == event.created_at.isoformat()

    [logged] = attempts(db, notification)
    assert logged.status_code == 204 and logged.error is None
    assert logged.address == "127.0.0.1" and logged.subscription_id == subscription.id
    assert logged.duration_ms is not None and logged.duration_ms >= 0


def test_verify_refuses_a_tampered_body_and_an_old_timestamp() -> None:
    body = b'{"event": {}}'
    signature = webhook.sign("k", "1000", body)
    assert webhook.verify("k", "1000", body, signature, now=1000)
    assert not webhook.verify("k", "1000", body + b" ", signature, now=1000)
    assert not webhook.verify("k", "1001", body, signature, now=1000)
    assert not webhook.verify("k", "1000", body, signature, now=1000 + webhook.TOLERANCE_SECONDS + 1)
    assert not webhook.verify("k", "soon", body, signature, now=1000)


def test_a_5xx_is_retried_and_the_retry_carries_the_same_delivery_id(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer
) -> None:
    _, notification = make_hook(receiver.url + "/h")
    receiver.script(Reply(503, "down for maintenance"), Reply(200, "ok"))

    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, local_settings, notification)
    assert not failed.value.permanent
    assert "503" in failed.value.message and "down for maintenance" in failed.value.message

    webhook.post_notification(db, local_settings, notification)

    first, second = receiver.requests
    assert first.headers["x-bob-delivery"] == second.headers["x-bob-delivery"] == str(notification.id)
    assert first.body == second.body
    logged = attempts(db, notification)
    assert [(d.status_code, d.error is None) for d in logged] == [(503, False), (200, True)]


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(400, True), (401, True), (404, True), (410, True), (408, False), (429, False), (500, False), (502, False)],
)
def test_status_codes_decide_whether_to_retry(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer, status: int,
    permanent: bool
) -> None:
    _, notification = make_hook(receiver.url + "/h")
    receiver.script(Reply(status))
    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, local_settings, notification)
    assert failed.value.permanent is permanent
    assert str(status) in failed.value.message
    [logged] = attempts(db, notification)
    assert logged.status_code == status and logged.error == failed.value.message


def test_a_redirect_is_not_followed(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer
) -> None:
    _, notification = make_hook(receiver.url + "/old")
    receiver.script(Reply(302, headers={"Location": receiver.url + "/new"}), Reply(200))
    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, local_settings, notification)
    assert failed.value.permanent
    assert "does not follow redirects" in failed.value.message and "/new" in failed.value.message
    assert [r.path for r in receiver.requests] == ["/old"]


def test_a_receiver_that_hangs_times_out_and_is_retried(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer
) -> None:
    _, notification = make_hook(receiver.url + "/h")
    receiver.script(Hang())
    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, local_settings, notification)
    assert not failed.value.permanent
    assert "no answer within 1 s" in failed.value.message
    [logged] = attempts(db, notification)
    assert logged.status_code is None and 900 <= (logged.duration_ms or 0) < 5000


def test_a_dropped_connection_and_a_refused_one_are_retried(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer
) -> None:
    _, notification = make_hook(receiver.url + "/h")
    receiver.script(Close())
    with pytest.raises(DeliveryError) as dropped:
        webhook.post_notification(db, local_settings, notification)
    assert not dropped.value.permanent

    _, elsewhere = make_hook(f"http://127.0.0.1:{free_port()}/h")
    with pytest.raises(DeliveryError) as refused:
        webhook.post_notification(db, local_settings, elsewhere)
    assert not refused.value.permanent and "could not connect" in refused.value.message


def test_by_default_a_local_receiver_is_refused_for_good(
    db: Session, settings: Settings, make_hook: MakeHook, receiver: ScriptedServer
) -> None:
    _, notification = make_hook(receiver.url + "/h")
    with pytest.raises(DeliveryError) as http_refused:
        webhook.post_notification(db, settings, notification)
    assert http_refused.value.permanent and "http:// is not allowed" in http_refused.value.message

    http_only = settings.with_overrides(webhook_allow_http=True)
    with pytest.raises(DeliveryError) as private_refused:
        webhook.post_notification(db, http_only, notification)
    assert private_refused.value.permanent
    assert "127.0.0.1, a loopback address" in private_refused.value.message
    assert receiver.requests == []
    logged = attempts(db, notification)
    assert len(logged) == 2 and all(d.error and d.error.startswith("refused") for d in logged)
    assert all(d.address is None for d in logged)


def test_a_removed_subscription_is_a_permanent_failure(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer
) -> None:
    subscription, notification = make_hook(receiver.url + "/h")
    db.delete(subscription)
    db.flush()
    db.refresh(notification)
    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, local_settings, notification)
    assert failed.value.permanent and receiver.requests == []


class Resolver:
    """``socket.getaddrinfo`` answering ``answers`` in turn for one name (a rebinding DNS server)."""

    def __init__(self, name: str, answers: list[str]) -> None:
        self.name, self.answers, self.calls = name, answers, 0
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        address = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]


def test_dns_rebinding_connects_to_the_checked_public_address(
    db: Session, settings: Settings, make_hook: MakeHook, receiver: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name answers a public address to the check, then 127.0.0.1: BOB asks once and dials the first."""
    port = int(receiver.url.rsplit(":", 1)[1])
    resolver = Resolver("rebind.test", ["93.184.216.34", "127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    dialled: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        dialled.append(address)
        raise ConnectionRefusedError(111, "Connection refused (test: no network)")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    _, notification = make_hook(f"http://rebind.test:{port}/h")
    public_http = settings.with_overrides(webhook_allow_http=True, webhook_timeout=1.0)

    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, public_http, notification)

    assert resolver.calls == 1
    assert dialled == [("93.184.216.34", port)]
    assert not failed.value.permanent
    assert receiver.requests == []  # 127.0.0.1 was never reached
    [logged] = attempts(db, notification)
    assert logged.address == "93.184.216.34"


def test_a_name_is_resolved_once_and_kept_in_the_host_header(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    port = int(receiver.url.rsplit(":", 1)[1])
    resolver = Resolver("hooks.test", ["127.0.0.1", "10.255.255.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    _, notification = make_hook(f"http://hooks.test:{port}/h")

    webhook.post_notification(db, local_settings, notification)

    assert resolver.calls == 1
    [seen] = receiver.requests
    assert seen.headers["host"] == f"hooks.test:{port}"


def test_a_name_that_resolves_to_a_private_address_is_refused(
    db: Session, settings: Settings, make_hook: MakeHook, receiver: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("inside.test", ["10.0.0.5"]))
    _, notification = make_hook("https://inside.test/h")
    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, settings, notification)
    assert failed.value.permanent and "10.0.0.5, a private address" in failed.value.message


def test_a_removed_spec_is_named_from_the_event_and_links_its_project(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer
) -> None:
    _, notification = make_hook(receiver.url + "/h")
    event = event_of(db, notification)
    spec_name = event.payload["name"]
    event.spec_id = None  # what deleting the spec leaves
    db.flush()
    webhook.post_notification(db, local_settings, notification)
    body = json.loads(receiver.requests[0].body)["event"]
    assert body["spec"] == spec_name
    assert body["url"] == f"https://bob.example.org/projects/{body['project']}"


def test_a_notification_of_another_channel_is_refused(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer
) -> None:
    _, notification = make_hook(receiver.url + "/h")
    notification.channel = AlertChannel.EMAIL
    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, local_settings, notification)
    assert failed.value.permanent and receiver.requests == []


def test_new_secrets_are_long_and_fresh() -> None:
    first, second = webhook.new_secret(), webhook.new_secret()
    assert len(first) == 64 and first != second


def test_a_host_that_does_not_resolve_now_is_retried(
    db: Session, settings: Settings, make_hook: MakeHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", down)
    _, notification = make_hook("https://hooks.example.org/h")
    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, settings, notification)
    assert not failed.value.permanent and "cannot be resolved" in failed.value.message


def test_a_hostile_answer_is_stored_printable(
    db: Session, local_settings: Settings, make_hook: MakeHook, receiver: ScriptedServer
) -> None:
    _, notification = make_hook(receiver.url + "/h")
    receiver.script(Reply(400, b"bad\x00request\x1b[31m " + b"x" * 5000))
    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, local_settings, notification)
    assert "\x00" not in failed.value.message and "\x1b" not in failed.value.message
    assert "bad request" in failed.value.message and len(failed.value.message) < 600
    [logged] = attempts(db, notification)
    assert logged.error == failed.value.message  # stored (PostgreSQL refuses NUL in text)


@pytest.fixture
def dripping_receiver() -> Iterator[str]:
    """A raw receiver that answers one header byte every 0.2 s, forever (each wait is short, the whole is not)."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not stop.is_set():
                    try:
                        conn.sendall(b"a")
                    except OSError:
                        break
                    stop.wait(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/h"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_a_receiver_dripping_its_answer_is_cut_at_the_timeout(
    db: Session, local_settings: Settings, make_hook: MakeHook, dripping_receiver: str
) -> None:
    _, notification = make_hook(dripping_receiver)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, local_settings, notification)
    assert time.monotonic() - started < 3  # webhook_timeout is 1 s; each byte alone arrives in time
    assert not failed.value.permanent and "no answer within 1 s" in failed.value.message
