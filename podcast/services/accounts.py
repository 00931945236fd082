"""Accounts and API tokens: hashed passwords (argon2), hashed tokens, lookups, the admins'
account management (list, deactivate, reactivate), sessions that end everywhere at once, and
tokens that expire, are revoked, and remember their last use."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from functools import cached_property

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from podcast.errors import ConflictError, NotFoundError, UnauthorizedError, ValidationError
from podcast.models import ApiToken, Role, User, utcnow
from podcast.wording import say

MIN_PASSWORD_LENGTH = 10
# The languages the admin pages are written in, each named in itself (User.locale).
ADMIN_LOCALE_NAMES = {"en": "English", "ru": "Русский"}
# A token's last use is written when the stored one is older than this: not once a request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_DAYS = 3650
TIME_FORMAT = "%Y-%m-%d %H:%M UTC"
# "<id>:<generation>"; a bare "<id>" is a session from before generations existed: generation 0.
_SESSION_ID = re.compile(r"(\d{1,18})(?::(\d{1,18}))?", re.ASCII)


class Passwords:
    """Argon2 hashing at the cost PODCAST_PASSWORD_HASHING names (an argon2 profile)."""

    def __init__(self, profile: str) -> None:
        """Hash with the named profile of argon2.profiles, e.g. RFC_9106_LOW_MEMORY."""
        self.hasher = PasswordHasher.from_parameters(getattr(profiles, profile))

    @cached_property
    def dummy_hash(self) -> str:
        """A real hash to verify against when the email is unknown, so timing reveals nothing."""
        return self.hasher.hash("not a real password")

    def hash(self, password: str) -> str:
        """An argon2id hash of the password."""
        return self.hasher.hash(password)


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            say("The password must have at least %(count)s characters.", count=MIN_PASSWORD_LENGTH),
            fields={field: say("At least %(count)s characters.", count=MIN_PASSWORD_LENGTH)},
        )


def create_user(
    session: Session, email: str, password: str, role: str = "producer", *, passwords: Passwords
) -> User:
    """Create an account; refuses a duplicate email, a short password or an unknown role."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 255:
        raise ValidationError(
            say("Enter a valid email address."), fields={"email": say("Not an email.")}
        )
    _check_password(password)
    if role not in {r.value for r in Role}:
        raise ValidationError(say("Unknown role %(role)r: use admin or producer.", role=role))
    if session.scalar(select(User).where(User.email == email)):
        raise ConflictError(say("An account for %(email)s already exists.", email=email))
    user = User(email=email, password_hash=passwords.hash(password), role=Role(role))
    session.add(user)
    session.commit()
    return user


def authenticate(
    session: Session, email: str, password: str, *, passwords: Passwords
) -> User | None:
    """The active user with that email and password, or None."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    try:
        passwords.hasher.verify(user.password_hash if user else passwords.dummy_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if passwords.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    user.last_login_at = utcnow()
    session.commit()
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every session of the user, on every device, copied cookies included."""
    user.session_generation = (user.session_generation or 0) + 1
    session.commit()


def change_password(
    session: Session, user: User, current: str, new: str, *, passwords: Passwords
) -> User:
    """A user's own new password, given the current one; ends every other session."""
    try:
        passwords.hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        message = say("That is not your current password.")
        raise ValidationError(message, fields={"current_password": message}) from None
    _check_password(new, "new_password")
    return _replace_password(session, user, new, passwords)


def set_locale(session: Session, user: User, locale: str) -> User:
    """The language of the user's admin pages: one of ADMIN_LOCALE_NAMES."""
    if locale not in ADMIN_LOCALE_NAMES:
        choices = ", ".join(ADMIN_LOCALE_NAMES)
        message = say("Choose one of the languages offered (%(choices)s).", choices=choices)
        raise ValidationError(message, fields={"locale": message})
    user.locale = locale
    session.commit()
    return user


def set_password(session: Session, user: User, password: str, *, passwords: Passwords) -> User:
    """Give the user a new password (an operator's reset) and end every session they have."""
    _check_password(password)
    return _replace_password(session, user, password, passwords)


def _replace_password(session: Session, user: User, password: str, passwords: Passwords) -> User:
    user.password_hash = passwords.hash(password)
    user.session_generation = (user.session_generation or 0) + 1
    session.commit()
    return user


