"""Links sent to people by email: a password reset (valid one hour) and an invitation (seven days).

A link is the user's id and a fingerprint of their current password hash, signed with the
secret key and a timestamp (itsdangerous). Setting a password changes the hash, so a link works
once and every older link dies with it; no table holds them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import ValidationError
from podcast.jobs import enqueue
from podcast.models import User
from podcast.services.access import set_memberships
from podcast.services.accounts import Passwords, create_user, normalize_email, set_password
from podcast.wording import say

MAIL_JOB = "mail.account_link"


class Purpose(StrEnum):
    """What a link is for; each signs with its own salt, so one cannot stand for the other."""

    RESET = "reset"
    INVITE = "invite"


MAX_NAME_LENGTH = 200
LIFETIME_SECONDS = {Purpose.RESET: 60 * 60, Purpose.INVITE: 7 * 24 * 60 * 60}


class _Signer(TimestampSigner):
    """A TimestampSigner that can date a signature in the past (tests of expiry)."""

    def __init__(self, secret_key: str, purpose: Purpose, issued_at: int | None = None) -> None:
        super().__init__(secret_key, salt=f"podcast.account-link.{purpose.value}")
        self.issued_at = issued_at

    def get_timestamp(self) -> int:
        """The signing time: `issued_at` when given, else now."""
        return self.issued_at if self.issued_at is not None else super().get_timestamp()


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def make_link_token(
    secret_key: str, user: User, purpose: Purpose, *, issued_at: int | None = None
) -> str:
    """A signed, URL-safe token for the user that lasts until its lifetime or a new password."""
    return _Signer(secret_key, purpose, issued_at).sign(f"{user.id}.{_fingerprint(user)}").decode()


def _invalid(purpose: Purpose) -> ValidationError:
    if purpose is Purpose.INVITE:
        return ValidationError(
            say(
                "This invitation link is not valid or was already used: ask an admin for a new one."
            )
        )
    return ValidationError(
        say("This reset link is not valid or was already used: ask for a new one below.")
    )


def user_for_link(session: Session, secret_key: str, purpose: Purpose, token: str) -> User:
    """The active user a link names; ValidationError says whether it expired or was used."""
    signer = _Signer(secret_key, purpose)
    try:
        value = signer.unsign(token, max_age=LIFETIME_SECONDS[purpose]).decode()
    except SignatureExpired:
        if purpose is Purpose.INVITE:
            raise ValidationError(
                say("This invitation has expired (it lasts 7 days): ask an admin for a new one.")
            ) from None
        raise ValidationError(
            say("This reset link has expired (it lasts one hour): ask for a new one below.")
        ) from None
    except BadSignature:
        raise _invalid(purpose) from None
    number, _, fingerprint = value.partition(".")
    user = session.get(User, int(number)) if number.isdigit() else None
    if (
        user is None
        or not user.active
        or not secrets.compare_digest(fingerprint, _fingerprint(user))
    ):
        raise _invalid(purpose)
    return user


def redeem_link(
    session: Session,
    secret_key: str,
    purpose: Purpose,
    token: str,
    password: str,
    *,
    name: str | None = None,
    passwords: Passwords,
) -> User:
    """Set the password a link allows (which spends the link) and end the user's sessions;
    an invitation's also sets the invitee's name."""
    user = user_for_link(session, secret_key, purpose, token)
    if purpose is Purpose.INVITE:
        name = " ".join((name or "").split())
        if not name or len(name) > MAX_NAME_LENGTH:
            message = say("Enter your name (at most %(count)s characters).", count=MAX_NAME_LENGTH)
            raise ValidationError(message, fields={"name": message})
        user.name = name
    return set_password(session, user, password, passwords=passwords)


def request_reset(session: Session, email: str) -> None:
    """Queue a reset mail when an active account uses the address; the caller says the same."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is not None and user.active:
        enqueue(session, MAIL_JOB, {"user_id": user.id, "purpose": Purpose.RESET.value})
        session.commit()


def invite_user(
    session: Session,
    email: str,
    role: str,
    show_ids: Iterable[int],
    *,
    locale: str,
    send: bool,
    passwords: Passwords,
) -> User:
    """Create an account nobody can log in to until the invitee sets a password; mail them."""
    # A password no one knows: the invitation's link is the only way in.
    user = create_user(session, email, secrets.token_urlsafe(32), role, passwords=passwords)
    user.locale = locale
    set_memberships(session, user, set(show_ids))
    if send:
        enqueue(session, MAIL_JOB, {"user_id": user.id, "purpose": Purpose.INVITE.value})
    session.commit()
    return user
