"""An https webhook is dialled at the checked IP, with the name as TLS server name and certificate check."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session

from portal.alerts import webhook
from portal.alerts.errors import DeliveryError
from portal.models import Notification, Subscription
from portal.settings import Settings
from tests.alerts_channels.test_webhook import Resolver

MakeHook = Callable[..., tuple[Subscription, Notification]]


@dataclass
class TlsReceiver:
    port: int
    ca_pem: bytes
    server_names: list[str | None] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.ca_pem.decode())


def _certificates(tmp: Path, name: str) -> tuple[bytes, Path, Path]:
    """A throwaway CA and a server certificate for ``name``, signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "BOB test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_file, key_file = tmp / "server.pem", tmp / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca.public_bytes(serialization.Encoding.PEM), cert_file, key_file


@pytest.fixture
def tls_receiver(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TlsReceiver]:
    name = getattr(request, "param", "hooks.test")
    ca_pem, cert_file, key_file = _certificates(tmp_path, name)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    holder: list[TlsReceiver] = []
    context.sni_callback = lambda sock, server_name, ctx: holder[0].server_names.append(server_name)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            holder[0].hosts.append(self.headers.get("Host", ""))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client refusing our certificate is what one test is about

    server = Server(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    holder.append(TlsReceiver(server.server_address[1], ca_pem))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_https_goes_to_the_checked_ip_with_the_name_for_sni_and_the_certificate(
    db: Session, settings: Settings, make_hook: MakeHook, tls_receiver: TlsReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = Resolver("hooks.test", ["127.0.0.1", "10.255.255.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    private_ok = settings.with_overrides(webhook_allow_private=True, webhook_timeout=2.0)
    _, notification = make_hook(f"https://hooks.test:{tls_receiver.port}/h")

    webhook.post_notification(db, private_ok, notification, ssl_context=tls_receiver.client_context())

    assert resolver.calls == 1
    assert tls_receiver.server_names == ["hooks.test"]
    assert tls_receiver.hosts == [f"hooks.test:{tls_receiver.port}"]


@pytest.mark.parametrize("tls_receiver", ["someone-else.test"], indirect=True)
def test_a_certificate_for_another_name_is_refused(
    db: Session, settings: Settings, make_hook: MakeHook, tls_receiver: TlsReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("hooks.test", ["127.0.0.1"]))
    private_ok = settings.with_overrides(webhook_allow_private=True, webhook_timeout=2.0)
    _, notification = make_hook(f"https://hooks.test:{tls_receiver.port}/h")
    with pytest.raises(DeliveryError) as failed:
        webhook.post_notification(db, private_ok, notification, ssl_context=tls_receiver.client_context())
    assert "certificate" in failed.value.message.lower()
    assert tls_receiver.hosts == []