def user_by_email(session: Session, email: str) -> User:
    """The account with this email; NotFoundError saying how to create it otherwise."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFoundError(
            f"No account for {email}; create it with `podcast create-user {email}` first."
        )
    return user


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: "<id>:<generation>" of an active account, or None.

    A session whose generation is not the account's current one was ended (logout, new
    password, deactivation) and never opens again.
    """
    from podcast.extensions import db

    match = _SESSION_ID.fullmatch(user_id or "")
    if match is None:
        return None
    number, generation = match.groups()
    user = db.session.get(User, int(number))
    if user is None or not user.active or user.session_generation != int(generation or 0):
        return None
    return user


def list_users(session: Session) -> list[User]:
    """Every account, active ones first, by email."""
    return list(session.scalars(select(User).order_by(User.active.desc(), User.email)))


def set_active(session: Session, user: User, active: bool, *, acting: User) -> User:
    """Deactivate (or reactivate) an account; deactivating ends its sessions for good."""
    if not active and user.id == acting.id:
        raise ConflictError(say("You cannot deactivate your own account."))
    if user.active and not active:
        user.session_generation = (user.session_generation or 0) + 1
    user.active = active
    session.commit()
    return user


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored (tokens are random, so no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    user: User,
    label: str = "",
    *,
    expires_in_days: int | None = None,
    now: datetime | None = None,
) -> str:
    """Mint an API token for the user; returns the clear token, stores only its hash."""
    now = now or utcnow()
    expires_at = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
            message = say("A token expires in 1 to %(days)s days.", days=MAX_TOKEN_DAYS)
            raise ValidationError(message, fields={"expires_in": message})
        expires_at = now + timedelta(days=expires_in_days)
    token = "pod_" + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user, token_hash=hash_token(token), label=label[:64], created_at=now,
        expires_at=expires_at,
    )  # fmt: skip
    session.add(row)
    session.commit()
    return token


def token_state(row: ApiToken, now: datetime | None = None) -> str:
    """active, expired or revoked."""
    now = now or utcnow()
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


def authenticate_token(
    session: Session, token: str, now: datetime | None = None
) -> tuple[User, ApiToken]:
    """The active user owning this bearer token and its row; UnauthorizedError says why not."""
    now = now or utcnow()
    row = None
    if token and len(token) <= 200:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None:
        raise UnauthorizedError(say("This bearer token is not valid."))
    state = token_state(row, now)
    if state == "revoked":
        when = row.revoked_at.strftime(TIME_FORMAT)  # type: ignore[union-attr]
        raise UnauthorizedError(f"This API token was revoked on {when}; ask for a new one.")
    if state == "expired":
        when = row.expires_at.strftime(TIME_FORMAT)  # type: ignore[union-attr]
        raise UnauthorizedError(f"This API token expired on {when}; ask for a new one.")
    user = row.user
    if not user.active:
        raise UnauthorizedError(say("The account this API token belongs to is deactivated."))
    return user, row


def record_token_use(session: Session, token_id: int, now: datetime | None = None) -> None:
    """Write a token's last use if the stored one is a minute old or more, once per burst.

    Best effort, in a transaction of its own after the request's work: a database that is busy
    or gone costs the request nothing (its last use is written next time).
    """
    now = now or utcnow()
    try:
        # Conditional, so concurrent requests of the same minute write the row once.
        session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at <= now - LAST_USED_RESOLUTION,
                ),
            )
            .values(last_used_at=now)
        )
        session.commit()
    except DBAPIError:
        session.rollback()


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning this bearer token, or None."""
    try:
        return authenticate_token(session, token)[0]
    except UnauthorizedError:
        return None


def revoke_token(
    session: Session, token_id: int, *, acting: User | None, now: datetime | None = None
) -> ApiToken:
    """Revoke a token at once: its owner or an admin may (None acting: the command line)."""
    row = session.get(ApiToken, token_id)
    if acting is not None and not acting.is_admin and row is not None:
        row = row if row.user_id == acting.id else None
    if row is None:
        raise NotFoundError(
            say("There is no API token %(token)s that you may revoke.", token=token_id)
        )
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.commit()
    return row
