"""Mail to people: password-reset and invitation links, plain text, sent over SMTP from a job.

PODCAST_SMTP_URL says where: smtp://user:password@host:port (STARTTLS when the server offers
it; port 25 by default) or smtps://... (TLS from the start; port 465). The mail goes out from a
job, not the request: the worker retries a server that is down, and a request for a reset takes
as long whether or not the address has an account (nothing to time). The job holds the user's
id only; the link is signed when the mail is written, so no link rests in the jobs table.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app

from podcast import current
from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.i18n import gettext, speaking
from podcast.jobs import JobContext, handler
from podcast.models import User
from podcast.services.account_links import MAIL_JOB, Purpose, make_link_token
from podcast.views.urls import absolute
from podcast.wording import say

TIMEOUT_SECONDS = 10.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
LINK_ENDPOINTS = {Purpose.RESET: "auth.reset", Purpose.INVITE: "auth.welcome"}


def mail_enabled() -> bool:
    """True when PODCAST_SMTP_URL is set, so the service can send mail."""
    return bool(current.settings().SMTP_URL)


def compose(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    return message


def send(url: str, message: EmailMessage, timeout: float = TIMEOUT_SECONDS) -> None:
    """Hand the message to the SMTP server the URL names; PodcastError says why it could not."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme]
    context = ssl.create_default_context()
    try:
        server: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            if parts.scheme == "smtps"
            else smtplib.SMTP(host, port, timeout=timeout)
        )
        with server:
            server.ehlo()
            if parts.scheme == "smtp" and server.has_extn("starttls"):
                server.starttls(context=context)
                server.ehlo()
            if parts.username:
                server.login(unquote(parts.username), unquote(parts.password or ""))
            server.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        # The reason, never the URL: it carries the password.
        reason = exc.__class__.__name__ + (f": {exc}" if str(exc) else "")
        raise PodcastError(
            say("The mail server %(host)s did not take the mail (%(reason)s).", host=host,
                reason=reason)
        ) from exc  # fmt: skip


def _words(purpose: Purpose, link: str, site: str) -> tuple[str, str]:
    if purpose is Purpose.INVITE:
        subject = gettext("You are invited to %(site)s", site=site)
        body = gettext(
            "You are invited to publish podcasts on %(site)s.\n\n"
            "Open this link within 7 days to choose your password:\n%(link)s\n\n"
            "If you did not expect this invitation, ignore this mail.",
            site=site,
            link=link,
        )
    else:
        subject = gettext("Reset your password on %(site)s", site=site)
        body = gettext(
            "Someone (we hope you) asked to reset the password of your account on %(site)s.\n\n"
            "Open this link within one hour to choose a new password:\n%(link)s\n\n"
            "The link works once. If you did not ask, ignore this mail: your password stays.",
            site=site,
            link=link,
        )
    return subject, body


def account_link_mail(user: User, purpose: Purpose) -> EmailMessage:
    """The reset or invitation mail for the user, in their language, with a fresh link."""
    settings = current.settings()
    token = make_link_token(current_app.config["SECRET_KEY"], user, purpose)
    link = absolute(LINK_ENDPOINTS[purpose], token=token)
    site = urlsplit(settings.SITE_URL).hostname or settings.SITE_URL
    with speaking(user.locale):
        subject, body = _words(purpose, link, site)
    return compose(settings.MAIL_FROM, user.email, subject, body)


@handler(MAIL_JOB, label="Account email", timeout=120)
def send_account_link(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Mail a reset or invitation link to the user.

    Idempotent enough: a second run sends a second mail whose link works exactly like the
    first (each works until a password is set).
    """
    user = db.session.get(User, int(payload["user_id"]))
    url = current.settings().SMTP_URL
    if user is None or not user.active or not url:
        return {"sent": False}
    send(url, account_link_mail(user, Purpose(payload["purpose"])))
    return {"sent": True}
