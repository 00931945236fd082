"""Accounts and API tokens: hashed passwords (argon2), hashed tokens, lookups, and the
admins' account management (list, deactivate, reactivate)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cached_property

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import ConflictError, ValidationError
from podcast.models import ApiToken, Role, User, utcnow

MIN_PASSWORD_LENGTH = 10


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


def create_user(
    session: Session, email: str, password: str, role: str = "producer", *, passwords: Passwords
) -> User:
    """Create an account; refuses a duplicate email, a short password or an unknown role."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 255:
        raise ValidationError("Enter a valid email address.", fields={"email": "Not an email."})
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            fields={"password": f"At least {MIN_PASSWORD_LENGTH} characters."},
        )
    if role not in {r.value for r in Role}:
        raise ValidationError(f"Unknown role {role!r}: use admin or producer.")
    if session.scalar(select(User).where(User.email == email)):
        raise ConflictError(f"An account for {email} already exists.")
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


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored (tokens are random, so no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, label: str = "") -> str:
    """Mint an API token for the user; returns the clear token, stores only its hash."""
    token = "pod_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=hash_token(token), label=label[:64]))
    session.commit()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning this bearer token, or None."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or not row.user.active:
        return None
    return row.user


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader."""
    from podcast.extensions import db

    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def list_users(session: Session) -> list[User]:
    """Every account, active ones first, by email."""
    return list(session.scalars(select(User).order_by(User.active.desc(), User.email)))


def set_active(session: Session, user: User, active: bool, *, acting: User) -> User:
    """Deactivate (or reactivate) an account; an admin cannot lock themselves out."""
    if not active and user.id == acting.id:
        raise ConflictError("You cannot deactivate your own account.")
    user.active = active
    session.commit()
    return user
