"""Account management for admins: list, deactivate, reactivate (creation is auth.create_user)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import ConflictError
from podcast.models import User


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
