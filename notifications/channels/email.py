"""E-mail over SMTP: multipart text and HTML, a Message-ID that stays the same on every try.

Built with the email package's MIME classes (the compat32 policy): a tenth of the cost of EmailMessage
under the default policy, whose header parsing and folding was most of the time a dispatch pass spent
on a message. The parts are quoted-printable, so the message is 7-bit with short lines and any SMTP
server takes it (no 8BITMIME needed), and the boundary comes from the delivery id: "=_" never occurs
in quoted-printable text, so it needs no search through the parts.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from typing import Any

from notifications.channels import DeliveryFailed, PermanentFailure
from notifications.config import NotifySettings

UTF8 = Charset("utf-8")
UTF8.body_encoding = QP  # readable in a mail log, unlike base64, and 7-bit unlike 8bit


def message_id(delivery_id: str, domain: str) -> str:
    """Stable per notification, so a re-send after a crash is recognisable as the same message."""
    return f"<casework.{delivery_id}@{domain}>"


def _words(value: str) -> str | Header:
    """A header value as it is when ASCII, else encoded (RFC 2047) so the header stays 7-bit."""
    return value if value.isascii() else Header(value, UTF8)


@lru_cache(maxsize=8)
def _address(value: str) -> str:
    """The sender as configured, its name encoded when it is not ASCII (worked out once per setting)."""
    name, address = parseaddr(value)
    return formataddr((name, address), charset=UTF8) if name else value


def build_message(
    settings: NotifySettings, *, delivery_id: str, to: str, subject: str, text: str, html: str, at: datetime
) -> Message:
    # compat32 takes a Header as a value (typeshed types every value str)
    msg: Message[str, Any] = MIMEMultipart("alternative", boundary=f"=_casework_{delivery_id}")
    msg["From"] = _address(settings.smtp_from)
    msg["To"] = to
    msg["Subject"] = _words(subject)
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = message_id(delivery_id, settings.message_id_domain)
    msg["X-Casework-Delivery"] = delivery_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    msg.attach(_part(text, "plain"))
    msg.attach(_part(html, "html"))
    return msg


@lru_cache(maxsize=64)
def _part(body: str, subtype: str) -> Message:
    """One encoded text part, shared by the messages of one change: a part is only read once built."""
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, UTF8)
    return part


class SmtpSender:
    """One SMTP connection reused for a batch; dropped after an error and opened again on the next send."""

    def __init__(self, settings: NotifySettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: str | None = None  # once connecting fails, the rest of the batch fails fast

    def send(self, msg: Message) -> None:
        try:
            self._connection().send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            error = PermanentFailure if codes and all(c >= 500 for c in codes) else DeliveryFailed
            raise error(f"recipient refused: {codes}") from exc
        except smtplib.SMTPDataError as exc:
            self.close()  # the message itself was refused: 5xx never succeeds, 4xx may later
            error = PermanentFailure if exc.smtp_code >= 500 else DeliveryFailed
            raise error(f"message refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc

    def _connection(self) -> smtplib.SMTP:
        if self._unreachable:
            raise DeliveryFailed(self._unreachable)
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except DeliveryFailed as exc:
                self._unreachable = str(exc)
                raise
            except (smtplib.SMTPException, OSError) as exc:
                self._unreachable = f"{type(exc).__name__}: {exc}"
                raise
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        """Open, secure and log in; a failure here means the server cannot be reached this pass."""
        s = self.settings
        if s.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=self._tls())
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        try:
            if s.smtp_security == "starttls":
                smtp.starttls(context=self._tls())
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
        except smtplib.SMTPAuthenticationError as exc:
            smtp.close()
            reason = exc.smtp_error  # bytes from the server; typeshed allows str too
            if isinstance(reason, bytes):
                reason = reason.decode(errors="replace")
            raise DeliveryFailed(
                f"SMTP login as {s.smtp_user!r} refused: {exc.smtp_code} "
                f"{reason} (check CASEWORK_SMTP_USER and "
                "CASEWORK_SMTP_PASSWORD)"
            ) from exc
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _tls(self) -> ssl.SSLContext:
        """Check the server's certificate and name against CASEWORK_SMTP_CA_FILE, else the system CAs."""
        return ssl.create_default_context(cafile=self.settings.smtp_ca_file)

    def close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
