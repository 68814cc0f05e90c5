"""E-mail over STARTTLS and implicit TLS to a real aiosmtpd server with a certificate made here; refused logins."""

import ipaddress
import ssl
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from casework.cases.actions import apply_trigger
from casework.errors import ValidationError
from casework.intake import flags as intake
from notifications.config import NotifySettings
from notifications.dispatch import dispatch_pending
from tests.factories import REFER
from tests.notify_support import SmtpServer, free_port, rows


def make_certificate(folder, *names: str) -> tuple:
    """A self-signed certificate for `names` (DNS names or IP addresses): (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "casework test SMTP")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """The test server's certificate, for 127.0.0.1 and localhost."""
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"), "127.0.0.1", "localhost")


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


class Logins:
    """An aiosmtpd authenticator that accepts one user and password and remembers every attempt."""

    def __init__(self, user=b"casework", password=b"right-password"):
        self.expected, self.attempts, self.sessions = (user, password), [], set()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.sessions.add(id(session))
        self.attempts.append((auth_data.login, auth_data.password, session.ssl is not None))
        ok = (auth_data.login, auth_data.password) == self.expected
        return AuthResult(success=ok, handled=False)  # handled=True would leave the reply to us: the client would hang


@pytest.fixture
def servers():
    started = []

    def start(**options) -> SmtpServer:
        server = SmtpServer(free_port()).start(**options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def referral(cw, make, staff):
    """A referral that Ben (Crime Bureau) and Cat (Comms) must hear of by e-mail."""
    ann = staff.add("ann", "channel_admin")
    staff.add("ben", "crime_bureau")
    staff.add("cat", "comms")
    ref = intake.flag_comment(cw, ann, make.flag_payload()).case.reference
    apply_trigger(cw, ann, ref, "start_review")
    apply_trigger(cw, ann, ref, "refer", REFER)
    return ref


def test_starttls_delivers_over_an_encrypted_connection_and_logs_in_inside_it(cw, referral, servers, certificate):
    logins = Logins()
    server = servers(tls_context=server_context(certificate), require_starttls=True, authenticator=logins)
    settings = server.settings(
        smtp_security="starttls", smtp_ca_file=str(certificate[0]), smtp_user="casework", smtp_password="right-password"
    )
    report = dispatch_pending(cw, settings=settings)
    assert (report.sent, report.failed) == (2, 0)
    assert sorted(r for rcpts, _ in server.messages for r in rcpts) == ["ben@police.example", "cat@police.example"]
    assert logins.attempts == [(b"casework", b"right-password", True)]  # once, after STARTTLS


def test_implicit_tls_delivers(cw, referral, servers, certificate):
    server = servers(ssl_context=server_context(certificate))
    settings = server.settings(smtp_security="tls", smtp_ca_file=str(certificate[0]))
    assert dispatch_pending(cw, settings=settings).sent == 2
    assert len(server.messages) == 2


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_certificate_the_client_does_not_trust_is_refused_and_nothing_is_sent(
    cw, referral, servers, certificate, security
):
    options = (
        {"tls_context": server_context(certificate)}
        if security == "starttls"
        else {"ssl_context": server_context(certificate)}
    )
    server = servers(**options)
    report = dispatch_pending(cw, settings=server.settings(smtp_security=security))  # system CAs only
    assert (report.sent, report.failed) == (0, 2) and server.messages == []
    assert all("CERTIFICATE_VERIFY_FAILED" in r.last_error for r in rows(cw, channel="email"))


def test_a_trusted_certificate_for_another_name_is_refused(cw, referral, servers, tmp_path):
    other = make_certificate(tmp_path, "mail.example")
    server = servers(ssl_context=server_context(other))
    settings = server.settings(smtp_security="tls", smtp_ca_file=str(other[0]))  # trusted, but not 127.0.0.1
    assert dispatch_pending(cw, settings=settings).failed == 2 and server.messages == []
    assert "IP address mismatch" in rows(cw, channel="email")[0].last_error


def test_a_wrong_password_fails_fast_with_a_clear_error_and_is_retried_later(cw, referral, servers):
    logins = Logins()
    server = servers(authenticator=logins, auth_require_tls=False)
    settings = server.settings(smtp_user="casework", smtp_password="wrong-password")
    started = time.monotonic()
    report = dispatch_pending(cw, settings=settings)
    assert time.monotonic() - started < settings.smtp_timeout
    assert (report.sent, report.failed) == (0, 2) and server.messages == []
    assert len(logins.sessions) == 1  # one connection: the second e-mail of the batch does not log in again
    assert set(logins.attempts) == {(b"casework", b"wrong-password", False)}  # smtplib tries PLAIN, then LOGIN
    errors = [r.last_error for r in rows(cw, channel="email")]
    assert all(r.status == "failed" for r in rows(cw, channel="email"))
    assert all("SMTP login as 'casework' refused: 535" in e and "CASEWORK_SMTP_PASSWORD" in e for e in errors)
    assert "wrong-password" not in "".join(errors)


def test_a_wrong_password_over_starttls_fails_the_same_way(cw, referral, servers, certificate):
    logins = Logins()
    server = servers(tls_context=server_context(certificate), require_starttls=True, authenticator=logins)
    settings = server.settings(
        smtp_security="starttls", smtp_ca_file=str(certificate[0]), smtp_user="casework", smtp_password="wrong-password"
    )
    assert dispatch_pending(cw, settings=settings).failed == 2
    assert len(logins.sessions) == 1 and set(logins.attempts) == {(b"casework", b"wrong-password", True)}
    assert "refused: 535" in rows(cw, channel="email")[0].last_error


def test_the_ca_file_comes_from_the_environment_and_must_exist(certificate, tmp_path):
    env = {"CASEWORK_SMTP_SECURITY": "starttls", "CASEWORK_SMTP_CA_FILE": str(certificate[0])}
    assert NotifySettings.from_env(env).smtp_ca_file == str(certificate[0])
    with pytest.raises(ValidationError) as missing:
        NotifySettings.from_env({"CASEWORK_SMTP_CA_FILE": str(tmp_path / "nope.pem")})
    assert "CASEWORK_SMTP_CA_FILE" in missing.value.errors
