"""A throwaway OpenLDAP directory (Debian's slapd) on 127.0.0.1 for the LDAP sign-in tests.

One directory per test run (``slapd_directory``, session-scoped): a config
file for ``slapd -f``, entries loaded with ``slapadd`` before start, a
throwaway CA and server certificate made with ``cryptography`` so that
LDAPS and StartTLS are really exercised, and three listeners:
``ldaps://`` (TLS from the first byte), ``ldap://`` (StartTLS or plain).
Groups are added over LDAP after start so the ``memberof`` overlay fills
``memberOf`` as a live directory (and Active Directory) would.

Without ``/usr/sbin/slapd`` the tests skip and say so, unless
``PORTAL_REQUIRE_BROWSER=1`` or ``CI`` is set (CI installs slapd and
ldap-utils, ``.ci/run``), where they fail instead.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection, Server

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMA = Path("/etc/ldap/schema")
SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root secret"  # noqa: S105 (a throwaway test directory)
SERVICE_DN = f"cn=bob-portal,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service secret"  # noqa: S105
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
PASSWORDS = {"alice": "alice's password", "bruno": "bruno's password", "carla": "carla's password",
             "olga": "olga's directory password", "dan": "dan's password"}
GROUP_MEMBERS = {"ops": ["alice"], "bob-admins": ["carla"], "nova-core": ["alice"], "everyone": list(PASSWORDS)}


def mandatory() -> bool:
    return os.environ.get("PORTAL_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))


def dn_of(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def group_dn(name: str) -> str:
    return f"cn={name},{GROUPS}"


@dataclass
class Directory:
    host: str
    ldap_port: int
    ldaps_port: int
    ca_file: Path
    dead_port: int  # nothing listens there: an outage

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://{self.host}:{self.ldaps_port}"

    @property
    def ldap_url(self) -> str:
        return f"ldap://{self.host}:{self.ldap_port}"

    def settings(self, **changes: object) -> dict[str, object]:
        """Settings overrides for BOB to use this directory (LDAPS, service account, group search)."""
        return {
            "ldap_url": self.ldaps_url, "ldap_user_base": PEOPLE, "ldap_user_filter": "(uid={username})",
            "ldap_bind_dn": SERVICE_DN, "ldap_bind_password": SERVICE_PASSWORD, "ldap_group_base": GROUPS,
            "ldap_ca_file": str(self.ca_file), "ldap_timeout": 3.0,
            "ldap_group_roles": {group_dn("ops").lower(): "reviewer", group_dn("bob-admins").lower(): "admin"},
        } | changes

    def _admin(self) -> Connection:
        conn = Connection(Server(self.host, port=self.ldap_port), ROOT_DN, ROOT_PASSWORD, auto_bind=True)
        return conn

    def add_member(self, group: str, uid: str) -> None:
        conn = self._admin()
        assert conn.modify(group_dn(group), {"member": [(MODIFY_ADD, [dn_of(uid)])]}), conn.result
        conn.unbind()

    def remove_member(self, group: str, uid: str) -> None:
        conn = self._admin()
        assert conn.modify(group_dn(group), {"member": [(MODIFY_DELETE, [dn_of(uid)])]}), conn.result
        conn.unbind()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "BOB test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


def _config(folder: Path, ca: Path, cert: Path, key: Path) -> Path:
    (folder / "data").mkdir()
    conf = folder / "slapd.conf"
    schemas = "\n".join(f"include {SCHEMA / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis"))
    conf.write_text(f"""{schemas}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {folder / "slapd.pid"}
argsfile {folder / "slapd.args"}
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw "{ROOT_PASSWORD}"
directory {folder / "data"}
overlay memberof
access to attrs=userPassword by self =xw by anonymous auth by * none
access to * by users read by anonymous read
""")
    return conf


def _entries() -> str:
    blocks = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: bob-portal\n"
        f"userPassword: {SERVICE_PASSWORD}",
    ]
    for uid, password in PASSWORDS.items():
        mail = "olga@example.org" if uid == "olga" else f"{uid}@corp.example.org"
        blocks.append(f"dn: {dn_of(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid.title()} Example\n"
                      f"sn: Example\ndisplayName: {uid.title()} Example\nmail: {mail}\nuserPassword: {password}")
    return "\n\n".join(blocks) + "\n"


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            error = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"slapd exited with {proc.returncode}: {error}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"slapd did not listen on 127.0.0.1:{port} within {timeout}s")


@pytest.fixture(scope="session")
def slapd_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    """A running slapd with people, a service account and groups, on free loopback ports."""
    if not SLAPD.exists() or not SLAPADD.exists():
        message = f"{SLAPD} not found: install Debian's slapd and ldap-utils to run the LDAP tests"
        if mandatory():
            pytest.fail(message + " (PORTAL_REQUIRE_BROWSER=1 or CI: these tests are mandatory here)")
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("slapd")
    ca, cert, key = _certificates(folder)
    conf = _config(folder, ca, cert, key)
    ldif = folder / "entries.ldif"
    ldif.write_text(_entries())
    subprocess.run([str(SLAPADD), "-f", str(conf), "-l", str(ldif)], check=True, capture_output=True)
    ldap_port, ldaps_port, dead_port = _free_port(), _free_port(), _free_port()
    urls = f"ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/"
    proc = subprocess.Popen([str(SLAPD), "-f", str(conf), "-h", urls, "-d", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_listening(ldap_port, proc)
        _wait_listening(ldaps_port, proc)
        directory = Directory("127.0.0.1", ldap_port, ldaps_port, ca, dead_port)
        admin = directory._admin()
        for name, members in GROUP_MEMBERS.items():
            assert admin.add(group_dn(name), ["groupOfNames"],
                             {"cn": name, "member": [dn_of(uid) for uid in members]}), admin.result
        admin.unbind()
        yield directory
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
        shutil.rmtree(folder / "data", ignore_errors=True)
